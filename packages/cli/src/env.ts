/**
 * How the CLI reaches a chain, an account and a blob store.
 *
 * - Chain: `--rpc-url` (default `MERIDIAN_RPC_URL`, else `http://127.0.0.1:8545`, i.e. `npx hardhat node`).
 * - Account: `--key-file FILE` (0x + 64 hex, readable by its owner only), `MERIDIAN_PRIVATE_KEY`
 *   (0x + 64 hex), or `MERIDIAN_MNEMONIC` with `--account-index`, or `--dev-account N`: Hardhat's
 *   well-known test mnemonic, refused on any chain but 31337. Keys are never printed or logged.
 * - Device key (the ECG roles `fog`, `edge`, `device`): `--key-file FILE` or `MERIDIAN_DEVICE_KEY`.
 * - Deployment: `--deployment FILE` (default `<data-dir>/deployment.json`, written by `deploy`).
 * - Store: `--ipfs-url` / `MERIDIAN_IPFS_URL` (Kubo RPC), else Helia with blocks under `<data-dir>/ipfs`.
 *
 * @module
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  createPublicClient, createWalletClient, custom, defineChain, http, zeroAddress,
  type Account, type Chain, type EIP1193Provider, type PublicClient, type Transport, type WalletClient,
} from "viem";
import { mnemonicToAccount, privateKeyToAccount, type HDAccount, type PrivateKeyAccount } from "viem/accounts";
import { MeridianError } from "@meridian/sdk/errors.ts";
import type { MeridianDeployment } from "@meridian/sdk/chain/types.ts";
import { openBlobStore } from "@meridian/sdk/storage/index.ts";
import type { BlobStore } from "@meridian/sdk/storage/types.ts";

/** Hardhat's public test mnemonic. Its accounts are funded on local chains only; never use it elsewhere. */
export const HARDHAT_TEST_MNEMONIC = "test test test test test test test test test test test junk";
/** Chain id of Hardhat's local chains. */
export const LOCAL_CHAIN_ID = 31337;

/** A CLI option or environment variable is missing or malformed. */
export class ConfigurationError extends MeridianError {
  override name: "ConfigurationError" | "NoAccountError" = "ConfigurationError";
}

/** No account is configured (no key, no mnemonic, no --dev-account). Read-only commands go on without one. */
export class NoAccountError extends ConfigurationError {
  override name = "NoAccountError" as const;
}

/** Options every command shares. */
export interface GlobalOptions {
  rpcUrl?: string;
  dataDir: string;
  deployment?: string;
  ipfsUrl?: string;
  accountIndex?: string;
  devAccount?: string;
  /** File holding the account's (or a device's) private key, mode 0600. */
  keyFile?: string;
}

/** A chain as viem clients. */
export interface ChainClients {
  chain: Chain;
  transport: Transport;
  publicClient: PublicClient<Transport, Chain>;
}

/** Clients over an EIP-1193 provider (the in-process EDR chain) or an HTTP RPC URL. */
export async function connectChain(source: { provider: EIP1193Provider } | { url: string }): Promise<ChainClients> {
  const transport = "provider" in source ? custom(source.provider) : http(source.url);
  const probe = createPublicClient({ transport });
  let id: number;
  try {
    id = await probe.getChainId();
  } catch (cause) {
    throw new ConfigurationError(`Cannot reach the chain at ${"url" in source ? source.url : "the embedded provider"}.`, { cause, hint: "Start one with `npx hardhat node`, or pass --rpc-url." });
  }
  const chain = defineChain({ id, name: id === LOCAL_CHAIN_ID ? "Hardhat" : `chain ${id}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: ["url" in source ? source.url : "http://embedded"] } } });
  const local = id === LOCAL_CHAIN_ID;
  const publicClient = createPublicClient({ chain, transport, pollingInterval: local ? 20 : 2_000, cacheTime: 0 });
  return { chain, transport, publicClient };
}

/** A wallet client for `account` on `clients`. */
export function walletFor(clients: ChainClients, account: Account): WalletClient<Transport, Chain, Account> {
  return createWalletClient({ account, chain: clients.chain, transport: clients.transport, pollingInterval: clients.publicClient.pollingInterval, cacheTime: 0 });
}

/** Account `index` of Hardhat's test mnemonic. Refused on chains other than 31337. */
export function devAccount(index: number, chainId: number): HDAccount {
  if (chainId !== LOCAL_CHAIN_ID) throw new ConfigurationError("Development accounts are for local chains (31337) only.", { hint: "Set MERIDIAN_PRIVATE_KEY or MERIDIAN_MNEMONIC for this network." });
  return mnemonicToAccount(HARDHAT_TEST_MNEMONIC, { addressIndex: index });
}

/**
 * The account whose private key is in `file`: `0x` and 64 hex digits (surrounding white space
 * ignored). The file must be readable and writable by its owner only (mode 0600 or 0400), as
 * OpenSSH requires of a key. Never prints the key.
 *
 * @throws {ConfigurationError} when the file is missing, open to group or others, or holds no key.
 */
export function readKeyFile(file: string): PrivateKeyAccount {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (cause) {
    throw new ConfigurationError(`No key file at ${file}.`, { cause, hint: "Pass the path of a file holding 0x and 64 hex digits." });
  }
  if ((mode & 0o077) !== 0) throw new ConfigurationError(`The key file ${file} is open to other users (mode ${(mode & 0o777).toString(8).padStart(4, "0")}).`, { hint: `Restrict it to its owner: chmod 600 ${file}` });
  const key = readFileSync(file, "utf8").trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new ConfigurationError(`The key file ${file} does not hold a private key (0x followed by 64 hex digits).`, { hint: "Check the file (its content is not shown)." });
  return privateKeyToAccount(key as `0x${string}`);
}

/**
 * The key of an ECG monitoring device (sensor, edge or fog relay): `--key-file FILE` (see
 * {@link readKeyFile}), else `MERIDIAN_DEVICE_KEY` (0x + 64 hex). Never prints the key.
 *
 * @throws {ConfigurationError} when neither is set or the key is malformed.
 */
export function deviceAccount(options: Pick<GlobalOptions, "keyFile">): PrivateKeyAccount {
  if (options.keyFile !== undefined) return readKeyFile(options.keyFile);
  const key = process.env.MERIDIAN_DEVICE_KEY;
  if (!key) throw new ConfigurationError("No device key configured.", { hint: "Pass --key-file FILE (mode 0600) or set MERIDIAN_DEVICE_KEY." });
  if (!/^0x[0-9a-fA-F]{64}$/.test(key.trim())) throw new ConfigurationError("MERIDIAN_DEVICE_KEY is not 0x followed by 64 hex digits.", { hint: "Check the variable (its value is not shown)." });
  return privateKeyToAccount(key.trim() as `0x${string}`);
}

/** The account the options and environment name. Never prints the secret. */
export function resolveAccount(options: GlobalOptions, chainId: number): Account {
  if (options.devAccount !== undefined) return devAccount(parseIndex(options.devAccount, "--dev-account"), chainId);
  if (options.keyFile !== undefined) return readKeyFile(options.keyFile);
  const key = process.env.MERIDIAN_PRIVATE_KEY;
  if (key) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new ConfigurationError("MERIDIAN_PRIVATE_KEY is not 0x followed by 64 hex digits.", { hint: "Check the variable (its value is not shown)." });
    return privateKeyToAccount(key as `0x${string}`);
  }
  const mnemonic = process.env.MERIDIAN_MNEMONIC;
  if (mnemonic) {
    try {
      return mnemonicToAccount(mnemonic.trim(), { addressIndex: parseIndex(options.accountIndex ?? "0", "--account-index") });
    } catch (cause) {
      throw new ConfigurationError("MERIDIAN_MNEMONIC is not a valid BIP-39 mnemonic.", { cause, hint: "Check the variable (its value is not shown)." });
    }
  }
  throw new NoAccountError("No account configured.", { hint: "Pass --key-file FILE, set MERIDIAN_PRIVATE_KEY or MERIDIAN_MNEMONIC, or pass --dev-account N on a local chain." });
}

function parseIndex(value: string, flag: string): number {
  if (!/^\d{1,4}$/.test(value)) throw new ConfigurationError(`${flag} must be a whole number.`, { details: value });
  return Number(value);
}

/** Writes a deployment as JSON (bigints as strings). */
export async function saveDeployment(file: string, deployment: MeridianDeployment): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify({ ...deployment, deployedAtBlock: deployment.deployedAtBlock.toString() }, null, 2) + "\n");
}

/** Reads a deployment written by {@link saveDeployment}. */
export async function loadDeployment(file: string): Promise<MeridianDeployment> {
  if (!existsSync(file)) throw new ConfigurationError(`No deployment file at ${file}.`, { hint: "Run `meridian deploy` first, or pass --deployment FILE." });
  try {
    const raw = JSON.parse(await readFile(file, "utf8")) as Record<string, string | number>;
    // A deployment written before MonitoringRegistry existed has none: the zero address.
    return { chainId: Number(raw.chainId), providerRegistry: raw.providerRegistry as `0x${string}`, recordRegistry: raw.recordRegistry as `0x${string}`, monitoringRegistry: (raw.monitoringRegistry ?? zeroAddress) as `0x${string}`, peerValidation: (raw.peerValidation ?? zeroAddress) as `0x${string}`, deployedAtBlock: BigInt(raw.deployedAtBlock ?? 0) };
  } catch (cause) {
    throw new ConfigurationError(`The deployment file ${file} is not valid JSON.`, { cause });
  }
}

/** The blob store the options name: Kubo when a URL is given, else Helia under `<data-dir>/ipfs`. */
export function openStore(options: GlobalOptions): Promise<BlobStore> {
  const url = options.ipfsUrl ?? process.env.MERIDIAN_IPFS_URL;
  return url ? openBlobStore({ kind: "kubo", url }) : openBlobStore({ kind: "helia", directory: path.join(options.dataDir, "ipfs") });
}
