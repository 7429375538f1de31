/**
 * Beat-by-beat comparison of QRS detections with reference annotations, after ANSI/AAMI
 * EC57:2012 (section 3.5 and 4.3) and EC38, as PhysioNet's `bxb` does it:
 *
 * - a detection matches a reference beat when they are at most 150 ms apart; each reference
 *   beat and each detection is used at most once, the closest pairs first;
 * - TP = matched reference beats, FN = unmatched reference beats, FP = unmatched detections;
 *   sensitivity `Se = TP / (TP + FN)`, positive predictivity `+P = TP / (TP + FP)`;
 * - the whole record is compared (no 5-minute learning period is skipped), except the
 *   intervals {@link excludedIntervals} finds in the reference: ventricular flutter or
 *   fibrillation episodes (`[` to `]`), which EC57 excludes from QRS detection statistics, and
 *   "shutdown" segments where the reference marks both signals unreadable (a noise annotation
 *   `~` with the unreadable bits of signals 0 and 1). Reference beats and detections inside
 *   them are left out.
 *
 * @module
 */
import { BEAT_SYMBOLS } from "../wfdb/annotations.ts";
import type { WfdbAnnotation } from "../wfdb/annotations.ts";
import { EcgInputError, checkSamplingFrequency } from "./errors.ts";

/** Match window (s): a detection within 150 ms of a reference beat matches it (EC57 §3.5.2). */
export const MATCH_WINDOW_SECONDS = 0.15;

/** A half-open interval of sample indexes `[start, end)`. */
export interface SampleInterval {
  /** First sample inside. */
  start: number;
  /** First sample after. */
  end: number;
}

/** Result of {@link compareBeats}. Counts are beats; ratios are in [0, 1], or `NaN` when their denominator is 0. */
export interface BeatComparison {
  /** Reference beats compared (outside the excluded intervals). */
  referenceBeats: number;
  /** Detections compared (outside the excluded intervals). */
  detections: number;
  /** True positives: reference beats matched by a detection. */
  tp: number;
  /** False negatives: reference beats without a detection. */
  fn: number;
  /** False positives: detections without a reference beat. */
  fp: number;
  /** Sensitivity `TP / (TP + FN)`. */
  sensitivity: number;
  /** Positive predictivity `TP / (TP + FP)`. */
  positivePredictivity: number;
  /** Sample indexes of the missed reference beats. */
  missed: number[];
  /** Sample indexes of the false detections. */
  falseDetections: number[];
  /** Matched detection minus reference (samples), one per TP, in reference order. */
  offsets: number[];
}

/** Options of {@link compareBeats}. */
export interface CompareBeatsOptions {
  /** Sampling frequency of both index lists (Hz). */
  samplingFrequency: number;
  /** Match window (s); default {@link MATCH_WINDOW_SECONDS}. */
  matchWindowSeconds?: number;
  /** Intervals left out of the comparison (see {@link excludedIntervals}); default none. */
  excluded?: readonly SampleInterval[];
}

const sortedCopy = (values: readonly number[], what: string): number[] => {
  for (const v of values)
    if (!Number.isFinite(v)) throw new EcgInputError(`${what} contains ${String(v)}, not a sample index.`);
  return [...values].sort((a, b) => a - b);
};

/** Whether `sample` lies in one of `intervals` (sorted or not). */
function inside(sample: number, intervals: readonly SampleInterval[]): boolean {
  for (const { start, end } of intervals) if (sample >= start && sample < end) return true;
  return false;
}

/**
 * Compares detections with reference beats, beat by beat.
 *
 * @param reference - Sample indexes of the reference beats (any order).
 * @param detections - Sample indexes of the detected beats (any order).
 * @param options - Sampling frequency, match window, excluded intervals.
 * @returns TP, FN, FP, Se, +P and the unmatched beats.
 * @throws {@link EcgInputError} on a non-positive sampling frequency or a non-finite index.
 */
export function compareBeats(
  reference: readonly number[],
  detections: readonly number[],
  options: CompareBeatsOptions,
): BeatComparison {
  checkSamplingFrequency(options.samplingFrequency, 0);
  const excluded = options.excluded ?? [];
  const window = Math.round((options.matchWindowSeconds ?? MATCH_WINDOW_SECONDS) * options.samplingFrequency);
  const ref = sortedCopy(reference, "reference").filter((s) => !inside(s, excluded));
  const det = sortedCopy(detections, "detections").filter((s) => !inside(s, excluded));
  // Every pair within the window (few per beat, since beats are >= 200 ms apart), closest first.
  const pairs: [distance: number, r: number, d: number][] = [];
  let lo = 0;
  for (let r = 0; r < ref.length; r++) {
    while (lo < det.length && det[lo]! < ref[r]! - window) lo++;
    for (let d = lo; d < det.length && det[d]! <= ref[r]! + window; d++)
      pairs.push([Math.abs(det[d]! - ref[r]!), r, d]);
  }
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const refMatch = new Int32Array(ref.length).fill(-1);
  const detUsed = new Uint8Array(det.length);
  for (const [, r, d] of pairs) {
    if (refMatch[r] !== -1 || detUsed[d]) continue;
    refMatch[r] = d;
    detUsed[d] = 1;
  }
  const missed: number[] = [],
    offsets: number[] = [],
    falseDetections: number[] = [];
  ref.forEach((s, r) => (refMatch[r] === -1 ? missed.push(s) : offsets.push(det[refMatch[r]!]! - s)));
  det.forEach((s, d) => detUsed[d] || falseDetections.push(s));
  const tp = offsets.length,
    fn = missed.length,
    fp = falseDetections.length;
  return {
    referenceBeats: ref.length,
    detections: det.length,
    tp,
    fn,
    fp,
    sensitivity: tp + fn === 0 ? Number.NaN : tp / (tp + fn),
    positivePredictivity: tp + fp === 0 ? Number.NaN : tp / (tp + fp),
    missed,
    falseDetections,
    offsets,
  };
}

/** Sample indexes of the beat annotations (symbols in {@link BEAT_SYMBOLS}) among `annotations`. */
export function referenceBeats(annotations: readonly Pick<WfdbAnnotation, "sample" | "symbol">[]): number[] {
  return annotations.filter((a) => BEAT_SYMBOLS.has(a.symbol)).map((a) => a.sample);
}

/**
 * Intervals of a record left out of QRS detection statistics, as PhysioNet's `bxb` finds them
 * in the reference annotations:
 *
 * - ventricular flutter or fibrillation: from a `[` annotation to the next `]` (the end of the
 *   record when none follows);
 * - shutdown (no signal readable): from a noise annotation `~` whose subtype has bits 4 and 5
 *   set (signals 0 and 1 unreadable; MIT-BIH writes -1) to the next annotation when that is a
 *   `~` without both bits; otherwise (a lone shutdown mark, the AHA convention) from one match
 *   window after the previous beat or VF end to one match window before the next annotation.
 *
 * @param annotations - Reference annotations in sample order.
 * @param sampleCount - Samples in the record (end of an unterminated interval).
 * @param samplingFrequency - Hz, for the match window.
 * @param matchWindowSeconds - Default {@link MATCH_WINDOW_SECONDS}.
 * @returns Half-open intervals `[start, end)`, sorted.
 * @throws {@link EcgInputError} on a non-positive sampling frequency.
 */
export function excludedIntervals(
  annotations: readonly Pick<WfdbAnnotation, "sample" | "symbol" | "subtype">[],
  sampleCount: number,
  samplingFrequency: number,
  matchWindowSeconds = MATCH_WINDOW_SECONDS,
): SampleInterval[] {
  checkSamplingFrequency(samplingFrequency);
  const window = Math.round(matchWindowSeconds * samplingFrequency);
  const out: SampleInterval[] = [];
  const shutdown = (a: Pick<WfdbAnnotation, "symbol" | "subtype">) => a.symbol === "~" && (a.subtype & 0x30) === 0x30;
  let lastBeat = -1,
    vfEnd = -1;
  for (let k = 0; k < annotations.length; k++) {
    const a = annotations[k]!;
    if (BEAT_SYMBOLS.has(a.symbol)) lastBeat = a.sample;
    else if (a.symbol === "[") {
      let e = k + 1;
      while (e < annotations.length && annotations[e]!.symbol !== "]") e++;
      const end = e < annotations.length ? annotations[e]!.sample + 1 : sampleCount;
      out.push({ start: a.sample, end });
      vfEnd = end - 1;
      k = e;
    } else if (shutdown(a)) {
      const next = annotations[k + 1];
      if (!next) out.push({ start: a.sample, end: sampleCount });
      else if (next.symbol === "~" && !shutdown(next)) out.push({ start: a.sample, end: next.sample + 1 });
      else {
        const end = next.sample - window;
        out.push({ start: Math.min(Math.max(lastBeat, vfEnd) + window, end), end: end + 1 });
      }
    }
  }
  return out.sort((a, b) => a.start - b.start);
}
