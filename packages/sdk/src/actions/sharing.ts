/**
 * Sharing actions: a patient (or its SHARE AND VIEW guardian) grants and revokes access, a
 * provider requests it, and the patient approves or denies the request. Every grant carries the
 * scope's key sealed to the grantee with HPKE (RFC 9180, `wrapScopeKey` in `record-keys.ts`).
 * viem-style: `doThing(client, parameters)`.
 *
 * @module
 */
import type { Address, Hex } from "viem";
import { getPatient } from "../chain/actions.ts";
import {
  approveRequest,
  denyRequest,
  issueGrant,
  listPendingRequests,
  requestAccess,
  revokeGrant,
  type PendingRequest,
} from "../chain/grants.ts";
import {
  approveRequestAsGuardian,
  denyRequestAsGuardian,
  grantAsGuardian,
  revokeAsGuardian,
} from "../chain/guardians.ts";
import type { GrantScope, TransactionResult } from "../chain/types.ts";
import type { MeridianAccount } from "../account.ts";
import { wrapScopeKey } from "../share-keys.ts";
import { isSelf, reissueAfterEpochChange, type ReissuedKey } from "./key-epochs.ts";
import type { AccessDeniedError, ChainErrorType, NotRegisteredError } from "./errors.ts";

/** Parameters of {@link grantAccess}. */
export interface GrantAccessParameters {
  /** The provider to grant (an active provider with a published encryption key). */
  grantee: Address;
  /** What it may read: one record, one category, or all records. */
  scope: GrantScope;
  /** Also consent to it writing records of that scope (category or all only). Default false. */
  write?: boolean | undefined;
  /** When it ends (Unix seconds); 0 or absent: no expiry. */
  expiresAt?: number | undefined;
  /** Whose records (default: the account itself; else the account acts as its SHARE AND VIEW guardian). */
  patient?: Address | undefined;
}
/** The grant transaction, the grant's id and the key epoch its key is of. */
export type GrantAccessReturnType = TransactionResult & { grantId: Hex; keyEpoch: number };
/** Errors {@link grantAccess} throws. */
export type GrantAccessErrorType = AccessDeniedError | NotRegisteredError | ChainErrorType;

/**
 * Grants `grantee` read access (and optionally write consent) over `scope` until `expiresAt`,
 * with the scope's key of the patient's current key epoch sealed to it. Costs the same gas
 * whatever the scope covers.
 *
 * @throws {AccessDeniedError} when the grantee is not an active provider (or the account is not the patient's guardian).
 * @throws {NotRegisteredError} when the grantee has published no encryption key.
 * @example
 * ```ts
 * await grantAccess(patient, { grantee: hospital, scope: { kind: "category", category: RecordCategory.Lab } });
 * ```
 */
export async function grantAccess(client: MeridianAccount, p: GrantAccessParameters): Promise<GrantAccessReturnType> {
  const patient = p.patient ?? client.address;
  const { keyEpoch } = await getPatient(client.ctx, patient);
  const wrappedKey = await wrapScopeKey(client, { grantee: p.grantee, scope: p.scope, keyEpoch, patient });
  const grant = {
    grantee: p.grantee,
    scope: p.scope,
    write: p.write ?? false,
    expiresAt: p.expiresAt ?? 0,
    wrappedKey,
  };
  return isSelf(client, p.patient) ? issueGrant(client.ctx, grant) : grantAsGuardian(client.ctx, { ...grant, patient });
}

/** Parameters of {@link revokeAccess}. */
export interface RevokeAccessParameters {
  /** The grantee whose grant ends. */
  grantee: Address;
  /** The grant's scope. */
  scope: GrantScope;
  /** Whose grant (default: the account itself; else the account acts as its SHARE AND VIEW guardian). */
  patient?: Address | undefined;
}
/** The revocation (with the key epoch after it) and what was re-issued. */
export interface RevokeAccessReturnType {
  revocation: TransactionResult & { keyEpoch: number };
  reissued: ReissuedKey[];
}
/** Errors {@link revokeAccess} throws (`RecordRegistryGrantNotActive` as a `ContractRevertedError`). */
export type RevokeAccessErrorType = ChainErrorType;

/**
 * Revokes a grant. When that advances the key epoch (category or all scope), re-issues every
 * other live category/all grant of the patient with the new epoch's key, one transaction each,
 * and re-keys the patient's guardians, so they keep reading new records. With `patient` (a SHARE
 * AND VIEW guardian acting for it), only the revocation is sent: a guardian cannot derive the new
 * epoch's keys, so the patient's app re-issues the others (`reissueAfterEpochChange`).
 *
 * @example
 * ```ts
 * const { revocation, reissued } = await revokeAccess(patient, { grantee: lab, scope: { kind: "all" } });
 * ```
 */
export async function revokeAccess(
  client: MeridianAccount,
  p: RevokeAccessParameters,
): Promise<RevokeAccessReturnType> {
  if (p.patient !== undefined && !isSelf(client, p.patient)) {
    return {
      revocation: await revokeAsGuardian(client.ctx, { patient: p.patient, grantee: p.grantee, scope: p.scope }),
      reissued: [],
    };
  }
  const revocation = await revokeGrant(client.ctx, { grantee: p.grantee, scope: p.scope });
  if (p.scope.kind === "record") return { revocation, reissued: [] };
  return { revocation, reissued: await reissueAfterEpochChange(client) };
}

/** Parameters of {@link requestPatientAccess}. */
export interface RequestPatientAccessParameters {
  /** The patient asked. */
  patient: Address;
  /** What the provider asks to read. */
  scope: GrantScope;
  /** Also ask for write consent (category or all). Default false. */
  write?: boolean | undefined;
  /** How long the grant should last (seconds); 0 or absent: no limit. */
  durationSeconds?: number | undefined;
  /** HL7 purpose-of-use code, 1-31 printable ASCII characters. Default "TREAT". */
  purpose?: string | undefined;
}
/** The request transaction and the request's id. */
export type RequestPatientAccessReturnType = TransactionResult & { requestId: Hex };
/** Errors {@link requestPatientAccess} throws. */
export type RequestPatientAccessErrorType = ChainErrorType;

/**
 * Provider: asks `patient` for access over `scope`.
 *
 * @example
 * ```ts
 * await requestPatientAccess(hospital, { patient, scope: { kind: "all" }, purpose: "TREAT" });
 * ```
 */
export function requestPatientAccess(
  client: MeridianAccount,
  p: RequestPatientAccessParameters,
): Promise<RequestPatientAccessReturnType> {
  return requestAccess(client.ctx, {
    patient: p.patient,
    scope: p.scope,
    write: p.write ?? false,
    durationSeconds: p.durationSeconds ?? 0,
    purpose: p.purpose ?? "TREAT",
  });
}

/** Parameters of {@link approveAccessRequest}. */
export interface ApproveAccessRequestParameters {
  /** The provider that asked. */
  requester: Address;
  /** The scope it asked for. */
  scope: GrantScope;
  /** Grant the write consent it asked for. Default false. */
  write?: boolean | undefined;
  /** When the grant ends (Unix seconds); 0 or absent: no expiry. */
  expiresAt?: number | undefined;
  /** Whose request (default: the account itself; else the account acts as its SHARE AND VIEW guardian). */
  patient?: Address | undefined;
}
/** The approval transaction, the grant's id and the key epoch its key is of. */
export type ApproveAccessRequestReturnType = TransactionResult & { grantId: Hex; keyEpoch: number };
/** Errors {@link approveAccessRequest} throws. */
export type ApproveAccessRequestErrorType = AccessDeniedError | NotRegisteredError | ChainErrorType;

/**
 * Patient (or its SHARE AND VIEW guardian, with `patient`): approves a pending request, choosing
 * expiry and write consent; the grant carries the scope's key sealed to the requester.
 *
 * @example
 * ```ts
 * await approveAccessRequest(patient, { requester: hospital, scope: { kind: "all" }, expiresAt });
 * ```
 */
export async function approveAccessRequest(
  client: MeridianAccount,
  p: ApproveAccessRequestParameters,
): Promise<ApproveAccessRequestReturnType> {
  const patient = p.patient ?? client.address;
  const { keyEpoch } = await getPatient(client.ctx, patient);
  const wrappedKey = await wrapScopeKey(client, { grantee: p.requester, scope: p.scope, keyEpoch, patient });
  const decision = { scope: p.scope, write: p.write ?? false, expiresAt: p.expiresAt ?? 0, wrappedKey };
  return isSelf(client, p.patient)
    ? approveRequest(client.ctx, { ...decision, grantee: p.requester })
    : approveRequestAsGuardian(client.ctx, { ...decision, patient, requester: p.requester });
}

/** Parameters of {@link denyAccessRequest}. */
export interface DenyAccessRequestParameters {
  /** The provider that asked. */
  requester: Address;
  /** The scope it asked for. */
  scope: GrantScope;
  /** Whose request (default: the account itself; else the account acts as its SHARE AND VIEW guardian). */
  patient?: Address | undefined;
}
/** The denial transaction. */
export type DenyAccessRequestReturnType = TransactionResult;
/** Errors {@link denyAccessRequest} throws (`RecordRegistryRequestNotPending` as a `ContractRevertedError`). */
export type DenyAccessRequestErrorType = ChainErrorType;

/**
 * Patient (or its SHARE AND VIEW guardian, with `patient`): denies a pending request.
 *
 * @example
 * ```ts
 * await denyAccessRequest(patient, { requester: hospital, scope: { kind: "all" } });
 * ```
 */
export function denyAccessRequest(
  client: MeridianAccount,
  p: DenyAccessRequestParameters,
): Promise<DenyAccessRequestReturnType> {
  return p.patient === undefined || isSelf(client, p.patient)
    ? denyRequest(client.ctx, { requester: p.requester, scope: p.scope })
    : denyRequestAsGuardian(client.ctx, { patient: p.patient, requester: p.requester, scope: p.scope });
}

/** Parameters of {@link listAccessRequests}. */
export interface ListAccessRequestsParameters {
  /** The patient (default: the account itself). */
  patient?: Address | undefined;
}
/** The requests still pending, oldest first. */
export type ListAccessRequestsReturnType = PendingRequest[];
/** Errors {@link listAccessRequests} throws. */
export type ListAccessRequestsErrorType = ChainErrorType;

/**
 * Pending access requests to `patient` (default: the account).
 *
 * @example
 * ```ts
 * for (const r of await listAccessRequests(patient, {})) console.log(r.requester, r.purpose);
 * ```
 */
export function listAccessRequests(
  client: MeridianAccount,
  p: ListAccessRequestsParameters = {},
): Promise<ListAccessRequestsReturnType> {
  return listPendingRequests(client.ctx, p.patient ?? client.address);
}
