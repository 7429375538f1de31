"use client";

import { useMemo } from "react";
import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, XAxis, YAxis } from "recharts";
import { AAMI_CLASSES, AAMI_CLASS_NAMES } from "@meridian/ecg";
import type { AamiClass } from "@meridian/ecg";
import type { EcgWindowView } from "@meridian/monitoring/browser";
import styles from "./monitoring.module.css";

/** Colours of the AAMI classes on the strip (N quiet, ectopic beats loud); contrast ≥ 4.5:1 on white. */
export const CLASS_COLOURS: Readonly<Record<AamiClass, string>> = {
  N: "#2f6f3e",
  S: "#a35200",
  V: "#b3131b",
  F: "#6b2fa3",
  Q: "#0b5cad",
};

/** Points drawn per second: enough for a QRS (≥ 90 Hz keeps an R peak) at a fraction of 360 Hz. */
const DRAWN_PER_SECOND = 120;

/** Min-max decimation: for each bucket the sample farthest from the bucket's mean, so R peaks survive. */
function decimate(mv: Float32Array, fs: number): { t: number; mv: number }[] {
  const step = Math.max(1, Math.floor(fs / DRAWN_PER_SECOND));
  const points: { t: number; mv: number }[] = [];
  for (let i = 0; i < mv.length; i += step) {
    let pick = i,
      mean = 0;
    const end = Math.min(mv.length, i + step);
    for (let j = i; j < end; j++) mean += mv[j]!;
    mean /= end - i;
    for (let j = i; j < end; j++) if (Math.abs(mv[j]! - mean) > Math.abs(mv[pick]! - mean)) pick = j;
    points.push({ t: pick / fs, mv: mv[pick]! });
  }
  return points;
}

/**
 * One ECG window as a strip on ECG paper (major grid 0.2 s × 0.5 mV), with each beat marked at
 * its R peak by the edge model's AAMI class (N, S, V, F, Q; ANSI/AAMI EC57) and, for beats not
 * N, the model's probability of that class. A text summary names the strip for screen readers,
 * and a table beside it lists every beat.
 */
export function EcgStrip({ view }: { view: EcgWindowView }) {
  const points = useMemo(() => decimate(view.millivolts, view.samplingFrequency), [view]);
  const duration = view.millivolts.length / view.samplingFrequency;
  const [low, high] = useMemo(() => {
    let lo = Infinity,
      hi = -Infinity;
    for (const p of points) {
      lo = Math.min(lo, p.mv);
      hi = Math.max(hi, p.mv);
    }
    return [Math.floor(lo * 2) / 2 - 0.5, Math.ceil(hi * 2) / 2 + 0.5];
  }, [points]);
  const xTicks = useMemo(
    () => Array.from({ length: Math.floor(duration / 0.2) + 1 }, (_, i) => Math.round(i * 2) / 10),
    [duration],
  );
  const yTicks = useMemo(
    () => Array.from({ length: Math.round((high - low) / 0.5) + 1 }, (_, i) => low + i * 0.5),
    [low, high],
  );
  const counts =
    AAMI_CLASSES.filter((c) => view.classCounts[c] > 0)
      .map((c) => `${view.classCounts[c]} ${c}`)
      .join(", ") || "no beats";
  const summary = `Lead ${view.lead}, ${duration.toFixed(0)} s at ${view.samplingFrequency.toFixed(0)} Hz${view.heartRateBpm !== undefined ? `, heart rate ${view.heartRateBpm.toFixed(0)} per minute` : ""}; beats: ${counts}.`;
  return (
    <figure className={styles.strip} data-testid="ecg-strip">
      <figcaption>{summary}</figcaption>
      <div className={styles.paper} role="img" aria-label={`ECG strip. ${summary}`}>
        <ResponsiveContainer width="100%" height={260}>
          <LineChart data={points} margin={{ top: 22, right: 8, bottom: 4, left: 0 }}>
            <CartesianGrid stroke="#f3b8b8" strokeWidth={0.6} horizontal vertical />
            <XAxis
              dataKey="t"
              type="number"
              domain={[0, duration]}
              ticks={xTicks}
              tickFormatter={(t: number) => (Math.abs(t - Math.round(t)) < 1e-6 ? `${t} s` : "")}
              interval={0}
              tick={{ fontSize: 11 }}
            />
            <YAxis
              type="number"
              domain={[low, high]}
              ticks={yTicks}
              tickFormatter={(v: number) => (Number.isInteger(v) ? `${v} mV` : "")}
              width={48}
              tick={{ fontSize: 11 }}
            />
            <Line type="linear" dataKey="mv" stroke="#14171c" strokeWidth={1.1} dot={false} isAnimationActive={false} />
            {view.beats.map((b, i) => (
              <ReferenceLine
                key={i}
                x={b.timeSeconds}
                stroke={CLASS_COLOURS[b.aamiClass]}
                strokeOpacity={b.aamiClass === "N" ? 0.25 : 0.7}
                strokeDasharray="3 3"
                label={{
                  value: b.aamiClass,
                  position: "top",
                  fill: CLASS_COLOURS[b.aamiClass],
                  fontSize: 13,
                  fontWeight: 700,
                }}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <ul className={styles.legend} aria-label="AAMI beat classes">
        {AAMI_CLASSES.map((c) => (
          <li key={c}>
            <span style={{ color: CLASS_COLOURS[c] }} className={styles.swatch}>
              {c}
            </span>{" "}
            {AAMI_CLASS_NAMES[c]} ({view.classCounts[c]})
          </li>
        ))}
      </ul>
      <details>
        <summary>Every beat ({view.beats.length})</summary>
        <div className="table-wrap">
          <table data-testid="beat-table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Time (s)</th>
                <th scope="col">Class</th>
                <th scope="col">Model probability</th>
              </tr>
            </thead>
            <tbody>
              {view.beats.map((b, i) => (
                <tr key={i} className={b.aamiClass === "N" ? undefined : styles.ectopic}>
                  <td>{i + 1}</td>
                  <td>{b.timeSeconds.toFixed(3)}</td>
                  <td style={{ color: CLASS_COLOURS[b.aamiClass] }}>{b.aamiClass}</td>
                  <td>{b.probabilities ? `${(b.probabilities[b.aamiClass] * 100).toFixed(1)} %` : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
