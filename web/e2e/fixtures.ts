/** Node-side helpers for the browser tests: the e2e deployment and SDK clients for dev accounts. */
import { existsSync, readdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createPublicClient, createWalletClient, http } from "viem";
import { hardhat } from "viem/chains";
import type { MeridianContext, MeridianDeployment } from "@meridian/sdk/chain/types.ts";
import { createMeridianClient } from "@meridian/sdk/client.ts";
import { createHttpStore } from "@meridian/sdk/storage/http.ts";
import { devAccount, RPC_URL } from "./wallet.ts";

export const repoRoot = path.resolve(import.meta.dirname, "../..");
export const screenshotDir = path.join(repoRoot, "docs", "screenshots");
export const SYNTHEA_DIR = path.resolve(repoRoot, "../shared/data/fhir/synthea/smart-on-fhir-r4");

/** The smallest shared Synthea bundle, or undefined when ../shared/data is absent. */
export function smallestSyntheaBundle(): string | undefined {
  if (!existsSync(SYNTHEA_DIR)) return undefined;
  const files = readdirSync(SYNTHEA_DIR).filter((f) => f.endsWith(".json")).map((f) => path.join(SYNTHEA_DIR, f));
  return files.sort((a, b) => statSync(a).size - statSync(b).size || a.localeCompare(b))[0];
}

export async function deployment(): Promise<MeridianDeployment> {
  const raw = JSON.parse(await readFile(path.join(repoRoot, ".meridian/e2e/deployment.json"), "utf8"));
  return { ...raw, deployedAtBlock: BigInt(raw.deployedAtBlock) };
}

const chain = { ...hardhat, rpcUrls: { default: { http: [RPC_URL] } } };

/** A chain context signing as dev account `index`. */
export async function contextFor(index: number): Promise<MeridianContext> {
  const publicClient = createPublicClient({ chain, transport: http(RPC_URL), pollingInterval: 50 });
  const walletClient = createWalletClient({ account: devAccount(index), chain, transport: http(RPC_URL), pollingInterval: 50 });
  return { publicClient, walletClient, deployment: await deployment() };
}

/** An SDK client for dev account `index`, storing through the app's own blob API. */
export async function clientFor(index: number, baseURL: string) {
  return createMeridianClient({ ...(await contextFor(index)), store: createHttpStore({ baseUrl: `${baseURL}/api/blobs` }) });
}
