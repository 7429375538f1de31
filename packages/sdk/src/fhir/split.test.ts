import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Bundle, Resource } from "@medplum/fhirtypes";
import { RecordCategory } from "../categories.ts";
import "./definitions-node.ts";
import { NotAPatientBundleError, UnsupportedBundleTypeError } from "./errors.ts";
import { isReferenceDataBundle, splitBundle, splitResource } from "./split.ts";
import type { RecordDraft } from "./split.ts";
import { ENC1_URL, ENC2_URL, ORG_URL, PATIENT_URL, PRACT_URL, patientBundle } from "../testing/fhir-fixtures.ts";
import { validateFhirResource } from "./validate.ts";

const types = (draft: RecordDraft): string[] =>
  (draft.resource.entry ?? []).map((e) => e.resource?.resourceType ?? "?");
const urls = (draft: RecordDraft): string[] => (draft.resource.entry ?? []).map((e) => e.fullUrl ?? "?");

describe("splitBundle: patient transaction Bundles", () => {
  const input = patientBundle();
  const drafts = splitBundle(input);
  const [general, first, second] = drafts as [RecordDraft, RecordDraft, RecordDraft];

  test("one record per Encounter plus one general record, general first", () => {
    assert.equal(drafts.length, 3);
    assert.equal(first.title, "Encounter 2019-03-04: General examination of patient");
    assert.equal(first.date, "2019-03-04T09:00:00+00:00");
    assert.equal(second.title, "Encounter 2020-05-06: Encounter for check up");
    assert.match(general.title, /^Patient \d{4}-\d{2}-\d{2}: data not tied to an encounter$/);
  });

  test("each record is a collection Bundle, Patient first, no request elements", () => {
    for (const d of drafts) {
      assert.equal(d.resource.type, "collection");
      assert.equal(d.resource.entry?.[0]?.fullUrl, PATIENT_URL);
      assert.ok((d.resource.entry ?? []).every((e) => e.request === undefined && e.response === undefined));
      assert.equal(d.resourceCount, d.resource.entry?.length);
      validateFhirResource(d.resource);
    }
  });

  test("encounter records hold the encounter, what references it, and the referenced Organization/Practitioner", () => {
    assert.deepEqual(types(first), [
      "Patient",
      "Organization",
      "Practitioner",
      "Encounter",
      "Observation",
      "Observation",
      "Observation",
      "DocumentReference",
    ]);
    assert.ok(urls(first).includes(ENC1_URL) && urls(first).includes(ORG_URL) && urls(first).includes(PRACT_URL));
    // The EOB has no encounter but points at the Claim; the Goal is pointed at by the CarePlan.
    assert.deepEqual(types(second), [
      "Patient",
      "Organization",
      "Practitioner",
      "Encounter",
      "Observation",
      "Observation",
      "Observation",
      "Observation",
      "DiagnosticReport",
      "Goal",
      "CarePlan",
      "Claim",
      "ExplanationOfBenefit",
    ]);
    assert.ok(!urls(second).includes(ENC1_URL));
  });

  test("the general record has the Patient and what is not tied to one encounter", () => {
    assert.deepEqual(types(general), ["Patient", "Organization", "Practitioner", "AllergyIntolerance", "Provenance"]);
    assert.equal(general.category, RecordCategory.General);
  });

  test("categories", () => {
    assert.equal(first.category, RecordCategory.General); // vitals + a note
    assert.equal(second.category, RecordCategory.Lab);
  });

  test("nothing is lost, records share the input's resource objects", () => {
    const seen = new Set<Resource>();
    for (const d of drafts) for (const e of d.resource.entry ?? []) if (e.resource) seen.add(e.resource);
    for (const e of input.entry ?? []) assert.ok(e.resource && seen.has(e.resource));
    assert.equal(input.type, "transaction", "the input is not modified");
    assert.ok(input.entry?.every((e) => e.request !== undefined));
  });

  test("references resolve by Type/id as well as by fullUrl", () => {
    const bundle: Bundle = {
      resourceType: "Bundle",
      type: "batch",
      entry: [
        {
          fullUrl: "http://example.org/fhir/Patient/p1",
          resource: { resourceType: "Patient", id: "p1" },
          request: { method: "PUT", url: "Patient/p1" },
        },
        {
          resource: {
            resourceType: "Encounter",
            id: "e1",
            status: "finished",
            class: { code: "AMB" },
            subject: { reference: "Patient/p1" },
          },
          request: { method: "PUT", url: "Encounter/e1" },
        },
        {
          resource: {
            resourceType: "Immunization",
            status: "completed",
            vaccineCode: { text: "flu" },
            patient: { reference: "Patient/p1" },
            encounter: { reference: "Encounter/e1/_history/2" },
            occurrenceDateTime: "2020-01-01",
          },
          request: { method: "POST", url: "Immunization" },
        },
      ],
    };
    const [g, e] = splitBundle(bundle) as [RecordDraft, RecordDraft];
    assert.deepEqual(types(g), ["Patient"]);
    assert.deepEqual(types(e), ["Patient", "Encounter", "Immunization"]);
    assert.equal(e.category, RecordCategory.Immunization);
    assert.equal(e.date, "2020-01-01", "an Encounter without a period falls back to the general date");
  });
});

describe("splitBundle: other Bundles", () => {
  test("no Patient, or two: NotAPatientBundleError", () => {
    const two: Bundle = {
      resourceType: "Bundle",
      type: "transaction",
      entry: [{ resource: { resourceType: "Patient" } }, { resource: { resourceType: "Patient" } }],
    };
    assert.throws(
      () => splitBundle(two, { source: "two.json" }),
      (e: unknown) => {
        assert.ok(e instanceof NotAPatientBundleError);
        assert.equal(e.patientCount, 2);
        assert.equal(e.referenceData, false);
        assert.equal(
          e.shortMessage,
          "The transaction Bundle holds 2 Patient resources; a patient record needs exactly 1.",
        );
        return true;
      },
    );
  });

  test("reference data (Organizations and Locations) is recognised", () => {
    const reference: Bundle = {
      resourceType: "Bundle",
      type: "batch",
      entry: [
        {
          resource: { resourceType: "Organization", name: "A" },
          request: { method: "POST", url: "Organization", ifNoneExist: "identifier=x|1" },
        },
        { resource: { resourceType: "Location", name: "B" }, request: { method: "POST", url: "Location" } },
      ],
    };
    assert.equal(isReferenceDataBundle(reference), true);
    assert.equal(isReferenceDataBundle(patientBundle()), false);
    assert.equal(isReferenceDataBundle({ resourceType: "Bundle", type: "batch" }), false);
    assert.throws(
      () => splitBundle(reference),
      (e: unknown) => e instanceof NotAPatientBundleError && e.referenceData && e.patientCount === 0,
    );
  });

  test("a collection Bundle is one record, without search/request elements", () => {
    const bundle: Bundle = {
      resourceType: "Bundle",
      type: "searchset",
      entry: [
        {
          fullUrl: "http://x/Observation/1",
          resource: {
            resourceType: "Observation",
            status: "final",
            code: { text: "glucose" },
            category: [{ coding: [{ code: "laboratory" }] }],
            effectiveDateTime: "2021-02-03",
          },
          search: { mode: "match" },
        },
      ],
    };
    const [d, ...rest] = splitBundle(bundle);
    assert.equal(rest.length, 0);
    assert.ok(d);
    assert.equal(d.resource.type, "collection");
    assert.equal(d.resource.entry?.[0]?.search, undefined);
    assert.equal(d.resource.entry?.[0]?.fullUrl, "http://x/Observation/1");
    assert.equal(d.category, RecordCategory.Lab);
    assert.equal(d.title, "Collection 2021-02-03: glucose");
  });

  test("a document Bundle is one General record that keeps the document whole", () => {
    const doc: Bundle = {
      resourceType: "Bundle",
      type: "document",
      identifier: { system: "urn:ietf:rfc:3986", value: "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0" },
      timestamp: "2017-12-11T14:30:00+01:00",
      entry: [
        {
          fullUrl: "urn:uuid:6e1fb74a-742b-4c7b-8487-171dacb88766",
          resource: {
            resourceType: "Composition",
            status: "final",
            type: { text: "Patient summary" },
            date: "2017-12-11T14:30:00+01:00",
            author: [{ display: "x" }],
            title: "Patient Summary",
          },
        },
        { fullUrl: "urn:uuid:7685713c-e29e-4a75-8a90-45be7ba3be94", resource: { resourceType: "Patient" } },
        {
          fullUrl: "urn:uuid:8685713c-e29e-4a75-8a90-45be7ba3be94",
          resource: {
            resourceType: "Observation",
            status: "final",
            code: { text: "glucose" },
            category: [{ coding: [{ code: "laboratory" }] }],
          },
        },
      ],
    };
    const [d] = splitBundle(doc) as [RecordDraft];
    assert.equal(d.resource.type, "collection");
    assert.equal(d.resource.entry?.length, 1);
    assert.equal(d.resource.entry?.[0]?.resource, doc);
    assert.equal(d.resourceCount, 3);
    assert.equal(d.category, RecordCategory.General);
    assert.equal(d.title, "Document 2017-12-11: Patient Summary");
    assert.equal(d.date, "2017-12-11T14:30:00+01:00");
  });

  test("history and response Bundles: UnsupportedBundleTypeError", () => {
    for (const type of ["history", "transaction-response", "batch-response"] as const) {
      assert.throws(
        () => splitBundle({ resourceType: "Bundle", type }),
        (e: unknown) => e instanceof UnsupportedBundleTypeError && e.bundleType === type,
      );
    }
  });

  test("a single resource is one record", () => {
    const obs: Resource = {
      resourceType: "Observation",
      id: "0b9bd2b4-7d6e-4e0f-a3b3-65e6f0d4ad3f",
      status: "final",
      category: [
        { coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "vital-signs" }] },
      ],
      code: { coding: [{ system: "http://loinc.org", code: "8867-4", display: "Heart rate" }] },
      effectiveDateTime: "1999-07-02",
      valueQuantity: { value: 44, unit: "/min" },
    };
    const [d, ...rest] = splitResource(obs);
    assert.equal(rest.length, 0);
    assert.ok(d);
    assert.equal(d.category, RecordCategory.VitalSigns);
    assert.equal(d.title, "Observation 1999-07-02: Heart rate");
    assert.equal(d.resource.entry?.[0]?.fullUrl, "urn:uuid:0b9bd2b4-7d6e-4e0f-a3b3-65e6f0d4ad3f");
    assert.equal(d.resourceCount, 1);
    validateFhirResource(d.resource);
    assert.equal(splitResource(patientBundle()).length, 3);
  });
});

describe("splitBundle keeps encounters apart", () => {
  test("a resource is never copied into another encounter's record", () => {
    const drafts = splitBundle(patientBundle());
    const [, first, second] = drafts as [RecordDraft, RecordDraft, RecordDraft];
    const clinical = (d: RecordDraft) =>
      new Set(
        (d.resource.entry ?? [])
          .filter((e) => !["Patient", "Organization", "Practitioner"].includes(e.resource?.resourceType ?? ""))
          .map((e) => e.resource),
      );
    const a = clinical(first);
    for (const r of clinical(second)) assert.ok(!a.has(r));
    assert.ok(urls(second).includes(ENC2_URL));
  });
});
