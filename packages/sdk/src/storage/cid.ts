/**
 * How Meridian turns bytes into a CID, shared by every `BlobStore`:
 * UnixFS file, CIDv1, SHA-256, raw leaves, fixed-size chunks of {@link CHUNK_SIZE_BYTES}
 * (1 MiB), balanced layout with at most {@link MAX_LINKS_PER_NODE} (174) links per node, and a
 * single-chunk file reduced to its raw leaf (so blobs up to 1 MiB get a `bafkrei...` raw CID).
 * They correspond to Kubo's `ipfs add --cid-version=1 --raw-leaves --chunker=size-1048576` with
 * default `Import.*` settings, and to `ipfs-unixfs-importer` with those options (the tests
 * check every DAG shape against the importer; the Kubo store compares Kubo's CID with
 * Meridian's and throws `CidMismatchError` if they ever differ).
 *
 * The DAG is built here, from `ipfs-unixfs` (UnixFS data) and `@ipld/dag-pb` (node encoding),
 * rather than by the importer, so that a blob given as parts (a record envelope straight from
 * `encryptRecordParts`) is stored without joining it into one buffer, its leaves are written
 * and hashed concurrently, and the leaf digests give the ciphertext hash too: every byte is
 * hashed once and copied at most once (into the file system).
 *
 * @module
 */

import { decode as decodeDagPb, encode as encodeDagPb, prepare as prepareDagPb } from "@ipld/dag-pb";
import { UnixFS } from "ipfs-unixfs";
import { equals } from "multiformats/bytes";
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
/** How many leaves a store writes, or reads, at once. */
export const LEAF_CONCURRENCY = 8;

const RAW_CODEC = 0x55;
const DAG_PB_CODEC = 0x70;
const SHA2_256 = 0x12;

/**
 * A blob's bytes: one buffer, or consecutive parts whose concatenation is the blob (e.g. a record
 * envelope's header and segments from `encryptRecordParts`). Parts are never modified.
 */
export type BlobBytes = Uint8Array | readonly Uint8Array[];

/**
 * Stores one raw leaf (chunk number `index`, 0-based, of at most {@link CHUNK_SIZE_BYTES} bytes,
 * given as the consecutive `parts` that make it up) and returns its CIDv1(raw, sha2-256).
 * {@link hashLeaf} only computes the CID.
 */
export type LeafWriter = (parts: readonly Uint8Array[], index: number) => Promise<CID>;

/** Receives the dag-pb nodes of a blob of more than one leaf (Helia's blockstore, or nothing). */
export interface NodeSink {
  put(cid: CID, block: Uint8Array): unknown;
}

/** A {@link LeafWriter} that stores nothing: the leaf's CID from one WebCrypto SHA-256. */
export const hashLeaf: LeafWriter = async (parts) => rawCid(await sha256Bytes(joinBlob(parts)));

/** Total length in bytes of a {@link BlobBytes}. */
export function byteLength(blob: BlobBytes): number {
  if (blob instanceof Uint8Array) return blob.length;
  let total = 0;
  for (const part of blob) total += part.length;
  return total;
}

/** A {@link BlobBytes} as one buffer (copied only when it is given in several parts). */
export function joinBlob(blob: BlobBytes): Uint8Array {
  return blob instanceof Uint8Array ? blob : concatChunks(blob, byteLength(blob));
}

/**
 * Cuts a blob into its UnixFS leaves of {@link CHUNK_SIZE_BYTES}, each as the subarrays of the
 * blob's parts that make it up (no bytes are copied). An empty blob is one empty leaf.
 */
export function splitLeaves(blob: BlobBytes): Uint8Array[][] {
  const parts = blob instanceof Uint8Array ? [blob] : blob;
  const leaves: Uint8Array[][] = [];
  let leaf: Uint8Array[] = [];
  let room = CHUNK_SIZE_BYTES;
  for (const part of parts) {
    if (!(part instanceof Uint8Array)) throw new TypeError("A blob part is not a Uint8Array.");
    for (let offset = 0; offset < part.length;) {
      const take = Math.min(room, part.length - offset);
      leaf.push(part.subarray(offset, offset + take));
      offset += take;
      room -= take;
      if (room === 0) {
        leaves.push(leaf);
        leaf = [];
        room = CHUNK_SIZE_BYTES;
      }
    }
  }
  if (leaf.length > 0 || leaves.length === 0) leaves.push(leaf);
  return leaves;
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

/** A blob's CID and its ciphertext hash (`crypto/ciphertext-hash.ts`). */
export interface BlobIdentity {
  /** The blob's CID (UnixFS, raw leaves, balanced; see this module). */
  cid: CID;
  /** SHA-256 hash list over the blob's 1 MiB pieces: the hash anchored on chain. */
  ciphertextHash: Hex;
}

/**
 * Runs `task(0 .. count − 1)` with at most {@link LEAF_CONCURRENCY} at a time, in order of
 * index. After the first failure (or abort) no further task starts, and that error is thrown
 * once the running ones have settled.
 */
async function forEachLeaf(count: number, task: (index: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < count && failure === undefined) {
      const index = next++;
      try {
        signal?.throwIfAborted();
        await task(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(LEAF_CONCURRENCY, count) }, worker));
  if (failure) throw failure.error;
}

/** A node or leaf of the DAG being built: its CID, the file bytes under it, and its UnixFS Tsize. */
interface DagEntry {
  cid: CID;
  fileSize: bigint;
  tsize: bigint;
}

/**
 * Stores a blob: writes its leaves through `writeLeaf` ({@link LEAF_CONCURRENCY} at a
 * time) and its dag-pb nodes into `nodes`, and returns its CID and ciphertext hash, both from the
 * same leaf digests, so every byte is hashed once. A blob of up to 1 MiB is one raw leaf. The
 * nodes are those of `ipfs-unixfs-importer`'s balanced layout with this module's options: groups
 * of up to 174 children under a UnixFS `file` node, level by level up to one root.
 *
 * @throws whatever `writeLeaf` or `nodes.put` throws; the signal's reason when aborted.
 */
export async function importBlob(
  blob: BlobBytes,
  writeLeaf: LeafWriter,
  nodes: NodeSink,
  options: { signal?: AbortSignal } = {},
): Promise<BlobIdentity> {
  const leaves = splitLeaves(blob);
  const cids = new Array<CID>(leaves.length);
  await forEachLeaf(
    leaves.length,
    async (index) => {
      cids[index] = await writeLeaf(leaves[index]!, index);
    },
    options.signal,
  );
  const ciphertextHash = await ciphertextHashFromPieceDigests(cids.map((cid) => cid.multihash.digest));
  if (leaves.length === 1) return { cid: cids[0]!, ciphertextHash };

  let level: DagEntry[] = cids.map((cid, index) => {
    const size = BigInt(byteLength(leaves[index]!));
    return { cid, fileSize: size, tsize: size };
  });
  while (level.length > 1) {
    options.signal?.throwIfAborted();
    const parents: DagEntry[] = [];
    for (let start = 0; start < level.length; start += MAX_LINKS_PER_NODE) {
      const children = level.slice(start, start + MAX_LINKS_PER_NODE);
      const unixfs = new UnixFS({ type: "file" });
      let fileSize = 0n;
      let tsize = 0n;
      for (const child of children) {
        unixfs.addBlockSize(child.fileSize);
        fileSize += child.fileSize;
        tsize += child.tsize;
      }
      const block = encodeDagPb(
        prepareDagPb({
          Data: unixfs.marshal(),
          Links: children.map((child) => ({ Name: "", Tsize: Number(child.tsize), Hash: child.cid })),
        }),
      );
      const cid = CID.createV1(DAG_PB_CODEC, createDigest(SHA2_256, await sha256Bytes(block)));
      await nodes.put(cid, block);
      parents.push({ cid, fileSize, tsize: tsize + BigInt(block.length) });
    }
    level = parents;
  }
  return { cid: level[0]!.cid, ciphertextHash };
}

const hashOnly: NodeSink = { put: () => Promise.resolve() };

/** Computes the CID and ciphertext hash a blob gets in every Meridian store, hashing only (nothing stored). */
export async function computeBlobIdentity(blob: BlobBytes): Promise<BlobIdentity> {
  return importBlob(blob, hashLeaf, hashOnly);
}

/** Computes the CID a blob gets in every Meridian store, hashing only (nothing stored). */
export async function computeBlobCid(blob: BlobBytes): Promise<CID> {
  return (await computeBlobIdentity(blob)).cid;
}

/** Reads one stored block by CID; throws `BlockNotFoundError` when the store does not hold it. */
export type BlockReader = (cid: CID) => Promise<Uint8Array>;

/** Reads block `cid` of blob `root` and checks it against `cid`. */
async function checkedBlock(cid: CID, read: BlockReader, root: CID): Promise<Uint8Array> {
  const block = await read(cid);
  if (!equals(await sha256Bytes(block), cid.multihash.digest)) {
    throw new CidMismatchError(root.toString(), {
      details: `its stored ${block.length}-byte block ${cid.toString()} does not hash to that block's CID`,
    });
  }
  return block;
}

/**
 * Reads a blob by its root CID block by block through `read`, checking every block against its
 * CID (the root's hash covers the links, each leaf's hash its bytes, so the whole blob is
 * checked, as a Merkle DAG), with {@link LEAF_CONCURRENCY} leaves in flight, and joins
 * the leaves into one buffer.
 *
 * @throws {CidMismatchError} when a block does not hash to its CID, a node does not decode as a
 *   UnixFS file, or the leaves' sizes disagree with the node's block sizes.
 * @throws whatever `read` throws for a missing block (`BlockNotFoundError`).
 */
export async function readBlob(
  root: CID,
  read: BlockReader,
  options: { signal?: AbortSignal } = {},
): Promise<Uint8Array> {
  options.signal?.throwIfAborted();
  if (root.code === RAW_CODEC) return checkedBlock(root, read, root);
  const leaves: { cid: CID; size: number }[] = [];
  const corrupt = (cid: CID, details: string, cause?: unknown): CidMismatchError =>
    new CidMismatchError(root.toString(), {
      details: `node ${cid.toString()}: ${details}`,
      ...(cause === undefined ? {} : { cause }),
    });
  const walk = async (cid: CID): Promise<void> => {
    options.signal?.throwIfAborted();
    const block = await checkedBlock(cid, read, root);
    let links: { Hash: CID; size: number }[];
    try {
      const node = decodeDagPb(block);
      const unixfs = UnixFS.unmarshal(node.Data ?? new Uint8Array());
      if (unixfs.type !== "file" || unixfs.blockSizes.length !== node.Links.length)
        throw new Error(
          `a UnixFS ${unixfs.type} with ${unixfs.blockSizes.length} block sizes and ${node.Links.length} links`,
        );
      links = node.Links.map((link, i) => ({ Hash: link.Hash, size: Number(unixfs.blockSizes[i]) }));
    } catch (cause) {
      throw corrupt(cid, "not a UnixFS file node", cause);
    }
    for (const link of links) {
      if (link.Hash.code === RAW_CODEC) leaves.push({ cid: link.Hash, size: link.size });
      else if (link.Hash.code === DAG_PB_CODEC) await walk(link.Hash);
      else throw corrupt(cid, `links to a block of codec 0x${link.Hash.code.toString(16)}`);
    }
  };
  await walk(root);
  const offsets: number[] = [];
  let total = 0;
  for (const leaf of leaves) {
    offsets.push(total);
    total += leaf.size;
  }
  const out = new Uint8Array(total);
  await forEachLeaf(
    leaves.length,
    async (index) => {
      const { cid, size } = leaves[index]!;
      const bytes = await checkedBlock(cid, read, root);
      if (bytes.length !== size)
        throw corrupt(root, `leaf ${cid.toString()} has ${bytes.length} bytes, its parent says ${size}`);
      out.set(bytes, offsets[index]);
    },
    options.signal,
  );
  return out;
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
    throw new CidMismatchError(cid.toString(), {
      details: `received ${bytes.length} bytes whose CID is ${actual.cid.toString()}`,
    });
  }
  return actual.ciphertextHash;
}

/** Concatenates chunks into one buffer (one copy). */
export function concatChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.length === total) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
