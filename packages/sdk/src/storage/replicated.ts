/**
 * A {@link BlobStore} over several Meridian nodes: a blob is durable before it is anchored
 * (uploaded to and pinned on `replicas` nodes, each pin confirmed `pinned` by the IPFS Pinning
 * Service API), and a read finds the bytes wherever they are (the local store, then each node's
 * Trustless Gateway in turn), every block verified against its CID, so a node that returns
 * wrong bytes is skipped. Browser-safe.
 *
 * @module
 */
import type { Address } from "viem";
import { MeridianError } from "../errors.ts";
import { computeBlobIdentity, joinBlob, parseBlobCid } from "./cid.ts";
import type { BlobBytes } from "./cid.ts";
import { BlockNotFoundError, CidMismatchError } from "./errors.ts";
import type { NodeClient } from "./node-client.ts";
import type { BlobStore, BlobStoreOptions, StoredBlob } from "./types.ts";

/** One node that did not take (or give) a blob, and why. */
export interface NodeFailure {
  /** The node's base URL. */
  url: string;
  /** Why, in one line (the error's short message). */
  reason: string;
  /** The error itself. */
  error: unknown;
}

/**
 * Fewer than the required number of nodes confirmed a pin: the blob is not durable, so the
 * caller must anchor nothing. `failures` names every node that failed, with its reason.
 */
export class ReplicationError extends MeridianError {
  override name = "ReplicationError" as const;
  /** The blob's CID. */
  readonly cid: string;
  /** Pins required. */
  readonly replicas: number;
  /** Nodes that confirmed `pinned`. */
  readonly pinned: string[];
  /** Nodes that failed, with their reasons. */
  readonly failures: NodeFailure[];
  constructor(p: { cid: string; replicas: number; pinned: string[]; failures: NodeFailure[]; tried: number }) {
    const failed = p.failures.map((f) => `${f.url}: ${f.reason}`);
    const short =
      p.tried < p.replicas && p.failures.length === 0
        ? `Only ${p.tried} Meridian node${p.tried === 1 ? " is" : "s are"} known; ${p.replicas} replicas are required.`
        : `Only ${p.pinned.length} of ${p.replicas} required nodes confirmed the pin; nothing was anchored.`;
    super(short, {
      details: [`blob ${p.cid}`, ...(p.pinned.length ? [`pinned on ${p.pinned.join(", ")}`] : []), ...failed].join(
        "; ",
      ),
      hint:
        "Start the failed nodes or name others that are up (`--node URL`, repeatable), or ask for fewer " +
        "replicas (`--replicas N`); then add the record again.",
    });
    this.cid = p.cid;
    this.replicas = p.replicas;
    this.pinned = p.pinned;
    this.failures = p.failures;
  }
}

/** What {@link createReplicatedStore} reports as it goes (for progress displays). */
export type ReplicationProgress =
  | { type: "pinned"; cid: string; url: string }
  | { type: "failed"; cid: string; url: string; reason: string }
  | { type: "read"; cid: string; source: string }
  | { type: "read-failed"; cid: string; source: string; reason: string };

/** What a store asks for the nodes to read `cid` from (after the local store). */
export interface ReadNodesRequest {
  cid: string;
  /** Accounts whose nodes most likely hold it ({@link BlobStoreOptions.prefer}: the author, the patient). */
  prefer: readonly Address[];
}

/** Parameters of {@link createReplicatedStore}. */
export interface CreateReplicatedStoreParameters {
  /** A store on this machine: written first by `put`, read first by `get`. */
  local?: BlobStore | undefined;
  /** The nodes to pin on, in order of preference; the first `replicas` that confirm are enough. */
  nodes: readonly NodeClient[];
  /** How many nodes must confirm each pin (≥ 1). */
  replicas: number;
  /**
   * The nodes to read from after `local`, in order (default: `nodes`); asked only when the local
   * store does not hold the blob, so a discovery that costs RPC calls is paid only then.
   */
  readNodes?: (request: ReadNodesRequest) => Promise<readonly NodeClient[]>;
  /** Told about each pin, failure and read. Must not throw. */
  onProgress?: (event: ReplicationProgress) => void;
}

/** Errors {@link createReplicatedStore}'s `put` throws; `get` throws `BlockNotFoundError` or `CidMismatchError`. */
export type CreateReplicatedStoreErrorType = ReplicationError | BlockNotFoundError | CidMismatchError;

/** One line for an error. */
export function failureReason(error: unknown): string {
  if (error instanceof MeridianError) {
    return error.details ? `${error.shortMessage} (${error.details})` : error.shortMessage;
  }
  return error instanceof Error ? error.message.split("\n")[0]! : String(error);
}

/**
 * Returns a {@link BlobStore} with `kind: "replicated"`.
 *
 * `put` computes the CID and ciphertext hash on this machine (storing in `local` when given),
 * then uploads to `replicas` nodes at once; a node that fails is replaced by the next of `nodes`
 * until `replicas` have confirmed a pin with status `pinned` (each pin names the other nodes'
 * multiaddrs as `origins`). With fewer, it throws {@link ReplicationError} naming every node
 * that failed and why: the caller anchors nothing.
 *
 * `get` reads `local`, then each node of `readNodes` (or `nodes`) in turn; every block is
 * verified against its CID, so a node returning wrong bytes is skipped like one that is down.
 * When none holds the blob it throws `BlockNotFoundError` (or `CidMismatchError` when a node
 * sent wrong bytes) whose details name each node tried and why it failed.
 *
 * @throws {MeridianError} when `replicas` is not a whole number ≥ 1.
 * @example
 * ```ts
 * const store = createReplicatedStore({ local, nodes: [hospitalA, hospitalB], replicas: 2 });
 * const { cid, ciphertextHash } = await store.put(envelope); // pinned on both, or ReplicationError
 * ```
 */
export function createReplicatedStore(parameters: CreateReplicatedStoreParameters): BlobStore {
  const { local, nodes, replicas } = parameters;
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new MeridianError(`A replicated store needs at least 1 replica, not ${replicas}.`, {
      hint: "Ask for 1 or more replicas.",
    });
  }
  const report = parameters.onProgress ?? (() => {});
  async function replicate(bytes: Uint8Array, cid: string, options: BlobStoreOptions) {
    const pinned: string[] = [];
    const failures: NodeFailure[] = [];
    const queue = [...new Map(nodes.map((n) => [n.url, n])).values()];
    const worker = async (): Promise<void> => {
      for (let node = queue.shift(); node; node = queue.shift()) {
        try {
          // A Meridian node answers `POST /blobs` 201 only once it stored the envelope and pinned
          // it for the uploader (NET-API §1), so the upload is the pin's confirmation: no second
          // round trip, and no pinning access token is needed (the web app's server has none).
          const stored = await node.upload(bytes, options);
          if (stored.cid !== cid) throw new CidMismatchError(cid, { details: `the node stored ${stored.cid}` });
          pinned.push(node.url);
          report({ type: "pinned", cid, url: node.url });
          return;
        } catch (error) {
          options.signal?.throwIfAborted();
          const reason = failureReason(error);
          failures.push({ url: node.url, reason, error });
          report({ type: "failed", cid, url: node.url, reason });
        }
      }
    };
    const tried = queue.length;
    await Promise.all(Array.from({ length: Math.min(replicas, queue.length) }, worker));
    if (pinned.length < replicas) throw new ReplicationError({ cid, replicas, pinned, failures, tried });
  }

  return {
    kind: "replicated",

    async put(blob: BlobBytes, options: BlobStoreOptions = {}): Promise<StoredBlob> {
      const bytes = joinBlob(blob); // one buffer for every upload (the parts may be released after put)
      let stored: StoredBlob;
      if (local) stored = await local.put(bytes, options);
      else {
        const identity = await computeBlobIdentity(bytes);
        stored = { cid: identity.cid.toString(), ciphertextHash: identity.ciphertextHash, size: bytes.length };
      }
      await replicate(bytes, stored.cid, options);
      return stored;
    },

    async get(cid: string, options: BlobStoreOptions = {}): Promise<Uint8Array> {
      const root = parseBlobCid(cid).toString();
      const failures: NodeFailure[] = [];
      const attempt = async (source: string, read: () => Promise<Uint8Array>) => {
        try {
          const bytes = await read();
          report({ type: "read", cid: root, source });
          return bytes;
        } catch (error) {
          options.signal?.throwIfAborted();
          const reason = failureReason(error);
          failures.push({ url: source, reason, error });
          report({ type: "read-failed", cid: root, source, reason });
          return undefined;
        }
      };
      if (local) {
        const bytes = await attempt("this machine", () => local.get(root, options));
        if (bytes) return bytes;
      }
      const readFrom = parameters.readNodes
        ? await parameters.readNodes({ cid: root, prefer: options.prefer ?? [] })
        : nodes;
      const seen = new Set<string>();
      for (const node of readFrom) {
        if (seen.has(node.url)) continue;
        seen.add(node.url);
        const bytes = await attempt(node.url, () => node.get(root, options));
        if (bytes) return bytes;
      }
      throw notFound(root, failures);
    },

    async has(cid: string): Promise<boolean> {
      const root = parseBlobCid(cid).toString();
      if (local && (await local.has(root).catch(() => false))) return true;
      for (const node of nodes) if (await node.has(root).catch(() => false)) return true;
      return false;
    },

    async close(): Promise<void> {
      await local?.close();
    },
  };
}

/** The error of a read that no source could serve: each source and why it failed. */
function notFound(cid: string, failures: NodeFailure[]): BlockNotFoundError | CidMismatchError {
  const details =
    failures.length === 0
      ? "no Meridian node is known to read from"
      : `tried ${failures.map((f) => `${f.url}: ${f.reason}`).join("; ")}`;
  const lied = failures.find((f) => f.error instanceof CidMismatchError);
  if (lied) return new CidMismatchError(cid, { details, cause: lied.error });
  return new BlockNotFoundError(cid, {
    details,
    hint:
      "Start the nodes that failed, or name a node that holds the record (`--node URL`); a node that " +
      "lost its copy is repaired from another with `meridian storage repair`.",
  });
}
