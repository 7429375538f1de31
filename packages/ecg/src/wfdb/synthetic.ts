/**
 * A synthetic MIT-BIH-like record, for running the monitoring chain where the shared MIT-BIH
 * files are absent (tests, browser tests, a first try of the CLI): one MLII lead at 360 Hz,
 * 200 adu/mV, baseline 1024 (the MIT-BIH conventions), drawn by {@link syntheticEcg} — sinus
 * rhythm at about 72 beats/min with premature wide (ventricular-like) beats at a set interval —
 * and reference annotations `N` and `V` at the drawn R peaks.
 *
 * @module
 */
import { syntheticEcg } from "../qrs/synthetic-ecg.ts";
import type { SyntheticBeat } from "../qrs/synthetic-ecg.ts";
import type { WfdbRecord } from "./record.ts";
import { checksum16 } from "./signal.ts";

/** Options of {@link syntheticRecord}. */
export interface SyntheticRecordOptions {
  /** Length (s); default 60. */
  durationSeconds?: number;
  /** Every `ectopicEvery`-th beat is a premature wide beat (0: none); default 8. */
  ectopicEvery?: number;
  /** Noise seed; default 1. */
  seed?: number;
}

/** Builds the record (see the module documentation). Deterministic for given options. */
export function syntheticRecord(options: SyntheticRecordOptions = {}): WfdbRecord {
  const fs = 360,
    gain = 200,
    baseline = 1024;
  const duration = options.durationSeconds ?? 60;
  const every = options.ectopicEvery ?? 8;
  const beats: SyntheticBeat[] = [];
  for (let t = 0.4, n = 1; t < duration - 0.5; n++) {
    const ectopic = every > 0 && n % every === 0;
    beats.push({ time: t, kind: ectopic ? "wide" : "normal" });
    t += ectopic ? 1.25 : n % every === every - 1 ? 0.5 : 0.83; // a short coupling interval, then a compensatory pause
  }
  const { signal, rPeaks } = syntheticEcg({
    samplingFrequency: fs,
    durationSeconds: duration,
    beats,
    seed: options.seed ?? 1,
  });
  const samples = Int16Array.from(signal, (mv) => Math.max(0, Math.min(2047, Math.round(mv * gain) + baseline)));
  return {
    header: {
      recordName: "synthetic",
      samplingFrequency: fs,
      sampleCount: samples.length,
      signals: [
        {
          fileName: "synthetic.dat",
          format: 212,
          gain,
          baseline,
          units: "mV",
          adcResolution: 11,
          adcZero: 1024,
          initialValue: samples[0] ?? 0,
          checksum: checksum16(samples),
          description: "MLII",
        },
      ],
      comments: ["synthetic ECG (McSharry-style Gaussian waves), not a patient"],
    },
    signals: [samples],
    annotations: rPeaks.map((sample, i) => ({
      sample,
      code: beats[i]!.kind === "wide" ? 5 : 1,
      symbol: beats[i]!.kind === "wide" ? "V" : "N",
      subtype: 0,
      channel: 0,
      num: 0,
      aux: "",
    })),
  };
}
