/**
 * The stack's Meridian nodes (`./run stack -- --nodes`): hospital A's and hospital B's node
 * (`startMeridianNode` from `@meridian/node`) on 127.0.0.1, each with its own folder, peered with
 * each other for repair; and `<data-dir>/stack.json`, which says where the stack's apps and nodes
 * listen (the browser tests read it). Local development and tests only.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Chain, PublicClient, Transport } from "viem";
import type { MeridianDeployment } from "@meridian/sdk/chain";
import type { MeridianNode } from "@meridian/node";

/** The running nodes of {@link startStackNodes}. */
export interface StackNodes {
  /** Base URLs of hospital A's and hospital B's node, in that order. */
  urls: [string, string];
  /** Stops both nodes. */
  stop(): Promise<void>;
}

/** Parameters of {@link startStackNodes}. */
export interface StartStackNodesParameters {
  /** The stack's data folder; the nodes keep their blocks in `node-a/` and `node-b/` inside it. */
  dataDir: string;
  /** Reads the chain (the nodes check who uploads and pins). */
  publicClient: PublicClient<Transport, Chain | undefined>;
  deployment: MeridianDeployment;
}

/** Starts hospital A's and hospital B's node on 127.0.0.1 (any free ports) and returns their URLs. */
export async function startStackNodes(parameters: StartStackNodesParameters): Promise<StackNodes> {
  // loaded only with --nodes: libp2p is not needed by a stack without nodes
  const { startMeridianNode } = await import("@meridian/node");
  const start = (name: string) =>
    startMeridianNode({
      dataDir: path.join(parameters.dataDir, name),
      listen: { host: "127.0.0.1", port: 0 },
      publicClient: parameters.publicClient,
      deployment: parameters.deployment,
    });
  const started: MeridianNode[] = [];
  try {
    started.push(await start("node-a"));
    started.push(await start("node-b"));
  } catch (error) {
    await Promise.all(started.map((node) => node.stop()));
    throw error;
  }
  const [a, b] = started as [MeridianNode, MeridianNode];
  return {
    urls: [a.url, b.url],
    stop: async () => {
      await Promise.all([a.stop(), b.stop()]);
    },
  };
}

/** What `<data-dir>/stack.json` says (written once the apps answer). */
export interface StackFile {
  /** The chain's JSON-RPC URL. */
  rpcUrl: string;
  /** Each app: its URL, its own Helia folder and the nodes it names (`MERIDIAN_NODES`, its own first). */
  apps: { url: string; ipfsDir: string; nodes: string[] }[];
  /** The stack's Meridian nodes (hospital A's, hospital B's); empty without `--nodes`. */
  nodes: string[];
}

/** Writes {@link StackFile} `content` to `file` as JSON. */
export async function writeStackFile(file: string, content: StackFile): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(content, null, 2)}\n`);
}
