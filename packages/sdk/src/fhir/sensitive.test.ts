import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Resource } from "@medplum/fhirtypes";
import { sensitiveStrings } from "./sensitive.ts";
import { patientBundle } from "../testing/fhir-fixtures.ts";

describe("sensitiveStrings", () => {
  const strings = sensitiveStrings(patientBundle());

  test("names, identifiers, telecom, address lines and birth date of the Patient", () => {
    for (const s of [
      "Zanzibar123",
      "Quuxley456",
      "Zanzibar123 Quuxley456",
      "Quuxley456, Zanzibar123",
      "999-12-3456",
      "S99912345",
      "555-123-4567",
      "742 Evergreen Terrace",
      "1984-07-02",
      "Mr. Zanzibar123 Quuxley456",
    ]) {
      assert.ok(strings.includes(s), s);
    }
  });

  test("snippets of text/plain notes, preferring lines that name the patient", () => {
    assert.ok(strings.includes("Zanzibar123 Quuxley456 is a 35 year-old patient with seasonal al"));
    assert.ok(strings.every((s) => s.length <= 64 || !s.includes(" ")));
  });

  test("code display strings, practitioner and organization names are not included", () => {
    for (const s of ["Body Height", "Cholesterol", "Lipid panel", "Latex allergy", "Example Clinic", "Docwell"]) {
      assert.ok(!strings.some((x) => x.includes(s)), s);
    }
  });

  test("deduplicated, minLength honoured", () => {
    assert.equal(new Set(strings).size, strings.length);
    assert.ok(strings.every((s) => s.length >= 6));
    const patient: Resource = {
      resourceType: "Patient",
      name: [{ family: "Li", given: ["Bo"] }],
      birthDate: "2000-01-01",
    };
    assert.deepEqual(sensitiveStrings(patient), ["Li, Bo", "2000-01-01"]);
    assert.deepEqual(sensitiveStrings(patient, { minLength: 2 }), ["Bo", "Li", "Bo Li", "Li, Bo", "2000-01-01"]);
  });

  test("a text/plain attachment whose data is not base64 is skipped", () => {
    const doc: Resource = {
      resourceType: "DocumentReference",
      status: "current",
      content: [{ attachment: { contentType: "text/plain", data: "not*base64!" } }],
    };
    assert.deepEqual(sensitiveStrings(doc), []);
  });

  test("a resource without a Patient yields only what it carries", () => {
    assert.deepEqual(
      sensitiveStrings({ resourceType: "Observation", status: "final", code: { text: "Heart rate" } }),
      [],
    );
  });
});
