/**
 * Beat dataset for AAMI heartbeat classification: MLII lead in mV, baseline removed with the
 * two median filters of de Chazal et al. (2004), fixed windows around each R peak (0.25 s
 * before to 0.45 s after, downsampled from 360 Hz to 180 Hz, z-scored per beat) and RR-interval
 * features, labelled from the MIT-BIH reference annotations mapped to the AAMI classes
 * (ANSI/AAMI EC57).
 *
 * Source: P. de Chazal, M. O'Dwyer, R. B. Reilly, "Automatic classification of heartbeats using
 * ECG morphology and heartbeat interval features", IEEE Trans. Biomed. Eng. 51(7):1196-1206,
 * 2004 (baseline filters, RR features, DS1/DS2 split).
 *
 * @module
 */
import { AAMI_CLASSES, aamiClassOf } from "../aami.ts";
import type { AamiClass } from "../aami.ts";
import { MITDB_DIR } from "../wfdb/mitdb.ts";
import { MeridianError } from "@meridian/sdk";
import { readWfdbRecord, toMillivolts } from "../wfdb/index.ts";
import type { WfdbHeader } from "../wfdb/index.ts";

/** Sampling frequency (Hz) the model works at; other rates are resampled to it. MIT-BIH's rate. */
export const MODEL_SAMPLING_FREQUENCY = 360;
/** Window start before the R peak (s). */
export const WINDOW_BEFORE_S = 0.25;
/** Window end after the R peak (s). */
export const WINDOW_AFTER_S = 0.45;
/** Decimation factor of the beat window (360 Hz → 180 Hz, by averaging pairs of samples). */
export const DECIMATION = 2;
/** Window samples before the R peak at {@link MODEL_SAMPLING_FREQUENCY} (90). */
export const BEFORE_SAMPLES = Math.round(WINDOW_BEFORE_S * MODEL_SAMPLING_FREQUENCY);
/** Window samples from the R peak on at {@link MODEL_SAMPLING_FREQUENCY} (162). */
export const AFTER_SAMPLES = Math.round(WINDOW_AFTER_S * MODEL_SAMPLING_FREQUENCY);
/** Samples per beat window given to the model: 126 samples at 180 Hz (0.7 s). */
export const BEAT_LENGTH = (BEFORE_SAMPLES + AFTER_SAMPLES) / DECIMATION;
/**
 * RR-interval features, in this order, all ratios (dimensionless): pre-RR / average RR,
 * post-RR / average RR, local RR / average RR, pre-RR / local RR, post-RR / local RR,
 * pre-RR / post-RR. Pre-RR is the interval from the previous R peak, post-RR to the next one,
 * local RR the mean of the 10 RR intervals around the beat, average RR the mean RR over ±150 s
 * around the beat (de Chazal's 5-minute window), or over the whole input when it is shorter.
 * Only ratios are used so that the features describe prematurity relative to the patient's
 * own rhythm rather than the patient's heart rate (absolute intervals in seconds let the CNN
 * tie S beats to the heart rates of the few DS1 patients that have them).
 */
export const RR_FEATURE_NAMES = [
  "preRR_over_avg",
  "postRR_over_avg",
  "localRR_over_avg",
  "preRR_over_local",
  "postRR_over_local",
  "preRR_over_postRR",
] as const;
/** Number of RR features ({@link RR_FEATURE_NAMES}). */
export const RR_FEATURES = RR_FEATURE_NAMES.length;

/** An input the dataset code cannot use: no MLII lead, a bad sampling rate or R-peak list. */
export class BeatInputError extends MeridianError {
  override name = "BeatInputError" as const;
}

/**
 * Running median of `signal` over `width` samples centred on each sample (edges: the window
 * is clamped to the signal, i.e. the end samples are repeated). O(n·width) worst case with a
 * sorted window and binary search.
 *
 * @param width - Window length in samples; made odd by adding 1 when even.
 */
export function medianFilter(signal: ArrayLike<number>, width: number): Float32Array {
  const n = signal.length;
  const out = new Float32Array(n);
  if (n === 0) return out;
  const w = width % 2 === 0 ? width + 1 : Math.max(1, width);
  const h = (w - 1) / 2;
  const at = (i: number) => signal[i < 0 ? 0 : i >= n ? n - 1 : i]!;
  const win = new Float64Array(w);
  for (let k = 0; k < w; k++) win[k] = at(k - h);
  win.sort();
  const lowerBound = (v: number) => {
    let lo = 0,
      hi = w;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (win[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  for (let i = 0; ; i++) {
    out[i] = win[h]!;
    if (i === n - 1) break;
    const leaving = at(i - h);
    const entering = at(i + h + 1);
    const r = lowerBound(leaving);
    win.copyWithin(r, r + 1);
    // insert into the first w-1 entries
    let lo = 0,
      hi = w - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (win[mid]! < entering) lo = mid + 1;
      else hi = mid;
    }
    win.copyWithin(lo + 1, lo, w - 1);
    win[lo] = entering;
  }
  return out;
}

/**
 * Removes baseline wander as de Chazal et al. (2004) did: the baseline is a 200 ms median
 * filter followed by a 600 ms median filter of the signal; it is subtracted.
 *
 * @param signal - Samples in mV.
 * @param samplingFrequency - Hz.
 * @returns The signal minus its baseline (mV).
 */
export function removeBaseline(signal: ArrayLike<number>, samplingFrequency: number): Float32Array {
  const baseline = medianFilter(
    medianFilter(signal, Math.round(0.2 * samplingFrequency)),
    Math.round(0.6 * samplingFrequency),
  );
  const out = new Float32Array(signal.length);
  for (let i = 0; i < out.length; i++) out[i] = signal[i]! - baseline[i]!;
  return out;
}

/**
 * Linear-interpolation resampling from `fromHz` to `toHz` (returns a copy when equal).
 * Sample `i` of the output is at time `i / toHz` s.
 */
export function resample(signal: ArrayLike<number>, fromHz: number, toHz: number): Float32Array {
  if (fromHz === toHz) return Float32Array.from(signal);
  const n = Math.max(0, Math.floor(((signal.length - 1) * toHz) / fromHz) + 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = (i * fromHz) / toHz;
    const k = Math.floor(t);
    const f = t - k;
    out[i] = k + 1 < signal.length ? signal[k]! * (1 - f) + signal[k + 1]! * f : signal[signal.length - 1]!;
  }
  return out;
}

/** Index of the MLII lead in a header (by `description`), or `null` when there is none. */
export function mliiChannel(header: WfdbHeader): number | null {
  const i = header.signals.findIndex((s) => s.description.trim().toUpperCase() === "MLII");
  return i < 0 ? null : i;
}

/** Beats segmented from one signal: row `i` of each array belongs to beat `indexes[i]`. */
export interface SegmentedBeats {
  /** Number of beats kept. */
  count: number;
  /** Beat windows, `count × BEAT_LENGTH` (row-major), z-scored (dimensionless). */
  windows: Float32Array;
  /** RR features, `count × RR_FEATURES` (row-major), see {@link RR_FEATURE_NAMES}. */
  rr: Float32Array;
  /** RR intervals of each kept beat, `count × 4` (row-major): pre-RR, post-RR, local RR, average RR, in seconds. */
  rrSeconds: Float32Array;
  /** Index into the `rPeaks` argument of each kept beat. */
  indexes: number[];
  /** True for beats whose window was padded or whose pre/post-RR was missing (edge beats). */
  edge: boolean[];
}

/** Options of {@link segmentBeats}. */
export interface SegmentOptions {
  /**
   * `"skip"` (training): drop beats without a full window or without both neighbours.
   * `"pad"` (inference): keep them, repeating the signal's end samples and replacing a missing
   * pre/post-RR by the other one (or by 0.8 s when the input holds a single beat); they are
   * flagged in `edge`.
   */
  edges?: "skip" | "pad";
  /** Signal already baseline-corrected (skip {@link removeBaseline}); default false. */
  baselineRemoved?: boolean;
}

/**
 * Segments beats from a single-lead signal at {@link MODEL_SAMPLING_FREQUENCY}.
 *
 * @param signalMv - MLII samples in mV at 360 Hz.
 * @param rPeaks - R-peak sample indexes (360 Hz), ascending.
 * @throws {@link BeatInputError} when `rPeaks` is not ascending or holds an index outside the signal.
 */
export function segmentBeats(
  signalMv: ArrayLike<number>,
  rPeaks: readonly number[],
  options: SegmentOptions = {},
): SegmentedBeats {
  const fs = MODEL_SAMPLING_FREQUENCY;
  const n = signalMv.length;
  for (let i = 0; i < rPeaks.length; i++) {
    const r = rPeaks[i]!;
    if (!Number.isInteger(r) || r < 0 || r >= n)
      throw new BeatInputError(
        `R peak ${i} is at sample ${r}, outside the signal of ${n} samples (or not an integer).`,
      );
    if (i > 0 && r <= rPeaks[i - 1]!)
      throw new BeatInputError(`R peaks must be strictly ascending; peak ${i} (${r}) follows ${rPeaks[i - 1]}.`);
  }
  const clean = options.baselineRemoved ? signalMv : removeBaseline(signalMv, fs);
  const pad = options.edges === "pad";
  const rrs: number[] = [];
  for (let i = 1; i < rPeaks.length; i++) rrs.push((rPeaks[i]! - rPeaks[i - 1]!) / fs);
  const prefix = new Float64Array(rrs.length + 1);
  rrs.forEach((v, i) => (prefix[i + 1] = prefix[i]! + v));
  const meanRr = (from: number, to: number) => {
    const a = Math.max(0, from),
      b = Math.min(rrs.length, to);
    return b > a ? (prefix[b]! - prefix[a]!) / (b - a) : 0.8;
  };
  const windows: number[] = [],
    rrOut: number[] = [],
    rrSec: number[] = [],
    indexes: number[] = [],
    edge: boolean[] = [];
  const half = 150 * fs;
  let lo = 0,
    hi = 0; // beat-index range within ±150 s
  const beat = new Float32Array(BEAT_LENGTH);
  for (let i = 0; i < rPeaks.length; i++) {
    const r = rPeaks[i]!;
    const fullWindow = r - BEFORE_SAMPLES >= 0 && r + AFTER_SAMPLES <= n;
    const hasPre = i > 0,
      hasPost = i + 1 < rPeaks.length;
    const isEdge = !fullWindow || !hasPre || !hasPost;
    if (isEdge && !pad) continue;
    // RR features (rrs[i-1] is the pre-RR of beat i, rrs[i] its post-RR)
    while (rPeaks[lo]! < r - half) lo++;
    while (hi + 1 < rPeaks.length && rPeaks[hi + 1]! <= r + half) hi++;
    const avg = meanRr(lo, hi);
    const local = meanRr(i - 5, i + 5);
    let pre = hasPre ? rrs[i - 1]! : NaN,
      post = hasPost ? rrs[i]! : NaN;
    if (Number.isNaN(pre)) pre = Number.isNaN(post) ? 0.8 : post;
    if (Number.isNaN(post)) post = pre;
    rrSec.push(pre, post, local, avg);
    rrOut.push(pre / avg, post / avg, local / avg, pre / local, post / local, pre / post);
    // window: average pairs (360 → 180 Hz), then z-score
    let sum = 0;
    for (let k = 0; k < BEAT_LENGTH; k++) {
      let v = 0;
      for (let d = 0; d < DECIMATION; d++) {
        const j = r - BEFORE_SAMPLES + k * DECIMATION + d;
        v += clean[j < 0 ? 0 : j >= n ? n - 1 : j]!;
      }
      beat[k] = v / DECIMATION;
      sum += beat[k]!;
    }
    const mean = sum / BEAT_LENGTH;
    let ss = 0;
    for (let k = 0; k < BEAT_LENGTH; k++) ss += (beat[k]! - mean) ** 2;
    const sd = Math.max(Math.sqrt(ss / BEAT_LENGTH), 0.01);
    for (let k = 0; k < BEAT_LENGTH; k++) windows.push((beat[k]! - mean) / sd);
    indexes.push(i);
    edge.push(isEdge);
  }
  return {
    count: indexes.length,
    windows: Float32Array.from(windows),
    rr: Float32Array.from(rrOut),
    rrSeconds: Float32Array.from(rrSec),
    indexes,
    edge,
  };
}

/** A labelled beat dataset (one or more records). */
export interface BeatDataset extends SegmentedBeats {
  /** AAMI class index (into {@link AAMI_CLASSES}) of each beat. */
  labels: Uint8Array;
  /** R-peak sample index (360 Hz) of each beat. */
  samples: number[];
  /** Record name of each beat. */
  records: string[];
  /** Baseline-corrected MLII signal (mV) of each record, for the baseline model's morphology features. */
  cleanSignals: Map<string, Float32Array>;
}

/**
 * Segments one MIT-BIH record: MLII lead (found by the header's signal description, so 114's
 * channel 1 is used), converted to mV, baseline removed, beats at the reference annotation
 * positions whose symbol maps to an AAMI class ({@link aamiClassOf}); non-beat annotations are
 * skipped, and so are the first and last beats and beats whose window would leave the record.
 *
 * @param name - Record name (e.g. `"100"`).
 * @param directory - Folder of the records (default {@link MITDB_DIR}).
 * @throws {@link BeatInputError} when the record has no MLII lead or is not at 360 Hz;
 *   {@link WfdbFormatError} / `ENOENT` from {@link readWfdbRecord}.
 */
export async function recordBeats(name: string, directory = MITDB_DIR): Promise<BeatDataset> {
  const record = await readWfdbRecord(directory, name);
  const channel = mliiChannel(record.header);
  if (channel === null)
    throw new BeatInputError(
      `Record ${name} has no MLII lead (leads: ${record.header.signals.map((s) => s.description).join(", ")}).`,
      { hint: "The paced records 102 and 104 have no MLII lead; they are excluded from the de Chazal split." },
    );
  if (record.header.samplingFrequency !== MODEL_SAMPLING_FREQUENCY)
    throw new BeatInputError(
      `Record ${name} is sampled at ${record.header.samplingFrequency} Hz, not ${MODEL_SAMPLING_FREQUENCY} Hz.`,
    );
  const mv = toMillivolts(record.signals[channel]!, record.header.signals[channel]!);
  const clean = removeBaseline(mv, MODEL_SAMPLING_FREQUENCY);
  const beats = record.annotations.filter((a) => aamiClassOf(a.symbol) !== null);
  const rPeaks = beats.map((b) => b.sample);
  const seg = segmentBeats(clean, rPeaks, { edges: "skip", baselineRemoved: true });
  const labels = Uint8Array.from(seg.indexes.map((i) => AAMI_CLASSES.indexOf(aamiClassOf(beats[i]!.symbol)!)));
  return {
    ...seg,
    labels,
    samples: seg.indexes.map((i) => rPeaks[i]!),
    records: seg.indexes.map(() => name),
    cleanSignals: new Map([[name, clean]]),
  };
}

/** Concatenates datasets (in order). */
export function concatDatasets(parts: readonly BeatDataset[]): BeatDataset {
  const count = parts.reduce((s, p) => s + p.count, 0);
  const windows = new Float32Array(count * BEAT_LENGTH),
    rr = new Float32Array(count * RR_FEATURES),
    rrSeconds = new Float32Array(count * 4),
    labels = new Uint8Array(count);
  let at = 0;
  const out: BeatDataset = {
    count,
    windows,
    rr,
    rrSeconds,
    labels,
    indexes: [],
    edge: [],
    samples: [],
    records: [],
    cleanSignals: new Map(),
  };
  for (const p of parts) {
    windows.set(p.windows, at * BEAT_LENGTH);
    rr.set(p.rr, at * RR_FEATURES);
    rrSeconds.set(p.rrSeconds, at * 4);
    labels.set(p.labels, at);
    out.indexes.push(...p.indexes);
    out.edge.push(...p.edge);
    out.samples.push(...p.samples);
    out.records.push(...p.records);
    for (const [k, v] of p.cleanSignals) out.cleanSignals.set(k, v);
    at += p.count;
  }
  return out;
}

/** Selects rows `rows` of a dataset (in that order). */
export function selectRows(d: BeatDataset, rows: readonly number[]): BeatDataset {
  const windows = new Float32Array(rows.length * BEAT_LENGTH),
    rr = new Float32Array(rows.length * RR_FEATURES),
    rrSeconds = new Float32Array(rows.length * 4),
    labels = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    rrSeconds.set(d.rrSeconds.subarray(r * 4, (r + 1) * 4), i * 4);
    windows.set(d.windows.subarray(r * BEAT_LENGTH, (r + 1) * BEAT_LENGTH), i * BEAT_LENGTH);
    rr.set(d.rr.subarray(r * RR_FEATURES, (r + 1) * RR_FEATURES), i * RR_FEATURES);
    labels[i] = d.labels[r]!;
  });
  return {
    count: rows.length,
    windows,
    rr,
    rrSeconds,
    labels,
    indexes: rows.map((r) => d.indexes[r]!),
    edge: rows.map((r) => d.edge[r]!),
    samples: rows.map((r) => d.samples[r]!),
    records: rows.map((r) => d.records[r]!),
    cleanSignals: d.cleanSignals,
  };
}

/** Beats per AAMI class of a dataset. */
export function classCounts(labels: ArrayLike<number>): Record<AamiClass, number> {
  const out: Record<AamiClass, number> = { N: 0, S: 0, V: 0, F: 0, Q: 0 };
  for (let i = 0; i < labels.length; i++) out[AAMI_CLASSES[labels[i]!]!]++;
  return out;
}

export { seededRandom } from "../random.ts";

/** Fisher-Yates shuffle of `items` in place with {@link seededRandom}. */
export function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
