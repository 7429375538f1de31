/**
 * Test kit: a real `hardhat node` (EDR behind JSON-RPC over HTTP) on a free loopback port, for
 * tests whose code under test runs in other processes (the `meridian` CLI) and so cannot share
 * the in-process chain of {@link startTestChain}. Nothing is deployed: the test deploys as its
 * users would. Same development accounts and chain id (31337) as the embedded chain.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { createPublicClient, createWalletClient, http, type Account } from "viem";
import type { MeridianContext, MeridianDeployment } from "../chain/types.ts";
import { testChainDefinition, toTestAccount, type TestAccountLike, type TestWalletClient } from "./chain.ts";

/** The repository root (the kit runs from its sources, in this repository only). */
export const REPOSITORY_ROOT = path.resolve(import.meta.dirname, "../../../..");

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** What {@link startHardhatNode} returns. */
export interface HardhatNode {
  /** JSON-RPC endpoint, `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** A viem public client over HTTP (polling every 20 ms). */
  publicClient: MeridianContext["publicClient"];
  /** A wallet client signing as `account`. */
  wallet: (account: Account) => TestWalletClient;
  /** A Meridian context writing as `account` (or development account `account`) on `deployment`. */
  as: (
    account: TestAccountLike,
    deployment: MeridianDeployment,
  ) => Required<Pick<MeridianContext, "publicClient" | "walletClient" | "deployment">>;
  /** Stops the node (SIGTERM) and waits for it to exit. */
  close: () => Promise<void>;
}

/**
 * Starts `hardhat node` on a free loopback port and waits (up to `timeoutMs`, default 60 s)
 * until it serves.
 *
 * @throws {Error} when the node exits or does not start in time.
 * @example
 * ```ts
 * const node = await startHardhatNode();
 * // run `meridian --rpc-url ${node.url} deploy` ...
 * await node.close();
 * ```
 */
export async function startHardhatNode(p: { timeoutMs?: number } = {}): Promise<HardhatNode> {
  const timeoutMs = p.timeoutMs ?? 60_000;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const hardhat = path.join(REPOSITORY_ROOT, "node_modules/.bin/hardhat");
  const child = spawn(hardhat, ["node", "--port", String(port), "--hostname", "127.0.0.1"], {
    cwd: REPOSITORY_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hardhat node did not start in ${timeoutMs} ms`)), timeoutMs);
      child.stdout.on("data", (d: Buffer) => {
        if (d.toString().includes("Started HTTP")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr.resume();
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`hardhat node exited with ${code}`));
      });
    });
  } catch (error) {
    child.kill();
    throw error;
  }
  child.stdout.resume();
  const transport = http(url);
  const publicClient = createPublicClient({ chain: testChainDefinition, transport, pollingInterval: 20, cacheTime: 0 });
  const wallet = (account: Account): TestWalletClient =>
    createWalletClient({ account, chain: testChainDefinition, transport, pollingInterval: 20, cacheTime: 0 });
  return {
    url,
    port,
    publicClient,
    wallet,
    as: (account, deployment) => ({ publicClient, walletClient: wallet(toTestAccount(account)), deployment }),
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill();
        await exited;
      }
    },
  };
}
