/**
 * Emergency ("break-glass") access: the chain side of `IRecordRegistry`'s emergency access, in
 * the style of `actions.ts` (simulate, send, wait, decode; every failure a {@link MeridianError}).
 *
 * **Emergency access** opens a patient's emergency summary (an HL7 FHIR International Patient
 * Summary) for a time box, with a reason code, on chain before any key is released.
 *
 * @module
 */
import { hexToString, isAddressEqual, pad, toHex, type Address, type Hex } from "viem";
import { MeridianError } from "../errors.ts";
import { recordRegistryAbi } from "../generated/contracts.ts";
import { event, read, result, write } from "./contract.ts";
import { toMeridianError } from "./errors.ts";
import { eventsNamed, walkPatientEvents } from "./event-walk.ts";
import { getLogsInRanges } from "./logs.ts";
import type { MeridianContext, TransactionResult } from "./types.ts";

/** The longest emergency access the contract allows: 24 hours, in seconds. */
export const MAX_EMERGENCY_ACCESS_SECONDS = 24 * 60 * 60;

/** Emergency-access reason codes (HL7 v3 ActReason, purpose of use), what the UI and CLI offer. */
export const EMERGENCY_REASONS = {
  ETREAT: "Emergency treatment",
  BTG: "Break the glass",
  ERTREAT: "Emergency room treatment",
} as const;

/** Patient: names record `recordId` its emergency summary (zero hash clears it). */
export async function setEmergencySummary(ctx: MeridianContext, recordId: Hex): Promise<TransactionResult> {
  return result(
    await write(ctx, "set emergency summary", {
      address: ctx.deployment.recordRegistry,
      abi: recordRegistryAbi,
      functionName: "setEmergencySummary",
      args: [recordId],
    }),
  );
}

/** The record id of `patient`'s emergency summary, or undefined when none. */
export async function getEmergencySummary(ctx: MeridianContext, patient: Address): Promise<Hex | undefined> {
  const id = await read(ctx, {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "emergencySummaryOf",
    args: [patient],
  });
  return BigInt(id) === 0n ? undefined : id;
}

/** Encodes a reason code (1-31 printable ASCII characters, e.g. "ETREAT") as bytes32. */
export function encodeReasonCode(reason: string): Hex {
  if (!/^[\x21-\x7e]{1,31}$/.test(reason))
    throw new MeridianError("An emergency reason code is required: 1-31 printable ASCII characters without spaces.", {
      hint: `Use an HL7 v3 ActReason code such as ${Object.keys(EMERGENCY_REASONS).join(", ")}.`,
    });
  return pad(toHex(reason), { dir: "right", size: 32 });
}

/** Active provider: opens emergency access to `patient`'s emergency summary for `durationSeconds` (1..86,400). */
export async function openEmergencyAccess(
  ctx: MeridianContext,
  p: { patient: Address; reason: string; durationSeconds: number },
): Promise<TransactionResult & { recordId: Hex; expiresAt: number }> {
  const receipt = await write(ctx, "open emergency access", {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "openEmergencyAccess",
    args: [p.patient, encodeReasonCode(p.reason), p.durationSeconds],
  });
  const log = event(receipt, "EmergencyAccessOpened").args;
  return { ...result(receipt), recordId: log.recordId, expiresAt: Number(log.expiresAt) };
}

/** Patient or SHARE AND VIEW guardian: releases the emergency summary's data key, wrapped to `provider`. */
export async function releaseEmergencyKey(
  ctx: MeridianContext,
  p: { patient: Address; provider: Address; wrappedKey: Hex },
): Promise<TransactionResult> {
  return result(
    await write(ctx, "release emergency key", {
      address: ctx.deployment.recordRegistry,
      abi: recordRegistryAbi,
      functionName: "releaseEmergencyKey",
      args: [p.patient, p.provider, p.wrappedKey],
    }),
  );
}

/** Patient, guardian or the provider: ends an emergency access early. */
export async function closeEmergencyAccess(
  ctx: MeridianContext,
  p: { patient: Address; provider: Address },
): Promise<TransactionResult> {
  return result(
    await write(ctx, "close emergency access", {
      address: ctx.deployment.recordRegistry,
      abi: recordRegistryAbi,
      functionName: "closeEmergencyAccess",
      args: [p.patient, p.provider],
    }),
  );
}

/** One emergency access, from its `EmergencyAccessOpened` event and current storage. */
export interface EmergencyAccessEntry {
  patient: Address;
  provider: Address;
  /** Reason code, e.g. "ETREAT". */
  reason: string;
  /** The emergency summary record it opens. */
  recordId: Hex;
  /** Unix seconds; known for a pair's latest access (undefined for earlier ones). */
  openedAt: number | undefined;
  /** Unix seconds the access ends or ended (early when closed). */
  expiresAt: number;
  /** Open now (not past its time box, not closed). */
  active: boolean;
  /** Whether a key was released for it (and by whom). */
  releasedBy: Address | undefined;
  blockNumber: bigint;
}

/** An `EmergencyAccessOpened` event, as {@link emergencyLogs} returns it. */
interface OpenedLog {
  args: { patient: Address; provider: Address; reason: Hex; recordId: Hex; expiresAt: number };
  blockNumber: bigint;
}

/** An `EmergencyKeyReleased` event, as {@link emergencyLogs} returns it. */
interface ReleasedLog {
  args: { patient: Address; provider: Address; releasedBy: Address; recordId: Hex; wrappedKey: Hex };
  blockNumber: bigint;
}

/**
 * The emergency events matching `filter`, oldest first: with a patient, from the patient's event
 * walk ({@link walkPatientEvents}, one `eth_getLogs` per block of its events); with only a
 * provider, ranged reads ({@link getLogsInRanges}; providers are not linked on chain, see
 * docs/event-reads.md).
 */
async function emergencyLogs(
  ctx: MeridianContext,
  filter: { patient?: Address | undefined; provider?: Address | undefined },
): Promise<{ opened: OpenedLog[]; released: ReleasedLog[] }> {
  const { patient, provider } = filter;
  const forProvider = (l: { args: { provider: Address } }) =>
    provider === undefined || isAddressEqual(l.args.provider, provider);
  if (patient !== undefined) {
    const { logs } = await walkPatientEvents(ctx, { patient });
    const mine = <T extends { args: { patient: Address; provider: Address } }>(l: T) =>
      isAddressEqual(l.args.patient, patient) && forProvider(l);
    return {
      opened: eventsNamed(logs, "EmergencyAccessOpened").filter(mine),
      released: eventsNamed(logs, "EmergencyKeyReleased").filter(mine),
    };
  }
  const registry = { address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, strict: true } as const;
  const fromBlock = ctx.deployment.deployedAtBlock;
  const [opened, released] = await Promise.all([
    getLogsInRanges(ctx.publicClient, {
      fromBlock,
      query: (range) =>
        ctx.publicClient.getContractEvents({
          ...registry,
          eventName: "EmergencyAccessOpened",
          args: { provider },
          ...range,
        }),
    }),
    getLogsInRanges(ctx.publicClient, {
      fromBlock,
      query: (range) =>
        ctx.publicClient.getContractEvents({
          ...registry,
          eventName: "EmergencyKeyReleased",
          args: { provider },
          ...range,
        }),
    }),
  ]);
  return { opened, released };
}

/** Emergency accesses of a patient, or by a provider, newest first. */
export async function listEmergencyAccesses(
  ctx: MeridianContext,
  filter: { patient?: Address; provider?: Address },
): Promise<EmergencyAccessEntry[]> {
  const [{ opened, released }, block] = await Promise.all([
    emergencyLogs(ctx, filter),
    ctx.publicClient.getBlock({ blockTag: "latest" }),
  ]);
  try {
    const now = Number(block.timestamp);
    const out: EmergencyAccessEntry[] = [];
    const pair = (l: { args: { patient: Address; provider: Address } }) =>
      `${l.args.patient.toLowerCase()}/${l.args.provider.toLowerCase()}`;
    const latest = new Map(opened.map((l) => [pair(l), l] as const));
    for (const l of opened) {
      // storage holds the latest access of a pair (its expiry moves when closed early)
      const current =
        latest.get(pair(l)) === l
          ? await read(ctx, {
              address: ctx.deployment.recordRegistry,
              abi: recordRegistryAbi,
              functionName: "getEmergencyAccess",
              args: [l.args.patient, l.args.provider],
            })
          : undefined;
      const expiresAt = current ? Number(current.expiresAt) : Number(l.args.expiresAt);
      const release = released.find((r) => pair(r) === pair(l) && r.blockNumber >= l.blockNumber);
      out.push({
        patient: l.args.patient,
        provider: l.args.provider,
        reason: hexToString(l.args.reason).replace(/\0+$/, ""),
        recordId: l.args.recordId,
        openedAt: current ? Number(current.openedAt) : undefined,
        expiresAt,
        active: current !== undefined && expiresAt > now,
        releasedBy: release?.args.releasedBy,
        blockNumber: l.blockNumber,
      });
    }
    return out.reverse();
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** `EmergencyKeyReleased` events to `provider` (optionally for one patient), newest first. */
export async function listEmergencyKeyReleases(
  ctx: MeridianContext,
  filter: { provider: Address; patient?: Address },
): Promise<
  { patient: Address; provider: Address; releasedBy: Address; recordId: Hex; wrappedKey: Hex; blockNumber: bigint }[]
> {
  const { released } = await emergencyLogs(ctx, filter);
  return released
    .map((l) => ({
      patient: l.args.patient,
      provider: l.args.provider,
      releasedBy: l.args.releasedBy,
      recordId: l.args.recordId,
      wrappedKey: l.args.wrappedKey,
      blockNumber: l.blockNumber,
    }))
    .reverse();
}
