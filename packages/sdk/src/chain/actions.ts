/**
 * Plain-function actions on the Meridian contracts, in viem's style: each takes a
 * {@link MeridianContext} and its parameters, simulates before it writes (so a revert is
 * reported with its custom error before any gas is spent), waits for the receipt, and returns
 * the decoded outcome. Every failure is a {@link MeridianError}.
 *
 * @module
 */
import {
  encodeAbiParameters,
  formatLog,
  hexToString,
  numberToHex,
  keccak256,
  parseEventLogs,
  slice,
  toHex,
  type Abi,
  type Address,
  type ContractEventName,
  type Hex,
  type Log,
  type TransactionReceipt,
} from "viem";
import { MeridianError } from "../errors.ts";
import { monitoringRegistryAbi, monitoringRegistryBytecode, providerRegistryAbi, providerRegistryBytecode, recordRegistryAbi, recordRegistryBytecode } from "../generated/contracts.ts";
import type { RecordCategory } from "../categories.ts";
import { toMeridianError } from "./errors.ts";
import { Scope, type GrantScope, type MeridianContext, type MeridianDeployment, type ProviderKindCode, type ScopeCode, type TransactionEvent, type TransactionResult } from "./types.ts";

/** A write action was called on a context without a wallet client. */
export class WalletRequiredError extends MeridianError {
  override name = "WalletRequiredError" as const;
  constructor(action: string) {
    super(`${action} needs a wallet to sign with.`, { hint: "Set MERIDIAN_PRIVATE_KEY or MERIDIAN_MNEMONIC (with --account-index), or pass --dev-account N on a local chain." });
  }
}

/** Scope code and bytes32 target of a {@link GrantScope}. */
export function encodeScope(scope: GrantScope): { scope: ScopeCode; target: Hex } {
  switch (scope.kind) {
    case "record": return { scope: Scope.Record, target: scope.recordId };
    case "category": return { scope: Scope.Category, target: toHex(scope.category, { size: 32 }) };
    case "all": return { scope: Scope.All, target: toHex(0, { size: 32 }) };
  }
}

/** The {@link GrantScope} of a scope code and target as found in events. */
export function decodeScope(scope: number, target: Hex): GrantScope {
  if (scope === Scope.Record) return { kind: "record", recordId: target };
  if (scope === Scope.Category) return { kind: "category", category: Number(BigInt(target)) as RecordCategory };
  return { kind: "all" };
}

/** A grant's id, `keccak256(abi.encode(patient, grantee, scope, target))` (`IRecordRegistry.Grant`; the contract has no getter for it). */
export function grantIdOf(patient: Address, grantee: Address, scope: GrantScope): Hex {
  const { scope: code, target } = encodeScope(scope);
  return keccak256(encodeAbiParameters([{ type: "address" }, { type: "address" }, { type: "uint8" }, { type: "bytes32" }], [patient, grantee, code, target]));
}

/** A contract write as {@link write} takes it. */
export type WriteRequest = { address: Address; abi: Abi; functionName: string; args: readonly unknown[] };

let nextTransactionId = 1;

/**
 * Simulates, sends and waits for a contract write; returns the receipt. Reports each step to
 * `ctx.onTransaction` when set. Every failure is a {@link MeridianError} (reverts decoded by
 * `toMeridianError`).
 */
export async function write(ctx: MeridianContext, action: string, request: WriteRequest): Promise<TransactionReceipt> {
  const wallet = ctx.walletClient;
  if (!wallet) throw new WalletRequiredError(action);
  const id = nextTransactionId++;
  const report = (step: Omit<TransactionEvent, "id" | "action" | "at">): void => {
    try {
      ctx.onTransaction?.({ id, action, at: Date.now(), ...step });
    } catch {
      // an observer must never break a write
    }
  };
  let hash: Hex | undefined;
  try {
    report({ status: "simulating" });
    const { request: simulated } = await ctx.publicClient.simulateContract({ ...request, account: wallet.account } as never);
    report({ status: "signing" });
    // viem's simulateContract returns the request with the ABI cut down to the one function, so a
    // revert while sending (the chain moved on since the simulation: a later block time, another
    // transaction) could not be decoded and surfaced as a bare selector; send with the full ABI.
    hash = await wallet.writeContract({ ...(simulated as object), abi: request.abi } as never);
    report({ status: "pending", hash });
    const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new MeridianError(`${action}: the transaction ${hash} reverted.`, { hint: "Run it again to see the contract's reason." });
    report({ status: "confirmed", hash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber });
    return receipt;
  } catch (error) {
    const failure = toMeridianError(error);
    report({ status: "failed", ...(hash ? { hash } : {}), error: failure.shortMessage });
    throw failure;
  }
}

/** The {@link TransactionResult} of a receipt. */
export function result(receipt: TransactionReceipt): TransactionResult {
  return { hash: receipt.transactionHash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber };
}

/** The first `eventName` log of `RecordRegistry` in `receipt`, decoded; throws when there is none. */
export function event<const TName extends ContractEventName<typeof recordRegistryAbi>>(receipt: TransactionReceipt, eventName: TName) {
  const [log] = parseEventLogs({ abi: recordRegistryAbi, logs: receipt.logs, eventName });
  if (!log) throw new MeridianError(`The transaction ${receipt.transactionHash} emitted no ${eventName} event.`);
  return log;
}

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
export async function deployMeridian(ctx: Omit<MeridianContext, "deployment">, parameters: DeployMeridianParameters): Promise<MeridianDeployment> {
  const wallet = ctx.walletClient;
  if (!wallet) throw new WalletRequiredError("deploy");
  try {
    const deploy = async (abi: Abi, bytecode: Hex, args: readonly unknown[]) => {
      const hash = await wallet.deployContract({ abi, bytecode, args } as never);
      const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash });
      if (!receipt.contractAddress) throw new MeridianError(`Deployment transaction ${hash} created no contract.`);
      return receipt;
    };
    const registry = await deploy(providerRegistryAbi, providerRegistryBytecode, [parameters.admin, parameters.regulator]);
    const records = await deploy(recordRegistryAbi, recordRegistryBytecode, [registry.contractAddress]);
    const monitoring = await deploy(monitoringRegistryAbi, monitoringRegistryBytecode, [records.contractAddress]);
    const peerValidation = await ctx.publicClient.readContract({ address: records.contractAddress!, abi: recordRegistryAbi, functionName: "peerValidation" });
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
export interface AdmitProviderParameters { provider: Address; kind: ProviderKindCode; name: string; department: string }

/** Regulator only: admits a provider. Reverts: see `IProviderRegistry.admit`. */
export async function admitProvider(ctx: MeridianContext, p: AdmitProviderParameters): Promise<TransactionResult> {
  return result(await write(ctx, "admit", { address: ctx.deployment.providerRegistry, abi: providerRegistryAbi, functionName: "admit", args: [p.provider, p.kind, p.name, p.department] }));
}

/** Regulator only: suspends, reinstates or removes a provider. */
export async function setProviderStatus(ctx: MeridianContext, p: { provider: Address; action: "suspend" | "reinstate" | "remove" }): Promise<TransactionResult> {
  return result(await write(ctx, p.action, { address: ctx.deployment.providerRegistry, abi: providerRegistryAbi, functionName: p.action, args: [p.provider] }));
}

/**
 * Provider only: publishes (or rotates) its X25519 public key (32 bytes, hex); the registry
 * increments the provider's `keyVersion`. Reverts `ProviderRegistryEncryptionKeyUnchanged` when
 * the key is already the current one.
 */
export async function setProviderEncryptionKey(ctx: MeridianContext, p: { encryptionKey: Hex }): Promise<TransactionResult> {
  return result(await write(ctx, "set provider key", { address: ctx.deployment.providerRegistry, abi: providerRegistryAbi, functionName: "setEncryptionKey", args: [p.encryptionKey] }));
}

/**
 * A provider's registry entry. Times in Unix seconds; `keyVersion` is 0 before the first key,
 * 1 for the first, +1 per rotation.
 */
export interface ProviderInfo { address: Address; kind: number; status: number; admittedAt: number; statusChangedAt: number; encryptionKey: Hex; keyVersion: number; name: string; department: string }

/** Reads a provider's registry entry (status 0 when never admitted). */
export async function getProvider(ctx: MeridianContext, provider: Address): Promise<ProviderInfo> {
  try {
    const p = await ctx.publicClient.readContract({ address: ctx.deployment.providerRegistry, abi: providerRegistryAbi, functionName: "getProvider", args: [provider] });
    return { address: provider, kind: p.kind, status: p.status, admittedAt: Number(p.admittedAt), statusChangedAt: Number(p.statusChangedAt), encryptionKey: p.encryptionKey, keyVersion: Number(p.keyVersion), name: p.name, department: p.department };
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** One `ProviderEncryptionKeySet` event: which key a provider published, as which version, in which block. */
export interface ProviderKeyEvent { provider: Address; encryptionKey: Hex; keyVersion: number; blockNumber: bigint }

/**
 * The keys `provider` has published, oldest first (one `eth_getLogs` from the deployment
 * block to `options.toBlock`, default the latest). Tells which key version a grant issued in a
 * given block was wrapped to.
 */
export async function listProviderKeyEvents(ctx: MeridianContext, provider: Address, options: { toBlock?: bigint } = {}): Promise<ProviderKeyEvent[]> {
  try {
    const logs = await ctx.publicClient.getContractEvents({ address: ctx.deployment.providerRegistry, abi: providerRegistryAbi, eventName: "ProviderEncryptionKeySet", args: { provider }, fromBlock: ctx.deployment.deployedAtBlock, toBlock: options.toBlock ?? "latest", strict: true });
    return logs.map((log) => ({ provider: log.args.provider, encryptionKey: log.args.encryptionKey, keyVersion: Number(log.args.keyVersion), blockNumber: log.blockNumber ?? 0n }));
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
    const logs = await ctx.publicClient.getContractEvents({ address: ctx.deployment.providerRegistry, abi: providerRegistryAbi, eventName: "ProviderAdmitted", fromBlock: ctx.deployment.deployedAtBlock });
    const seen = new Set<string>();
    const addresses: Address[] = [];
    for (const log of logs) {
      const provider = (log.args as { provider?: Address }).provider;
      if (provider && !seen.has(provider.toLowerCase())) {
        seen.add(provider.toLowerCase());
        addresses.push(provider);
      }
    }
    return await Promise.all(addresses.map((a) => getProvider(ctx, a)));
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** Whether `account` holds the provider registry's `REGULATOR_ROLE` (OpenZeppelin AccessControl). */
export async function isRegulator(ctx: MeridianContext, account: Address): Promise<boolean> {
  try {
    const role = await ctx.publicClient.readContract({ address: ctx.deployment.providerRegistry, abi: providerRegistryAbi, functionName: "REGULATOR_ROLE" });
    return await ctx.publicClient.readContract({ address: ctx.deployment.providerRegistry, abi: providerRegistryAbi, functionName: "hasRole", args: [role, account] });
  } catch (error) {
    throw toMeridianError(error);
  }
}

// --------------------------------------------------------------- patients

/** Registers the wallet's account as a patient with its X25519 public key (32 bytes, hex). */
export async function registerPatient(ctx: MeridianContext, p: { encryptionKey: Hex }): Promise<TransactionResult> {
  return result(await write(ctx, "register", { address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, functionName: "register", args: [p.encryptionKey] }));
}

/** A patient's on-chain entry. `registered` is false when the chain head is zero. */
export interface PatientInfo { address: Address; registered: boolean; encryptionKey: Hex; chainHead: Hex; keyEpoch: number }

/** Reads a patient's entry. */
export async function getPatient(ctx: MeridianContext, patient: Address): Promise<PatientInfo> {
  try {
    const p = await ctx.publicClient.readContract({ address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, functionName: "getPatient", args: [patient] });
    return { address: patient, registered: BigInt(p.chainHead) !== 0n, encryptionKey: p.encryptionKey, chainHead: p.chainHead, keyEpoch: p.keyEpoch };
  } catch (error) {
    throw toMeridianError(error);
  }
}

// ---------------------------------------------------------------- records

/** Parameters of {@link anchorRecord}. */
export interface AnchorRecordParameters { patient: Address; cid: Hex /* binary CID */; ciphertextHash: Hex; category: RecordCategory; keyEpoch: number }

/** Anchors a stored ciphertext as a record of `patient`; returns its id. Reverts: see `IRecordRegistry.anchorRecord`. */
export async function anchorRecord(ctx: MeridianContext, p: AnchorRecordParameters): Promise<TransactionResult & { recordId: Hex; anchoredAt: number }> {
  const receipt = await write(ctx, "anchor record", { address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, functionName: "anchorRecord", args: [p.patient, p.cid, p.ciphertextHash, p.category, p.keyEpoch] });
  const log = event(receipt, "RecordAnchored");
  return { ...result(receipt), recordId: log.args.recordId, anchoredAt: Number(log.args.anchoredAt) };
}

/** A record's anchor as found in its `RecordAnchored` event, checked against storage. */
export interface RecordAnchor {
  recordId: Hex; patient: Address; author: Address; previousHead: Hex; category: RecordCategory;
  keyEpoch: number; anchoredAt: number; ciphertextHash: Hex; cid: Hex; blockNumber: bigint; transactionHash: Hex;
}

type AnchoredLog = Log<bigint, number, false, (typeof recordRegistryAbi)[number] & { type: "event"; name: "RecordAnchored" }, true>;

function toAnchor(log: { args: Record<string, unknown>; blockNumber: bigint | null; transactionHash: Hex | null }): RecordAnchor {
  const a = log.args as { recordId: Hex; patient: Address; author: Address; previousHead: Hex; category: number; keyEpoch: number; anchoredAt: number | bigint; ciphertextHash: Hex; cid: Hex };
  return { recordId: a.recordId, patient: a.patient, author: a.author, previousHead: a.previousHead, category: a.category as RecordCategory, keyEpoch: a.keyEpoch, anchoredAt: Number(a.anchoredAt), ciphertextHash: a.ciphertextHash, cid: a.cid, blockNumber: log.blockNumber ?? 0n, transactionHash: log.transactionHash ?? "0x" };
}

/** Recomputes a record id from its anchor, as `RecordRegistry.computeRecordId`. */
export function computeRecordId(chainId: number, recordRegistry: Address, a: Omit<RecordAnchor, "recordId" | "blockNumber" | "transactionHash">): Hex {
  return keccak256(encodeAbiParameters(
    [{ type: "uint256" }, { type: "address" }, { type: "address" }, { type: "bytes28" }, { type: "address" }, { type: "uint8" }, { type: "uint32" }, { type: "uint40" }, { type: "bytes32" }, { type: "bytes32" }],
    [BigInt(chainId), recordRegistry, a.patient, a.previousHead, a.author, a.category, a.keyEpoch, a.anchoredAt, a.ciphertextHash, keccak256(a.cid)],
  ));
}

/**
 * `patient`'s chain head before its first record, `bytes28(keccak256(abi.encode(chainId,
 * recordRegistry, patient)))` (`IRecordRegistry.Patient`; the contract has no getter for it).
 * @example genesisHead(31337, deployment.recordRegistry, patient) // 0x… (28 bytes)
 */
export function genesisHead(chainId: number, recordRegistry: Address, patient: Address): Hex {
  return slice(keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "address" }, { type: "address" }], [BigInt(chainId), recordRegistry, patient])), 0, 28);
}

/** No record with this id is anchored (or its event does not match storage). */
export class RecordNotFoundError extends MeridianError {
  override name = "RecordNotFoundError" as const;
  constructor(recordId: Hex) {
    super("No record with this id is anchored on this network.", { details: `recordId ${recordId}`, hint: "Check the id with `meridian list` and that you are on the right network." });
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
    logs = (await ctx.publicClient.getContractEvents({ address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, eventName: "RecordAnchored", args: { recordId }, fromBlock: ctx.deployment.deployedAtBlock, strict: true })) as unknown as AnchoredLog[];
  } catch (error) {
    throw toMeridianError(error);
  }
  const log = logs[0];
  if (!log) throw new RecordNotFoundError(recordId);
  const anchor = toAnchor(log as never);
  if (computeRecordId(ctx.deployment.chainId, ctx.deployment.recordRegistry, anchor) !== recordId) {
    throw new AnchorMismatchError("A RecordAnchored event does not hash to its record id.", { details: `recordId ${recordId}`, hint: "Use another RPC endpoint; this one returns altered logs." });
  }
  return anchor;
}

/** Every record anchor of `patient`, oldest first. */
export async function listRecordAnchors(ctx: MeridianContext, patient: Address): Promise<RecordAnchor[]> {
  try {
    const logs = await ctx.publicClient.getContractEvents({ address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, eventName: "RecordAnchored", args: { patient }, fromBlock: ctx.deployment.deployedAtBlock, strict: true });
    return logs.map((l) => toAnchor(l as never));
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** Whether `reader` may read `recordId` now (`RecordRegistry.canRead`). */
export async function canRead(ctx: MeridianContext, reader: Address, recordId: Hex): Promise<boolean> {
  try {
    return await ctx.publicClient.readContract({ address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, functionName: "canRead", args: [reader, recordId] });
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** Whether `author` may anchor a `category` record of `patient` now (`RecordRegistry.canWrite`). */
export async function canWrite(ctx: MeridianContext, author: Address, patient: Address, category: RecordCategory): Promise<boolean> {
  try {
    return await ctx.publicClient.readContract({ address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, functionName: "canWrite", args: [author, patient, category] });
  } catch (error) {
    throw toMeridianError(error);
  }
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
    if (a.previousHead.toLowerCase() !== expected.toLowerCase()) problems.push({ index, recordId: a.recordId, problem: "previousHead does not link to the previous record" });
    if (computeRecordId(ctx.deployment.chainId, ctx.deployment.recordRegistry, a) !== a.recordId) problems.push({ index, recordId: a.recordId, problem: "record id does not match its fields" });
    expected = a.recordId.slice(0, 58) as Hex;
  });
  if (info.chainHead.toLowerCase() !== expected.toLowerCase()) problems.push({ index: anchors.length, recordId: "0x", problem: "the on-chain head is not the last record" });
  return { valid: info.registered && problems.length === 0, records: anchors.length, head: info.chainHead, problems };
}

// ----------------------------------------------------------------- grants

/** Parameters of {@link issueGrant}. */
export interface IssueGrantParameters { grantee: Address; scope: GrantScope; write: boolean; expiresAt: number /* unix seconds, 0 = none */; wrappedKey: Hex }

/** Patient only: issues or re-issues a grant. Reverts: see `IRecordRegistry.grant`. */
export async function issueGrant(ctx: MeridianContext, p: IssueGrantParameters): Promise<TransactionResult & { grantId: Hex; keyEpoch: number }> {
  const { scope, target } = encodeScope(p.scope);
  const receipt = await write(ctx, "grant", { address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, functionName: "grant", args: [p.grantee, scope, target, p.write, p.expiresAt, p.wrappedKey] });
  const log = event(receipt, "GrantIssued");
  return { ...result(receipt), grantId: log.args.grantId, keyEpoch: log.args.keyEpoch };
}

/** Patient only: revokes a grant. Returns the patient's key epoch afterwards. */
export async function revokeGrant(ctx: MeridianContext, p: { grantee: Address; scope: GrantScope }): Promise<TransactionResult & { keyEpoch: number }> {
  const { scope, target } = encodeScope(p.scope);
  const receipt = await write(ctx, "revoke", { address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, functionName: "revoke", args: [p.grantee, scope, target] });
  return { ...result(receipt), keyEpoch: event(receipt, "GrantRevoked").args.keyEpoch };
}

/** Provider only: asks `patient` for access. `purpose` is a purpose-of-use code such as "TREAT" (max 31 ASCII chars). */
export async function requestAccess(ctx: MeridianContext, p: { patient: Address; scope: GrantScope; write: boolean; durationSeconds: number; purpose: string }): Promise<TransactionResult & { requestId: Hex }> {
  const { scope, target } = encodeScope(p.scope);
  if (!/^[\x20-\x7e]{1,31}$/.test(p.purpose)) throw new MeridianError("The purpose must be a short code of 1-31 printable ASCII characters.", { hint: 'Use an HL7 purpose-of-use code such as "TREAT" or "ETREAT".' });
  const receipt = await write(ctx, "request access", { address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, functionName: "requestAccess", args: [p.patient, scope, target, p.write, p.durationSeconds, toHex(p.purpose, { size: 32 })] });
  return { ...result(receipt), requestId: event(receipt, "AccessRequested").args.requestId };
}

/** Patient only: approves a pending request, issuing the grant. */
export async function approveRequest(ctx: MeridianContext, p: IssueGrantParameters): Promise<TransactionResult & { grantId: Hex; keyEpoch: number }> {
  const { scope, target } = encodeScope(p.scope);
  const receipt = await write(ctx, "approve request", { address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, functionName: "approveRequest", args: [p.grantee, scope, target, p.write, p.expiresAt, p.wrappedKey] });
  const log = event(receipt, "GrantIssued");
  return { ...result(receipt), grantId: log.args.grantId, keyEpoch: log.args.keyEpoch };
}

/** Patient only: denies a pending request. */
export async function denyRequest(ctx: MeridianContext, p: { requester: Address; scope: GrantScope }): Promise<TransactionResult> {
  const { scope, target } = encodeScope(p.scope);
  return result(await write(ctx, "deny request", { address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, functionName: "denyRequest", args: [p.requester, scope, target] }));
}

// ------------------------------------------------------------------ audit

/** One entry of a patient's audit timeline. */
export interface AuditEntry {
  /** Event name, e.g. `"GrantIssued"`. */
  event: string;
  blockNumber: bigint;
  logIndex: number;
  transactionHash: Hex;
  /** Decoded event arguments (wrapped keys left out). */
  args: Record<string, unknown>;
}

/**
 * The patient's audit trail: every `RecordRegistry` event whose first indexed topic is the
 * patient (registration, records, grants, revocations, requests and decisions), oldest first.
 */
export async function getAuditTrail(ctx: MeridianContext, patient: Address): Promise<AuditEntry[]> {
  try {
    // Every RecordRegistry event has the patient as its first indexed topic, so the node filters
    // by it: the query's cost follows this patient's history, not the whole network's.
    const patientTopic = encodeAbiParameters([{ type: "address" }], [patient]);
    const raw = await ctx.publicClient.request({
      method: "eth_getLogs",
      params: [{ address: ctx.deployment.recordRegistry, fromBlock: numberToHex(ctx.deployment.deployedAtBlock), toBlock: "latest", topics: [null, patientTopic] }],
    });
    return parseEventLogs({ abi: recordRegistryAbi, logs: raw.map((l) => formatLog(l)) }).map((l) => {
      const { wrappedKey: _omit, ...args } = l.args as Record<string, unknown>;
      return { event: l.eventName, blockNumber: l.blockNumber, logIndex: l.logIndex, transactionHash: l.transactionHash, args };
    });
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** A `GrantIssued` event, including its wrapped key. */
export interface GrantEvent { patient: Address; grantee: Address; grantId: Hex; scope: GrantScope; write: boolean; expiresAt: number; keyEpoch: number; wrappedKey: Hex; blockNumber: bigint }

/** Every `GrantIssued` event of `patient` (optionally to one grantee), oldest first. */
export async function listGrantEvents(ctx: MeridianContext, filter: { patient?: Address; grantee?: Address }): Promise<GrantEvent[]> {
  try {
    const logs = await ctx.publicClient.getContractEvents({ address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, eventName: "GrantIssued", args: { patient: filter.patient, grantee: filter.grantee }, fromBlock: ctx.deployment.deployedAtBlock, strict: true });
    return logs.map((l) => ({ patient: l.args.patient, grantee: l.args.grantee, grantId: l.args.grantId, scope: decodeScope(l.args.scope, l.args.target), write: l.args.write, expiresAt: Number(l.args.expiresAt), keyEpoch: l.args.keyEpoch, wrappedKey: l.args.wrappedKey, blockNumber: l.blockNumber }));
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** On-chain state of one grant. */
export interface GrantState { issuedAt: number; expiresAt: number; revokedAt: number; keyEpoch: number; write: boolean; active: boolean }

/** Reads a grant's state; `active` also requires the grantee to be an active provider. */
export async function getGrant(ctx: MeridianContext, p: { patient: Address; grantee: Address; scope: GrantScope }): Promise<GrantState> {
  const { scope, target } = encodeScope(p.scope);
  try {
    const [g, active] = await Promise.all([
      ctx.publicClient.readContract({ address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, functionName: "getGrant", args: [p.patient, p.grantee, scope, target] }),
      ctx.publicClient.readContract({ address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, functionName: "isGrantActive", args: [p.patient, p.grantee, scope, target] }),
    ]);
    return { issuedAt: Number(g.issuedAt), expiresAt: Number(g.expiresAt), revokedAt: Number(g.revokedAt), keyEpoch: g.keyEpoch, write: g.write, active };
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** A pending access request, from its `AccessRequested` event and current storage. */
export interface PendingRequest { patient: Address; requester: Address; requestId: Hex; scope: GrantScope; write: boolean; durationSeconds: number; purpose: string; blockNumber: bigint }

/** The access requests to `patient` that are still pending. */
export async function listPendingRequests(ctx: MeridianContext, patient: Address): Promise<PendingRequest[]> {
  try {
    const logs = await ctx.publicClient.getContractEvents({ address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, eventName: "AccessRequested", args: { patient }, fromBlock: ctx.deployment.deployedAtBlock, strict: true });
    const latest = new Map<Hex, (typeof logs)[number]>();
    for (const l of logs) latest.set(l.args.requestId, l);
    const out: PendingRequest[] = [];
    for (const l of latest.values()) {
      const r = await ctx.publicClient.readContract({ address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, functionName: "getRequest", args: [patient, l.args.requester, l.args.scope, l.args.target] });
      if (r.status !== 1) continue;
      out.push({ patient, requester: l.args.requester, requestId: l.args.requestId, scope: decodeScope(l.args.scope, l.args.target), write: l.args.write, durationSeconds: Number(l.args.duration), purpose: hexToString(l.args.purpose).replace(/\0+$/, ""), blockNumber: l.blockNumber });
    }
    return out;
  } catch (error) {
    throw toMeridianError(error);
  }
}
