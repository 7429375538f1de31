import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Observation, Resource } from "@medplum/fhirtypes";
import { RecordCategory } from "../categories.ts";
import { categorizeResources } from "./categorize.ts";

const OBS_CAT = "http://terminology.hl7.org/CodeSystem/observation-category";
const V2 = "http://terminology.hl7.org/CodeSystem/v2-0074";

function obs(code: string, category?: string, extra: Partial<Observation> = {}): Observation {
  return {
    resourceType: "Observation",
    status: "final",
    code: { coding: [{ system: "http://loinc.org", code }] },
    ...(category ? { category: [{ coding: [{ system: OBS_CAT, code: category }] }] } : {}),
    ...extra,
  };
}
const encounter: Resource = { resourceType: "Encounter", status: "finished", class: { code: "AMB" } };
const patient: Resource = { resourceType: "Patient" };
const claim = { resourceType: "Claim" } as Resource;
const report = (category: string, system = V2, extra: object = {}): Resource =>
  ({ resourceType: "DiagnosticReport", status: "final", code: { text: "r" }, category: [{ coding: [{ system, code: category }] }], ...extra }) as Resource;
const condition = (snomed: string): Resource =>
  ({ resourceType: "Condition", subject: { reference: "Patient/1" }, code: { coding: [{ system: "http://snomed.info/sct", code: snomed }] } }) as Resource;
const immunization = { resourceType: "Immunization", status: "completed", vaccineCode: { text: "flu" }, patient: {}, occurrenceDateTime: "2020" } as Resource;
const procedure = { resourceType: "Procedure", status: "completed", subject: {}, code: { text: "Dental cleaning" } } as Resource;
const medication = { resourceType: "MedicationRequest", status: "active", intent: "order", subject: {} } as Resource;
const docRef = { resourceType: "DocumentReference", status: "current", content: [{ attachment: { contentType: "application/pdf" } }] } as Resource;

describe("categorizeResources", () => {
  test("nothing clinical: General", () => {
    assert.equal(categorizeResources([]), RecordCategory.General);
    assert.equal(categorizeResources([patient, encounter, claim]), RecordCategory.General);
  });

  test("Lab when laboratory resources are at least half", () => {
    const labs = [obs("2093-3", "laboratory"), obs("2571-8", "laboratory"), report("LAB")];
    assert.equal(categorizeResources([patient, encounter, ...labs, obs("8867-4", "vital-signs"), claim]), RecordCategory.Lab);
    // Without a category, known LOINC lab codes count (the HL7 f001 glucose example has none).
    assert.equal(categorizeResources([obs("15074-8")]), RecordCategory.Lab);
    assert.equal(categorizeResources([report("x", "http://loinc.org", { category: undefined, code: { coding: [{ system: "http://loinc.org", code: "57698-3" }] } })]), RecordCategory.Lab);
    // Labs in the minority: General.
    assert.equal(categorizeResources([obs("2093-3", "laboratory"), obs("8867-4", "vital-signs"), obs("72166-2", "survey"), immunization]), RecordCategory.General);
  });

  test("VitalSigns only when every clinical resource is a vital sign", () => {
    assert.equal(categorizeResources([encounter, obs("8867-4", "vital-signs"), obs("8302-2", "vital-signs")]), RecordCategory.VitalSigns);
    assert.equal(categorizeResources([obs("29463-7")]), RecordCategory.VitalSigns);
    assert.equal(categorizeResources([obs("8302-2", "vital-signs"), immunization]), RecordCategory.General);
  });

  test("Cardiac: ECG codes, ECG waveforms, cardiology reports, cardiac conditions", () => {
    assert.equal(categorizeResources([obs("11524-6")]), RecordCategory.Cardiac);
    const waveform: Observation = {
      resourceType: "Observation",
      status: "final",
      category: [{ coding: [{ system: OBS_CAT, code: "procedure" }] }],
      code: { coding: [{ system: "urn:oid:2.16.840.1.113883.6.24", code: "131328", display: "MDC_ECG_ELEC_POTL" }] },
      component: [{ code: { coding: [{ system: "urn:oid:2.16.840.1.113883.6.24", code: "131329" }] }, valueSampledData: { origin: { value: 2048 }, period: 10, dimensions: 1, data: "1 2 3" } }],
    };
    assert.equal(categorizeResources([waveform]), RecordCategory.Cardiac);
    assert.equal(categorizeResources([report("CUS")]), RecordCategory.Cardiac);
    assert.equal(categorizeResources([report("LP29708-2", "http://loinc.org")]), RecordCategory.Cardiac);
    assert.equal(categorizeResources([encounter, condition("49436004"), obs("8302-2", "vital-signs")]), RecordCategory.Cardiac);
    // Heart rate 8867-4: a vital sign, unless measured by ECG.
    assert.equal(categorizeResources([obs("8867-4", "vital-signs")]), RecordCategory.VitalSigns);
    assert.equal(categorizeResources([obs("8867-4", "vital-signs", { method: { text: "12-lead ECG" } })]), RecordCategory.Cardiac);
    // Cardiac beats Lab.
    assert.equal(categorizeResources([obs("2093-3", "laboratory"), obs("2571-8", "laboratory"), condition("84114007")]), RecordCategory.Cardiac);
  });

  test("Imaging: ImagingStudy, radiology reports, DICOM documents; it beats Cardiac and Lab", () => {
    const study = { resourceType: "ImagingStudy", status: "available", subject: {} } as Resource;
    assert.equal(categorizeResources([encounter, study, obs("2093-3", "laboratory"), obs("2093-3", "laboratory")]), RecordCategory.Imaging);
    assert.equal(categorizeResources([report("RAD")]), RecordCategory.Imaging);
    assert.equal(categorizeResources([report("LP29684-5", "http://loinc.org"), condition("49436004")]), RecordCategory.Imaging);
    const dicom = { resourceType: "DocumentReference", status: "current", content: [{ attachment: { contentType: "application/dicom" } }] } as Resource;
    assert.equal(categorizeResources([dicom, { resourceType: "Binary", contentType: "application/dicom" }]), RecordCategory.Imaging);
  });

  test("single-kind records: Document, Medication, Immunization, Procedure", () => {
    const note = report("34117-2", "http://loinc.org", { presentedForm: [{ contentType: "text/plain", data: "aGk=" }] });
    assert.equal(categorizeResources([encounter, docRef, note, claim]), RecordCategory.Document);
    assert.equal(categorizeResources([docRef, { resourceType: "Binary", contentType: "application/pdf" }]), RecordCategory.Document);
    assert.equal(categorizeResources([encounter, medication, medication, { resourceType: "Medication" }]), RecordCategory.Medication);
    assert.equal(categorizeResources([encounter, immunization, immunization]), RecordCategory.Immunization);
    assert.equal(categorizeResources([encounter, procedure]), RecordCategory.Procedure);
    assert.equal(categorizeResources([procedure, medication]), RecordCategory.General);
    assert.equal(categorizeResources([condition("44054006")]), RecordCategory.General);
  });

  test("FHIR documents (Composition) are General; nested Bundles are looked into", () => {
    const composition = { resourceType: "Composition", status: "final", type: { text: "Summary" }, date: "2020", author: [], title: "t" } as Resource;
    assert.equal(categorizeResources([composition, obs("2093-3", "laboratory")]), RecordCategory.General);
    const nested: Resource = { resourceType: "Bundle", type: "collection", entry: [{ resource: obs("2093-3", "laboratory") }] };
    assert.equal(categorizeResources([nested]), RecordCategory.Lab);
  });
});
