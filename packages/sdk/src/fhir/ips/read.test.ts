/**
 * Tests of reading an International Patient Summary back (`isInternationalPatientSummary`,
 * `summarizeInternationalPatientSummary`), and of the builder on the shared Synthea and HL7 IPS
 * data (skipped, with a message, when `../shared/data` is absent). Every document is checked
 * with the validator the import path uses.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Bundle, BundleEntry, Composition } from "@medplum/fhirtypes";
import "../definitions-node.ts";
import { patientBundle } from "../../testing/fhir-fixtures.ts";
import { assertIpsShape, sectionOf } from "../../testing/ips-assertions.ts";
import {
  NotAPatientSummaryError,
  buildInternationalPatientSummary,
  isInternationalPatientSummary,
  summarizeInternationalPatientSummary,
} from "../ips.ts";

const NOW = new Date("2024-06-01T12:00:00Z");
const LOINC = "http://loinc.org";

describe("isInternationalPatientSummary and summarizeInternationalPatientSummary", () => {
  test("recognises IPS documents only", () => {
    const ips = buildInternationalPatientSummary([patientBundle()]);
    assert.equal(isInternationalPatientSummary(ips), true);
    assert.equal(isInternationalPatientSummary(JSON.parse(JSON.stringify(ips))), true);
    for (const other of [
      null,
      undefined,
      "Bundle",
      42,
      [],
      {},
      patientBundle(),
      { resourceType: "Bundle", type: "document", entry: [] },
    ]) {
      assert.equal(isInternationalPatientSummary(other), false);
    }
    const discharge = structuredClone(ips);
    const first = discharge.entry?.[0] as BundleEntry;
    (first.resource as Composition).type = {
      coding: [{ system: LOINC, code: "18842-5", display: "Discharge summary" }],
    };
    assert.equal(isInternationalPatientSummary(discharge), false);
    assert.equal(isInternationalPatientSummary({ ...ips, type: "collection" }), false);
  });

  test("summarize refuses anything else", () => {
    assert.throws(() => summarizeInternationalPatientSummary(patientBundle()), NotAPatientSummaryError);
  });
});

// ---------------------------------------------------------------------------------------------
// Shared data (../shared/data; see its README)

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../..");
const DATA = path.resolve(REPO_ROOT, "../shared/data");
const SKIP = `../shared/data not found: ${DATA}`;
const present = existsSync(path.join(DATA, "fhir"));

function list(dir: string): string[] {
  const full = path.join(DATA, dir);
  return existsSync(full)
    ? readdirSync(full)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((f) => path.join(full, f))
    : [];
}
const syntheaFiles = [...list("fhir/synthea/smart-on-fhir-r4"), ...list("fhir/synthea/fhir-data-pipes-hiv")].filter(
  (f) => !/^(hospital|practitioner)Information/.test(path.basename(f)),
);

/** Raw JSON shapes read straight from the source files (not through the SDK). */
interface RawCoding {
  system?: string;
  code?: string;
  display?: string;
}
interface RawConcept {
  coding?: RawCoding[];
  text?: string;
}
interface RawResource {
  resourceType: string;
  status?: string;
  clinicalStatus?: RawConcept;
  verificationStatus?: RawConcept;
  code?: RawConcept;
  medicationCodeableConcept?: RawConcept;
}

const key = (c: RawConcept | undefined): string => `${c?.coding?.[0]?.system}|${c?.coding?.[0]?.code}`;
const sorted = (values: Iterable<string>): string[] => [...values].sort();

describe("shared data: Synthea and HL7 IPS", () => {
  test("every Synthea patient gives a valid IPS whose problem list is the source's active conditions", (t) => {
    if (!present) return t.skip(SKIP);
    assert.equal(syntheaFiles.length, 39);
    let buildMs = 0;
    let validateMs = 0;
    let problems = 0;
    let medications = 0;
    let allergies = 0;
    for (const file of syntheaFiles) {
      const name = path.basename(file);
      const text = readFileSync(file, "utf8");
      const source = (JSON.parse(text) as { entry: { resource: RawResource }[] }).entry.map((e) => e.resource);
      const t0 = performance.now();
      const ips = buildInternationalPatientSummary([JSON.parse(text) as Bundle], { now: NOW });
      const t1 = performance.now();
      assertIpsShape(ips, name);
      validateMs += performance.now() - t1;
      buildMs += t1 - t0;
      const view = summarizeInternationalPatientSummary(ips);
      const inDocument = (code: string): RawResource[] =>
        (sectionOf(ips, code)?.entry ?? []).map(
          (ref) => ips.entry?.find((e) => e.fullUrl === ref.reference)?.resource as unknown as RawResource,
        );

      // Problems: the distinct codes of the source's active/recurrence/relapse conditions.
      const active = source.filter(
        (r) =>
          r.resourceType === "Condition" &&
          ["active", "recurrence", "relapse"].includes(r.clinicalStatus?.coding?.[0]?.code ?? "") &&
          r.verificationStatus?.coding?.[0]?.code !== "entered-in-error",
      );
      const activeCodes = new Set(active.map((r) => key(r.code)));
      assert.deepEqual(sorted(inDocument("11450-4").map((r) => key(r.code))), sorted(activeCodes), name);
      const displays = new Set(
        active.map((r) =>
          (r.code?.text ?? r.code?.coding?.[0]?.display ?? "").replace(/\s\((disorder|finding|situation)\)$/, ""),
        ),
      );
      assert.deepEqual(sorted(view.problems), sorted(displays), name);
      assert.equal(new Set(view.problems).size, view.problems.length, `${name}: no duplicate problems`);

      // Medications: the distinct codes of the active MedicationRequests.
      const activeMeds = new Set(
        source
          .filter((r) => r.resourceType === "MedicationRequest" && r.status === "active")
          .map((r) => key(r.medicationCodeableConcept)),
      );
      assert.deepEqual(
        sorted(inDocument("10160-0").map((r) => key(r.medicationCodeableConcept))),
        sorted(activeMeds),
        name,
      );

      // Allergies: the distinct codes of the allergies that are not inactive/resolved.
      const currentAllergies = new Set(
        source
          .filter(
            (r) =>
              r.resourceType === "AllergyIntolerance" &&
              !["inactive", "resolved"].includes(r.clinicalStatus?.coding?.[0]?.code ?? ""),
          )
          .map((r) => key(r.code)),
      );
      assert.deepEqual(sorted(inDocument("48765-2").map((r) => key(r.code))), sorted(currentAllergies), name);

      problems += view.problems.length;
      medications += view.medications.length;
      allergies += view.allergies.length;
    }
    t.diagnostic(
      `${
        syntheaFiles.length
      } patients: ${problems} problems, ${medications} medications, ${allergies} allergies; build ${buildMs.toFixed(
        0,
      )} ms, validation ${validateMs.toFixed(0)} ms`,
    );
  });

  test("the HL7 IPS example is recognised and read back, and rebuilding it keeps its current content", (t) => {
    if (!present) return t.skip(SKIP);
    const example = JSON.parse(
      readFileSync(path.join(DATA, "fhir/hl7-ips-2.0.0-examples/Bundle-IPS-examples-Bundle-01.json"), "utf8"),
    ) as Bundle;
    assert.equal(isInternationalPatientSummary(example), true);
    const view = summarizeInternationalPatientSummary(example);
    assert.deepEqual(view.allergies, ["Substance with penicillin structure", "No known food allergy"]);
    assert.deepEqual(view.medications, ["Product containing anastrozole", "Black Cohosh Extract herbal supplement"]);
    assert.deepEqual(view.problems, ["Menopausal flushing"]);
    assert.equal(view.bloodGroup, "Blood group A Rh(D) positive");
    assert.equal(view.date, "2017-12-11T14:30:00+01:00");

    const rebuilt = buildInternationalPatientSummary([example], { now: NOW });
    assertIpsShape(rebuilt);
    const again = summarizeInternationalPatientSummary(rebuilt);
    assert.deepEqual(sorted(again.allergies), sorted(view.allergies));
    assert.deepEqual(sorted(again.medications), sorted(view.medications));
    assert.deepEqual(again.problems, ["Menopausal flushing"]); // the breast cancer in remission is a past problem
    assert.equal(again.bloodGroup, view.bloodGroup);
    assert.equal(rebuilt.entry?.filter((e) => e.resource?.resourceType === "Medication").length, 2);
  });
});
