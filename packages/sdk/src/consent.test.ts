/**
 * Consent codes, guardians and emergency access through the client, against a real Hardhat/EDR
 * chain (in process), a real Helia node on disk and real crypto: each flow end to end, and
 * each refusal as its own typed error before any gas is spent.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex } from "viem";
import { AccessDeniedError, MissingKeyError, type MeridianClient } from "./client.ts";
import { getProvider, getRecordAnchor } from "./chain/actions.ts";
import { ContractRevertedError } from "./chain/errors.ts";
import {
  ConsentCodeFormatError,
  ConsentCodeRefusedError,
  decodeConsentCode,
  encodeConsentCode,
} from "./chain/consent-codes.ts";
import { GuardianLevel } from "./chain/guardians.ts";
import { releaseEmergencyKey } from "./chain/emergency-access.ts";
import { wrapInfo, wrapKey } from "./crypto/hpke.ts";
import { KeyCommitmentError } from "./crypto/errors.ts";
import { ProviderKind } from "./chain/types.ts";
import { RecordCategory } from "./categories.ts";
import { patientBundle, startTestNetwork, TEST_REGULATOR, type TestNetwork } from "./testing/index.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

let net: TestNetwork;
let patient: MeridianClient,
  hospital: MeridianClient,
  er: MeridianClient,
  guardian: MeridianClient,
  viewer: MeridianClient,
  stranger: MeridianClient;

before(async () => {
  net = await startTestNetwork({ label: "consent" });
  hospital = await net.admitProvider(2, { kind: ProviderKind.Hospital, name: "St Mary's", department: "Cardiology" });
  er = await net.admitProvider(3, { kind: ProviderKind.Hospital, name: "City General", department: "Emergency" });
  patient = await net.registerPatient(5);
  guardian = await net.registerPatient(7);
  viewer = await net.registerPatient(8);
  stranger = net.client(9);
});

after(async () => {
  await net.close();
});

test("consent by code: the patient signs away from the provider's screen, the provider submits once and reads", async () => {
  const record = await patient.addRecord({ plaintext: bytes("lab: HbA1c 6.1 %"), category: RecordCategory.Lab });
  const code = await patient.createConsentCode({
    grantee: hospital.address,
    scope: { kind: "category", category: RecordCategory.Lab },
  });
  assert.match(code.text, /^MERIDIAN-CONSENT:1:[A-Z2-7]+$/, "the text form is in the QR alphanumeric set");
  assert.match(code.shortCode, /^[A-Z2-7]{5}-[A-Z2-7]{5}$/);
  assert.deepEqual(decodeConsentCode(code.text), {
    code: code.code,
    wrappedKey: code.wrappedKey,
    signature: code.signature,
  });
  await assert.rejects(hospital.readRecord(record.recordId), AccessDeniedError);
  await assert.rejects(
    er.redeemConsentCode(code.text),
    (e: unknown) => e instanceof ConsentCodeRefusedError && e.reason === "wrong-grantee",
  );

  const redeemed = await hospital.redeemConsentCode(code.text);
  assert.equal(redeemed.consentHash, code.digest);
  assert.equal(text((await hospital.readRecord(record.recordId)).plaintext), "lab: HbA1c 6.1 %");
  const trail = await patient.audit();
  assert.ok(
    trail.some((e) => e.event === "ConsentCodeRedeemed" && e.args.consentHash === code.digest),
    "the consent is in the audit trail with its hash",
  );
  await assert.rejects(
    hospital.redeemConsentCode(code.text),
    (e: unknown) => e instanceof ConsentCodeRefusedError && e.reason === "used",
  );
});

test("expired, tampered, cross-chain, cross-contract and garbled codes are refused, each by name", async () => {
  const code = await patient.createConsentCode({
    grantee: hospital.address,
    scope: { kind: "category", category: RecordCategory.Document },
    validForSeconds: 60,
  });
  const signed = decodeConsentCode(code.text);
  const refused = (reason: string) => (e: unknown) => e instanceof ConsentCodeRefusedError && e.reason === reason;
  await assert.rejects(
    hospital.redeemConsentCode({ ...signed, code: { ...signed.code, write: true } }),
    refused("bad-signature"),
  );
  await assert.rejects(
    hospital.redeemConsentCode({ ...signed, code: { ...signed.code, chainId: 1 } }),
    refused("wrong-chain"),
  );
  await assert.rejects(
    hospital.redeemConsentCode({ ...signed, code: { ...signed.code, registry: net.deployment.providerRegistry } }),
    refused("wrong-contract"),
  );
  assert.throws(() => decodeConsentCode(code.text.slice(0, -20)), ConsentCodeFormatError);
  assert.throws(() => decodeConsentCode("hello"), ConsentCodeFormatError);
  assert.throws(() => decodeConsentCode(encodeConsentCode(signed) + "AAAA"), ConsentCodeFormatError);
  await net.increaseTime(120);
  await assert.rejects(hospital.redeemConsentCode(code.text), refused("expired"));
});

test("a SHARE AND VIEW guardian approves a request for the patient; a VIEW guardian reads but cannot share", async () => {
  const note = await patient.addRecord({ plaintext: bytes("discharge note"), category: RecordCategory.Document });
  await patient.appointGuardian({ guardian: guardian.address, level: GuardianLevel.ShareAndView });
  await patient.appointGuardian({ guardian: viewer.address, level: GuardianLevel.View });
  assert.deepEqual(
    (await guardian.wards()).map((w) => w.patient),
    [patient.address],
  );
  assert.equal((await viewer.readRecord(note.recordId)).via, "guardian");
  assert.equal(text((await guardian.readRecord(note.recordId)).plaintext), "discharge note");

  await er.requestAccess({ patient: patient.address, scope: { kind: "category", category: RecordCategory.Document } });
  await assert.rejects(
    viewer.approveRequest({
      patient: patient.address,
      requester: er.address,
      scope: { kind: "category", category: RecordCategory.Document },
    }),
    (e: unknown) => e instanceof ContractRevertedError && e.errorName === "RecordRegistryNotGuardian",
  );
  await guardian.approveRequest({
    patient: patient.address,
    requester: er.address,
    scope: { kind: "category", category: RecordCategory.Document },
  });
  assert.equal(text((await er.readRecord(note.recordId)).plaintext), "discharge note");
  const acted = (await patient.audit()).filter((e) => e.event === "GuardianActed");
  assert.equal(acted.length, 1);
  assert.equal(acted[0]!.args.guardian, guardian.address, "the guardian's action names the guardian");

  // the patient removes the VIEW guardian: it reads nothing any more, and the others are re-keyed
  const { removal, reissued } = await patient.removeGuardian(viewer.address);
  assert.ok(reissued.length >= 2, "live grants and the other guardian are re-keyed at the new epoch");
  await assert.rejects(viewer.readRecord(note.recordId), AccessDeniedError);
  const later = await patient.addRecord({ plaintext: bytes("later note"), category: RecordCategory.Document });
  assert.equal(later.recordId.length, 66);
  assert.equal(
    text((await guardian.readRecord(later.recordId)).plaintext),
    "later note",
    `the guardian reads epoch ${removal.keyEpoch}`,
  );
  assert.equal(text((await er.readRecord(later.recordId)).plaintext), "later note");
});

test("emergency access: on chain first, key released by a guardian, summary only, time-boxed, first in the audit log", async () => {
  const summary = await patient.addRecord({
    plaintext: bytes('{"resourceType":"Bundle","type":"document"}'),
    category: RecordCategory.General,
  });
  const other = await patient.addRecord({ plaintext: bytes("medication list"), category: RecordCategory.Medication });
  await assert.rejects(
    er.openEmergencyAccess({ patient: patient.address, reason: "ETREAT" }),
    (e: unknown) => e instanceof ContractRevertedError && e.errorName === "RecordRegistryNoEmergencySummary",
  );
  await patient.setEmergencySummary(summary.recordId);
  await assert.rejects(er.openEmergencyAccess({ patient: patient.address, reason: "" }), /reason code is required/);
  await assert.rejects(
    guardian.releaseEmergencyKey({ patient: patient.address, provider: hospital.address }),
    AccessDeniedError,
  );

  const opened = await er.openEmergencyAccess({ patient: patient.address, reason: "ETREAT", durationSeconds: 3600 });
  assert.equal(opened.recordId, summary.recordId);
  await assert.rejects(er.readRecord(summary.recordId), MissingKeyError, "no key until a guardian releases it");
  const [alert] = await patient.emergencyAccesses();
  assert.equal(alert?.provider, er.address);
  assert.equal(alert?.reason, "ETREAT");
  assert.equal(alert?.active, true);

  await guardian.releaseEmergencyKey({ patient: patient.address, provider: er.address });
  const read = await er.readRecord(summary.recordId);
  assert.equal(read.via, "emergency");
  assert.equal(text(read.plaintext), '{"resourceType":"Bundle","type":"document"}');
  await assert.rejects(er.readRecord(other.recordId), AccessDeniedError, "emergency access opens the summary only");
  const events = (await guardian.audit(patient.address)).map((e) => e.event);
  assert.ok(
    events.indexOf("EmergencyAccessOpened") < events.indexOf("EmergencyKeyReleased"),
    "opened on chain before the key was released",
  );

  await net.increaseTime(3601);
  await assert.rejects(er.readRecord(summary.recordId), AccessDeniedError, "the time box ended");
  assert.equal((await patient.emergencyAccesses())[0]?.active, false);

  // the regulator is never a reader, and a suspended provider cannot open emergency access
  await assert.rejects(net.client(TEST_REGULATOR).readRecord(summary.recordId), AccessDeniedError);
  await net.setProviderStatus(er.address, "suspend");
  await assert.rejects(
    er.openEmergencyAccess({ patient: patient.address, reason: "ETREAT" }),
    (e: unknown) => e instanceof ContractRevertedError && e.errorName === "RecordRegistryProviderNotActive",
  );
  await net.setProviderStatus(er.address, "reinstate");
  assert.ok(stranger.address);
});

test("emergency access refuses a released key that is not the summary's own (key commitment)", async () => {
  const summaryId = await patient.emergencySummary();
  assert.ok(summaryId);
  await er.openEmergencyAccess({ patient: patient.address, reason: "ETREAT", durationSeconds: 600 });
  // a guardian releases some other 32-byte key, wrapped exactly as a real release is
  const { keyEpoch } = await getRecordAnchor(er.ctx, summaryId);
  const info = wrapInfo({
    chainId: net.deployment.chainId,
    contract: net.deployment.recordRegistry,
    patient: patient.address,
    grantee: er.address,
    scope: "record",
    target: summaryId,
    keyEpoch,
  });
  const { encryptionKey } = await getProvider(er.ctx, er.address);
  const otherDek = crypto.getRandomValues(new Uint8Array(32));
  const wrappedKey = bytesToHex(await wrapKey({ recipientPublicKey: encryptionKey, key: otherDek, info }));
  await releaseEmergencyKey(guardian.ctx, { patient: patient.address, provider: er.address, wrappedKey });
  const refused = (e: unknown) => e instanceof KeyCommitmentError && /key commitment/.test(e.shortMessage);
  await assert.rejects(er.readRecord(summaryId), refused, "refused before anything is decrypted");
  // the SDK's release sends the committed key
  await guardian.releaseEmergencyKey({ patient: patient.address, provider: er.address });
  assert.equal(text((await er.readRecord(summaryId)).plaintext), '{"resourceType":"Bundle","type":"document"}');
  await er.closeEmergencyAccess({ patient: patient.address, provider: er.address });
});

test("the patient builds its emergency summary (an International Patient Summary) from its own FHIR records", async () => {
  const owner = await net.registerPatient(10);
  await owner.addRecord({ plaintext: bytes(JSON.stringify(patientBundle())), category: RecordCategory.General });
  await owner.addRecord({ plaintext: bytes("%PDF-1.4 not JSON"), category: RecordCategory.Document });
  const { recordId, summary } = await owner.createEmergencySummary();
  assert.equal(await owner.emergencySummary(), recordId);
  assert.equal(summary.type, "document");
  const patientEntry = summary.entry?.find((e) => e.resource?.resourceType === "Patient")?.resource as
    { identifier?: unknown } | undefined;
  assert.equal(patientEntry?.identifier, undefined, "no identifiers in the break-glass summary");
});

test("after a guardian revokes, providers' write grants are stale until the patient's app re-keys them", async () => {
  await patient.grant({
    grantee: er.address,
    scope: { kind: "category", category: RecordCategory.Cardiac },
    write: true,
  });
  await er.addRecord({ patient: patient.address, plaintext: bytes("ECG report 1"), category: RecordCategory.Cardiac });
  const { revocation } = await guardian.revoke({
    patient: patient.address,
    grantee: hospital.address,
    scope: { kind: "category", category: RecordCategory.Lab },
  });
  await assert.rejects(
    er.addRecord({ patient: patient.address, plaintext: bytes("ECG report 2"), category: RecordCategory.Cardiac }),
    AccessDeniedError,
  );
  const stale = await patient.staleKeyHolders();
  assert.equal(stale.keyEpoch, revocation.keyEpoch);
  assert.ok(
    stale.grants.some((g) => g.grantee === er.address && g.write),
    "the ER's write grant is at an old epoch",
  );
  assert.ok(
    stale.guardians.some((g) => g.guardian === guardian.address),
    "so is the guardian's key",
  );
  await patient.reissueAfterEpochChange();
  const after = await patient.staleKeyHolders();
  assert.deepEqual([after.grants.length, after.guardians.length], [0, 0]);
  const r = await er.addRecord({
    patient: patient.address,
    plaintext: bytes("ECG report 2"),
    category: RecordCategory.Cardiac,
  });
  assert.equal(text((await guardian.readRecord(r.recordId)).plaintext), "ECG report 2");
});
