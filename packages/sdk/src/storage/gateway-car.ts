/**
 * Receives a Trustless Gateway's CAR response (a CARv1 stream, decoded with `@ipld/car`) as a
 * {@link BlockReader} for `readBlob`, so a blob read from a CAR goes through the same checks as
 * one read block by block: every block hashed against its CID, the DAG's structure checked.
 * Nothing here trusts the gateway; this module only decides which bytes `readBlob` gets:
 *
 * - blocks are handed to `readBlob` as they arrive (a read waits for its block while the CAR is
 *   still streaming), so hashing overlaps receiving; a block nobody asked for yet is kept;
 * - once the CAR has ended (complete, cut off, or unreadable) a block it did not carry is
 *   fetched with the `fallback` reader (raw block requests), so an incomplete CAR costs only
 *   its missing blocks, and a gateway that also lacks them fails with `BlockNotFoundError`;
 * - {@link CarBlockSource.finish} fails with `CidMismatchError` when the CAR carried a block that
 *   is not part of the blob's DAG, or a second copy of a block that differs from its CID.
 *
 * Browser-safe.
 *
 * @module
 */

import { asyncIterableReader, readBlockHead, readHeader } from "@ipld/car/decoder";
import { equals } from "multiformats/bytes";
import type { CID } from "multiformats/cid";
import { parseBlobCid, sha256Bytes, type BlockReader } from "./cid.ts";
import { CidMismatchError } from "./errors.ts";

/** Bytes a CAR may hold in blocks received but not yet read before the rest is left to `fallback`, in bytes. */
const MAX_BUFFERED_BYTES = 128 * 1024 * 1024;

/** A CAR being received; see the module's comment. */
export interface CarBlockSource {
  /** Reads a block of the blob: from the CAR, waiting for it while the CAR streams, else from `fallback`. */
  read: BlockReader;
  /**
   * Waits for the end of the CAR, then checks it carried nothing beyond the blocks read.
   * @throws {CidMismatchError} for a block outside the blob's DAG or a differing duplicate.
   */
  finish(): Promise<void>;
  /** Stops receiving (after a failure); idempotent. */
  cancel(): void;
}

/** Parameters of {@link receiveCar}. */
export interface ReceiveCarParameters {
  /** The response body: a CARv1 stream. */
  body: ReadableStream<Uint8Array>;
  /** The blob's root CID (named in errors). */
  root: CID;
  /** Reads a block the CAR did not carry (a raw block request to the same gateway). */
  fallback: BlockReader;
  /** Largest block accepted, in bytes; a bigger one fails as `CidMismatchError`. */
  maxBlockBytes: number;
  /** Where the blocks come from, for error details (e.g. `the gateway http://…`). */
  source: string;
}

/** Starts receiving the CAR in `body` (see the module's comment). */
export function receiveCar(parameters: ReceiveCarParameters): CarBlockSource {
  const { root, fallback, maxBlockBytes, source } = parameters;
  const stream = parameters.body.getReader();
  const received = new Map<string, Uint8Array>(); // carried, not yet read
  const read = new Set<string>(); // handed to readBlob
  const waiting = new Map<string, { resolve: (bytes: Uint8Array | undefined) => void }[]>();
  const checks: Promise<void>[] = []; // duplicates being checked
  let bufferedBytes = 0;
  let ended = false; // no more blocks will come from the CAR
  let overflowed = false; // stopped early because too much was buffered: extra blocks are not checked
  let failure: CidMismatchError | undefined;

  const mismatch = (details: string): CidMismatchError =>
    new CidMismatchError(root.toString(), { details: `the CAR from ${source} ${details}` });

  const chunks = async function* (): AsyncGenerator<Uint8Array> {
    for (;;) {
      const { done, value } = await stream.read();
      if (done) return;
      yield value;
    }
  };

  const deliver = (cid: CID, bytes: Uint8Array): void => {
    const key = cid.toString();
    if (read.has(key) || received.has(key)) {
      // A duplicate: harmless if it is the same block; a lie otherwise.
      const first = received.get(key);
      checks.push(
        (first
          ? Promise.resolve(equals(first, bytes))
          : sha256Bytes(bytes).then((d) => equals(d, cid.multihash.digest))
        ).then((same) => {
          if (!same) failure ??= mismatch(`carries a second, different copy of block ${key}`);
        }),
      );
      return;
    }
    const waiters = waiting.get(key);
    if (waiters) {
      waiting.delete(key);
      read.add(key);
      for (const waiter of waiters) waiter.resolve(bytes);
      return;
    }
    received.set(key, bytes);
    bufferedBytes += bytes.length;
  };

  const pump = (async () => {
    try {
      const reader = asyncIterableReader(chunks());
      await readHeader(reader, 1); // the roots are not used (the spec says clients should ignore them)
      while ((await reader.upTo(8)).length > 0) {
        const head = await readBlockHead(reader);
        if (head.blockLength > maxBlockBytes) {
          failure ??= mismatch(
            `announces a ${head.blockLength}-byte block; Meridian's blocks are at most ${maxBlockBytes}`,
          );
          return;
        }
        let cid: CID;
        try {
          cid = parseBlobCid(head.cid.toString());
        } catch {
          failure ??= mismatch(`carries block ${head.cid.toString()}, which cannot be part of a Meridian blob`);
          return;
        }
        deliver(cid, await reader.exactly(head.blockLength, true));
        if (bufferedBytes > MAX_BUFFERED_BYTES) {
          overflowed = true;
          return;
        }
      }
    } catch {
      // Cut off, unreadable or aborted: whatever it did not carry is read through `fallback`.
    } finally {
      ended = true;
      stream.cancel().catch(() => {});
      for (const waiters of waiting.values()) for (const waiter of waiters) waiter.resolve(undefined);
      waiting.clear();
    }
  })();

  return {
    async read(cid) {
      const key = cid.toString();
      if (failure) throw failure;
      const bytes = received.get(key);
      if (bytes) {
        received.delete(key);
        bufferedBytes -= bytes.length;
        read.add(key);
        return bytes;
      }
      if (!ended && !read.has(key)) {
        const arrived = await new Promise<Uint8Array | undefined>((resolve) => {
          const waiters = waiting.get(key) ?? [];
          waiters.push({ resolve });
          waiting.set(key, waiters);
        });
        const failed = failure as CidMismatchError | undefined; // (set by the pump meanwhile)
        if (failed) throw failed;
        if (arrived) return arrived;
      }
      // Not in the CAR (or read before: a DAG that links one block twice): ask for it alone.
      return fallback(cid);
    },
    async finish() {
      await pump;
      await Promise.all(checks);
      if (failure) throw failure;
      if (!overflowed && received.size > 0)
        throw mismatch(
          `carries ${received.size} block(s) outside the blob's DAG, e.g. ${received.keys().next().value}`,
        );
    },
    cancel() {
      stream.cancel().catch(() => {});
    },
  };
}
