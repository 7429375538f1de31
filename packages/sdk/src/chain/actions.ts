/**
 * Plain-function actions on the Meridian contracts, in viem's style: each takes a
 * {@link MeridianContext} and its parameters, simulates before it writes (so a revert is
 * reported with its custom error before any gas is spent), waits for the receipt, and returns
 * the decoded outcome. Every failure is a {@link MeridianError}.
 *
 * The actions are split by concern: deployment in `deploy.ts`, providers in `providers.ts`,
 * patients and records in `records.ts`, grants and requests in `grants.ts`; the typed
 * {@link read} and {@link write} they are built on are in `contract.ts`. All are re-exported here.
 *
 * @module
 */
export * from "./contract.ts";
export * from "./grants.ts";
export * from "./deploy.ts";
export * from "./providers.ts";
export * from "./records.ts";
