/**
 * Key safety against a real Hardhat/EDR chain (in process) and a real Helia node on disk
 * (issue 14): grants keep working across key generations once a patient's key epoch has moved
 * past the first 16,384 epochs (item 4), and keys derived from a wallet that signs
 * non-deterministically, or from a contract account, are refused before any use (item 5).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  concatHex, createPublicClient, createWalletClient, custom, defineChain, encodeAbiParameters, hexToBigInt, keccak256, size, slice, toHex,
  type Account, type EIP1193Provider, type Hex,
} from "viem";
import { mnemonicToAccount, toAccount } from "viem/accounts";
import { network } from "hardhat";
import { createMeridianClient, type MeridianClient } from "./client.ts";
import { ContractAccountError, EncryptionKeyMismatchError, NonDeterministicSignerError } from "./key-check.ts";
import { admitProvider, deployMeridian, getPatient, listGrantEvents } from "./chain/actions.ts";
import { ProviderKind, type MeridianContext, type MeridianDeployment } from "./chain/types.ts";
import { RecordCategory } from "./categories.ts";
import { GENERATION_EPOCHS } from "./keyring.ts";
import { createHeliaStore } from "./storage/helia.ts";
import type { BlobStore } from "./storage/types.ts";

const MNEMONIC = "test test test test test test test test test test test junk";
const account = (i: number) => mnemonicToAccount(MNEMONIC, { addressIndex: i });
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
/** secp256k1 group order. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

let connection: Awaited<ReturnType<typeof network.create>>;
let store: BlobStore;
let dir: string;
let deployment: MeridianDeployment;
let ctx: (a: Account) => MeridianContext;
let hospital: MeridianClient, lab: MeridianClient;

before(async () => {
  connection = await network.create();
  const transport = custom(connection.provider as unknown as EIP1193Provider);
  const chain = defineChain({ id: 31337, name: "Hardhat", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: ["http://embedded"] } } });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 10 });
  dir = await mkdtemp(path.join(tmpdir(), "meridian-key-safety-"));
  store = await createHeliaStore({ directory: dir });
  const wallet = (a: Account) => createWalletClient({ account: a, chain, transport, pollingInterval: 10 });
  deployment = await deployMeridian({ publicClient, walletClient: wallet(account(0)) }, { admin: account(0).address, regulator: account(1).address });
  ctx = (a) => ({ publicClient, walletClient: wallet(a), deployment });
  [hospital, lab] = [createMeridianClient({ ...ctx(account(2)), store }), createMeridianClient({ ...ctx(account(3)), store })];
  await admitProvider(ctx(account(1)), { provider: hospital.address, kind: ProviderKind.Hospital, name: "St Mary's", department: "Cardiology" });
  await admitProvider(ctx(account(1)), { provider: lab.address, kind: ProviderKind.Lab, name: "North Lab", department: "" });
  await hospital.publishProviderKey();
  await lab.publishProviderKey();
});

after(async () => {
  await store.close();
  await connection.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Moves `patient`'s key epoch to `epoch` on the chain with `hardhat_setStorageAt`, as 16,384
 * grant/revoke rounds would: the epoch is the top 32 bits of the slot after the encryption key in
 * `RecordRegistry._patients` (mapping at slot 2, after EIP712's two strings).
 */
async function setKeyEpoch(patient: Hex, epoch: number): Promise<void> {
  const slot = toHex(hexToBigInt(keccak256(encodeAbiParameters([{ type: "address" }, { type: "uint256" }], [patient, 2n]))) + 1n, { size: 32 });
  const word = hexToBigInt(await connection.provider.request({ method: "eth_getStorageAt", params: [deployment.recordRegistry, slot, "latest"] }) as Hex);
  const value = (word & ((1n << 224n) - 1n)) | (BigInt(epoch) << 224n);
  await connection.provider.request({ method: "hardhat_setStorageAt", params: [deployment.recordRegistry, slot, toHex(value, { size: 32 })] });
  assert.equal((await getPatient(ctx(account(0)), patient)).keyEpoch, epoch);
}

/**
 * A wallet account for `base`'s address whose EIP-712 signatures are valid but differ from call to
 * call, as MPC and some hardware wallets' are: it returns the high-s twin `(r, n - s, v ^ 1)` of
 * the RFC 6979 signature on odd calls (ecrecover accepts both). Transactions are signed normally.
 */
function nonDeterministicAccount(base: ReturnType<typeof account>): { signer: Account; signatures: () => number } {
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
  const patient = createMeridianClient({ ...ctx(account(5)), store });
  await patient.registerAsPatient();
  await setKeyEpoch(patient.address, GENERATION_EPOCHS - 2); // late in generation 0
  const old = await patient.addRecord({ plaintext: bytes("generation 0 glucose"), category: RecordCategory.Lab });
  await setKeyEpoch(patient.address, GENERATION_EPOCHS + 3); // generation 1, index 3
  const recent = await patient.addRecord({ plaintext: bytes("generation 1 glucose"), category: RecordCategory.Lab });
  const note = await patient.addRecord({ plaintext: bytes("generation 1 note"), category: RecordCategory.Document });

  const grant = await patient.grant({ grantee: hospital.address, scope: { kind: "category", category: RecordCategory.Lab } });
  assert.equal(grant.keyEpoch, GENERATION_EPOCHS + 3);
  const [event] = await listGrantEvents(ctx(account(0)), { patient: patient.address, grantee: hospital.address });
  assert.equal(size(event!.wrappedKey), 112, "KEK and generation link (64 bytes) sealed with HPKE");
  for (const [record, plaintext] of [[old, "generation 0 glucose"], [recent, "generation 1 glucose"]] as const) {
    const read = await hospital.readRecord(record.recordId);
    assert.equal(read.via, "category-grant");
    assert.equal(text(read.plaintext), plaintext);
  }
  await assert.rejects(hospital.readRecord(note.recordId), { name: "AccessDeniedError" });

  // an all-records grant in generation 1: nine KEKs and nine links (576 bytes, 624 sealed)
  await patient.grant({ grantee: lab.address, scope: { kind: "all" } });
  const [all] = await listGrantEvents(ctx(account(0)), { patient: patient.address, grantee: lab.address });
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
  const client = createMeridianClient({ ...ctx(signer), store });
  await assert.rejects(client.registerAsPatient(), (e: unknown) => {
    assert.ok(e instanceof NonDeterministicSignerError);
    assert.match(e.shortMessage, /signed the same key-derivation request twice with different signatures/);
    assert.match(e.hint ?? "", /deterministically \(RFC 6979\)/);
    return true;
  });
  assert.equal(signatures(), 2);
  assert.equal((await getPatient(ctx(account(0)), signer.address)).registered, false, "nothing registered");
});

test("a wallet whose derived key differs from the registered one is refused before any use", async () => {
  const patient = createMeridianClient({ ...ctx(account(9)), store });
  await patient.registerAsPatient();
  const record = await patient.addRecord({ plaintext: bytes("registered with a deterministic wallet"), category: RecordCategory.Lab });
  await patient.grant({ grantee: hospital.address, scope: { kind: "record", recordId: record.recordId } });

  // the same accounts, now behind wallets that sign differently: a fresh wallet (whose first
  // signature is the twin) per attempt, one attempt at a time, so that no attempt depends on
  // another's signature or rejects before anything awaits it
  const sameAccount = () => createMeridianClient({ ...ctx(nonDeterministicAccount(account(9)).signer), store });
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
  const provider = createMeridianClient({ ...ctx(nonDeterministicAccount(account(2)).signer), store });
  await assert.rejects(provider.readRecord(record.recordId), (e: unknown) => e instanceof EncryptionKeyMismatchError && /published provider key \(version 1\)/.test(e.shortMessage));
  assert.equal(text((await hospital.readRecord(record.recordId)).plaintext), "registered with a deterministic wallet");
});

test("a contract account is refused for key derivation before it is asked to sign", async () => {
  const { signer, signatures } = nonDeterministicAccount(account(10));
  await connection.provider.request({ method: "hardhat_setCode", params: [signer.address, "0x6000600055"] });
  const client = createMeridianClient({ ...ctx(signer), store });
  await assert.rejects(client.registerAsPatient(), (e: unknown) => {
    assert.ok(e instanceof ContractAccountError);
    assert.match(e.shortMessage, /is a smart contract/);
    assert.match(e.hint ?? "", /Connect an ordinary wallet account/);
    return true;
  });
  assert.equal(signatures(), 0, "no signature was asked for");
});
