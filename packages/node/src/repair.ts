/**
 * The node's repair job: for each blob some request holds pinned here, ask the other known
 * nodes whether they hold it (`HEAD /ipfs/{cid}?format=raw`, the Trustless Gateway); when fewer
 * than `replicas` nodes (this one included) do, ask nodes that do not to pin it
 * (Pinning Service API `POST /pins` with `origins` = this node's multiaddrs, so they fetch it from
 * here over bitswap), signing with the node's own account (a pinning access token). Nothing is
 * deleted. Each run returns a {@link RepairReport}.
 *
 * @module
 */

import { createWalletClient, custom, type Account } from "viem";
import {
  createGatewayReader,
  createPinningAccessToken,
  createPinningClient,
  type UploadDomain,
} from "@meridian/sdk/storage";
import type { MeridianContext } from "@meridian/sdk/chain";

/** What one repair run did. */
export interface RepairReport {
  /** Blobs pinned on this node that were checked. */
  checked: number;
  /** Blobs already on at least `replicas` nodes. */
  healthy: number;
  /** Pins this run obtained: blob and the node that pinned it. */
  repaired: { cid: string; node: string }[];
  /** Blobs still under-replicated, with the replicas counted and why each attempt failed. */
  failed: { cid: string; replicas: number; reasons: string[] }[];
  /** Nodes that could not be reached (skipped). */
  unreachable: string[];
}

/** What the repair job works with. */
export interface RepairOptions {
  chain: MeridianContext;
  /** Signs the pin requests; without it under-replicated blobs are only reported. */
  account: Account | undefined;
  /** The other nodes' URLs (this node's own URL is skipped). */
  peers: () => Promise<string[]>;
  selfUrl: string;
  replicas: number;
  /** The CIDs pinned here. */
  pinned: () => string[];
  multiaddrs: () => string[];
  /** How long to wait for one node's pin, in milliseconds. */
  pinTimeoutMs: number;
}

const TOKEN_SECONDS = 3600;

/** Returns `repairOnce()` over `options` (see the module's comment). */
export function createRepairJob(options: RepairOptions): () => Promise<RepairReport> {
  const domain: UploadDomain = {
    chainId: options.chain.deployment.chainId,
    recordRegistry: options.chain.deployment.recordRegistry,
  };
  let token: { value: string; until: number } | undefined;
  const accessToken = async (): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    if (token && token.until - 60 > now) return token.value;
    const walletClient = createWalletClient({
      account: options.account,
      transport: custom({ request: (args) => options.chain.publicClient.request(args as never) }),
    });
    const value = await createPinningAccessToken({ walletClient, domain, lifetimeSeconds: TOKEN_SECONDS, now });
    token = { value, until: now + TOKEN_SECONDS };
    return value;
  };

  return async () => {
    const self = options.selfUrl.replace(/\/+$/, "");
    const peers = [...new Set((await options.peers()).map((u) => u.replace(/\/+$/, "")))].filter((u) => u !== self);
    const report: RepairReport = { checked: 0, healthy: 0, repaired: [], failed: [], unreachable: [] };
    const down = new Set<string>();
    for (const cid of options.pinned()) {
      report.checked++;
      const missing: string[] = [];
      let holders = 1;
      for (const peer of peers) {
        if (down.has(peer)) continue;
        try {
          if (await createGatewayReader({ url: peer }).has(cid, { signal: AbortSignal.timeout(10_000) })) holders++;
          else missing.push(peer);
        } catch {
          down.add(peer);
        }
      }
      if (holders >= options.replicas) {
        report.healthy++;
        continue;
      }
      const reasons: string[] = [];
      if (!options.account) reasons.push("this node has no account to sign pin requests (start it with one)");
      for (const peer of options.account ? missing : []) {
        if (holders >= options.replicas) break;
        try {
          const pins = createPinningClient({ url: peer, accessToken });
          const request = await pins.addPin({ cid, origins: options.multiaddrs(), name: "meridian-repair" });
          if (request.status !== "pinned")
            await pins.waitForPin(request.requestid, { timeoutMs: options.pinTimeoutMs });
          holders++;
          report.repaired.push({ cid, node: peer });
        } catch (error) {
          reasons.push(`${peer}: ${error instanceof Error ? error.message.split("\n").join(" ") : String(error)}`);
        }
      }
      if (holders < options.replicas) {
        if (missing.length === 0) reasons.push(`no other reachable node to pin on (${peers.length} known)`);
        report.failed.push({ cid, replicas: holders, reasons });
      }
    }
    report.unreachable = [...down];
    return report;
  };
}
