/**
 * `@meridian/monitoring`: remote ECG monitoring as a distributed system (Node). A patient's
 * sensor (device) streams signed windows of one lead over MQTT to an edge node, which classifies
 * the beats; a fog relay stores and forwards them under poor connectivity to the provider's
 * medical server, which verifies the whole signature chain, writes each window as an encrypted
 * FHIR R4 record through `@meridian/sdk` and links it to the patient's monitoring session.
 *
 * Signal processing comes from `@meridian/ecg` through the interfaces of `ports.ts`;
 * `pipeline.ts` plugs in the concrete detector, rhythm screen and classifier. The FHIR window
 * bundles and the clinician's diagnosis are also at `@meridian/monitoring/browser` (no Node
 * APIs). Its tests run on the SDK's test kit (`@meridian/sdk/testing`).
 *
 * @module
 */
export * from "./browser.ts";
export * from "./device.ts";
export * from "./edge.ts";
export * from "./errors.ts";
export * from "./fog.ts";
export * from "./medical-server.ts";
export * from "./messages.ts";
export * from "./pipeline.ts";
export * from "./ports.ts";
export * from "./queue.ts";
export * from "./roles.ts";
export * from "./transport.ts";
