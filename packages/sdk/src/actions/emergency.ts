/**
 * Emergency-access actions ("break the glass"): the patient names an International Patient
 * Summary its emergency summary; a provider opens time-boxed access to it with a reason code;
 * the patient (or a SHARE AND VIEW guardian) releases the summary's DEK to that provider.
 * viem-style: `doThing(client, parameters)`.
 *
 * @module
 */
import type { Address, Hex } from "viem";
import type { Bundle, Resource } from "@medplum/fhirtypes";
import { RecordCategory } from "../categories.ts";
import {
  buildInternationalPatientSummary,
  isInternationalPatientSummary,
  type PatientSummarySubjectError,
} from "../fhir/ips.ts";
import { getRecordAnchor } from "../chain/actions.ts";
import {
  closeEmergencyAccess,
  getEmergencySummary,
  listEmergencyAccesses,
  openEmergencyAccess,
  releaseEmergencyKey,
  setEmergencySummary,
  type EmergencyAccessEntry,
} from "../chain/emergency-access.ts";
import type { TransactionResult } from "../chain/types.ts";
import type { MeridianAccount } from "../account.ts";
import { wrapScopeKey } from "../share-keys.ts";
import { addRecord, listRecords, readRecord, type AddRecordErrorType, type AddRecordReturnType } from "./records.ts";
import { AccessDeniedError, type ChainErrorType, type NotRegisteredError } from "./errors.ts";

/** Default length of an emergency access: 4 hours, in seconds. */
export const DEFAULT_EMERGENCY_ACCESS_SECONDS = 4 * 60 * 60;

/** Parameters of {@link nameEmergencySummary}. */
export interface NameEmergencySummaryParameters {
  /** One of the patient's records, an International Patient Summary (zero hash clears it). */
  recordId: Hex;
}
/** The transaction. */
export type NameEmergencySummaryReturnType = TransactionResult;
/** Errors {@link nameEmergencySummary} throws. */
export type NameEmergencySummaryErrorType = ChainErrorType;

/**
 * Patient: names one of its records (an International Patient Summary) as its emergency summary.
 *
 * @example
 * ```ts
 * await nameEmergencySummary(patient, { recordId });
 * ```
 */
export function nameEmergencySummary(
  client: MeridianAccount,
  p: NameEmergencySummaryParameters,
): Promise<NameEmergencySummaryReturnType> {
  return setEmergencySummary(client.ctx, p.recordId);
}

/** Parameters of {@link createEmergencySummary}. */
export interface CreateEmergencySummaryParameters {
  /** The summary's date (default: now). */
  now?: Date | undefined;
  /** Called before each record is read (`done` of `total`) and once at the end. */
  onProgress?: ((done: number, total: number) => void) | undefined;
}
/** The stored summary record and the FHIR `Bundle` it holds. */
export type CreateEmergencySummaryReturnType = AddRecordReturnType & { summary: Bundle };
/** Errors {@link createEmergencySummary} throws. */
export type CreateEmergencySummaryErrorType = PatientSummarySubjectError | AddRecordErrorType;

/**
 * Patient: builds an HL7 FHIR International Patient Summary (allergies, active medications,
 * active problems, blood group) from its own decrypted FHIR records, stores it as a new General
 * record and names it the emergency summary (two transactions). Records that are not FHIR JSON,
 * and earlier summaries, are skipped. Only the Patient's name, birth date and gender are kept in
 * the summary, not its identifiers.
 *
 * @throws {PatientSummarySubjectError} when the records hold no Patient (or several).
 * @example
 * ```ts
 * const { recordId, summary } = await createEmergencySummary(patient, {});
 * ```
 */
export async function createEmergencySummary(
  client: MeridianAccount,
  p: CreateEmergencySummaryParameters = {},
): Promise<CreateEmergencySummaryReturnType> {
  const anchors = await listRecords(client, {});
  const resources: Resource[] = [];
  for (const [i, anchor] of anchors.entries()) {
    p.onProgress?.(i, anchors.length);
    let parsed: unknown;
    try {
      parsed = JSON.parse(
        new TextDecoder().decode((await readRecord(client, { recordId: anchor.recordId })).plaintext),
      );
    } catch {
      continue; // a binary attachment or non-JSON record
    }
    const isResource =
      !!parsed && typeof parsed === "object" && typeof (parsed as { resourceType?: unknown }).resourceType === "string";
    if (!isResource || isInternationalPatientSummary(parsed)) continue;
    resources.push(parsed as Resource);
  }
  p.onProgress?.(anchors.length, anchors.length);
  const summary = buildInternationalPatientSummary(resources, {
    ...(p.now ? { now: p.now } : {}),
    author: "Patient (Meridian)",
  });
  for (const entry of summary.entry ?? []) {
    const r = entry.resource;
    if (r?.resourceType === "Patient") {
      entry.resource = {
        resourceType: "Patient",
        ...(r.id ? { id: r.id } : {}),
        ...(r.name ? { name: r.name } : {}),
        ...(r.birthDate ? { birthDate: r.birthDate } : {}),
        ...(r.gender ? { gender: r.gender } : {}),
      };
    }
  }
  const plaintext = new TextEncoder().encode(JSON.stringify(summary));
  const added = await addRecord(client, { plaintext, category: RecordCategory.General });
  await nameEmergencySummary(client, { recordId: added.recordId });
  return { ...added, summary };
}

/** Parameters of {@link getEmergencySummaryId}. */
export interface GetEmergencySummaryIdParameters {
  /** The patient (default: the account itself). */
  patient?: Address | undefined;
}
/** The summary's record id, or `undefined` when none is named. */
export type GetEmergencySummaryIdReturnType = Hex | undefined;
/** Errors {@link getEmergencySummaryId} throws. */
export type GetEmergencySummaryIdErrorType = ChainErrorType;

/**
 * The record id of `patient`'s emergency summary (default: the account), or `undefined`.
 *
 * @example
 * ```ts
 * const recordId = await getEmergencySummaryId(doctor, { patient });
 * ```
 */
export function getEmergencySummaryId(
  client: MeridianAccount,
  p: GetEmergencySummaryIdParameters = {},
): Promise<GetEmergencySummaryIdReturnType> {
  return getEmergencySummary(client.ctx, p.patient ?? client.address);
}

/** Parameters of {@link startEmergencyAccess}. */
export interface StartEmergencyAccessParameters {
  /** The patient. */
  patient: Address;
  /** HL7 reason code, 1-31 printable ASCII characters (e.g. "ETREAT", "BTG"). */
  reason: string;
  /** How long the access lasts, in seconds. Default {@link DEFAULT_EMERGENCY_ACCESS_SECONDS} (4 h). */
  durationSeconds?: number | undefined;
}
/** The transaction, the summary record it opens and when the access ends (Unix seconds). */
export type StartEmergencyAccessReturnType = TransactionResult & { recordId: Hex; expiresAt: number };
/** Errors {@link startEmergencyAccess} throws. */
export type StartEmergencyAccessErrorType = ChainErrorType;

/**
 * Provider: opens time-boxed emergency access to `patient`'s emergency summary, with a reason code.
 *
 * @example
 * ```ts
 * const { recordId, expiresAt } = await startEmergencyAccess(doctor, { patient, reason: "ETREAT" });
 * ```
 */
export function startEmergencyAccess(
  client: MeridianAccount,
  p: StartEmergencyAccessParameters,
): Promise<StartEmergencyAccessReturnType> {
  return openEmergencyAccess(client.ctx, {
    patient: p.patient,
    reason: p.reason,
    durationSeconds: p.durationSeconds ?? DEFAULT_EMERGENCY_ACCESS_SECONDS,
  });
}

/** Parameters of {@link releaseEmergencyDataKey}. */
export interface ReleaseEmergencyDataKeyParameters {
  /** The provider whose emergency access is open. */
  provider: Address;
  /** The patient (default: the account itself; else the account acts as its SHARE AND VIEW guardian). */
  patient?: Address | undefined;
}
/** The release transaction. */
export type ReleaseEmergencyDataKeyReturnType = TransactionResult;
/** Errors {@link releaseEmergencyDataKey} throws. */
export type ReleaseEmergencyDataKeyErrorType = AccessDeniedError | NotRegisteredError | ChainErrorType;

/**
 * Patient or SHARE AND VIEW guardian: releases `patient`'s emergency summary's DEK to `provider`,
 * sealed to it as a one-record grant would be and bound to the record's key epoch. The
 * provider's emergency access must be open (checked before anything is sent).
 *
 * @throws {AccessDeniedError} when the provider has no open emergency access to the patient.
 * @example
 * ```ts
 * await releaseEmergencyDataKey(patient, { provider: doctor });
 * ```
 */
export async function releaseEmergencyDataKey(
  client: MeridianAccount,
  p: ReleaseEmergencyDataKeyParameters,
): Promise<ReleaseEmergencyDataKeyReturnType> {
  const patient = p.patient ?? client.address;
  const access = (await listEmergencyAccesses(client.ctx, { patient, provider: p.provider }))[0];
  if (!access?.active) {
    throw new AccessDeniedError("This provider has no open emergency access to the patient.", {
      details: p.provider,
      hint: "A key is released only after the provider opened emergency access, and before its time box ends.",
    });
  }
  // the summary's DEK, wrapped as a one-record grant would be, bound to the record's key epoch
  const { keyEpoch } = await getRecordAnchor(client.ctx, access.recordId);
  const scope = { kind: "record", recordId: access.recordId } as const;
  const wrappedKey = await wrapScopeKey(client, { grantee: p.provider, scope, keyEpoch, patient });
  return releaseEmergencyKey(client.ctx, { patient, provider: p.provider, wrappedKey });
}

/** Parameters of {@link endEmergencyAccess}. */
export interface EndEmergencyAccessParameters {
  patient: Address;
  provider: Address;
}
/** The transaction. */
export type EndEmergencyAccessReturnType = TransactionResult;
/** Errors {@link endEmergencyAccess} throws. */
export type EndEmergencyAccessErrorType = ChainErrorType;

/**
 * Patient, guardian or the provider: ends an emergency access early.
 *
 * @example
 * ```ts
 * await endEmergencyAccess(patient, { patient: patient.address, provider: doctor });
 * ```
 */
export function endEmergencyAccess(
  client: MeridianAccount,
  p: EndEmergencyAccessParameters,
): Promise<EndEmergencyAccessReturnType> {
  return closeEmergencyAccess(client.ctx, { patient: p.patient, provider: p.provider });
}

/** Parameters of {@link listEmergencyAccessesTo}. */
export interface ListEmergencyAccessesToParameters {
  /** The patient (default: the account itself). */
  patient?: Address | undefined;
}
/** Emergency accesses, newest first. */
export type ListEmergencyAccessesReturnType = EmergencyAccessEntry[];
/** Errors {@link listEmergencyAccessesTo} and {@link listEmergencyAccessesBy} throw. */
export type ListEmergencyAccessesErrorType = ChainErrorType;

/**
 * Emergency accesses to `patient` (default: the account), newest first.
 *
 * @example
 * ```ts
 * const accesses = await listEmergencyAccessesTo(patient, {});
 * ```
 */
export function listEmergencyAccessesTo(
  client: MeridianAccount,
  p: ListEmergencyAccessesToParameters = {},
): Promise<ListEmergencyAccessesReturnType> {
  return listEmergencyAccesses(client.ctx, { patient: p.patient ?? client.address });
}

/**
 * Emergency accesses the account opened as a provider, newest first.
 *
 * @example
 * ```ts
 * const mine = await listEmergencyAccessesBy(doctor);
 * ```
 */
export function listEmergencyAccessesBy(client: MeridianAccount): Promise<ListEmergencyAccessesReturnType> {
  return listEmergencyAccesses(client.ctx, { provider: client.address });
}
