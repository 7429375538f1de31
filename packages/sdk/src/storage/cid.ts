/**
 * How Meridian turns bytes into a CID, shared by every `BlobStore`:
 * UnixFS file, CIDv1, SHA-256, raw leaves, fixed-size chunks of {@link CHUNK_SIZE_BYTES}
 * (1 MiB), balanced layout with at most {@link MAX_LINKS_PER_NODE} (174) links per node, and a
 * single-chunk file reduced to its raw leaf (so blobs up to 1 MiB get a `bafkrei...` raw CID).
 * They correspond to Kubo's `ipfs add --cid-version=1 --raw-leaves --chunker=size-1048576` with
 * default `Import.*` settings (not yet checked against a live Kubo daemon; the Kubo store's `put`
 * compares Kubo's CID with Meridian's and throws `CidMismatchError` if they ever differ).
 *
 * @module
 */

import { importBytes } from "ipfs-unixfs-importer";
import type { BufferImporter, ImporterOptions } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { CID } from "multiformats/cid";
import { create as createDigest } from "multiformats/hashes/digest";
import { CidMismatchError, InvalidCidError } from "./errors.ts";
import { bufferSource } from "../crypto/internal.ts";
import { ciphertextHashFromPieceDigests, PIECE_BYTES } from "../crypto/ciphertext-hash.ts";
import type { Hex } from "viem";

/** UnixFS chunk size in bytes: 1 MiB (1,048,576), the piece size of the ciphertext hash. */
export const CHUNK_SIZE_BYTES = PIECE_BYTES;
/** Maximum links per UnixFS node (Kubo's default for balanced DAGs). */
export const MAX_LINKS_PER_NODE = 174;

const RAW_CODEC = 0x55;
const DAG_PB_CODEC = 0x70;
const SHA2_256 = 0x12;

/** The UnixFS import settings of {@link importerOptions}. */
export interface MeridianImporterOptions extends Pick<ImporterOptions, "cidVersion" | "rawLeaves" | "reduceSingleLeafToSelf"> {
  /** Fixed-size chunker of {@link CHUNK_SIZE_BYTES}. */
  chunker: ReturnType<typeof fixedSize>;
  /** Balanced layout with at most {@link MAX_LINKS_PER_NODE} links per node. */
  layout: ReturnType<typeof balanced>;
  /** Turns each 1 MiB chunk into a raw leaf through a {@link LeafWriter}. */
  bufferImporter: BufferImporter;
}

/**
 * Stores one raw leaf (chunk number `index`, 0-based, of at most {@link CHUNK_SIZE_BYTES}) and
 * returns its CIDv1(raw, sha2-256). {@link hashLeaf} only computes the CID.
 */
export type LeafWriter = (leaf: Uint8Array, index: number) => Promise<CID>;

/** A {@link LeafWriter} that stores nothing: the leaf's CID from one WebCrypto SHA-256. */
export const hashLeaf: LeafWriter = async (leaf) => rawCid(await sha256Bytes(leaf));

/**
 * The importer options every Meridian store uses (fresh objects on each call). Leaves go
 * through `writeLeaf`, which hashes them on WebCrypto's thread pool instead of the importer's
 * main-thread SHA-256; the CIDs are the same (raw leaves, CIDv1, sha2-256). The importer's
 * `blockstore` then receives only the dag-pb nodes.
 */
export function importerOptions(writeLeaf: LeafWriter = hashLeaf): MeridianImporterOptions {
  return {
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: CHUNK_SIZE_BYTES }),
    layout: balanced({ maxChildrenPerNode: MAX_LINKS_PER_NODE }),
    bufferImporter: async function* rawLeaves(file) {
      let index = 0;
      for await (const block of file.content) {
        const leafIndex = index++;
        yield async () => ({ cid: await writeLeaf(block, leafIndex), size: BigInt(block.length), block });
      }
    },
  };
}

/**
 * Parses a CID string and checks that it is one Meridian stores: CIDv1, codec raw (0x55) or
 * dag-pb (0x70), SHA-256 multihash.
 *
 * @throws {InvalidCidError} otherwise.
 */
export function parseBlobCid(cid: string): CID {
  let parsed: CID;
  try {
    if (typeof cid !== "string" || cid.length === 0) throw new TypeError("not a non-empty string");
    parsed = CID.parse(cid.trim());
  } catch (cause) {
    throw new InvalidCidError(`"${String(cid).slice(0, 80)}" is not a valid CID.`, { cause });
  }
  const version: number = parsed.version;
  const codec: number = parsed.code;
  const hash: number = parsed.multihash.code;
  if (version !== 1 || (codec !== RAW_CODEC && codec !== DAG_PB_CODEC) || hash !== SHA2_256) {
    throw new InvalidCidError(`${cid} is not a Meridian blob CID.`, {
      details: `version ${version}, codec 0x${codec.toString(16)}, hash 0x${hash.toString(16)}; expected CIDv1, raw or dag-pb, sha2-256`,
    });
  }
  return parsed;
}

const hashOnly = { put: async (cid: CID) => cid };

/**
 * SHA-256 of `bytes` with WebCrypto (run on the platform's crypto thread pool, not the main
 * thread), as 32 bytes.
 */
export async function sha256Bytes(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bufferSource(bytes)));
}

/** The CIDv1(raw, sha2-256) of a blob of up to {@link CHUNK_SIZE_BYTES} whose SHA-256 is `digest`. */
export function rawCid(digest: Uint8Array): CID {
  return CID.createV1(RAW_CODEC, createDigest(SHA2_256, digest));
}

/** Whether a blob of `size` bytes is stored as one raw block (its CID is its SHA-256). */
export function isSingleBlock(size: number): boolean {
  return size <= CHUNK_SIZE_BYTES;
}

/** A blob's CID and its ciphertext hash (`crypto/ciphertext-hash.ts`). */
export interface BlobIdentity {
  /** The CID `bytes` get with {@link importerOptions}. */
  cid: CID;
  /** SHA-256 hash list over the blob's 1 MiB pieces: the hash anchored on chain. */
  ciphertextHash: Hex;
}

/**
 * Imports a blob through `writeLeaf` and returns its CID and ciphertext hash, both from the same
 * leaf digests: every byte is hashed once. A blob of up to 1 MiB is one raw leaf (no importer
 * run). `blockstore` receives the dag-pb nodes of larger blobs.
 */
export async function importBlob(
  bytes: Uint8Array,
  writeLeaf: LeafWriter,
  blockstore: Parameters<typeof importBytes>[1],
  options: { signal?: AbortSignal } = {},
): Promise<BlobIdentity> {
  if (isSingleBlock(bytes.length)) {
    const cid = await writeLeaf(bytes, 0);
    return { cid, ciphertextHash: await ciphertextHashFromPieceDigests([cid.multihash.digest]) };
  }
  const digests: Uint8Array[] = [];
  const recording: LeafWriter = async (leaf, index) => {
    const cid = await writeLeaf(leaf, index);
    digests[index] = cid.multihash.digest;
    return cid;
  };
  const { cid } = await importBytes(bytes, blockstore, { ...importerOptions(recording), ...(options.signal ? { signal: options.signal } : {}) });
  return { cid, ciphertextHash: await ciphertextHashFromPieceDigests(digests) };
}

/** Computes the CID and ciphertext hash `bytes` get with {@link importerOptions}, hashing only (nothing stored). */
export async function computeBlobIdentity(bytes: Uint8Array): Promise<BlobIdentity> {
  return importBlob(bytes, hashLeaf, hashOnly);
}

/** Computes the CID `bytes` get with {@link importerOptions}, hashing only (nothing stored). */
export async function computeBlobCid(bytes: Uint8Array): Promise<CID> {
  return (await computeBlobIdentity(bytes)).cid;
}

/**
 * Checks that `bytes` import to `cid`.
 *
 * @returns the blob's ciphertext hash, from the same leaf digests.
 * @throws {CidMismatchError} when they do not.
 */
export async function verifyBlob(cid: CID, bytes: Uint8Array): Promise<Hex> {
  const actual = await computeBlobIdentity(bytes);
  const same: boolean = actual.cid.equals(cid); // (equals() is a type guard; keep `cid` un-narrowed)
  if (!same) {
    throw new CidMismatchError(cid.toString(), { details: `received ${bytes.length} bytes whose CID is ${actual.cid.toString()}` });
  }
  return actual.ciphertextHash;
}

/** Concatenates chunks into one buffer (one copy). */
export function concatChunks(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.length === total) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
