/**
 * CAR responses of the node's Trustless Gateway
 * (https://specs.ipfs.tech/http-gateways/trustless-gateway/#car-responses-application-vnd-ipld-car):
 * the blocks of a blob's DAG in one streamed CARv1 (`@ipld/car`'s `CarWriter`), read from this
 * node's disk only, in depth-first order (`order=dfs`), each block once (`dups=n`) or at every
 * link to it (`dups=y`), the root block only for `dag-scope=block`. A few blocks are read ahead
 * while earlier ones are sent, so the disk and the socket work at the same time.
 *
 * The root block is read before anything is sent, so a blob this node does not hold is a 404. A
 * block missing further down is found only while streaming, after the 200: the stream then
 * errors, the HTTP response ends without its final chunk, and a client sees an incomplete CAR
 * (the spec's "Streaming and Missing Child Blocks").
 *
 * @module
 */

import { CarWriter } from "@ipld/car/writer";
import { decode as decodeDagPb } from "@ipld/dag-pb";
import type { CID } from "multiformats/cid";
import type { IpfsNode } from "./ipfs.ts";

const DAG_PB_CODEC = 0x70;
/** Blocks read from disk ahead of the one being sent. */
const READ_AHEAD = 4;
/** Small pieces of the CAR (section headers) are joined into writes of at least this many bytes, in bytes. */
const MIN_WRITE_BYTES = 64 * 1024;

/** What a CAR response carries (the negotiated request, see `gateway.ts`). */
export interface CarRequest {
  /** `dag-scope`: `block` sends the root block only; `entity` and `all` send the whole DAG of a UnixFS file. */
  scope: "block" | "entity" | "all";
  /** `dups`: `n` sends each block once, `y` at every link to it. */
  dups: "y" | "n";
}

/** A block of the DAG that this node does not hold: ends the CAR stream abnormally. */
export class MissingBlockError extends Error {
  override name = "MissingBlockError";
}

/** A block read (or being read) from disk. */
type Pending = Promise<{ bytes: Uint8Array | undefined } | { error: unknown }>;

const settle = (read: Promise<Uint8Array | undefined>): Pending =>
  read.then(
    (bytes) => ({ bytes }),
    (error: unknown) => ({ error }),
  );

/**
 * The blocks of the DAG under `root` (whose bytes are `rootBytes`) in depth-first order, the
 * links of each node read {@link READ_AHEAD} at a time.
 *
 * @throws {MissingBlockError} at a block this node does not hold; whatever the disk read throws.
 */
async function* walk(
  ipfs: IpfsNode,
  root: CID,
  rootBytes: Uint8Array,
  request: CarRequest,
  signal: AbortSignal,
): AsyncGenerator<{ cid: CID; bytes: Uint8Array }> {
  const sent = new Set<string>([root.toString()]);
  yield { cid: root, bytes: rootBytes };
  if (request.scope === "block") return;
  async function* children(parent: CID, bytes: Uint8Array): AsyncGenerator<{ cid: CID; bytes: Uint8Array }> {
    if (parent.code !== DAG_PB_CODEC) return;
    const links = decodeDagPb(bytes).Links.map((link) => link.Hash);
    const reads: Pending[] = [];
    let next = 0;
    const fill = (): void => {
      while (next < links.length && reads.length < READ_AHEAD) reads.push(settle(ipfs.readLocalBlock(links[next++]!)));
    };
    for (const cid of links) {
      signal.throwIfAborted();
      fill();
      const read = await reads.shift()!;
      if ("error" in read) throw read.error;
      if (read.bytes === undefined)
        throw new MissingBlockError(`block ${cid.toString()} of ${root.toString()} is not on this node`);
      if (request.dups === "n") {
        if (sent.has(cid.toString())) continue;
        sent.add(cid.toString());
      }
      yield { cid, bytes: read.bytes };
      yield* children(cid, read.bytes);
    }
  }
  yield* children(root, rootBytes);
}

/**
 * The CARv1 stream (roots `[root]`) of the DAG under `root`, whose root block `rootBytes` was
 * already read: small pieces are joined into writes of at least {@link MIN_WRITE_BYTES}, blocks
 * pass through without a copy. Errors (see {@link walk}) when a block is missing; stops reading
 * when `signal` aborts (the client left) or the consumer cancels.
 */
export function carStream(
  ipfs: IpfsNode,
  root: CID,
  rootBytes: Uint8Array,
  request: CarRequest,
  signal: AbortSignal,
): ReadableStream<Uint8Array> {
  const { writer, out } = CarWriter.create([root]);
  const blocks = walk(ipfs, root, rootBytes, request, signal);
  // The writer's puts resolve as the stream below takes their bytes; a failure goes to `feeding`.
  const feeding = (async () => {
    try {
      for await (const block of blocks) await writer.put(block);
    } finally {
      await writer.close();
    }
  })();
  feeding.catch(() => {}); // observed by the stream's pull below
  const pieces = out[Symbol.asyncIterator]();
  let small: Uint8Array[] = [];
  let smallBytes = 0;
  const flushSmall = (controller: ReadableStreamDefaultController<Uint8Array>): void => {
    if (smallBytes === 0) return;
    const joined = new Uint8Array(smallBytes);
    let offset = 0;
    for (const piece of small) {
      joined.set(piece, offset);
      offset += piece.length;
    }
    controller.enqueue(joined);
    small = [];
    smallBytes = 0;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        const next: IteratorResult<Uint8Array, unknown> = await pieces.next();
        if (next.done) {
          await feeding; // rethrows a missing block: the stream errors instead of closing
          flushSmall(controller);
          controller.close();
          return;
        }
        const piece = next.value;
        if (piece.length >= MIN_WRITE_BYTES) {
          flushSmall(controller);
          controller.enqueue(piece);
          return;
        }
        small.push(piece);
        smallBytes += piece.length;
        if (smallBytes >= MIN_WRITE_BYTES) {
          flushSmall(controller);
          return;
        }
      }
    },
    async cancel() {
      await blocks.return(undefined);
    },
  });
}
