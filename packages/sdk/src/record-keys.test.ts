/**
 * "Which key opens this record" is decided once, in `record-keys.ts`: against a real embedded
 * chain and a real Helia store, every read path (patient, record grant, category grant with key
 * regression, guardian bundle, emergency release, validator share) resolves through
 * `resolveRecordKey`, the key it returns opens the envelope on its own, and `readRecord` (the
 * façade and the action) and the validation author's `authorDataKey` report and use the same key.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Hex } from "viem";
import { startTestChain, testAccount, type TestChain } from "./testing/chain.ts";
import {
  authorDataKey,
  createMeridianClient,
  fetchRecordEnvelope,
  MissingKeyError,
  readRecord,
  readRecordAsValidator,
  resolveRecordKey,
  shareValidationKeys,
  validatorDataKey,
  type MeridianClient,
  type RecordKeyPath,
} from "./index.ts";
import {
  admitProvider,
  decodeValidationConsent,
  drawValidators,
  encodeValidationConsent,
  getRecordAnchor,
  GuardianLevel,
  joinValidatorPool,
  ProviderKind,
  signValidationConsent,
  submitForValidation,
  type RecordAnchor,
} from "./chain/index.ts";
import { openRecord } from "./crypto/index.ts";
import { RecordCategory } from "./categories.ts";
import { createHeliaStore } from "./storage/helia.ts";
import type { BlobStore } from "./storage/types.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

let kit: TestChain;
let store: BlobStore;
let dir: string;
let patient: MeridianClient, hospital: MeridianClient, lab: MeridianClient, guardian: MeridianClient;
let doctor: MeridianClient, stranger: MeridianClient, author: MeridianClient;
let peers: MeridianClient[];

before(async () => {
  kit = await startTestChain();
  dir = await mkdtemp(path.join(tmpdir(), "meridian-record-keys-"));
  store = await createHeliaStore({ directory: dir });
  const client = (i: number) => createMeridianClient({ ...kit.as(testAccount(i)), store });
  [patient, hospital, lab, guardian] = [client(5), client(2), client(3), client(4)];
  [doctor, stranger, author] = [client(6), client(12), client(13)];
  peers = [7, 8, 9, 10, 11].map(client);
  const regulator = kit.as(testAccount(1));
  const admit = async (c: MeridianClient, kind: (typeof ProviderKind)[keyof typeof ProviderKind], name: string) => {
    await admitProvider(regulator, { provider: c.address, kind, name, department: "" });
    await c.publishProviderKey();
  };
  await admit(hospital, ProviderKind.Hospital, "St Mary's");
  await admit(lab, ProviderKind.Lab, "North Lab");
  await admit(doctor, ProviderKind.Hospital, "City ER");
  await admit(stranger, ProviderKind.Clinic, "Elsewhere Clinic");
  await admit(author, ProviderKind.Hospital, "Author General");
  for (const [i, p] of peers.entries()) {
    await admit(p, ProviderKind.Hospital, `Peer Hospital ${i + 1}`);
    await joinValidatorPool(p.ctx);
  }
  await patient.registerAsPatient();
  await guardian.registerAsPatient();
});

after(async () => {
  await store.close();
  await kit.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Checks that `reader` resolves `recordId` through `resolveRecordKey` by path `via`, that the key
 * returned opens the stored envelope by itself, and that both `readRecord`s report the same path.
 */
async function assertPath(
  reader: MeridianClient,
  recordId: Hex,
  via: RecordKeyPath,
  plaintext: string,
): Promise<RecordAnchor> {
  const anchor = await getRecordAnchor(reader.ctx, recordId);
  const resolved = await resolveRecordKey(reader, { anchor });
  assert.equal(resolved.via, via);
  const envelope = await fetchRecordEnvelope(reader, { anchor });
  const context = {
    chainId: reader.ctx.deployment.chainId,
    contract: reader.ctx.deployment.recordRegistry,
    patient: anchor.patient,
    category: anchor.category,
    keyEpoch: anchor.keyEpoch,
  };
  assert.equal(text(await openRecord({ envelope, key: resolved.key, context })), plaintext);
  const [viaAction, viaFacade] = [await readRecord(reader, { recordId }), await reader.readRecord(recordId)];
  assert.equal(viaAction.via, via);
  assert.equal(viaFacade.via, via);
  assert.equal(text(viaFacade.plaintext), plaintext);
  return anchor;
}

test("every read path resolves through resolveRecordKey, and readRecord reports the same path", async () => {
  const labResult = await patient.addRecord({ plaintext: bytes("potassium 4.1"), category: RecordCategory.Lab });
  const summary = await patient.addRecord({
    plaintext: bytes('{"resourceType":"Bundle"}'),
    category: RecordCategory.General,
  });
  await assertPath(patient, labResult.recordId, "patient", "potassium 4.1");

  await patient.grant({ grantee: hospital.address, scope: { kind: "record", recordId: labResult.recordId } });
  await assertPath(hospital, labResult.recordId, "record-grant", "potassium 4.1");

  await patient.grant({ grantee: lab.address, scope: { kind: "category", category: RecordCategory.Lab } });
  await assertPath(lab, labResult.recordId, "category-grant", "potassium 4.1");

  await patient.grant({ grantee: stranger.address, scope: { kind: "all" } });
  await assertPath(stranger, summary.recordId, "all-grant", '{"resourceType":"Bundle"}');

  await patient.appointGuardian({ guardian: guardian.address, level: GuardianLevel.View });
  await assertPath(guardian, labResult.recordId, "guardian", "potassium 4.1");

  await patient.setEmergencySummary(summary.recordId);
  await doctor.openEmergencyAccess({ patient: patient.address, reason: "ETREAT" });
  await patient.releaseEmergencyKey({ provider: doctor.address });
  await assertPath(doctor, summary.recordId, "emergency", '{"resourceType":"Bundle"}');
});

test("a validator's share resolves through the same module, as the author's DEK does", async () => {
  const scope = { kind: "category", category: RecordCategory.General } as const;
  await patient.grant({ grantee: author.address, scope, write: true });
  const diagnosis = '{"resourceType":"Condition","code":{"text":"atrial fibrillation"}}';
  const { recordId } = await author.addRecord({
    plaintext: bytes(diagnosis),
    category: RecordCategory.General,
    patient: patient.address,
  });
  const signed = await signValidationConsent(patient.ctx, { recordId, author: author.address });
  await submitForValidation(author.ctx, { consent: decodeValidationConsent(encodeValidationConsent(signed)) });
  const { chosen } = await drawValidators(peers[0]!.ctx, { recordId });
  const validator = peers.find((p) => p.address === chosen[0]!.validator)!;
  const anchor = await getRecordAnchor(validator.ctx, recordId);

  // before the author shares, the validator path is found but holds no key
  await assert.rejects(resolveRecordKey(validator, { anchor }), MissingKeyError);
  await shareValidationKeys(author, { recordId });
  await assertPath(validator, recordId, "validation", diagnosis);
  assert.equal(text((await readRecordAsValidator(validator, { recordId })).plaintext), diagnosis);

  // the author re-shares exactly the DEK the validator receives: one key, found by one walk
  const [fromAuthor, fromShare] = [await authorDataKey(author, anchor), await validatorDataKey(validator, anchor)];
  assert.deepEqual(fromAuthor, fromShare);
  assert.equal((await resolveRecordKey(author, { anchor })).via, "category-grant");
});

test("the grant walk regresses a newer category key to an older record's epoch", async () => {
  const old = await patient.addRecord({ plaintext: bytes("old culture"), category: RecordCategory.Lab });
  // revoking another category grant advances the key epoch and re-issues the lab's grant at it
  const { revocation, reissued } = await patient.revoke({ grantee: stranger.address, scope: { kind: "all" } });
  assert.ok(reissued.length >= 1, "the lab's category grant is re-issued at the new epoch");
  const anchor = await assertPath(lab, old.recordId, "category-grant", "old culture");
  assert.ok(
    revocation.keyEpoch > anchor.keyEpoch,
    `grant at epoch ${revocation.keyEpoch}, record at ${anchor.keyEpoch}`,
  );
  const fresh = await patient.addRecord({ plaintext: bytes("new culture"), category: RecordCategory.Lab });
  await assertPath(lab, fresh.recordId, "category-grant", "new culture");
});

test("an account no path reaches gets MissingKeyError from resolveRecordKey", async () => {
  const note = await patient.addRecord({ plaintext: bytes("private note"), category: RecordCategory.Document });
  const anchor = await getRecordAnchor(stranger.ctx, note.recordId);
  await assert.rejects(resolveRecordKey(stranger, { anchor }), (e: unknown) => {
    assert.ok(e instanceof MissingKeyError);
    assert.match(e.shortMessage, /no key shared with you opens it/);
    return true;
  });
});
