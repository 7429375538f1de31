/**
 * How the CLI reaches a chain, an account and a blob store.
 *
 * - Chain: `--rpc-url` (default `MERIDIAN_RPC_URL`, else `http://127.0.0.1:8545`, i.e. `npx hardhat node`).
 * - Account: `--key-file FILE` (0x + 64 hex, readable by its owner only), `MERIDIAN_PRIVATE_KEY`
 *   (0x + 64 hex), or `MERIDIAN_MNEMONIC` with `--account-index`, or `--dev-account N`: Hardhat's
 *   well-known test mnemonic, refused on any chain but 31337. Keys are never printed or logged.
 * - Device key (the ECG roles `fog`, `edge`, `device`): `--key-file FILE` or `MERIDIAN_DEVICE_KEY`.
 * - Deployment: `--deployment FILE` (default `<data-dir>/deployment.json`, written by `deploy`).
 * - Event reads: `--log-range N` / `MERIDIAN_LOG_RANGE` (blocks per `eth_getLogs` to start at on an
 *   RPC that caps log ranges; without it the SDK narrows the range on the RPC's first refusal).
 * - Store: `--ipfs-url` / `MERIDIAN_IPFS_URL` (Kubo RPC), else Helia with blocks under `<data-dir>/ipfs`.
 * - Nodes: `--node URL` (repeatable) / `MERIDIAN_NODES` (comma-separated) and the registry's, with
 *   `--replicas N` (default 2) pins per write: see `nodes.ts`.
 *
 * @module
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  http,
  isAddress,
  isAddressEqual,
  zeroAddress,
  type Account,
  type Address,
  type Chain,
  type EIP1193Provider,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { mnemonicToAccount, privateKeyToAccount, type HDAccount, type PrivateKeyAccount } from "viem/accounts";
import { validateMnemonic } from "@scure/bip39";
import { wordlist as english } from "@scure/bip39/wordlists/english";
import { MeridianError } from "@meridian/sdk";
import type { MeridianDeployment } from "@meridian/sdk/chain";
import { monitoringRegistryAbi, providerRegistryAbi, recordRegistryAbi } from "@meridian/sdk/chain";
import { openBlobStore } from "@meridian/sdk/storage";
import type { BlobStore } from "@meridian/sdk/storage";
import { toFileAccessError } from "./files.ts";

/** Hardhat's public test mnemonic. Its accounts are funded on local chains only; never use it elsewhere. */
export const HARDHAT_TEST_MNEMONIC = "test test test test test test test test test test test junk";
/** Chain id of Hardhat's local chains. */
export const LOCAL_CHAIN_ID = 31337;

/** A CLI option or environment variable is missing or malformed. */
export class ConfigurationError extends MeridianError {
  override name: "ConfigurationError" | "NoAccountError" | "DeploymentMismatchError" = "ConfigurationError";
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
  /** Blocks per `eth_getLogs` to start at (`--log-range`, env MERIDIAN_LOG_RANGE), as typed. */
  logRange?: string;
  /** Meridian node base URLs named with `--node` (repeatable), before `MERIDIAN_NODES`. */
  node?: string[];
  /** `--replicas`: how many nodes must confirm each write (a whole number ≥ 1; default 2). */
  replicas?: string;
}

/**
 * The `--log-range` (or MERIDIAN_LOG_RANGE) value as a number of blocks, `undefined` when unset.
 *
 * @throws {ConfigurationError} when it is not a whole number of blocks of at least 1.
 */
export function parseLogRange(value: string | undefined): bigint | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  if (!/^\d+$/.test(value.trim()) || BigInt(value.trim()) < 1n)
    throw new ConfigurationError(`--log-range must be a whole number of blocks of at least 1; got "${value}".`, {
      hint: "Pass --log-range 1000 (or set MERIDIAN_LOG_RANGE=1000) for an RPC that caps eth_getLogs at 1,000 blocks.",
    });
  return BigInt(value.trim());
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
    throw new ConfigurationError(
      `Cannot reach the chain at ${"url" in source ? source.url : "the embedded provider"}.`,
      { cause, hint: "Start one with `npx hardhat node`, or pass --rpc-url." },
    );
  }
  const chain = defineChain({
    id,
    name: id === LOCAL_CHAIN_ID ? "Hardhat" : `chain ${id}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: ["url" in source ? source.url : "http://embedded"] } },
  });
  const local = id === LOCAL_CHAIN_ID;
  const publicClient = createPublicClient({ chain, transport, pollingInterval: local ? 20 : 2_000, cacheTime: 0 });
  return { chain, transport, publicClient };
}

/** A wallet client for `account` on `clients`. */
export function walletFor(clients: ChainClients, account: Account): WalletClient<Transport, Chain, Account> {
  return createWalletClient({
    account,
    chain: clients.chain,
    transport: clients.transport,
    pollingInterval: clients.publicClient.pollingInterval,
    cacheTime: 0,
  });
}

/** Account `index` of Hardhat's test mnemonic. Refused on chains other than 31337. */
export function devAccount(index: number, chainId: number): HDAccount {
  if (chainId !== LOCAL_CHAIN_ID)
    throw new ConfigurationError("Development accounts are for local chains (31337) only.", {
      hint: "Set MERIDIAN_PRIVATE_KEY or MERIDIAN_MNEMONIC for this network.",
    });
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
    throw new ConfigurationError(`No key file at ${file}.`, {
      cause,
      hint: "Pass the path of a file holding 0x and 64 hex digits.",
    });
  }
  if ((mode & 0o077) !== 0)
    throw new ConfigurationError(
      `The key file ${file} is open to other users (mode ${(mode & 0o777).toString(8).padStart(4, "0")}).`,
      { hint: `Restrict it to its owner: chmod 600 ${file}` },
    );
  const key = readFileSync(file, "utf8").trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(key))
    throw new ConfigurationError(`The key file ${file} does not hold a private key (0x followed by 64 hex digits).`, {
      hint: "Check the file (its content is not shown).",
    });
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
  if (!key)
    throw new ConfigurationError("No device key configured.", {
      hint: "Pass --key-file FILE (mode 0600) or set MERIDIAN_DEVICE_KEY.",
    });
  if (!/^0x[0-9a-fA-F]{64}$/.test(key.trim()))
    throw new ConfigurationError("MERIDIAN_DEVICE_KEY is not 0x followed by 64 hex digits.", {
      hint: "Check the variable (its value is not shown).",
    });
  return privateKeyToAccount(key.trim() as `0x${string}`);
}

/** The account the options and environment name. Never prints the secret. */
export function resolveAccount(options: GlobalOptions, chainId: number): Account {
  if (options.devAccount !== undefined) return devAccount(parseIndex(options.devAccount, "--dev-account"), chainId);
  if (options.keyFile !== undefined) return readKeyFile(options.keyFile);
  const key = process.env.MERIDIAN_PRIVATE_KEY;
  if (key) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(key))
      throw new ConfigurationError("MERIDIAN_PRIVATE_KEY is not 0x followed by 64 hex digits.", {
        hint: "Check the variable (its value is not shown).",
      });
    return privateKeyToAccount(key as `0x${string}`);
  }
  const mnemonic = process.env.MERIDIAN_MNEMONIC;
  if (mnemonic)
    return mnemonicAccount(mnemonic, parseIndex(options.accountIndex ?? "0", "--account-index"), "MERIDIAN_MNEMONIC");
  throw new NoAccountError("No account configured.", {
    hint: "Pass --key-file FILE, set MERIDIAN_PRIVATE_KEY or MERIDIAN_MNEMONIC, or pass --dev-account N on a local chain.",
  });
}

/**
 * Account `index` (BIP-44 path m/44'/60'/0'/0/index) of a BIP-39 English mnemonic, after checking
 * the mnemonic: 12, 15, 18, 21 or 24 words of the English wordlist whose checksum (the last
 * bits, SHA-256 of the entropy, BIP-39) matches. Without the check, a mistyped word derives a
 * different, empty account without any error. Words are split on any white space. The words are
 * never printed, only their positions.
 *
 * @param source - Where the mnemonic came from, for messages (e.g. `MERIDIAN_MNEMONIC`).
 * @throws {ConfigurationError} when the word count, a word or the checksum is wrong.
 */
export function mnemonicAccount(mnemonic: string, index: number, source: string): HDAccount {
  const words = mnemonic.normalize("NFKD").trim().toLowerCase().split(/\s+/).filter(Boolean);
  const hint = `Check ${source} against your written copy (its value is not shown).`;
  if (![12, 15, 18, 21, 24].includes(words.length)) {
    throw new ConfigurationError(`${source} has ${words.length} words; a BIP-39 mnemonic has 12, 15, 18, 21 or 24.`, {
      hint,
    });
  }
  const unknown = words.flatMap((w, i) => (english.includes(w) ? [] : [i + 1]));
  if (unknown.length > 0) {
    throw new ConfigurationError(
      `${source}: word${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} ${unknown.length > 1 ? "are" : "is"} not in the BIP-39 English wordlist.`,
      { hint },
    );
  }
  const sentence = words.join(" ");
  if (!validateMnemonic(sentence, english)) {
    throw new ConfigurationError(`${source} fails its BIP-39 checksum: a word is wrong or out of order.`, {
      hint: `${hint} A mnemonic that fails its checksum would open a different, empty account.`,
    });
  }
  return mnemonicToAccount(sentence, { addressIndex: index });
}

function parseIndex(value: string, flag: string): number {
  if (!/^\d{1,4}$/.test(value)) throw new ConfigurationError(`${flag} must be a whole number.`, { details: value });
  return Number(value);
}

/** Writes a deployment as JSON (bigints as strings). */
export async function saveDeployment(file: string, deployment: MeridianDeployment): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(
    file,
    JSON.stringify({ ...deployment, deployedAtBlock: deployment.deployedAtBlock.toString() }, null, 2) + "\n",
  );
}

/**
 * Reads a deployment written by {@link saveDeployment}.
 *
 * @throws {ConfigurationError} when the file is missing, not JSON, or a field is not a chain id or address.
 */
export async function loadDeployment(file: string): Promise<MeridianDeployment> {
  if (!existsSync(file))
    throw new ConfigurationError(`No deployment file at ${file}.`, {
      hint: "Run `meridian deploy` first, or pass --deployment FILE.",
    });
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  } catch (cause) {
    throw (
      toFileAccessError(cause, { purpose: "read", what: "deployment file", path: file }) ??
      new ConfigurationError(`The deployment file ${file} is not valid JSON.`, {
        cause,
        hint: "Write it again with `meridian deploy`, or pass another --deployment FILE.",
      })
    );
  }
  const fix = { hint: "Correct the file, write it again with `meridian deploy`, or pass another --deployment FILE." };
  const addressField = (name: string, optional: boolean): Address => {
    const value = raw[name];
    if (value === undefined && optional) return zeroAddress; // written before this contract existed
    if (typeof value !== "string" || !isAddress(value))
      throw new ConfigurationError(`The deployment file ${file} has no valid ${name} address.`, {
        details: `${name}: ${JSON.stringify(value)}`,
        ...fix,
      });
    return value;
  };
  const chainId = Number(raw.chainId);
  if (!Number.isSafeInteger(chainId) || chainId <= 0)
    throw new ConfigurationError(`The deployment file ${file} has no valid chainId.`, {
      details: `chainId: ${JSON.stringify(raw.chainId)}`,
      ...fix,
    });
  let deployedAtBlock: bigint;
  try {
    deployedAtBlock = BigInt((raw.deployedAtBlock as string | number | undefined) ?? 0);
  } catch (cause) {
    throw new ConfigurationError(`The deployment file ${file} has no valid deployedAtBlock.`, { cause, ...fix });
  }
  return {
    chainId,
    providerRegistry: addressField("providerRegistry", false),
    recordRegistry: addressField("recordRegistry", false),
    monitoringRegistry: addressField("monitoringRegistry", true),
    peerValidation: addressField("peerValidation", true),
    deployedAtBlock,
  };
}

/** A deployment names an address where the chain has no contract, or a contract that is not the one named. */
export class DeploymentMismatchError extends ConfigurationError {
  override name = "DeploymentMismatchError" as const;
}

/**
 * Checks a deployment against the chain before any command uses it: each named contract has code,
 * and answers its interface (`RecordRegistry.providerRegistry()` and `.peerValidation()` name the
 * deployment's other contracts, `ProviderRegistry.REGULATOR_ROLE()` answers, `MonitoringRegistry
 * .recordRegistry()` names the deployment's `RecordRegistry`), and the deployment block exists.
 * Without it, a wrong address reads as an empty history (`list` printed `[]`).
 * Costs 4 to 7 `eth_getCode`/`eth_call` requests.
 *
 * @param file - The deployment file, for messages.
 * @throws {DeploymentMismatchError} naming the contract and address that do not match.
 */
export async function checkDeployment(
  publicClient: PublicClient,
  deployment: MeridianDeployment,
  file: string,
): Promise<void> {
  const hint =
    "The file may be for another chain, or for a local chain that was restarted since: pass the matching --deployment and --rpc-url, or deploy again with `meridian deploy`.";
  const mismatch = (name: string, address: Address, what: string) =>
    new DeploymentMismatchError(`The deployment file ${file} names ${address} as ${name}, but ${what}.`, {
      details: `chain ${deployment.chainId}`,
      hint,
    });
  const contracts: [string, Address][] = [
    ["RecordRegistry", deployment.recordRegistry],
    ["ProviderRegistry", deployment.providerRegistry],
  ];
  if (BigInt(deployment.peerValidation) !== 0n) contracts.push(["PeerValidation", deployment.peerValidation]);
  if (BigInt(deployment.monitoringRegistry) !== 0n)
    contracts.push(["MonitoringRegistry", deployment.monitoringRegistry]);
  const codes = await Promise.all(contracts.map(([, address]) => publicClient.getCode({ address })));
  contracts.forEach(([name, address], i) => {
    if (!codes[i] || codes[i] === "0x")
      throw mismatch(name, address, "there is no contract at that address on this chain");
  });
  const read = async <T>(name: string, address: Address, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (cause) {
      throw Object.assign(mismatch(name, address, "the contract there does not answer as one"), { cause });
    }
  };
  const rr = deployment.recordRegistry;
  const [providerRegistry, peerValidation] = await Promise.all([
    read("RecordRegistry", rr, () =>
      publicClient.readContract({ address: rr, abi: recordRegistryAbi, functionName: "providerRegistry" }),
    ),
    read("RecordRegistry", rr, () =>
      publicClient.readContract({ address: rr, abi: recordRegistryAbi, functionName: "peerValidation" }),
    ),
    read("ProviderRegistry", deployment.providerRegistry, () =>
      publicClient.readContract({
        address: deployment.providerRegistry,
        abi: providerRegistryAbi,
        functionName: "REGULATOR_ROLE",
      }),
    ),
  ]);
  if (!isAddressEqual(providerRegistry, deployment.providerRegistry))
    throw mismatch(
      "ProviderRegistry",
      deployment.providerRegistry,
      `its RecordRegistry ${rr} uses ProviderRegistry ${providerRegistry}`,
    );
  if (BigInt(deployment.peerValidation) !== 0n && !isAddressEqual(peerValidation, deployment.peerValidation))
    throw mismatch(
      "PeerValidation",
      deployment.peerValidation,
      `its RecordRegistry ${rr} uses PeerValidation ${peerValidation}`,
    );
  if (BigInt(deployment.monitoringRegistry) !== 0n) {
    const mr = deployment.monitoringRegistry;
    const linked = await read("MonitoringRegistry", mr, () =>
      publicClient.readContract({ address: mr, abi: monitoringRegistryAbi, functionName: "recordRegistry" }),
    );
    if (!isAddressEqual(linked, rr)) throw mismatch("MonitoringRegistry", mr, `it belongs to RecordRegistry ${linked}`);
  }
  if (deployment.deployedAtBlock > (await publicClient.getBlockNumber())) {
    throw new DeploymentMismatchError(
      `The deployment file ${file} says it was deployed at block ${deployment.deployedAtBlock}, past this chain's latest block.`,
      { hint },
    );
  }
}

/** The blob store the options name: Kubo when a URL is given, else Helia under `<data-dir>/ipfs`. */
export function openStore(options: GlobalOptions): Promise<BlobStore> {
  const url = options.ipfsUrl ?? process.env.MERIDIAN_IPFS_URL;
  return url
    ? openBlobStore({ kind: "kubo", url })
    : openBlobStore({ kind: "helia", directory: path.join(options.dataDir, "ipfs") });
}
