/**
 * Lab trends: the time series of common lab values (glucose, HbA1c, lipids, haemoglobin)
 * across many decrypted records, for a chart. Pure, like the record view (`record-view.ts`).
 *
 * @module
 */

import type { Observation } from "@medplum/fhirtypes";
import { RecordCategory } from "../../categories.ts";
import { LOINC, codeInSystem, fhirTime, periodStart, quantityUnit } from "../format.ts";
import { isObject, num, str } from "../json.ts";
import { collectEntries, isResource } from "./entries.ts";
import { unitKey } from "./observations.ts";

/** The analytes {@link labTrends} follows. */
export type LabAnalyte = "glucose" | "hba1c" | "cholesterol" | "hdl" | "ldl" | "triglycerides" | "hemoglobin";

/** The analytes {@link labTrends} follows: key, label and the LOINC codes that count for it, in display order. */
export const LAB_TREND_ANALYTES: readonly { code: LabAnalyte; label: string; loinc: readonly string[] }[] = [
  { code: "glucose", label: "Glucose", loinc: ["2339-0", "2345-7"] },
  { code: "hba1c", label: "HbA1c", loinc: ["4548-4"] },
  { code: "cholesterol", label: "Total cholesterol", loinc: ["2093-3"] },
  { code: "hdl", label: "HDL cholesterol", loinc: ["2085-9"] },
  { code: "ldl", label: "LDL cholesterol", loinc: ["18262-6", "2089-1"] },
  { code: "triglycerides", label: "Triglycerides", loinc: ["2571-8"] },
  { code: "hemoglobin", label: "Haemoglobin", loinc: ["718-7"] },
];

/** One point of a {@link LabTrend}. */
export interface LabTrendPoint {
  /** The observation's effective date (ISO 8601, as written). */
  date: string;
  /** The value, in the series' `unit`. */
  value: number;
}

/** The time series of one analyte across records. */
export interface LabTrend {
  /** Analyte key, e.g. `"hba1c"`. */
  code: LabAnalyte;
  /** Label for display, e.g. "HbA1c". */
  label: string;
  /** The LOINC codes that count for this analyte, e.g. `["2339-0", "2345-7"]` for glucose. */
  loinc: readonly string[];
  /** Unit of every point as shown (`Quantity.unit`, else its UCUM code), e.g. `"mg/dL"`, `"%"`. */
  unit: string;
  /** Points sorted by date, oldest first (at least one). */
  points: LabTrendPoint[];
  /** Points left out because their unit differs from the unit of the series' earliest point. */
  skippedUnits: number;
}

const ANALYTE_BY_LOINC: ReadonlyMap<string, (typeof LAB_TREND_ANALYTES)[number]> = new Map(
  LAB_TREND_ANALYTES.flatMap((a) => a.loinc.map((code) => [code, a] as const)),
);

/** The record categories whose records can hold the analytes {@link labTrends} charts: lab, general and vital signs. */
export const LAB_TREND_CATEGORIES: readonly RecordCategory[] = [
  RecordCategory.Lab,
  RecordCategory.General,
  RecordCategory.VitalSigns,
];

/** One point before the series are built: its sort key, unit key and input order. */
interface RawPoint {
  analyte: LabAnalyte;
  date: string;
  key: number;
  value: number;
  unitKey: string | undefined;
  unit: string | undefined;
  order: number;
}

/** The point an Observation gives, or `undefined` when it is not a dated, exact value of a followed analyte. */
function rawPoint(o: Observation, order: number): RawPoint | undefined {
  const loinc = codeInSystem(o.code, LOINC);
  const analyte = loinc === undefined ? undefined : ANALYTE_BY_LOINC.get(loinc);
  const q = isObject(o.valueQuantity) ? o.valueQuantity : undefined;
  const value = num(q?.value);
  const date = str(o.effectiveDateTime) ?? str(o.effectiveInstant) ?? periodStart(o.effectivePeriod) ?? str(o.issued);
  const key = fhirTime(date);
  if (analyte === undefined || value === undefined || str(q?.comparator) !== undefined) return undefined;
  if (date === undefined || key === undefined) return undefined;
  return { analyte: analyte.code, date, key, value, unitKey: unitKey(q), unit: quantityUnit(q), order };
}

/** The points of every record by analyte; an Observation `id` seen before is skipped. */
function collectPoints(records: readonly unknown[]): Map<LabAnalyte, RawPoint[]> {
  const raw = new Map<LabAnalyte, RawPoint[]>();
  const seen = new Set<string>();
  let order = 0;
  for (const record of records) {
    if (!isResource(record)) continue;
    for (const { resource } of collectEntries(record)) {
      if (resource.resourceType !== "Observation") continue;
      const point = rawPoint(resource, order);
      if (point === undefined) continue;
      const id = str(resource.id);
      if (id !== undefined) {
        if (seen.has(id)) continue;
        seen.add(id);
      }
      order++;
      raw.set(point.analyte, [...(raw.get(point.analyte) ?? []), point]);
    }
  }
  return raw;
}

/**
 * Time series of glucose (LOINC 2339-0, 2345-7), HbA1c (4548-4), total cholesterol (2093-3),
 * HDL (2085-9), LDL (18262-6, 2089-1), triglycerides (2571-8) and haemoglobin (718-7) across
 * many records.
 *
 * A point is an Observation with one of these LOINC codes, a numeric `valueQuantity` without
 * comparator and an effective date (`effectiveDateTime`, `effectiveInstant`,
 * `effectivePeriod.start`, else `issued`). The same Observation (`Observation/id`) found in
 * several records counts once. Within a series the unit of the earliest point wins (compared
 * by UCUM code, else unit text); points in another unit are skipped and counted in
 * `skippedUnits` (no unit conversion is attempted). Inputs that are not FHIR resources are
 * ignored.
 *
 * @param records - Parsed JSON of decrypted records (untrusted), as for {@link buildRecordView}.
 * @returns One series per analyte with at least one point, in {@link LAB_TREND_ANALYTES} order.
 * @example
 * ```ts
 * const trends = labTrends(records.map((r) => JSON.parse(r.plaintext)));
 * // [{ code: "hba1c", label: "HbA1c", unit: "%", points: [{ date: "2012-05-01", value: 6.1 }, ...], ... }]
 * ```
 */
export function labTrends(records: readonly unknown[]): LabTrend[] {
  const raw = collectPoints(records);
  const trends: LabTrend[] = [];
  for (const analyte of LAB_TREND_ANALYTES) {
    const points = raw.get(analyte.code);
    if (points === undefined || points.length === 0) continue;
    points.sort((a, b) => a.key - b.key || a.order - b.order);
    const first = points[0];
    if (first === undefined) continue;
    const kept = points.filter((p) => p.unitKey === first.unitKey);
    trends.push({
      code: analyte.code,
      label: analyte.label,
      loinc: analyte.loinc,
      unit: first.unit ?? "",
      points: kept.map(({ date, value }) => ({ date, value })),
      skippedUnits: points.length - kept.length,
    });
  }
  return trends;
}
