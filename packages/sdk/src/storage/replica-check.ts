/**
 * How many Meridian nodes hold each blob, and repair: a blob held by fewer than the required
 * number of nodes is pinned on others (IPFS Pinning Service API, with the nodes that hold it as
 * `origins`, so the new node fetches it over bitswap), or uploaded from this machine's copy when
 * no node holds it any more. Browser-safe.
 *
 * @module
 */
import { hexToBytes, type Hex } from "viem";
import { CID } from "multiformats/cid";
import { failureReason } from "./replicated.ts";
import type { NodeClient } from "./node-client.ts";
import type { BlobStore } from "./types.ts";

/** The CIDv1 string (`bafy…`, `bafk…`) of a CID anchored on chain in binary (`RecordAnchor.cid`, hex). */
export function anchoredCidString(cid: Hex): string {
  return CID.decode(hexToBytes(cid)).toString();
}

/** One node's answer for one blob. */
export interface ReplicaState {
  /** The node's base URL. */
  url: string;
  /** `live`: the node holds the blob's root block; `missing`: it answered that it does not; `unreachable`: no answer. */
  state: "live" | "missing" | "unreachable";
  /** Why it is unreachable. */
  reason?: string;
}

/** One blob's replicas, as {@link checkReplicas} found them. */
export interface BlobReplicas {
  cid: string;
  /** Whether this machine's store holds it (undefined without a local store). */
  local?: boolean;
  /** How many nodes hold it. */
  live: number;
  /** Each node asked, in the order given. */
  nodes: ReplicaState[];
}

/** Parameters of {@link checkReplicas}. */
export interface CheckReplicasParameters {
  /** The blobs (CIDv1 strings). */
  cids: readonly string[];
  /** The nodes to ask (`HEAD /ipfs/{cid}` on each, in parallel per blob). */
  nodes: readonly NodeClient[];
  /** This machine's store, asked too (not counted as a replica). */
  local?: BlobStore | undefined;
}

/** Each blob's replicas, in the order of `cids`. */
export type CheckReplicasReturnType = BlobReplicas[];

/**
 * Asks every node whether it holds each blob (the root block, over the Trustless Gateway; no
 * bytes are downloaded). A node that does not answer is `unreachable`, never fatal.
 *
 * @example
 * ```ts
 * const [r] = await checkReplicas({ cids: [cid], nodes });
 * if (r.live < 2) console.log(`${cid}: only ${r.live} replica(s)`);
 * ```
 */
export async function checkReplicas(parameters: CheckReplicasParameters): Promise<CheckReplicasReturnType> {
  const out: BlobReplicas[] = [];
  for (const cid of parameters.cids) {
    const nodes = await Promise.all(
      parameters.nodes.map(async (node): Promise<ReplicaState> => {
        try {
          return { url: node.url, state: (await node.has(cid)) ? "live" : "missing" };
        } catch (error) {
          return { url: node.url, state: "unreachable", reason: failureReason(error) };
        }
      }),
    );
    const local = parameters.local ? await parameters.local.has(cid).catch(() => false) : undefined;
    out.push({
      cid,
      ...(local === undefined ? {} : { local }),
      live: nodes.filter((n) => n.state === "live").length,
      nodes,
    });
  }
  return out;
}

/** Parameters of {@link repairReplicas}. */
export interface RepairReplicasParameters {
  /** The blobs as {@link checkReplicas} found them. */
  blobs: readonly BlobReplicas[];
  /** The same nodes, as clients that may pin (with an access token) and upload (with an authorizer). */
  nodes: readonly NodeClient[];
  /** How many nodes should hold each blob. */
  replicas: number;
  /** This machine's store: the source when no node holds a blob any more. */
  local?: BlobStore | undefined;
  /** How long one pin may take, in milliseconds (default 120,000). */
  pinTimeoutMs?: number;
}

/** What {@link repairReplicas} did for one blob. */
export interface BlobRepair {
  cid: string;
  /** Replicas before and after. */
  before: number;
  after: number;
  /** Nodes it was pinned on now, and from where (`origins` multiaddrs, or `upload` from this machine). */
  pinned: { url: string; from: "origins" | "upload" }[];
  /** Nodes that refused or failed, with why. */
  failed: { url: string; reason: string }[];
}

/** One entry per blob that had fewer than `replicas`. */
export type RepairReplicasReturnType = BlobRepair[];

/**
 * Pins each under-replicated blob on nodes that lack it, until `replicas` hold it: with the
 * multiaddrs of the nodes that still hold it as `origins` (the new node fetches it over bitswap
 * and verifies it), or, when none does, by uploading this machine's copy. Never fatal: what could
 * not be done is listed in `failed`.
 *
 * @example
 * ```ts
 * const repaired = await repairReplicas({ blobs: await checkReplicas({ cids, nodes }), nodes, replicas: 2 });
 * ```
 */
export async function repairReplicas(parameters: RepairReplicasParameters): Promise<RepairReplicasReturnType> {
  const byUrl = new Map(parameters.nodes.map((n) => [n.url, n]));
  const infos = new Map<string, Promise<string[]>>();
  const multiaddrsOf = (node: NodeClient) => {
    let known = infos.get(node.url);
    if (!known) {
      known = node.info({ signal: AbortSignal.timeout(5_000) }).then(
        (i) => i.multiaddrs,
        () => [],
      );
      infos.set(node.url, known);
    }
    return known;
  };
  const repairs: BlobRepair[] = [];
  for (const blob of parameters.blobs) {
    if (blob.live >= parameters.replicas) continue;
    const holders = blob.nodes.filter((n) => n.state === "live").flatMap((n) => byUrl.get(n.url) ?? []);
    const targets = blob.nodes.filter((n) => n.state !== "live").flatMap((n) => byUrl.get(n.url) ?? []);
    const origins = (await Promise.all(holders.map(multiaddrsOf))).flat().slice(0, 20);
    const repair: BlobRepair = { cid: blob.cid, before: blob.live, after: blob.live, pinned: [], failed: [] };
    let bytes: Uint8Array | undefined;
    for (const target of targets) {
      if (repair.after >= parameters.replicas) break;
      try {
        let from: "origins" | "upload" = "origins";
        if (origins.length === 0) {
          if (!parameters.local) throw new Error("no node holds it and there is no copy on this machine");
          bytes ??= await parameters.local.get(blob.cid);
          await target.upload(bytes);
          from = "upload";
        }
        await target.pin(blob.cid, {
          ...(origins.length ? { origins } : {}),
          name: "meridian repair",
          ...(parameters.pinTimeoutMs === undefined ? {} : { timeoutMs: parameters.pinTimeoutMs }),
        });
        repair.pinned.push({ url: target.url, from });
        repair.after++;
      } catch (error) {
        repair.failed.push({ url: target.url, reason: failureReason(error) });
      }
    }
    repairs.push(repair);
  }
  return repairs;
}
