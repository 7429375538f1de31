/**
 * Record actions: add (encrypt, store, anchor), read (find the anchor, check access, fetch,
 * check the hash, find the key, decrypt), list, audit and verify a patient's records.
 * viem-style: `doThing(client, parameters)`.
 *
 * @module
 */
import { bytesToHex, isAddressEqual, type Address, type Hex } from "viem";
import { CID } from "multiformats/cid";
import { categoryName, type RecordCategory } from "../categories.ts";
import { encryptRecordParts, openRecord, releaseRecordParts, type EnvelopeContext } from "../crypto/envelope.ts";
import type { DecryptionError, KeyCommitmentError } from "../crypto/errors.ts";
import {
  anchorRecord,
  canRead,
  canWrite,
  getPatient,
  getProvider,
  getRecordAnchor,
  listRecordAnchors,
  verifyPatientChain,
  type AnchorMismatchError,
  type ChainVerification,
  type RecordAnchor,
  type RecordNotFoundError,
} from "../chain/actions.ts";
import { getAuditTrail, type AuditEntry } from "../chain/grants.ts";
import type { RetiredKeyEpochError } from "../chain/key-epoch.ts";
import { ProviderStatus, type MeridianDeployment } from "../chain/types.ts";
import type { BlockNotFoundError, CidMismatchError, StorageUnavailableError } from "../storage/errors.ts";
import type { MeridianAccount } from "../account.ts";
import { resolveRecordKey, writeKek, type RecordKeyPath } from "../record-keys.ts";
import { fetchRecordEnvelope } from "./envelopes.ts";
import { getSealableKeyEpoch } from "./key-epochs.ts";
import {
  AccessDeniedError,
  type ChainErrorType,
  type IntegrityError,
  type MissingKeyError,
  NotRegisteredError,
} from "./errors.ts";

/** The AES-GCM AAD context of a record of `patient`, `category` and `keyEpoch` in this deployment. */
export function recordContext(
  deployment: MeridianDeployment,
  patient: Address,
  category: RecordCategory,
  keyEpoch: number,
): EnvelopeContext {
  return { chainId: deployment.chainId, contract: deployment.recordRegistry, patient, category, keyEpoch };
}

/** Why `client`'s account may not act as a provider (suspended, removed, never admitted), or `undefined` when it is active. */
async function inactiveProviderReason(client: MeridianAccount): Promise<{ why: string; hint: string } | undefined> {
  const { status } = await getProvider(client.ctx, client.address);
  const regulator =
    "Only the regulator can reinstate a provider; see your status with `meridian provider show <address>`.";
  if (status === ProviderStatus.Suspended) return { why: "your provider account is suspended", hint: regulator };
  if (status === ProviderStatus.Removed) return { why: "your provider account was removed", hint: regulator };
  if (status === ProviderStatus.None) {
    return {
      why: "this account is not an admitted provider",
      hint: "Ask the regulator to admit it (`meridian provider admit`), or use the patient's own account.",
    };
  }
  return undefined;
}

// --------------------------------------------------------------------- add

/** Stages of {@link addRecord}, reported through `onStage`. */
export type AddRecordStage = "encrypt" | "store" | "anchor" | "confirmed";

/** Parameters of {@link addRecord}. */
export interface AddRecordParameters {
  /** The record's bytes (FHIR JSON, an attachment, …), any length. */
  plaintext: Uint8Array;
  /** Its category (decides which KEK seals it and which grants cover it). */
  category: RecordCategory;
  /** Whose record it is (default: the account itself; else the account needs write consent). */
  patient?: Address | undefined;
  /** Called as each stage starts. */
  onStage?: ((stage: AddRecordStage) => void) | undefined;
  /**
   * Awaited after the envelope is stored and before the transaction is sent, with the envelope's
   * CID and ciphertext hash: a caller that must anchor exactly once records them here, and after
   * a crash finds out from the chain whether that CID was anchored.
   */
  beforeAnchor?: ((stored: { cid: string; ciphertextHash: Hex }) => void | Promise<void>) | undefined;
}

/** Result of {@link addRecord}. */
export interface AddRecordReturnType {
  recordId: Hex;
  /** CID of the envelope (string form). */
  cid: string;
  ciphertextHash: Hex;
  /** Plaintext size in bytes. */
  bytes: number;
  /** Envelope size in bytes. */
  envelopeBytes: number;
  /** Gas used by the anchoring transaction (gas units). */
  gasUsed: bigint;
  /** Milliseconds spent encrypting, storing, and anchoring (until the receipt). */
  timings: { encryptMs: number; storeMs: number; anchorMs: number };
}

/** Errors {@link addRecord} throws. */
export type AddRecordErrorType =
  | NotRegisteredError
  | AccessDeniedError
  | MissingKeyError
  | RetiredKeyEpochError
  | StorageUnavailableError
  | ChainErrorType;

/**
 * Encrypts `plaintext` (AES-256-GCM under a fresh DEK wrapped by the category KEK), stores the
 * envelope and anchors it as a record of `patient` (default: the account). Checks consent and the
 * key epoch before storing anything, so a refused write leaves nothing behind; if anchoring fails
 * after storing, the error is thrown and the stored ciphertext is an unreferenced, unreadable blob.
 *
 * @throws {NotRegisteredError} when the patient is not registered.
 * @throws {AccessDeniedError} without write consent (or as an inactive provider).
 * @throws {MissingKeyError} when no write grant of the current key epoch is held.
 * @throws {RetiredKeyEpochError} when a provider would seal under keys someone whose access ended holds.
 * @example
 * ```ts
 * const { recordId, gasUsed } = await addRecord(patient, { plaintext, category: RecordCategory.Lab });
 * ```
 */
export async function addRecord(client: MeridianAccount, p: AddRecordParameters): Promise<AddRecordReturnType> {
  const me = client.address;
  const patient = p.patient ?? me;
  const info = await getPatient(client.ctx, patient);
  if (!info.registered) {
    throw new NotRegisteredError("The patient is not registered.", {
      details: patient,
      hint: "The patient must register first (`meridian register`).",
    });
  }
  if (!isAddressEqual(patient, me) && !(await canWrite(client.ctx, me, patient, p.category))) {
    // a consent does not help a provider that may not act at all: say that first
    const inactive = await inactiveProviderReason(client);
    if (inactive)
      throw new AccessDeniedError(`You may not add records for the patient: ${inactive.why}.`, {
        details: `patient ${patient}`,
        hint: inactive.hint,
      });
    throw new AccessDeniedError(
      `You have no active write consent for the patient's ${categoryName(p.category)} records.`,
      {
        hint: "Request access with write consent (`meridian request --write`).",
      },
    );
  }
  // never seal under keys a grantee whose access ended still holds (docs/keys.md, section 4)
  const keyEpoch = await getSealableKeyEpoch(client, { patient, keyEpoch: info.keyEpoch });
  p.onStage?.("encrypt");
  const t0 = performance.now();
  const kek = await writeKek(client, patient, p.category, keyEpoch);
  const context = recordContext(client.ctx.deployment, patient, p.category, keyEpoch);
  const sealed = await encryptRecordParts({ plaintext: p.plaintext, kek, context });
  kek.fill(0);
  p.onStage?.("store");
  const t1 = performance.now();
  // The envelope goes to the store in parts (header, segments), never joined into one buffer;
  // the store returns its ciphertext hash with its CID, both from one pass of hashing.
  let stored: { cid: string; ciphertextHash: Hex };
  try {
    stored = await client.store.put(sealed.parts);
  } finally {
    releaseRecordParts(sealed.parts); // stored (or failed): free them for the next record now
  }
  const { cid, ciphertextHash } = stored;
  await p.beforeAnchor?.({ cid, ciphertextHash }); // e.g. a durable write-ahead intent, for exactly-once anchoring
  p.onStage?.("anchor");
  const t2 = performance.now();
  const anchored = await anchorRecord(client.ctx, {
    patient,
    cid: bytesToHex(CID.parse(cid).bytes),
    ciphertextHash,
    category: p.category,
    keyEpoch,
  });
  const t3 = performance.now();
  p.onStage?.("confirmed");
  return {
    recordId: anchored.recordId,
    cid,
    ciphertextHash,
    bytes: p.plaintext.length,
    envelopeBytes: sealed.size,
    gasUsed: anchored.gasUsed,
    timings: { encryptMs: t1 - t0, storeMs: t2 - t1, anchorMs: t3 - t2 },
  };
}

// -------------------------------------------------------------------- read

/** Parameters of {@link readRecord}. */
export interface ReadRecordParameters {
  /** The record id (bytes32 hex). */
  recordId: Hex;
}

/** Result of {@link readRecord}. */
export interface ReadRecordReturnType {
  /** The decrypted record bytes. */
  plaintext: Uint8Array;
  /** The record's anchor, as checked against the chain. */
  anchor: RecordAnchor;
  /** Which key opened it ({@link resolveRecordKey}). */
  via: RecordKeyPath;
}

/** Errors {@link readRecord} throws. */
export type ReadRecordErrorType =
  | AccessDeniedError
  | RecordNotFoundError
  | AnchorMismatchError
  | IntegrityError
  | CidMismatchError
  | BlockNotFoundError
  | MissingKeyError
  | KeyCommitmentError
  | DecryptionError
  | ChainErrorType;

/**
 * Reads, verifies and decrypts record `recordId`: finds its anchor and asks the chain whether the
 * account may read it now (`canRead`, one round trip), fetches the envelope by CID and checks it
 * against the anchored ciphertext hash, finds the key that opens it ({@link resolveRecordKey}:
 * patient, grant, guardian, emergency release or validator share) and decrypts. Never returns
 * unverified bytes.
 *
 * @throws {AccessDeniedError} when the chain says the account may not read it now.
 * @throws {RecordNotFoundError} for an unknown record id.
 * @throws {IntegrityError} / {@link CidMismatchError} when the stored bytes are not the anchored ones.
 * @throws {MissingKeyError} when no key shared with the account opens it.
 * @throws {DecryptionError} (or {@link KeyCommitmentError}) when the key does not open the envelope.
 * @example
 * ```ts
 * const { plaintext, via } = await readRecord(hospital, { recordId }); // via: "category-grant"
 * ```
 */
export async function readRecord(
  client: MeridianAccount,
  { recordId }: ReadRecordParameters,
): Promise<ReadRecordReturnType> {
  const me = client.address;
  // both reads in one round trip; an unknown record fails with the anchor's RecordNotFoundError
  const [anchorRead, allowedRead] = await Promise.allSettled([
    getRecordAnchor(client.ctx, recordId),
    canRead(client.ctx, me, recordId),
  ]);
  if (anchorRead.status === "rejected") throw anchorRead.reason;
  if (allowedRead.status === "rejected") throw allowedRead.reason;
  const anchor = anchorRead.value;
  if (!allowedRead.value) {
    const inactive = await inactiveProviderReason(client);
    const why = inactive?.why ?? "you hold no active grant (never granted, revoked or expired)";
    throw new AccessDeniedError(`You may not read this record: ${why}.`, {
      details: `record ${recordId}`,
      hint: inactive?.hint ?? "Request access from the patient (`meridian request`).",
    });
  }
  const envelope = await fetchRecordEnvelope(client, { anchor });
  const { key, via } = await resolveRecordKey(client, { anchor });
  const context = recordContext(client.ctx.deployment, anchor.patient, anchor.category, anchor.keyEpoch);
  try {
    return { plaintext: await openRecord({ envelope, key, context }), anchor, via };
  } finally {
    ("dek" in key ? key.dek : key.kek).fill(0);
  }
}

// ------------------------------------------------------------ list, audit

/** Parameters of {@link listRecords}, {@link readAuditTrail} and {@link verifyRecordChain}. */
export interface PatientParameters {
  /** The patient (default: the account itself). */
  patient?: Address | undefined;
}

/** Parameters of {@link listRecords}. */
export type ListRecordsParameters = PatientParameters;
/** The patient's record anchors, oldest first. */
export type ListRecordsReturnType = RecordAnchor[];
/** Errors {@link listRecords} throws. */
export type ListRecordsErrorType = ChainErrorType;

/**
 * Record anchors of `patient` (default: the account), oldest first, from `RecordAnchored` events.
 *
 * @example
 * ```ts
 * const anchors = await listRecords(patient, {});
 * ```
 */
export function listRecords(client: MeridianAccount, p: ListRecordsParameters = {}): Promise<ListRecordsReturnType> {
  return listRecordAnchors(client.ctx, p.patient ?? client.address);
}

/** Parameters of {@link readAuditTrail}. */
export type ReadAuditTrailParameters = PatientParameters;
/** The patient's audit entries, oldest first (wrapped keys left out). */
export type ReadAuditTrailReturnType = AuditEntry[];
/** Errors {@link readAuditTrail} throws. */
export type ReadAuditTrailErrorType = ChainErrorType;

/**
 * The audit trail of `patient` (default: the account): every `RecordRegistry` event about it.
 *
 * @example
 * ```ts
 * for (const e of await readAuditTrail(patient, {})) console.log(e.event, e.blockNumber);
 * ```
 */
export function readAuditTrail(
  client: MeridianAccount,
  p: ReadAuditTrailParameters = {},
): Promise<ReadAuditTrailReturnType> {
  return getAuditTrail(client.ctx, p.patient ?? client.address);
}

/** Parameters of {@link verifyRecordChain}. */
export type VerifyRecordChainParameters = PatientParameters;
/** Whether every link of the hash chain holds, and what failed. */
export type VerifyRecordChainReturnType = ChainVerification;
/** Errors {@link verifyRecordChain} throws. */
export type VerifyRecordChainErrorType = ChainErrorType;

/**
 * Verifies the hash chain of `patient`'s records (default: the account) from the events alone
 * (`verifyPatientChain`); needs no keys.
 *
 * @example
 * ```ts
 * const { valid, problems } = await verifyRecordChain(auditor, { patient });
 * ```
 */
export function verifyRecordChain(
  client: MeridianAccount,
  p: VerifyRecordChainParameters = {},
): Promise<VerifyRecordChainReturnType> {
  return verifyPatientChain(client.ctx, p.patient ?? client.address);
}
