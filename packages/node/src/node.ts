/**
 * `startMeridianNode`: one organisation's long-lived Meridian node (see the package's README in
 * `docs/architecture.md` and NET-API): Helia with libp2p and bitswap on `<dataDir>/ipfs`, the HTTP
 * API of `routes.ts` on `listen`, and the periodic repair job of `repair.ts`.
 *
 * @module
 */

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Account, Chain, PublicClient, Transport } from "viem";
import { MeridianError } from "@meridian/sdk";
import type { MeridianDeployment } from "@meridian/sdk/chain";
import { createHeliaStore, DEFAULT_MAX_BLOB_BYTES } from "@meridian/sdk/storage";
import { AccessControl } from "./auth.ts";
import { sendResponse, toRequest } from "./http.ts";
import { startIpfsNode } from "./ipfs.ts";
import { PinService } from "./pins.ts";
import { DailyQuota } from "./quota.ts";
import { createRepairJob, type RepairReport } from "./repair.ts";
import { route } from "./routes.ts";

/** Default per-account quota: 512 MiB per rolling 24 h, in bytes. */
export const DEFAULT_NODE_QUOTA_BYTES = 512 * 1024 * 1024;

/** Parameters of {@link startMeridianNode}. */
export interface StartMeridianNodeParameters {
  /** The node's folder: blocks in `<dataDir>/ipfs/blocks` (the layout of `createHeliaStore`), pins and its libp2p key in `<dataDir>/ipfs/datastore`. */
  dataDir: string;
  /** Where the HTTP API listens; port 0 = any free port. */
  listen: { host: string; port: number };
  /** libp2p listen multiaddrs (default `/ip4/<listen.host>/tcp/0`). */
  p2pListen?: string[];
  /** The URL others reach this node at (default `http://<listen.host>:<port>`). */
  announceUrl?: string;
  /** Reads the chain: who may pin and upload (a registered patient or an active provider). */
  publicClient: PublicClient<Transport, Chain | undefined>;
  deployment: MeridianDeployment;
  /** The node's own account: signs the pin requests the repair job sends. */
  account?: Account;
  /** Other nodes' URLs, for repair. */
  peers?: string[];
  /** More node URLs, asked at each repair run (e.g. the provider registry's published nodes). */
  discoverPeers?: () => Promise<string[]>;
  /** How many nodes (this one included) should hold each blob pinned here (default 2). */
  replicas?: number;
  /** Seconds between repair runs (default 300; 0 = no periodic repair). */
  repairIntervalSeconds?: number;
  /** Bytes each account may add (uploads and pins) per rolling 24 h (default {@link DEFAULT_NODE_QUOTA_BYTES}). */
  quotaBytes?: number;
  /** Largest blob accepted, in bytes (default `DEFAULT_MAX_BLOB_BYTES`, about 85.4 MiB). */
  maxBlobBytes?: number;
  /** Seconds a pin may take to fetch its blob from its origins (default 120). */
  pinTimeoutSeconds?: number;
  /** Where the node reports what it does (default: stderr). */
  log?: (line: string) => void;
}

/** A running node. */
export interface MeridianNode {
  /** Its HTTP base URL (the announced one). */
  url: string;
  /** Its libp2p peer id (kept across restarts). */
  peerId: string;
  /** Its libp2p listen addresses with `/p2p/<peerId>`. */
  multiaddrs: string[];
  /** One repair run now (see `RepairReport`). */
  repairOnce(): Promise<RepairReport>;
  /** Stops the repair timer, the HTTP server (after requests in flight) and Helia. Idempotent. */
  stop(): Promise<void>;
}

/** Errors {@link startMeridianNode} throws. */
export type StartMeridianNodeErrorType = NodeConfigurationError | MeridianError;

/** A node parameter is out of range. */
export class NodeConfigurationError extends MeridianError {
  override name = "NodeConfigurationError" as const;
}

function check(ok: boolean, what: string, hint: string): void {
  if (!ok) throw new NodeConfigurationError(what, { hint });
}

/**
 * Starts a node: validates the parameters, opens Helia on `<dataDir>/ipfs` (an existing store of
 * `meridian` is served as it is), resumes unfinished pin requests, listens, and schedules repair.
 *
 * @throws {NodeConfigurationError} for a parameter out of range (port, replicas, quota, interval, URL).
 * @throws {MeridianError} when the store cannot be opened or the port is taken.
 * @example
 * ```ts
 * const node = await startMeridianNode({ dataDir: "/var/lib/meridian", listen: { host: "0.0.0.0", port: 4100 },
 *   publicClient, deployment, account, peers: ["http://node-b.example:4100"] });
 * console.log(node.url, node.peerId, node.multiaddrs);
 * ```
 */
export async function startMeridianNode(parameters: StartMeridianNodeParameters): Promise<MeridianNode> {
  const p = parameters;
  const replicas = p.replicas ?? 2;
  const interval = p.repairIntervalSeconds ?? 300;
  const quotaBytes = p.quotaBytes ?? DEFAULT_NODE_QUOTA_BYTES;
  const maxBlobBytes = p.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
  const pinTimeoutSeconds = p.pinTimeoutSeconds ?? 120;
  const log = p.log ?? ((line: string) => process.stderr.write(`meridian node: ${line}\n`));
  check(
    Number.isInteger(p.listen.port) && p.listen.port >= 0 && p.listen.port <= 65535,
    `Port ${p.listen.port} is not a TCP port.`,
    "Use 0 to 65535 (0 = any free port).",
  );
  check(
    Number.isInteger(replicas) && replicas >= 1 && replicas <= 16,
    `--replicas ${replicas} is out of range.`,
    "Use 1 to 16.",
  );
  check(
    Number.isInteger(interval) && interval >= 0,
    `--repair-interval ${interval} is not a whole number of seconds.`,
    "Use 0 (off) or more.",
  );
  check(
    Number.isSafeInteger(quotaBytes) && quotaBytes > 0,
    `--quota-bytes ${quotaBytes} is not a positive whole number.`,
    "Give bytes per account per day.",
  );
  check(
    Number.isSafeInteger(maxBlobBytes) && maxBlobBytes > 0,
    `The blob limit ${maxBlobBytes} is not a positive whole number.`,
    "Give a size in bytes.",
  );
  check(pinTimeoutSeconds > 0, `The pin timeout ${pinTimeoutSeconds} must be positive.`, "Give seconds.");
  for (const url of [...(p.peers ?? []), ...(p.announceUrl ? [p.announceUrl] : [])]) {
    let ok = false;
    try {
      ok = ["http:", "https:"].includes(new URL(url).protocol);
    } catch {
      ok = false;
    }
    check(ok, `"${url}" is not an http(s) URL.`, "Name nodes by their base URL, e.g. http://node-b.example:4100.");
  }

  const ipfs = await startIpfsNode(p.dataDir, p.p2pListen ?? [`/ip4/${p.listen.host}/tcp/0`]).catch(
    (cause: unknown) => {
      throw new MeridianError(`Could not start IPFS in ${path.join(p.dataDir, "ipfs")}.`, {
        hint: "Check that the folder is writable, not used by another running node, and the --p2p-listen addresses.",
        cause,
      });
    },
  );
  const chain = { publicClient: p.publicClient, deployment: p.deployment };
  const store = await createHeliaStore({ directory: path.join(p.dataDir, "ipfs"), helia: ipfs.helia });
  const pins = new PinService({
    ipfs,
    store,
    quota: new DailyQuota(path.join(p.dataDir, "node-quota.json"), quotaBytes),
    maxBlobBytes,
    fetchTimeoutMs: pinTimeoutSeconds * 1000,
    log,
  });
  await pins.start();
  let url = p.announceUrl?.replace(/\/+$/, "") ?? "";
  const context = {
    ipfs,
    store,
    pins,
    access: new AccessControl(chain),
    uploads: { maxBlobBytes },
    url: () => url,
    log,
  };
  const server: Server = createServer((incoming, response) => {
    const request = toRequest(incoming, response, url || "http://localhost");
    void route(context, request)
      .then((answer) => sendResponse(answer, incoming, response, request.method))
      .catch((error: unknown) => {
        log(`response failed: ${error instanceof Error ? error.message : String(error)}`);
        response.destroy();
      });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(p.listen.port, p.listen.host, () => resolve());
    });
  } catch (cause) {
    await pins.stop();
    await ipfs.stop();
    throw new MeridianError(`Could not listen on ${p.listen.host}:${p.listen.port}.`, {
      hint: "Choose a free port with --listen HOST:PORT (port 0 = any).",
      cause,
    });
  }
  const port = (server.address() as AddressInfo).port;
  const host = p.listen.host.includes(":") ? `[${p.listen.host}]` : p.listen.host;
  url ||= `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;

  const repairOnce = createRepairJob({
    chain,
    account: p.account,
    peers: async () => [...(p.peers ?? []), ...((await p.discoverPeers?.().catch(() => [])) ?? [])],
    selfUrl: url,
    replicas,
    pinned: () => pins.pinnedCids(),
    multiaddrs: () => ipfs.multiaddrs(),
    pinTimeoutMs: pinTimeoutSeconds * 1000,
  });
  let running: Promise<unknown> | undefined;
  const timer =
    interval > 0
      ? setInterval(() => {
          running ??= repairOnce()
            .then((r) => {
              if (r.repaired.length || r.failed.length || r.unreachable.length)
                log(
                  `repair: ${r.checked} checked, ${r.healthy} healthy, ${r.repaired.length} re-pinned, ` +
                    `${r.failed.length} still under-replicated, unreachable: ${r.unreachable.join(", ") || "none"}`,
                );
            })
            .catch((error: unknown) => log(`repair failed: ${error instanceof Error ? error.message : String(error)}`))
            .finally(() => (running = undefined));
        }, interval * 1000)
      : undefined;
  timer?.unref();

  let stopping: Promise<void> | undefined;
  return {
    url,
    peerId: ipfs.peerId,
    multiaddrs: ipfs.multiaddrs(),
    repairOnce,
    stop: () =>
      (stopping ??= (async () => {
        if (timer) clearInterval(timer);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await running;
        await pins.stop();
        await store.close();
        await ipfs.stop();
      })()),
  };
}
