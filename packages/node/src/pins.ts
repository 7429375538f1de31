/**
 * The node's pinning service: the life of a pin request (IPFS Pinning Service API v1.0.0,
 * `queued` → `pinning` → `pinned` | `failed`).
 *
 * - A blob whose blocks the node already holds is checked and `pinned` at once.
 * - Otherwise the node dials the request's `origins` and fetches the DAG over bitswap (root
 *   first: a dag-pb root's UnixFS size is checked against `maxBlobBytes` and the account's quota
 *   before any leaf is fetched), every block verified against its CID, within `fetchTimeoutMs`.
 * - A pinned blob must be a Meridian envelope (`checkEnvelopeBytes`) within `maxBlobBytes` and the
 *   account's daily quota; otherwise the request ends `failed` (`info.status_details` says why)
 *   and the blocks it fetched are deleted unless another pin holds them.
 * - Helia's pins (`helia.pins`, in the datastore) keep one pin per CID while any request of any
 *   account holds it; removing the last request unpins the blob and deletes its blocks.
 * Work on one CID is serialised. Requests left `queued` or `pinning` by a stopped node resume at start.
 *
 * @module
 */

import { randomUUID } from "node:crypto";
import { decode as decodeDagPb } from "@ipld/dag-pb";
import { UnixFS } from "ipfs-unixfs";
import type { CID } from "multiformats/cid";
import {
  checkEnvelopeBytes,
  parseBlobCid,
  readBlob,
  type BlobStore,
  type BlockReader,
  type Pin,
} from "@meridian/sdk/storage";
import type { Address } from "viem";
import { Refusal } from "./auth.ts";
import type { IpfsNode } from "./ipfs.ts";
import { PinRecords, type PinRecord } from "./pin-records.ts";
import { QuotaExceededError, type DailyQuota, type QuotaReservation } from "./quota.ts";

const RAW = 0x55;
const DIAL_TIMEOUT_MS = 10_000;

/** What the pinning service works with. */
export interface PinServiceOptions {
  ipfs: IpfsNode;
  /** The node's blob store over the same Helia (`createHeliaStore({ directory, helia })`). */
  store: BlobStore;
  quota: DailyQuota;
  /** Largest blob accepted, in bytes. */
  maxBlobBytes: number;
  /** How long fetching one pin's DAG from its origins may take, in milliseconds. */
  fetchTimeoutMs: number;
  log: (line: string) => void;
}

/** A pin failed for a reason the requester should read (becomes `info.status_details`). */
class PinFailure extends Error {}

/** The pinning service; see the module's comment. */
export class PinService {
  readonly records: PinRecords;
  readonly #o: PinServiceOptions;
  readonly #serial = new Map<string, Promise<unknown>>();
  readonly #jobs = new Set<Promise<void>>();
  readonly #closing = new AbortController();

  constructor(options: PinServiceOptions) {
    this.#o = options;
    this.records = new PinRecords(options.ipfs.helia.datastore);
  }

  /** Loads the records and resumes requests a stopped node left `queued` or `pinning`. */
  async start(): Promise<void> {
    for (const record of await this.records.load()) {
      if (record.status === "queued" || record.status === "pinning") this.#spawn(record);
    }
  }

  /** Stops in-flight fetches (their requests resume at the next start) and waits for them. */
  async stop(): Promise<void> {
    this.#closing.abort(new Error("the node is stopping"));
    await Promise.allSettled([...this.#jobs]);
  }

  /** The CIDs of the blobs some request holds pinned. */
  pinnedCids(): string[] {
    return [
      ...new Set(
        this.records
          .all()
          .filter((r) => r.status === "pinned")
          .map((r) => r.pin.cid),
      ),
    ];
  }

  /** `account`'s request `requestid`. @throws {Refusal} 404 `NOT_FOUND`. */
  own(account: Address, requestid: string): PinRecord {
    const record = this.records.get(requestid);
    if (!record || record.account !== account.toLowerCase())
      throw new Refusal(
        404,
        "NOT_FOUND",
        `No pin request ${requestid.slice(0, 64)} of account ${account} on this node.`,
      );
    return record;
  }

  /**
   * `POST /pins`: a new request (or the account's existing live request for the same CID). Held
   * blobs are checked and pinned before this returns; others are fetched in the background.
   */
  async add(account: Address, pin: Pin): Promise<PinRecord> {
    const key = account.toLowerCase();
    const existing = this.records
      .all()
      .find((r) => r.account === key && r.pin.cid === pin.cid && r.status !== "failed");
    if (existing) return existing;
    const record: PinRecord = {
      requestid: randomUUID(),
      status: "queued",
      created: new Date().toISOString(),
      pin,
      delegates: this.#o.ipfs.multiaddrs(),
      info: {},
      account: key,
    };
    await this.records.save(record);
    const root = parseBlobCid(pin.cid);
    if (await this.#heldWhole(root)) await this.#process(record);
    else this.#spawn(record);
    return this.records.get(record.requestid) ?? record;
  }

  /** `DELETE /pins/{requestid}`: forgets the request; unpins and deletes the blob when no request holds it. */
  async remove(account: Address, requestid: string): Promise<void> {
    const record = this.own(account, requestid);
    await this.#one(record.pin.cid, async () => {
      await this.records.delete(requestid);
      const root = parseBlobCid(record.pin.cid);
      const held = this.records.all().some((r) => r.pin.cid === record.pin.cid && r.status === "pinned");
      if (held || !(await this.#o.ipfs.helia.pins.isPinned(root))) return;
      const blocks = await this.#dagBlocks(root);
      for await (const _ of this.#o.ipfs.helia.pins.rm(root)) {
        // walk the DAG to release each block's pin count
      }
      await this.#dropUnpinned(blocks);
    });
  }

  /**
   * Holds `bytes` of `account`'s daily quota for an upload.
   * @throws {QuotaExceededError} when it would pass the quota.
   */
  reserveQuota(account: Address, bytes: number): Promise<QuotaReservation> {
    return this.#o.quota.reserve(account, bytes);
  }

  /** Records an upload the node stored as pinned for `account` (`POST /blobs`). */
  async recordUpload(account: Address, cid: string, size: number): Promise<void> {
    const key = account.toLowerCase();
    await this.#one(cid, async () => {
      await this.#pinInHelia(parseBlobCid(cid));
      if (this.records.all().some((r) => r.account === key && r.pin.cid === cid && r.status === "pinned")) return;
      await this.records.save({
        requestid: randomUUID(),
        status: "pinned",
        created: new Date().toISOString(),
        pin: { cid, name: "upload" },
        delegates: this.#o.ipfs.multiaddrs(),
        info: { size: String(size) },
        account: key,
      });
    });
  }

  #spawn(record: PinRecord): void {
    const job = this.#process(record).catch((error: unknown) => {
      this.#o.log(`pin ${record.pin.cid}: ${error instanceof Error ? error.message : String(error)}`);
    });
    this.#jobs.add(job);
    void job.finally(() => this.#jobs.delete(job));
  }

  /** Runs `task` after every earlier task on the same CID. */
  #one<T>(cid: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#serial.get(cid) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.catch(() => undefined);
    this.#serial.set(cid, settled);
    void settled.then(() => {
      if (this.#serial.get(cid) === settled) this.#serial.delete(cid);
    });
    return next;
  }

  async #process(record: PinRecord): Promise<void> {
    await this.#one(record.pin.cid, async () => {
      if (!this.records.get(record.requestid)) return; // removed meanwhile
      const root = parseBlobCid(record.pin.cid);
      const fetched: CID[] = [];
      let reservation: QuotaReservation | undefined;
      const signal = AbortSignal.any([this.#closing.signal, AbortSignal.timeout(this.#o.fetchTimeoutMs)]);
      try {
        if (!(await this.#heldWhole(root))) {
          await this.records.save({ ...record, status: "pinning" });
          await this.#dialOrigins(record.pin.origins ?? [], root);
        }
        const read = this.#reader(fetched, signal);
        const size = await this.#declaredSize(root, read);
        if (size > this.#o.maxBlobBytes)
          throw new PinFailure(`the blob is ${size} bytes, over this node's limit of ${this.#o.maxBlobBytes} bytes`);
        reservation = await this.#o.quota.reserve(record.account as Address, size);
        const bytes = await readBlob(root, read, { signal });
        const refusal = checkEnvelopeBytes(bytes);
        if (refusal) throw new PinFailure(`not a Meridian envelope: ${refusal.error}`);
        await this.#pinInHelia(root);
        await reservation.commit();
        reservation = undefined;
        await this.records.save({ ...record, status: "pinned", info: { size: String(bytes.length) } });
      } catch (error) {
        reservation?.release();
        if (this.#closing.signal.aborted) return; // resumes at the next start
        const why =
          error instanceof PinFailure || error instanceof QuotaExceededError
            ? error.message
            : signal.aborted
              ? `could not fetch the blob from its origins within ${this.#o.fetchTimeoutMs} ms`
              : `could not fetch or check the blob: ${error instanceof Error ? error.message : String(error)}`;
        await this.#dropUnpinned(fetched);
        if (this.records.get(record.requestid))
          await this.records.save({ ...record, status: "failed", info: { status_details: why } });
        this.#o.log(`pin ${record.pin.cid} for ${record.account} failed: ${why}`);
      }
    });
  }

  async #dialOrigins(origins: readonly string[], root: CID): Promise<void> {
    if (origins.length === 0) return; // peers already connected may have it
    const failures = await this.#o.ipfs.dial(origins, DIAL_TIMEOUT_MS);
    if (failures.length === origins.length && !(await this.#o.ipfs.readLocalBlock(root)))
      throw new PinFailure(`could not reach any origin: ${failures.join("; ")}`);
  }

  /** Reads blocks from disk, else over bitswap (remembering which were fetched). */
  #reader(fetched: CID[], signal: AbortSignal): BlockReader {
    return async (cid) => {
      const local = await this.#o.ipfs.readLocalBlock(cid);
      if (local) return local;
      const parts: Uint8Array[] = [];
      for await (const part of this.#o.ipfs.helia.blockstore.get(cid, { signal })) parts.push(part);
      fetched.push(cid);
      return parts.length === 1 ? parts[0]! : new Uint8Array(Buffer.concat(parts));
    };
  }

  /** The blob's size from its root: a raw block's length, or a dag-pb root's UnixFS file size. */
  async #declaredSize(root: CID, read: BlockReader): Promise<number> {
    const block = await read(root);
    if (root.code === RAW) return block.length;
    try {
      const node = decodeDagPb(block);
      return Number(UnixFS.unmarshal(node.Data ?? new Uint8Array()).fileSize());
    } catch {
      throw new PinFailure("the root block is not a UnixFS file node");
    }
  }

  /** Whether every block of the blob is on disk (without fetching). */
  async #heldWhole(root: CID): Promise<boolean> {
    try {
      await readBlob(root, async (cid) => {
        const block = await this.#o.ipfs.readLocalBlock(cid);
        if (!block) throw new PinFailure("missing");
        return block;
      });
      return true;
    } catch {
      return false;
    }
  }

  async #pinInHelia(root: CID): Promise<void> {
    try {
      await this.#o.ipfs.helia.pins.get(root);
      return; // already pinned as a root
    } catch {
      // not pinned yet
    }
    for await (const _ of this.#o.ipfs.helia.pins.add(root)) {
      // walks the DAG (all local by now) to count each block's pins
    }
  }

  /** The CIDs of the blob's blocks held on disk. */
  async #dagBlocks(root: CID): Promise<CID[]> {
    const blocks: CID[] = [];
    const walk = async (cid: CID): Promise<void> => {
      const block = await this.#o.ipfs.readLocalBlock(cid);
      if (!block) return;
      blocks.push(cid);
      if (cid.code === RAW) return;
      for (const link of decodeDagPb(block).Links) await walk(link.Hash);
    };
    await walk(root);
    return blocks;
  }

  /** Deletes those of `blocks` that no pin holds. */
  async #dropUnpinned(blocks: readonly CID[]): Promise<void> {
    for (const cid of blocks) {
      if (await this.#o.ipfs.helia.pins.isPinned(cid)) continue;
      try {
        await this.#o.ipfs.deleteLocalBlock(cid);
      } catch (error) {
        this.#o.log(
          `could not delete block ${cid.toString()}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }
}
