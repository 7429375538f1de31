/**
 * Tests of the International Patient Summary builder on hand-made records and the project's
 * fixtures. Reading summaries back and the shared Synthea and HL7 IPS data: `ips/read.test.ts`.
 * Every document is checked with the validator the import path uses.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Bundle, Resource } from "@medplum/fhirtypes";
import "./definitions-node.ts";
import {
  PatientSummarySubjectError,
  buildInternationalPatientSummary,
  summarizeInternationalPatientSummary,
} from "./ips.ts";
import { splitBundle } from "./split.ts";
import { patientBundle } from "../testing/fhir-fixtures.ts";
import { assertIpsShape, compositionOf, sectionOf } from "../testing/ips-assertions.ts";
import { validateFhirResource } from "./validate.ts";

const NOW = new Date("2024-06-01T12:00:00Z");
const LOINC = "http://loinc.org";
const SNOMED = "http://snomed.info/sct";
const EMPTY_REASON = "http://terminology.hl7.org/CodeSystem/list-empty-reason";

const PATIENT_ID = "6a1f0c2e-0000-4000-8000-000000000001";
const PATIENT_URL = `urn:uuid:${PATIENT_ID}`;
const ENCOUNTER_URL = "urn:uuid:6a1f0c2e-0000-4000-8000-000000000002";
const PRACTITIONER_URL = "urn:uuid:6a1f0c2e-0000-4000-8000-000000000003";
const MEDICATION_URL = "urn:uuid:6a1f0c2e-0000-4000-8000-000000000004";

const conditionClinical = (code: string) => ({
  coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code }],
});
const allergyClinical = (code: string) => ({
  coding: [{ system: "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", code }],
});

/**
 * Made-up records: 2 allergies (1 inactive), 5 conditions (hypertension twice, a relapse, a
 * resolved one, one entered in error), 3 medications (1 stopped), 2 blood groups, plus an
 * Encounter and a Practitioner that the summary must not carry. Each entry is [fullUrl, resource].
 */
function handMade(): [string, Resource][] {
  let n = 100;
  const url = (): string => `urn:uuid:6a1f0c2e-0000-4000-8000-000000000${n++}`;
  const subject = { reference: PATIENT_URL };
  return [
    [
      PATIENT_URL,
      {
        resourceType: "Patient",
        id: PATIENT_ID,
        name: [{ use: "official", family: "Fixtureton654", given: ["Quinta321"] }],
        gender: "female",
        birthDate: "1970-01-01",
        generalPractitioner: [{ reference: PRACTITIONER_URL }],
      },
    ],
    [
      ENCOUNTER_URL,
      {
        resourceType: "Encounter",
        id: ENCOUNTER_URL.slice(9),
        status: "finished",
        class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" },
        subject,
        participant: [{ individual: { reference: PRACTITIONER_URL } }],
      },
    ],
    [PRACTITIONER_URL, { resourceType: "Practitioner", id: PRACTITIONER_URL.slice(9), name: [{ family: "Docwell" }] }],
    [
      url(),
      {
        resourceType: "AllergyIntolerance",
        clinicalStatus: allergyClinical("active"),
        criticality: "high",
        code: {
          coding: [{ system: SNOMED, code: "91935009", display: "Allergy to peanut (finding)" }],
          text: "Peanut & tree-nut allergy",
        },
        patient: subject,
        recordedDate: "2012-04-01",
      },
    ],
    [
      url(),
      {
        resourceType: "AllergyIntolerance",
        clinicalStatus: allergyClinical("inactive"),
        code: { coding: [{ system: SNOMED, code: "91936005", display: "Allergy to penicillin (finding)" }] },
        patient: subject,
        recordedDate: "2001-01-01",
      },
    ],
    [
      url(),
      {
        resourceType: "Condition",
        clinicalStatus: conditionClinical("active"),
        code: { coding: [{ system: SNOMED, code: "38341003", display: "Hypertension (disorder)" }] },
        subject,
        encounter: { reference: ENCOUNTER_URL },
        onsetDateTime: "2015-03-01",
      },
    ],
    [
      url(),
      {
        resourceType: "Condition",
        clinicalStatus: conditionClinical("active"),
        code: { coding: [{ system: SNOMED, code: "38341003", display: "Hypertension (disorder)" }] },
        subject,
        encounter: { reference: ENCOUNTER_URL },
        onsetDateTime: "2019-03-01",
        asserter: { reference: PRACTITIONER_URL, display: "Dr. Docwell" },
      },
    ],
    [
      url(),
      {
        resourceType: "Condition",
        clinicalStatus: conditionClinical("relapse"),
        code: { coding: [{ system: SNOMED, code: "195967001", display: "Asthma (disorder)" }] },
        subject,
        onsetDateTime: "2010-05-01",
      },
    ],
    [
      url(),
      {
        resourceType: "Condition",
        clinicalStatus: conditionClinical("resolved"),
        code: { coding: [{ system: SNOMED, code: "10509002", display: "Acute bronchitis (disorder)" }] },
        subject,
        onsetDateTime: "2023-01-01",
        abatementDateTime: "2023-01-20",
      },
    ],
    [
      url(),
      {
        resourceType: "Condition",
        verificationStatus: {
          coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-ver-status", code: "entered-in-error" }],
        },
        code: { coding: [{ system: SNOMED, code: "44054006", display: "Diabetes mellitus type 2 (disorder)" }] },
        subject,
        onsetDateTime: "2020-01-01",
      },
    ],
    [
      MEDICATION_URL,
      {
        resourceType: "Medication",
        id: MEDICATION_URL.slice(9),
        code: {
          coding: [
            {
              system: "http://www.nlm.nih.gov/research/umls/rxnorm",
              code: "314076",
              display: "lisinopril 10 MG Oral Tablet",
            },
          ],
        },
      },
    ],
    [
      url(),
      {
        resourceType: "MedicationRequest",
        status: "active",
        intent: "order",
        medicationReference: { reference: MEDICATION_URL },
        subject,
        encounter: { reference: ENCOUNTER_URL },
        authoredOn: "2023-02-01",
        requester: { reference: PRACTITIONER_URL },
        dosageInstruction: [{ text: "10 mg once daily" }],
      },
    ],
    [
      url(),
      {
        resourceType: "MedicationRequest",
        status: "stopped",
        intent: "order",
        medicationCodeableConcept: {
          coding: [
            {
              system: "http://www.nlm.nih.gov/research/umls/rxnorm",
              code: "308182",
              display: "Amoxicillin 250 MG Oral Capsule",
            },
          ],
        },
        subject,
        authoredOn: "2023-01-02",
      },
    ],
    [
      url(),
      {
        resourceType: "MedicationStatement",
        status: "active",
        medicationCodeableConcept: { text: "Salbutamol 100 micrograms/dose inhaler" },
        subject,
        effectiveDateTime: "2022-05-01",
      },
    ],
    [
      url(),
      {
        resourceType: "Observation",
        status: "final",
        code: { coding: [{ system: LOINC, code: "882-1", display: "ABO and Rh group [Type] in Blood" }] },
        subject,
        effectiveDateTime: "2010-01-01",
        valueCodeableConcept: {
          coding: [{ system: SNOMED, code: "278152006", display: "Blood group B Rh(D) negative (finding)" }],
        },
      },
    ],
    [
      url(),
      {
        resourceType: "Observation",
        status: "final",
        code: { coding: [{ system: LOINC, code: "882-1", display: "ABO and Rh group [Type] in Blood" }] },
        subject,
        effectiveDateTime: "2020-01-01",
        valueCodeableConcept: {
          coding: [{ system: SNOMED, code: "278149003", display: "Blood group A Rh(D) positive (finding)" }],
        },
      },
    ],
  ];
}

const EXPECTED = {
  patientName: "Quinta321 Fixtureton654",
  birthDate: "1970-01-01",
  allergies: ["Peanut & tree-nut allergy"],
  medications: ["lisinopril 10 MG Oral Tablet", "Salbutamol 100 micrograms/dose inhaler"],
  problems: ["Hypertension", "Asthma"],
  bloodGroup: "Blood group A Rh(D) positive",
  date: NOW.toISOString(),
};

function transaction(entries: [string, Resource][]): Bundle {
  return {
    resourceType: "Bundle",
    type: "transaction",
    entry: entries.map(([fullUrl, resource]) => ({
      fullUrl,
      resource,
      request: { method: "POST", url: resource.resourceType },
    })),
  };
}

describe("buildInternationalPatientSummary: hand-made records", () => {
  const input = handMade().map(([, r]) => r);
  const before = JSON.stringify(input);
  const ips = buildInternationalPatientSummary(input, { now: NOW, author: "Meridian emergency access" });

  test("is a valid, self-contained FHIR R4 IPS document", () => {
    validateFhirResource(ips);
    assertIpsShape(ips);
    const composition = compositionOf(ips);
    assert.equal(composition.date, NOW.toISOString());
    assert.equal(ips.timestamp, NOW.toISOString());
    assert.deepEqual(composition.author, [{ display: "Meridian emergency access" }]);
    assert.equal(ips.entry?.[1]?.fullUrl, PATIENT_URL);
  });

  test("summarize returns exactly the expected lists", () => {
    assert.deepEqual(summarizeInternationalPatientSummary(ips), EXPECTED);
  });

  test("holds the Patient, the section entries and the referenced Medication, nothing else", () => {
    assert.deepEqual(
      ips.entry?.map((e) => e.resource?.resourceType),
      [
        "Composition",
        "Patient",
        "AllergyIntolerance",
        "MedicationRequest",
        "MedicationStatement",
        "Medication",
        "Condition",
        "Condition",
        "Observation",
      ],
    );
    const medication = ips.entry?.find((e) => e.resource?.resourceType === "Medication");
    const request = ips.entry?.find((e) => e.resource?.resourceType === "MedicationRequest")?.resource;
    assert.equal(medication?.fullUrl, MEDICATION_URL);
    assert.equal(
      request?.resourceType === "MedicationRequest" ? request.medicationReference?.reference : undefined,
      MEDICATION_URL,
    );
    // Sections point at their entries; Results holds the latest blood group only.
    const results = sectionOf(ips, "30954-2");
    assert.equal(results?.entry?.length, 1);
    const observation = ips.entry?.find((e) => e.fullUrl === results?.entry?.[0]?.reference)?.resource;
    assert.equal(observation?.resourceType === "Observation" ? observation.effectiveDateTime : undefined, "2020-01-01");
    assert.equal(sectionOf(ips, "11450-4")?.entry?.length, 2);
  });

  test("references outside the summary are cut, keeping a display when there is one", () => {
    const resources = (ips.entry ?? []).map((e) => e.resource as Resource);
    const patient = resources.find((r) => r.resourceType === "Patient");
    assert.equal(patient?.resourceType === "Patient" ? patient.generalPractitioner : "?", undefined);
    const hypertension = resources.find((r) => r.resourceType === "Condition" && r.onsetDateTime === "2019-03-01");
    assert.ok(hypertension?.resourceType === "Condition");
    assert.equal(hypertension.encounter, undefined);
    assert.deepEqual(hypertension.asserter, { display: "Dr. Docwell" });
    const request = resources.find((r) => r.resourceType === "MedicationRequest");
    assert.ok(request?.resourceType === "MedicationRequest");
    assert.equal(request.requester, undefined);
    assert.equal(request.encounter, undefined);
  });

  test("narratives list the entries, escaped as XHTML", () => {
    assert.equal(
      sectionOf(ips, "48765-2")?.text?.div,
      '<div xmlns="http://www.w3.org/1999/xhtml"><ul><li>Peanut &amp; tree-nut allergy (high criticality)</li></ul></div>',
    );
    assert.equal(
      sectionOf(ips, "10160-0")?.text?.div,
      '<div xmlns="http://www.w3.org/1999/xhtml"><ul><li>lisinopril 10 MG Oral Tablet: 10 mg once daily</li><li>Salbutamol 100 micrograms/dose inhaler</li></ul></div>',
    );
    assert.equal(
      sectionOf(ips, "11450-4")?.text?.div,
      '<div xmlns="http://www.w3.org/1999/xhtml"><ul><li>Hypertension (since 2019-03-01)</li><li>Asthma (since 2010-05-01)</li></ul></div>',
    );
    assert.match(
      sectionOf(ips, "30954-2")?.text?.div ?? "",
      /<li>ABO and Rh group \[Type\] in Blood: Blood group A Rh\(D\) positive \(2020-01-01\)<\/li>/,
    );
  });

  test("the input is not modified and shares no objects with the document", () => {
    assert.equal(JSON.stringify(input), before);
    const inputs = new Set<unknown>(input);
    assert.ok((ips.entry ?? []).every((e) => !inputs.has(e.resource)));
  });

  test("the same records as a transaction Bundle, or as Meridian's split records, give the same summary", () => {
    const bundle = transaction(handMade());
    const fromBundle = buildInternationalPatientSummary([bundle], { now: NOW });
    assert.deepEqual(summarizeInternationalPatientSummary(fromBundle), EXPECTED);
    validateFhirResource(fromBundle);
    // Each split record carries its own copy of the Patient; they count as one.
    const records = splitBundle(bundle).map((d) => JSON.parse(JSON.stringify(d.resource)) as Bundle);
    assert.ok(records.length > 1);
    const fromRecords = buildInternationalPatientSummary(records, { now: NOW });
    assert.deepEqual(summarizeInternationalPatientSummary(fromRecords), EXPECTED);
    assertIpsShape(fromRecords);
  });
});

describe("buildInternationalPatientSummary: empty sections", () => {
  const reason = (ips: Bundle, code: string): string | undefined =>
    sectionOf(ips, code)?.emptyReason?.coding?.[0]?.code;

  test("the project fixture: one allergy; no medication or condition records (unavailable)", () => {
    const ips = buildInternationalPatientSummary([patientBundle()], { now: NOW });
    assertIpsShape(ips);
    assert.deepEqual(summarizeInternationalPatientSummary(ips), {
      patientName: "Zanzibar123 Quuxley456",
      birthDate: "1984-07-02",
      allergies: ["Latex allergy"],
      medications: [],
      problems: [],
      date: NOW.toISOString(),
    });
    assert.equal(reason(ips, "48765-2"), undefined);
    assert.equal(reason(ips, "10160-0"), "unavailable");
    assert.equal(reason(ips, "11450-4"), "unavailable");
    assert.equal(sectionOf(ips, "10160-0")?.emptyReason?.coding?.[0]?.system, EMPTY_REASON);
    assert.equal(sectionOf(ips, "30954-2"), undefined);
    assert.match(sectionOf(ips, "11450-4")?.text?.div ?? "", /<p>No problem information available/);
    // Its split records (Bundle[]) give the same summary.
    const fromRecords = buildInternationalPatientSummary(
      splitBundle(patientBundle()).map((d) => d.resource),
      { now: NOW },
    );
    assert.deepEqual(summarizeInternationalPatientSummary(fromRecords), summarizeInternationalPatientSummary(ips));
  });

  test("records that hold nothing current give nilknown, and say 'No known ...'", () => {
    const keep = new Set(["Patient", "Encounter", "Practitioner"]);
    const entries = handMade().filter(([, r]) => {
      if (keep.has(r.resourceType)) return true;
      if (r.resourceType === "AllergyIntolerance") return r.clinicalStatus?.coding?.[0]?.code === "inactive";
      if (r.resourceType === "Condition") return r.clinicalStatus?.coding?.[0]?.code === "resolved";
      if (r.resourceType === "MedicationRequest") return r.status === "stopped";
      return false;
    });
    const ips = buildInternationalPatientSummary([transaction(entries)], { now: NOW });
    assertIpsShape(ips);
    assert.deepEqual(
      ips.entry?.map((e) => e.resource?.resourceType),
      ["Composition", "Patient"],
    );
    for (const code of ["48765-2", "10160-0", "11450-4"]) assert.equal(reason(ips, code), "nilknown", code);
    assert.match(sectionOf(ips, "48765-2")?.text?.div ?? "", /<p>No known allergies/);
    assert.match(sectionOf(ips, "10160-0")?.text?.div ?? "", /<p>No known current medications/);
    assert.match(sectionOf(ips, "11450-4")?.text?.div ?? "", /<p>No known current problems/);
    const view = summarizeInternationalPatientSummary(ips);
    assert.deepEqual([view.allergies, view.medications, view.problems, view.bloodGroup], [[], [], [], undefined]);
  });
});

describe("buildInternationalPatientSummary: the patient", () => {
  const patient = (id: string, family: string): Resource => ({ resourceType: "Patient", id, name: [{ family }] });
  const catchError = (input: Resource[]): PatientSummarySubjectError => {
    let caught: unknown;
    assert.throws(
      () => buildInternationalPatientSummary(input),
      (e: unknown) => {
        caught = e;
        return e instanceof PatientSummarySubjectError;
      },
    );
    return caught as PatientSummarySubjectError;
  };

  test("no Patient", () => {
    const error = catchError([]);
    assert.equal(error.name, "PatientSummarySubjectError");
    assert.equal(error.patientCount, 0);
    assert.equal(
      catchError(
        handMade()
          .filter(([, r]) => r.resourceType !== "Patient")
          .map(([, r]) => r),
      ).patientCount,
      0,
    );
  });

  test("two distinct Patients; the message names neither", () => {
    const error = catchError([patient("p1", "Alphason"), patient("p2", "Betason")]);
    assert.equal(error.patientCount, 2);
    assert.equal(error.shortMessage, "The input concerns 2 distinct Patients; a patient summary needs exactly 1.");
    assert.ok(!/Alphason|Betason|p1|p2/.test(error.message));
  });

  test("copies of one Patient (same id, or equal content without an id) count as one", () => {
    const a = patient("p1", "Alphason");
    const ips = buildInternationalPatientSummary([
      a,
      structuredClone(a),
      { resourceType: "Bundle", type: "collection", entry: [{ resource: structuredClone(a) }] },
    ]);
    assert.equal(summarizeInternationalPatientSummary(ips).patientName, "Alphason");
    const noId: Resource = { resourceType: "Patient", name: [{ family: "Gammason" }] };
    buildInternationalPatientSummary([noId, structuredClone(noId)]);
  });

  test("a clinical resource about another Patient", () => {
    const condition: Resource = {
      resourceType: "Condition",
      clinicalStatus: conditionClinical("active"),
      code: { text: "Something" },
      subject: { reference: "Patient/p2" },
    };
    const error = catchError([patient("p1", "Alphason"), condition]);
    assert.equal(error.patientCount, 2);
    assert.equal(error.foreignResources, 1);
    // "Patient/p1" resolves to the Patient by type and id.
    const ok = buildInternationalPatientSummary([
      patient("p1", "Alphason"),
      { ...condition, subject: { reference: "Patient/p1" } },
    ]);
    assert.deepEqual(summarizeInternationalPatientSummary(ok).problems, ["Something"]);
    validateFhirResource(ok);
  });
});
