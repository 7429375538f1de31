/**
 * `meridian node`: runs one organisation's long-lived Meridian node (`@meridian/node`): Helia
 * with libp2p and bitswap on `<data-dir>/ipfs`, the IPFS Trustless Gateway, the Pinning Service
 * API and authorised uploads on `--listen`, and periodic repair. Runs until SIGINT or SIGTERM.
 *
 * @module
 */
import type { Command } from "commander";
import { startMeridianNode } from "@meridian/node";
import { listProviderNodes } from "@meridian/sdk/chain";
import { ConfigurationError } from "../env.ts";
import { log } from "../output.ts";
import { wholeNumber } from "./arguments.ts";
import type { CommandKit } from "./kit.ts";

/** Options of `meridian node`, as commander passes them. */
interface NodeOptions {
  listen: string;
  p2pListen: string[];
  announce?: string;
  peer: string[];
  repairInterval: string;
  replicas: string;
  quotaBytes?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * `HOST:PORT` (IPv6 as `[::1]:4100`) as its parts.
 * @throws {ConfigurationError} when it is not that.
 */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[2]);
  if (!match || port > 65535) {
    throw new ConfigurationError(`--listen ${JSON.stringify(value)} is not HOST:PORT.`, {
      hint: "Pass --listen 0.0.0.0:4100 (every interface) or 127.0.0.1:0 (loopback, any free port).",
    });
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ""), port };
}

function httpUrl(value: string, option: string): string {
  let ok = false;
  try {
    ok = ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    ok = false;
  }
  if (!ok)
    throw new ConfigurationError(`${option} ${JSON.stringify(value)} is not an http(s) URL.`, {
      hint: `Pass ${option} http://node-b.example:4100, for example.`,
    });
  return value;
}

/** Registers `meridian node` on `program`. */
export function registerNodeCommand(program: Command, kit: CommandKit): void {
  program
    .command("node")
    .description(
      "run this organisation's Meridian node: IPFS (libp2p, bitswap) on <data-dir>/ipfs, the IPFS Trustless " +
        "Gateway, the Pinning Service API and uploads on --listen; repairs under-replicated blobs",
    )
    .option("--listen <host:port>", "where the HTTP API listens", "127.0.0.1:4100")
    .option("--p2p-listen <multiaddr>", "libp2p listen address (repeatable; default /ip4/<host>/tcp/0)", collect, [])
    .option("--announce <url>", "the URL other machines reach this node at (default http://<listen>)")
    .option("--peer <url>", "another node, checked and used for repair (repeatable)", collect, [])
    .option("--repair-interval <seconds>", "seconds between repair runs (0 = off)", "300")
    .option("--replicas <n>", "nodes (this one included) that should hold each blob pinned here", "2")
    .option("--quota-bytes <n>", "bytes each account may add per 24 h (default 536870912: 512 MiB)")
    .option("--json", "print the node's URL, peer id and multiaddrs as one JSON line")
    .action(
      kit.action(async (o: NodeOptions) => {
        const listen = parseListen(o.listen);
        const repairIntervalSeconds = wholeNumber(o.repairInterval, "--repair-interval", 0);
        const replicas = wholeNumber(o.replicas, "--replicas", 1);
        const quotaBytes = o.quotaBytes === undefined ? undefined : wholeNumber(o.quotaBytes, "--quota-bytes", 1);
        const peers = o.peer.map((peer) => httpUrl(peer, "--peer"));
        const announceUrl = o.announce === undefined ? undefined : httpUrl(o.announce, "--announce");
        const g = kit.globals();
        const ctx = await kit.context();
        const own = new Set<string>(announceUrl ? [announceUrl] : []);
        // Repair also asks every node the admitted providers published (ProviderRegistry, no eth_getLogs).
        const discoverPeers = async (): Promise<string[]> =>
          (await listProviderNodes(ctx))
            .flatMap((provider) => provider.endpoints)
            .map((url) => url.replace(/\/+$/, ""))
            .filter((url) => !own.has(url));
        const node = await startMeridianNode({
          dataDir: g.dataDir,
          listen,
          ...(o.p2pListen.length ? { p2pListen: o.p2pListen } : {}),
          ...(announceUrl ? { announceUrl } : {}),
          publicClient: ctx.publicClient,
          deployment: ctx.deployment,
          ...(ctx.walletClient ? { account: ctx.walletClient.account } : {}),
          peers,
          discoverPeers,
          replicas,
          repairIntervalSeconds,
          ...(quotaBytes === undefined ? {} : { quotaBytes }),
          log,
        });
        own.add(node.url.replace(/\/+$/, ""));
        const summary = { url: node.url, peerId: node.peerId, multiaddrs: node.multiaddrs };
        if (o.json) process.stdout.write(JSON.stringify(summary) + "\n");
        else {
          log(`meridian node listening on ${node.url}`);
          log(`peer id ${node.peerId}`);
          for (const address of node.multiaddrs) log(`libp2p ${address}`);
          if (!ctx.walletClient) log("no account configured: repair only reports under-replicated blobs");
        }
        await new Promise<void>((resolve) => {
          const stop = (signal: NodeJS.Signals) => {
            log(`${signal}: stopping`);
            process.off("SIGINT", stop);
            process.off("SIGTERM", stop);
            resolve();
          };
          process.on("SIGINT", stop);
          process.on("SIGTERM", stop);
        });
        await node.stop();
      }),
    );
}
