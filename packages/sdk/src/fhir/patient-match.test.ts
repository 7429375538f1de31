import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Patient } from "@medplum/fhirtypes";
import { attachmentToRecord } from "./attachment.ts";
import { minimalPdf } from "./file-fixtures.ts";
import { recordFingerprint } from "./fingerprint.ts";
import { comparePatients, patientsIn } from "./patient-match.ts";
import { patientBundle } from "../testing/fhir-fixtures.ts";

const MRN = "https://hospital.example/mrn";
const person = (extra: Partial<Patient> = {}): Patient => ({
  resourceType: "Patient",
  identifier: [
    { system: MRN, value: "A-1" },
    { system: "http://hl7.org/fhir/sid/us-ssn", value: "999-00-1111" },
  ],
  name: [{ family: "Quillfeather", given: ["Ondine", "M."] }],
  birthDate: "1961-01-11",
  ...extra,
});

describe("another person's Patient is told apart from the patient's own", () => {
  test("the same person, written differently, matches", () => {
    assert.equal(comparePatients(person(), person()).match, true);
    const reformatted = person({
      name: [
        { family: "QUILLFÉATHER", given: ["ondine"] },
        { use: "old", family: "Old" },
      ],
      birthDate: "1961",
    });
    assert.deepEqual(comparePatients(reformatted, person()), {
      match: true,
      differing: [],
      identifierSystems: [],
      sharedIdentifier: true,
    });
    // a new hospital's MRN system is not compared; name and birth date agree
    const newHospital = person({ identifier: [{ system: "https://other.example/mrn", value: "Z-9" }] });
    assert.equal(comparePatients(newHospital, person()).match, true);
    // a shared identifier outweighs a changed (married) name
    assert.equal(comparePatients(person({ name: [{ family: "Smith", given: ["Ann"] }] }), person()).match, true);
    // no identifiers: a married name (same given name) with the same birth date matches
    const married = person({ identifier: [], name: [{ family: "Smith", given: ["Ondine"] }] });
    assert.equal(comparePatients(married, person({ identifier: [] })).match, true);
  });

  test("same identifier system, different value: a mismatch whatever else agrees", () => {
    const other = person({ identifier: [{ system: MRN, value: "B-2" }] });
    assert.deepEqual(comparePatients(other, person()), {
      match: false,
      differing: ["identifier"],
      identifierSystems: [MRN],
      sharedIdentifier: false,
    });
  });

  test("without shared identifiers: a different birth date, or a different name, is a mismatch", () => {
    const none = { identifier: [] };
    assert.deepEqual(comparePatients(person({ ...none, birthDate: "1962-02-12" }), person(none)).differing, [
      "birthDate",
    ]);
    assert.deepEqual(
      comparePatients(person({ ...none, name: [{ family: "Marrowby", given: ["Tobiah"] }] }), person(none)).differing,
      ["name"],
    );
    // a twin (same family name and birth date) matches without identifiers; a differing MRN tells twins apart
    const twin = person({ ...none, name: [{ family: "Quillfeather", given: ["Tobiah"] }] });
    assert.equal(comparePatients(twin, person(none)).match, true);
    assert.equal(
      comparePatients(
        person({ name: [{ family: "Quillfeather", given: ["Tobiah"] }], identifier: [{ system: MRN, value: "A-2" }] }),
        person(),
      ).match,
      false,
    );
    // a partial name and no birth date to confirm it: a mismatch
    assert.deepEqual(
      comparePatients({ resourceType: "Patient", name: [{ family: "Quillfeather", given: ["Tobiah"] }] }, person(none))
        .differing,
      ["name"],
    );
    // nothing to compare: no reason to ask
    assert.equal(comparePatients({ resourceType: "Patient" }, person()).match, true);
  });

  test("patientsIn finds the Patient of a split record and of a nested document", () => {
    assert.equal(patientsIn(patientBundle()).length, 1);
    assert.equal(
      patientsIn({ resourceType: "Bundle", type: "collection", entry: [{ resource: patientBundle() }] }).length,
      1,
    );
    assert.deepEqual(patientsIn({ resourceType: "Observation", status: "final", code: {} }), []);
  });
});

describe("keyed content fingerprints", () => {
  const key = new Uint8Array(32).fill(7);

  test("the same file uploaded twice has one fingerprint, though its wrapper's ids and dates differ", async () => {
    const a = await attachmentToRecord(minimalPdf(), { fileName: "a.pdf", date: "2020-01-01" });
    const b = await attachmentToRecord(minimalPdf(), { fileName: "renamed.pdf" });
    assert.notDeepEqual(a.resource, b.resource);
    assert.equal(recordFingerprint(key, a.resource), recordFingerprint(key, b.resource));
    const other = await attachmentToRecord(minimalPdf("Another report"), { fileName: "a.pdf" });
    assert.notEqual(recordFingerprint(key, a.resource), recordFingerprint(key, other.resource));
  });

  test("FHIR content: key order does not matter, values do; another key gives another fingerprint", () => {
    const one = { resourceType: "Observation", status: "final", code: { text: "x" } } as const;
    const reordered = { code: { text: "x" }, status: "final", resourceType: "Observation" } as const;
    assert.equal(recordFingerprint(key, one), recordFingerprint(key, reordered));
    assert.notEqual(recordFingerprint(key, one), recordFingerprint(key, { ...one, status: "amended" }));
    assert.notEqual(recordFingerprint(key, one), recordFingerprint(new Uint8Array(32).fill(8), one));
    assert.match(recordFingerprint(key, one), /^[0-9a-f]{64}$/);
  });
});
