/** Node-side helpers for the browser tests: the e2e deployment and SDK clients for dev accounts. */
import { existsSync, readdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createPublicClient, createWalletClient, http } from "viem";
import { hardhat } from "viem/chains";
import type { MeridianContext, MeridianDeployment } from "@meridian/sdk/chain";
import type { Browser, Page } from "@playwright/test";
import { admitProvider, getProvider } from "@meridian/sdk/chain";
import { ProviderKind, ProviderStatus } from "@meridian/sdk/chain";
import { createMeridianClient, type MeridianClient } from "@meridian/sdk";
import { createHttpStore } from "@meridian/sdk/storage/browser";
import { createUploadAuthorizer } from "@meridian/sdk/storage/browser";
import { devAccount, injectWallet, RPC_URL } from "./wallet.ts";

export const repoRoot = path.resolve(import.meta.dirname, "../..");
/**
 * Where the browser tests write their screenshots: `docs/screenshots/` (the README's pictures) only
 * when `UPDATE_SCREENSHOTS=1` is set, otherwise `web/e2e-results/screenshots/` (ignored by git), so
 * running the tests leaves a clean clone clean.
 */
export const screenshotDir =
  process.env.UPDATE_SCREENSHOTS === "1"
    ? path.join(repoRoot, "docs", "screenshots")
    : path.join(repoRoot, "web", "e2e-results", "screenshots");
export const SYNTHEA_DIR = path.resolve(repoRoot, "../shared/data/fhir/synthea/smart-on-fhir-r4");

/** The smallest shared Synthea bundle, or undefined when ../shared/data is absent. */
export function smallestSyntheaBundle(): string | undefined {
  if (!existsSync(SYNTHEA_DIR)) return undefined;
  const files = readdirSync(SYNTHEA_DIR)
    .filter((f) => f.endsWith(".json"))
    .map((f) => path.join(SYNTHEA_DIR, f));
  return files.sort((a, b) => statSync(a).size - statSync(b).size || a.localeCompare(b))[0];
}

/** Where the e2e stack's apps and Meridian nodes listen (`<data-dir>/stack.json`, written by scripts/stack.ts). */
export interface E2eStack {
  rpcUrl: string;
  /** Hospital A's app (the one every spec uses, on `E2E_PORT`), then hospital B's (on `E2E_PORT_B`). */
  apps: { url: string; ipfsDir: string; nodes: string[] }[];
  /** Hospital A's and hospital B's node. */
  nodes: string[];
}

/** The e2e stack's {@link E2eStack} description. */
export async function e2eStack(): Promise<E2eStack> {
  return JSON.parse(await readFile(path.join(repoRoot, ".meridian/e2e/stack.json"), "utf8")) as E2eStack;
}

export async function deployment(): Promise<MeridianDeployment> {
  const file = await readFile(path.join(repoRoot, ".meridian/e2e/deployment.json"), "utf8");
  // JSON has no bigint: the deployment file holds the block number as a string
  const raw = JSON.parse(file) as Omit<MeridianDeployment, "deployedAtBlock"> & { deployedAtBlock: string };
  return { ...raw, deployedAtBlock: BigInt(raw.deployedAtBlock) };
}

const chain = { ...hardhat, rpcUrls: { default: { http: [RPC_URL] } } };

/** A chain context signing as dev account `index`. */
export async function contextFor(index: number): Promise<MeridianContext> {
  const publicClient = createPublicClient({ chain, transport: http(RPC_URL), pollingInterval: 50 });
  const walletClient = createWalletClient({
    account: devAccount(index),
    chain,
    transport: http(RPC_URL),
    pollingInterval: 50,
  });
  return { publicClient, walletClient, deployment: await deployment() };
}

/** An SDK client for dev account `index`, storing through the app's blob API (uploads signed in a session). */
export async function clientFor(index: number, baseURL: string) {
  const ctx = await contextFor(index);
  const domain = { chainId: ctx.deployment.chainId, recordRegistry: ctx.deployment.recordRegistry };
  const authorizer = createUploadAuthorizer({ walletClient: ctx.walletClient!, domain });
  return createMeridianClient({ ...ctx, store: createHttpStore({ baseUrl: `${baseURL}/api/blobs`, authorizer }) });
}

/** Dev account of the regulator in every browser test's deployment (the stack script's choice). */
export const REGULATOR_ACCOUNT = 1;

/**
 * A new browser context with the test wallet injected as dev account `index`, at `url`,
 * connected and signed in (the key-derivation signature given).
 */
export async function openSignedIn(browser: Browser, index: number, url: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  page.on("pageerror", (e) => console.log(`[browser ${index}] ${e.message}`));
  await injectWallet(page, index);
  await page.goto(url);
  await page.getByRole("button", { name: /Connect Meridian Test Wallet/ }).click();
  await page.getByRole("button", { name: "Sign to create my key" }).click();
  return page;
}

/** Dev account `index` as an admitted hospital with its key published (idempotent: once per chain). */
export async function admittedHospital(
  index: number,
  name: string,
  department: string,
  baseURL: string,
): Promise<MeridianClient> {
  const client = await clientFor(index, baseURL);
  if ((await getProvider(client.ctx, client.address)).status === ProviderStatus.None) {
    await admitProvider(await contextFor(REGULATOR_ACCOUNT), {
      provider: client.address,
      kind: ProviderKind.Hospital,
      name,
      department,
    });
  }
  if ((await getProvider(client.ctx, client.address)).keyVersion === 0) await client.publishProviderKey();
  return client;
}

/** One JSON-RPC call to the e2e chain (a Hardhat node: dev-only methods such as `hardhat_setBalance`). */
async function rpc(method: string, params: unknown[]): Promise<unknown> {
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method, params });
  const response = await fetch(RPC_URL, { method: "POST", headers: { "content-type": "application/json" }, body });
  const reply = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (reply.error) throw new Error(`${method}: ${reply.error.message}`);
  return reply.result;
}

/**
 * Gives dev account `index` 100 ETH on the e2e chain. The Hardhat node funds only accounts 0-19,
 * which the other specs already use; a spec that wants accounts of its own (20 and up) funds them.
 */
export async function fund(index: number): Promise<void> {
  await rpc("hardhat_setBalance", [devAccount(index).address, `0x${(100n * 10n ** 18n).toString(16)}`]);
}

/** Mines empty blocks until the chain's latest block is later than `seconds` (Unix time): an expiry has passed. */
export async function mineUntilAfter(seconds: number): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const block = (await rpc("eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
    if (Number(BigInt(block.timestamp)) > seconds) return;
    await new Promise((r) => setTimeout(r, 500));
    await rpc("evm_mine", []);
  }
  throw new Error(`The chain did not pass ${seconds} within a minute.`);
}
