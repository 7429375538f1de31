/**
 * A consent code hands the patient's current KEK (or KEK bundle) to its grantee off chain, before
 * any grant exists. A code that is never redeemed (deadline passed, or cancelled) must not leave
 * its grantee able to open what the patient writes afterwards (issue 14, item 1): the patient's
 * client records each code in its consent-code ledger and rotates before sealing
 * (`consent-code-ledger.ts`, `chain/key-epoch.ts`). The attacker unwraps the key from the code
 * text it was handed, with its own wallet-derived keys, and tries it (regressed to every older
 * epoch) on the envelope fetched from Helia by CID, never through `readRecord`.
 * Real Hardhat/EDR chain in process, real Helia on disk, real crypto.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  hexToBytes,
  type Account,
  type EIP1193Provider,
  type Hex,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { CID } from "multiformats/cid";
import { network } from "hardhat";
import { createMeridianClient, type MeridianClient } from "./client.ts";
import { admitProvider, deployMeridian, encodeScope, getPatient, getRecordAnchor } from "./chain/actions.ts";
import { cancelConsentCode, decodeConsentCode } from "./chain/consent.ts";
import { ProviderKind, type MeridianContext, type MeridianDeployment } from "./chain/types.ts";
import { RecordCategory } from "./categories.ts";
import { unwrapKey, wrapInfo } from "./crypto/hpke.ts";
import { openRecord } from "./crypto/envelope.ts";
import { grantKek } from "./keyring.ts";
import { createTextConsentCodeLedger, type ConsentCodeLedger } from "./consent-code-ledger.ts";
import { createHeliaStore } from "./storage/helia.ts";
import type { BlobStore } from "./storage/types.ts";

const MNEMONIC = "test test test test test test test test test test test junk";
const account = (i: number) => mnemonicToAccount(MNEMONIC, { addressIndex: i });
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

let connection: Awaited<ReturnType<typeof network.create>>;
let store: BlobStore;
let dir: string;
let deployment: MeridianDeployment;
let ctx: (a: Account) => MeridianContext;
let client: (i: number, consentCodes?: ConsentCodeLedger) => MeridianClient;
let increaseTime: (seconds: number) => Promise<void>;
let now: () => Promise<number>;
const regulator = account(1);
const HOLDER = 2; // the provider a code is made for
const COLLEAGUE = 3; // a provider with a live grant

before(async () => {
  connection = await network.create();
  const provider = connection.provider as unknown as EIP1193Provider;
  increaseTime = async (seconds) => {
    await provider.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
    await provider.request({ method: "evm_mine" as never });
  };
  const transport = custom(provider);
  const chain = defineChain({
    id: 31337,
    name: "Hardhat",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: ["http://embedded"] } },
  });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 10 });
  now = async () => Number((await publicClient.getBlock({ blockTag: "latest" })).timestamp);
  dir = await mkdtemp(path.join(tmpdir(), "meridian-consent-code-keys-"));
  store = await createHeliaStore({ directory: dir });
  const wallet = (a: Account) => createWalletClient({ account: a, chain, transport, pollingInterval: 10 });
  deployment = await deployMeridian(
    { publicClient, walletClient: wallet(account(0)) },
    { admin: account(0).address, regulator: regulator.address }
  );
  ctx = (a) => ({ publicClient, walletClient: wallet(a), deployment });
  client = (i, consentCodes) =>
    createMeridianClient({ ...ctx(account(i)), store, ...(consentCodes ? { consentCodes } : {}) });
  for (const [i, name] of [[HOLDER, "Code Clinic"], [COLLEAGUE, "Colleague Lab"]] as const) {
    const c = client(i);
    await admitProvider(ctx(regulator), { provider: c.address, kind: ProviderKind.Hospital, name, department: "" });
    await c.publishProviderKey();
  }
});

after(async () => {
  await store.close();
  await connection.close();
  await rm(dir, { recursive: true, force: true });
});

/** A registered patient (account `i`) with a live Lab grant to the colleague. */
async function patient(i: number, consentCodes?: ConsentCodeLedger): Promise<MeridianClient> {
  const c = client(i, consentCodes);
  await c.registerAsPatient();
  await c.grant({ grantee: client(COLLEAGUE).address, scope: { kind: "category", category: RecordCategory.Lab } });
  return c;
}

/** The key material `attacker` holds from a consent code's text: unwrapped with its own wallet-derived keys. */
async function stealFromCode(attacker: MeridianClient, codeText: string) {
  const { code, wrappedKey } = decodeConsentCode(codeText);
  assert.notEqual(code.scope.kind, "record");
  const info = wrapInfo({
    chainId: code.chainId,
    contract: code.registry,
    patient: code.patient,
    grantee: code.grantee,
    scope: code.scope.kind,
    target: encodeScope(code.scope).target,
    keyEpoch: code.keyEpoch,
  });
  const payload = await unwrapKey({ recipient: await attacker.keys(1), wrapped: hexToBytes(wrappedKey), info });
  return { scope: code.scope as Exclude<typeof code.scope, { kind: "record" }>, keyEpoch: code.keyEpoch, payload };
}

/**
 * Tries the stolen key, regressed to every epoch it reaches, on `recordId`'s envelope fetched from
 * the Helia store by CID. Returns the plaintext if it opens.
 */
async function attack(stolen: Awaited<ReturnType<typeof stealFromCode>>, recordId: Hex): Promise<string | undefined> {
  const anchor = await getRecordAnchor(ctx(account(0)), recordId);
  if (stolen.scope.kind === "category" && stolen.scope.category !== anchor.category) return undefined;
  const envelope = await store.get(CID.decode(hexToBytes(anchor.cid)).toString());
  for (let epoch = stolen.keyEpoch; epoch >= 0; epoch--) {
    const kek = grantKek({
      scope: stolen.scope.kind,
      payload: stolen.payload.slice(),
      grantEpoch: stolen.keyEpoch,
      category: anchor.category,
      epoch,
    });
    for (const claimed of new Set([epoch, anchor.keyEpoch])) {
      const context = {
        chainId: deployment.chainId,
        contract: deployment.recordRegistry,
        patient: anchor.patient,
        category: anchor.category,
        keyEpoch: claimed,
      };
      try {
        return text(await openRecord({ envelope, key: { kek }, context }));
      } catch {
        // not this key
      }
    }
  }
  return undefined;
}

/** A JSON ledger in a string, standing for a file or `localStorage` that outlives one client. */
function textLedger(): { ledger: ConsentCodeLedger; text: () => string | undefined } {
  let saved: string | undefined;
  return {
    ledger: createTextConsentCodeLedger({ read: () => saved, write: (t) => void (saved = t) }),
    text: () => saved,
  };
}

/**
 * The patient makes category and all-records codes for the holder; a record written while they
 * are pending opens with the key they carried (so the attack is real); after `endCode`, the next
 * record does not, and the colleague still reads it.
 */
async function unredeemedScenario(alice: MeridianClient, endCode: (codes: { nonce: bigint }[]) => Promise<void>) {
  const holder = client(HOLDER);
  const epochBefore = (await getPatient(alice.ctx, alice.address)).keyEpoch;
  const lab = await alice.createConsentCode({
    grantee: holder.address,
    scope: { kind: "category", category: RecordCategory.Lab },
    validForSeconds: 300,
  });
  const all = await alice.createConsentCode({ grantee: holder.address, scope: { kind: "all" }, validForSeconds: 300 });
  const stolen = [await stealFromCode(holder, lab.text), await stealFromCode(holder, all.text)];
  const before = await alice.addRecord({ plaintext: bytes("lab before: TSH 2.1 mU/L"), category: RecordCategory.Lab });
  for (const s of stolen) {
    assert.equal(await attack(s, before.recordId), "lab before: TSH 2.1 mU/L", "the code's key opens what was written");
  }

  await endCode([lab.code, all.code]);
  const after = await alice.addRecord({ plaintext: bytes("lab after: BRCA1 positive"), category: RecordCategory.Lab });
  const general = await alice.addRecord({ plaintext: bytes("note after: IVF"), category: RecordCategory.General });
  assert.ok((await getRecordAnchor(alice.ctx, after.recordId)).keyEpoch > epochBefore, "sealed at a new key epoch");
  for (const s of stolen) {
    assert.equal(await attack(s, after.recordId), undefined, "the code's key opens nothing written afterwards");
    assert.equal(await attack(s, general.recordId), undefined, "nor a record of another category");
  }
  assert.equal(
    text((await client(COLLEAGUE).readRecord(after.recordId)).plaintext),
    "lab after: BRCA1 positive",
    "the live grantee reads the new record through its re-issued grant"
  );
  assert.deepEqual((await alice.retiredKeyHolders()).retired, [], "nobody retired holds the new keys");
  assert.deepEqual(await alice.consentCodes.list(), [], "entries of the old epoch are pruned");
}

test("an expired, unredeemed consent code's grantee cannot open records written afterwards with its key", async () => {
  const { ledger, text: saved } = textLedger();
  const alice = await patient(10, ledger);
  await unredeemedScenario(alice, async () => {
    const json = saved() ?? "";
    assert.doesNotMatch(json, /wrappedKey|signature|0x[0-9a-f]{64}/i, "the ledger holds no key material");
    const [entry] = await ledger.list();
    assert.deepEqual(Object.keys(entry!).sort(), [
      "chainId", "deadline", "grantee", "keyEpoch", "nonce", "patient", "registry", "scope",
    ]);
    await increaseTime(360); // past the codes' deadline, unredeemed
    // another client of the same patient, later, with the same ledger (the CLI's file, the browser's storage)
    const ended = await client(10, ledger).retiredKeyHolders();
    assert.deepEqual(ended.retired.map((r) => r.reason), ["code-unredeemed", "code-unredeemed"]);
  });
});

test("a cancelled consent code's grantee cannot open records written afterwards with its key", async () => {
  const alice = await patient(11);
  await unredeemedScenario(alice, async (codes) => {
    for (const c of codes) await cancelConsentCode(alice.ctx, c.nonce);
    const ended = await alice.retiredKeyHolders();
    assert.deepEqual(ended.retired.map((r) => r.reason), ["code-cancelled", "code-cancelled"], "before its deadline");
  });
});

test("a consent code still before its deadline does not force a rotation", async () => {
  const alice = await patient(12);
  const { keyEpoch } = await getPatient(alice.ctx, alice.address);
  const code = await alice.createConsentCode({ grantee: client(HOLDER).address, scope: { kind: "all" } });
  await alice.addRecord({ plaintext: bytes("vitals 1"), category: RecordCategory.VitalSigns });
  await increaseTime(120);
  const added = await alice.addRecord({ plaintext: bytes("vitals 2"), category: RecordCategory.VitalSigns });
  assert.equal((await getRecordAnchor(alice.ctx, added.recordId)).keyEpoch, keyEpoch, "no new epoch");
  const check = await alice.retiredKeyHolders();
  assert.deepEqual(check.retired, []);
  assert.ok(check.live.some((h) => h.kind === "consent-code" && h.nonce === code.code.nonce), "a live keyholder");
  // and the provider can still redeem it and read
  await client(HOLDER).redeemConsentCode(code.text);
  assert.equal(text((await client(HOLDER).readRecord(added.recordId)).plaintext), "vitals 2");
});

test("a redeemed consent code is judged as the grant it became: no rotation while it lasts, one after", async () => {
  const alice = await patient(13);
  const holder = client(HOLDER);
  const code = await alice.createConsentCode({
    grantee: holder.address,
    scope: { kind: "category", category: RecordCategory.Lab },
    expiresAt: (await now()) + 900,
    validForSeconds: 120,
  });
  const stolen = await stealFromCode(holder, code.text);
  const { keyEpoch } = await getPatient(alice.ctx, alice.address);
  await holder.redeemConsentCode(code.text);
  await increaseTime(300); // past the code's deadline, within the grant
  const during = await alice.addRecord({ plaintext: bytes("lab: glucose 5.2"), category: RecordCategory.Lab });
  const duringEpoch = (await getRecordAnchor(alice.ctx, during.recordId)).keyEpoch;
  assert.equal(duringEpoch, keyEpoch, "a redeemed code is no retired holder");
  assert.equal(text((await holder.readRecord(during.recordId)).plaintext), "lab: glucose 5.2");
  assert.deepEqual(await alice.consentCodes.list(), [], "a redeemed code leaves the ledger: its grant is on chain");

  await increaseTime(700); // the grant expires: the normal grant check rotates
  const after = await alice.addRecord({ plaintext: bytes("lab: glucose 9.8"), category: RecordCategory.Lab });
  assert.ok((await getRecordAnchor(alice.ctx, after.recordId)).keyEpoch > keyEpoch);
  assert.equal(await attack(stolen, after.recordId), undefined, "the code's key opens nothing written after expiry");
  assert.equal(await attack(stolen, during.recordId), "lab: glucose 5.2", "control: what it was shared");
});
