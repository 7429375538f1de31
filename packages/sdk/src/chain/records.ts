/**
 * Actions on `RecordRegistry`'s patients and records: registering a patient, anchoring a record,
 * finding and checking record anchors, and verifying a patient's hash chain. In the style of
 * `actions.ts` (which re-exports this module); grants and requests are in `grants.ts`.
 *
 * @module
 */
import { encodeAbiParameters, keccak256, slice, type Address, type Hex } from "viem";
import { MeridianError } from "../errors.ts";
import { recordRegistryAbi } from "../generated/contracts.ts";
import type { RecordCategory } from "../categories.ts";
import { event, read, result, write } from "./contract.ts";
import { eventsNamed, walkBack, walkPatientEvents } from "./event-walk.ts";
import type { MeridianContext, TransactionResult } from "./types.ts";

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

/** Reads a patient's entry (at `blockNumber`, default the latest). */
export async function getPatient(ctx: MeridianContext, patient: Address, blockNumber?: bigint): Promise<PatientInfo> {
  const p = await read(ctx, {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "getPatient",
    args: [patient],
    ...(blockNumber === undefined ? {} : { blockNumber }),
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
        { type: "bytes24" },
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
 * `patient`'s chain head before its first record, `bytes24(keccak256(abi.encode(chainId,
 * recordRegistry, patient)))` (`IRecordRegistry.Patient`; the contract has no getter for it).
 * @example genesisHead(31337, deployment.recordRegistry, patient) // 0x… (24 bytes)
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
    24,
  );
}

/** The chain head a record leaves behind: the first 24 bytes of its id (the next record's `previousHead`). */
export function chainHeadOf(recordId: Hex): Hex {
  return slice(recordId, 0, 24);
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
 * Reads the record's patient from storage (`getRecord`), then walks that patient's events back
 * from the newest until the record's ({@link walkBack}): one `eth_getLogs` per block of the
 * patient's events since the record, whatever the chain's length.
 * Throws {@link RecordNotFoundError} or {@link AnchorMismatchError}.
 */
export async function getRecordAnchor(ctx: MeridianContext, recordId: Hex): Promise<RecordAnchor> {
  const stored = await read(ctx, {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "getRecord",
    args: [recordId],
  });
  if (BigInt(stored.patient) === 0n) throw new RecordNotFoundError(recordId);
  let found: RecordAnchor | undefined;
  await walkBack(
    ctx,
    { patient: stored.patient },
    (logs) => {
      const log = eventsNamed(logs, "RecordAnchored").find((l) => l.args.recordId === recordId);
      if (log) found = toAnchor(log);
      return found === undefined;
    },
    () => {
      found = undefined;
    },
  );
  const anchor = found;
  if (!anchor) throw new RecordNotFoundError(recordId);
  if (computeRecordId(ctx.deployment.chainId, ctx.deployment.recordRegistry, anchor) !== recordId) {
    throw new AnchorMismatchError("A RecordAnchored event does not hash to its record id.", {
      details: `recordId ${recordId}`,
      hint: "Use another RPC endpoint; this one returns altered logs.",
    });
  }
  return anchor;
}

/**
 * Every record anchor of `patient`, oldest first (the patient's event walk, {@link walkPatientEvents}:
 * one `eth_getLogs` per block of the patient's events). `blockNumber`: read at that block (default: the latest).
 */
export async function listRecordAnchors(
  ctx: MeridianContext,
  patient: Address,
  blockNumber?: bigint,
): Promise<RecordAnchor[]> {
  return (await listRecordAnchorsAt(ctx, patient, blockNumber)).anchors;
}

/** {@link listRecordAnchors}, with the block the walk read at. */
async function listRecordAnchorsAt(
  ctx: MeridianContext,
  patient: Address,
  blockNumber: bigint | undefined,
): Promise<{ anchors: RecordAnchor[]; blockNumber: bigint }> {
  const walk = await walkPatientEvents(ctx, { patient, blockNumber });
  const anchors = eventsNamed(walk.logs, "RecordAnchored")
    .filter((l) => l.args.patient.toLowerCase() === patient.toLowerCase())
    .map((l) => toAnchor(l));
  return { anchors, blockNumber: walk.blockNumber };
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
  /** The on-chain head (bytes24). */
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
  // The head is read at the block the events were read at, so a record anchored meanwhile cannot
  // make a sound chain look broken.
  const { anchors, blockNumber } = await listRecordAnchorsAt(ctx, patient, undefined);
  const info = await getPatient(ctx, patient, blockNumber);
  const problems: ChainVerification["problems"] = [];
  let expected: Hex = genesisHead(ctx.deployment.chainId, ctx.deployment.recordRegistry, patient);
  anchors.forEach((a, index) => {
    if (a.previousHead.toLowerCase() !== expected.toLowerCase())
      problems.push({ index, recordId: a.recordId, problem: "previousHead does not link to the previous record" });
    if (computeRecordId(ctx.deployment.chainId, ctx.deployment.recordRegistry, a) !== a.recordId)
      problems.push({ index, recordId: a.recordId, problem: "record id does not match its fields" });
    expected = chainHeadOf(a.recordId);
  });
  if (info.chainHead.toLowerCase() !== expected.toLowerCase())
    problems.push({ index: anchors.length, recordId: "0x", problem: "the on-chain head is not the last record" });
  return { valid: info.registered && problems.length === 0, records: anchors.length, head: info.chainHead, problems };
}
