/**
 * The storage interface Meridian uses for record envelopes.
 *
 * @module
 */

import type { BlobBytes } from "./cid.ts";

/** Options accepted by {@link BlobStore.put} and {@link BlobStore.get}. */
export interface BlobStoreOptions {
  /** Aborts the operation; it then rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Accounts whose Meridian nodes most likely hold the blob (a record's author, its patient):
   * a store that reads from several nodes (`kind: "replicated"`) asks theirs first. Others ignore it.
   */
  prefer?: readonly `0x${string}`[];
}

/** What {@link BlobStore.put} stored. */
export interface StoredBlob {
  /** The blob's CIDv1, base32 (`bafkrei…` for one raw block of up to 1 MiB, `bafybei…` for a UnixFS DAG). */
  cid: string;
  /** The blob's ciphertext hash (SHA-256 hash list over its 1 MiB pieces, `crypto/ciphertext-hash.ts`), `0x` + 64 hex: the hash to anchor on chain. */
  ciphertextHash: `0x${string}`;
  /** Size of the blob in bytes. */
  size: number;
}

/**
 * Content-addressed storage for opaque blobs (record envelopes) on IPFS.
 *
 * Every implementation imports bytes the same way (UnixFS, CIDv1, raw leaves, balanced DAG,
 * 1 MiB fixed-size chunks, at most 174 links per node: see `storage/cid.ts`), so the same bytes
 * get the same CID in Helia and in Kubo, and every `get` verifies the bytes it returns
 * against the CID.
 */
export interface BlobStore {
  /** Which backend this is (`replicated`: several Meridian nodes, see `storage/replicated.ts`). */
  readonly kind: "helia" | "kubo" | "http" | "replicated";
  /**
   * Stores `bytes` (0 bytes or more; one buffer or consecutive parts, e.g. a record envelope's
   * header and segments from `encryptRecordParts`, which the Helia store writes without joining)
   * and returns their CIDv1 and their ciphertext hash, both from the same SHA-256 digests of the
   * 1 MiB leaves (every byte is hashed once).
   *
   * @throws {StorageUnavailableError} when the backend cannot be reached or is closed.
   * @throws {CidMismatchError} (Kubo) when the backend's CID differs from Meridian's.
   */
  put(bytes: BlobBytes, options?: BlobStoreOptions): Promise<StoredBlob>;
  /**
   * Reads the blob `cid` and checks that its bytes produce that CID.
   *
   * @throws {InvalidCidError} when `cid` is malformed or not a CID Meridian stores.
   * @throws {BlockNotFoundError} when the blob (or part of it) is not available.
   * @throws {CidMismatchError} when the bytes read do not match `cid`.
   * @throws {StorageUnavailableError} when the backend cannot be reached or is closed.
   */
  get(cid: string, options?: BlobStoreOptions): Promise<Uint8Array>;
  /**
   * Whether the blob's root block is held by this store (without fetching anything).
   *
   * @throws {InvalidCidError} when `cid` is malformed.
   * @throws {StorageUnavailableError} when the backend cannot be reached or is closed.
   */
  has(cid: string): Promise<boolean>;
  /** Releases the store (stops the node / drops the client). Idempotent. */
  close(): Promise<void>;
}
