/**
 * A consent code hands the patient's current KEK (or KEK bundle) to its grantee off chain, before
 * any grant exists. A code that is never redeemed (deadline passed, or cancelled) must not leave
 * its grantee able to open what the patient writes afterwards (issue 14, item 1): the patient's
 * client records each code in its consent-code ledger and rotates before sealing
 * (`consent-code-ledger.ts`, `chain/key-epoch.ts`). The attacker unwraps the key from the code
 * text it was handed, with its own wallet-derived keys, and tries it (regressed to every older
 * epoch) on the envelope fetched from Helia by CID, never through `readRecord` (the test kit's
 * `stolen-keys.ts`).
 * Real Hardhat/EDR chain in process, real Helia on disk, real crypto.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { Hex } from "viem";
import type { MeridianClient } from "./client.ts";
import { getPatient, getRecordAnchor } from "./chain/actions.ts";
import { cancelConsentCode } from "./chain/consent-codes.ts";
import { ProviderKind } from "./chain/types.ts";
import { RecordCategory } from "./categories.ts";
import { createTextConsentCodeLedger, type ConsentCodeLedger } from "./consent-code-ledger.ts";
import {
  openWithStolenKeys,
  stealConsentCodeKey,
  startTestNetwork,
  type StolenKey,
  type TestNetwork,
} from "./testing/index.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

let net: TestNetwork;
const client = (i: number, consentCodes?: ConsentCodeLedger): MeridianClient =>
  net.client(i, consentCodes ? { consentCodes } : {});
const HOLDER = 2; // the provider a code is made for
const COLLEAGUE = 3; // a provider with a live grant

before(async () => {
  net = await startTestNetwork({ label: "consent-code-keys" });
  for (const [i, name] of [
    [HOLDER, "Code Clinic"],
    [COLLEAGUE, "Colleague Lab"],
  ] as const) {
    await net.admitProvider(i, { kind: ProviderKind.Hospital, name });
  }
});

after(async () => {
  await net.close();
});

/** A registered patient (account `i`) with a live Lab grant to the colleague. */
async function patient(i: number, consentCodes?: ConsentCodeLedger): Promise<MeridianClient> {
  const c = client(i, consentCodes);
  await c.registerAsPatient();
  await c.grant({ grantee: client(COLLEAGUE).address, scope: { kind: "category", category: RecordCategory.Lab } });
  return c;
}

/**
 * Tries the stolen key, regressed to every epoch it reaches, on `recordId`'s envelope fetched from
 * the Helia store by CID. Returns the plaintext if it opens.
 */
const attack = (stolen: StolenKey, recordId: Hex): Promise<string | undefined> =>
  openWithStolenKeys({ chain: net.chain, store: net.store, stolen: [stolen], recordId });

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
  const stolen = [await stealConsentCodeKey(holder, lab.text), await stealConsentCodeKey(holder, all.text)];
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
    "the live grantee reads the new record through its re-issued grant",
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
      "chainId",
      "deadline",
      "grantee",
      "keyEpoch",
      "nonce",
      "patient",
      "registry",
      "scope",
    ]);
    await net.increaseTime(360); // past the codes' deadline, unredeemed
    // another client of the same patient, later, with the same ledger (the CLI's file, the browser's storage)
    const ended = await client(10, ledger).retiredKeyHolders();
    assert.deepEqual(
      ended.retired.map((r) => r.reason),
      ["code-unredeemed", "code-unredeemed"],
    );
  });
});

test("a cancelled consent code's grantee cannot open records written afterwards with its key", async () => {
  const alice = await patient(11);
  await unredeemedScenario(alice, async (codes) => {
    for (const c of codes) await cancelConsentCode(alice.ctx, c.nonce);
    const ended = await alice.retiredKeyHolders();
    assert.deepEqual(
      ended.retired.map((r) => r.reason),
      ["code-cancelled", "code-cancelled"],
      "before its deadline",
    );
  });
});

test("a consent code still before its deadline does not force a rotation", async () => {
  const alice = await patient(12);
  const { keyEpoch } = await getPatient(alice.ctx, alice.address);
  const code = await alice.createConsentCode({ grantee: client(HOLDER).address, scope: { kind: "all" } });
  await alice.addRecord({ plaintext: bytes("vitals 1"), category: RecordCategory.VitalSigns });
  await net.increaseTime(120);
  const added = await alice.addRecord({ plaintext: bytes("vitals 2"), category: RecordCategory.VitalSigns });
  assert.equal((await getRecordAnchor(alice.ctx, added.recordId)).keyEpoch, keyEpoch, "no new epoch");
  const check = await alice.retiredKeyHolders();
  assert.deepEqual(check.retired, []);
  assert.ok(
    check.live.some((h) => h.kind === "consent-code" && h.nonce === code.code.nonce),
    "a live keyholder",
  );
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
    expiresAt: (await net.now()) + 900,
    validForSeconds: 120,
  });
  const stolen = await stealConsentCodeKey(holder, code.text);
  const { keyEpoch } = await getPatient(alice.ctx, alice.address);
  await holder.redeemConsentCode(code.text);
  await net.increaseTime(300); // past the code's deadline, within the grant
  const during = await alice.addRecord({ plaintext: bytes("lab: glucose 5.2"), category: RecordCategory.Lab });
  const duringEpoch = (await getRecordAnchor(alice.ctx, during.recordId)).keyEpoch;
  assert.equal(duringEpoch, keyEpoch, "a redeemed code is no retired holder");
  assert.equal(text((await holder.readRecord(during.recordId)).plaintext), "lab: glucose 5.2");
  assert.deepEqual(await alice.consentCodes.list(), [], "a redeemed code leaves the ledger: its grant is on chain");

  await net.increaseTime(700); // the grant expires: the normal grant check rotates
  const after = await alice.addRecord({ plaintext: bytes("lab: glucose 9.8"), category: RecordCategory.Lab });
  assert.ok((await getRecordAnchor(alice.ctx, after.recordId)).keyEpoch > keyEpoch);
  assert.equal(await attack(stolen, after.recordId), undefined, "the code's key opens nothing written after expiry");
  assert.equal(await attack(stolen, during.recordId), "lab: glucose 5.2", "control: what it was shared");
});
