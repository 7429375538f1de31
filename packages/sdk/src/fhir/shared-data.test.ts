/**
 * Tests against the shared third-party data in `../shared/data` (Synthea, HL7 examples, DICOM,
 * PDF; see its README). Skipped, with a message, when the folder is absent.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Bundle, Resource } from "@medplum/fhirtypes";
import { RecordCategory, categoryName } from "../categories.ts";
import type { RecordCategoryName } from "../categories.ts";
import { attachmentToRecord, extractAttachment, recordDraftFromFile } from "./attachment.ts";
import { decodeBase64 } from "./base64.ts";
import "./definitions-node.ts";
import { NotAPatientBundleError } from "./errors.ts";
import { parseFhirJson } from "./parse.ts";
import { sensitiveStrings } from "./sensitive.ts";
import { isReferenceDataBundle, splitBundle } from "./split.ts";
import type { RecordDraft } from "./split.ts";
import { fhirValidationIssues, loadFhirDefinitions } from "./validate.ts";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
/** The shared data: `MERIDIAN_SHARED_DATA`, else `../shared/data` beside the repository. */
const DATA = process.env.MERIDIAN_SHARED_DATA ?? path.resolve(REPO_ROOT, "../shared/data");
const present = existsSync(path.join(DATA, "fhir"));
const SKIP = `../shared/data not found: ${DATA}`;

function list(dir: string): string[] {
  const full = path.join(DATA, dir);
  return existsSync(full)
    ? readdirSync(full)
        .filter((f) => !f.startsWith("."))
        .sort()
        .map((f) => path.join(full, f))
    : [];
}
const load = (file: string): Resource => parseFhirJson(readFileSync(file), { source: path.basename(file) });
const isReference = (file: string): boolean => /^(hospital|practitioner)Information/.test(path.basename(file));

const syntheaFiles = [...list("fhir/synthea/smart-on-fhir-r4"), ...list("fhir/synthea/fhir-data-pipes-hiv")].filter(
  (f) => f.endsWith(".json"),
);
const patientFiles = syntheaFiles.filter((f) => !isReference(f));
const exampleFiles = [...list("fhir/hl7-r4-examples"), ...list("fhir/hl7-ips-2.0.0-examples")].filter((f) =>
  f.endsWith(".json"),
);

describe("shared data: FHIR", () => {
  test("every FHIR file parses and validates (timed)", (t) => {
    if (!present) return t.skip(SKIP);
    const load0 = performance.now();
    const times = loadFhirDefinitions();
    t.diagnostic(
      `definitions: structure ${times.structureMs.toFixed(0)} ms, terminology ${times.terminologyMs.toFixed(0)} ms (first call ${(performance.now() - load0).toFixed(0)} ms)`,
    );
    let bytes = 0;
    let parseMs = 0;
    let validateMs = 0;
    const files = [...syntheaFiles, ...exampleFiles];
    for (const file of files) {
      const raw = readFileSync(file);
      bytes += raw.length;
      const t0 = performance.now();
      const resource = parseFhirJson(raw);
      const t1 = performance.now();
      const issues = fhirValidationIssues(resource);
      validateMs += performance.now() - t1;
      parseMs += t1 - t0;
      assert.deepEqual(issues, [], path.basename(file));
    }
    assert.equal(patientFiles.length, 39);
    assert.equal(exampleFiles.length, 38);
    t.diagnostic(
      `${files.length} files, ${(bytes / 1e6).toFixed(1)} MB: parse ${parseMs.toFixed(0)} ms, validate ${validateMs.toFixed(0)} ms`,
    );
  });

  test("Synthea patient bundles split into valid records with nothing lost", (t) => {
    if (!present) return t.skip(SKIP);
    const distribution = new Map<RecordCategoryName, number>();
    const totals: Record<string, number> = {};
    let records = 0;
    let splitMs = 0;
    let recordValidateMs = 0;
    for (const file of patientFiles) {
      const bundle = load(file);
      assert.equal(bundle.resourceType, "Bundle");
      if (bundle.resourceType !== "Bundle") continue;
      assert.equal(isReferenceDataBundle(bundle), false);
      const t0 = performance.now();
      const drafts = splitBundle(bundle, { source: path.basename(file) });
      splitMs += performance.now() - t0;
      const encounters = (bundle.entry ?? []).filter((e) => e.resource?.resourceType === "Encounter").length;
      assert.equal(drafts.length, encounters + 1, path.basename(file));
      for (const e of bundle.entry ?? [])
        totals[e.resource?.resourceType ?? "?"] = (totals[e.resource?.resourceType ?? "?"] ?? 0) + 1;

      const seen = new Set<Resource>();
      for (const d of drafts) {
        records++;
        distribution.set(categoryName(d.category), (distribution.get(categoryName(d.category)) ?? 0) + 1);
        assert.equal(d.resource.type, "collection");
        assert.equal(d.resource.entry?.[0]?.resource?.resourceType, "Patient");
        assert.ok(!Number.isNaN(Date.parse(d.date)), d.date);
        for (const e of d.resource.entry ?? []) {
          assert.equal(e.request, undefined);
          if (e.resource) seen.add(e.resource);
        }
        const t1 = performance.now();
        assert.deepEqual(fhirValidationIssues(d.resource), [], `${path.basename(file)}: ${d.title}`);
        recordValidateMs += performance.now() - t1;
      }
      const lost = (bundle.entry ?? []).filter((e) => e.resource && !seen.has(e.resource));
      assert.equal(lost.length, 0, `${path.basename(file)} lost ${lost.length} entries`);
    }
    // Totals published in the data README.
    assert.equal(totals["Observation"], 7021);
    assert.equal(totals["Encounter"], 1473);
    assert.equal(totals["DiagnosticReport"], 930);
    assert.equal(totals["DocumentReference"], 617);
    assert.equal(records, 1473 + 39);
    const dist = [...distribution]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    t.diagnostic(
      `${records} records: ${dist}; split ${splitMs.toFixed(0)} ms, record validation ${recordValidateMs.toFixed(0)} ms`,
    );
  });

  test("Clemente_Kreiger: 3 encounters give 3 encounter records + 1 general", (t) => {
    if (!present) return t.skip(SKIP);
    const file = patientFiles.find((f) => path.basename(f).startsWith("Clemente_Kreiger_"));
    assert.ok(file);
    const bundle = load(file) as Bundle;
    const drafts = splitBundle(bundle);
    assert.equal(drafts.length, 4);
    assert.match(drafts[0]?.title ?? "", /^Patient /);
    assert.deepEqual(
      drafts.slice(1).map((d) => d.title.slice(0, 20)),
      ["Encounter 2012-09-10", "Encounter 2015-09-14", "Encounter 2018-09-17"],
    );
    assert.ok(drafts.slice(1).every((d) => d.resource.entry?.some((e) => e.resource?.resourceType === "Encounter")));
  });

  test("the Synthea-HIV reference bundles are not patient records", (t) => {
    if (!present) return t.skip(SKIP);
    const refs = syntheaFiles.filter(isReference);
    assert.equal(refs.length, 2);
    for (const file of refs) {
      const bundle = load(file) as Bundle;
      assert.equal(isReferenceDataBundle(bundle), true);
      assert.throws(
        () => splitBundle(bundle),
        (e: unknown) => e instanceof NotAPatientBundleError && e.referenceData,
      );
    }
  });

  test("HL7 examples and IPS documents become one record each", async (t) => {
    if (!present) return t.skip(SKIP);
    const byName = new Map<string, RecordDraft[]>();
    for (const file of exampleFiles) {
      const name = path.basename(file);
      if (name === "Bundle-bundle-transaction.json") continue; // 5 Patients: not one patient's record
      byName.set(name, await recordDraftFromFile(readFileSync(file), { fileName: name }));
    }
    for (const [name, drafts] of byName) {
      if (name !== "Bundle-xds.json") assert.equal(drafts.length, 1, name);
      for (const d of drafts) assert.deepEqual(fhirValidationIssues(d.resource), [], name);
    }
    const category = (name: string): RecordCategory | undefined => byName.get(name)?.[0]?.category;
    assert.equal(category("Bundle-IPS-examples-Bundle-01.json"), RecordCategory.General);
    assert.equal(category("Bundle-bundle-minimal.json"), RecordCategory.General);
    assert.equal(category("Bundle-lipids.json"), RecordCategory.Lab);
    assert.equal(category("Observation-f001.json"), RecordCategory.Lab);
    assert.equal(category("Observation-ekg.json"), RecordCategory.Cardiac);
    assert.equal(category("Observation-heart-rate.json"), RecordCategory.VitalSigns);
    assert.equal(category("DiagnosticReport-f201.json"), RecordCategory.Imaging);
    assert.equal(category("DocumentReference-example.json"), RecordCategory.Document);
    assert.equal(category("Bundle-xds.json"), RecordCategory.Document);
  });

  test("every HL7 R4 example that holds lab data is filed as Lab (a lab grant covers it)", async (t) => {
    if (!present) return t.skip(SKIP);
    // The lab examples of the official HL7 R4 set, by their content: CBC (v2-0074 HM, LOINC
    // 58410-2), the General Health Profile, lipids, the microbiology culture (MB), the bone
    // marrow report, the gingival-mass pathology report (PAT), glucose, erythrocytes,
    // haemoglobin, creatinine (a local code, umol/L) and eGFR.
    const lab = [
      "Bundle-f001.json",
      "Bundle-ghp.json",
      "Bundle-lipids.json",
      "Bundle-lri-example.json",
      "Bundle-report.json",
      "DiagnosticReport-gingival-mass.json",
      "Observation-f001.json",
      "Observation-f004.json",
      "Observation-f005.json",
      "Observation-f204.json",
      "Observation-f205.json",
    ];
    const got = new Map<string, string>();
    for (const file of list("fhir/hl7-r4-examples").filter((f) => f.endsWith(".json"))) {
      const name = path.basename(file);
      if (name === "Bundle-bundle-transaction.json") continue; // 5 Patients: refused as a record
      const drafts = await recordDraftFromFile(readFileSync(file), { fileName: name });
      got.set(name, drafts.map((d) => categoryName(d.category)).join(","));
    }
    for (const name of lab) assert.equal(got.get(name), "lab", name);
    // and nothing else claims to be lab
    assert.deepEqual(
      [...got].filter(([name, c]) => c.includes("lab") && !lab.includes(name)),
      [],
    );
    assert.equal(got.get("DiagnosticReport-102.json"), "imaging", "DXA bone densitometry, LOINC class RAD");
    t.diagnostic([...got].map(([name, c]) => `${name}: ${c}`).join("; "));
  });

  test("sensitive strings name each Synthea patient and skip code displays", (t) => {
    if (!present) return t.skip(SKIP);
    for (const file of patientFiles) {
      const bundle = load(file) as Bundle;
      const strings = sensitiveStrings(bundle);
      const patient = bundle.entry?.find((e) => e.resource?.resourceType === "Patient")?.resource;
      assert.ok(patient?.resourceType === "Patient" && patient.birthDate && strings.includes(patient.birthDate));
      const family = patient.name?.[0]?.family;
      if (family && family.length >= 6) assert.ok(strings.includes(family), path.basename(file));
      const displays = new Set<string>();
      for (const e of bundle.entry ?? []) {
        const r = e.resource;
        if (r?.resourceType === "Observation" || r?.resourceType === "Condition")
          for (const c of r.code?.coding ?? []) if (c.display) displays.add(c.display);
      }
      assert.ok(
        strings.every((s) => !displays.has(s)),
        path.basename(file),
      );
      if (file.includes("fhir-data-pipes-hiv"))
        assert.ok(
          strings.some((s) => s.length >= 24 && !s.includes(family ?? "\u0000")),
          "note snippets",
        );
    }
  });
});

describe("shared data: attachments", () => {
  const dicomFiles = list("attachments/dicom").filter((f) => f.endsWith(".dcm"));
  const pdfFiles = list("attachments/pdf").filter((f) => f.endsWith(".pdf"));

  test("DICOM files become Imaging records and come back byte for byte", async (t) => {
    if (!present) return t.skip(SKIP);
    assert.equal(dicomFiles.length, 4);
    for (const file of dicomFiles) {
      const bytes = new Uint8Array(readFileSync(file));
      const [draft] = await recordDraftFromFile(bytes, { fileName: path.basename(file) });
      assert.ok(draft);
      assert.equal(draft.category, RecordCategory.Imaging);
      assert.deepEqual(fhirValidationIssues(draft.resource), []);
      const back = await extractAttachment(JSON.parse(JSON.stringify(draft.resource)) as Bundle);
      assert.equal(back?.contentType, "application/dicom");
      assert.equal(back?.fileName, path.basename(file));
      assert.ok(back && Buffer.from(back.bytes).equals(Buffer.from(bytes)), path.basename(file));
    }
  });

  test("the PDF becomes a Document record, identical to the HL7 example's presentedForm", async (t) => {
    if (!present) return t.skip(SKIP);
    assert.equal(pdfFiles.length, 1);
    const file = pdfFiles[0] as string;
    const bytes = new Uint8Array(readFileSync(file));
    const draft = await attachmentToRecord(bytes, { fileName: path.basename(file) });
    assert.equal(draft.category, RecordCategory.Document);
    const back = await extractAttachment(draft.resource);
    assert.ok(back && Buffer.from(back.bytes).equals(Buffer.from(bytes)));
    const report = load(path.join(DATA, "fhir/hl7-r4-examples/DiagnosticReport-gingival-mass.json"));
    assert.equal(report.resourceType, "DiagnosticReport");
    const data = report.resourceType === "DiagnosticReport" ? report.presentedForm?.[0]?.data : undefined;
    assert.ok(data && Buffer.from(data, "base64").equals(Buffer.from(bytes)));
    // The example's base64Binary is line-wrapped, as R4 allows: the browser-safe decoder reads it too.
    assert.ok(data && /\s/.test(data) && Buffer.from(decodeBase64(data)).equals(Buffer.from(bytes)));
  });
});
