/**
 * Meridian's test kit, for this repository's tests and benchmarks (Node.js; needs the `hardhat`
 * dev dependency): an embedded chain with Meridian deployed, viem clients and time travel
 * (`chain.ts`); a whole network with a Helia node on disk and role clients for patients and
 * admitted providers (`network.ts`); a `hardhat node` on a free port for tests of other
 * processes (`hardhat-node.ts`); a JSON-RPC proxy that caps `eth_getLogs` ranges as hosted RPCs
 * do (`rpc-proxy.ts`); temporary directories; revert and event assertions and contract
 * flows (`contract-assertions.ts`, `contract-flows.ts`); small made-up FHIR fixtures; and the
 * attacker's tools used by the security tests (`stolen-keys.ts`, `two-key-envelope.ts`). Never
 * import it from product code.
 *
 * @module
 */

export * from "./chain.ts";
export * from "./network.ts";
export * from "./hardhat-node.ts";
export * from "./rpc-proxy.ts";
export * from "./temp-dir.ts";
export * from "./fhir-fixtures.ts";
export * from "./stolen-keys.ts";
export * from "./two-key-envelope.ts";
export * from "./contract-assertions.ts";
export * from "./contract-flows.ts";
