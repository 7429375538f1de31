/**
 * A hand-made record for the record-view tests (`fhir/view/*.test.ts`): one Bundle touching
 * every section of `buildRecordView` (patient, encounters, conditions, medications, allergies,
 * immunization, procedure, labs with ranges, vital signs, survey, panel, report, documents,
 * Binaries, Claims). Every resource with a narrative carries {@link NARRATIVE}, which must never
 * show. All data is made up.
 *
 * @module
 */

import type { Bundle, Observation, Resource } from "@medplum/fhirtypes";
import { bundleOf as bundle, labObservation, mgPerDl as mgdl } from "./fhir-fixtures.ts";

/** Text in every narrative of the fixture: the view must never show it. */
export const NARRATIVE = "NARRATIVE-MUST-NOT-SHOW";
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

/** A laboratory Observation with the fixture's narrative (see `labObservation`). */
export function lab(id: string, code: string, display: string, date: string, extra: Partial<Observation>): Observation {
  return labObservation(id, code, display, date, { text: narrative, ...extra });
}

/** base64 of "%PDF-1.7\n" (9 bytes). */
export const PDF_BASE64 = "JVBERi0xLjcK";
/** base64 of "hello" (5 bytes). */
export const TEXT_BASE64 = "aGVsbG8=";

/** The hand-made record: a `collection` Bundle. */
export function recordViewFixture(): Bundle {
  return bundle([
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
}
