/**
 * The browser-safe part of Meridian's IPFS storage: the {@link BlobStore} interface, its errors,
 * CID computation for record envelopes (UnixFS, CIDv1 raw leaves), upload sessions, the HTTP client
 * of a Meridian blob endpoint, and the clients of a Meridian node's API (Trustless Gateway reads,
 * Pinning Service API, pinning access tokens, `createNodeClient`). The Node.js stores (Helia on
 * disk, Kubo) and the server side of the HTTP endpoint are in `@meridian/sdk/storage`.
 *
 * @module
 */

export * from "./errors.ts";
export type * from "./types.ts";
export {
  CHUNK_SIZE_BYTES,
  MAX_LINKS_PER_NODE,
  computeBlobCid,
  computeBlobIdentity,
  parseBlobCid,
  readBlob,
  verifyBlob,
} from "./cid.ts";
export type { BlobBytes, BlobIdentity, BlockReader } from "./cid.ts";
export * from "./upload-auth.ts";
export { createHttpStore } from "./http.ts";
export type { CreateHttpStoreParameters } from "./http.ts";
export { CAR_MEDIA_TYPE, createGatewayReader, RAW_BLOCK_MEDIA_TYPE } from "./gateway.ts";
export type { CreateGatewayReaderParameters, GatewayReader } from "./gateway.ts";
export { createPinningClient, PinningServiceError } from "./pinning.ts";
export type {
  CreatePinningClientParameters,
  ListPinsParameters,
  Pin,
  PinningClient,
  PinResults,
  PinStatus,
  PinStatusValue,
  WaitForPinOptions,
} from "./pinning.ts";
export * from "./pin-auth.ts";
export { createNodeClient } from "./node-client.ts";
export type { CreateNodeClientParameters, NodeClient, NodeInfo, NodePinOptions } from "./node-client.ts";
export { createReplicatedStore, failureReason, ReplicationError } from "./replicated.ts";
export type {
  CreateReplicatedStoreErrorType,
  CreateReplicatedStoreParameters,
  NodeFailure,
  ReadNodesRequest,
  ReplicationProgress,
} from "./replicated.ts";
export { InvalidNodeUrlError, normalizeNodeUrl, resolveNodeUrls } from "./discovery.ts";
export type { ResolveNodeUrlsErrorType, ResolveNodeUrlsParameters, ResolveNodeUrlsReturnType } from "./discovery.ts";
export { anchoredCidString, checkReplicas, repairReplicas } from "./replica-check.ts";
export type {
  BlobRepair,
  BlobReplicas,
  CheckReplicasParameters,
  CheckReplicasReturnType,
  RepairReplicasParameters,
  RepairReplicasReturnType,
  ReplicaState,
} from "./replica-check.ts";
