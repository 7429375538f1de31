/**
 * The client-level actions, one module per concern, each a plain function
 * `doThing(client, parameters)` with exported `DoThingParameters`, `DoThingReturnType` and
 * `DoThingErrorType` (viem's style). `client` is a {@link MeridianAccount} (a `MeridianClient`
 * is one). Which key opens a record is decided in `record-keys.ts`, shared by all of them.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./envelopes.ts";
export * from "./registration.ts";
export * from "./records.ts";
export * from "./key-epochs.ts";
export * from "./sharing.ts";
export * from "./consent-codes.ts";
export * from "./guardians.ts";
export * from "./emergency.ts";
export * from "./validation.ts";
