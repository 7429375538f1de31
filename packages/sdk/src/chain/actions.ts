/**
 * Plain-function actions on the Meridian contracts, in viem's style: each takes a
 * {@link MeridianContext} and its parameters, simulates before it writes (so a revert is
 * reported with its custom error before any gas is spent), waits for the receipt, and returns
 * the decoded outcome. Every failure is a {@link MeridianError}.
 *
 * This file holds deployment, providers, patients and records; grants and requests are in
 * `grants.ts`, the typed {@link read} and {@link write} in `contract.ts` (both re-exported here).
 *
 * @module
 */
import { encodeAbiParameters, getAddress, keccak256, slice, type Abi, type Address, type Hex, type Log } from "viem";
import { MeridianError } from "../errors.ts";
import {
  monitoringRegistryAbi,
  monitoringRegistryBytecode,
  providerRegistryAbi,
  providerRegistryBytecode,
  recordRegistryAbi,
  recordRegistryBytecode,
} from "../generated/contracts.ts";
import type { RecordCategory } from "../categories.ts";
import { toMeridianError } from "./errors.ts";
import { event, read, result, WalletRequiredError, write } from "./contract.ts";
import {
  isProviderKindCode,
  isProviderStatusCode,
  type MeridianContext,
  type MeridianDeployment,
  type ProviderKindCode,
  type ProviderStatusCode,
  type TransactionResult,
} from "./types.ts";

export * from "./contract.ts";
export * from "./grants.ts";

// ------------------------------------------------------------------ deploy

/** Parameters of {@link deployMeridian}. */
export interface DeployMeridianParameters {
  /** Holder of `DEFAULT_ADMIN_ROLE` on the provider registry (a multisig/timelock in production). */
  admin: Address;
  /** Holder of `REGULATOR_ROLE`. */
  regulator: Address;
}

/**
 * Deploys `ProviderRegistry`, `RecordRegistry` (which deploys `PeerValidation` in its
 * constructor) and `MonitoringRegistry` from the wallet's account and returns where they are. Throws {@link MeridianError} when a deployment
 * transaction fails.
 */
export async function deployMeridian(
  ctx: Omit<MeridianContext, "deployment">,
  parameters: DeployMeridianParameters,
): Promise<MeridianDeployment> {
  const wallet = ctx.walletClient;
  if (!wallet) throw new WalletRequiredError("deploy");
  try {
    const deploy = async (abi: Abi, bytecode: Hex, args: readonly unknown[]) => {
      const hash = await wallet.deployContract({ abi, bytecode, args } as never);
      const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash });
      if (!receipt.contractAddress) throw new MeridianError(`Deployment transaction ${hash} created no contract.`);
      return receipt;
    };
    const registry = await deploy(providerRegistryAbi, providerRegistryBytecode, [
      parameters.admin,
      parameters.regulator,
    ]);
    const records = await deploy(recordRegistryAbi, recordRegistryBytecode, [registry.contractAddress]);
    const monitoring = await deploy(monitoringRegistryAbi, monitoringRegistryBytecode, [records.contractAddress]);
    const peerValidation = await read(ctx, {
      address: records.contractAddress!,
      abi: recordRegistryAbi,
      functionName: "peerValidation",
    });
    return {
      chainId: await ctx.publicClient.getChainId(),
      providerRegistry: registry.contractAddress!,
      recordRegistry: records.contractAddress!,
      monitoringRegistry: monitoring.contractAddress!,
      peerValidation,
      deployedAtBlock: registry.blockNumber,
    };
  } catch (error) {
    throw toMeridianError(error);
  }
}

// -------------------------------------------------------------- providers

/** Parameters of {@link admitProvider}. */
export interface AdmitProviderParameters {
  provider: Address;
  kind: ProviderKindCode;
  name: string;
  department: string;
}

/** Regulator only: admits a provider. Reverts: see `IProviderRegistry.admit`. */
export async function admitProvider(ctx: MeridianContext, p: AdmitProviderParameters): Promise<TransactionResult> {
  return result(
    await write(ctx, "admit", {
      address: ctx.deployment.providerRegistry,
      abi: providerRegistryAbi,
      functionName: "admit",
      args: [p.provider, p.kind, p.name, p.department],
    }),
  );
}

/** Regulator only: suspends, reinstates or removes a provider. */
export async function setProviderStatus(
  ctx: MeridianContext,
  p: { provider: Address; action: "suspend" | "reinstate" | "remove" },
): Promise<TransactionResult> {
  return result(
    await write(ctx, p.action, {
      address: ctx.deployment.providerRegistry,
      abi: providerRegistryAbi,
      functionName: p.action,
      args: [p.provider],
    }),
  );
}

/**
 * Provider only: publishes (or rotates) its X25519 public key (32 bytes, hex); the registry
 * increments the provider's `keyVersion`. Reverts `ProviderRegistryEncryptionKeyUnchanged` when
 * the key is already the current one.
 */
export async function setProviderEncryptionKey(
  ctx: MeridianContext,
  p: { encryptionKey: Hex },
): Promise<TransactionResult> {
  return result(
    await write(ctx, "set provider key", {
      address: ctx.deployment.providerRegistry,
      abi: providerRegistryAbi,
      functionName: "setEncryptionKey",
      args: [p.encryptionKey],
    }),
  );
}

/**
 * A provider's registry entry. Times in Unix seconds; `keyVersion` is 0 before the first key,
 * 1 for the first, +1 per rotation.
 */
export interface ProviderInfo {
  address: Address;
  /** The kind it was admitted as; 0 for an address never admitted. */
  kind: ProviderKindCode | 0;
  status: ProviderStatusCode;
  /** Unix seconds. */
  admittedAt: number;
  /** Unix seconds. */
  statusChangedAt: number;
  encryptionKey: Hex;
  keyVersion: number;
  name: string;
  department: string;
}

/**
 * Reads a provider's registry entry (status `ProviderStatus.None` and kind 0 when never admitted).
 *
 * @throws {MeridianError} when the registry returns a kind or status this SDK does not know (a
 *   registry of another version).
 */
export async function getProvider(ctx: MeridianContext, provider: Address): Promise<ProviderInfo> {
  const p = await read(ctx, {
    address: ctx.deployment.providerRegistry,
    abi: providerRegistryAbi,
    functionName: "getProvider",
    args: [provider],
  });
  const kind = p.kind;
  const status = p.status;
  if (!(kind === 0 || isProviderKindCode(kind)) || !isProviderStatusCode(status)) {
    throw new MeridianError(`The provider registry returned an unknown kind (${kind}) or status (${status}).`, {
      hint: "Check that the deployment file names a ProviderRegistry of this Meridian version.",
    });
  }
  return {
    address: provider,
    kind,
    status,
    admittedAt: Number(p.admittedAt),
    statusChangedAt: Number(p.statusChangedAt),
    encryptionKey: p.encryptionKey,
    keyVersion: Number(p.keyVersion),
    name: p.name,
    department: p.department,
  };
}

/** One `ProviderEncryptionKeySet` event: which key a provider published, as which version, in which block. */
export interface ProviderKeyEvent {
  provider: Address;
  encryptionKey: Hex;
  keyVersion: number;
  blockNumber: bigint;
}

/**
 * The keys `provider` has published, oldest first (one `eth_getLogs` from the deployment
 * block to `options.toBlock`, default the latest). Tells which key version a grant issued in a
 * given block was wrapped to.
 */
export async function listProviderKeyEvents(
  ctx: MeridianContext,
  provider: Address,
  options: { toBlock?: bigint } = {},
): Promise<ProviderKeyEvent[]> {
  try {
    const logs = await ctx.publicClient.getContractEvents({
      address: ctx.deployment.providerRegistry,
      abi: providerRegistryAbi,
      eventName: "ProviderEncryptionKeySet",
      args: { provider },
      fromBlock: ctx.deployment.deployedAtBlock,
      toBlock: options.toBlock ?? "latest",
      strict: true,
    });
    return logs.map((log) => ({
      provider: log.args.provider,
      encryptionKey: log.args.encryptionKey,
      keyVersion: Number(log.args.keyVersion),
      blockNumber: log.blockNumber ?? 0n,
    }));
  } catch (error) {
    throw toMeridianError(error);
  }
}

/**
 * Every provider ever admitted, with its current registry entry, oldest first. Reads the
 * `ProviderAdmitted` logs from the deployment block (one `eth_getLogs`), then one
 * `getProvider` per provider: a directory view, so it grows with the number of providers.
 */
export async function listProviders(ctx: MeridianContext): Promise<ProviderInfo[]> {
  try {
    const logs = await ctx.publicClient.getContractEvents({
      address: ctx.deployment.providerRegistry,
      abi: providerRegistryAbi,
      eventName: "ProviderAdmitted",
      fromBlock: ctx.deployment.deployedAtBlock,
    });
    const addresses = new Set<Address>(); // checksummed, in order of first admission
    for (const log of logs) {
      const provider = (log.args as { provider?: Address }).provider;
      if (provider) addresses.add(getAddress(provider));
    }
    return await Promise.all([...addresses].map((a) => getProvider(ctx, a)));
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** Whether `account` holds the provider registry's `REGULATOR_ROLE` (OpenZeppelin AccessControl). */
export async function isRegulator(ctx: MeridianContext, account: Address): Promise<boolean> {
  const registry = { address: ctx.deployment.providerRegistry, abi: providerRegistryAbi } as const;
  const role = await read(ctx, { ...registry, functionName: "REGULATOR_ROLE" });
  return read(ctx, { ...registry, functionName: "hasRole", args: [role, account] });
}

// --------------------------------------------------------------- patients

/** Registers the wallet's account as a patient with its X25519 public key (32 bytes, hex). */
export async function registerPatient(ctx: MeridianContext, p: { encryptionKey: Hex }): Promise<TransactionResult> {
  return result(
    await write(ctx, "register", {
      address: ctx.deployment.recordRegistry,
      abi: recordRegistryAbi,
      functionName: "register",
      args: [p.encryptionKey],
    }),
  );
}

/** A patient's on-chain entry. `registered` is false when the chain head is zero. */
export interface PatientInfo {
  address: Address;
  registered: boolean;
  encryptionKey: Hex;
  chainHead: Hex;
  keyEpoch: number;
}

/** Reads a patient's entry. */
export async function getPatient(ctx: MeridianContext, patient: Address): Promise<PatientInfo> {
  const p = await read(ctx, {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "getPatient",
    args: [patient],
  });
  return {
    address: patient,
    registered: BigInt(p.chainHead) !== 0n,
    encryptionKey: p.encryptionKey,
    chainHead: p.chainHead,
    keyEpoch: p.keyEpoch,
  };
}

// ---------------------------------------------------------------- records

/** Parameters of {@link anchorRecord}. */
export interface AnchorRecordParameters {
  patient: Address;
  cid: Hex /* binary CID */;
  ciphertextHash: Hex;
  category: RecordCategory;
  keyEpoch: number;
}

/** Anchors a stored ciphertext as a record of `patient`; returns its id. Reverts: see `IRecordRegistry.anchorRecord`. */
export async function anchorRecord(
  ctx: MeridianContext,
  p: AnchorRecordParameters,
): Promise<TransactionResult & { recordId: Hex; anchoredAt: number }> {
  const receipt = await write(ctx, "anchor record", {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "anchorRecord",
    args: [p.patient, p.cid, p.ciphertextHash, p.category, p.keyEpoch],
  });
  const log = event(receipt, "RecordAnchored");
  return { ...result(receipt), recordId: log.args.recordId, anchoredAt: Number(log.args.anchoredAt) };
}

/** A record's anchor as found in its `RecordAnchored` event, checked against storage. */
export interface RecordAnchor {
  recordId: Hex;
  patient: Address;
  author: Address;
  previousHead: Hex;
  category: RecordCategory;
  keyEpoch: number;
  anchoredAt: number;
  ciphertextHash: Hex;
  cid: Hex;
  blockNumber: bigint;
  transactionHash: Hex;
}

type AnchoredLog = Log<
  bigint,
  number,
  false,
  (typeof recordRegistryAbi)[number] & { type: "event"; name: "RecordAnchored" },
  true
>;

function toAnchor(log: {
  args: Record<string, unknown>;
  blockNumber: bigint | null;
  transactionHash: Hex | null;
}): RecordAnchor {
  const a = log.args as {
    recordId: Hex;
    patient: Address;
    author: Address;
    previousHead: Hex;
    category: number;
    keyEpoch: number;
    anchoredAt: number | bigint;
    ciphertextHash: Hex;
    cid: Hex;
  };
  return {
    recordId: a.recordId,
    patient: a.patient,
    author: a.author,
    previousHead: a.previousHead,
    category: a.category as RecordCategory,
    keyEpoch: a.keyEpoch,
    anchoredAt: Number(a.anchoredAt),
    ciphertextHash: a.ciphertextHash,
    cid: a.cid,
    blockNumber: log.blockNumber ?? 0n,
    transactionHash: log.transactionHash ?? "0x",
  };
}

/** Recomputes a record id from its anchor, as `RecordRegistry.computeRecordId`. */
export function computeRecordId(
  chainId: number,
  recordRegistry: Address,
  a: Omit<RecordAnchor, "recordId" | "blockNumber" | "transactionHash">,
): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "uint256" },
        { type: "address" },
        { type: "address" },
        { type: "bytes28" },
        { type: "address" },
        { type: "uint8" },
        { type: "uint32" },
        { type: "uint40" },
        { type: "bytes32" },
        { type: "bytes32" },
      ],
      [
        BigInt(chainId),
        recordRegistry,
        a.patient,
        a.previousHead,
        a.author,
        a.category,
        a.keyEpoch,
        a.anchoredAt,
        a.ciphertextHash,
        keccak256(a.cid),
      ],
    ),
  );
}

/**
 * `patient`'s chain head before its first record, `bytes28(keccak256(abi.encode(chainId,
 * recordRegistry, patient)))` (`IRecordRegistry.Patient`; the contract has no getter for it).
 * @example genesisHead(31337, deployment.recordRegistry, patient) // 0x… (28 bytes)
 */
export function genesisHead(chainId: number, recordRegistry: Address, patient: Address): Hex {
  return slice(
    keccak256(
      encodeAbiParameters(
        [{ type: "uint256" }, { type: "address" }, { type: "address" }],
        [BigInt(chainId), recordRegistry, patient],
      ),
    ),
    0,
    28,
  );
}

/** No record with this id is anchored (or its event does not match storage). */
export class RecordNotFoundError extends MeridianError {
  override name = "RecordNotFoundError" as const;
  constructor(recordId: Hex) {
    super("No record with this id is anchored on this network.", {
      details: `recordId ${recordId}`,
      hint: "Check the id with `meridian list` and that you are on the right network.",
    });
  }
}

/** The chain's events disagree with its storage: the RPC endpoint is faulty or lying. */
export class AnchorMismatchError extends MeridianError {
  override name = "AnchorMismatchError" as const;
}

/**
 * Finds record `recordId`'s `RecordAnchored` event, recomputes the id from the event's fields
 * and checks storage knows it; so the returned CID and ciphertext hash are the anchored ones.
 * Throws {@link RecordNotFoundError} or {@link AnchorMismatchError}.
 */
export async function getRecordAnchor(ctx: MeridianContext, recordId: Hex): Promise<RecordAnchor> {
  let logs: AnchoredLog[];
  try {
    logs = await ctx.publicClient.getContractEvents({
      address: ctx.deployment.recordRegistry,
      abi: recordRegistryAbi,
      eventName: "RecordAnchored",
      args: { recordId },
      fromBlock: ctx.deployment.deployedAtBlock,
      strict: true,
    });
  } catch (error) {
    throw toMeridianError(error);
  }
  const log = logs[0];
  if (!log) throw new RecordNotFoundError(recordId);
  const anchor = toAnchor(log);
  if (computeRecordId(ctx.deployment.chainId, ctx.deployment.recordRegistry, anchor) !== recordId) {
    throw new AnchorMismatchError("A RecordAnchored event does not hash to its record id.", {
      details: `recordId ${recordId}`,
      hint: "Use another RPC endpoint; this one returns altered logs.",
    });
  }
  return anchor;
}

/** Every record anchor of `patient`, oldest first. */
export async function listRecordAnchors(ctx: MeridianContext, patient: Address): Promise<RecordAnchor[]> {
  try {
    const logs = await ctx.publicClient.getContractEvents({
      address: ctx.deployment.recordRegistry,
      abi: recordRegistryAbi,
      eventName: "RecordAnchored",
      args: { patient },
      fromBlock: ctx.deployment.deployedAtBlock,
      strict: true,
    });
    return logs.map((l) => toAnchor(l as never));
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** Whether `reader` may read `recordId` now (`RecordRegistry.canRead`). */
export async function canRead(ctx: MeridianContext, reader: Address, recordId: Hex): Promise<boolean> {
  return read(ctx, {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "canRead",
    args: [reader, recordId],
  });
}

/** Whether `author` may anchor a `category` record of `patient` now (`RecordRegistry.canWrite`). */
export async function canWrite(
  ctx: MeridianContext,
  author: Address,
  patient: Address,
  category: RecordCategory,
): Promise<boolean> {
  return read(ctx, {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "canWrite",
    args: [author, patient, category],
  });
}

/** Outcome of {@link verifyPatientChain}. */
export interface ChainVerification {
  /** True when every link holds and the last record is the on-chain head. */
  valid: boolean;
  /** Records checked. */
  records: number;
  /** The on-chain head (bytes28). */
  head: Hex;
  /** What failed, by record index; empty when valid. */
  problems: { index: number; recordId: Hex; problem: string }[];
}

/**
 * Verifies `patient`'s hash chain from the events alone: every record id recomputes from its
 * fields, each `previousHead` is the previous record's id (the first one the genesis head), and
 * the last one is the head stored on chain. Anyone can run it; it needs no keys.
 */
export async function verifyPatientChain(ctx: MeridianContext, patient: Address): Promise<ChainVerification> {
  const [info, anchors] = await Promise.all([getPatient(ctx, patient), listRecordAnchors(ctx, patient)]);
  const problems: ChainVerification["problems"] = [];
  let expected: Hex = genesisHead(ctx.deployment.chainId, ctx.deployment.recordRegistry, patient);
  anchors.forEach((a, index) => {
    if (a.previousHead.toLowerCase() !== expected.toLowerCase())
      problems.push({ index, recordId: a.recordId, problem: "previousHead does not link to the previous record" });
    if (computeRecordId(ctx.deployment.chainId, ctx.deployment.recordRegistry, a) !== a.recordId)
      problems.push({ index, recordId: a.recordId, problem: "record id does not match its fields" });
    expected = a.recordId.slice(0, 58) as Hex;
  });
  if (info.chainHead.toLowerCase() !== expected.toLowerCase())
    problems.push({ index: anchors.length, recordId: "0x", problem: "the on-chain head is not the last record" });
  return { valid: info.registered && problems.length === 0, records: anchors.length, head: info.chainHead, problems };
}
