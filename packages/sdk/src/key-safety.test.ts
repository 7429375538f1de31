/**
 * Key safety against a real Hardhat/EDR chain (in process) and a real Helia node on disk
 * (issue 14): grants keep working across key generations once a patient's key epoch has moved
 * past the first 16,384 epochs (item 4), and keys derived from a wallet that signs
 * non-deterministically, or from a contract account, are refused before any use (item 5).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { concatHex, hexToBigInt, size, slice, toHex, type Account, type Hex } from "viem";
import { toAccount, type HDAccount } from "viem/accounts";
import type { MeridianClient } from "./client.ts";
import { ContractAccountError, EncryptionKeyMismatchError, NonDeterministicSignerError } from "./key-check.ts";
import { getPatient, listGrantEvents } from "./chain/actions.ts";
import { ProviderKind } from "./chain/types.ts";
import { RecordCategory } from "./categories.ts";
import { GENERATION_EPOCHS } from "./keyring.ts";
import { startTestNetwork, testAccount as account, type TestNetwork } from "./testing/index.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
/** secp256k1 group order. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

let net: TestNetwork;
let hospital: MeridianClient, lab: MeridianClient;

before(async () => {
  net = await startTestNetwork({ label: "key-safety" });
  hospital = await net.admitProvider(2, { kind: ProviderKind.Hospital, name: "St Mary's", department: "Cardiology" });
  lab = await net.admitProvider(3, { kind: ProviderKind.Lab, name: "North Lab" });
});

after(async () => {
  await net.close();
});

/**
 * Moves `patient`'s key epoch to `epoch` on the chain with `hardhat_setStorageAt`, as 16,384
 * grant/revoke rounds would (the test kit's `setKeyEpoch`).
 */
async function setKeyEpoch(patient: Hex, epoch: number): Promise<void> {
  await net.setKeyEpoch(patient, epoch);
  assert.equal((await getPatient(net.chain, patient)).keyEpoch, epoch);
}

/**
 * A wallet account for `base`'s address whose EIP-712 signatures are valid but differ from call to
 * call, as MPC and some hardware wallets' are: it returns the high-s twin `(r, n - s, v ^ 1)` of
 * the RFC 6979 signature on odd calls (ecrecover accepts both). Transactions are signed normally.
 */
function nonDeterministicAccount(base: HDAccount): { signer: Account; signatures: () => number } {
  let signatures = 0;
  const signer = toAccount({
    address: base.address,
    signMessage: (p) => base.signMessage(p),
    signTransaction: (tx, options) => base.signTransaction(tx, options as never),
    signTypedData: async (typedData) => {
      const signature = await base.signTypedData(typedData as never);
      if (signatures++ % 2 === 1) return signature;
      const s = hexToBigInt(slice(signature, 32, 64));
      const v = Number(hexToBigInt(slice(signature, 64, 65)));
      return concatHex([slice(signature, 0, 32), toHex(N - s, { size: 32 }), toHex(v === 27 ? 28 : 27, { size: 1 })]);
    },
  });
  return { signer, signatures: () => signatures };
}

test("a category grant issued in key generation 1 opens a generation-0 record and a generation-1 record", async () => {
  const patient = net.client(5);
  await patient.registerAsPatient();
  await setKeyEpoch(patient.address, GENERATION_EPOCHS - 2); // late in generation 0
  const old = await patient.addRecord({ plaintext: bytes("generation 0 glucose"), category: RecordCategory.Lab });
  await setKeyEpoch(patient.address, GENERATION_EPOCHS + 3); // generation 1, index 3
  const recent = await patient.addRecord({ plaintext: bytes("generation 1 glucose"), category: RecordCategory.Lab });
  const note = await patient.addRecord({ plaintext: bytes("generation 1 note"), category: RecordCategory.Document });

  const grant = await patient.grant({
    grantee: hospital.address,
    scope: { kind: "category", category: RecordCategory.Lab },
  });
  assert.equal(grant.keyEpoch, GENERATION_EPOCHS + 3);
  const [event] = await listGrantEvents(net.chain, { patient: patient.address, grantee: hospital.address });
  assert.equal(size(event!.wrappedKey), 112, "KEK and generation link (64 bytes) sealed with HPKE");
  for (const [record, plaintext] of [
    [old, "generation 0 glucose"],
    [recent, "generation 1 glucose"],
  ] as const) {
    const read = await hospital.readRecord(record.recordId);
    assert.equal(read.via, "category-grant");
    assert.equal(text(read.plaintext), plaintext);
  }
  await assert.rejects(hospital.readRecord(note.recordId), { name: "AccessDeniedError" });

  // an all-records grant in generation 1: nine KEKs and nine links (576 bytes, 624 sealed)
  await patient.grant({ grantee: lab.address, scope: { kind: "all" } });
  const [all] = await listGrantEvents(net.chain, { patient: patient.address, grantee: lab.address });
  assert.equal(size(all!.wrappedKey), 624);
  assert.equal(text((await lab.readRecord(old.recordId)).plaintext), "generation 0 glucose");
  assert.equal(text((await lab.readRecord(note.recordId)).plaintext), "generation 1 note");

  // revoking still works and moves on; the hospital's re-issued grant opens the next record too
  const { revocation } = await patient.revoke({ grantee: lab.address, scope: { kind: "all" } });
  assert.equal(revocation.keyEpoch, GENERATION_EPOCHS + 4);
  const next = await patient.addRecord({ plaintext: bytes("after the revocation"), category: RecordCategory.Lab });
  assert.equal(text((await hospital.readRecord(next.recordId)).plaintext), "after the revocation");
  assert.equal(text((await hospital.readRecord(old.recordId)).plaintext), "generation 0 glucose");
});

test("a wallet that signs non-deterministically cannot register: two signatures, two keys, refused", async () => {
  const { signer, signatures } = nonDeterministicAccount(account(8));
  const client = net.client(signer);
  await assert.rejects(client.registerAsPatient(), (e: unknown) => {
    assert.ok(e instanceof NonDeterministicSignerError);
    assert.match(e.shortMessage, /signed the same key-derivation request twice with different signatures/);
    assert.match(e.hint ?? "", /deterministically \(RFC 6979\)/);
    return true;
  });
  assert.equal(signatures(), 2);
  assert.equal((await getPatient(net.chain, signer.address)).registered, false, "nothing registered");
});

test("a wallet whose derived key differs from the registered one is refused before any use", async () => {
  const patient = net.client(9);
  await patient.registerAsPatient();
  const record = await patient.addRecord({
    plaintext: bytes("registered with a deterministic wallet"),
    category: RecordCategory.Lab,
  });
  await patient.grant({ grantee: hospital.address, scope: { kind: "record", recordId: record.recordId } });

  // the same accounts, now behind wallets that sign differently: a fresh wallet (whose first
  // signature is the twin) per attempt, one attempt at a time, so that no attempt depends on
  // another's signature or rejects before anything awaits it
  const sameAccount = () => net.client(nonDeterministicAccount(account(9)).signer);
  const attempts = [
    () => sameAccount().keys(),
    () => sameAccount().readRecord(record.recordId),
    () => sameAccount().addRecord({ plaintext: bytes("x"), category: RecordCategory.Lab }),
  ];
  for (const attempt of attempts) {
    await assert.rejects(attempt(), (e: unknown) => {
      assert.ok(e instanceof EncryptionKeyMismatchError, String(e));
      assert.match(e.shortMessage, /derives another encryption key than your patient registration on chain/);
      assert.match(e.hint ?? "", /Use the wallet \(and account\) you registered with/);
      return true;
    });
  }
  assert.equal((await patient.listRecords()).length, 1, "nothing was written");
  const provider = net.client(nonDeterministicAccount(account(2)).signer);
  await assert.rejects(
    provider.readRecord(record.recordId),
    (e: unknown) =>
      e instanceof EncryptionKeyMismatchError && /published provider key \(version 1\)/.test(e.shortMessage),
  );
  assert.equal(text((await hospital.readRecord(record.recordId)).plaintext), "registered with a deterministic wallet");
});

test("a contract account is refused for key derivation before it is asked to sign", async () => {
  const { signer, signatures } = nonDeterministicAccount(account(10));
  await net.testClient.setCode({ address: signer.address, bytecode: "0x6000600055" });
  const client = net.client(signer);
  await assert.rejects(client.registerAsPatient(), (e: unknown) => {
    assert.ok(e instanceof ContractAccountError);
    assert.match(e.shortMessage, /is a smart contract/);
    assert.match(e.hint ?? "", /Connect an ordinary wallet account/);
    return true;
  });
  assert.equal(signatures(), 0, "no signature was asked for");
});
