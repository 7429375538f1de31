/**
 * A {@link BlobStore} backed by an embedded Helia node on disk (no network: `createHeliaLight`
 * without block brokers). Blocks live in `<directory>/blocks` (`blockstore-fs`), node state in
 * `<directory>/datastore` (`datastore-fs`). Node.js only.
 *
 * @module
 */

import { createHash, randomUUID } from "node:crypto";
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writev } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createHeliaLight } from "helia";
import type { Helia } from "helia";
import { FsBlockstore } from "blockstore-fs";
import { NextToLast } from "blockstore-fs/sharding";
import { FsDatastore } from "datastore-fs";
import { byteLength, importBlob, parseBlobCid, rawCid, readBlob } from "./cid.ts";
import type { BlobBytes, BlockReader, LeafWriter } from "./cid.ts";
import { BlockNotFoundError, CidMismatchError, StorageUnavailableError } from "./errors.ts";
import type { BlobStore, BlobStoreOptions, StoredBlob } from "./types.ts";

/** Parameters of {@link createHeliaStore}. */
export interface CreateHeliaStoreParameters {
  /** Directory for the node's blocks and datastore; created if missing. Reopening it later sees the same blobs. */
  directory: string;
  /**
   * A started Helia node to store through instead of a new offline one (a Meridian node's, with
   * libp2p and bitswap): its blockstore must be a `blockstore-fs` on `<directory>/blocks` with the
   * default next-to-last sharding, as this store makes. `close()` then leaves it running.
   */
  helia?: Helia;
}

/**
 * Writes the consecutive `parts` to `fd` from offset 0 on libuv's thread pool: one `writev`,
 * unless the kernel takes fewer bytes, then again for the rest.
 */
async function writeParts(fd: number, parts: readonly Uint8Array[]): Promise<void> {
  let rest = parts.filter((part) => part.length > 0);
  let position = 0;
  while (rest.length > 0) {
    const pending = rest;
    const at = position;
    let written = await new Promise<number>((resolve, reject) => {
      writev(fd, pending, at, (error, count) => (error ? reject(error) : resolve(count)));
    });
    if (written === 0) throw new Error("the file system took 0 bytes of a block");
    position += written;
    const left: Uint8Array[] = [];
    for (const part of rest) {
      if (written >= part.length) written -= part.length;
      else {
        left.push(part.subarray(written));
        written = 0;
      }
    }
    rest = left;
  }
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (error instanceof Error && error.name === "AbortError");
}

/**
 * Starts a Helia node on `directory` and returns it as a {@link BlobStore} with `kind: "helia"`.
 *
 * Import settings: UnixFS, CIDv1, raw leaves, 1 MiB fixed-size chunks, balanced DAG with
 * 174 links per node (see `storage/cid.ts`). Empty blobs are supported (CID `bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku`).
 * `put` takes the blob in one buffer or in parts (a record envelope from `encryptRecordParts`)
 * and writes its raw leaves itself, into blockstore-fs's layout, each hashed while it is written
 * (see `writeLeaf`); Helia's blockstore stores the dag-pb nodes. `get` reads the blocks of that
 * layout directly, each in one read, and checks every block against its CID (`readBlob` in
 * `storage/cid.ts`): it fails with {@link CidMismatchError} if a block on disk was altered, and
 * at once with {@link BlockNotFoundError} if the blob or one of its blocks is not stored (the
 * node never goes to the network). Nothing is garbage collected, so pinning is not needed. Use
 * one store per directory per process.
 *
 * @throws {StorageUnavailableError} when the directory cannot be opened.
 * @example
 * ```ts
 * const store = await createHeliaStore({ directory: ".meridian/ipfs" });
 * const { cid, ciphertextHash } = await store.put(envelope);
 * const same = await store.get(cid);
 * await store.close();
 * ```
 */
export async function createHeliaStore(parameters: CreateHeliaStoreParameters): Promise<BlobStore> {
  const { directory } = parameters;
  let helia: Helia;
  const blocksDirectory = join(directory, "blocks");
  const sharding = new NextToLast(); // blockstore-fs's default layout, held here to place raw leaves
  const owned = parameters.helia === undefined;
  try {
    helia =
      parameters.helia ??
      createHeliaLight({
        blockstore: new FsBlockstore(blocksDirectory, { shardingStrategy: sharding }),
        datastore: new FsDatastore(join(directory, "datastore")),
      });
    if (owned) await helia.start();
    await mkdir(blocksDirectory, { recursive: true });
  } catch (cause) {
    throw new StorageUnavailableError(`Could not open the Helia store in ${directory}.`, {
      hint: "Check that the directory is writable and not used by another Meridian process.",
      cause,
    });
  }
  let closed = false;

  const shardDirectories = new Set<string>();
  /**
   * Writes a raw leaf into the blockstore's directory while it is hashed, atomically (write,
   * then rename): the leaf's parts go to a temporary file in one `writev` on libuv's
   * thread pool while this thread computes their SHA-256, then the file is renamed to the
   * block's path once the hash names it. The leaf is not copied.
   *
   * The open, close and rename are synchronous on purpose: they are metadata calls of a few
   * microseconds, and as asynchronous calls each would wait for a turn of this thread, which
   * the hash holds, so the data write would start only after the hash
   * (`node bench/storage-floor.ts` compares the two).
   */
  const writeLeaf: LeafWriter = async (parts) => {
    const temporary = join(blocksDirectory, `.put-${randomUUID()}.tmp`);
    try {
      const fd = openSync(temporary, "wx");
      let digest: Uint8Array;
      try {
        const writing = writeParts(fd, parts);
        try {
          const hash = createHash("sha256");
          for (const part of parts) hash.update(part);
          digest = hash.digest();
        } finally {
          await writing;
        }
      } finally {
        closeSync(fd);
      }
      const cid = rawCid(digest);
      const { dir, file } = sharding.encode(cid);
      if (!shardDirectories.has(dir)) {
        mkdirSync(join(blocksDirectory, dir), { recursive: true });
        shardDirectories.add(dir);
      }
      renameSync(temporary, join(blocksDirectory, dir, file));
      return cid;
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
  };

  const assertOpen = (): void => {
    if (closed)
      throw new StorageUnavailableError(`The Helia store in ${directory} is closed.`, {
        hint: "Open a new store with createHeliaStore.",
      });
  };

  /** Reads a block file of the blockstore's layout in one go (blockstore-fs streams it in 64 KiB pieces). */
  const readBlock: BlockReader = async (cid) => {
    const { dir, file } = sharding.encode(cid);
    try {
      const bytes = await readFile(join(blocksDirectory, dir, file));
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length); // a plain Uint8Array, not a Buffer
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === "ENOENT") throw new BlockNotFoundError(cid.toString(), { cause });
      throw cause;
    }
  };

  return {
    kind: "helia",

    async put(bytes: BlobBytes, options: BlobStoreOptions = {}): Promise<StoredBlob> {
      assertOpen();
      const size = byteLength(bytes);
      try {
        options.signal?.throwIfAborted();
        // Leaves are hashed while they are written (writeLeaf); the CID and the ciphertext hash
        // both come from those digests, so every byte is hashed once. Helia's blockstore gets
        // only the dag-pb nodes of blobs over 1 MiB.
        const { cid, ciphertextHash } = await importBlob(
          bytes,
          writeLeaf,
          helia.blockstore,
          options.signal ? { signal: options.signal } : {},
        );
        return { cid: cid.toString(), ciphertextHash, size };
      } catch (cause) {
        if (isAbort(cause, options.signal)) throw cause;
        throw new StorageUnavailableError(`Could not write ${size} bytes to the Helia store in ${directory}.`, {
          hint: "Check free disk space and permissions of the store directory.",
          cause,
        });
      }
    },

    async get(cid: string, options: BlobStoreOptions = {}): Promise<Uint8Array> {
      const parsed = parseBlobCid(cid);
      assertOpen();
      const root = parsed.toString();
      try {
        // Every block is checked against its CID as it is read (readBlob), so the blob is.
        return await readBlob(parsed, readBlock, options.signal ? { signal: options.signal } : {});
      } catch (cause) {
        if (isAbort(cause, options.signal)) throw cause;
        if (cause instanceof CidMismatchError) throw cause;
        if (cause instanceof BlockNotFoundError) {
          if (cause.cid === root) throw new BlockNotFoundError(root);
          throw new BlockNotFoundError(root, {
            details: `block ${cause.cid} of the blob's DAG is missing from this store`,
            cause,
          });
        }
        throw new StorageUnavailableError(`Could not read ${root} from the Helia store in ${directory}.`, {
          hint: "Check the store directory's permissions.",
          cause,
        });
      }
    },

    async has(cid: string): Promise<boolean> {
      const parsed = parseBlobCid(cid);
      assertOpen();
      return helia.blockstore.has(parsed);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (owned) await helia.stop();
    },
  };
}
