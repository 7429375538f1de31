/**
 * Tests of the record view (`buildRecordView`): a hand-made record that touches every section,
 * then other inputs (single resources, nested documents, hostile JSON). The Synthea checks are
 * in `synthea.test.ts`, the lab trends in `lab-trends.test.ts`.
 *
 * Run: `node --test packages/sdk/src/fhir/view/record-view.test.ts`
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Observation, Resource } from "@medplum/fhirtypes";
import { NotFhirRecordError } from "../errors.ts";
import { bundleOf as bundle, labObservation, mgPerDl as mgdl } from "../../testing/fhir-fixtures.ts";
import { buildRecordView } from "./record-view.ts";
import type { MeasuredValue, ObservationView } from "./types.ts";

const NOW = new Date("2024-06-01T12:00:00Z");
const NARRATIVE = "NARRATIVE-MUST-NOT-SHOW";
const narrative = {
  status: "generated" as const,
  div: `<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script>${NARRATIVE}</div>`,
};

const loinc = (code: string, display: string) => ({
  coding: [{ system: "http://loinc.org", code, display }],
  text: display,
});
const category = (code: string) => [
  { coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code }] },
];

function lab(id: string, code: string, display: string, date: string, extra: Partial<Observation>): Observation {
  return labObservation(id, code, display, date, { text: narrative, ...extra });
}

const PDF_BASE64 = "JVBERi0xLjcK"; // "%PDF-1.7\n", 9 bytes
const TEXT_BASE64 = "aGVsbG8="; // "hello", 5 bytes

const fixture = bundle([
  {
    resourceType: "Patient",
    id: "p1",
    text: narrative,
    name: [{ use: "official", prefix: ["Ms."], given: ["Ada", "M."], family: "Lovelace" }],
    gender: "female",
    birthDate: "1980-06-02",
    address: [
      { use: "work", city: "Workton" },
      { use: "home", city: "Utrecht", state: "UT", country: "NL" },
    ],
  },
  { resourceType: "Organization", id: "org1", name: "General Hospital" },
  { resourceType: "Practitioner", id: "pr1", name: [{ prefix: ["Dr."], given: ["Gregory"], family: "House" }] },
  {
    resourceType: "Encounter",
    id: "e1",
    status: "finished",
    class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" },
    type: [
      {
        coding: [
          { system: "http://snomed.info/sct", code: "185349003", display: "Encounter for check up (procedure)" },
        ],
      },
    ],
    period: { start: "2024-01-10T09:00:00+01:00", end: "2024-01-10T09:30:00+01:00" },
    reasonReference: [{ reference: "urn:uuid:c1" }],
    participant: [{ individual: { reference: "Practitioner/pr1" } }],
    serviceProvider: { reference: "urn:uuid:org1" },
    location: [{ location: { reference: "Location?identifier=x|1", display: "Room 4" } }],
  },
  {
    resourceType: "Encounter",
    id: "e0",
    status: "finished",
    class: { code: "EMER" },
    period: { start: "2023-02-01" },
    serviceProvider: { reference: "Organization?identifier=x|2", display: "Other Hospital" },
  },
  {
    resourceType: "Condition",
    id: "c1",
    code: { coding: [{ system: "http://snomed.info/sct", code: "38341003", display: "Hypertension (disorder)" }] },
    clinicalStatus: { coding: [{ code: "active" }] },
    verificationStatus: { coding: [{ code: "confirmed" }] },
    subject: { reference: "urn:uuid:p1" },
    onsetDateTime: "2019-05-01",
  },
  {
    resourceType: "Condition",
    id: "c2",
    code: { text: "Sprained ankle" },
    clinicalStatus: { coding: [{ code: "resolved" }] },
    subject: { reference: "urn:uuid:p1" },
    onsetAge: { value: 40, unit: "years", system: "http://unitsofmeasure.org", code: "a" },
    abatementDateTime: "2020-07-01",
  },
  {
    resourceType: "MedicationRequest",
    id: "m1",
    status: "active",
    intent: "order",
    subject: { reference: "urn:uuid:p1" },
    medicationCodeableConcept: { text: "Hydrochlorothiazide 25 MG" },
    authoredOn: "2024-01-10T09:20:00+01:00",
    reasonReference: [{ reference: "urn:uuid:c1" }],
    dosageInstruction: [
      {
        timing: { repeat: { frequency: 2, period: 1, periodUnit: "d" } },
        doseAndRate: [{ doseQuantity: { value: 1, unit: "tablet" } }],
      },
    ],
  },
  {
    resourceType: "MedicationStatement",
    id: "m2",
    status: "completed",
    subject: { reference: "urn:uuid:p1" },
    contained: [{ resourceType: "Medication", id: "med", code: { text: "Ibuprofen 400 MG" } }],
    medicationReference: { reference: "#med" },
    effectiveDateTime: "2020-06-15",
    dosage: [{ text: "1 tablet as needed for pain" }],
  },
  {
    resourceType: "AllergyIntolerance",
    id: "a1",
    patient: { reference: "urn:uuid:p1" },
    code: { text: "Peanut" },
    criticality: "high",
    type: "allergy",
    category: ["food"],
    clinicalStatus: { coding: [{ code: "active" }] },
    recordedDate: "2010-03-03",
    reaction: [{ manifestation: [{ text: "Hives" }, { text: "Wheezing" }], severity: "moderate" }],
  },
  {
    resourceType: "Immunization",
    id: "i1",
    status: "completed",
    patient: { reference: "urn:uuid:p1" },
    vaccineCode: { text: "Influenza" },
    occurrenceDateTime: "2023-10-01",
  },
  {
    resourceType: "Procedure",
    id: "pc1",
    status: "completed",
    subject: { reference: "urn:uuid:p1" },
    code: { text: "Appendectomy" },
    performedPeriod: { start: "2001-04-04T10:00:00Z", end: "2001-04-04T11:00:00Z" },
  },
  lab("o-high", "2339-0", "Glucose", "2024-01-10T09:10:00+01:00", {
    valueQuantity: mgdl(130),
    referenceRange: [{ low: mgdl(70), high: mgdl(99) }],
    interpretation: [{ coding: [{ code: "H" }] }],
  }),
  lab("o-low", "2085-9", "HDL", "2024-01-10T09:10:00+01:00", {
    valueQuantity: mgdl(30),
    referenceRange: [{ low: mgdl(40) }],
  }),
  lab("o-edge", "2093-3", "Cholesterol", "2024-01-10T09:10:00+01:00", {
    valueQuantity: mgdl(200),
    referenceRange: [{ high: mgdl(200) }],
  }),
  lab("o-units", "2571-8", "Triglycerides", "2023-01-01", {
    valueQuantity: { value: 2.1, unit: "mmol/L", system: "http://unitsofmeasure.org", code: "mmol/L" },
    referenceRange: [{ high: mgdl(150) }],
  }),
  lab("o-text", "4548-4", "HbA1c", "2023-01-01", {
    valueQuantity: { value: 5.4, unit: "%" },
    referenceRange: [{ text: "below 5.7 %" }],
  }),
  lab("o-cmp", "18262-6", "LDL", "2023-01-01", {
    valueQuantity: { ...mgdl(50), comparator: "<" },
    referenceRange: [{ high: mgdl(100) }],
  }),
  lab("o-coded", "882-1", "ABO and Rh group", "2022-01-01", { valueCodeableConcept: { text: "A Rh(D) positive" } }),
  {
    resourceType: "Observation",
    id: "o-bp",
    status: "final",
    category: category("vital-signs"),
    code: loinc("85354-9", "Blood pressure panel"),
    effectiveDateTime: "2024-01-10T09:05:00+01:00",
    component: [
      {
        code: loinc("8480-6", "Systolic blood pressure"),
        valueQuantity: { value: 150, unit: "mmHg", system: "http://unitsofmeasure.org", code: "mm[Hg]" },
        referenceRange: [{ high: { value: 139, unit: "mmHg" } }],
      },
      {
        code: loinc("8462-4", "Diastolic blood pressure"),
        valueQuantity: { value: 80, unit: "mmHg", system: "http://unitsofmeasure.org", code: "mm[Hg]" },
        referenceRange: [{ high: { value: 89, unit: "mmHg" } }],
      },
    ],
  },
  {
    resourceType: "Observation",
    id: "o-hr",
    status: "final",
    code: loinc("8867-4", "Heart rate"),
    effectiveDateTime: "2024-01-10",
    valueQuantity: { value: 72, unit: "/min" },
  },
  {
    resourceType: "Observation",
    id: "o-survey",
    status: "final",
    category: category("survey"),
    code: { text: "Smoking status" },
    valueCodeableConcept: { text: "Never smoker" },
  },
  {
    resourceType: "Observation",
    id: "o-panel",
    status: "final",
    code: { text: "Lipid panel" },
    hasMember: [{ reference: "urn:uuid:o-edge" }],
  },
  {
    resourceType: "DiagnosticReport",
    id: "r1",
    status: "final",
    code: { text: "Metabolic panel" },
    effectiveDateTime: "2024-01-10T09:10:00+01:00",
    result: [{ reference: "urn:uuid:o-high" }, { reference: "Observation/elsewhere", display: "Sodium" }],
    conclusion: "Raised fasting glucose.",
    presentedForm: [{ contentType: "application/pdf", data: PDF_BASE64, title: "report.pdf" }],
    text: narrative,
  },
  {
    resourceType: "DocumentReference",
    id: "d1",
    status: "current",
    description: "Discharge letter",
    date: "2024-01-11T08:00:00Z",
    content: [{ attachment: { contentType: "text/plain", url: "urn:uuid:b1", title: "letter.txt", size: 999 } }],
  },
  {
    resourceType: "DocumentReference",
    id: "d2",
    status: "current",
    content: [{ attachment: { contentType: "application/dicom", url: "https://example.org/ct.dcm", size: 2048 } }],
  },
  { resourceType: "Binary", id: "b1", contentType: "text/plain", data: TEXT_BASE64 },
  { resourceType: "Binary", id: "b2", contentType: "application/octet-stream", data: "AAEC" },
  { resourceType: "Claim", id: "cl1" } as unknown as Resource,
  { resourceType: "Claim", id: "cl2" } as unknown as Resource,
]);

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
      { now: NOW }
    );
    assert.equal(dead.patient?.age, 69);
    assert.equal(dead.patient?.deceased, true);
    const unknownDate = buildRecordView(
      { resourceType: "Patient", birthDate: "1920", deceasedBoolean: true },
      { now: NOW }
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
      ["Glucose", "HDL", "Cholesterol", "Triglycerides", "HbA1c", "LDL", "ABO and Rh group"]
    );
    assert.deepEqual(
      view.vitals.map((o) => o.display),
      ["Blood pressure panel", "Heart rate"]
    );
    assert.deepEqual(
      view.otherObservations.map((o) => o.display),
      ["Smoking status"]
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
      ]
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

describe("buildRecordView: other inputs", () => {
  test("a single resource, a nested document Bundle, and an SDK-style DocumentReference + Binary record", () => {
    const single = buildRecordView(
      lab("x", "718-7", "Hemoglobin", "2020-01-01", { valueQuantity: { value: 13.1, unit: "g/dL" } })
    );
    assert.equal(single.labs[0]?.value, 13.1);

    const document = bundle([
      bundle(
        [
          { resourceType: "Composition", id: "comp" } as unknown as Resource,
          { resourceType: "Patient", id: "p", name: [{ text: "Jan Jansen" }] },
        ],
        "document"
      ),
    ]);
    const nested = buildRecordView(document);
    assert.equal(nested.patient?.name, "Jan Jansen");
    assert.deepEqual(nested.other, { Composition: 1 });

    const record = bundle([
      {
        resourceType: "DocumentReference",
        id: "dr",
        status: "current",
        description: "CT chest",
        content: [
          {
            attachment: {
              contentType: "application/dicom",
              url: "urn:uuid:bin",
              title: "ct.dcm",
              creation: "2024-02-02",
            },
          },
        ],
      },
      { resourceType: "Binary", id: "bin", contentType: "application/dicom", data: "AAECAw==" },
    ]);
    const files = buildRecordView(record);
    assert.deepEqual(files.documents, [
      {
        title: "CT chest",
        fileName: "ct.dcm",
        contentType: "application/dicom",
        size: 4,
        created: "2024-02-02",
        base64: "AAECAw==",
        url: undefined,
        source: "DocumentReference",
      },
    ]);
    assert.deepEqual(files.other, {});
  });

  test("values of the wrong JSON type are treated as absent", () => {
    const hostile = bundle([
      {
        resourceType: "Patient",
        id: "p",
        name: [{ given: [{ evil: true }], family: 42 }],
        birthDate: 1990,
      } as unknown as Resource,
      {
        resourceType: "Observation",
        id: "o",
        code: { text: ["x"] },
        valueQuantity: { value: "12", unit: {} },
        category: "laboratory",
      } as unknown as Resource,
      {
        resourceType: "Encounter",
        id: "e",
        period: "yesterday",
        participant: "many",
        type: [null],
      } as unknown as Resource,
    ]);
    const view = buildRecordView(hostile);
    assert.deepEqual([view.patient?.name, view.patient?.birthDate], [undefined, undefined]);
    assert.deepEqual(
      [view.labs[0]?.display, view.labs[0]?.value, view.labs[0]?.unit],
      ["Observation", undefined, undefined]
    );
    assert.deepEqual(
      [view.encounters[0]?.start, view.encounters[0]?.practitioners, view.encounters[0]?.type],
      [undefined, [], undefined]
    );
  });

  test("rejects input that is not a FHIR resource", () => {
    for (const bad of [null, 42, "Bundle", [], { entry: [] }])
      assert.throws(() => buildRecordView(bad), NotFhirRecordError);
  });
});
