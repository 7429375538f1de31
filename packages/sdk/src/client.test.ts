/**
 * The client against a real Hardhat/EDR chain (in process) and a real Helia node on disk:
 * every grant scope, key regression across a revocation, provider writes, and each refusal
 * or integrity failure as its own typed error.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, keccak256, toHex } from "viem";
import { CID } from "multiformats/cid";
import {
  AccessDeniedError,
  IntegrityError,
  KeyAlreadyPublishedError,
  NotRegisteredError,
  type MeridianClient,
} from "./client.ts";
import { publicKeyToBytes32 } from "./crypto/keys.ts";
import {
  anchorRecord,
  encodeScope,
  getPatient,
  getProvider,
  issueGrant,
  RecordNotFoundError,
} from "./chain/actions.ts";
import { wrapInfo, wrapKey } from "./crypto/hpke.ts";
import { KeyCommitmentError } from "./crypto/errors.ts";
import { ContractRevertedError } from "./chain/errors.ts";
import { ProviderKind, type TransactionEvent } from "./chain/types.ts";
import { RecordCategory } from "./categories.ts";
import { BlockNotFoundError } from "./storage/errors.ts";
import { startTestNetwork, type TestNetwork } from "./testing/index.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

let net: TestNetwork;
let patient: MeridianClient, hospital: MeridianClient, lab: MeridianClient, stranger: MeridianClient;

before(async () => {
  net = await startTestNetwork({ label: "client" });
  hospital = await net.admitProvider(2, { kind: ProviderKind.Hospital, name: "St Mary's", department: "Cardiology" });
  lab = await net.admitProvider(3, { kind: ProviderKind.Lab, name: "North Lab" });
  patient = await net.registerPatient(5);
  stranger = net.client(6);
});

after(async () => {
  await net.close();
});

test("the patient adds and reads back records; anyone else is refused until granted", async () => {
  const r = await patient.addRecord({
    plaintext: bytes('{"resourceType":"Observation"}'),
    category: RecordCategory.Lab,
  });
  assert.match(r.recordId, /^0x[0-9a-f]{64}$/);
  assert.ok(r.gasUsed < 65_000n, `anchoring used ${r.gasUsed} gas`);
  const own = await patient.readRecord(r.recordId);
  assert.equal(new TextDecoder().decode(own.plaintext), '{"resourceType":"Observation"}');
  assert.equal(own.via, "patient");
  await assert.rejects(hospital.readRecord(r.recordId), AccessDeniedError);
  await assert.rejects(
    stranger.readRecord(r.recordId),
    (e: unknown) => e instanceof AccessDeniedError && /not an admitted provider/.test(e.shortMessage),
  );
});

test("record, category and all-records grants each open what they cover and nothing else", async () => {
  const labRecord = await patient.addRecord({ plaintext: bytes("lab result"), category: RecordCategory.Lab });
  const note = await patient.addRecord({ plaintext: bytes("clinical note"), category: RecordCategory.Document });
  await patient.grant({ grantee: lab.address, scope: { kind: "record", recordId: labRecord.recordId } });
  assert.equal((await lab.readRecord(labRecord.recordId)).via, "record-grant");
  await assert.rejects(lab.readRecord(note.recordId), AccessDeniedError);
  await patient.grant({ grantee: lab.address, scope: { kind: "category", category: RecordCategory.Document } });
  assert.equal(new TextDecoder().decode((await lab.readRecord(note.recordId)).plaintext), "clinical note");
  await patient.grant({ grantee: hospital.address, scope: { kind: "all" } });
  assert.equal((await hospital.readRecord(labRecord.recordId)).via, "all-grant");
  assert.equal((await hospital.readRecord(note.recordId)).via, "all-grant");
});

test("a one-record grant carrying a DEK other than the record's committed key is refused", async () => {
  const record = await patient.addRecord({ plaintext: bytes("ferritin 12 ug/L"), category: RecordCategory.Lab });
  const scope = { kind: "record", recordId: record.recordId } as const;
  const { keyEpoch } = await getPatient(patient.ctx, patient.address);
  const info = wrapInfo({
    chainId: net.deployment.chainId,
    contract: net.deployment.recordRegistry,
    patient: patient.address,
    grantee: lab.address,
    scope: "record",
    target: encodeScope(scope).target,
    keyEpoch,
  });
  const { encryptionKey } = await getProvider(lab.ctx, lab.address);
  const otherDek = crypto.getRandomValues(new Uint8Array(32));
  const wrappedKey = bytesToHex(await wrapKey({ recipientPublicKey: encryptionKey, key: otherDek, info }));
  await issueGrant(patient.ctx, { grantee: lab.address, scope, write: false, expiresAt: 0, wrappedKey });
  const refused = (e: unknown) => e instanceof KeyCommitmentError && /key commitment/.test(e.shortMessage);
  await assert.rejects(lab.readRecord(record.recordId), refused, "refused before anything is decrypted");
  await patient.grant({ grantee: lab.address, scope }); // the SDK wraps the committed DEK
  assert.equal(new TextDecoder().decode((await lab.readRecord(record.recordId)).plaintext), "ferritin 12 ug/L");
});

test("revocation advances the key epoch; others are re-issued; a later grant still opens older records", async () => {
  const before = await patient.addRecord({ plaintext: bytes("epoch 0 document"), category: RecordCategory.Document });
  const { revocation, reissued } = await patient.revoke({
    grantee: lab.address,
    scope: { kind: "category", category: RecordCategory.Document },
  });
  assert.equal(revocation.keyEpoch, 1);
  assert.equal(reissued.length, 1, "the hospital's all-records grant is re-issued at epoch 1");
  await assert.rejects(lab.readRecord(before.recordId), AccessDeniedError);
  const afterRecord = await patient.addRecord({
    plaintext: bytes("epoch 1 document"),
    category: RecordCategory.Document,
  });
  assert.equal((await hospital.readRecord(afterRecord.recordId)).anchor.keyEpoch, 1);
  // a new category grant issued at epoch 1 regresses to open the epoch-0 record too
  await patient.grant({ grantee: lab.address, scope: { kind: "category", category: RecordCategory.Document } });
  assert.equal(new TextDecoder().decode((await lab.readRecord(before.recordId)).plaintext), "epoch 0 document");
  assert.equal(new TextDecoder().decode((await lab.readRecord(afterRecord.recordId)).plaintext), "epoch 1 document");
});

test("a provider with write consent adds a record the patient and other grantees can read", async () => {
  await assert.rejects(
    lab.addRecord({ patient: patient.address, plaintext: bytes("x"), category: RecordCategory.Lab }),
    AccessDeniedError,
  );
  await patient.grant({ grantee: lab.address, scope: { kind: "category", category: RecordCategory.Lab }, write: true });
  const written = await lab.addRecord({
    patient: patient.address,
    plaintext: bytes("written by the lab"),
    category: RecordCategory.Lab,
  });
  assert.equal(new TextDecoder().decode((await patient.readRecord(written.recordId)).plaintext), "written by the lab");
  assert.equal(new TextDecoder().decode((await hospital.readRecord(written.recordId)).plaintext), "written by the lab");
  assert.equal((await patient.verifyChain()).valid, true);
});

test("expiry, suspension and requests are enforced", async () => {
  const r = await patient.addRecord({ plaintext: bytes("timed"), category: RecordCategory.Imaging });
  const now = await net.now();
  await assert.rejects(
    patient.grant({ grantee: lab.address, scope: { kind: "record", recordId: r.recordId }, expiresAt: now - 1 }),
    (e: unknown) => e instanceof ContractRevertedError && e.errorName === "RecordRegistryInvalidExpiry",
  );
  await patient.grant({ grantee: lab.address, scope: { kind: "record", recordId: r.recordId }, expiresAt: now + 600 });
  await lab.readRecord(r.recordId);
  await net.increaseTime(601);
  await assert.rejects(lab.readRecord(r.recordId), AccessDeniedError);

  await net.setProviderStatus(hospital.address, "suspend");
  await assert.rejects(
    hospital.readRecord(r.recordId),
    (e: unknown) => e instanceof AccessDeniedError && /suspended/.test(e.shortMessage),
  );
  await assert.rejects(patient.grant({ grantee: hospital.address, scope: { kind: "all" } }), AccessDeniedError);
  await net.setProviderStatus(hospital.address, "reinstate");
  await hospital.readRecord(r.recordId);

  await lab.requestAccess({
    patient: patient.address,
    scope: { kind: "category", category: RecordCategory.Imaging },
    durationSeconds: 86400,
  });
  await assert.rejects(
    lab.requestAccess({ patient: patient.address, scope: { kind: "category", category: RecordCategory.Imaging } }),
    (e: unknown) => e instanceof ContractRevertedError && e.errorName === "RecordRegistryRequestNotPending",
  );
  assert.equal((await patient.pendingRequests()).length, 1);
  await assert.rejects(
    patient.approveRequest({
      requester: lab.address,
      scope: { kind: "category", category: RecordCategory.Imaging },
      write: true,
    }),
    (e: unknown) => e instanceof ContractRevertedError && e.errorName === "RecordRegistryWriteNotRequested",
  );
  await patient.approveRequest({
    requester: lab.address,
    scope: { kind: "category", category: RecordCategory.Imaging },
  });
  assert.equal((await patient.pendingRequests()).length, 0);
  assert.equal((await lab.readRecord(r.recordId)).via, "category-grant");
  const events = (await patient.audit()).map((e) => e.event);
  for (const e of [
    "PatientRegistered",
    "RecordAnchored",
    "GrantIssued",
    "GrantRevoked",
    "AccessRequested",
    "AccessRequestApproved",
  ])
    assert.ok(events.includes(e), e);
});

test("integrity: a wrong hash, a missing CID, an unknown record or patient are clear errors", async () => {
  const good = await patient.addRecord({ plaintext: bytes("genuine"), category: RecordCategory.General });
  const { keyEpoch } = await getPatient(net.as(5), patient.address);
  // anchor the same CID with a wrong ciphertext hash: reading it must fail, not return bytes
  const wrong = await anchorRecord(net.as(5), {
    patient: patient.address,
    cid: bytesToHex(CID.parse(good.cid).bytes),
    ciphertextHash: keccak256(toHex("not the hash")),
    category: RecordCategory.General,
    keyEpoch,
  });
  await assert.rejects(patient.readRecord(wrong.recordId), IntegrityError);
  // anchor a CID that no store has
  const missing = CID.parse("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy");
  const orphan = await anchorRecord(net.as(5), {
    patient: patient.address,
    cid: bytesToHex(missing.bytes),
    ciphertextHash: keccak256(toHex("x")),
    category: RecordCategory.General,
    keyEpoch,
  });
  await assert.rejects(patient.readRecord(orphan.recordId), BlockNotFoundError);
  await assert.rejects(patient.readRecord(keccak256(toHex("no such record"))), RecordNotFoundError);
  await assert.rejects(
    stranger.addRecord({ plaintext: bytes("x"), category: RecordCategory.General }),
    NotRegisteredError,
  );
  await assert.rejects(
    patient.registerAsPatient(),
    (e: unknown) =>
      e instanceof ContractRevertedError &&
      e.errorName === "RecordRegistryAlreadyRegistered" &&
      /already registered/.test(e.shortMessage),
  );
});

test("every contract write reports its steps to onTransaction, failures in plain words", async () => {
  const events: TransactionEvent[] = [];
  const observed = net.client(5, { onTransaction: (e) => events.push(e) });
  await observed.grant({ grantee: hospital.address, scope: { kind: "category", category: RecordCategory.Imaging } });
  assert.deepEqual(
    events.map((e) => e.status),
    ["simulating", "signing", "pending", "confirmed"],
  );
  assert.equal(new Set(events.map((e) => e.id)).size, 1);
  assert.ok(events[3]!.gasUsed! > 0n && events[3]!.hash === events[2]!.hash);
  events.length = 0;
  await assert.rejects(observed.registerAsPatient()); // already registered: the simulation reverts
  assert.deepEqual(
    events.map((e) => e.status),
    ["simulating", "failed"],
  );
  assert.match(events[1]!.error!, /RecordRegistry|registered/i);
});

test("a provider rotates its key: grants issued before and after both open; publishing twice or rotating first is refused", async () => {
  const clinic = await net.admitProvider(7, {
    kind: ProviderKind.Clinic,
    name: "Harbour Clinic",
    department: "General practice",
    publishKey: false,
  });
  await assert.rejects(clinic.rotateProviderKey(), NotRegisteredError);
  await clinic.publishProviderKey();
  await assert.rejects(
    clinic.publishProviderKey(),
    (e: unknown) => e instanceof KeyAlreadyPublishedError && /version 1/.test(e.shortMessage),
  );
  const before = await patient.addRecord({ plaintext: bytes("before rotation"), category: RecordCategory.Imaging });
  await patient.grant({ grantee: clinic.address, scope: { kind: "record", recordId: before.recordId } }); // wrapped to key 1
  const v1 = (await getProvider(net.as(7), clinic.address)).encryptionKey;
  const reader = net.client(7); // a session open across the rotation
  assert.equal(new TextDecoder().decode((await reader.readRecord(before.recordId)).plaintext), "before rotation");

  const rotated = await clinic.rotateProviderKey();
  assert.equal(rotated.keyVersion, 2);
  const entry = await getProvider(net.as(7), clinic.address);
  assert.equal(entry.keyVersion, 2);
  assert.notEqual(entry.encryptionKey, v1);
  assert.equal(entry.encryptionKey, publicKeyToBytes32((await clinic.keys(2)).publicKey));

  const after = await patient.addRecord({ plaintext: bytes("after rotation"), category: RecordCategory.Imaging });
  await patient.grant({ grantee: clinic.address, scope: { kind: "record", recordId: after.recordId } }); // wrapped to key 2
  // a fresh session of the same wallet (nothing cached) derives whichever version each grant needs
  const fresh = net.client(7);
  assert.equal(new TextDecoder().decode((await fresh.readRecord(before.recordId)).plaintext), "before rotation");
  assert.equal(new TextDecoder().decode((await fresh.readRecord(after.recordId)).plaintext), "after rotation");
  // the session that read before the rotation (made by another client) sees the new key version
  assert.equal(new TextDecoder().decode((await reader.readRecord(after.recordId)).plaintext), "after rotation");
  // the key-2 grant does not open with key 1 alone: the versions are unrelated keys
  assert.notDeepEqual((await clinic.keys(1)).publicKey, (await clinic.keys(2)).publicKey);
});
