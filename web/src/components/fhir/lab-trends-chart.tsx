"use client";

import { useId } from "react";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatFhirDate, formatNumber } from "@meridian/sdk/fhir/browser";
import type { LabTrend } from "@meridian/sdk/fhir/browser";
import styles from "./fhir.module.css";

/** Props of {@link LabTrendsChart}. */
export interface LabTrendsChartProps {
  /** Series from `labTrends(records)`; each gets its own small chart. */
  series: readonly LabTrend[];
  /** Level of each chart's heading (`h3`…`h5`); default 3. */
  headingLevel?: 3 | 4 | 5;
}

const DAY_MS = 86_400_000;

/** Milliseconds since the epoch of a FHIR date; `YYYY` and `YYYY-MM` count as their first day. */
function toTime(date: string): number {
  return Date.parse(/^\d{4}$/.test(date) ? `${date}-01-01` : /^\d{4}-\d{2}$/.test(date) ? `${date}-01` : date);
}

/** An epoch time as a UTC calendar date (`YYYY-MM-DD`), or only the year or month for axis ticks. */
function isoDay(t: number, length: 4 | 7 | 10 = 10): string {
  return new Date(t).toISOString().slice(0, length);
}

/** At most 5 axis ticks between `min` and `max` (epoch ms), on 1 January of evenly spaced years, or on the first of evenly spaced months for spans under two years. */
function timeTicks(min: number, max: number): { ticks: number[]; length: 4 | 7 } {
  const start = new Date(min);
  const end = new Date(max);
  const months = (end.getUTCFullYear() - start.getUTCFullYear()) * 12 + end.getUTCMonth() - start.getUTCMonth();
  const ticks: number[] = [];
  if (months >= 24) {
    const step = Math.ceil(months / 12 / 4);
    for (let y = start.getUTCFullYear() + 1; ticks.length < 5; y += step) {
      const t = Date.UTC(y, 0, 1);
      if (t > max) break;
      ticks.push(t);
    }
    return { ticks, length: 4 };
  }
  const step = Math.max(1, Math.ceil(months / 4));
  for (let m = start.getUTCMonth() + 1; ticks.length < 5; m += step) {
    const t = Date.UTC(start.getUTCFullYear(), m, 1);
    if (t > max) break;
    ticks.push(t);
  }
  return { ticks, length: 7 };
}

/**
 * Small line charts of lab values over time, one per series (glucose, HbA1c, cholesterol, ...),
 * with the date on the x-axis and the value in the series' unit on the y-axis. Each chart
 * has a text summary (count, date span, latest value, lowest and highest) that is shown and
 * used as its accessible name, and a visually hidden table of every value for screen readers.
 * Renders a short message when there are no series.
 */
export function LabTrendsChart({ series, headingLevel = 3 }: LabTrendsChartProps) {
  const idPrefix = useId();
  if (series.length === 0)
    return (
      <p className={styles["fhir-muted"]}>
        No glucose, HbA1c, cholesterol or haemoglobin values found in these records.
      </p>
    );
  const Heading = `h${headingLevel}` as const;
  return (
    <div className={styles["fhir-charts"]}>
      {series.map((s) => {
        const data = s.points
          .map((p) => ({ t: toTime(p.date), value: p.value, date: p.date }))
          .filter((p) => Number.isFinite(p.t));
        const first = data[0];
        const last = data[data.length - 1];
        if (first === undefined || last === undefined) return null;
        const values = data.map((p) => p.value);
        const unit = s.unit === "" ? "" : ` ${s.unit}`;
        const pad = Math.max((last.t - first.t) * 0.05, 30 * DAY_MS);
        const axis = timeTicks(first.t - pad, last.t + pad);
        const summary =
          `${s.label}: ${data.length} ${data.length === 1 ? "value" : "values"}` +
          (data.length > 1
            ? ` from ${formatFhirDate(first.date).slice(0, 10)} to ${formatFhirDate(last.date).slice(0, 10)}`
            : ` on ${formatFhirDate(last.date).slice(0, 10)}`) +
          `; latest ${formatNumber(last.value)}${unit}` +
          (data.length > 1
            ? `; lowest ${formatNumber(Math.min(...values))}${unit}, highest ${formatNumber(Math.max(...values))}${unit}`
            : "") +
          (s.skippedUnits > 0 ? `; ${s.skippedUnits} in another unit not shown` : "") +
          ".";
        const headingId = `${idPrefix}-${s.code}`;
        return (
          <figure key={s.code} className={styles["fhir-chart"]} aria-labelledby={headingId}>
            <figcaption>
              <Heading id={headingId} className={styles["fhir-chart-title"]}>
                {s.label}
                {unit !== "" ? ` (${s.unit})` : ""}
              </Heading>
            </figcaption>
            <div className={styles["fhir-chart-plot"]} role="img" aria-label={summary}>
              <ResponsiveContainer width="100%" height="100%">
                <LineChart data={data} margin={{ top: 8, right: 12, bottom: 20, left: 4 }} accessibilityLayer={false}>
                  <CartesianGrid stroke="#d5dae1" strokeDasharray="3 3" />
                  <XAxis
                    dataKey="t"
                    type="number"
                    domain={[first.t - pad, last.t + pad]}
                    ticks={axis.ticks}
                    tickFormatter={(t: number) => isoDay(t, axis.length)}
                    tick={{ fill: "#4a5361", fontSize: 12 }}
                    label={{ value: "Date", position: "insideBottom", offset: -14, fill: "#14171c", fontSize: 12 }}
                  />
                  <YAxis
                    dataKey="value"
                    domain={["auto", "auto"]}
                    width={56}
                    tickFormatter={(v: number) => formatNumber(v)}
                    tick={{ fill: "#4a5361", fontSize: 12 }}
                    label={{
                      value: s.unit === "" ? "Value" : s.unit,
                      angle: -90,
                      position: "insideLeft",
                      fill: "#14171c",
                      fontSize: 12,
                    }}
                  />
                  <Tooltip
                    labelFormatter={(t) => (typeof t === "number" ? isoDay(t) : typeof t === "string" ? t : "")}
                    formatter={(v) => [typeof v === "number" ? `${formatNumber(v)}${unit}` : String(v), s.label]}
                  />
                  <Line
                    type="linear"
                    dataKey="value"
                    name={s.label}
                    stroke="#0b5cad"
                    strokeWidth={2}
                    dot={{ r: 3 }}
                    isAnimationActive={false}
                  />
                </LineChart>
              </ResponsiveContainer>
            </div>
            <p className={styles["fhir-chart-summary"]} aria-hidden="true">
              {summary}
            </p>
            <table className={styles["fhir-visually-hidden"]}>
              <caption>{`${s.label} values${unit !== "" ? ` in${unit}` : ""}`}</caption>
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col">{`Value${unit !== "" ? ` (${s.unit})` : ""}`}</th>
                </tr>
              </thead>
              <tbody>
                {data.map((p, i) => (
                  <tr key={i}>
                    <td>{formatFhirDate(p.date)}</td>
                    <td>{formatNumber(p.value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </figure>
        );
      })}
    </div>
  );
}
