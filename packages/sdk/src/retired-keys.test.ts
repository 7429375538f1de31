/**
 * Keys of a grantee whose access ended must not open what the patient writes afterwards (issue 14,
 * item 1). Expiry, suspension and removal change no key on chain, so the writer rotates before it
 * seals (`MeridianClient.addRecord`, `chain/key-epoch.ts`). Each test attacks as the old grantee
 * would: it takes the wrapped keys from its own `GrantIssued` events, unwraps them with its own
 * wallet-derived keys, regresses them to every older epoch, and tries them on the envelope fetched
 * straight from the Helia store by CID, never through `readRecord` (which already refuses it).
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
import {
  admitProvider,
  deployMeridian,
  encodeScope,
  getPatient,
  getRecordAnchor,
  listGrantEvents,
  listRecordAnchors,
  setProviderStatus,
} from "./chain/actions.ts";
import { RetiredKeyEpochError } from "./chain/key-epoch.ts";
import { ProviderKind, type MeridianContext, type MeridianDeployment } from "./chain/types.ts";
import { RecordCategory } from "./categories.ts";
import { unwrapKey, wrapInfo } from "./crypto/hpke.ts";
import { openRecord } from "./crypto/envelope.ts";
import { grantKek } from "./keyring.ts";
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
let client: (i: number) => MeridianClient;
let increaseTime: (seconds: number) => Promise<void>;
let now: () => Promise<number>;
/** `eth_getLogs` requests sent so far (every client shares the one transport). */
let logQueries = 0;
const regulator = account(1);
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
  connection = await network.create();
  const provider = connection.provider as unknown as EIP1193Provider;
  increaseTime = async (seconds) => {
    await provider.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
    await provider.request({ method: "evm_mine" as never });
  };
  const counting: EIP1193Provider = {
    ...provider,
    request: ((args: { method: string }) => {
      if (args.method === "eth_getLogs") logQueries++;
      return provider.request(args as never);
    }) as EIP1193Provider["request"],
  };
  const transport = custom(counting);
  const chain = defineChain({
    id: 31337,
    name: "Hardhat",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: ["http://embedded"] } },
  });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 10 });
  now = async () => Number((await publicClient.getBlock({ blockTag: "latest" })).timestamp);
  dir = await mkdtemp(path.join(tmpdir(), "meridian-retired-keys-"));
  store = await createHeliaStore({ directory: dir });
  const wallet = (a: Account) => createWalletClient({ account: a, chain, transport, pollingInterval: 10 });
  deployment = await deployMeridian(
    { publicClient, walletClient: wallet(account(0)) },
    { admin: account(0).address, regulator: regulator.address }
  );
  ctx = (a) => ({ publicClient, walletClient: wallet(a), deployment });
  client = (i) => createMeridianClient({ ...ctx(account(i)), store });
  for (const [i, name] of PROVIDERS) {
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

/** A registered patient (account `i`). */
async function patient(i: number): Promise<MeridianClient> {
  const c = client(i);
  await c.registerAsPatient();
  return c;
}

/**
 * A key the attacker holds: the unwrapped payload of a category grant (a category key: KEK and,
 * after generation 0, its generation link) or of an all-records grant (the bundle of nine), at the
 * epoch it was issued.
 */
type StolenKey =
  | { kind: "category"; category: RecordCategory; keyEpoch: number; payload: Uint8Array }
  | { kind: "all"; keyEpoch: number; payload: Uint8Array };

/**
 * What `attacker` holds of `patientAddress`'s keys, exactly as it would take it: every wrapped key in
 * its `GrantIssued` events (public logs), unwrapped with the keys its own wallet derives.
 */
async function stealKeys(attacker: MeridianClient, patientAddress: Hex): Promise<StolenKey[]> {
  const keys = await attacker.keys(1);
  const out: StolenKey[] = [];
  for (const g of await listGrantEvents(attacker.ctx, { patient: patientAddress, grantee: attacker.address })) {
    if (g.scope.kind === "record") continue;
    const info = wrapInfo({
      chainId: deployment.chainId,
      contract: deployment.recordRegistry,
      patient: g.patient,
      grantee: g.grantee,
      scope: g.scope.kind,
      target: encodeScope(g.scope).target,
      keyEpoch: g.keyEpoch,
    });
    const key = await unwrapKey({ recipient: keys, wrapped: hexToBytes(g.wrappedKey), info });
    out.push(
      g.scope.kind === "all"
        ? { kind: "all", keyEpoch: g.keyEpoch, payload: key }
        : { kind: "category", category: g.scope.category, keyEpoch: g.keyEpoch, payload: key }
    );
  }
  return out;
}

/**
 * Tries every stolen key, regressed to every epoch it reaches, on record `recordId`'s envelope
 * fetched from the Helia store by CID (the anchor is public: CID, category, epoch). Returns the
 * plaintext if any key opens it.
 */
async function attack(stolen: StolenKey[], recordId: Hex): Promise<string | undefined> {
  const anchor = await getRecordAnchor(ctx(account(0)), recordId);
  const envelope = await store.get(CID.decode(hexToBytes(anchor.cid)).toString());
  for (const s of stolen) {
    if (s.kind === "category" && s.category !== anchor.category) continue;
    for (let epoch = s.keyEpoch; epoch >= 0; epoch--) {
      // regression (keyring.ts) reaches every epoch up to the grant's, never a newer one
      const payload = s.payload.slice();
      const regressed = grantKek({ scope: s.kind, payload, grantEpoch: s.keyEpoch, category: anchor.category, epoch });
      for (const claimed of new Set([epoch, anchor.keyEpoch])) {
        const context = {
          chainId: deployment.chainId,
          contract: deployment.recordRegistry,
          patient: anchor.patient,
          category: anchor.category,
          keyEpoch: claimed,
        };
        try {
          return text(await openRecord({ envelope, key: { kek: regressed }, context }));
        } catch {
          // this key does not open it: try the next
        }
      }
    }
  }
  return undefined;
}

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
  const stolen = await stealKeys(attacker, alice.address);
  assert.equal(stolen.length, 2, "the category KEK and the all-records bundle");
  assert.equal(
    await attack(stolen, before.recordId),
    "lab before: potassium 4.1 mmol/L",
    "the old keys open what was written while access lasted"
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
    "the old category KEK and bundle open nothing written afterwards"
  );
  assert.ok(
    (await getRecordAnchor(alice.ctx, after.recordId)).keyEpoch > epochBefore,
    "the record was sealed at a new key epoch"
  );
  assert.equal(await attack(stolen, general.recordId), undefined, "nor a record of another category");
  assert.equal(
    await attack(await stealKeys(attacker, alice.address), after.recordId),
    undefined,
    "and no key was issued to it since"
  );
  assert.equal(
    text((await colleague.readRecord(after.recordId)).plaintext),
    "lab after: HIV-1 RNA detected",
    "the live grantee still reads new records"
  );
  assert.deepEqual((await alice.retiredKeyHolders()).retired, [], "nobody retired holds the new epoch's keys");
}

test("expiry: a grantee whose grants expired cannot open records written afterwards with its old keys", async () => {
  const [attacker, colleague, alice] = [client(2), client(3), await patient(10)];
  const expiresAt = (await now()) + 600;
  await scenario({ patient: alice, attacker, colleague, expiresAt, endAccess: () => increaseTime(700) });
});

test("suspension: a suspended provider cannot open records written afterwards with its old keys", async () => {
  const [attacker, colleague, alice] = [client(4), client(3), await patient(11)];
  await scenario({
    patient: alice,
    attacker,
    colleague,
    expiresAt: 0,
    endAccess: async () =>
      void (await setProviderStatus(ctx(regulator), { provider: attacker.address, action: "suspend" })),
  });
});

test("removal: a removed provider cannot open records written afterwards with its old keys", async () => {
  const [attacker, colleague, alice] = [client(6), client(3), await patient(12)];
  await scenario({
    patient: alice,
    attacker,
    colleague,
    expiresAt: 0,
    endAccess: async () =>
      void (await setProviderStatus(ctx(regulator), { provider: attacker.address, action: "remove" })),
  });
});

test("a provider writer gets RetiredKeyEpochError while a keyholder is retired, and writes after rekey", async () => {
  const [writer, expiring, alice] = [client(7), client(8), await patient(13)];
  await alice.grant({
    grantee: writer.address,
    scope: { kind: "category", category: RecordCategory.Lab },
    write: true,
  });
  await alice.grant({ grantee: expiring.address, scope: { kind: "all" }, expiresAt: (await now()) + 600 });
  const ok = await writer.addRecord({
    plaintext: bytes("lab: ferritin 30 ug/L"),
    category: RecordCategory.Lab,
    patient: alice.address,
  });
  await increaseTime(700);

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
      /meridian rekey/.test(e.hint ?? "")
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
    await attack(await stealKeys(expiring, alice.address), added.recordId),
    undefined,
    "the expired grantee cannot open it"
  );
  assert.equal(
    await attack(await stealKeys(expiring, alice.address), ok.recordId),
    "lab: ferritin 30 ug/L",
    "but still what it was shared"
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
