"use client";

import { formatNumber } from "@meridian/sdk/fhir/browser";
import type { MeasuredValue, ObservationView } from "@meridian/sdk/fhir/browser";
import styles from "./fhir.module.css";

/** LOINC codes of a blood pressure's systolic and diastolic components. */
const SYSTOLIC = "8480-6";
const DIASTOLIC = "8462-4";

/**
 * An observation's result as text: a blood pressure as systolic/diastolic, a panel as one line
 * per component, otherwise the value with its unit, each flagged in words when out of range.
 */
export function ObservationResult({ observation: o }: { observation: ObservationView }) {
  const systolic = o.components.find((c) => c.loinc === SYSTOLIC);
  const diastolic = o.components.find((c) => c.loinc === DIASTOLIC);
  if (
    systolic?.value !== undefined &&
    diastolic?.value !== undefined &&
    systolic.unit === diastolic.unit &&
    o.components.length === 2
  ) {
    return (
      <span className={styles["fhir-number"]}>
        {`${formatNumber(systolic.value)}/${formatNumber(diastolic.value)}${systolic.unit !== undefined ? ` ${systolic.unit}` : ""}`}
        <RangeFlag value={o} />
      </span>
    );
  }
  if (o.components.length > 0) {
    return (
      <>
        {o.value !== undefined || o.valueText !== undefined ? (
          <div>
            <Value value={o} />
          </div>
        ) : null}
        {o.components.map((c, i) => (
          <div key={i}>
            {`${c.display}: `}
            <Value value={c} />
          </div>
        ))}
      </>
    );
  }
  return <Value value={o} />;
}

/** A measured value with its unit and, when out of range, a flag in words (not colour alone). */
function Value({ value: v }: { value: MeasuredValue }) {
  if (v.value === undefined) return <>{v.valueText}</>;
  return (
    <span className={styles["fhir-number"]}>
      {`${v.comparator ?? ""}${formatNumber(v.value)}${v.unit !== undefined ? ` ${v.unit}` : ""}`}
      <RangeFlag value={v} />
    </span>
  );
}

function RangeFlag({ value: v }: { value: MeasuredValue }) {
  if (v.outOfRange !== true) return null;
  if (v.rangeFlag === "high") {
    return (
      <span className={`${styles["fhir-flag"]} ${styles["fhir-flag-high"]}`}>
        <span aria-hidden="true">▲ </span>High
        <span className={styles["fhir-visually-hidden"]}>, above the reference range</span>
      </span>
    );
  }
  if (v.rangeFlag === "low") {
    return (
      <span className={`${styles["fhir-flag"]} ${styles["fhir-flag-low"]}`}>
        <span aria-hidden="true">▼ </span>Low
        <span className={styles["fhir-visually-hidden"]}>, below the reference range</span>
      </span>
    );
  }
  return (
    <span className={`${styles["fhir-flag"]} ${styles["fhir-flag-out"]}`}>
      <span aria-hidden="true">! </span>Out of range
    </span>
  );
}
