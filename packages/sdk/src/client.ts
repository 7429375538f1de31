/**
 * The Meridian client: one object with a method per thing a patient's, provider's or guardian's
 * app does. It is a thin façade: each method delegates to a plain-function action in
 * `actions/` (records, sharing, consent codes, guardians, emergency access, key epochs,
 * registration, validation), which take the client as their first argument, viem-style. Which
 * key opens a record is decided in one place, `record-keys.ts`.
 *
 * - {@link MeridianClient.addRecord}: encrypt (AES-256-GCM under a fresh DEK, wrapped by the
 *   category KEK), store on IPFS, anchor on chain.
 * - {@link MeridianClient.readRecord}: find the anchor, check access, fetch by CID, check the
 *   SHA-256 against the anchor, unwrap the right key, decrypt.
 * - {@link MeridianClient.grant} / {@link MeridianClient.revoke}: share a DEK or KEK with HPKE
 *   (RFC 9180); revocation advances the key epoch and re-issues the patient's other live grants.
 *
 * @module
 */
import type { Address, Hex } from "viem";
import type { Bundle } from "@medplum/fhirtypes";
import type { ChainVerification, RecordAnchor } from "./chain/actions.ts";
import type { AuditEntry, GrantEvent, PendingRequest } from "./chain/grants.ts";
import type { TransactionResult } from "./chain/types.ts";
import type { ConsentCode, SignedConsentCode } from "./chain/consent-codes.ts";
import type { GuardianLevelCode, Guardianship } from "./chain/guardians.ts";
import type { EmergencyAccessEntry } from "./chain/emergency-access.ts";
import type { FindRetiredKeyHoldersReturnType } from "./chain/key-epoch.ts";
import { MeridianAccount, type MeridianClientParameters } from "./account.ts";
import { fetchRecordEnvelope } from "./actions/envelopes.ts";
import * as records from "./actions/records.ts";
import * as keyEpochs from "./actions/key-epochs.ts";
import * as registration from "./actions/registration.ts";
import * as sharing from "./actions/sharing.ts";
import * as consentCodes from "./actions/consent-codes.ts";
import * as guardians from "./actions/guardians.ts";
import * as emergency from "./actions/emergency.ts";

export {
  AccessDeniedError,
  IntegrityError,
  KeyAlreadyPublishedError,
  MissingKeyError,
  NotRegisteredError,
} from "./actions/errors.ts";
export { KEY_HOLDER_RESCAN_MS } from "./actions/key-epochs.ts";
export type { MeridianClientParameters } from "./account.ts";
export type { AddRecordStage } from "./actions/records.ts";

/** Result of {@link MeridianClient.addRecord} (`AddRecordReturnType` of the `addRecord` action). */
export type AddRecordResult = records.AddRecordReturnType;
/** Result of {@link MeridianClient.readRecord} (`ReadRecordReturnType` of the `readRecord` action). */
export type ReadRecordResult = records.ReadRecordReturnType;
/** A consent code made by {@link MeridianClient.createConsentCode}: what the patient's app shows. */
export type CreatedConsentCode = consentCodes.CreateConsentCodeReturnType;

/**
 * Creates a client for the wallet's account. Keys are derived lazily on first use with one
 * EIP-712 signature (see `crypto/keys.ts`).
 *
 * @example
 * ```ts
 * const patient = createMeridianClient({ publicClient, walletClient, deployment, store });
 * await patient.registerAsPatient();
 * const { recordId } = await patient.addRecord({ plaintext, category: RecordCategory.Lab });
 * ```
 */
export function createMeridianClient(parameters: MeridianClientParameters): MeridianClient {
  return new MeridianClient(parameters);
}

/**
 * See {@link createMeridianClient}. The account itself (`ctx`, `store`, `consentCodes`,
 * `address`, `keys`, `keyring`, `keysAtBlock`) is {@link MeridianAccount}; every method below
 * delegates to the action named in its docs, with the same errors.
 */
export class MeridianClient extends MeridianAccount {
  // ---------------------------------------------------------------- registration

  /** Registers this account as a patient with its derived public key (`registerAsPatient`). */
  registerAsPatient(): Promise<TransactionResult> {
    return registration.registerAsPatient(this);
  }

  /** Publishes this provider's first derived public key (`publishProviderKey`); throws `KeyAlreadyPublishedError`. */
  publishProviderKey(): Promise<TransactionResult> {
    return registration.publishProviderKey(this);
  }

  /** Rotates this provider's encryption key to version + 1 (`rotateProviderKey`); throws `NotRegisteredError`. */
  rotateProviderKey(): Promise<TransactionResult & { keyVersion: number }> {
    return registration.rotateProviderKey(this);
  }

  // --------------------------------------------------------------------- records

  /** Encrypts, stores and anchors a record of `patient` (default: this account) (`addRecord`). */
  addRecord(p: records.AddRecordParameters): Promise<AddRecordResult> {
    return records.addRecord(this, p);
  }

  /** Reads, verifies and decrypts record `recordId` (`readRecord`). */
  readRecord(recordId: Hex): Promise<ReadRecordResult> {
    return records.readRecord(this, { recordId });
  }

  /** Record `anchor`'s envelope from the store, checked against its CID and anchored hash (`fetchRecordEnvelope`). */
  fetchRecordEnvelope(anchor: RecordAnchor): Promise<Uint8Array> {
    return fetchRecordEnvelope(this, { anchor });
  }

  /** Record anchors of `patient` (default: this account), oldest first (`listRecords`). */
  listRecords(patient?: Address): Promise<RecordAnchor[]> {
    return records.listRecords(this, { patient });
  }

  /** The audit trail of `patient` (default: this account) (`readAuditTrail`). */
  audit(patient?: Address): Promise<AuditEntry[]> {
    return records.readAuditTrail(this, { patient });
  }

  /** Verifies the hash chain of `patient` (default: this account) (`verifyRecordChain`). */
  verifyChain(patient?: Address): Promise<ChainVerification> {
    return records.verifyRecordChain(this, { patient });
  }

  // ------------------------------------------------------------------ key epochs

  /** Who holds the current epoch's keys and who of them may no longer read (`getRetiredKeyHolders`). */
  retiredKeyHolders(patient?: Address): Promise<FindRetiredKeyHoldersReturnType> {
    return keyEpochs.getRetiredKeyHolders(this, { patient });
  }

  /** Moves `patient` (default: this account) to a new key epoch and re-keys (`rotateKeyEpoch`). */
  rotateKeyEpoch(p: { patient?: Address } = {}): Promise<keyEpochs.RotateKeyEpochReturnType> {
    return keyEpochs.rotateKeyEpoch(this, p);
  }

  /** Patient: re-issues live grants and re-keys guardians of older epochs (`reissueAfterEpochChange`). */
  reissueAfterEpochChange(): Promise<keyEpochs.ReissuedKey[]> {
    return keyEpochs.reissueAfterEpochChange(this);
  }

  /** Patient: who holds keys of an older epoch and should be re-keyed (`getStaleKeyHolders`). */
  staleKeyHolders(): Promise<{ keyEpoch: number; grants: GrantEvent[]; guardians: Guardianship[] }> {
    return keyEpochs.getStaleKeyHolders(this);
  }

  // --------------------------------------------------------------------- sharing

  /** Grants `grantee` access over `scope` (`grantAccess`). */
  grant(p: sharing.GrantAccessParameters): Promise<TransactionResult & { grantId: Hex; keyEpoch: number }> {
    return sharing.grantAccess(this, p);
  }

  /** Revokes a grant, then re-issues the others at the new epoch (`revokeAccess`). */
  revoke(p: sharing.RevokeAccessParameters): Promise<sharing.RevokeAccessReturnType> {
    return sharing.revokeAccess(this, p);
  }

  /** Provider: asks `patient` for access over `scope` (`requestPatientAccess`). */
  requestAccess(p: sharing.RequestPatientAccessParameters): Promise<TransactionResult & { requestId: Hex }> {
    return sharing.requestPatientAccess(this, p);
  }

  /** Patient (or its SHARE AND VIEW guardian): approves a pending request (`approveAccessRequest`). */
  approveRequest(
    p: sharing.ApproveAccessRequestParameters,
  ): Promise<TransactionResult & { grantId: Hex; keyEpoch: number }> {
    return sharing.approveAccessRequest(this, p);
  }

  /** Patient (or its SHARE AND VIEW guardian): denies a pending request (`denyAccessRequest`). */
  denyRequest(p: sharing.DenyAccessRequestParameters): Promise<TransactionResult> {
    return sharing.denyAccessRequest(this, p);
  }

  /** Pending requests to `patient` (default: this account) (`listAccessRequests`). */
  pendingRequests(patient?: Address): Promise<PendingRequest[]> {
    return sharing.listAccessRequests(this, { patient });
  }

  // --------------------------------------------------------------- consent codes

  /** Patient: makes a one-time consent code for `grantee` over `scope` (`createConsentCode`). */
  createConsentCode(p: consentCodes.CreateConsentCodeParameters): Promise<CreatedConsentCode> {
    return consentCodes.createConsentCode(this, p);
  }

  /** Provider: checks a consent code against the chain, then redeems it (`submitConsentCode`). */
  redeemConsentCode(
    code: string | SignedConsentCode,
  ): Promise<TransactionResult & { grantId: Hex; consentHash: Hex; code: ConsentCode }> {
    return consentCodes.submitConsentCode(this, { code });
  }

  // ------------------------------------------------------------------- guardians

  /** Patient: appoints (or re-keys) `guardian` at `level` (`addGuardian`). */
  appointGuardian(p: {
    guardian: Address;
    level: GuardianLevelCode;
  }): Promise<TransactionResult & { keyEpoch: number }> {
    return guardians.addGuardian(this, p);
  }

  /** Patient: removes a guardian, then re-keys the others (`dismissGuardian`). */
  removeGuardian(guardian: Address): Promise<guardians.DismissGuardianReturnType> {
    return guardians.dismissGuardian(this, { guardian });
  }

  /** Guardian: steps down as guardian of `patient` (`stepDownAsGuardian`). */
  stepDownAsGuardian(patient: Address): Promise<TransactionResult & { keyEpoch: number }> {
    return guardians.stepDownAsGuardian(this, { patient });
  }

  /** The guardians of `patient` (default: this account) (`listGuardians`). */
  guardians(patient?: Address): Promise<Guardianship[]> {
    return guardians.listGuardians(this, { patient });
  }

  /** The patients this account is a guardian of (`listWards`). */
  wards(): Promise<Guardianship[]> {
    return guardians.listWards(this);
  }

  /** The level at which this account acts for `patient` (`getActingGuardianLevel`). */
  guardianLevel(patient: Address): Promise<GuardianLevelCode> {
    return guardians.getActingGuardianLevel(this, { patient });
  }

  // ------------------------------------------------------------ emergency access

  /** Patient: names one of its records its emergency summary (`nameEmergencySummary`). */
  setEmergencySummary(recordId: Hex): Promise<TransactionResult> {
    return emergency.nameEmergencySummary(this, { recordId });
  }

  /** Patient: builds, stores and names an International Patient Summary (`createEmergencySummary`). */
  createEmergencySummary(
    p: emergency.CreateEmergencySummaryParameters = {},
  ): Promise<AddRecordResult & { summary: Bundle }> {
    return emergency.createEmergencySummary(this, p);
  }

  /** The record id of `patient`'s emergency summary (default: this account), or undefined (`getEmergencySummaryId`). */
  emergencySummary(patient?: Address): Promise<Hex | undefined> {
    return emergency.getEmergencySummaryId(this, { patient });
  }

  /** Provider: opens time-boxed emergency access to `patient`'s summary (`startEmergencyAccess`). */
  openEmergencyAccess(
    p: emergency.StartEmergencyAccessParameters,
  ): Promise<TransactionResult & { recordId: Hex; expiresAt: number }> {
    return emergency.startEmergencyAccess(this, p);
  }

  /** Patient or SHARE AND VIEW guardian: releases the summary's DEK to `provider` (`releaseEmergencyDataKey`). */
  releaseEmergencyKey(p: emergency.ReleaseEmergencyDataKeyParameters): Promise<TransactionResult> {
    return emergency.releaseEmergencyDataKey(this, p);
  }

  /** Patient, guardian or the provider: ends an emergency access early (`endEmergencyAccess`). */
  closeEmergencyAccess(p: { patient: Address; provider: Address }): Promise<TransactionResult> {
    return emergency.endEmergencyAccess(this, p);
  }

  /** Emergency accesses to `patient` (default: this account), newest first (`listEmergencyAccessesTo`). */
  emergencyAccesses(patient?: Address): Promise<EmergencyAccessEntry[]> {
    return emergency.listEmergencyAccessesTo(this, { patient });
  }

  /** Emergency accesses this provider account opened, newest first (`listEmergencyAccessesBy`). */
  myEmergencyAccesses(): Promise<EmergencyAccessEntry[]> {
    return emergency.listEmergencyAccessesBy(this);
  }
}
