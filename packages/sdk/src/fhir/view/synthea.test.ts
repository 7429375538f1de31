/**
 * The record view and the lab trends against the shared Synthea bundles (`../shared/data`
 * beside the repository, or `MERIDIAN_SHARED_DATA`; skipped, with a message, when absent):
 * every value shown equals the source JSON.
 *
 * Run: `node --test packages/sdk/src/fhir/view/synthea.test.ts`
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Bundle, Observation, Resource } from "@medplum/fhirtypes";
import { splitBundle } from "../split.ts";
import { LAB_TREND_ANALYTES, labTrends } from "./lab-trends.ts";
import { buildRecordView } from "./record-view.ts";
import type { ObservationView } from "./types.ts";

const NOW = new Date("2024-06-01T12:00:00Z");
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../..");
/** The shared data: `MERIDIAN_SHARED_DATA`, else `../shared/data` beside the repository. */
const DATA = process.env.MERIDIAN_SHARED_DATA ?? path.resolve(REPO_ROOT, "../shared/data");
const SYNTHEA = path.join(DATA, "fhir/synthea");
const SKIP = `Synthea data ${SYNTHEA} absent`;
const patientFiles = existsSync(SYNTHEA)
  ? ["smart-on-fhir-r4", "fhir-data-pipes-hiv"].flatMap((dir) => {
      const full = path.join(SYNTHEA, dir);
      return existsSync(full)
        ? readdirSync(full)
            .filter((f) => f.endsWith(".json") && !/^(hospital|practitioner)Information/.test(f))
            .sort()
            .map((f) => path.join(full, f))
        : [];
    })
  : [];
const load = (file: string): Bundle => JSON.parse(readFileSync(file, "utf8")) as Bundle;
const resourcesOf = (b: Bundle): Resource[] => (b.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
const trendCodes = new Set(LAB_TREND_ANALYTES.flatMap((a) => a.loinc));

/** `loinc|date|value|unit` of every numeric quantity (observation or component) the view shows. */
function shownQuantities(views: ObservationView[]): string[] {
  return views
    .flatMap((o) =>
      [o, ...o.components].filter((v) => v.value !== undefined).map((v) => `${v.loinc}|${o.date}|${v.value}|${v.unit}`),
    )
    .sort();
}

describe("Synthea bundles (shared data)", () => {
  test("every numeric observation value, unit and date shown equals the source JSON", (t) => {
    if (patientFiles.length === 0) return t.skip(SKIP);
    let checked = 0;
    for (const file of patientFiles) {
      const source = load(file);
      const view = buildRecordView(source, { now: NOW });
      const expected = resourcesOf(source)
        .filter((r): r is Observation => r.resourceType === "Observation")
        .flatMap((o) =>
          [o, ...(o.component ?? [])]
            .filter((v) => v.valueQuantity?.value !== undefined)
            .map(
              (v) =>
                `${v.code.coding?.find((c) => c.system === "http://loinc.org")?.code}|${o.effectiveDateTime}|${
                  v.valueQuantity?.value
                }|${v.valueQuantity?.unit}`,
            ),
        )
        .sort();
      const shown = shownQuantities([...view.labs, ...view.vitals, ...view.otherObservations]);
      assert.deepEqual(shown, expected, path.basename(file));
      assert.ok(!JSON.stringify(view).includes("<div"), path.basename(file));
      checked += shown.length;
    }
    t.diagnostic(`${patientFiles.length} bundles, ${checked} numeric values checked`);
  });

  test("spot check: the first glucose and blood pressure of a patient, field by field", (t) => {
    const file = patientFiles.find((f) => path.basename(f).startsWith("Fletcher_Hyatt_"));
    if (file === undefined) return t.skip(SKIP);
    const source = load(file);
    const view = buildRecordView(source, { now: NOW });
    const glucose = resourcesOf(source).find(
      (r): r is Observation => r.resourceType === "Observation" && r.code.coding?.[0]?.code === "2339-0",
    );
    assert.ok(glucose?.valueQuantity);
    const shown = view.labs.find((o) => o.loinc === "2339-0" && o.date === glucose.effectiveDateTime);
    assert.ok(shown);
    assert.equal(shown.value, glucose.valueQuantity.value);
    assert.equal(shown.unit, glucose.valueQuantity.unit);
    assert.equal(shown.ucum, glucose.valueQuantity.code);
    assert.equal(shown.display, glucose.code.text);

    const bp = resourcesOf(source).find(
      (r): r is Observation => r.resourceType === "Observation" && r.code.coding?.[0]?.code === "55284-4",
    );
    assert.ok(bp?.component);
    const shownBp = view.vitals.find((o) => o.loinc === "55284-4" && o.date === bp.effectiveDateTime);
    assert.deepEqual(
      shownBp?.components.map((c) => [c.loinc, c.value, c.unit]),
      bp.component.map((c) => [c.code.coding?.[0]?.code, c.valueQuantity?.value, c.valueQuantity?.unit]),
    );
    assert.equal(view.patient?.name, "Fletcher Hyatt");
    assert.equal(view.patient?.age, 80, "born 1915-07-03, died 1996-01-21");
    assert.equal(view.encounters.length, resourcesOf(source).filter((r) => r.resourceType === "Encounter").length);
  });

  test("labTrends finds every glucose, HbA1c, lipid and haemoglobin value, whole or split into records", (t) => {
    if (patientFiles.length === 0) return t.skip(SKIP);
    const withSeries = new Map<string, number>();
    for (const file of patientFiles) {
      const source = load(file);
      const expected = new Map<string, { date: string; value: number }[]>();
      for (const r of resourcesOf(source)) {
        const code =
          r.resourceType === "Observation"
            ? r.code.coding?.find((c) => c.system === "http://loinc.org")?.code
            : undefined;
        if (r.resourceType !== "Observation" || code === undefined || !trendCodes.has(code)) continue;
        const analyte = LAB_TREND_ANALYTES.find((a) => a.loinc.includes(code));
        assert.ok(analyte && r.effectiveDateTime !== undefined && r.valueQuantity?.value !== undefined);
        expected.set(analyte.code, [
          ...(expected.get(analyte.code) ?? []),
          { date: r.effectiveDateTime, value: r.valueQuantity.value },
        ]);
      }
      const trends = labTrends([source]);
      assert.deepEqual(
        trends.map((s) => s.code),
        LAB_TREND_ANALYTES.map((a) => a.code).filter((c) => expected.has(c)),
        path.basename(file),
      );
      for (const series of trends) {
        const want = [...(expected.get(series.code) ?? [])].sort((a, b) => Date.parse(a.date) - Date.parse(b.date));
        assert.deepEqual(series.points, want, `${path.basename(file)} ${series.code}`);
        assert.equal(series.skippedUnits, 0);
        assert.equal(series.unit, series.code === "hba1c" ? "%" : series.code === "hemoglobin" ? "g/dL" : "mg/dL");
        withSeries.set(series.code, (withSeries.get(series.code) ?? 0) + 1);
      }
      // The records the SDK stores (one per encounter + a general one) give the same series.
      assert.deepEqual(labTrends(splitBundle(source).map((d) => d.resource)), trends, path.basename(file));
    }
    t.diagnostic(`patients with a series: ${JSON.stringify(Object.fromEntries(withSeries))}`);
    assert.ok((withSeries.get("cholesterol") ?? 0) >= 10);
    assert.ok((withSeries.get("hba1c") ?? 0) >= 5);
  });

  test("HIV-module clinical notes become downloadable text documents, one per encounter", (t) => {
    const file = patientFiles.find((f) => path.basename(f).startsWith("Georgianne697_"));
    if (file === undefined) return t.skip(SKIP);
    const source = load(file);
    const view = buildRecordView(source);
    const docRefs = resourcesOf(source).filter((r) => r.resourceType === "DocumentReference");
    assert.equal(
      view.documents.length,
      docRefs.length,
      "DiagnosticReport copies of the same note are not listed twice",
    );
    const first = docRefs[0];
    assert.ok(first?.resourceType === "DocumentReference");
    const attachment = first.content[0]?.attachment;
    const shown = view.documents.find((d) => d.base64 === attachment?.data);
    assert.ok(shown && attachment?.data);
    assert.equal(shown.size, Buffer.from(attachment.data, "base64").length);
    assert.equal(shown.contentType, "text/plain; charset=utf-8");
    assert.equal(shown.created, first.date);
  });
});
