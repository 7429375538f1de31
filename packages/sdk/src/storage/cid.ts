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
import type { ImporterOptions } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { equals as equalBytes } from "multiformats/bytes";
import { CidMismatchError, InvalidCidError } from "./errors.ts";

/** UnixFS chunk size in bytes: 1 MiB (1,048,576). */
export const CHUNK_SIZE_BYTES = 1_048_576;
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
}

/** The importer options every Meridian store uses (fresh objects on each call). */
export function importerOptions(): MeridianImporterOptions {
  return {
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: CHUNK_SIZE_BYTES }),
    layout: balanced({ maxChildrenPerNode: MAX_LINKS_PER_NODE }),
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

/** Computes the CID `bytes` get with {@link importerOptions}, hashing only (nothing stored). */
export async function computeBlobCid(bytes: Uint8Array): Promise<CID> {
  const { cid } = await importBytes(bytes, hashOnly, importerOptions());
  return cid;
}

/**
 * Checks that `bytes` import to `cid`.
 *
 * @throws {CidMismatchError} when they do not.
 */
export async function verifyBlob(cid: CID, bytes: Uint8Array): Promise<void> {
  // A raw CID is the SHA-256 of the bytes themselves: one hash, no importer run.
  if (cid.code === RAW_CODEC && bytes.length <= CHUNK_SIZE_BYTES) {
    const digest = await sha256.digest(bytes);
    if (!equalBytes(digest.digest, cid.multihash.digest)) {
      throw new CidMismatchError(cid.toString(), { details: `received ${bytes.length} bytes whose CID is ${CID.createV1(RAW_CODEC, digest).toString()}` });
    }
    return;
  }
  const actual = await computeBlobCid(bytes);
  const same: boolean = actual.equals(cid); // (equals() is a type guard; keep `cid` un-narrowed)
  if (!same) {
    throw new CidMismatchError(cid.toString(), { details: `received ${bytes.length} bytes whose CID is ${actual.toString()}` });
  }
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
