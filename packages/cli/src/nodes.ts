/**
 * Where the CLI keeps and finds record envelopes: this machine's store (`<data-dir>/ipfs`, or
 * Kubo at `--ipfs-url`) and Meridian nodes: those named with `--node URL` (repeatable) or
 * `MERIDIAN_NODES` (comma-separated), and those active providers publish in the registry
 * (`meridian provider set-node`). A write is stored here and pinned on `--replicas` nodes
 * (default 2) before it is anchored; with no node at all, it stays on this machine only, as
 * before, and the CLI says so. A read tries this machine, then the named nodes, the record
 * author's node, the reader's own node and every other provider's node, verifying every block.
 *
 * @module
 */
import type { Address } from "viem";
import type { MeridianContext } from "@meridian/sdk/chain";
import {
  createNodeClient,
  createPinningAccessToken,
  createReplicatedStore,
  createUploadAuthorizer,
  normalizeNodeUrl,
  resolveNodeUrls,
  type BlobStore,
  type NodeClient,
  type ReplicationProgress,
} from "@meridian/sdk/storage";
import { ConfigurationError, type GlobalOptions } from "./env.ts";

/** How many nodes must confirm each write when `--replicas` is not given. */
export const DEFAULT_REPLICAS = 2;

/**
 * The node URLs the user named: every `--node`, then `MERIDIAN_NODES` (comma-separated), in order,
 * normalised and without repeats.
 *
 * @throws {ConfigurationError} naming the malformed URL and where it came from.
 */
export function namedNodes(g: Pick<GlobalOptions, "node">, env: string | undefined = process.env.MERIDIAN_NODES) {
  const given = [
    ...(g.node ?? []).map((url) => ({ url, from: "--node" })),
    ...(env ?? "")
      .split(",")
      .map((url) => url.trim())
      .filter(Boolean)
      .map((url) => ({ url, from: "MERIDIAN_NODES" })),
  ];
  const urls: string[] = [];
  for (const { url, from } of given) {
    const normal = normalizeNodeUrl(url);
    if ("reason" in normal) {
      throw new ConfigurationError(`${from} ${JSON.stringify(url)} is not a Meridian node URL: ${normal.reason}.`, {
        hint: `Name a node by its http(s) base URL: ${from === "--node" ? "--node" : "MERIDIAN_NODES="}http://node.hospital.example:4100.`,
      });
    }
    if (!urls.includes(normal.url)) urls.push(normal.url);
  }
  return urls;
}

/** `--replicas` as a whole number ≥ 1 (default {@link DEFAULT_REPLICAS}). */
export function replicasOption(g: Pick<GlobalOptions, "replicas">): number {
  const value = g.replicas ?? String(DEFAULT_REPLICAS);
  if (!/^\d{1,3}$/.test(value.trim()) || Number(value) < 1) {
    throw new ConfigurationError("--replicas must be a whole number from 1 up.", {
      details: JSON.stringify(value),
      hint: "Pass --replicas 2 (the default: two nodes hold each record) or --replicas 1.",
    });
  }
  return Number(value);
}

/** Parameters of {@link openNodeDirectory}. */
export interface NodeDirectoryParameters {
  g: Pick<GlobalOptions, "node" | "replicas">;
  ctx: Pick<MeridianContext, "publicClient" | "walletClient" | "deployment">;
  /** Where warnings go (skipped registry endpoints). */
  log: (line: string) => void;
}

/** The nodes a command works with, and clients for them that sign as the command's account. */
export interface NodeDirectory {
  /** The URLs named with `--node` / `MERIDIAN_NODES`. */
  named: string[];
  /** `--replicas`. */
  replicas: number;
  /** Named nodes, then those of `prefer` (in order), then every other active provider's. */
  urls(prefer?: readonly Address[]): Promise<string[]>;
  /** A client for `url` (one per URL), uploading and pinning as the account when there is one. */
  client(url: string): NodeClient;
}

/**
 * The named nodes, the registry's (read when first asked, from contract storage), and clients
 * that sign uploads and pins as the context's account (one pinning token per command, signed
 * when first needed; no prompt with a local key).
 *
 * @throws {ConfigurationError} when `--node`, `MERIDIAN_NODES` or `--replicas` is malformed.
 */
export function openNodeDirectory({ g, ctx, log }: NodeDirectoryParameters): NodeDirectory {
  const named = namedNodes(g);
  const replicas = replicasOption(g);
  const wallet = ctx.walletClient;
  const domain = { chainId: ctx.deployment.chainId, recordRegistry: ctx.deployment.recordRegistry };
  const authorizer = wallet ? createUploadAuthorizer({ walletClient: wallet, domain }) : undefined;
  let token: Promise<string> | undefined;
  const accessToken = wallet ? () => (token ??= createPinningAccessToken({ walletClient: wallet, domain })) : undefined;
  const clients = new Map<string, NodeClient>();
  const warned = new Set<string>();
  return {
    named,
    replicas,
    urls: (prefer = []) =>
      resolveNodeUrls({
        named,
        publicClient: ctx.publicClient,
        deployment: ctx.deployment,
        prefer,
        onWarning: (message) => {
          if (warned.has(message)) return;
          warned.add(message);
          log(`warning: ${message}`);
        },
      }),
    client(url) {
      let client = clients.get(url);
      if (!client) {
        client = createNodeClient({ url, authorizer, accessToken });
        clients.set(url, client);
      }
      return client;
    },
  };
}

/** Parameters of {@link openNetworkStore}. */
export interface OpenNetworkStoreParameters extends NodeDirectoryParameters {
  /** This machine's store (Helia under `<data-dir>/ipfs`, or Kubo). */
  local: BlobStore;
  /** Where `local` keeps its blocks, for the "this machine only" notice. */
  localWhere: string;
  /** Told about each pin and read (progress). */
  onProgress?: (event: ReplicationProgress) => void;
}

/**
 * The CLI's blob store: `put` stores on this machine, then, when any node is named or published,
 * pins on `--replicas` of them and throws `ReplicationError` (nothing to anchor) when fewer
 * confirm; with no node anywhere it stores on this machine only and prints a one-line notice.
 * `get` reads this machine's store, then the named nodes, the author's, the reader's and every
 * other provider's node (asking the registry only when this machine lacks the blob).
 *
 * @throws {ConfigurationError} when `--node`, `MERIDIAN_NODES` or `--replicas` is malformed.
 */
export function openNetworkStore(p: OpenNetworkStoreParameters): BlobStore & { directory: NodeDirectory } {
  const directory = openNodeDirectory(p);
  const { local } = p;
  const me = p.ctx.walletClient?.account.address;
  const readNodes = async ({ prefer }: { prefer: readonly Address[] }) =>
    (await directory.urls([...prefer, ...(me ? [me] : [])])).map((url) => directory.client(url));
  const reader = createReplicatedStore({
    local,
    nodes: [],
    replicas: 1,
    readNodes,
    ...(p.onProgress ? { onProgress: p.onProgress } : {}),
  });
  let writer: Promise<BlobStore | undefined> | undefined;
  let noticed = false;
  const openWriter = async (): Promise<BlobStore | undefined> => {
    const urls = await directory.urls(me ? [me] : []);
    if (urls.length === 0) return undefined;
    return createReplicatedStore({
      local,
      nodes: urls.map((url) => directory.client(url)),
      replicas: directory.replicas,
      readNodes,
      ...(p.onProgress ? { onProgress: p.onProgress } : {}),
    });
  };
  return {
    kind: "replicated",
    directory,
    async put(bytes, options) {
      const store = await (writer ??= openWriter());
      if (store) return store.put(bytes, options);
      if (!noticed) {
        noticed = true;
        p.log(
          `notice: no Meridian node is named (--node) or published in the registry, so records are kept on this ` +
            `machine only (${p.localWhere})`,
        );
      }
      return local.put(bytes, options);
    },
    get: (cid, options) => reader.get(cid, options),
    has: (cid) => local.has(cid),
    close: () => local.close(),
  };
}
