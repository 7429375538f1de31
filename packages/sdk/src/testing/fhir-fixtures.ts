/**
 * Small hand-written FHIR R4 fixtures for the tests (exported from `@meridian/sdk/testing` only).
 * All data is made up.
 *
 * @module
 */

import type { Bundle, BundleEntry, Observation, Quantity, Resource } from "@medplum/fhirtypes";
import { encodeBase64 } from "../fhir/base64.ts";

/** fullUrl of the fixture Patient. */
export const PATIENT_URL = "urn:uuid:11111111-1111-4111-8111-111111111111";
/** fullUrl of the fixture Organization. */
export const ORG_URL = "urn:uuid:22222222-2222-4222-8222-222222222222";
/** fullUrl of the fixture Practitioner. */
export const PRACT_URL = "urn:uuid:33333333-3333-4333-8333-333333333333";
/** fullUrl of the first fixture Encounter (2019-03-04: vitals and a note). */
export const ENC1_URL = "urn:uuid:44444444-4444-4444-8444-444444444441";
/** fullUrl of the second fixture Encounter (2020-05-06: lipid panel, care plan, claim). */
export const ENC2_URL = "urn:uuid:44444444-4444-4444-8444-444444444442";

const post = (type: string) => ({ method: "POST" as const, url: type });

function entry(fullUrl: string, resource: Resource): BundleEntry {
  return { fullUrl, resource, request: post(resource.resourceType) };
}

let counter = 0;
function uuid(): string {
  counter++;
  return `urn:uuid:55555555-5555-4555-8555-${counter.toString(16).padStart(12, "0")}`;
}

/** A note for DocumentReference fixtures (base64 of text/plain). */
export const NOTE_TEXT =
  "2019-03-04\n\n# Chief Complaint\nNo complaints.\n\n# History\nZanzibar123 Quuxley456 is a 35 year-old patient with seasonal allergies.\n";

/**
 * A Synthea-shaped transaction Bundle: Patient, Organization, Practitioner, two Encounters
 * with vitals, a lab panel, a claim/EOB, a note, a CarePlan with a Goal, an AllergyIntolerance
 * and a Provenance over everything.
 */
export function patientBundle(): Bundle {
  counter = 0;
  const patient: Resource = {
    resourceType: "Patient",
    id: "11111111-1111-4111-8111-111111111111",
    name: [{ use: "official", family: "Quuxley456", given: ["Zanzibar123"], prefix: ["Mr."] }],
    identifier: [
      { system: "http://hl7.org/fhir/sid/us-ssn", value: "999-12-3456" },
      { system: "urn:oid:2.16.840.1.113883.4.3.25", value: "S99912345" },
    ],
    telecom: [{ system: "phone", value: "555-123-4567", use: "home" }],
    address: [{ line: ["742 Evergreen Terrace"], city: "Springfield", postalCode: "01234", country: "US" }],
    gender: "male",
    birthDate: "1984-07-02",
  };
  const org: Resource = {
    resourceType: "Organization",
    id: "22222222-2222-4222-8222-222222222222",
    name: "Example Clinic",
  };
  const pract: Resource = {
    resourceType: "Practitioner",
    id: "33333333-3333-4333-8333-333333333333",
    name: [{ family: "Docwell", given: ["Dana"], prefix: ["Dr."] }],
  };
  const encounter = (fullUrl: string, start: string, text: string): Resource => ({
    resourceType: "Encounter",
    id: fullUrl.slice(9),
    status: "finished",
    class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" },
    type: [
      {
        coding: [{ system: "http://snomed.info/sct", code: "162673000", display: `${text} (procedure)` }],
        text: `${text} (procedure)`,
      },
    ],
    subject: { reference: PATIENT_URL, display: "Mr. Zanzibar123 Quuxley456" },
    participant: [{ individual: { reference: PRACT_URL } }],
    period: { start, end: start.replace("T09", "T10") },
    serviceProvider: { reference: ORG_URL },
  });
  const vital = (
    encUrl: string,
    code: string,
    display: string,
    value: number,
    unit: string,
    date: string,
  ): Resource => ({
    resourceType: "Observation",
    status: "final",
    category: [
      { coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "vital-signs" }] },
    ],
    code: { coding: [{ system: "http://loinc.org", code, display }], text: display },
    subject: { reference: PATIENT_URL },
    encounter: { reference: encUrl },
    effectiveDateTime: date,
    valueQuantity: { value, unit, system: "http://unitsofmeasure.org", code: unit },
  });
  const lab = (fullUrl: string, code: string, display: string, value: number, date: string): [string, Resource] => [
    fullUrl,
    {
      resourceType: "Observation",
      status: "final",
      category: [
        { coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "laboratory" }] },
      ],
      code: { coding: [{ system: "http://loinc.org", code, display }], text: display },
      subject: { reference: PATIENT_URL },
      encounter: { reference: ENC2_URL },
      effectiveDateTime: date,
      valueQuantity: { value, unit: "mg/dL", system: "http://unitsofmeasure.org", code: "mg/dL" },
    },
  ];
  const d1 = "2019-03-04T09:00:00+00:00";
  const d2 = "2020-05-06T09:00:00+00:00";
  const labs = [
    lab(uuid(), "2093-3", "Cholesterol", 180, d2),
    lab(uuid(), "2571-8", "Triglycerides", 120, d2),
    lab(uuid(), "2085-9", "HDL Cholesterol", 55, d2),
    lab(uuid(), "18262-6", "LDL Cholesterol", 100, d2),
  ];
  const claimUrl = uuid();
  const goalUrl = uuid();
  const entries: BundleEntry[] = [
    entry(PATIENT_URL, patient),
    entry(ORG_URL, org),
    entry(PRACT_URL, pract),
    entry(ENC1_URL, encounter(ENC1_URL, d1, "General examination of patient")),
    entry(uuid(), vital(ENC1_URL, "8302-2", "Body Height", 180, "cm", d1)),
    entry(uuid(), vital(ENC1_URL, "29463-7", "Body Weight", 80, "kg", d1)),
    entry(uuid(), vital(ENC1_URL, "8867-4", "Heart rate", 70, "/min", d1)),
    entry(uuid(), {
      resourceType: "DocumentReference",
      status: "current",
      subject: { reference: PATIENT_URL },
      content: [
        {
          attachment: {
            contentType: "text/plain; charset=utf-8",
            data: encodeBase64(new TextEncoder().encode(NOTE_TEXT)),
          },
        },
      ],
      context: { encounter: [{ reference: ENC1_URL }], period: { start: d1 } },
    }),
    entry(ENC2_URL, encounter(ENC2_URL, d2, "Encounter for check up")),
    ...labs.map(([url, r]) => entry(url, r)),
    entry(uuid(), {
      resourceType: "DiagnosticReport",
      status: "final",
      category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/v2-0074", code: "LAB" }] }],
      code: { coding: [{ system: "http://loinc.org", code: "57698-3", display: "Lipid panel" }] },
      subject: { reference: PATIENT_URL },
      encounter: { reference: ENC2_URL },
      effectiveDateTime: d2,
      result: labs.map(([url]) => ({ reference: url })),
    }),
    entry(goalUrl, {
      resourceType: "Goal",
      lifecycleStatus: "active",
      description: { text: "Improve diet" },
      subject: { reference: PATIENT_URL },
    }),
    entry(uuid(), {
      resourceType: "CarePlan",
      status: "active",
      intent: "order",
      subject: { reference: PATIENT_URL },
      encounter: { reference: ENC2_URL },
      goal: [{ reference: goalUrl }],
    }),
    entry(claimUrl, {
      resourceType: "Claim",
      status: "active",
      type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/claim-type", code: "institutional" }] },
      use: "claim",
      patient: { reference: PATIENT_URL },
      created: d2,
      provider: { reference: ORG_URL },
      priority: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/processpriority", code: "normal" }] },
      insurance: [{ sequence: 1, focal: true, coverage: { display: "Self-pay" } }],
      item: [{ sequence: 1, productOrService: { text: "Check up" }, encounter: [{ reference: ENC2_URL }] }],
    }),
    entry(uuid(), {
      resourceType: "ExplanationOfBenefit",
      status: "active",
      type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/claim-type", code: "institutional" }] },
      use: "claim",
      patient: { reference: PATIENT_URL },
      created: d2,
      insurer: { display: "Self-pay" },
      provider: { reference: PRACT_URL },
      claim: { reference: claimUrl },
      outcome: "complete",
      insurance: [{ focal: true, coverage: { display: "Self-pay" } }],
    }),
    entry(uuid(), {
      resourceType: "AllergyIntolerance",
      clinicalStatus: {
        coding: [{ system: "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", code: "active" }],
      },
      code: { coding: [{ system: "http://snomed.info/sct", code: "300916003", display: "Latex allergy" }] },
      patient: { reference: PATIENT_URL },
      recordedDate: "2010-01-01",
    }),
  ];
  entries.push(
    entry(uuid(), {
      resourceType: "Provenance",
      target: entries.map((e) => ({ reference: e.fullUrl as string })),
      recorded: "2021-01-01T00:00:00Z",
      agent: [{ who: { reference: ORG_URL } }],
    }),
  );
  return { resourceType: "Bundle", type: "transaction", entry: entries };
}

/** A UCUM quantity in mg/dL, e.g. `{ value: 130, unit: "mg/dL", system: UCUM, code: "mg/dL" }`. */
export function mgPerDl(value: number): Quantity {
  return { value, unit: "mg/dL", system: "http://unitsofmeasure.org", code: "mg/dL" };
}

/**
 * A final laboratory Observation coded in LOINC (`code.text` = `display`), effective on `date`.
 *
 * @param extra - More elements, e.g. `{ valueQuantity: mgPerDl(130), referenceRange: [...] }`.
 */
export function labObservation(
  id: string,
  loinc: string,
  display: string,
  date: string,
  extra: Partial<Observation> = {},
): Observation {
  return {
    resourceType: "Observation",
    id,
    status: "final",
    category: [
      { coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "laboratory" }] },
    ],
    code: { coding: [{ system: "http://loinc.org", code: loinc, display }], text: display },
    effectiveDateTime: date,
    ...extra,
  };
}

/** A Bundle of `type` (default `collection`) holding `resources`, each with fullUrl `urn:uuid:<id>`. */
export function bundleOf(resources: Resource[], type: Bundle["type"] = "collection"): Bundle {
  const entry = resources.map((resource): BundleEntry => ({ fullUrl: `urn:uuid:${resource.id ?? "x"}`, resource }));
  return { resourceType: "Bundle", type, entry };
}
