/**
 * `@meridian/monitoring/browser`: the parts of remote monitoring a browser needs, with no Node
 * APIs: reading a monitored ECG window's FHIR R4 Bundle back for display, and building and
 * signing the clinician's final diagnosis of a session. The web app's review pages import this
 * entry point; Node code may use `@meridian/monitoring`, which re-exports it.
 *
 * @module
 */
export * from "./diagnosis.ts";
export * from "./fhir.ts";
