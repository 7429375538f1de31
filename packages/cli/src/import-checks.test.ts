/**
 * `meridian add` refuses a file already stored for the patient and a file about another person,
 * unless `--allow-duplicate` / `--force` is given; and it refuses a truncated DICOM file. Real
 * `hardhat node`, the CLI as separate processes, the embedded Helia store on disk.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { writeFixtures, fixtureDicom } from "./fixtures.ts";
import { devAddress as addr, startCliHarness, type CliHarness } from "./testing/harness.ts";

let h: CliHarness;
const cli: CliHarness["cli"] = (dev, ...args) => h.cli(dev, ...args);
const count = async (dev: number): Promise<number> => (JSON.parse((await cli(dev, "list")).stdout) as unknown[]).length;

before(async () => {
  h = await startCliHarness("import-checks");
});

after(async () => {
  await h?.close();
});

test(
  "add refuses duplicates and another person's bundle unless told otherwise; truncated DICOM is refused",
  { timeout: 300_000 },
  async () => {
    const fixtures = await writeFixtures(path.join(h.dir, "fixtures"));
    const mine = path.join(fixtures, "fhir/fixture-patient-1.json");
    const someoneElse = path.join(fixtures, "fhir/fixture-patient-2.json");
    const pdf = path.join(fixtures, "attachments/fixture-report.pdf");
    assert.equal((await cli(0, "deploy", "--regulator", addr(1))).code, 0);
    assert.equal((await cli(5, "register")).code, 0);

    const first = await cli(5, "add", mine, pdf);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(await count(5), 5);

    // the same bundle again: refused with the typed error, nothing anchored
    const again = await cli(5, "add", mine);
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      /error: 4 records are already stored for this patient \(fixture-patient-1\.json\); nothing was added\./,
    );
    assert.match(again.stderr, /same content as 0x[0-9a-f]{64}/);
    assert.match(again.stderr, /meridian add --allow-duplicate/);
    // the same PDF again (new random ids and upload time in its wrapper): still a duplicate
    const pdfAgain = await cli(5, "add", pdf);
    assert.equal(pdfAgain.code, 1);
    assert.match(pdfAgain.stderr, /1 record is already stored/);
    assert.equal(await count(5), 5);
    const allowed = await cli(5, "add", "--allow-duplicate", pdf);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(await count(5), 6);

    // another person's bundle (different MRN, name and birth date): refused, fields named, no values
    const other = await cli(5, "add", someoneElse);
    assert.equal(other.code, 1);
    assert.match(
      other.stderr,
      /error: The patient in fixture-patient-2\.json does not match your earlier records \(identifier, birth date, name differ\); nothing was added\./,
    );
    assert.match(other.stderr, /meridian add --force/);
    assert.doesNotMatch(other.stderr, /Marrowby|Tobiah|FX-1002|1962/, "the other person's data is not printed");
    assert.equal(await count(5), 6);
    const forced = await cli(5, "add", "--force", someoneElse);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(await count(5), 10);

    // a DICOM file cut to its preamble and "DICM": refused before anything is stored
    const cut = path.join(h.dir, "cut.dcm");
    await writeFile(cut, fixtureDicom().slice(0, 132));
    const truncated = await cli(5, "add", cut);
    assert.equal(truncated.code, 1);
    assert.match(truncated.stderr, /error: cut\.dcm is not a complete DICOM file: /);
    assert.equal(await count(5), 10);
  },
);
