/**
 * Tests of the record view (`buildRecordView`) on other inputs: a single resource, a nested
 * document Bundle, an SDK-style file record, hostile JSON, and input that is not FHIR.
 *
 * Run: `node --test packages/sdk/src/fhir/view/inputs.test.ts`
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Resource } from "@medplum/fhirtypes";
import { NotFhirRecordError } from "../errors.ts";
import { bundleOf as bundle } from "../../testing/fhir-fixtures.ts";
import { lab } from "../../testing/record-view-fixture.ts";
import { buildRecordView } from "./record-view.ts";

describe("buildRecordView: other inputs", () => {
  test("a single resource, a nested document Bundle, and an SDK-style DocumentReference + Binary record", () => {
    const single = buildRecordView(
      lab("x", "718-7", "Hemoglobin", "2020-01-01", { valueQuantity: { value: 13.1, unit: "g/dL" } }),
    );
    assert.equal(single.labs[0]?.value, 13.1);

    const document = bundle([
      bundle(
        [
          { resourceType: "Composition", id: "comp" } as unknown as Resource,
          { resourceType: "Patient", id: "p", name: [{ text: "Jan Jansen" }] },
        ],
        "document",
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
      ["Observation", undefined, undefined],
    );
    assert.deepEqual(
      [view.encounters[0]?.start, view.encounters[0]?.practitioners, view.encounters[0]?.type],
      [undefined, [], undefined],
    );
  });

  test("rejects input that is not a FHIR resource", () => {
    for (const bad of [null, 42, "Bundle", [], { entry: [] }])
      assert.throws(() => buildRecordView(bad), NotFhirRecordError);
  });
});
