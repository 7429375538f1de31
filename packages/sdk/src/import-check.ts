/**
 * Checks to run before storing record drafts (from a file upload or `meridian add`): is the
 * same content already stored for this patient, and does the file's Patient describe the same
 * person as the patient's earlier records? The caller asks the user (web app) or refuses
 * (CLI, unless `--allow-duplicate` / `--force`).
 *
 * ## Design
 * Nothing is kept on chain or in IPFS for these checks: the client decrypts the patient's
 * records it can read (a patient all of theirs; a provider under write consent those its grants
 * cover), oldest first, and in memory computes for each a keyed fingerprint
 * (`fhir/fingerprint.ts`, HMAC-SHA256 under a key derived from the writer's wallet-derived root
 * secret: HKDF-SHA256(rootSecret, info = "meridian/v1/content-fingerprint")) and the Patient
 * resources it holds. The results are cached per client for the session, so checking a second
 * upload decrypts only records anchored since. Works the same in the CLI and the browser; the
 * cost is one read per earlier record the first time (see `docs/keys.md`).
 *
 * The reference identity is the Patient of the **oldest** record that holds one (the first
 * identity the account stored); a batch with no earlier Patient takes its first Patient as
 * the reference for the rest. Matching: `fhir/patient-match.ts`.
 *
 * @module
 */
import type { Address, Hex } from "viem";
import type { Patient } from "@medplum/fhirtypes";
import { MeridianError } from "./errors.ts";
import { AccessDeniedError, MissingKeyError, type MeridianClient } from "./client.ts";
import { DecryptionError } from "./crypto/errors.ts";
import { recordFingerprint } from "./fhir/fingerprint.ts";
import { comparePatients, patientsIn, type PatientField } from "./fhir/patient-match.ts";
import { isResource } from "./fhir/view/entries.ts";
import type { RecordDraft } from "./fhir/split.ts";

/** A draft whose content is already stored (or appears earlier in the same batch). */
export interface DuplicateDraft {
  /** Index of the draft in the list checked. */
  draft: number;
  /** The draft's title (local text, never shown to anyone else). */
  title: string;
  /** The earlier record with the same content, or `undefined` when the duplicate is earlier in the batch. */
  recordId: Hex | undefined;
  /** Index of the earlier draft of the same batch, when that is the duplicate. */
  sameAsDraft: number | undefined;
}

/** A draft whose Patient does not match the patient's earlier records. */
export interface PatientMismatch {
  /** Index of the draft in the list checked. */
  draft: number;
  /** The draft's title. */
  title: string;
  /** The fields that differ (names of fields only, never values). */
  differing: PatientField[];
}

/** Result of {@link checkImport}. */
export interface ImportCheckResult {
  duplicates: DuplicateDraft[];
  mismatches: PatientMismatch[];
  /** Earlier records compared (decrypted now or earlier in this session). */
  compared: number;
  /** Earlier records this account cannot read (not compared). */
  unreadable: number;
  /** Whether an earlier record held a Patient to compare with. */
  hadReference: boolean;
}

/** Parameters of {@link checkImport}. */
export interface CheckImportParameters {
  /** Whose records (default: the client's own account). */
  patient?: Address;
  /** Called after each earlier record is read: `(done, total)`. */
  onProgress?: (done: number, total: number) => void;
}

interface ScannedRecord {
  fingerprint: string | undefined;
  patients: Patient[];
  readable: boolean;
}

/** Per client: its fingerprint key and the records it has scanned, by `patient:recordId`. */
const sessions = new WeakMap<MeridianClient, { key: Promise<Uint8Array>; records: Map<string, ScannedRecord> }>();

function session(client: MeridianClient): { key: Promise<Uint8Array>; records: Map<string, ScannedRecord> } {
  let s = sessions.get(client);
  if (!s) {
    // HKDF-SHA256 with an empty salt, from the root secret's non-extractable WebCrypto key
    const info = new TextEncoder().encode("meridian/v1/content-fingerprint");
    const key = client.keys().then(async (k) => {
      const bits = await crypto.subtle.deriveBits(
        { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info },
        k.rootSecret,
        256,
      );
      return new Uint8Array(bits);
    });
    s = { key, records: new Map() };
    sessions.set(client, s);
  }
  return s;
}

/**
 * Finds duplicates and Patient mismatches among `drafts` against `patient`'s earlier records
 * (see the module comment). Reads only; sends no transaction.
 *
 * @param client - The writer's client (the patient's own, or a provider's with write consent).
 * @param drafts - The drafts about to be stored, in order.
 * @param parameters - `patient` (default the client's account) and `onProgress`.
 * @returns Duplicates, mismatches and how many earlier records were compared.
 * @throws Chain and storage errors other than "may not read" ones (`AccessDeniedError`,
 *   `MissingKeyError`, `DecryptionError` and non-JSON plaintext mark a record unreadable instead).
 * @example
 * ```ts
 * const check = await checkImport(client, drafts);
 * if (check.duplicates.length > 0 && !allowDuplicate) throw new DuplicateRecordError({ duplicates: check.duplicates });
 * ```
 */
export async function checkImport(
  client: MeridianClient,
  drafts: readonly RecordDraft[],
  parameters: CheckImportParameters = {},
): Promise<ImportCheckResult> {
  const patient = parameters.patient ?? client.address;
  const { key: keyPromise, records } = session(client);
  const key = await keyPromise;
  const anchors = await client.listRecords(patient);
  let done = 0;
  for (const anchor of anchors) {
    const id = `${patient.toLowerCase()}:${anchor.recordId.toLowerCase()}`;
    if (!records.has(id)) {
      try {
        const { plaintext } = await client.readRecord(anchor.recordId);
        const json: unknown = JSON.parse(new TextDecoder().decode(plaintext));
        // JSON that is not a FHIR resource was read but can match no draft and holds no Patient.
        const scanned = isResource(json)
          ? { fingerprint: recordFingerprint(key, json), patients: patientsIn(json), readable: true }
          : { fingerprint: undefined, patients: [], readable: true };
        records.set(id, scanned);
      } catch (error) {
        const unreadable = [AccessDeniedError, MissingKeyError, DecryptionError, SyntaxError].some(
          (type) => error instanceof type,
        );
        if (!unreadable) throw error;
        records.set(id, { fingerprint: undefined, patients: [], readable: false });
      }
    }
    parameters.onProgress?.(++done, anchors.length);
  }

  const earlier = new Map<string, Hex>();
  let reference: Patient | undefined;
  let unreadable = 0;
  for (const anchor of anchors) {
    const scanned = records.get(`${patient.toLowerCase()}:${anchor.recordId.toLowerCase()}`) as ScannedRecord;
    if (!scanned.readable) unreadable++;
    if (scanned.fingerprint && !earlier.has(scanned.fingerprint)) earlier.set(scanned.fingerprint, anchor.recordId);
    reference ??= scanned.patients[0];
  }
  const hadReference = reference !== undefined;

  const duplicates: DuplicateDraft[] = [];
  const mismatches: PatientMismatch[] = [];
  const inBatch = new Map<string, number>();
  drafts.forEach((draft, index) => {
    const fingerprint = recordFingerprint(key, draft.resource);
    const recordId = earlier.get(fingerprint);
    const sameAsDraft = inBatch.get(fingerprint);
    if (recordId !== undefined || sameAsDraft !== undefined)
      duplicates.push({ draft: index, title: draft.title, recordId, sameAsDraft });
    else inBatch.set(fingerprint, index);
    const differing = new Set<PatientField>();
    for (const candidate of patientsIn(draft.resource)) {
      if (!reference) {
        reference = candidate;
        continue;
      }
      const comparison = comparePatients(candidate, reference);
      if (!comparison.match) for (const field of comparison.differing) differing.add(field);
      if (!comparison.match && comparison.differing.length === 0) differing.add("name");
    }
    if (differing.size > 0) mismatches.push({ draft: index, title: draft.title, differing: [...differing] });
  });
  return { duplicates, mismatches, compared: anchors.length - unreadable, unreadable, hadReference };
}

const FIELD_NAMES: Record<PatientField, string> = { identifier: "identifier", birthDate: "birth date", name: "name" };

/** Parameters of {@link DuplicateRecordError}. */
export interface DuplicateRecordErrorParameters {
  duplicates: readonly DuplicateDraft[];
  /** Label of the input (file name). */
  source?: string | undefined;
}

/** The content is already stored for this patient (same file, or same FHIR content). */
export class DuplicateRecordError extends MeridianError {
  override name = "DuplicateRecordError" as const;
  readonly duplicates: readonly DuplicateDraft[];

  constructor({ duplicates, source }: DuplicateRecordErrorParameters) {
    const ids = duplicates.flatMap((d) => (d.recordId ? [d.recordId] : []));
    super(
      `${duplicates.length} record${duplicates.length === 1 ? " is" : "s are"} already stored for this patient${source ? ` (${source})` : ""}; nothing was added.`,
      {
        details:
          ids.length > 0
            ? `same content as ${ids.slice(0, 5).join(", ")}${ids.length > 5 ? ", ..." : ""}`
            : "the same content appears twice in this batch",
        hint: "Nothing to do if you meant to add it once (`meridian list` shows your records); to store it again anyway, repeat with `meridian add --allow-duplicate`.",
      },
    );
    this.duplicates = duplicates;
  }
}

/** Parameters of {@link PatientMismatchError}. */
export interface PatientMismatchErrorParameters {
  mismatches: readonly PatientMismatch[];
  /** Label of the input (file name). */
  source?: string | undefined;
}

/** The file's Patient differs from the patient's earlier records: it may be someone else's data. */
export class PatientMismatchError extends MeridianError {
  override name = "PatientMismatchError" as const;
  readonly mismatches: readonly PatientMismatch[];

  constructor({ mismatches, source }: PatientMismatchErrorParameters) {
    const fields = [...new Set(mismatches.flatMap((m) => m.differing))].map((f) => FIELD_NAMES[f]);
    super(
      `The patient in ${source ?? "this file"} does not match your earlier records (${fields.join(", ")} differ${fields.length === 1 ? "s" : ""}); nothing was added.`,
      {
        details: `${mismatches.length} record${mismatches.length === 1 ? "" : "s"} affected`,
        hint: "Upload only your own records. If this is you (a new hospital, a changed name), repeat with `meridian add --force`.",
      },
    );
    this.mismatches = mismatches;
  }
}

/** Describes the differing fields for a confirm dialog, e.g. `"birth date and name"` (no values). */
export function describeDifferingFields(fields: readonly PatientField[]): string {
  const names = [...new Set(fields)].map((f) => FIELD_NAMES[f]);
  return names.length <= 1 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}
