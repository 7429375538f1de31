/**
 * The demo's Meridian nodes (`demo --nodes N`): N hospital nodes in this process
 * (`startMeridianNode`: Helia with libp2p and bitswap under `<data-dir>/nodes/<i>`, the Trustless
 * Gateway and the Pinning Service API on 127.0.0.1), published in the registry by the demo's
 * providers, and each account's store over them: a record is pinned on `--replicas` nodes before
 * it is anchored, as the CLI does.
 *
 * @module
 */
import path from "node:path";
import { startMeridianNode, type MeridianNode } from "@meridian/node";
import { setNodeEndpoints, type MeridianContext, type MeridianDeployment } from "@meridian/sdk/chain";
import {
  createNodeClient,
  createPinningAccessToken,
  createReplicatedStore,
  createUploadAuthorizer,
  type BlobStore,
} from "@meridian/sdk/storage";
import { ConfigurationError } from "../env.ts";
import type { DemoLog } from "./report.ts";

/** The running demo nodes. */
export interface DemoNodes {
  /** Their base URLs. */
  urls: string[];
  /** `local` plus pins on `replicas` nodes, uploading and pinning as `ctx`'s account (`local` alone without one). */
  storeFor(ctx: MeridianContext, local: BlobStore): BlobStore;
  /** Stops every node. */
  close(): Promise<void>;
}

/** Parameters of {@link startDemoNodes}. */
export interface StartDemoNodesParameters {
  count: number;
  replicas: number;
  dataDir: string;
  publicClient: MeridianContext["publicClient"];
  deployment: MeridianDeployment;
  /** Providers that publish the nodes, one node each in turn. */
  publishers: MeridianContext[];
  run: DemoLog;
}

/**
 * Starts `count` nodes and has the providers publish them (`setNodeEndpoints`, gas in the report).
 *
 * @throws {ConfigurationError} when `replicas` exceeds `count`.
 */
export async function startDemoNodes(p: StartDemoNodesParameters): Promise<DemoNodes> {
  if (p.replicas > p.count) {
    throw new ConfigurationError(`--replicas ${p.replicas} needs at least that many nodes; --nodes is ${p.count}.`, {
      hint: `Pass --nodes ${p.replicas} or more, or --replicas ${p.count}.`,
    });
  }
  const nodes: MeridianNode[] = [];
  const close = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (let i = 0; i < p.count; i++) {
      nodes.push(
        await startMeridianNode({
          dataDir: path.join(p.dataDir, "nodes", String(i + 1)),
          listen: { host: "127.0.0.1", port: 0 },
          publicClient: p.publicClient,
          deployment: p.deployment,
          repairIntervalSeconds: 0,
          log: () => {},
        }),
      );
    }
    for (const [i, node] of nodes.entries()) {
      const publisher = p.publishers[i % p.publishers.length]!;
      const { gasUsed } = await setNodeEndpoints(publisher, { endpoints: [node.url] });
      p.run.gas("publish node endpoints", gasUsed);
    }
  } catch (error) {
    await close();
    throw error;
  }
  const urls = nodes.map((n) => n.url);
  return {
    urls,
    storeFor(ctx, local) {
      const walletClient = ctx.walletClient;
      if (!walletClient) return local;
      const domain = { chainId: ctx.deployment.chainId, recordRegistry: ctx.deployment.recordRegistry };
      const authorizer = createUploadAuthorizer({ walletClient, domain });
      let token: Promise<string> | undefined;
      const accessToken = () => (token ??= createPinningAccessToken({ walletClient, domain }));
      const clients = urls.map((url) => createNodeClient({ url, authorizer, accessToken }));
      const store = createReplicatedStore({ local, nodes: clients, replicas: p.replicas });
      return { ...store, close: async () => {} }; // the shared local store is closed by the network
    },
    close,
  };
}
