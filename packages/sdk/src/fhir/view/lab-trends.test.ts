/**
 * Tests of the lab trends (`labTrends`) on hand-made records. The checks against every Synthea
 * bundle of the shared data are in `synthea.test.ts`.
 *
 * Run: `node --test packages/sdk/src/fhir/view/lab-trends.test.ts`
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bundleOf as bundle, labObservation as lab, mgPerDl as mgdl } from "../../testing/fhir-fixtures.ts";
import { labTrends } from "./lab-trends.ts";

describe("labTrends: hand-made records", () => {
  test("series sorted by date, one per analyte, unit of the earliest point wins, duplicates once", () => {
    const a = bundle([
      lab("g2", "2345-7", "Glucose [Mass/volume] in Serum or Plasma", "2022-05-01", { valueQuantity: mgdl(101) }),
      lab("g1", "2339-0", "Glucose", "2021-05-01T08:00:00Z", { valueQuantity: mgdl(95) }),
      lab("gx", "2339-0", "Glucose", "2023-05-01", {
        valueQuantity: { value: 5.5, unit: "mmol/L", system: "http://unitsofmeasure.org", code: "mmol/L" },
      }),
      lab("nodate", "2339-0", "Glucose", "", { valueQuantity: mgdl(1) }),
    ]);
    const b = bundle([
      // The same Observation in a second record.
      lab("g2", "2345-7", "Glucose", "2022-05-01", { valueQuantity: mgdl(101) }),
      lab("h1", "4548-4", "HbA1c", "2022-05-01", {
        valueQuantity: { value: 6.1, unit: "%", system: "http://unitsofmeasure.org", code: "%" },
      }),
      lab("x1", "8867-4", "Heart rate", "2022-05-01", { valueQuantity: { value: 60, unit: "/min" } }),
    ]);
    assert.deepEqual(labTrends([a, b, "not a record", null]), [
      {
        code: "glucose",
        label: "Glucose",
        loinc: ["2339-0", "2345-7"],
        unit: "mg/dL",
        points: [
          { date: "2021-05-01T08:00:00Z", value: 95 },
          { date: "2022-05-01", value: 101 },
        ],
        skippedUnits: 1,
      },
      {
        code: "hba1c",
        label: "HbA1c",
        loinc: ["4548-4"],
        unit: "%",
        points: [{ date: "2022-05-01", value: 6.1 }],
        skippedUnits: 0,
      },
    ]);
    assert.deepEqual(labTrends([]), []);
  });
});
