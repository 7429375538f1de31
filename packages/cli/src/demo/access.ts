/**
 * The demo's access checks, on the first patient's records: who may read is exactly who was
 * granted, for as long and as much as granted. Unauthorized, denied, revoked, expired and
 * suspended access is refused; consent by a one-time code, a guardian acting for the patient and
 * emergency access to the International Patient Summary each open exactly what they should.
 *
 * @module
 */
import type { Bundle } from "@medplum/fhirtypes";
import { AccessDeniedError, categoryName, MeridianError, RecordCategory, type MeridianClient } from "@meridian/sdk";
import { admitProvider, ConsentCodeRefusedError, GuardianLevel, ProviderKind } from "@meridian/sdk/chain";
import { setProviderStatus } from "@meridian/sdk/chain";
import { summarizeInternationalPatientSummary } from "@meridian/sdk/fhir";
import { DEMO_PROVIDERS, type DemoNetwork } from "./network.ts";
import { plaintextOf, sha256, type ImportedRecord } from "./records.ts";
import type { PatientInput } from "./inputs.ts";
import type { DemoLog } from "./report.ts";

/** The patient whose records the access checks use, and those records. */
export interface AccessSubject {
  /** The first patient. */
  patient: MeridianClient;
  /** Their bundle (a draft of it is imported again after a revocation). */
  input: PatientInput;
  /** Their imported records; at least one. */
  records: readonly ImportedRecord[];
  /** The record most checks read: their first. */
  target: ImportedRecord;
}

const [, LAB_NAME, CLINIC_NAME] = DEMO_PROVIDERS.map(([name]) => name);

/** Checks that `read` is refused with an {@link AccessDeniedError}. */
export async function expectDenied(run: DemoLog, label: string, read: () => Promise<unknown>): Promise<void> {
  try {
    await read();
    run.check(label, false, "access was NOT refused");
  } catch (error) {
    const detail = error instanceof MeridianError ? `refused: ${error.shortMessage}` : String(error);
    run.check(label, error instanceof AccessDeniedError, detail);
  }
}

/**
 * A provider with no grant is refused; the lab requests one category, the patient approves, the
 * lab reads it but no other category; revoking refuses it again and moves the patient to the next
 * key epoch (the hospital's grant is re-issued and reads a record written after); a denied request
 * gives no access.
 */
export async function checkRequestsAndRevocation(run: DemoLog, network: DemoNetwork, s: AccessSubject): Promise<void> {
  const { hospital, lab, clinic } = network;
  const { patient: alice, target } = s;
  await expectDenied(run, "unauthorized provider refused", () => lab.readRecord(target.recordId));

  // request -> approve (one category) -> read; other categories stay closed; then revoke
  const labRecord = s.records.find((r) => r.category === RecordCategory.Lab) ?? target;
  const otherRecord = s.records.find((r) => r.category !== labRecord.category);
  const scope = { kind: "category", category: labRecord.category } as const;
  const requested = await lab.requestAccess({
    patient: alice.address,
    scope,
    durationSeconds: 30 * 86400,
    purpose: "TREAT",
  });
  run.gas("request access", requested.gasUsed);
  const pending = await alice.pendingRequests();
  run.gas(
    "approve request (with grant)",
    (await alice.approveRequest({ requester: lab.address, scope, expiresAt: 0 })).gasUsed,
  );
  const viaCategory = await lab.readRecord(labRecord.recordId);
  run.check(
    "request, approve, read",
    pending.length === 1 && (await sha256(viaCategory.plaintext)) === labRecord.sha256,
    `${LAB_NAME} requested ${categoryName(labRecord.category)} records, the patient approved, ` +
      `the provider read one (via ${viaCategory.via})`,
  );
  if (otherRecord) {
    await expectDenied(run, "category grant covers only its category", () => lab.readRecord(otherRecord.recordId));
  }
  const revoked = await alice.revoke({ grantee: lab.address, scope });
  run.gas("revoke", revoked.revocation.gasUsed);
  for (const r of revoked.reissued) run.gas("re-issue grant after revocation", r.gasUsed);
  await expectDenied(run, "revoked grant refused", () => lab.readRecord(labRecord.recordId));
  // a record written after the revocation uses the next key epoch; the hospital (re-issued) still reads it
  const after = await alice.addRecord({ plaintext: plaintextOf(s.input.drafts[0]!), category: labRecord.category });
  run.gas("anchor record", after.gasUsed);
  const afterRead = await hospital.readRecord(after.recordId);
  run.check(
    "revocation rotates keys",
    revoked.revocation.keyEpoch === 1 && afterRead.anchor.keyEpoch === 1 && revoked.reissued.length >= 1,
    `key epoch advanced to ${revoked.revocation.keyEpoch}; ${revoked.reissued.length} other grant(s) re-issued; ` +
      "the hospital reads the new record",
  );

  // deny
  run.gas(
    "request access",
    (await clinic.requestAccess({ patient: alice.address, scope: { kind: "all" }, purpose: "TREAT" })).gasUsed,
  );
  run.gas("deny request", (await alice.denyRequest({ requester: clinic.address, scope: { kind: "all" } })).gasUsed);
  await expectDenied(run, "denied request gives no access", () => clinic.readRecord(target.recordId));
}

/**
 * A one-record grant with an expiry opens that record until time passes it; suspending a provider
 * refuses its access at once (reinstating restores it).
 */
export async function checkExpiryAndSuspension(run: DemoLog, network: DemoNetwork, s: AccessSubject): Promise<void> {
  const { clients, clinic, hospital } = network;
  const { patient: alice, target } = s;
  const now = Number((await clients.publicClient.getBlock()).timestamp);
  const scope = { kind: "record", recordId: target.recordId } as const;
  run.gas("grant (one record)", (await alice.grant({ grantee: clinic.address, scope, expiresAt: now + 3600 })).gasUsed);
  const viaRecord = await clinic.readRecord(target.recordId);
  run.check(
    "one-record grant",
    (await sha256(viaRecord.plaintext)) === target.sha256,
    `${CLINIC_NAME} read the one record shared with it (via ${viaRecord.via})`,
  );
  await network.increaseTime(7200);
  await expectDenied(run, "expired grant refused", () => clinic.readRecord(target.recordId));

  const regulator = network.ctx(network.regulator);
  run.gas(
    "suspend provider",
    (await setProviderStatus(regulator, { provider: hospital.address, action: "suspend" })).gasUsed,
  );
  await expectDenied(run, "suspended provider refused", () => hospital.readRecord(target.recordId));
  run.gas(
    "reinstate provider",
    (await setProviderStatus(regulator, { provider: hospital.address, action: "reinstate" })).gasUsed,
  );
}

/**
 * Consent by code: the patient signs a one-time code (no gas); the clinic submits it once, and a
 * second time is refused.
 */
export async function checkConsentCode(run: DemoLog, network: DemoNetwork, s: AccessSubject): Promise<void> {
  const { clinic } = network;
  const { patient: alice, target } = s;
  const code = await alice.createConsentCode({
    grantee: clinic.address,
    scope: { kind: "category", category: target.category },
  });
  const redeemed = await clinic.redeemConsentCode(code.text);
  run.gas("redeem consent code", redeemed.gasUsed);
  const viaCode = await clinic.readRecord(target.recordId);
  let replayRefused = false;
  try {
    await clinic.redeemConsentCode(code.text);
  } catch (error) {
    replayRefused = error instanceof ConsentCodeRefusedError && error.reason === "used";
  }
  run.check(
    "consent by code",
    (await sha256(viaCode.plaintext)) === target.sha256 && redeemed.consentHash === code.digest && replayRefused,
    `${CLINIC_NAME} redeemed the patient's code ${code.shortCode} once (a second use was refused) ` +
      `and read a ${categoryName(target.category)} record`,
  );
}

/**
 * A guardian (another registered account, the next development account after the patients)
 * approves the lab's request for the patient at SHARE AND VIEW; the audit trail names the guardian.
 *
 * @returns the guardian, who releases the emergency key in {@link checkEmergencyAccess}.
 */
export async function checkGuardian(run: DemoLog, network: DemoNetwork, s: AccessSubject): Promise<MeridianClient> {
  const { lab } = network;
  const { patient: alice, target } = s;
  const guardian = network.client(await network.fundedAccount(5 + network.patients.length));
  await guardian.registerAsPatient();
  const appointed = await alice.appointGuardian({ guardian: guardian.address, level: GuardianLevel.ShareAndView });
  run.gas("appoint guardian", appointed.gasUsed);
  await lab.requestAccess({ patient: alice.address, scope: { kind: "all" }, durationSeconds: 86400, purpose: "TREAT" });
  const approved = await guardian.approveRequest({
    patient: alice.address,
    requester: lab.address,
    scope: { kind: "all" },
  });
  run.gas("approve request as guardian", approved.gasUsed);
  const viaGuardianGrant = await lab.readRecord(target.recordId);
  const acted = (await alice.audit()).filter(
    (e) => e.event === "GuardianActed" && e.args.guardian === guardian.address,
  );
  run.check(
    "guardian acts for the patient",
    (await sha256(viaGuardianGrant.plaintext)) === target.sha256 && acted.length === 1,
    `a SHARE AND VIEW guardian approved ${LAB_NAME}'s request; the audit trail names the guardian`,
  );
  return guardian;
}

/**
 * Emergency access: an emergency department with no grant opens the patient's International
 * Patient Summary (on chain first); the guardian releases the key; the access covers only the
 * summary, and closing it ends it.
 */
export async function checkEmergencyAccess(
  run: DemoLog,
  network: DemoNetwork,
  s: AccessSubject,
  guardian: MeridianClient,
): Promise<void> {
  const { patient: alice, target } = s;
  const erAccount = await network.fundedAccount(6 + network.patients.length);
  const admission = {
    provider: erAccount.address,
    kind: ProviderKind.Hospital,
    name: "City General Hospital",
    department: "Emergency",
  };
  run.gas("admit provider", (await admitProvider(network.ctx(network.regulator), admission)).gasUsed);
  const er = network.client(erAccount);
  await er.publishProviderKey();
  const summary = await alice.createEmergencySummary();
  await expectDenied(run, "no emergency access, no summary", () => er.readRecord(summary.recordId));
  const opened = await er.openEmergencyAccess({ patient: alice.address, reason: "ETREAT", durationSeconds: 3600 });
  run.gas("open emergency access", opened.gasUsed);
  const released = await guardian.releaseEmergencyKey({ patient: alice.address, provider: er.address });
  run.gas("release emergency key", released.gasUsed);
  const summaryRead = await er.readRecord(summary.recordId);
  const [firstAlert] = await alice.emergencyAccesses();
  const events = (await alice.audit()).map((e) => e.event);
  const ips = JSON.parse(new TextDecoder().decode(summaryRead.plaintext)) as Bundle;
  const view = summarizeInternationalPatientSummary(ips);
  run.check(
    "emergency access",
    summaryRead.via === "emergency" &&
      firstAlert?.provider === er.address &&
      firstAlert.releasedBy === guardian.address &&
      events.lastIndexOf("EmergencyAccessOpened") < events.lastIndexOf("EmergencyKeyReleased"),
    "the emergency department opened the patient's International Patient Summary (reason ETREAT, on chain before " +
      `the guardian released the key): ${view.allergies.length} allergies, ${view.medications.length} medications, ` +
      `${view.problems.length} problems`,
  );
  await expectDenied(run, "emergency access covers only the summary", () => er.readRecord(target.recordId));
  await er.closeEmergencyAccess({ patient: alice.address, provider: er.address });
  await expectDenied(run, "closed emergency access refused", () => er.readRecord(summary.recordId));
}
