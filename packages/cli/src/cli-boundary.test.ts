/**
 * What the `meridian` CLI does at its edges, as separate processes against a real `hardhat node`
 * and Helia on disk: files it writes hold plaintext and are its owner's alone; a record's
 * original file comes back byte for byte; bad options, mnemonics, deployments and paths are
 * refused before anything is sent, with messages that name what is wrong and what to do (never a
 * raw errno, a bare revert selector or a stack trace); relative paths are the user's.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { HARDHAT_TEST_MNEMONIC } from "./env.ts";
import { fixturePdf, writeFixtures } from "./fixtures.ts";
import { devAddress as addr, root, startCliHarness, type CliHarness, type CliResult } from "./testing/harness.ts";

const PATIENT = 5,
  HOSPITAL = 2,
  SUSPENDED = 3;
let h: CliHarness;
let fixtures: string;
let bundleRecord: string;
let pdfRecord: string;

/** A CLI failure that says what is wrong and what to do, without a stack trace or raw errno text. */
function assertClearFailure(r: CliResult, message: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, message);
  assert.match(r.stderr, /what to do: /);
  assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
  assert.doesNotMatch(r.stderr, /TypeError|ENOENT:|EISDIR:|ENOTDIR:|unrecognized custom error|signature:\s*0x/);
}

/** Runs `meridian ...args`, asserts it succeeded and returns its JSON output, read as `T`. */
const json = async <T = unknown>(dev: number | undefined, ...args: string[]): Promise<T> => {
  const r = await h.cli(dev, ...args);
  assert.equal(r.code, 0, `meridian ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

before(async () => {
  h = await startCliHarness("cli-boundary");
  fixtures = await writeFixtures(path.join(h.dir, "fixtures"));
  await json(0, "deploy", "--regulator", addr(1));
  await json(1, "provider", "admit", addr(HOSPITAL), "--kind", "hospital", "--name", "St Mary's");
  await json(1, "provider", "admit", addr(SUSPENDED), "--kind", "lab", "--name", "North Lab");
  await json(HOSPITAL, "provider", "publish-key");
  await json(SUSPENDED, "provider", "publish-key");
  await json(PATIENT, "register");
  const added = await json<{ recordId: string }[]>(
    PATIENT,
    "add",
    path.join(fixtures, "fhir/fixture-patient-1.json"),
    path.join(fixtures, "attachments/fixture-report.pdf"),
  );
  const [first, last] = [added[0], added.at(-1)];
  assert.ok(first && last, "add prints the records it stored");
  bundleRecord = first.recordId;
  pdfRecord = last.recordId;
});

after(async () => {
  await h?.close();
});

test(
  "get --out writes the decrypted record readable by its owner only (0600), also over an existing 0644 file",
  { timeout: 120_000 },
  async () => {
    const fresh = path.join(h.dir, "record.json");
    assert.equal((await h.cli(PATIENT, "get", bundleRecord, "--out", fresh)).code, 0);
    assert.equal((await stat(fresh)).mode & 0o777, 0o600);
    const existing = path.join(h.dir, "world-readable.json");
    await writeFile(existing, "old");
    await chmod(existing, 0o644);
    const r = await h.cli(PATIENT, "get", bundleRecord, "--out", existing);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      (await stat(existing)).mode & 0o777,
      0o600,
      "an existing file is narrowed before the plaintext goes in",
    );
    assert.deepEqual(await readFile(existing), await readFile(fresh));
  },
);

test(
  "get --attachment gives back the original PDF byte for byte (0600), into a folder under a safe name",
  { timeout: 120_000 },
  async () => {
    const file = path.join(h.dir, "report-copy.pdf");
    const r = await h.cli(PATIENT, "get", pdfRecord, "--attachment", "--out", file);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(new Uint8Array(await readFile(file)), fixturePdf());
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const folder = path.join(h.dir, "downloads");
    await mkdir(folder);
    assert.equal((await h.cli(PATIENT, "get", pdfRecord, "--attachment", "--out", folder)).code, 0);
    assert.deepEqual(new Uint8Array(await readFile(path.join(folder, "fixture-report.pdf"))), fixturePdf());
    assertClearFailure(
      await h.cli(PATIENT, "get", bundleRecord, "--attachment", "--out", path.join(h.dir, "x.bin")),
      /holds no attached file/,
    );
  },
);

test(
  "--expires 0m and a past date are refused before any transaction; a revert found only when sending is decoded",
  { timeout: 120_000 },
  async () => {
    assertClearFailure(
      await h.cli(PATIENT, "grant", addr(HOSPITAL), "--all", "--expires", "0m"),
      /--expires 0m would end the grant at once/,
    );
    assertClearFailure(
      await h.cli(PATIENT, "grant", addr(HOSPITAL), "--all", "--expires", "2001-01-01"),
      /--expires 2001-01-01 is in the past/,
    );
    assertClearFailure(
      await h.cli(HOSPITAL, "request", addr(PATIENT), "--all", "--duration", "0"),
      /--duration must be a whole number from 1/,
    );
    // The simulation runs at the latest block; the transaction lands in a block 3 hours later, past
    // the 1-hour expiry: the revert comes from sending, whose request viem had cut down to the
    // function's ABI, so it used to print as the bare selector 0x10dc5911.
    const latest = (await rpc("eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
    await rpc("evm_setNextBlockTimestamp", [Number(latest.timestamp) + 3 * 3600]);
    const r = await h.cli(PATIENT, "grant", addr(HOSPITAL), "--all", "--expires", "1h");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /The expiry is not in the future\. \(RecordRegistryInvalidExpiry\)/);
    assert.doesNotMatch(r.stderr, /signature:|unrecognized custom error/);
    await rpc("evm_mine", []);
  },
);

test(
  "a deployment file whose registry address is wrong is refused instead of listing nothing",
  { timeout: 120_000 },
  async () => {
    const deploymentFile = await readFile(path.join(h.dir, "deployment.json"), "utf8");
    const deployment = JSON.parse(deploymentFile) as { recordRegistry: string; providerRegistry: string };
    const noCode = path.join(h.dir, "wrong-address.json");
    await writeFile(noCode, JSON.stringify({ ...deployment, recordRegistry: addr(9) }));
    assertClearFailure(
      await h.cli(PATIENT, "--deployment", noCode, "list"),
      /names 0x[0-9a-fA-F]{40} as RecordRegistry, but there is no contract at that address/,
    );
    const otherContract = path.join(h.dir, "swapped.json");
    await writeFile(
      otherContract,
      JSON.stringify({
        ...deployment,
        recordRegistry: deployment.providerRegistry,
        providerRegistry: deployment.recordRegistry,
      }),
    );
    assertClearFailure(
      await h.cli(PATIENT, "--deployment", otherContract, "list"),
      /as RecordRegistry, but the contract there does not answer as one/,
    );
    const garbled = path.join(h.dir, "garbled.json");
    await writeFile(garbled, JSON.stringify({ ...deployment, recordRegistry: "0x1234" }));
    assertClearFailure(await h.cli(PATIENT, "--deployment", garbled, "list"), /has no valid recordRegistry address/);
  },
);

test(
  "a suspended provider's add says the provider is suspended, not that consent is missing",
  { timeout: 120_000 },
  async () => {
    await json(PATIENT, "grant", addr(SUSPENDED), "--category", "lab", "--write");
    await json(1, "provider", "suspend", addr(SUSPENDED));
    const lab = path.join(h.dir, "haemoglobin.json");
    await writeFile(
      lab,
      JSON.stringify({
        resourceType: "Observation",
        status: "final",
        code: { coding: [{ system: "http://loinc.org", code: "718-7" }] },
        valueQuantity: { value: 13.2, unit: "g/dL" },
      }),
    );
    const r = await h.cli(SUSPENDED, "add", lab, "--patient", addr(PATIENT), "--category", "lab");
    assertClearFailure(r, /You may not add records for the patient: your provider account is suspended/);
    assert.doesNotMatch(r.stderr, /write consent/);
    assert.match(r.stderr, /meridian provider show/);
  },
);

test(
  "a mnemonic whose BIP-39 checksum is wrong is refused instead of opening another, empty account",
  { timeout: 120_000 },
  async () => {
    const words = HARDHAT_TEST_MNEMONIC.split(" ");
    const wrongChecksum = [...words.slice(0, 11), "test"].join(" "); // every word is valid; the checksum is not
    const refused = await h.cliWith({ env: { MERIDIAN_MNEMONIC: wrongChecksum } }, "--account-index", "5", "list");
    assertClearFailure(refused, /MERIDIAN_MNEMONIC fails its BIP-39 checksum/);
    assert.doesNotMatch(refused.stderr, /test test/, "the words are never printed");
    assertClearFailure(
      await h.cliWith({ env: { MERIDIAN_MNEMONIC: [...words.slice(0, 11), "junkk"].join(" ") } }, "list"),
      /word 12 is not in the BIP-39 English wordlist/,
    );
    assertClearFailure(
      await h.cliWith({ env: { MERIDIAN_MNEMONIC: words.slice(0, 11).join(" ") } }, "list"),
      /has 11 words/,
    );
    // the right mnemonic, with stray white space, opens the patient's own account
    const listed = await h.cliWith(
      { env: { MERIDIAN_MNEMONIC: `  ${words.join("  ")} \n` } },
      "--account-index",
      String(PATIENT),
      "list",
    );
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok((JSON.parse(listed.stdout) as unknown[]).length >= 2);
  },
);

test(
  "file-system errors name the path and what to do, never a raw ENOENT, EISDIR or ENOTDIR",
  { timeout: 120_000 },
  async () => {
    const missing = path.join(h.dir, "no-such-bundle.json");
    assertClearFailure(await h.cli(PATIENT, "add", missing), new RegExp(`No file at ${escape(missing)}`));
    assertClearFailure(
      await h.cli(PATIENT, "add", fixtures),
      new RegExp(`${escape(fixtures)} is a folder, but a file is needed here`),
    );
    assertClearFailure(
      await h.cli(PATIENT, "add", path.join(fixtures, "fhir/fixture-patient-1.json/inner.json")),
      /A part of .* is a file, not a folder/,
    );
    assertClearFailure(
      await h.cli(PATIENT, "get", bundleRecord, "--out", path.join(h.dir, "no-such-folder/out.json")),
      /its folder does not exist/,
    );
    assertClearFailure(
      await h.cli(PATIENT, "get", bundleRecord, "--out", h.dir),
      /is a folder, but a file is needed here/,
    );
    assertClearFailure(await h.cli(PATIENT, "consent", "redeem", `@${missing}`), /No consent code file at/);
    assertClearFailure(await h.cli(PATIENT, "--deployment", h.dir, "list"), new RegExp(`${escape(h.dir)} is a folder`));
  },
);

test(
  "relative paths are taken from the folder npm run meridian was started in (INIT_CWD)",
  { timeout: 120_000 },
  async () => {
    const mine = path.join(h.dir, "user-folder");
    await mkdir(mine, { recursive: true });
    // a PDF of its own (the patient already stored the fixture's, and a duplicate is refused)
    await writeFile(
      path.join(mine, "mine.pdf"),
      new TextDecoder().decode(fixturePdf()).replace("Fixture lab report", "Fixture x-ray note"),
    );
    const base = ["--rpc-url", h.rpc, "--data-dir", h.dir, "--dev-account", String(PATIENT)];
    // as a user types it: `npm run meridian -- add mine.pdf` in their folder; npm runs the script in
    // the repository and says where it was started in INIT_CWD
    const { stdout } = await promisify(execFile)(
      "npm",
      ["--prefix", root, "run", "--silent", "meridian", "--", ...base, "add", "mine.pdf", "--category", "document"],
      { cwd: mine, env: { ...process.env, INIT_CWD: "" } },
    );
    assert.equal((JSON.parse(stdout) as unknown[]).length, 1);
    const out = await h.cliWith(
      { dev: PATIENT, env: { INIT_CWD: mine } },
      "get",
      pdfRecord,
      "--attachment",
      "--out",
      "copy.pdf",
    );
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(new Uint8Array(await readFile(path.join(mine, "copy.pdf"))), fixturePdf());
  },
);

/** `text` as a literal in a regular expression. */
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** One JSON-RPC request to the harness's chain. */
async function rpc(method: string, params: unknown[]): Promise<unknown> {
  const response = await fetch(h.rpc, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result;
}
