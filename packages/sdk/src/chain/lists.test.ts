/**
 * The list actions a screen shows (a patient's grants, the patients sharing with a provider, the
 * pending access requests) on a real Hardhat/EDR chain from the test kit: grants issued, revoked,
 * re-issued and expired by time travel, the regulator suspending and reinstating a grantee, and
 * requests approved, denied and made again.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { toHex, type Account, type Address } from "viem";
import { RecordCategory } from "@meridian/sdk";
import {
  admitProvider,
  approveRequest,
  denyRequest,
  issueGrant,
  listPatientGrants,
  listPendingAccessRequests,
  listSharingPatients,
  ProviderKind,
  registerPatient,
  requestAccess,
  revokeGrant,
  setProviderEncryptionKey,
  setProviderStatus,
  type GrantScope,
  type MeridianContext,
  type ProviderKindCode,
} from "@meridian/sdk/chain";
import { startTestChain, testAccount, type TestChain } from "@meridian/sdk/testing";

let kit: TestChain;
const regulator = testAccount(1);
const hospital = testAccount(2);
const lab = testAccount(3);
const [alice, bob, carol, dave] = [testAccount(4), testAccount(5), testAccount(6), testAccount(7)];
const as = (a: Account): MeridianContext => kit.as(a);

const all: GrantScope = { kind: "all" };
const labScope: GrantScope = { kind: "category", category: RecordCategory.Lab };
const documentScope: GrantScope = { kind: "category", category: RecordCategory.Document };
/** Stand-in bytes for an HPKE-wrapped key: the lists never open it; the contract checks only its length. */
const wrappedKey = () => toHex(randomBytes(96));
const chainNow = async () => Number((await kit.publicClient.getBlock()).timestamp);
type Terms = { write?: boolean; expiresAt?: number };
const grant = (patient: Account, grantee: Address, scope: GrantScope, terms: Terms = {}) =>
  issueGrant(as(patient), {
    grantee,
    scope,
    write: terms.write ?? false,
    expiresAt: terms.expiresAt ?? 0,
    wrappedKey: wrappedKey(),
  });

before(async () => {
  kit = await startTestChain();
  const admit = async (provider: Account, kind: ProviderKindCode, name: string) => {
    await admitProvider(as(regulator), { provider: provider.address, kind, name, department: "Cardiology" });
    await setProviderEncryptionKey(as(provider), { encryptionKey: toHex(randomBytes(32)) });
  };
  await admit(hospital, ProviderKind.Hospital, "St Mary's");
  await admit(lab, ProviderKind.Lab, "North Lab");
  for (const patient of [alice, bob, carol, dave]) {
    await registerPatient(as(patient), { encryptionKey: toHex(randomBytes(32)) });
  }
});

after(async () => {
  await kit.close();
});

test("a patient's grant list leaves out revoked grants and keeps lapsed ones, saying why", async () => {
  await grant(alice, hospital.address, all);
  const expiresAt = (await chainNow()) + 600;
  await grant(alice, lab.address, labScope, { expiresAt });
  await grant(alice, lab.address, documentScope);

  let { grants } = await listPatientGrants(kit.chain, { patient: alice.address });
  assert.deepEqual(
    grants.map((g) => [g.provider.name, g.scope, g.active]),
    [
      ["St Mary's", all, true],
      ["North Lab", labScope, true],
      ["North Lab", documentScope, true],
    ],
  );
  assert.equal(grants[1]!.expiresAt, expiresAt);
  assert.equal(grants[0]!.lapsed, undefined);

  // revoked: gone from the list (the patient has nothing left to do with it)
  await revokeGrant(as(alice), { grantee: lab.address, scope: documentScope });
  ({ grants } = await listPatientGrants(kit.chain, { patient: alice.address }));
  assert.deepEqual(
    grants.map((g) => g.scope),
    [all, labScope],
  );

  // expired: still listed, inactive, with its expiry as its end (the chain's clock decides)
  await kit.increaseTime(601);
  const lapsed = await listPatientGrants(kit.chain, { patient: alice.address });
  assert.deepEqual(
    lapsed.grants.map((g) => [g.scope, g.active, g.lapsed]),
    [
      [all, true, undefined],
      [labScope, false, { reason: "expired", endedAt: expiresAt }],
    ],
  );
  assert.ok(lapsed.asOf > expiresAt);

  // a suspended grantee's grant lapses and comes back with the reinstatement
  await setProviderStatus(as(regulator), { provider: hospital.address, action: "suspend" });
  ({ grants } = await listPatientGrants(kit.chain, { patient: alice.address }));
  assert.equal(grants.find((g) => g.scope.kind === "all")!.lapsed?.reason, "grantee-suspended");
  await setProviderStatus(as(regulator), { provider: hospital.address, action: "reinstate" });

  // re-issued after the revocation: listed again, at its new terms, as its latest issue
  await grant(alice, lab.address, documentScope, { write: true });
  ({ grants } = await listPatientGrants(kit.chain, { patient: alice.address }));
  assert.deepEqual(
    grants.map((g) => [g.scope, g.active, g.write]),
    [
      [all, true, false],
      [labScope, false, false],
      [documentScope, true, true],
    ],
  );
  assert.deepEqual((await listPatientGrants(kit.chain, { patient: dave.address })).grants, []);
});

test("the shared-with-me list groups a provider's live grants by patient and keeps the ended ones apart", async () => {
  await grant(bob, hospital.address, labScope);
  await grant(carol, hospital.address, all);
  await grant(bob, hospital.address, documentScope, { write: true });
  await grant(carol, hospital.address, labScope);
  await revokeGrant(as(carol), { grantee: hospital.address, scope: labScope });

  const { patients, ended } = await listSharingPatients(kit.chain, { grantee: hospital.address });
  const mine = patients.filter((p) => p.patient === bob.address || p.patient === carol.address);
  assert.deepEqual(
    mine.map((p) => [p.patient, p.grants.map((g) => g.scope), p.write]),
    [
      [bob.address, [labScope, documentScope], true],
      [carol.address, [all], false],
    ],
  );
  assert.ok(
    patients.some((p) => p.patient === alice.address),
    "alice's all-records grant (first test) is live",
  );
  assert.deepEqual(
    ended.filter((g) => g.patient === carol.address).map((g) => [g.scope, g.reason]),
    [[labScope, "revoked"]],
  );

  const none = await listSharingPatients(kit.chain, { grantee: regulator.address });
  assert.deepEqual([none.patients, none.ended], [[], []]);
});

test("pending requests make a patient's inbox and a provider's outbox, without decided ones", async () => {
  const ask = (provider: Account, patient: Account, scope: GrantScope, purpose: string) =>
    requestAccess(as(provider), {
      patient: patient.address,
      scope,
      write: false,
      durationSeconds: 7 * 86_400,
      purpose,
    });
  const asked = await ask(hospital, dave, all, "TREAT");
  await ask(lab, dave, labScope, "TREAT");
  await ask(hospital, carol, documentScope, "ETREAT");

  let inbox = await listPendingAccessRequests(kit.chain, { patient: dave.address });
  assert.deepEqual(
    inbox.map((r) => [r.provider.name, r.scope, r.purpose, r.durationSeconds]),
    [
      ["St Mary's", all, "TREAT", 7 * 86_400],
      ["North Lab", labScope, "TREAT", 7 * 86_400],
    ],
  );
  assert.equal(inbox[0]!.requestId, asked.requestId);
  const requestBlock = await kit.publicClient.getBlock({ blockNumber: asked.blockNumber });
  assert.equal(inbox[0]!.requestedAt, Number(requestBlock.timestamp));

  const outbox = await listPendingAccessRequests(kit.chain, { requester: hospital.address });
  assert.deepEqual(
    outbox.map((r) => [r.patient, r.scope]),
    [
      [dave.address, all],
      [carol.address, documentScope],
    ],
  );
  const one = await listPendingAccessRequests(kit.chain, { patient: carol.address, requester: hospital.address });
  assert.deepEqual(
    one.map((r) => r.scope),
    [documentScope],
  );

  // decided: approved and denied requests leave the inbox
  const approval = { grantee: hospital.address, scope: all, write: false, expiresAt: 0, wrappedKey: wrappedKey() };
  await approveRequest(as(dave), approval);
  await denyRequest(as(dave), { requester: lab.address, scope: labScope });
  assert.deepEqual(await listPendingAccessRequests(kit.chain, { patient: dave.address }), []);

  // asked again after a denial: pending again, at the new request's terms
  await ask(lab, dave, labScope, "HPAYMT");
  inbox = await listPendingAccessRequests(kit.chain, { patient: dave.address });
  assert.deepEqual(
    inbox.map((r) => [r.requester, r.purpose]),
    [[lab.address, "HPAYMT"]],
  );
});
