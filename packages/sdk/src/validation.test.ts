/**
 * Peer validation end to end against a real Hardhat/EDR chain (in process) and a real Helia node
 * on disk: the patient's consent, submission, the draw, key sharing with HPKE, validators reading
 * the record, 3-of-4 validation and a rejection, the refusals as typed errors, and replacement.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, hexToBytes, keccak256, stringToBytes, zeroHash, type Address, type Hex } from "viem";
import { CID } from "multiformats/cid";
import { MissingKeyError, type MeridianClient } from "./client.ts";
import { anchorRecord, canRead, encodeScope, getPatient, getProvider, listGrantEvents } from "./chain/actions.ts";
import { ContractRevertedError } from "./chain/errors.ts";
import { ProviderKind } from "./chain/types.ts";
import {
  castValidationVote,
  decodeValidationConsent,
  drawValidators,
  encodeValidationConsent,
  getValidationCase,
  getValidationCasePool,
  getValidationStatuses,
  getValidatorPool,
  joinValidatorPool,
  listValidatorAssignments,
  listValidationVotes,
  NotValidatorError,
  replaceValidator,
  shareKeysOnChain,
  signValidationConsent,
  submitForValidation,
  ValidationStatus,
  VOTE_PERIOD_SECONDS,
} from "./chain/peer-validation.ts";
import { readRecordAsValidator, shareValidationKeys, validationWrapInfo } from "./validation.ts";
import { unwrapKey, wrapInfo, wrapKey } from "./crypto/hpke.ts";
import { KeyCommitmentError } from "./crypto/errors.ts";
import { grantKek } from "./keyring.ts";
import { forgeTwoKeyEnvelope, startTestNetwork, type TestNetwork } from "./testing/index.ts";
import { RecordCategory } from "./categories.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

let net: TestNetwork;
let patient: MeridianClient, author: MeridianClient;
let hospitals: MeridianClient[];

const byAddress = (a: Address): MeridianClient => {
  const c = hospitals.find((h) => h.address.toLowerCase() === a.toLowerCase());
  if (!c) throw new Error(`no hospital ${a}`);
  return c;
};

before(async () => {
  net = await startTestNetwork({ label: "validation" });
  const cardiology = { kind: ProviderKind.Hospital, department: "Cardiology" } as const;
  author = await net.admitProvider(2, { ...cardiology, name: "Author General" });
  hospitals = [];
  for (const [i, account] of [7, 8, 9, 10, 11].entries()) {
    const h = await net.admitProvider(account, { kind: ProviderKind.Hospital, name: `Peer Hospital ${i + 1}` });
    await joinValidatorPool(h.ctx);
    hospitals.push(h);
  }
  patient = await net.registerPatient(5);
  await patient.grant({
    grantee: author.address,
    scope: { kind: "category", category: RecordCategory.General },
    write: true,
  });
});

after(async () => {
  await net.close();
});

/** The author writes a diagnosis for the patient, the patient consents, the author submits, anyone draws. */
async function submitted(diagnosis: string): Promise<{ recordId: Hex; validators: MeridianClient[] }> {
  const { recordId } = await author.addRecord({
    plaintext: new TextEncoder().encode(diagnosis),
    category: RecordCategory.General,
    patient: patient.address,
  });
  return submittedRecord(recordId);
}

/** The patient consents to validating record `recordId`, the author submits it, anyone draws. */
async function submittedRecord(recordId: Hex): Promise<{ recordId: Hex; validators: MeridianClient[] }> {
  // the consent travels as text from the patient to the author
  const consent = decodeValidationConsent(
    encodeValidationConsent(await signValidationConsent(patient.ctx, { recordId, author: author.address })),
  );
  await submitForValidation(author.ctx, { consent });
  const { chosen } = await drawValidators(hospitals[0]!.ctx, { recordId });
  assert.equal(chosen.length, 4);
  return { recordId, validators: chosen.map((c) => byAddress(c.validator)) };
}

test("a diagnosis validated by 3 of 4 chosen hospitals, each reading it with the key the author shared", async () => {
  assert.equal((await getValidatorPool(author.ctx)).length, 5);
  const diagnosis = '{"resourceType":"Condition","code":{"text":"atrial fibrillation"}}';
  const { recordId, validators } = await submitted(diagnosis);
  const c = await getValidationCase(author.ctx, recordId);
  assert.equal(c.statusName, "pending");
  assert.equal(c.author, author.address);
  assert.equal(c.patient, patient.address);
  assert.equal(c.poolSize, 5, "the case draws from the 5 hospitals in the pool at its submission");
  const [casePool, pool] = await Promise.all([
    getValidationCasePool(author.ctx, recordId),
    getValidatorPool(author.ctx),
  ]);
  assert.deepEqual([...casePool].sort(), [...pool].sort());

  // before the key is shared, a validator may read (on chain) but holds no key
  const [v0, v1, v2, v3] = validators as [MeridianClient, MeridianClient, MeridianClient, MeridianClient];
  assert.equal(
    await canRead(v0.ctx, v0.address, recordId),
    true,
    "RecordRegistry.canRead lets a chosen validator read",
  );
  await assert.rejects(readRecordAsValidator(v0, recordId), MissingKeyError);
  const unchosen = hospitals.find((h) => !validators.includes(h))!;
  await assert.rejects(readRecordAsValidator(unchosen, recordId), NotValidatorError);
  assert.equal(await canRead(unchosen.ctx, unchosen.address, recordId), false);

  const { sharedWith, transaction } = await shareValidationKeys(author, recordId);
  assert.deepEqual([...sharedWith].sort(), validators.map((v) => v.address).sort());
  assert.ok(transaction && transaction.gasUsed < 80_000n, `shareKeys used ${transaction?.gasUsed}`);
  assert.deepEqual((await shareValidationKeys(author, recordId)).sharedWith, [], "shared once");
  for (const v of validators) {
    const read = await readRecordAsValidator(v, recordId);
    assert.equal(text(read.plaintext), diagnosis);
    assert.equal(read.via, "validation");
    assert.equal(
      text((await v.readRecord(recordId)).plaintext),
      diagnosis,
      "the client's own readRecord opens it for a validator too",
    );
    assert.deepEqual(await listValidatorAssignments(v.ctx, v.address).then((ids) => ids.includes(recordId)), true);
  }

  assert.equal(
    (await castValidationVote(v0.ctx, { recordId, approve: true, comment: "ECG supports it" })).status,
    ValidationStatus.Pending,
  );
  assert.equal(
    (await castValidationVote(v1.ctx, { recordId, approve: false, comment: "rate control note missing" })).status,
    ValidationStatus.Pending,
  );
  assert.equal((await castValidationVote(v2.ctx, { recordId, approve: true })).status, ValidationStatus.Pending);
  const last = await castValidationVote(v3.ctx, { recordId, approve: true, comment: "agree" });
  assert.equal(last.status, ValidationStatus.Validated);
  assert.deepEqual(await getValidationStatuses(patient.ctx, [recordId]), [ValidationStatus.Validated]);
  const votes = await listValidationVotes(patient.ctx, recordId);
  assert.equal(votes.length, 4);
  assert.equal(
    votes[0]!.commentHash,
    keccak256(stringToBytes("ECG supports it")),
    "only the comment's hash is on chain",
  );
  assert.equal(votes[2]!.commentHash, zeroHash);
  // validators keep reading a decided record
  assert.equal(text((await readRecordAsValidator(v1, recordId)).plaintext), diagnosis);
});

test("another diagnosis rejected by 2 of 4; the abuse cases are refused by name", async () => {
  const { recordId, validators } = await submitted('{"resourceType":"Condition","code":{"text":"pneumonia"}}');
  const [v0, v1, v2, v3] = validators as [MeridianClient, MeridianClient, MeridianClient, MeridianClient];
  const unchosen = hospitals.find((h) => !validators.includes(h))!;
  const refused = (name: string) => (e: unknown) => e instanceof ContractRevertedError && e.errorName === name;
  await assert.rejects(
    castValidationVote(unchosen.ctx, { recordId, approve: true }),
    refused("PeerValidationNotValidator"),
  );
  await assert.rejects(
    castValidationVote(author.ctx, { recordId, approve: true }),
    refused("PeerValidationAuthorCannotVote"),
  );
  await castValidationVote(v0.ctx, { recordId, approve: false, comment: "the X-ray shows no consolidation" });
  await assert.rejects(castValidationVote(v0.ctx, { recordId, approve: true }), refused("PeerValidationAlreadyVoted"));
  await castValidationVote(v1.ctx, { recordId, approve: true });
  assert.equal((await castValidationVote(v2.ctx, { recordId, approve: false })).status, ValidationStatus.Rejected);
  await assert.rejects(castValidationVote(v3.ctx, { recordId, approve: true }), refused("PeerValidationCaseNotOpen"));
  const c = await getValidationCase(patient.ctx, recordId);
  assert.deepEqual([c.statusName, c.approvals, c.rejections], ["rejected", 1, 2]);
});

test("a validator silent past its deadline is replaced: it loses access, its successor is drawn and gets the key", async () => {
  const { recordId, validators } = await submitted('{"resourceType":"Condition","code":{"text":"angina"}}');
  await shareValidationKeys(author, recordId);
  const [v0, v1] = validators as [MeridianClient, MeridianClient];
  await castValidationVote(v0.ctx, { recordId, approve: true });
  await assert.rejects(
    replaceValidator(hospitals[4]!.ctx, { recordId, validator: v1.address }),
    (e: unknown) => e instanceof ContractRevertedError && e.errorName === "PeerValidationDeadlineNotPassed",
  );
  await net.increaseTime(VOTE_PERIOD_SECONDS + 1); // and mine, so that calls simulated at the latest block see the time
  await assert.rejects(
    castValidationVote(v1.ctx, { recordId, approve: true }),
    (e: unknown) => e instanceof ContractRevertedError && e.errorName === "PeerValidationDeadlinePassed",
  );
  await replaceValidator(hospitals[4]!.ctx, { recordId, validator: v1.address });
  await assert.rejects(readRecordAsValidator(v1, recordId), NotValidatorError);
  const { chosen } = await drawValidators(patient.ctx, { recordId });
  assert.equal(chosen.length, 1);
  const successor = byAddress(chosen[0]!.validator);
  assert.ok(!validators.includes(successor), "the only hospital not drawn before");
  assert.deepEqual((await shareValidationKeys(author, recordId)).sharedWith, [successor.address]);
  assert.match(text((await readRecordAsValidator(successor, recordId)).plaintext), /angina/);
  await castValidationVote(successor.ctx, { recordId, approve: true });
  assert.equal((await getValidationCase(patient.ctx, recordId)).approvals, 2);
});

test("an author cannot show validators another diagnosis than the patient's (key commitment)", async () => {
  // What a malicious author holds: its wallet, its write grant's KEK (from its GrantIssued event), the store.
  const [grant] = (await listGrantEvents(author.ctx, { patient: patient.address, grantee: author.address })).reverse();
  assert.ok(grant && grant.scope.kind === "category" && grant.write);
  const { deployment } = author.ctx;
  const info = wrapInfo({
    chainId: deployment.chainId,
    contract: deployment.recordRegistry,
    patient: patient.address,
    grantee: author.address,
    scope: "category",
    target: encodeScope(grant.scope).target,
    keyEpoch: grant.keyEpoch,
  });
  const recipient = await author.keysAtBlock(grant.blockNumber);
  const payload = await unwrapKey({ recipient, wrapped: hexToBytes(grant.wrappedKey), info });
  const { keyEpoch } = await getPatient(author.ctx, patient.address);
  const kek = grantKek({
    scope: "category",
    payload,
    grantEpoch: grant.keyEpoch,
    category: grant.scope.category,
    epoch: keyEpoch,
  });
  const category = RecordCategory.General;
  const { chainId, recordRegistry: contract } = deployment;
  const context = { chainId, contract, patient: patient.address, category, keyEpoch };
  const deks = [crypto.getRandomValues(new Uint8Array(32)), crypto.getRandomValues(new Uint8Array(32))] as const;
  const forPatient = '{"resourceType":"Condition","code":{"text":"dilated cardiomyopathy, implant ICD"}}';
  const forValidators = '{"resourceType":"Observation","code":{"text":"normal echocardiogram"}}';
  // one envelope whose ciphertext authenticates under both DEKs' AES-GCM keys; the header wraps and commits DEK 1
  const envelope = await forgeTwoKeyEnvelope({ version: 3, kek, context, deks, messages: [forPatient, forValidators] });
  const stored = await net.store.put(envelope);
  const cid = bytesToHex(CID.parse(stored.cid).bytes);
  const { ciphertextHash } = stored;
  const anchor = { patient: patient.address, cid, ciphertextHash, category, keyEpoch };
  const anchored = await anchorRecord(author.ctx, anchor);
  const { recordId, validators } = await submittedRecord(anchored.recordId);
  assert.match(text((await patient.readRecord(recordId)).plaintext), /dilated cardiomyopathy, implant ICD/);

  // the author shares DEK 2 with every seated validator, straight on chain (HPKE to each one's key)
  const seated = validators.map((v) => v.address);
  const wrappedKeys: Hex[] = [];
  for (const validator of seated) {
    const { encryptionKey } = await getProvider(author.ctx, validator);
    const bound = validationWrapInfo(deployment, { patient: patient.address, validator, recordId, keyEpoch });
    wrappedKeys.push(bytesToHex(await wrapKey({ recipientPublicKey: encryptionKey, key: deks[1], info: bound })));
  }
  await shareKeysOnChain(author.ctx, { recordId, validators: seated, wrappedKeys });
  const refused = (e: unknown) => e instanceof KeyCommitmentError && /key commitment/.test(e.shortMessage);
  for (const v of validators) {
    await assert.rejects(readRecordAsValidator(v, recordId), refused);
    await assert.rejects(v.readRecord(recordId), refused, "the client's readRecord takes the same path");
  }

  // the SDK's own share sends the committed key: the validators then see what the patient sees
  assert.equal((await shareValidationKeys(author, recordId, { all: true })).sharedWith.length, 4);
  for (const v of validators) {
    assert.match(text((await readRecordAsValidator(v, recordId)).plaintext), /dilated cardiomyopathy/);
  }
});
