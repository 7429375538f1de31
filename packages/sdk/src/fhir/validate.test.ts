import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Resource } from "@medplum/fhirtypes";
import "./definitions-node.ts";
import { FhirValidationError, MAX_ISSUES_IN_MESSAGE } from "./errors.ts";
import { patientBundle } from "../testing/fhir-fixtures.ts";
import { fhirValidationIssues, loadFhirDefinitions, validateFhirResource } from "./validate.ts";

/** Asserts that validation fails with an issue at `path` with `code`. */
function assertIssue(resource: Resource, path: string, code: string): FhirValidationError {
  let caught: unknown;
  assert.throws(
    () => validateFhirResource(resource),
    (e: unknown) => {
      caught = e;
      return e instanceof FhirValidationError;
    },
  );
  const error = caught as FhirValidationError;
  assert.ok(
    error.issues.some((i) => i.path === path && i.code === code),
    `expected ${code} at ${path}, got ${JSON.stringify(error.issues)}`,
  );
  return error;
}

describe("validateFhirResource", () => {
  test("loads the definitions once", () => {
    const first = loadFhirDefinitions();
    assert.ok(first.structureMs > 0 && first.terminologyMs > 0);
    assert.equal(loadFhirDefinitions(), first);
  });

  test("accepts a valid Patient/Encounter/Observation transaction Bundle", () => {
    validateFhirResource(patientBundle());
  });

  test("Observation.status 'bogus' fails its required binding", () => {
    const error = assertIssue(
      { resourceType: "Observation", status: "bogus" as "final", code: { text: "x" } },
      "Observation.status",
      "code-invalid",
    );
    assert.equal(error.name, "FhirValidationError");
    assert.equal(error.shortMessage, "The Observation is not valid FHIR R4: 1 issue.");
    assert.match(
      error.message,
      /Observation\.status: Code is not in the required value set http:\/\/hl7\.org\/fhir\/ValueSet\/observation-status \[code-invalid\]/,
    );
    assert.ok(!error.message.includes("bogus"), "the message must not quote values");
  });

  test("Patient.birthDate 'yesterday' fails", () => {
    assertIssue({ resourceType: "Patient", birthDate: "yesterday" }, "Patient.birthDate", "structure");
  });

  test("required bindings inside a Bundle, on Coding and CodeableConcept", () => {
    const bundle = patientBundle();
    const encounter = bundle.entry?.[3]?.resource;
    assert.equal(encounter?.resourceType, "Encounter");
    if (encounter?.resourceType === "Encounter") encounter.status = "done" as "finished";
    assertIssue(bundle, "Bundle.entry[3].resource.status", "code-invalid");

    assertIssue(
      {
        resourceType: "Condition",
        subject: { reference: "Patient/1" },
        clinicalStatus: { coding: [{ system: "http://snomed.info/sct", code: "55561003" }] },
      },
      "Condition.clinicalStatus",
      "code-invalid",
    );
    // Text-only CodeableConcepts and value sets over external code systems are not checked.
    validateFhirResource({
      resourceType: "Condition",
      subject: { reference: "Patient/1" },
      clinicalStatus: { text: "active" },
    });
    validateFhirResource({ resourceType: "Binary", contentType: "application/x-made-up" });
  });

  test("structural errors: unknown property, missing required element, two choice types", () => {
    assertIssue({ resourceType: "Patient", nickname: "x" } as unknown as Resource, "Patient.nickname", "structure");
    assertIssue(
      { resourceType: "Observation", code: { text: "x" } } as unknown as Resource,
      "Observation.status",
      "structure",
    );
    const both = {
      resourceType: "Observation",
      status: "final",
      code: { text: "x" },
      valueString: "a",
      valueQuantity: { value: 1 },
    };
    assert.ok(
      fhirValidationIssues(both as unknown as Resource).some(
        (i) => i.message === "Conflicting choice of type properties",
      ),
    );
  });

  test("unknown resource type fails", () => {
    assert.throws(
      () => validateFhirResource({ resourceType: "Spaceship" } as unknown as Resource),
      FhirValidationError,
    );
  });

  test("base64Binary may contain whitespace (R4), but not other characters", () => {
    const data = Buffer.from("hello world, this is a PDF").toString("base64");
    const wrapped = `${data.slice(0, 8)} ${data.slice(8, 16)}\n${data.slice(16)}`;
    validateFhirResource({ resourceType: "Binary", contentType: "application/pdf", data: wrapped });
    assertIssue(
      { resourceType: "Binary", contentType: "application/pdf", data: "not*base64!" },
      "Binary.data",
      "structure",
    );
  });

  test("the message lists at most 20 issues, `issues` keeps all", () => {
    const bundle = {
      resourceType: "Bundle",
      type: "collection",
      entry: Array.from({ length: 25 }, () => ({ resource: { resourceType: "Patient", birthDate: "never" } })),
    } as Resource;
    const error = assertIssue(bundle, "Bundle.entry[0].resource.birthDate", "structure");
    assert.equal(error.issues.length, 25);
    assert.equal(error.details?.split("\n").length, MAX_ISSUES_IN_MESSAGE + 1);
    assert.match(error.message, /\.\.\. and 5 more/);
  });
});
