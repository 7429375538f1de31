/**
 * Observations in the record view: value, unit, interpretation, reference range and whether
 * the value lies outside it, for an Observation and each of its components; and which section
 * (labs, vital signs, others) an Observation belongs in. Internal to `fhir/`.
 *
 * @module
 */

import type {
  CodeableConcept,
  Observation,
  ObservationComponent,
  ObservationReferenceRange,
  Quantity,
} from "@medplum/fhirtypes";
import {
  LOINC,
  UCUM,
  codeInSystem,
  conceptCode,
  conceptText,
  periodEnd,
  periodStart,
  quantityText,
  quantityUnit,
} from "../format.ts";
import { VITAL_SIGN_LOINC } from "../category-codes.ts";
import { isObject, list, num, str, unique } from "../json.ts";
import type { MeasuredValue, ObservationView, RangeLimit, ReferenceRangeView } from "./types.ts";

/** v3 ObservationInterpretation codes in words (used when a coding has no display). */
const INTERPRETATION: Readonly<Record<string, string>> = {
  N: "Normal",
  A: "Abnormal",
  AA: "Critical abnormal",
  H: "High",
  HH: "Critical high",
  HU: "Very high",
  L: "Low",
  LL: "Critical low",
  LU: "Very low",
  POS: "Positive",
  NEG: "Negative",
  DET: "Detected",
  ND: "Not detected",
};

function interpretationText(concepts: CodeableConcept[] | undefined): string | undefined {
  const texts = unique(
    list(concepts)
      .filter(isObject)
      .map((c) => {
        const coding = list(c.coding).filter(isObject);
        return (
          str(c.text) ??
          coding.map((k) => str(k.display)).find((d) => d !== undefined) ??
          coding.map((k) => INTERPRETATION[str(k.code) ?? ""] ?? str(k.code)).find((d) => d !== undefined)
        );
      }),
  );
  return texts.length === 0 ? undefined : texts.join(", ");
}

function rangeLimit(q: Quantity | undefined): RangeLimit | undefined {
  const value = isObject(q) ? num(q.value) : undefined;
  return value === undefined ? undefined : { value, unit: quantityUnit(q) };
}

export function rangeText(range: { low?: Quantity; high?: Quantity }): string | undefined {
  const low = rangeLimit(range.low);
  const high = rangeLimit(range.high);
  const unit = (l: RangeLimit) => (l.unit === undefined ? "" : ` ${l.unit}`);
  if (low && high)
    return low.unit === high.unit
      ? `${low.value}–${high.value}${unit(high)}`
      : `${low.value}${unit(low)} – ${high.value}${unit(high)}`;
  if (low) return `≥ ${low.value}${unit(low)}`;
  if (high) return `≤ ${high.value}${unit(high)}`;
  return undefined;
}

function referenceRangeView(ranges: ObservationReferenceRange[] | undefined): ReferenceRangeView | undefined {
  const all = list(ranges).filter(isObject);
  const normal = all.find((r) => r.type === undefined || conceptCode(r.type) === "normal") ?? all[0];
  if (normal === undefined) return undefined;
  const text = str(normal.text) ?? rangeText(normal);
  if (text === undefined) return undefined;
  return { low: rangeLimit(normal.low), high: rangeLimit(normal.high), text };
}

/** The unit key for comparisons: UCUM code when coded, else the unit text. */
export function unitKey(q: Quantity | undefined): string | undefined {
  if (!isObject(q)) return undefined;
  return (q.system === UCUM ? str(q.code) : undefined) ?? str(q.unit)?.toLowerCase() ?? str(q.code);
}

/** `low`/`high`/`within` for a value against its range, or `undefined` when it cannot be told. */
function rangeCheck(
  q: Quantity | undefined,
  value: number | undefined,
  range: ObservationReferenceRange | undefined,
): "low" | "high" | "within" | undefined {
  if (value === undefined || !isObject(q) || str(q.comparator) !== undefined || !isObject(range)) return undefined;
  const sameUnit = (limit: Quantity | undefined): boolean => {
    const a = unitKey(q);
    const b = unitKey(limit);
    if (b === undefined || a === undefined) return b === undefined;
    if (a === b) return true;
    // A UCUM code on one side and a unit text on the other: compare the texts case-insensitively.
    return (str(q.unit) ?? str(q.code))?.toLowerCase() === (str(limit?.unit) ?? str(limit?.code))?.toLowerCase();
  };
  const low = isObject(range.low) ? num(range.low.value) : undefined;
  const high = isObject(range.high) ? num(range.high.value) : undefined;
  if (low === undefined && high === undefined) return undefined;
  if ((low !== undefined && !sameUnit(range.low)) || (high !== undefined && !sameUnit(range.high))) return undefined;
  if (low !== undefined && value < low) return "low";
  if (high !== undefined && value > high) return "high";
  return "within";
}

type ValueCarrier = Observation | ObservationComponent;

function valueText(o: ValueCarrier): string | undefined {
  if (typeof o.valueBoolean === "boolean") return o.valueBoolean ? "Yes" : "No";
  const sampled = o.valueSampledData;
  return (
    conceptText(o.valueCodeableConcept) ??
    str(o.valueString) ??
    (isObject(o.valueRange) ? rangeText(o.valueRange) : undefined) ??
    (isObject(o.valueRatio) && quantityText(o.valueRatio.numerator) && quantityText(o.valueRatio.denominator)
      ? `${quantityText(o.valueRatio.numerator)} / ${quantityText(o.valueRatio.denominator)}`
      : undefined) ??
    str(o.valueDateTime) ??
    str(o.valueTime) ??
    (isObject(o.valuePeriod)
      ? [periodStart(o.valuePeriod), periodEnd(o.valuePeriod)].filter((p) => p !== undefined).join(" – ") || undefined
      : undefined) ??
    (isObject(sampled) ? `Waveform (${str(sampled.data)?.trim().split(/\s+/).length ?? 0} samples)` : undefined) ??
    (isObject(o.dataAbsentReason) ? `No value: ${conceptText(o.dataAbsentReason) ?? "unknown"}` : undefined)
  );
}

function measuredValue(o: ValueCarrier): MeasuredValue {
  const q = isObject(o.valueQuantity) ? o.valueQuantity : undefined;
  const value = num(q?.value) ?? num(o.valueInteger);
  const ranges = list(o.referenceRange).filter(isObject);
  const rawRange = ranges.find((r) => r.type === undefined || conceptCode(r.type) === "normal") ?? ranges[0];
  const check = rangeCheck(q ?? (value !== undefined ? {} : undefined), value, rawRange);
  return {
    display: conceptText(o.code) ?? "Observation",
    loinc: codeInSystem(o.code, LOINC),
    value,
    comparator: str(q?.comparator),
    unit: quantityUnit(q),
    ucum: q?.system === UCUM ? str(q.code) : undefined,
    valueText: value === undefined ? valueText(o) : undefined,
    interpretation: interpretationText(o.interpretation),
    referenceRange: referenceRangeView(o.referenceRange),
    outOfRange: check === undefined ? undefined : check !== "within",
    rangeFlag: check === "low" || check === "high" ? check : undefined,
  };
}

export function observationView(o: Observation): ObservationView {
  const own = measuredValue(o);
  const components = list(o.component).filter(isObject).map(measuredValue);
  const checked = components.filter((c) => c.outOfRange !== undefined);
  const outOfRange = checked.length === 0 ? own.outOfRange : checked.some((c) => c.outOfRange);
  const flags = new Set(checked.map((c) => c.rangeFlag).filter((f) => f !== undefined));
  const rangeFlag = checked.length === 0 ? own.rangeFlag : flags.size === 1 ? [...flags][0] : undefined;
  return {
    ...own,
    outOfRange,
    rangeFlag,
    date: str(o.effectiveDateTime) ?? str(o.effectiveInstant) ?? periodStart(o.effectivePeriod) ?? str(o.issued),
    status: str(o.status),
    categories: unique(
      list(o.category).flatMap((c) =>
        isObject(c)
          ? list(c.coding)
              .filter(isObject)
              .map((k) => str(k.code))
          : [],
      ),
    ),
    components,
  };
}

/** Whether an Observation only groups others (a panel with `hasMember` and no value of its own). */
export function isPanelOnly(view: ObservationView, o: Observation): boolean {
  return (
    list(o.hasMember).length > 0 &&
    view.value === undefined &&
    view.valueText === undefined &&
    view.components.length === 0
  );
}

export type ObservationKind = "labs" | "vitals" | "otherObservations";

export function observationKind(view: ObservationView): ObservationKind {
  if (view.categories.some((c) => c === "vital-signs" || c === "vital-sign")) return "vitals";
  if (view.categories.includes("laboratory")) return "labs";
  if (view.loinc !== undefined && VITAL_SIGN_LOINC.has(view.loinc)) return "vitals";
  return view.categories.length === 0 ? "labs" : "otherObservations";
}
