/**
 * Meridian on chain: the contracts' generated ABIs, actions over `ProviderRegistry`,
 * `RecordRegistry`, `MonitoringRegistry`, `PeerValidation` and the governance timelock, the
 * typed {@link read} and {@link write} they are built on, their shapes, and the decoding of
 * contract custom errors into plain-language errors. Browser-safe.
 *
 * @module
 */

export * from "./types.ts";
export * from "./errors.ts";
export * from "./contract.ts";
export * from "./actions.ts";
export * from "./grants.ts";
export * from "./consent.ts";
export * from "./device-pairing.ts";
export * from "./event-walk.ts";
export * from "./governance.ts";
export * from "./grant-status.ts";
export * from "./key-epoch.ts";
export * from "./lists.ts";
export * from "./logs.ts";
export * from "./monitoring.ts";
export * from "./peer-validation.ts";
export * from "./provider-nodes.ts";
export * from "../generated/contracts.ts";
