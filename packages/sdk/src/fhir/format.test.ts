/**
 * Tests of the one formatting module (`format.ts`): its small formatters, the SNOMED CT
 * semantic tags, and that one medication or condition reads the same through every screen that
 * shows it (the International Patient Summary, the record view and the record title).
 *
 * Run: `node --test packages/sdk/src/fhir/format.test.ts`
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Bundle, Resource } from "@medplum/fhirtypes";
import {
  SNOMED_SEMANTIC_TAGS,
  ageInYears,
  conceptText,
  formatByteSize,
  formatFhirDate,
  formatNumber,
  humanNameText,
  quantityText,
  stripSemanticTag,
} from "./format.ts";
import { buildInternationalPatientSummary, summarizeInternationalPatientSummary } from "./ips.ts";
import { splitResource } from "./split.ts";
import { buildRecordView } from "./view/record-view.ts";

describe("formatting helpers", () => {
  test("formatFhirDate, formatNumber, formatByteSize", () => {
    assert.equal(formatFhirDate("2019-03-04T09:12:00-05:00"), "2019-03-04 09:12");
    assert.equal(formatFhirDate("2019-03"), "2019-03");
    assert.equal(formatNumber(92.91796756238654), "92.918");
    assert.equal(formatNumber(6.3), "6.3");
    assert.equal(formatNumber(0.0053123), "0.00531");
    assert.equal(formatNumber(1.025), "1.025");
    assert.equal(formatByteSize(512), "512 B");
    assert.equal(formatByteSize(551_998), "552 kB");
    assert.equal(formatByteSize(3_885_380), "3.9 MB");
  });

  test("names, quantities and ages through Medplum's formatters, on untrusted JSON", () => {
    const names = [
      { use: "old" as const, text: "Ada Byron" },
      { use: "official" as const, prefix: ["Ms."], given: ["Ada", "M."], family: "Lovelace", suffix: ["PhD"] },
    ];
    assert.equal(humanNameText(names), "Ada M. Lovelace PhD");
    assert.equal(humanNameText(names, { prefix: true }), "Ms. Ada M. Lovelace PhD");
    assert.equal(humanNameText([{ text: " Jan Jansen ", given: ["Jan"] }]), "Jan Jansen");
    assert.equal(humanNameText([{ given: [42], family: {} }] as never), undefined);
    assert.equal(quantityText({ value: 40, unit: "years", code: "a" }), "40 years");
    assert.equal(quantityText({ value: 5, comparator: "<", code: "mg/dL" }), "< 5 mg/dL");
    assert.equal(quantityText({ value: "12", unit: "mg" } as never), undefined);
    assert.equal(ageInYears("1980-06-02", "2024-06-01T12:00:00Z"), 43);
    assert.equal(ageInYears("1980-06-02", "2024-06-02"), 44);
    assert.equal(ageInYears("1980", "2024-06-02"), undefined);
    assert.equal(ageInYears("2030-01-01", "2024-06-02"), undefined);
  });
});

describe("SNOMED CT semantic tags", () => {
  test("one list, dropped only at the end of a display, after trimming", () => {
    for (const tag of ["disorder", "finding", "clinical drug", "medicinal product", "regime/therapy", "substance"]) {
      assert.ok(SNOMED_SEMANTIC_TAGS.includes(tag), tag);
      assert.equal(stripSemanticTag(`Something (${tag})`), "Something");
    }
    assert.equal(new Set(SNOMED_SEMANTIC_TAGS).size, SNOMED_SEMANTIC_TAGS.length, "no tag twice");
    assert.equal(stripSemanticTag("Insulin (human)"), "Insulin (human)");
    assert.equal(stripSemanticTag("Asthma (disorder) of childhood"), "Asthma (disorder) of childhood");
    assert.equal(stripSemanticTag("  Asthma (disorder) "), "Asthma");
  });

  test("conceptText: text, else the first display, else the first code; tag dropped", () => {
    const snomed = (display: string) => ({ system: "http://snomed.info/sct", code: "1", display });
    assert.equal(
      conceptText({ coding: [{ code: "x" }, snomed("Amoxicillin 250 MG Oral Capsule (clinical drug)")] }),
      "Amoxicillin 250 MG Oral Capsule",
    );
    assert.equal(conceptText({ text: "Hypertension (disorder)", coding: [snomed("Other")] }), "Hypertension");
    assert.equal(conceptText({ coding: [{ code: "38341003" }] }), "38341003");
    assert.equal(conceptText({ text: ["not a string"] } as never), undefined);
  });
});

const PATIENT_URL = "urn:uuid:7b2e0c2e-0000-4000-8000-000000000001";

/** One patient with one active prescription and one active problem, coded as in SNOMED CT releases. */
function record(medication: string, condition: string): Bundle {
  const subject = { reference: PATIENT_URL };
  const entries: [string, Resource][] = [
    [
      PATIENT_URL,
      { resourceType: "Patient", id: PATIENT_URL.slice(9), name: [{ given: ["Quinta"], family: "Fixture" }] },
    ],
    [
      "urn:uuid:7b2e0c2e-0000-4000-8000-000000000002",
      {
        resourceType: "MedicationRequest",
        id: "7b2e0c2e-0000-4000-8000-000000000002",
        status: "active",
        intent: "order",
        subject,
        authoredOn: "2024-01-10",
        medicationCodeableConcept: {
          coding: [{ system: "http://snomed.info/sct", code: "374646004", display: medication }],
        },
      },
    ],
    [
      "urn:uuid:7b2e0c2e-0000-4000-8000-000000000003",
      {
        resourceType: "Condition",
        id: "7b2e0c2e-0000-4000-8000-000000000003",
        subject,
        clinicalStatus: {
          coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code: "active" }],
        },
        onsetDateTime: "2019-05-01",
        code: { text: condition, coding: [{ system: "http://snomed.info/sct", code: "195967001" }] },
      },
    ],
  ];
  return {
    resourceType: "Bundle",
    type: "collection",
    entry: entries.map(([fullUrl, resource]) => ({ fullUrl, resource })),
  };
}

describe("one medication, one condition, the same words on every screen", () => {
  test("the IPS summary, the record view and the record title agree", () => {
    // "clinical drug" was missing from the record view's tag list, and the view kept the spaces around a text.
    const bundle = record("Amoxicillin 250 MG Oral Capsule (clinical drug)", "  Asthma (disorder) ");
    const ips = summarizeInternationalPatientSummary(buildInternationalPatientSummary([bundle]));
    const view = buildRecordView(bundle);
    assert.deepEqual(ips.medications, ["Amoxicillin 250 MG Oral Capsule"]);
    assert.deepEqual(ips.problems, ["Asthma"]);
    assert.deepEqual(
      view.medications.map((m) => m.medication),
      ips.medications,
    );
    assert.deepEqual(
      view.conditions.map((c) => c.display),
      ips.problems,
    );
    const titles = (bundle.entry ?? []).slice(1).flatMap((e) => (e.resource ? splitResource(e.resource) : []));
    assert.deepEqual(
      titles.map((d) => d.title),
      ["MedicationRequest 2024-01-10: Amoxicillin 250 MG Oral Capsule", "Condition 2019-05-01: Asthma"],
    );
  });
});
