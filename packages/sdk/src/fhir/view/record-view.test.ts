/**
 * Tests of the record view (`buildRecordView`) on a hand-made record that touches every
 * section (`testing/record-view-fixture.ts`). Other inputs: `inputs.test.ts`; Synthea:
 * `synthea.test.ts`; lab trends: `lab-trends.test.ts`.
 *
 * Run: `node --test packages/sdk/src/fhir/view/record-view.test.ts`
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NARRATIVE, PDF_BASE64, TEXT_BASE64, recordViewFixture } from "../../testing/record-view-fixture.ts";
import { buildRecordView } from "./record-view.ts";
import type { MeasuredValue, ObservationView } from "./types.ts";

const NOW = new Date("2024-06-01T12:00:00Z");
const fixture = recordViewFixture();

function byDisplay(list: ObservationView[], display: string): ObservationView {
  const found = list.find((o) => o.display === display);
  assert.ok(found, `no observation "${display}" in [${list.map((o) => o.display).join(", ")}]`);
  return found;
}

describe("buildRecordView: hand-made fixture", () => {
  const view = buildRecordView(fixture, { now: NOW });

  test("never uses the narrative, and every string is plain text from the resources", () => {
    const json = JSON.stringify(view);
    assert.ok(!json.includes(NARRATIVE));
    assert.ok(!json.includes("<div") && !json.includes("<script"));
  });

  test("patient summary: name without prefix, home address, age in whole years", () => {
    assert.deepEqual(view.patient, {
      name: "Ada M. Lovelace",
      gender: "female",
      birthDate: "1980-06-02",
      age: 43, // birthday on 2 June, "now" is 1 June 2024
      deceased: false,
      deceasedDate: undefined,
      city: "Utrecht",
      state: "UT",
      country: "NL",
    });
  });

  test("age of a deceased patient stops at death; partial birth dates have no age", () => {
    const dead = buildRecordView(
      { resourceType: "Patient", birthDate: "1920-04-23", deceasedDateTime: "1990-04-22T10:00:00Z" },
      { now: NOW },
    );
    assert.equal(dead.patient?.age, 69);
    assert.equal(dead.patient?.deceased, true);
    const unknownDate = buildRecordView(
      { resourceType: "Patient", birthDate: "1920", deceasedBoolean: true },
      { now: NOW },
    );
    assert.equal(unknownDate.patient?.age, undefined);
  });

  test("encounters: newest first, class in words, references resolved or their display used", () => {
    assert.deepEqual(view.encounters, [
      {
        type: "Encounter for check up",
        class: "Ambulatory",
        status: "finished",
        start: "2024-01-10T09:00:00+01:00",
        end: "2024-01-10T09:30:00+01:00",
        reasons: ["Hypertension"],
        organization: "General Hospital",
        practitioners: ["Dr. Gregory House"],
        location: "Room 4",
      },
      {
        type: undefined,
        class: "Emergency",
        status: "finished",
        start: "2023-02-01",
        end: undefined,
        reasons: [],
        organization: "Other Hospital",
        practitioners: [],
        location: undefined,
      },
    ]);
  });

  test("conditions, medications, allergies, immunizations, procedures", () => {
    assert.deepEqual(view.conditions, [
      {
        display: "Hypertension",
        clinicalStatus: "active",
        verificationStatus: "confirmed",
        onset: "2019-05-01",
        abatement: undefined,
      },
      {
        display: "Sprained ankle",
        clinicalStatus: "resolved",
        verificationStatus: undefined,
        onset: "40 years",
        abatement: "2020-07-01",
      }, // an age is no date: listed last
    ]);
    assert.deepEqual(view.medications, [
      {
        kind: "request",
        medication: "Hydrochlorothiazide 25 MG",
        status: "active",
        authoredOn: "2024-01-10T09:20:00+01:00",
        dosage: "1 tablet, 2 times per day",
        reasons: ["Hypertension"],
      },
      {
        kind: "statement",
        medication: "Ibuprofen 400 MG",
        status: "completed",
        authoredOn: "2020-06-15",
        dosage: "1 tablet as needed for pain",
        reasons: [],
      },
    ]);
    assert.deepEqual(view.allergies, [
      {
        substance: "Peanut",
        criticality: "high",
        clinicalStatus: "active",
        type: "allergy",
        categories: ["food"],
        recordedDate: "2010-03-03",
        reactions: [{ manifestations: ["Hives", "Wheezing"], severity: "moderate" }],
      },
    ]);
    assert.deepEqual(view.immunizations, [{ vaccine: "Influenza", date: "2023-10-01", status: "completed" }]);
    assert.deepEqual(view.procedures, [
      { display: "Appendectomy", date: "2001-04-04T10:00:00Z", end: "2001-04-04T11:00:00Z", status: "completed" },
    ]);
  });

  test("observations are split into labs, vitals and others; panels only counted", () => {
    assert.deepEqual(
      view.labs.map((o) => o.display),
      ["Glucose", "HDL", "Cholesterol", "Triglycerides", "HbA1c", "LDL", "ABO and Rh group"],
    );
    assert.deepEqual(
      view.vitals.map((o) => o.display),
      ["Blood pressure panel", "Heart rate"],
    );
    assert.deepEqual(
      view.otherObservations.map((o) => o.display),
      ["Smoking status"],
    );
    assert.deepEqual(view.other, { Organization: 1, Practitioner: 1, Observation: 1, Claim: 2 });
  });

  test("lab values: value, UCUM unit, LOINC, interpretation, reference range and outOfRange", () => {
    const glucose = byDisplay(view.labs, "Glucose");
    assert.equal(glucose.value, 130);
    assert.equal(glucose.unit, "mg/dL");
    assert.equal(glucose.ucum, "mg/dL");
    assert.equal(glucose.loinc, "2339-0");
    assert.equal(glucose.date, "2024-01-10T09:10:00+01:00");
    assert.equal(glucose.interpretation, "High");
    assert.deepEqual(glucose.referenceRange, {
      low: { value: 70, unit: "mg/dL" },
      high: { value: 99, unit: "mg/dL" },
      text: "70–99 mg/dL",
    });
    assert.equal(glucose.outOfRange, true);
    assert.equal(glucose.rangeFlag, "high");

    const hdl = byDisplay(view.labs, "HDL");
    assert.equal(hdl.referenceRange?.text, "≥ 40 mg/dL");
    assert.deepEqual([hdl.outOfRange, hdl.rangeFlag], [true, "low"]);

    const edge = byDisplay(view.labs, "Cholesterol");
    assert.deepEqual([edge.outOfRange, edge.rangeFlag], [false, undefined], "limits are inclusive");

    const units = byDisplay(view.labs, "Triglycerides");
    assert.equal(units.outOfRange, undefined, "mmol/L against a mg/dL range cannot be compared");

    const text = byDisplay(view.labs, "HbA1c");
    assert.deepEqual([text.referenceRange?.text, text.outOfRange, text.ucum], ["below 5.7 %", undefined, undefined]);

    const ldl = byDisplay(view.labs, "LDL");
    assert.deepEqual([ldl.comparator, ldl.value, ldl.outOfRange], ["<", 50, undefined]);

    const coded = byDisplay(view.labs, "ABO and Rh group");
    assert.deepEqual([coded.value, coded.valueText], [undefined, "A Rh(D) positive"]);
  });

  test("vital signs: blood pressure components with their own ranges", () => {
    const bp = byDisplay(view.vitals, "Blood pressure panel");
    assert.equal(bp.value, undefined);
    assert.deepEqual(
      bp.components.map((c: MeasuredValue) => [c.display, c.loinc, c.value, c.unit, c.ucum, c.outOfRange]),
      [
        ["Systolic blood pressure", "8480-6", 150, "mmHg", "mm[Hg]", true],
        ["Diastolic blood pressure", "8462-4", 80, "mmHg", "mm[Hg]", false],
      ],
    );
    assert.deepEqual([bp.outOfRange, bp.rangeFlag], [true, "high"]);
    const hr = byDisplay(view.vitals, "Heart rate");
    assert.deepEqual([hr.value, hr.unit, hr.categories], [72, "/min", []], "a vital-sign LOINC code without category");
  });

  test("reports and documents: Binary resolved through the attachment url, sizes in bytes", () => {
    assert.deepEqual(view.reports, [
      {
        display: "Metabolic panel",
        date: "2024-01-10T09:10:00+01:00",
        status: "final",
        categories: [],
        conclusion: "Raised fasting glucose.",
        results: ["Glucose", "Sodium"],
      },
    ]);
    assert.deepEqual(view.documents, [
      {
        title: "Discharge letter",
        fileName: "letter.txt",
        contentType: "text/plain",
        size: 5,
        created: "2024-01-11T08:00:00Z",
        base64: TEXT_BASE64,
        url: undefined,
        source: "DocumentReference",
      },
      {
        title: "report.pdf",
        fileName: "report.pdf",
        contentType: "application/pdf",
        size: 9,
        created: "2024-01-10T09:10:00+01:00",
        base64: PDF_BASE64,
        url: undefined,
        source: "DiagnosticReport",
      },
      {
        title: "Document",
        fileName: undefined,
        contentType: "application/dicom",
        size: 2048,
        created: undefined,
        base64: undefined,
        url: "https://example.org/ct.dcm",
        source: "DocumentReference",
      },
      {
        title: "File",
        fileName: undefined,
        contentType: "application/octet-stream",
        size: 3,
        created: undefined,
        base64: "AAEC",
        url: undefined,
        source: "Binary",
      },
    ]);
    assert.equal(view.documents[0]?.base64, TEXT_BASE64);
  });
});
