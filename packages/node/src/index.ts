/**
 * `@meridian/node`: one organisation's long-lived Meridian node. Helia 7 with libp2p (TCP,
 * Noise, Yamux, identify) and bitswap, no DHT or bootstrap; blocks on disk; an HTTP API with the
 * IPFS Trustless Gateway (raw blocks and CARs), the IPFS Pinning Service API v1.0.0, authorised uploads
 * (`POST /blobs`) and `GET /meridian/v1/node`; and a periodic repair job that re-pins
 * under-replicated blobs on other nodes. The SDK's clients for this API are in
 * `@meridian/sdk/storage` (`createNodeClient`, `createGatewayReader`, `createPinningClient`).
 *
 * @module
 */

export { DEFAULT_NODE_QUOTA_BYTES, NodeConfigurationError, startMeridianNode } from "./node.ts";
export type { MeridianNode, StartMeridianNodeErrorType, StartMeridianNodeParameters } from "./node.ts";
export type { RepairReport } from "./repair.ts";
