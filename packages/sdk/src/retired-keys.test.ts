/**
 * Keys of a grantee whose access ended must not open what the patient writes afterwards (issue 14,
 * item 1). Expiry, suspension and removal change no key on chain, so the writer rotates before it
 * seals (`MeridianClient.addRecord`, `chain/key-epoch.ts`). Each test attacks as the old grantee
 * would: it takes the wrapped keys from its own `GrantIssued` events, unwraps them with its own
 * wallet-derived keys, regresses them to every older epoch, and tries them on the envelope fetched
 * straight from the Helia store by CID, never through `readRecord` (which already refuses it):
 * the test kit's `stolen-keys.ts`.
 * Real Hardhat/EDR chain in process, real Helia on disk, real crypto.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { Hex } from "viem";
import type { MeridianClient } from "./client.ts";
import { getPatient, getRecordAnchor, listRecordAnchors } from "./chain/actions.ts";
import { RetiredKeyEpochError } from "./chain/key-epoch.ts";
import { ProviderKind } from "./chain/types.ts";
import { RecordCategory } from "./categories.ts";
import {
  openWithStolenKeys,
  stealGrantKeys,
  startTestNetwork,
  type StolenKey,
  type TestNetwork,
} from "./testing/index.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

let net: TestNetwork;
const client = (i: number): MeridianClient => net.client(i);
/** `eth_getLogs` requests sent so far (every client shares the one transport). */
let logQueries = 0;
/** Accounts admitted as providers with a published key, by name. */
const PROVIDERS = [
  [2, "Expired Clinic"],
  [3, "Colleague Lab"],
  [4, "Suspended Clinic"],
  [6, "Removed Clinic"],
  [7, "Writing Hospital"],
  [8, "Short Visit Clinic"],
] as const;

before(async () => {
  net = await startTestNetwork({
    label: "retired-keys",
    onRequest: ({ method }) => {
      if (method === "eth_getLogs") logQueries++;
    },
  });
  for (const [i, name] of PROVIDERS) await net.admitProvider(i, { kind: ProviderKind.Hospital, name });
});

after(async () => {
  await net.close();
});

/** A registered patient (account `i`). */
const patient = (i: number): Promise<MeridianClient> => net.registerPatient(i);

/**
 * Tries every stolen key, regressed to every epoch it reaches, on record `recordId`'s envelope
 * fetched from the Helia store by CID (the anchor is public: CID, category, epoch). Returns the
 * plaintext if any key opens it.
 */
const attack = (stolen: StolenKey[], recordId: Hex): Promise<string | undefined> =>
  openWithStolenKeys({ chain: net.chain, store: net.store, stolen, recordId });

/**
 * The common scenario: the patient grants `attacker` its Lab category and all records (with
 * `expiresAt`), and `colleague` its Lab category; a record written before `endAccess` opens with
 * the attacker's keys (so the attack is real), one written after does not, and the colleague still
 * reads the new one through its re-issued grant.
 */
async function scenario(p: {
  patient: MeridianClient;
  attacker: MeridianClient;
  colleague: MeridianClient;
  expiresAt: number;
  endAccess: () => Promise<void>;
}) {
  const { patient: alice, attacker, colleague } = p;
  await alice.grant({
    grantee: attacker.address,
    scope: { kind: "category", category: RecordCategory.Lab },
    expiresAt: p.expiresAt,
  });
  await alice.grant({ grantee: attacker.address, scope: { kind: "all" }, expiresAt: p.expiresAt });
  await alice.grant({ grantee: colleague.address, scope: { kind: "category", category: RecordCategory.Lab } });
  const before = await alice.addRecord({
    plaintext: bytes("lab before: potassium 4.1 mmol/L"),
    category: RecordCategory.Lab,
  });
  const stolen = await stealGrantKeys(attacker, alice.address);
  assert.equal(stolen.length, 2, "the category KEK and the all-records bundle");
  assert.equal(
    await attack(stolen, before.recordId),
    "lab before: potassium 4.1 mmol/L",
    "the old keys open what was written while access lasted",
  );
  const epochBefore = (await getPatient(alice.ctx, alice.address)).keyEpoch;

  await p.endAccess();
  const after = await alice.addRecord({
    plaintext: bytes("lab after: HIV-1 RNA detected"),
    category: RecordCategory.Lab,
  });
  const general = await alice.addRecord({
    plaintext: bytes("note after: referred to psychiatry"),
    category: RecordCategory.General,
  });

  assert.equal(
    await attack(stolen, after.recordId),
    undefined,
    "the old category KEK and bundle open nothing written afterwards",
  );
  assert.ok(
    (await getRecordAnchor(alice.ctx, after.recordId)).keyEpoch > epochBefore,
    "the record was sealed at a new key epoch",
  );
  assert.equal(await attack(stolen, general.recordId), undefined, "nor a record of another category");
  assert.equal(
    await attack(await stealGrantKeys(attacker, alice.address), after.recordId),
    undefined,
    "and no key was issued to it since",
  );
  assert.equal(
    text((await colleague.readRecord(after.recordId)).plaintext),
    "lab after: HIV-1 RNA detected",
    "the live grantee still reads new records",
  );
  assert.deepEqual((await alice.retiredKeyHolders()).retired, [], "nobody retired holds the new epoch's keys");
}

test("expiry: a grantee whose grants expired cannot open records written afterwards with its old keys", async () => {
  const [attacker, colleague, alice] = [client(2), client(3), await patient(10)];
  const expiresAt = (await net.now()) + 600;
  await scenario({ patient: alice, attacker, colleague, expiresAt, endAccess: () => net.increaseTime(700) });
});

test("suspension: a suspended provider cannot open records written afterwards with its old keys", async () => {
  const [attacker, colleague, alice] = [client(4), client(3), await patient(11)];
  await scenario({
    patient: alice,
    attacker,
    colleague,
    expiresAt: 0,
    endAccess: async () => void (await net.setProviderStatus(attacker.address, "suspend")),
  });
});

test("removal: a removed provider cannot open records written afterwards with its old keys", async () => {
  const [attacker, colleague, alice] = [client(6), client(3), await patient(12)];
  await scenario({
    patient: alice,
    attacker,
    colleague,
    expiresAt: 0,
    endAccess: async () => void (await net.setProviderStatus(attacker.address, "remove")),
  });
});

test("a provider writer gets RetiredKeyEpochError while a keyholder is retired, and writes after rekey", async () => {
  const [writer, expiring, alice] = [client(7), client(8), await patient(13)];
  await alice.grant({
    grantee: writer.address,
    scope: { kind: "category", category: RecordCategory.Lab },
    write: true,
  });
  await alice.grant({ grantee: expiring.address, scope: { kind: "all" }, expiresAt: (await net.now()) + 600 });
  const ok = await writer.addRecord({
    plaintext: bytes("lab: ferritin 30 ug/L"),
    category: RecordCategory.Lab,
    patient: alice.address,
  });
  await net.increaseTime(700);

  const records = (await listRecordAnchors(alice.ctx, alice.address)).length;
  let stored = false;
  await assert.rejects(
    writer.addRecord({
      plaintext: bytes("lab: ferritin 12 ug/L"),
      category: RecordCategory.Lab,
      patient: alice.address,
      onStage: (s) => {
        if (s === "store") stored = true;
      },
    }),
    (e: unknown) =>
      e instanceof RetiredKeyEpochError &&
      e.retired.length === 1 &&
      e.retired[0]!.reason === "expired" &&
      /meridian rekey/.test(e.hint ?? ""),
  );
  assert.equal(stored, false, "refused before anything was stored");
  assert.equal((await listRecordAnchors(alice.ctx, alice.address)).length, records, "nothing anchored");

  // what `meridian rekey` and the patient page's "Update keys" do: new epoch, live grants re-issued
  const { advance, reissued } = await alice.rotateKeyEpoch();
  assert.equal(reissued.length, 1, "only the live write grant is re-issued, not the expired one");
  const added = await writer.addRecord({
    plaintext: bytes("lab: ferritin 12 ug/L"),
    category: RecordCategory.Lab,
    patient: alice.address,
  });
  assert.equal((await getRecordAnchor(alice.ctx, added.recordId)).keyEpoch, advance.keyEpoch);
  assert.equal(text((await alice.readRecord(added.recordId)).plaintext), "lab: ferritin 12 ug/L");
  assert.equal(
    await attack(await stealGrantKeys(expiring, alice.address), added.recordId),
    undefined,
    "the expired grantee cannot open it",
  );
  assert.equal(
    await attack(await stealGrantKeys(expiring, alice.address), ok.recordId),
    "lab: ferritin 30 ug/L",
    "but still what it was shared",
  );
});

test("a bulk import checks the keyholders with calls per record and log queries at most once per window", async () => {
  const [colleague, alice] = [client(3), await patient(14)];
  await alice.grant({ grantee: colleague.address, scope: { kind: "all" } });
  await alice.addRecord({ plaintext: bytes("warm-up"), category: RecordCategory.General }); // fills the cache
  const queries = logQueries;
  for (let i = 0; i < 20; i++)
    await alice.addRecord({ plaintext: bytes(`vitals ${i}`), category: RecordCategory.VitalSigns });
  assert.equal(logQueries - queries, 0, "20 records within the window: no log query");
});
