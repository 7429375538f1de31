/**
 * Meridian's test kit, for this repository's tests and benchmarks (Node.js; needs the `hardhat`
 * dev dependency): an embedded chain with Meridian deployed, viem clients and time travel, small
 * made-up FHIR fixtures, and the attacker's tools used by the security tests. Never import it
 * from product code.
 *
 * @module
 */

export * from "./chain.ts";
export * from "./fhir-fixtures.ts";
export * from "./two-key-envelope.ts";
export * from "./contract-assertions.ts";
export * from "./contract-flows.ts";
