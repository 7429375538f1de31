import "server-only";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Address } from "viem";
import { isAddress, zeroAddress } from "viem";

/** What the browser needs to reach the deployment; sent to the client as plain JSON. */
export interface PublicConfig {
  /** EIP-155 chain id of the deployment. */
  chainId: number;
  /** Human name of that chain. */
  chainName: string;
  /** JSON-RPC URL the app reads the chain through (the wallet signs through its own). */
  rpcUrl: string;
  /** `ProviderRegistry` address. */
  providerRegistry: Address;
  /** `RecordRegistry` address. */
  recordRegistry: Address;
  /** `MonitoringRegistry` address; the zero address when the deployment has none. */
  monitoringRegistry: Address;
  /** `PeerValidation` address; the zero address when the deployment has none. */
  peerValidation: Address;
  /** Block of the deployment, decimal string (event queries start here). */
  deployedAtBlock: string;
}

const CHAIN_NAMES: Record<number, string> = {
  31337: "Local Hardhat chain",
  11155111: "Sepolia",
  80002: "Polygon Amoy",
};

/** The repository root (the app runs with `web/` as its working directory). */
export const repoRoot = path.resolve(process.cwd(), "..");

/** The deployment block as JSON holds it (a number or a decimal string), else "0" (search from genesis). */
function blockOf(value: unknown): string {
  return typeof value === "string" || typeof value === "number" ? String(value) : "0";
}

/**
 * Reads the deployment written by `meridian deploy` / the stack command:
 * `MERIDIAN_DEPLOYMENT` (default `<repo>/.meridian/deployment.json`). Returns null when there
 * is none yet, so the app can say how to deploy instead of failing.
 */
export async function loadPublicConfig(): Promise<PublicConfig | null> {
  const file = process.env.MERIDIAN_DEPLOYMENT ?? path.join(repoRoot, ".meridian", "deployment.json");
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(/*turbopackIgnore: true*/ file, "utf8"));
  } catch {
    return null;
  }
  const d = raw as Record<string, unknown>;
  const chainId = Number(d.chainId);
  if (
    !Number.isSafeInteger(chainId) ||
    typeof d.providerRegistry !== "string" ||
    !isAddress(d.providerRegistry) ||
    typeof d.recordRegistry !== "string" ||
    !isAddress(d.recordRegistry)
  )
    return null;
  return {
    chainId,
    chainName: process.env.MERIDIAN_CHAIN_NAME ?? CHAIN_NAMES[chainId] ?? `Chain ${chainId}`,
    rpcUrl: process.env.MERIDIAN_RPC_URL ?? "http://127.0.0.1:8545",
    providerRegistry: d.providerRegistry,
    recordRegistry: d.recordRegistry,
    monitoringRegistry:
      typeof d.monitoringRegistry === "string" && isAddress(d.monitoringRegistry) ? d.monitoringRegistry : zeroAddress,
    peerValidation:
      typeof d.peerValidation === "string" && isAddress(d.peerValidation) ? d.peerValidation : zeroAddress,
    deployedAtBlock: blockOf(d.deployedAtBlock),
  };
}
