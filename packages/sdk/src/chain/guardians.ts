/**
 * Guardians: the chain side of `IRecordRegistry`'s guardians, in the style of `actions.ts`
 * (simulate, send, wait, decode; every failure a `MeridianError`).
 *
 * A **guardian** acts for a patient at a level ({@link GuardianLevel}); its actions emit
 * `GuardianActed` naming it.
 *
 * @module
 */
import { isAddressEqual, type Address, type Hex } from "viem";
import { MeridianError } from "../errors.ts";
import { recordRegistryAbi } from "../generated/contracts.ts";
import { event, read, result, write } from "./contract.ts";
import { encodeScope, grantIdOfIssued } from "./grants.ts";
import { eventsNamed, walkPatientEvents } from "./event-walk.ts";
import { toMeridianError } from "./errors.ts";
import type { GrantScope, MeridianContext, TransactionResult } from "./types.ts";

/** Guardian levels (`IRecordRegistry.GuardianLevel`): VIEW reads; SHARE AND VIEW also grants, revokes, decides requests, releases the emergency key. */
export const GuardianLevel = { None: 0, View: 1, ShareAndView: 2 } as const;
/** A guardian level code. */
export type GuardianLevelCode = (typeof GuardianLevel)[keyof typeof GuardianLevel];

/** Patient: appoints (or re-keys) `guardian` at `level`; `wrappedKey` is the KEK bundle sealed to the guardian's registered key. */
export async function appointGuardian(
  ctx: MeridianContext,
  p: { guardian: Address; level: GuardianLevelCode; wrappedKey: Hex },
): Promise<TransactionResult & { keyEpoch: number }> {
  const receipt = await write(ctx, "appoint guardian", {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "appointGuardian",
    args: [p.guardian, p.level, p.wrappedKey],
  });
  return { ...result(receipt), keyEpoch: event(receipt, "GuardianAppointed").args.keyEpoch };
}

/** Patient: removes a guardian (advances the key epoch). Guardian: steps down (pass `stepDownFrom`). */
export async function removeGuardian(
  ctx: MeridianContext,
  p: { guardian: Address } | { stepDownFrom: Address },
): Promise<TransactionResult & { keyEpoch: number }> {
  const receipt =
    "guardian" in p
      ? await write(ctx, "remove guardian", {
          address: ctx.deployment.recordRegistry,
          abi: recordRegistryAbi,
          functionName: "removeGuardian",
          args: [p.guardian],
        })
      : await write(ctx, "step down as guardian", {
          address: ctx.deployment.recordRegistry,
          abi: recordRegistryAbi,
          functionName: "stepDownAsGuardian",
          args: [p.stepDownFrom],
        });
  return { ...result(receipt), keyEpoch: event(receipt, "GuardianRemoved").args.keyEpoch };
}

/** The level at which `guardian` acts for `patient` (0 when not a guardian). */
export async function getGuardianLevel(
  ctx: MeridianContext,
  patient: Address,
  guardian: Address,
): Promise<GuardianLevelCode> {
  const level = await read(ctx, {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "guardianLevel",
    args: [patient, guardian],
  });
  return level as GuardianLevelCode;
}

/** A guardian relation as found in `GuardianAppointed` events and current storage. */
export interface Guardianship {
  patient: Address;
  guardian: Address;
  /** Current level (0 once removed). */
  level: GuardianLevelCode;
  /** Key epoch and wrapped KEK bundle of the latest appointment. */
  keyEpoch: number;
  wrappedKey: Hex;
  blockNumber: bigint;
}

/**
 * Current guardianships, from `GuardianAppointed` events (latest per pair) checked against
 * storage: a patient's guardians (`{ patient }`) or the patients an account guards (`{ guardian }`).
 * Read by the event walk ({@link walkPatientEvents}) of the patient, or else of the guardian: an
 * appointment is linked into both accounts' chains. `blockNumber`: read at that block.
 */
export async function listGuardianships(
  ctx: MeridianContext,
  filter: { patient?: Address; guardian?: Address; blockNumber?: bigint },
): Promise<Guardianship[]> {
  const account = filter.patient ?? filter.guardian;
  if (account === undefined) throw new MeridianError("listGuardianships needs a patient or a guardian.");
  const walk = await walkPatientEvents(ctx, { patient: account, blockNumber: filter.blockNumber });
  const logs = eventsNamed(walk.logs, "GuardianAppointed").filter(
    (l) =>
      (filter.patient === undefined || isAddressEqual(l.args.patient, filter.patient)) &&
      (filter.guardian === undefined || isAddressEqual(l.args.guardian, filter.guardian)),
  );
  try {
    const latest = new Map<string, (typeof logs)[number]>();
    for (const l of logs) latest.set(`${l.args.patient}/${l.args.guardian}`, l);
    const out: Guardianship[] = [];
    for (const l of latest.values()) {
      const level = await getGuardianLevel(ctx, l.args.patient, l.args.guardian);
      if (level === GuardianLevel.None) continue;
      out.push({
        patient: l.args.patient,
        guardian: l.args.guardian,
        level,
        keyEpoch: l.args.keyEpoch,
        wrappedKey: l.args.wrappedKey,
        blockNumber: l.blockNumber,
      });
    }
    return out;
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** SHARE AND VIEW guardian: issues a grant for `patient`. */
export async function grantAsGuardian(
  ctx: MeridianContext,
  p: { patient: Address; grantee: Address; scope: GrantScope; write: boolean; expiresAt: number; wrappedKey: Hex },
): Promise<TransactionResult & { grantId: Hex; keyEpoch: number }> {
  const { scope, target } = encodeScope(p.scope);
  const receipt = await write(ctx, "grant as guardian", {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "grantAsGuardian",
    args: [p.patient, p.grantee, scope, target, p.write, p.expiresAt, p.wrappedKey],
  });
  const log = event(receipt, "GrantIssued").args;
  return { ...result(receipt), grantId: grantIdOfIssued(log), keyEpoch: log.keyEpoch };
}

/** SHARE AND VIEW guardian: revokes a grant of `patient`; returns the key epoch afterwards. */
export async function revokeAsGuardian(
  ctx: MeridianContext,
  p: { patient: Address; grantee: Address; scope: GrantScope },
): Promise<TransactionResult & { keyEpoch: number }> {
  const { scope, target } = encodeScope(p.scope);
  const receipt = await write(ctx, "revoke as guardian", {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "revokeAsGuardian",
    args: [p.patient, p.grantee, scope, target],
  });
  return { ...result(receipt), keyEpoch: event(receipt, "GrantRevoked").args.keyEpoch };
}

/** SHARE AND VIEW guardian: approves a pending request to `patient`. */
export async function approveRequestAsGuardian(
  ctx: MeridianContext,
  p: { patient: Address; requester: Address; scope: GrantScope; write: boolean; expiresAt: number; wrappedKey: Hex },
): Promise<TransactionResult & { grantId: Hex; keyEpoch: number }> {
  const { scope, target } = encodeScope(p.scope);
  const receipt = await write(ctx, "approve request as guardian", {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "approveRequestAsGuardian",
    args: [p.patient, p.requester, scope, target, p.write, p.expiresAt, p.wrappedKey],
  });
  const log = event(receipt, "GrantIssued").args;
  return { ...result(receipt), grantId: grantIdOfIssued(log), keyEpoch: log.keyEpoch };
}

/** SHARE AND VIEW guardian: denies a pending request to `patient`. */
export async function denyRequestAsGuardian(
  ctx: MeridianContext,
  p: { patient: Address; requester: Address; scope: GrantScope },
): Promise<TransactionResult> {
  const { scope, target } = encodeScope(p.scope);
  return result(
    await write(ctx, "deny request as guardian", {
      address: ctx.deployment.recordRegistry,
      abi: recordRegistryAbi,
      functionName: "denyRequestAsGuardian",
      args: [p.patient, p.requester, scope, target],
    }),
  );
}
