/**
 * Grants and access requests on `RecordRegistry`: the scope encoding, issuing and revoking
 * grants, a provider's request and the patient's decision, the patient's audit trail, and the
 * `GrantIssued` / `AccessRequested` history. Plain-function actions in viem's style: each takes a
 * {@link MeridianContext}; every failure is a {@link MeridianError}.
 *
 * @module
 */
import { encodeAbiParameters, hexToString, isAddressEqual, keccak256, toHex, type Address, type Hex } from "viem";
import { MeridianError } from "../errors.ts";
import { recordRegistryAbi } from "../generated/contracts.ts";
import type { RecordCategory } from "../categories.ts";
import { toMeridianError } from "./errors.ts";
import { event, read, result, write } from "./contract.ts";
import { eventsNamed, isPatientEvent, walkPatientEvents, type RegistryEventLogOf } from "./event-walk.ts";
import { getLogsInRanges } from "./logs.ts";
import { Scope, type GrantScope, type MeridianContext, type ScopeCode, type TransactionResult } from "./types.ts";

/** Scope code and bytes32 target of a {@link GrantScope}. */
export function encodeScope(scope: GrantScope): { scope: ScopeCode; target: Hex } {
  switch (scope.kind) {
    case "record":
      return { scope: Scope.Record, target: scope.recordId };
    case "category":
      return { scope: Scope.Category, target: toHex(scope.category, { size: 32 }) };
    case "all":
      return { scope: Scope.All, target: toHex(0, { size: 32 }) };
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
  return keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "address" }, { type: "uint8" }, { type: "bytes32" }],
      [patient, grantee, code, target],
    ),
  );
}

// ----------------------------------------------------------------- grants

/** Parameters of {@link issueGrant}. */
export interface IssueGrantParameters {
  grantee: Address;
  scope: GrantScope;
  write: boolean;
  expiresAt: number /* unix seconds, 0 = none */;
  wrappedKey: Hex;
}

/** Patient only: issues or re-issues a grant. Reverts: see `IRecordRegistry.grant`. */
export async function issueGrant(
  ctx: MeridianContext,
  p: IssueGrantParameters,
): Promise<TransactionResult & { grantId: Hex; keyEpoch: number }> {
  const { scope, target } = encodeScope(p.scope);
  const receipt = await write(ctx, "grant", {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "grant",
    args: [p.grantee, scope, target, p.write, p.expiresAt, p.wrappedKey],
  });
  const log = event(receipt, "GrantIssued");
  return { ...result(receipt), ...withGrantId(log), keyEpoch: log.args.keyEpoch };
}

/** Patient only: revokes a grant. Returns the patient's key epoch afterwards. */
export async function revokeGrant(
  ctx: MeridianContext,
  p: { grantee: Address; scope: GrantScope },
): Promise<TransactionResult & { keyEpoch: number }> {
  const { scope, target } = encodeScope(p.scope);
  const receipt = await write(ctx, "revoke", {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "revoke",
    args: [p.grantee, scope, target],
  });
  return { ...result(receipt), keyEpoch: event(receipt, "GrantRevoked").args.keyEpoch };
}

/** Provider only: asks `patient` for access. `purpose` is a purpose-of-use code such as "TREAT" (max 31 ASCII chars). */
export async function requestAccess(
  ctx: MeridianContext,
  p: { patient: Address; scope: GrantScope; write: boolean; durationSeconds: number; purpose: string },
): Promise<TransactionResult & { requestId: Hex }> {
  const { scope, target } = encodeScope(p.scope);
  if (!/^[\x20-\x7e]{1,31}$/.test(p.purpose))
    throw new MeridianError("The purpose must be a short code of 1-31 printable ASCII characters.", {
      hint: 'Use an HL7 purpose-of-use code such as "TREAT" or "ETREAT".',
    });
  const receipt = await write(ctx, "request access", {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "requestAccess",
    args: [p.patient, scope, target, p.write, p.durationSeconds, toHex(p.purpose, { size: 32 })],
  });
  return { ...result(receipt), requestId: event(receipt, "AccessRequested").args.requestId };
}

/** Patient only: approves a pending request, issuing the grant. */
export async function approveRequest(
  ctx: MeridianContext,
  p: IssueGrantParameters,
): Promise<TransactionResult & { grantId: Hex; keyEpoch: number }> {
  const { scope, target } = encodeScope(p.scope);
  const receipt = await write(ctx, "approve request", {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "approveRequest",
    args: [p.grantee, scope, target, p.write, p.expiresAt, p.wrappedKey],
  });
  const log = event(receipt, "GrantIssued");
  return { ...result(receipt), ...withGrantId(log), keyEpoch: log.args.keyEpoch };
}

/** Patient only: denies a pending request. */
export async function denyRequest(
  ctx: MeridianContext,
  p: { requester: Address; scope: GrantScope },
): Promise<TransactionResult> {
  const { scope, target } = encodeScope(p.scope);
  return result(
    await write(ctx, "deny request", {
      address: ctx.deployment.recordRegistry,
      abi: recordRegistryAbi,
      functionName: "denyRequest",
      args: [p.requester, scope, target],
    }),
  );
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
 * Read by the patient's event walk ({@link walkPatientEvents}): one `eth_getLogs` of one block
 * per block holding the patient's events, whatever the chain's length or the RPC's range cap.
 * The walk's links (`previousEventBlock`, `previousGuardianEventBlock`) are left out of `args`,
 * and a `GrantIssued` entry carries its `grantId` ({@link grantIdOf}), as before the links.
 */
export async function getAuditTrail(ctx: MeridianContext, patient: Address): Promise<AuditEntry[]> {
  const { logs } = await walkPatientEvents(ctx, { patient });
  return logs
    .filter((l) => isPatientEvent(l, patient))
    .map((l) => {
      const {
        wrappedKey: _key,
        previousEventBlock: _link,
        previousGuardianEventBlock: _guardianLink,
        ...rest
      } = l.args as Record<string, unknown>;
      const args = l.eventName === "GrantIssued" ? { ...withGrantId(l), ...rest } : rest;
      return {
        event: l.eventName,
        blockNumber: l.blockNumber,
        logIndex: l.logIndex,
        transactionHash: l.transactionHash,
        args,
      };
    });
}

/**
 * The `grantId` of a `GrantIssued` event's arguments, which they determine (the event leaves the id
 * out to save a topic's gas on every grant): {@link grantIdOf} of its patient, grantee and scope.
 */
export function grantIdOfIssued(args: { patient: Address; grantee: Address; scope: number; target: Hex }): Hex {
  return grantIdOf(args.patient, args.grantee, decodeScope(args.scope, args.target));
}

const withGrantId = (l: { args: Parameters<typeof grantIdOfIssued>[0] }): { grantId: Hex } => ({
  grantId: grantIdOfIssued(l.args),
});

/** A `GrantIssued` event, including its wrapped key. */
export interface GrantEvent {
  patient: Address;
  grantee: Address;
  grantId: Hex;
  scope: GrantScope;
  write: boolean;
  expiresAt: number;
  keyEpoch: number;
  wrappedKey: Hex;
  blockNumber: bigint;
}

/**
 * Every `GrantIssued` event of `patient` (optionally to one grantee), oldest first; or, with only
 * `grantee`, of every patient to that grantee. With a patient, the patient's event walk
 * ({@link walkPatientEvents}); with only a grantee, ranged reads ({@link getLogsInRanges}: about
 * `(head - deployment block) / cap` calls on a capped RPC; docs/event-reads.md says why grantees
 * are not linked on chain). `blockNumber`: read at that block (default: the latest).
 */
export async function listGrantEvents(
  ctx: MeridianContext,
  filter: { patient?: Address; grantee?: Address; blockNumber?: bigint },
): Promise<GrantEvent[]> {
  const { patient, grantee } = filter;
  let logs: RegistryEventLogOf<"GrantIssued">[];
  if (patient !== undefined) {
    const walk = await walkPatientEvents(ctx, { patient, blockNumber: filter.blockNumber });
    logs = eventsNamed(walk.logs, "GrantIssued").filter(
      (l) =>
        isAddressEqual(l.args.patient, patient) && (grantee === undefined || isAddressEqual(l.args.grantee, grantee)),
    );
  } else {
    logs = await getLogsInRanges(ctx.publicClient, {
      fromBlock: ctx.deployment.deployedAtBlock,
      ...(filter.blockNumber === undefined ? {} : { toBlock: filter.blockNumber }),
      query: (range) =>
        ctx.publicClient.getContractEvents({
          address: ctx.deployment.recordRegistry,
          abi: recordRegistryAbi,
          eventName: "GrantIssued",
          args: { grantee },
          strict: true,
          ...range,
        }),
    });
  }
  return logs.map((l) => ({
    patient: l.args.patient,
    grantee: l.args.grantee,
    ...withGrantId(l),
    scope: decodeScope(l.args.scope, l.args.target),
    write: l.args.write,
    expiresAt: Number(l.args.expiresAt),
    keyEpoch: l.args.keyEpoch,
    wrappedKey: l.args.wrappedKey,
    blockNumber: l.blockNumber,
  }));
}

/** On-chain state of one grant. */
export interface GrantState {
  issuedAt: number;
  expiresAt: number;
  revokedAt: number;
  keyEpoch: number;
  write: boolean;
  active: boolean;
}

/** Reads a grant's state; `active` also requires the grantee to be an active provider. */
export async function getGrant(
  ctx: MeridianContext,
  p: { patient: Address; grantee: Address; scope: GrantScope },
): Promise<GrantState> {
  const { scope, target } = encodeScope(p.scope);
  try {
    const registry = { address: ctx.deployment.recordRegistry, abi: recordRegistryAbi } as const;
    const [g, active] = await Promise.all([
      read(ctx, { ...registry, functionName: "getGrant", args: [p.patient, p.grantee, scope, target] }),
      read(ctx, { ...registry, functionName: "isGrantActive", args: [p.patient, p.grantee, scope, target] }),
    ]);
    return {
      issuedAt: Number(g.issuedAt),
      expiresAt: Number(g.expiresAt),
      revokedAt: Number(g.revokedAt),
      keyEpoch: g.keyEpoch,
      write: g.write,
      active,
    };
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** A pending access request, from its `AccessRequested` event and current storage. */
export interface PendingRequest {
  patient: Address;
  requester: Address;
  requestId: Hex;
  scope: GrantScope;
  write: boolean;
  durationSeconds: number;
  purpose: string;
  blockNumber: bigint;
}

/** The access requests to `patient` that are still pending (the patient's event walk, {@link walkPatientEvents}). */
export async function listPendingRequests(ctx: MeridianContext, patient: Address): Promise<PendingRequest[]> {
  const { logs: all } = await walkPatientEvents(ctx, { patient });
  const logs = eventsNamed(all, "AccessRequested").filter((l) => isAddressEqual(l.args.patient, patient));
  try {
    const latest = new Map<Hex, (typeof logs)[number]>();
    for (const l of logs) latest.set(l.args.requestId, l);
    const out: PendingRequest[] = [];
    for (const l of latest.values()) {
      const r = await read(ctx, {
        address: ctx.deployment.recordRegistry,
        abi: recordRegistryAbi,
        functionName: "getRequest",
        args: [patient, l.args.requester, l.args.scope, l.args.target],
      });
      if (r.status !== 1) continue;
      out.push({
        patient,
        requester: l.args.requester,
        requestId: l.args.requestId,
        scope: decodeScope(l.args.scope, l.args.target),
        write: l.args.write,
        durationSeconds: Number(l.args.duration),
        purpose: hexToString(l.args.purpose).replace(/\0+$/, ""),
        blockNumber: l.blockNumber,
      });
    }
    return out;
  } catch (error) {
    throw toMeridianError(error);
  }
}
