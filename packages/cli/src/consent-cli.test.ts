/**
 * Consent codes, guardians and emergency access through the `meridian` CLI, as separate
 * processes against a real `hardhat node` with the embedded Helia store on disk.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { patientBundle } from "@meridian/sdk/testing";
import { devAddress as addr, startCliHarness, type CliHarness } from "./testing/harness.ts";

const PATIENT = 5,
  HOSPITAL = 2,
  ER = 3,
  GUARDIAN = 7,
  VIEWER = 8;
let h: CliHarness;

/** Runs `meridian ...args`, asserts it succeeded and returns its JSON output, read as `T`. */
const json = async <T = unknown>(dev: number | undefined, ...args: string[]): Promise<T> => {
  const r = await h.cli(dev, ...args);
  assert.equal(r.code, 0, `meridian ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

/** What `consent create` prints. */
interface ConsentCode {
  shortCode: string;
  text: string;
  digest: string;
  nonce: string;
}

/** What `rekey --dry-run` prints (the parts read here). */
interface StaleHolders {
  keyEpoch: number;
  guardians: { guardian: string }[];
  retired: { reason: string; grantee: string; what: string }[];
}

/** One emergency access, as `audit` and `emergency list` print it. */
interface EmergencyAccess {
  provider: string;
  keyReleasedBy: string | null;
}

before(async () => {
  h = await startCliHarness("consent-cli");
  await json(0, "deploy", "--regulator", addr(1));
  await json(1, "provider", "admit", addr(HOSPITAL), "--kind", "hospital", "--name", "St Mary's");
  await json(
    1,
    "provider",
    "admit",
    addr(ER),
    "--kind",
    "hospital",
    "--name",
    "City General",
    "--department",
    "Emergency",
  );
  await json(HOSPITAL, "provider", "publish-key");
  await json(ER, "provider", "publish-key");
  for (const dev of [PATIENT, GUARDIAN, VIEWER]) await json(dev, "register");
  const bundle = path.join(h.dir, "patient.json");
  await writeFile(bundle, JSON.stringify(patientBundle()));
  await json(PATIENT, "add", bundle);
});

after(async () => {
  await h?.close();
});

test(
  "consent by code: the patient shows a code, the provider submits it once and reads",
  { timeout: 120_000 },
  async () => {
    const [record] = await json<{ recordId: string }[]>(PATIENT, "list");
    assert.ok(record, "the patient's record is listed");
    const out = path.join(h.dir, "read.json");
    assert.equal((await h.cli(HOSPITAL, "get", record.recordId, "--out", out)).code, 1, "no access before the code");
    const codeFile = path.join(h.dir, "code.txt");
    const code = await json<ConsentCode>(PATIENT, "consent", "create", addr(HOSPITAL), "--all", "--out", codeFile);
    assert.match(code.shortCode, /^[A-Z2-7]{5}-[A-Z2-7]{5}$/);
    assert.equal((await readFile(codeFile, "utf8")).trim(), code.text);
    const wrong = await h.cli(ER, "consent", "redeem", code.text);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /names another provider/);
    const redeemed = await json<{ consentHash: string }>(HOSPITAL, "consent", "redeem", `@${codeFile}`);
    assert.equal(redeemed.consentHash, code.digest);
    assert.equal((await h.cli(HOSPITAL, "get", record.recordId, "--out", out)).code, 0);
    assert.ok((await readFile(out)).length > 0);
    const replay = await h.cli(HOSPITAL, "consent", "redeem", code.text);
    assert.equal(replay.code, 1);
    assert.match(replay.stderr, /already used/);
    assert.match((await h.cli(HOSPITAL, "consent", "redeem", "MERIDIAN-CONSENT:1:AAAA")).stderr, /cut short/);
  },
);

test(
  "a SHARE AND VIEW guardian approves a request for the patient; a VIEW guardian cannot",
  { timeout: 120_000 },
  async () => {
    await json(PATIENT, "guardian", "appoint", addr(GUARDIAN), "--level", "share");
    await json(PATIENT, "guardian", "appoint", addr(VIEWER), "--level", "view");
    const wards = await json<{ patient: string }[]>(GUARDIAN, "guardian", "wards");
    assert.deepEqual(
      wards.map((w) => w.patient),
      [addr(PATIENT)],
    );
    await json(ER, "request", addr(PATIENT), "--category", "lab");
    const refused = await h.cli(VIEWER, "guardian", "approve", addr(PATIENT), addr(ER), "--category", "lab");
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /RecordRegistryNotGuardian/);
    await json(GUARDIAN, "guardian", "approve", addr(PATIENT), addr(ER), "--category", "lab");
    const audit = await json<{ events: { event: string; guardian?: string }[] }>(PATIENT, "audit");
    const acted = audit.events.filter((e) => e.event === "GuardianActed");
    assert.equal(acted.length, 1);
    assert.equal(acted[0]?.guardian, addr(GUARDIAN));

    // a guardian's revocation advances the key epoch; the patient's `rekey` brings the others up to it
    await json(GUARDIAN, "guardian", "revoke", addr(PATIENT), addr(ER), "--category", "lab");
    const stale = await json<StaleHolders>(PATIENT, "rekey", "--dry-run");
    assert.deepEqual(stale.guardians.map((g) => g.guardian).sort(), [addr(GUARDIAN), addr(VIEWER)].sort());
    const rekeyed = await json<{ transactions: unknown[] }>(PATIENT, "rekey");
    assert.ok(rekeyed.transactions.length >= 3, "the hospital's all-records grant and both guardians");
    assert.deepEqual((await json<StaleHolders>(PATIENT, "rekey", "--dry-run")).guardians, []);
  },
);

test(
  "an emergency access appears first in the patient's audit log; a guardian releases the key; the provider reads the summary",
  { timeout: 180_000 },
  async () => {
    const summary = await json<{ recordId: string; allergies: number }>(PATIENT, "emergency", "create-summary");
    assert.ok(summary.allergies >= 1);
    assert.match((await h.cli(ER, "emergency", "open", addr(PATIENT))).stderr, /--reason/);
    const open = ["emergency", "open", addr(PATIENT), "--reason", "ETREAT", "--hours", "2"];
    const opened = await json<{ recordId: string }>(ER, ...open);
    assert.equal(opened.recordId, summary.recordId);
    const audit = await h.cli(PATIENT, "audit");
    assert.match(audit.stderr, /EMERGENCY ACCESS by 0x[0-9a-fA-F]{40} \(ETREAT\), open until/);
    const [first] = (JSON.parse(audit.stdout) as { emergencyAccesses: EmergencyAccess[] }).emergencyAccesses;
    assert.equal(first?.provider, addr(ER));
    assert.equal(first?.keyReleasedBy, null);
    await json(GUARDIAN, "emergency", "release", addr(ER), "--patient", addr(PATIENT));
    const view = await json<{ allergies: unknown[] }>(ER, "emergency", "show", addr(PATIENT));
    assert.ok(view.allergies.length >= 1, "the ER reads the allergies");
    const [after] = await json<EmergencyAccess[]>(GUARDIAN, "emergency", "list", addr(PATIENT));
    assert.equal(after?.keyReleasedBy, addr(GUARDIAN));
    await json(ER, "emergency", "close", addr(PATIENT), addr(ER));
    assert.equal((await h.cli(ER, "emergency", "show", addr(PATIENT))).code, 1, "closed: no more reading");
  },
);

test(
  "a consent code never redeemed is kept in a 0600 ledger and moves the patient to new keys in a later process",
  {
    timeout: 120_000,
  },
  async () => {
    const rpc = async (method: string, params: unknown[] = []) => {
      const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method, params });
      const r = await fetch(h.rpc, { method: "POST", headers: { "content-type": "application/json" }, body });
      return ((await r.json()) as { result: unknown }).result;
    };
    const create = ["consent", "create", addr(ER), "--category", "lab", "--valid", "60", "--no-qr"];
    const code = await json<ConsentCode>(PATIENT, ...create);
    const ledger = path.join(h.dir, "consent-codes.json");
    assert.equal((await stat(ledger)).mode & 0o777, 0o600, "the ledger is readable by its owner only");
    const saved = await readFile(ledger, "utf8");
    assert.match(saved, new RegExp(code.nonce));
    assert.doesNotMatch(saved, /wrappedKey|signature|MERIDIAN-CONSENT/, "no key material in the ledger");
    const stale = () => json<StaleHolders>(PATIENT, "rekey", "--dry-run");
    assert.deepEqual((await stale()).retired, [], "a code before its deadline is live");

    await rpc("evm_increaseTime", [120]);
    await rpc("evm_mine");
    const listed = await stale();
    assert.equal(listed.retired.length, 1);
    const [retired] = listed.retired;
    assert.ok(retired);
    assert.equal(retired.reason, "code-unredeemed");
    assert.equal(retired.grantee, addr(ER));
    assert.match(retired.what, /a consent code for 0x[0-9a-fA-F]{40} \(lab records\) was never redeemed/);
    const rekeyed = await json<{ newKeyEpoch: number }>(PATIENT, "rekey");
    assert.equal(rekeyed.newKeyEpoch, listed.keyEpoch + 1);
    assert.deepEqual((await stale()).retired, [], "nobody retired holds the new keys");
    assert.doesNotMatch(await readFile(ledger, "utf8"), new RegExp(code.nonce), "the old epoch's entry is pruned");
  },
);
