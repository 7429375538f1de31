/**
 * The `meridian` CLI end to end, as separate processes against a real `hardhat node` on a
 * free loopback port, with the embedded Helia store on disk in a temp folder.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { generatePrivateKey } from "viem/accounts";
import { writeFixtures } from "./fixtures.ts";
import { devAddress as addr, readDemoReport, startCliHarness, type CliHarness } from "./testing/harness.ts";

let h: CliHarness;
let dir: string;
const cli: CliHarness["cli"] = (dev, ...args) => h.cli(dev, ...args);

before(async () => {
  h = await startCliHarness("cli");
  ({ dir } = h);
});

after(async () => {
  await h?.close();
});

test(
  "deploy, admit, register, add, grant, get, revoke, audit and verify through the CLI",
  { timeout: 300_000 },
  async () => {
    const fixtures = await writeFixtures(path.join(dir, "fixtures"));
    const deployed = await cli(0, "deploy", "--regulator", addr(1));
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.match(deployed.stdout, /"recordRegistry": "0x/);

    // regulator admits; a non-regulator cannot
    const refusedAdmit = await cli(3, "provider", "admit", addr(2), "--kind", "hospital", "--name", "St Mary's");
    assert.equal(refusedAdmit.code, 1);
    assert.match(refusedAdmit.stderr, /only the regulator/);
    assert.equal(
      (
        await cli(
          1,
          "provider",
          "admit",
          addr(2),
          "--kind",
          "hospital",
          "--name",
          "St Mary's",
          "--department",
          "Cardiology",
        )
      ).code,
      0,
    );
    assert.equal((await cli(1, "provider", "admit", addr(3), "--kind", "lab", "--name", "North Lab")).code, 0);
    assert.equal((await cli(2, "provider", "publish-key")).code, 0);
    assert.equal((await cli(3, "provider", "publish-key")).code, 0);

    // patient registers twice: the second is refused with the contract's error in plain words
    assert.equal((await cli(5, "register")).code, 0);
    const again = await cli(5, "register");
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already registered.*RecordRegistryAlreadyRegistered/);

    // add a Synthea-shaped bundle (split per encounter) and a PDF
    const added = await cli(
      5,
      "add",
      path.join(fixtures, "fhir/fixture-patient-1.json"),
      path.join(fixtures, "attachments/fixture-report.pdf"),
    );
    assert.equal(added.code, 0, added.stderr);
    const records = JSON.parse(added.stdout) as { recordId: string; category: string }[];
    assert.equal(records.length, 5, "3 encounters + general + PDF");

    // bad input: malformed JSON, and JSON that is not FHIR; nothing is anchored
    await writeFile(path.join(dir, "bad.json"), "{ not json");
    const bad = await cli(5, "add", path.join(dir, "bad.json"));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /JSON/);
    await writeFile(path.join(dir, "notfhir.json"), JSON.stringify({ hello: "world" }));
    assert.match((await cli(5, "add", path.join(dir, "notfhir.json"))).stderr, /FHIR|resourceType/);
    assert.equal((JSON.parse((await cli(5, "list")).stdout) as unknown[]).length, 5);

    // the provider may not read until granted
    const recordId = records[0]!.recordId;
    const out = path.join(dir, "out.json");
    const denied = await cli(2, "get", recordId, "--out", out);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /may not read/);

    assert.equal((await cli(5, "grant", addr(2), "--all", "--expires", "7d")).code, 0);
    const got = await cli(2, "get", recordId, "--out", out);
    assert.equal(got.code, 0, got.stderr);
    const patientCopy = path.join(dir, "own.json");
    assert.equal((await cli(5, "get", recordId, "--out", patientCopy)).code, 0);
    assert.deepEqual(await readFile(out), await readFile(patientCopy));
    assert.match(await readFile(out, "utf8"), /"resourceType":"Bundle"/);

    // the hospital rotates its key: the grant wrapped to key 1 still opens; publishing again is refused
    const rotated = await cli(2, "provider", "rotate-key");
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /"keyVersion": 2/);
    assert.match((await cli(2, "provider", "publish-key")).stderr, /already published \(version 2\).*rotate/s);
    assert.equal((await cli(2, "get", recordId, "--out", out)).code, 0);
    assert.deepEqual(await readFile(out), await readFile(patientCopy));

    // request / deny for the lab; revoke the hospital
    assert.equal((await cli(3, "request", addr(5), "--category", "lab", "--purpose", "TREAT")).code, 0);
    const pending = JSON.parse((await cli(5, "requests")).stdout) as unknown[];
    assert.equal(pending.length, 1);
    assert.equal((await cli(5, "deny", addr(3), "--category", "lab")).code, 0);
    assert.equal((await cli(5, "revoke", addr(2), "--all")).code, 0);
    assert.equal((await cli(2, "get", recordId, "--out", out)).code, 1);

    // audit and chain verification (verification needs no account)
    const audit = (JSON.parse((await cli(5, "audit")).stdout) as { events: { event: string }[] }).events;
    for (const e of [
      "PatientRegistered",
      "RecordAnchored",
      "GrantIssued",
      "AccessRequested",
      "AccessRequestDenied",
      "GrantRevoked",
    ])
      assert.ok(
        audit.some((a) => a.event === e),
        e,
      );
    const verified = await cli(undefined, "verify", addr(5));
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal((JSON.parse(verified.stdout) as { valid: boolean }).valid, true);

    // wrong inputs at the CLI boundary
    assert.match((await cli(5, "get", "0x1234", "--out", out)).stderr, /record id is 0x followed by 64/);
    assert.match((await cli(5, "grant", "not-an-address", "--all")).stderr, /not an Ethereum address/);
    assert.match((await cli(undefined, "register")).stderr, /needs a wallet to sign with[\s\S]*MERIDIAN_PRIVATE_KEY/);
  },
);

test(
  "a device's pairing offer, registered and revoked by the patient; a tampered offer is refused before any gas",
  { timeout: 120_000 },
  async () => {
    // runs after the first test: deployed, patient 5 registered
    const keyFile = path.join(dir, "sensor.key");
    await writeFile(keyFile, `${generatePrivateKey()}\n`, { mode: 0o600 });
    const offer = await cli(
      undefined,
      "--key-file",
      keyFile,
      "ecg",
      "pairing-offer",
      "--patient",
      addr(5),
      "--role",
      "sensor",
    );
    assert.equal(offer.code, 0, offer.stderr);
    const parsed = JSON.parse(offer.stdout) as { device: string; role: number; signature: string };
    assert.equal(parsed.role, 1);
    assert.doesNotMatch(
      offer.stdout + offer.stderr,
      new RegExp((await readFile(keyFile, "utf8")).trim().slice(2)),
      "the key is never printed",
    );
    const offerFile = path.join(dir, "offer.json");
    await writeFile(offerFile, JSON.stringify({ ...parsed, role: 3 }));
    const tampered = await cli(5, "ecg", "register-device", "--offer", offerFile);
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /not signed by the device/);
    await writeFile(offerFile, offer.stdout);
    assert.match((await cli(6, "ecg", "register-device", "--offer", offerFile)).stderr, /for another patient/);
    const registered = await cli(5, "ecg", "register-device", "--offer", offerFile);
    assert.equal(registered.code, 0, registered.stderr);
    assert.match(registered.stderr, new RegExp(`Registered sensor ${parsed.device}`));
    const revoked = await cli(5, "ecg", "revoke-device", "--device", parsed.device);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match((await cli(5, "ecg", "revoke-device", "--device", parsed.device)).stderr, /not active|revoked/i);
  },
);

test("the demo runs on the project's own fixtures and passes its checks", { timeout: 300_000 }, async () => {
  const fixtures = await writeFixtures(path.join(dir, "demo-fixtures"));
  const demoDir = path.join(dir, "demo");
  const r = await cli(undefined, "--data-dir", demoDir, "demo", "--input", fixtures);
  assert.equal(r.code, 0, r.stderr.slice(-3000));
  const report = await readDemoReport(demoDir);
  assert.equal(report.ok, true);
  assert.equal(report.privacyScan.hits, 0);
  assert.equal(report.roundTrip.identical, report.roundTrip.read);
  assert.ok(report.gas["anchor record"]!.median <= 65_000);
});
