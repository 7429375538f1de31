/**
 * `meridian demo` on inputs and options it cannot use, as a separate process: it checks every
 * option before it creates or deletes anything, never deletes a folder it did not create, and on
 * an input with no patient bundle stops with a clear message and a report whose checks say FAIL
 * (a check that checked nothing never says PASS), never a `TypeError`.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { STATE_MARKER } from "./files.ts";
import { fixtureDicom, writeFixtures } from "./fixtures.ts";
import { readDemoReport, startCliHarness, type CliHarness, type CliResult } from "./testing/harness.ts";

let h: CliHarness;
let n = 0;

before(async () => {
  h = await startCliHarness("demo-input");
});

after(async () => {
  await h?.close();
});

/** A new folder under the harness's temp folder. */
async function folder(name: string, files: Record<string, string | Uint8Array> = {}): Promise<string> {
  const dir = path.join(h.dir, `${++n}-${name}`);
  await mkdir(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) await writeFile(path.join(dir, file), content);
  return dir;
}

const demo = (dataDir: string, ...args: string[]) => h.cliWith({ dataDir }, "demo", ...args);

/** The demo stopped with a message, no stack trace or TypeError, and no vacuous PASS. */
function assertRefused(r: CliResult, message: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /TypeError|^\s+at /m);
  assert.doesNotMatch(r.stderr, /^PASS/m, "nothing was checked, so nothing passes");
}

/** Runs the demo on `input` and checks it stops on "no patient bundle" with a FAIL report. */
async function assertNoPatientBundle(input: string): Promise<void> {
  const dataDir = path.join(h.dir, `${++n}-state`);
  const r = await demo(dataDir, "--input", input);
  assertRefused(r, /holds no patient bundle/);
  assert.match(r.stderr, /^FAIL {2}inputs: nothing to import/m);
  assert.match(r.stderr, /what to do: Pass --input with a folder that holds at least one patient bundle/);
  const report = await readDemoReport(dataDir);
  assert.equal(report.ok, false);
  assert.deepEqual(
    report.checks.map((c) => [c.name, c.status]),
    [["inputs", "fail"]],
  );
  assert.match(report.failure?.message ?? "", /no patient bundle/);
}

test(
  "the demo never deletes a --data-dir it did not create, and checks --input before touching it",
  { timeout: 120_000 },
  async () => {
    const userDir = await folder("users-folder", { "thesis.txt": "a user's only copy" });
    const missing = await demo(userDir, "--input", path.join(h.dir, "no-such-input"));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No --input folder at .*no-such-input/);
    assert.equal(await readFile(path.join(userDir, "thesis.txt"), "utf8"), "a user's only copy");

    const fixtures = await writeFixtures(path.join(h.dir, "fixtures"));
    const refused = await demo(userDir, "--input", fixtures);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /--data-dir .* is not empty and was not created by Meridian; nothing in it was deleted/,
    );
    assert.deepEqual(await readdir(userDir), ["thesis.txt"]);

    const overlap = await demo(path.join(fixtures, "state"), "--input", fixtures);
    assert.match(overlap.stderr, /--input .* and --data-dir .* overlap/);
    assert.equal(existsSync(path.join(fixtures, "state")), false);
  },
);

test("the demo refuses --max-patients 0 and abc before creating anything", { timeout: 120_000 }, async () => {
  const fixtures = await writeFixtures(path.join(h.dir, "fixtures-max"));
  for (const value of ["0", "abc", "-1", "1.5"]) {
    const dataDir = path.join(h.dir, `${++n}-max-${value}`);
    assertRefused(
      await demo(dataDir, "--input", fixtures, "--max-patients", value),
      /--max-patients must be a whole number from 1 up/,
    );
    assert.equal(existsSync(dataDir), false, "nothing created");
  }
});

test("the demo on an empty folder stops with a clear message and a FAIL report", { timeout: 120_000 }, async () => {
  await assertNoPatientBundle(await folder("empty"));
});

test(
  "the demo on a folder of single resources (no patient bundle) stops with a clear message and a FAIL report",
  { timeout: 120_000 },
  async () => {
    const observation = {
      resourceType: "Observation",
      status: "final",
      code: { coding: [{ system: "http://loinc.org", code: "718-7" }] },
      valueQuantity: { value: 13.2, unit: "g/dL" },
    };
    const patient = { resourceType: "Patient", name: [{ family: "Single" }] };
    await assertNoPatientBundle(
      await folder("single-resources", {
        "obs.json": JSON.stringify(observation),
        "patient.json": JSON.stringify(patient),
      }),
    );
  },
);

test(
  "the demo on a folder of DICOM files only stops with a clear message and a FAIL report",
  { timeout: 120_000 },
  async () => {
    await assertNoPatientBundle(await folder("dicom-only", { "a.dcm": fixtureDicom(), "b.dcm": fixtureDicom() }));
  },
);

test("a folder the demo created is marked, and emptied on the next run", { timeout: 120_000 }, async () => {
  const dataDir = path.join(h.dir, `${++n}-marked`);
  const empty = await folder("empty-again");
  await demo(dataDir, "--input", empty);
  assert.ok(existsSync(path.join(dataDir, STATE_MARKER)));
  await writeFile(path.join(dataDir, "left-over.txt"), "from the last run");
  await demo(dataDir, "--input", empty);
  assert.deepEqual((await readdir(dataDir)).sort(), [STATE_MARKER, "report.json"].sort());
});
