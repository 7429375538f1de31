/**
 * Actions on `MonitoringRegistry` (remote ECG monitoring), in the style of `actions.ts`: each
 * takes a {@link MeridianContext} and its parameters, simulates before it writes, waits for the
 * receipt and returns the decoded outcome. Every failure is a {@link MeridianError}; contract
 * reverts are {@link ContractRevertedError}s in plain words (see `errors.ts`).
 *
 * The flow: the patient registers each device of the ECG path (sensor, edge device, fog relay)
 * with a signature the device makes over {@link deviceBindingTypedData}, names a monitoring
 * provider that holds its Cardiac write consent, and that provider opens sessions, links the
 * records it anchors (`anchorRecord` in `actions.ts`) and finally a diagnosis record.
 *
 * @module
 */
import {
  parseEventLogs,
  zeroAddress,
  type Address,
  type ContractEventName,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { MeridianError } from "../errors.ts";
import { monitoringRegistryAbi } from "../generated/contracts.ts";
import { read, result, write } from "./contract.ts";
import { getRecordAnchor, type RecordAnchor } from "./actions.ts";
import { toMeridianError } from "./errors.ts";
import { getLogsInRanges } from "./logs.ts";
import type { MeridianContext, MeridianDeployment, TransactionResult } from "./types.ts";

/** Device roles (`IMonitoringRegistry.DeviceRole`). */
export const DeviceRole = { Sensor: 1, Edge: 2, Fog: 3 } as const;
/** A device role code. */
export type DeviceRoleCode = (typeof DeviceRole)[keyof typeof DeviceRole];

/** Device statuses (`IMonitoringRegistry.DeviceStatus`). */
export const DeviceStatus = { None: 0, Active: 1, Revoked: 2 } as const;
/** A device status code. */
export type DeviceStatusCode = (typeof DeviceStatus)[keyof typeof DeviceStatus];

/** The deployment has no `MonitoringRegistry` (it was written before the contract existed). */
export class MonitoringRegistryMissingError extends MeridianError {
  override name = "MonitoringRegistryMissingError" as const;
  constructor() {
    super("This deployment has no MonitoringRegistry.", {
      hint: "Deploy Meridian again (`meridian deploy`), or add `monitoringRegistry` to the deployment file.",
    });
  }
}

/** No monitoring session has this id. */
export class SessionNotFoundError extends MeridianError {
  override name = "SessionNotFoundError" as const;
  constructor(sessionId: Hex) {
    super("No monitoring session has this id on this network.", {
      details: `sessionId ${sessionId}`,
      hint: "List sessions with `listSessions` and check you are on the right network.",
    });
  }
}

function registry(deployment: Pick<MeridianDeployment, "monitoringRegistry">): Address {
  const address = deployment.monitoringRegistry;
  if (!address || address === zeroAddress) throw new MonitoringRegistryMissingError();
  return address;
}

function event<const TName extends ContractEventName<typeof monitoringRegistryAbi>>(
  receipt: TransactionReceipt,
  eventName: TName,
) {
  const [log] = parseEventLogs({ abi: monitoringRegistryAbi, logs: receipt.logs, eventName });
  if (!log) throw new MeridianError(`The transaction ${receipt.transactionHash} emitted no ${eventName} event.`);
  return log;
}

// ----------------------------------------------------------------- devices

/** What a device signs to be registered by a patient. */
export interface DeviceBinding {
  patient: Address;
  device: Address;
  role: DeviceRoleCode;
  /** Unix time (seconds) until which (inclusive) the signature is accepted. */
  deadline: number;
}

/**
 * The EIP-712 typed data of a {@link DeviceBinding} in the deployment's `MonitoringRegistry`
 * domain ("Meridian MonitoringRegistry", version "1"), ready for viem's `signTypedData` with the
 * device's account. The signature is what {@link registerDevice} takes.
 */
export function deviceBindingTypedData(
  deployment: Pick<MeridianDeployment, "chainId" | "monitoringRegistry">,
  binding: DeviceBinding,
) {
  return {
    domain: {
      name: "Meridian MonitoringRegistry",
      version: "1",
      chainId: deployment.chainId,
      verifyingContract: registry(deployment),
    },
    types: {
      DeviceBinding: [
        { name: "patient", type: "address" },
        { name: "device", type: "address" },
        { name: "role", type: "uint8" },
        { name: "deadline", type: "uint40" },
      ],
    },
    primaryType: "DeviceBinding",
    message: { patient: binding.patient, device: binding.device, role: binding.role, deadline: binding.deadline },
  } as const;
}

/** Parameters of {@link registerDevice}. */
export interface RegisterDeviceParameters {
  device: Address;
  role: DeviceRoleCode;
  deadline: number /* unix seconds */;
  signature: Hex;
}

/**
 * Patient only: registers `device` in `role`, with the device's signature over
 * {@link deviceBindingTypedData} (patient = the wallet's account). Reverts: see
 * `IMonitoringRegistry.registerDevice` (expired, bad signature, already registered or revoked).
 */
export async function registerDevice(ctx: MeridianContext, p: RegisterDeviceParameters): Promise<TransactionResult> {
  return result(
    await write(ctx, "register device", {
      address: registry(ctx.deployment),
      abi: monitoringRegistryAbi,
      functionName: "registerDevice",
      args: [p.device, p.role, p.deadline, p.signature],
    }),
  );
}

/** Patient only: revokes `device` for good (a new key is a new device). */
export async function revokeDevice(ctx: MeridianContext, p: { device: Address }): Promise<TransactionResult> {
  return result(
    await write(ctx, "revoke device", {
      address: registry(ctx.deployment),
      abi: monitoringRegistryAbi,
      functionName: "revokeDevice",
      args: [p.device],
    }),
  );
}

/** A patient's device. Times in Unix seconds (0 when not set); `role` and `status` 0 when never registered. */
export interface DeviceInfo {
  patient: Address;
  device: Address;
  role: DeviceRoleCode | 0;
  status: DeviceStatusCode;
  registeredAt: number;
  revokedAt: number;
}

/** Reads `patient`'s device `device`. */
export async function getDevice(ctx: MeridianContext, patient: Address, device: Address): Promise<DeviceInfo> {
  const address = registry(ctx.deployment);
  try {
    const d = await read(ctx, {
      address,
      abi: monitoringRegistryAbi,
      functionName: "getDevice",
      args: [patient, device],
    });
    return {
      patient,
      device,
      role: d.role as DeviceRoleCode | 0,
      status: d.status as DeviceStatusCode,
      registeredAt: Number(d.registeredAt),
      revokedAt: Number(d.revokedAt),
    };
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** Whether `device` is an active device of `patient` in `role`: what a medical server checks before it trusts a hop's signature. */
export async function isActiveDevice(
  ctx: MeridianContext,
  patient: Address,
  device: Address,
  role: DeviceRoleCode,
): Promise<boolean> {
  const address = registry(ctx.deployment);
  try {
    return await read(ctx, {
      address,
      abi: monitoringRegistryAbi,
      functionName: "isActiveDevice",
      args: [patient, device, role],
    });
  } catch (error) {
    throw toMeridianError(error);
  }
}

/**
 * Every device `patient` ever registered, in registration order, each with its current state
 * (`DeviceRegistered` logs filtered by the patient, read with `getLogsInRanges`, then one `getDevice`
 * each).
 */
export async function listDevices(ctx: MeridianContext, patient: Address): Promise<DeviceInfo[]> {
  const address = registry(ctx.deployment);
  let logs;
  try {
    logs = await getLogsInRanges(ctx.publicClient, {
      fromBlock: ctx.deployment.deployedAtBlock,
      query: (range) =>
        ctx.publicClient.getContractEvents({
          address,
          abi: monitoringRegistryAbi,
          eventName: "DeviceRegistered",
          args: { patient },
          strict: true,
          ...range,
        }),
    });
  } catch (error) {
    throw toMeridianError(error);
  }
  return Promise.all(logs.map((l) => getDevice(ctx, patient, l.args.device)));
}

// --------------------------------------------------------------- provider

/**
 * Patient only: names `provider` as monitoring provider (replacing any other). The provider must
 * be active and hold the patient's current Cardiac write consent (`grant` with `write: true`).
 */
export async function setMonitoringProvider(
  ctx: MeridianContext,
  p: { provider: Address },
): Promise<TransactionResult> {
  return result(
    await write(ctx, "set monitoring provider", {
      address: registry(ctx.deployment),
      abi: monitoringRegistryAbi,
      functionName: "setMonitoringProvider",
      args: [p.provider],
    }),
  );
}

/** Patient only: clears the monitoring provider; it can then neither open sessions nor add to its open ones. */
export async function clearMonitoringProvider(ctx: MeridianContext): Promise<TransactionResult> {
  return result(
    await write(ctx, "clear monitoring provider", {
      address: registry(ctx.deployment),
      abi: monitoringRegistryAbi,
      functionName: "clearMonitoringProvider",
      args: [],
    }),
  );
}

/** `patient`'s monitoring provider, or undefined when none is named. */
export async function getMonitoringProvider(ctx: MeridianContext, patient: Address): Promise<Address | undefined> {
  const address = registry(ctx.deployment);
  try {
    const provider = await read(ctx, {
      address,
      abi: monitoringRegistryAbi,
      functionName: "monitoringProviderOf",
      args: [patient],
    });
    return provider === zeroAddress ? undefined : provider;
  } catch (error) {
    throw toMeridianError(error);
  }
}

// --------------------------------------------------------------- sessions

/** Monitoring provider only: opens a session of `patient`; returns its id from `MonitoringSessionOpened`. */
export async function openSession(
  ctx: MeridianContext,
  p: { patient: Address },
): Promise<TransactionResult & { sessionId: Hex }> {
  const receipt = await write(ctx, "open monitoring session", {
    address: registry(ctx.deployment),
    abi: monitoringRegistryAbi,
    functionName: "openSession",
    args: [p.patient],
  });
  return { ...result(receipt), sessionId: event(receipt, "MonitoringSessionOpened").args.sessionId };
}

/** The `RecordProof` of an anchor: the event fields the contract needs to check who wrote the record. */
function proofOf(anchor: Pick<RecordAnchor, "previousHead" | "ciphertextHash" | "cid">) {
  return { previousHead: anchor.previousHead, ciphertextHash: anchor.ciphertextHash, cid: anchor.cid };
}

/** The anchor of `recordId`: the one given, else looked up (and checked) with `getRecordAnchor`. */
async function anchorOf(ctx: MeridianContext, recordId: Hex, anchor: RecordAnchor | undefined): Promise<RecordAnchor> {
  if (anchor) {
    if (anchor.recordId.toLowerCase() !== recordId.toLowerCase())
      throw new MeridianError("The anchor given is not the record's.", {
        details: `recordId ${recordId}, anchor of ${anchor.recordId}`,
      });
    return anchor;
  }
  return getRecordAnchor(ctx, recordId);
}

/** Parameters of {@link addSessionRecord}. */
export interface AddSessionRecordParameters {
  sessionId: Hex;
  /** A record the wallet's account anchored for the session's patient. */
  recordId: Hex;
  /** Asks a clinician to review the record (e.g. an arrhythmia was detected). */
  flaggedForReview?: boolean;
  /** The record's anchor when already at hand; else it is read from the chain's events. */
  anchor?: RecordAnchor;
}

/**
 * The session's provider only: links a record it anchored to the session. Reverts: see
 * `IMonitoringRegistry.addSessionRecord` (session closed, provider suspended or no longer named,
 * record of another patient or author, record already linked).
 */
export async function addSessionRecord(
  ctx: MeridianContext,
  p: AddSessionRecordParameters,
): Promise<TransactionResult> {
  const address = registry(ctx.deployment);
  const anchor = await anchorOf(ctx, p.recordId, p.anchor);
  return result(
    await write(ctx, "add session record", {
      address,
      abi: monitoringRegistryAbi,
      functionName: "addSessionRecord",
      args: [p.sessionId, p.recordId, p.flaggedForReview ?? false, proofOf(anchor)],
    }),
  );
}

/**
 * The session's provider only: links the diagnosis record (anchored by it, signed off by a
 * clinician) and closes the session. Reverts as {@link addSessionRecord}.
 */
export async function signDiagnosis(
  ctx: MeridianContext,
  p: { sessionId: Hex; diagnosisRecordId: Hex; anchor?: RecordAnchor },
): Promise<TransactionResult> {
  const address = registry(ctx.deployment);
  const anchor = await anchorOf(ctx, p.diagnosisRecordId, p.anchor);
  return result(
    await write(ctx, "sign diagnosis", {
      address,
      abi: monitoringRegistryAbi,
      functionName: "signDiagnosis",
      args: [p.sessionId, p.diagnosisRecordId, proofOf(anchor)],
    }),
  );
}

/** The session's provider or patient: closes the session without a diagnosis. */
export async function closeSession(ctx: MeridianContext, p: { sessionId: Hex }): Promise<TransactionResult> {
  return result(
    await write(ctx, "close monitoring session", {
      address: registry(ctx.deployment),
      abi: monitoringRegistryAbi,
      functionName: "closeSession",
      args: [p.sessionId],
    }),
  );
}

/** A monitoring session. Times in Unix seconds; `closedAt` 0 while open. */
export interface SessionInfo {
  sessionId: Hex;
  patient: Address;
  provider: Address;
  openedAt: number;
  closedAt: number;
  open: boolean;
  /** Records linked with {@link addSessionRecord} (the diagnosis not counted). */
  recordCount: number;
  /** The diagnosis record, once signed. */
  diagnosisRecordId?: Hex;
}

/** Reads session `sessionId`. Throws {@link SessionNotFoundError} when there is none. */
export async function getSession(ctx: MeridianContext, sessionId: Hex): Promise<SessionInfo> {
  const address = registry(ctx.deployment);
  let s;
  try {
    s = await read(ctx, { address, abi: monitoringRegistryAbi, functionName: "getSession", args: [sessionId] });
  } catch (error) {
    throw toMeridianError(error);
  }
  if (s.openedAt === 0) throw new SessionNotFoundError(sessionId);
  const diagnosis = BigInt(s.diagnosisRecordId) === 0n ? {} : { diagnosisRecordId: s.diagnosisRecordId };
  return {
    sessionId,
    patient: s.patient,
    provider: s.provider,
    openedAt: Number(s.openedAt),
    closedAt: Number(s.closedAt),
    open: s.closedAt === 0,
    recordCount: s.recordCount,
    ...diagnosis,
  };
}

/** One `SessionRecordAdded` event. */
export interface SessionRecordEvent {
  sessionId: Hex;
  patient: Address;
  recordId: Hex;
  flaggedForReview: boolean;
  blockNumber: bigint;
  transactionHash: Hex;
}

/** The records linked to session `sessionId`, oldest first (logs filtered by the session id, `getLogsInRanges`). */
export async function listSessionRecords(ctx: MeridianContext, sessionId: Hex): Promise<SessionRecordEvent[]> {
  const address = registry(ctx.deployment);
  try {
    const logs = await getLogsInRanges(ctx.publicClient, {
      fromBlock: ctx.deployment.deployedAtBlock,
      query: (range) =>
        ctx.publicClient.getContractEvents({
          address,
          abi: monitoringRegistryAbi,
          eventName: "SessionRecordAdded",
          args: { sessionId },
          strict: true,
          ...range,
        }),
    });
    return logs.map((l) => ({
      sessionId: l.args.sessionId,
      patient: l.args.patient,
      recordId: l.args.recordId,
      flaggedForReview: l.args.flaggedForReview,
      blockNumber: l.blockNumber,
      transactionHash: l.transactionHash,
    }));
  } catch (error) {
    throw toMeridianError(error);
  }
}

/**
 * The sessions opened for `patient` and/or by `provider` (all when neither is given), oldest
 * first, each with its current state: `MonitoringSessionOpened` logs (`getLogsInRanges`), then one
 * `getSession` per session.
 */
export async function listSessions(
  ctx: MeridianContext,
  filter: { patient?: Address; provider?: Address } = {},
): Promise<SessionInfo[]> {
  const address = registry(ctx.deployment);
  try {
    const logs = await getLogsInRanges(ctx.publicClient, {
      fromBlock: ctx.deployment.deployedAtBlock,
      query: (range) =>
        ctx.publicClient.getContractEvents({
          address,
          abi: monitoringRegistryAbi,
          eventName: "MonitoringSessionOpened",
          args: { patient: filter.patient, provider: filter.provider },
          strict: true,
          ...range,
        }),
    });
    return await Promise.all(logs.map((l) => getSession(ctx, l.args.sessionId)));
  } catch (error) {
    throw toMeridianError(error);
  }
}
