/**
 * Rhythm screening of a short window of detected beats (typically 10 s): heart rate, RR
 * irregularity (possible atrial fibrillation), pauses, premature beats, and, when the signal is
 * given, wide or aberrant QRS complexes. It flags windows for a clinician to look at; it is
 * not a diagnosis.
 *
 * Measures and thresholds (each an exported constant below, with its source):
 *
 * - heart rate from the median RR interval; bradycardia below {@link BRADYCARDIA_BPM},
 *   tachycardia above {@link TACHYCARDIA_BPM}; a pause is an RR of {@link PAUSE_SECONDS} or
 *   more;
 * - premature beat: RR before it shorter than {@link PREMATURE_RR_RATIO} × the window's
 *   median RR, followed by an RR at least {@link COMPENSATORY_PAUSE_RATIO} × the median;
 * - RR irregularity: the normalised root mean square of successive RR differences,
 *   `nRMSSD = RMSSD / mean RR`, the statistic Dash et al. (2009) use for atrial fibrillation,
 *   computed over the RR intervals left after removing pauses and the intervals before and
 *   after each ectopic beat (premature, or shaped unlike the window's median beat; Dash et al.
 *   also remove ectopic outliers first), taking successive differences across the gaps; so
 *   isolated ectopic beats and a pause do not count as irregularity, while atrial fibrillation,
 *   whose beats are irregular but conducted normally, does. Irregular when above
 *   {@link IRREGULAR_NRMSSD} with at least {@link MIN_RR_DIFFERENCES} differences; pNN50 (the
 *   fraction of successive differences over 50 ms, Task Force of the ESC and NASPE 1996) is
 *   reported alongside;
 * - QRS morphology (signal given, at least {@link MIN_TEMPLATE_BEATS} beats): each beat's
 *   Pearson correlation with the window's median beat over −100…+150 ms around the R peak
 *   (best over ±10 ms shifts), aberrant below {@link ABERRANT_CORRELATION}; and a QRS width
 *   estimate, wide from {@link WIDE_QRS_SECONDS}.
 *
 * Sources: Dash S, Chon KH, Lu S, Raeder EA. Automatic real time detection of atrial
 * fibrillation. Ann Biomed Eng 37(9):1701-1709 (2009) (they judge 128-beat segments; a 10 s
 * window holds 8-20 beats, so the measure is noisier here).
 * Kusumoto FM et al. 2018 ACC/AHA/HRS guideline on bradycardia and cardiac conduction delay.
 * Circulation 140:e382-e482 (2019). Page RL et al. 2015 ACC/AHA/HRS guideline for adult
 * supraventricular tachycardia. Circulation 133:e506-e574 (2016). Surawicz B et al.
 * AHA/ACCF/HRS recommendations for the standardization and interpretation of the ECG, part
 * III: intraventricular conduction disturbances. Circulation 119:e235-e240 (2009). Task Force
 * of the ESC and NASPE. Heart rate variability: standards of measurement, physiological
 * interpretation and clinical use. Circulation 93(5):1043-1065 (1996).
 *
 * @module
 */
import { EcgInputError, checkSamplingFrequency } from "./qrs/errors.ts";

/** Heart rate (bpm) below which a window is bradycardic: 50 bpm, the 2018 ACC/AHA/HRS bradycardia guideline's sinus bradycardia. */
export const BRADYCARDIA_BPM = 50;
/** Heart rate (bpm) above which a window is tachycardic: 100 bpm, the 2015 ACC/AHA/HRS SVT guideline's sinus tachycardia. */
export const TACHYCARDIA_BPM = 100;
/** An RR interval (s) at least this long is a pause: 3 s, the 2018 ACC/AHA/HRS bradycardia guideline's threshold for a significant pause. */
export const PAUSE_SECONDS = 3;
/** A beat is premature when its RR is below this fraction of the window's median RR: 0.85 (a common Holter prematurity criterion). */
export const PREMATURE_RR_RATIO = 0.85;
/** …and the RR after it is at least this fraction of the median RR (a compensatory or resetting pause; ours). */
export const COMPENSATORY_PAUSE_RATIO = 1;
/** nRMSSD (RMSSD / mean RR) above which the rhythm is irregular: 0.1, Dash et al. (2009). */
export const IRREGULAR_NRMSSD = 0.1;
/** Fewest successive RR differences (after removing pauses and ectopic beats) needed to judge irregularity (ours; 10 s at 40 bpm give 5). */
export const MIN_RR_DIFFERENCES = 4;
/** QRS width (s) from which a complex is wide: 120 ms, complete bundle branch block and ventricular beats (Surawicz et al. 2009). */
export const WIDE_QRS_SECONDS = 0.12;
/**
 * Correlation with the window's median beat below which a beat's QRS is aberrant: 0.9 (ours,
 * measured on MIT-BIH 10 s windows: under 1 % of normal beats of clean records and 70-100 % of
 * ventricular beats fall below it).
 */
export const ABERRANT_CORRELATION = 0.9;
/** Fewest beats with a full segment in the signal needed to build a median-beat template (ours). */
export const MIN_TEMPLATE_BEATS = 3;

/** Input of {@link screenRhythm}. */
export interface RhythmScreenInput {
  /** Sample indexes of the window's R peaks, strictly increasing (e.g. from `QrsDetector`). */
  rPeaks: readonly number[];
  /** Sampling frequency of the indexes and the signal (Hz). */
  samplingFrequency: number;
  /**
   * One lead's samples (any unit), indexed like `rPeaks` (`signal[rPeaks[k]]` is beat `k`'s R
   * peak; passing the whole recording is fine). Needed for QRS width and morphology.
   */
  signal?: ArrayLike<number>;
  /** RR interval (samples) from the beat before the window to `rPeaks[0]`, when known. */
  previousRr?: number;
}

/** What {@link screenRhythm} found about one beat. */
export interface BeatScreen {
  /** Sample index of the R peak. */
  sample: number;
  /** RR interval before the beat (s), or `null` for the first beat without `previousRr`. */
  rrBeforeSeconds: number | null;
  /** Premature: short RR before, then a pause (see {@link PREMATURE_RR_RATIO}). */
  premature: boolean;
  /** QRS width estimate (s), or `null` without a signal or too close to its ends. */
  qrsWidthSeconds: number | null;
  /** Correlation with the window's median beat, or `null` when there is no template. */
  templateCorrelation: number | null;
  /**
   * QRS width ≥ {@link WIDE_QRS_SECONDS}; a beat that correlates with the window's median beat
   * counts as wide only when the median beat is wide too (so noise on a normal beat does not
   * widen it).
   */
  wide: boolean;
  /** Not wide, but correlation with the template < {@link ABERRANT_CORRELATION}. */
  aberrant: boolean;
}

/** Result of {@link screenRhythm}. */
export interface RhythmScreen {
  /** Beats in the window. */
  beatCount: number;
  /** Heart rate (bpm) from the median RR interval, or `null` with no RR interval. */
  heartRateBpm: number | null;
  /** Median RR interval (s), or `null`. */
  medianRrSeconds: number | null;
  /** Longest RR interval (s), or `null`. */
  longestRrSeconds: number | null;
  /**
   * nRMSSD = RMSSD / mean RR over the RR intervals shorter than {@link PAUSE_SECONDS} and not
   * next to an ectopic beat (premature, or aberrant/wide unlike the window's median beat), or
   * `null` with fewer than {@link MIN_RR_DIFFERENCES} successive differences.
   */
  normalizedRmssd: number | null;
  /** Fraction of those successive RR differences larger than 50 ms (pNN50), or `null` likewise. */
  pnn50: number | null;
  /** nRMSSD > {@link IRREGULAR_NRMSSD}. */
  irregular: boolean;
  /** Sample indexes of the premature beats. */
  prematureBeats: number[];
  /** Sample indexes of the wide-QRS beats. */
  wideBeats: number[];
  /** Sample indexes of the beats with aberrant (not wide) QRS morphology. */
  aberrantBeats: number[];
  /** Per-beat findings, in order. */
  beats: BeatScreen[];
  /** True when any reason was found. */
  abnormal: boolean;
  /**
   * Plain-language reasons, e.g. `"bradycardia 42 bpm"`, `"irregular RR (possible atrial
   * fibrillation)"`, `"3 premature beats"`, `"2 wide-QRS beats"`,
   * `"1 beat with aberrant QRS morphology"`, `"pause 3.4 s"`, `"tachycardia 128 bpm"`.
   */
  reasons: string[];
}

const median = (values: readonly number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * Screens a window of beats for rhythm and conduction abnormalities.
 *
 * @param input - R peaks (samples), sampling frequency (Hz), optional signal and RR before the window.
 * @returns Heart rate, irregularity, premature / wide / aberrant beats, `abnormal` and `reasons`.
 *   With fewer than 2 beats and no `previousRr` nothing can be measured: `heartRateBpm` is
 *   `null` and no reason is given (a caller that knows the window's length should treat it as
 *   a pause).
 * @throws {@link EcgInputError} on a non-positive or non-finite sampling frequency, R peaks
 *   that are not finite integers in strictly increasing order, a non-positive `previousRr`, or
 *   a `NaN`/infinite sample in the part of the signal read.
 */
export function screenRhythm(input: RhythmScreenInput): RhythmScreen {
  const fs = input.samplingFrequency;
  checkSamplingFrequency(fs);
  const peaks = input.rPeaks;
  peaks.forEach((p, k) => {
    if (!Number.isInteger(p)) throw new EcgInputError(`rPeaks[${k}] is ${String(p)}, not a sample index.`);
    if (k > 0 && p <= peaks[k - 1]!)
      throw new EcgInputError(
        `rPeaks[${k}] (${p}) does not follow rPeaks[${k - 1}] (${peaks[k - 1]}); R peaks must be strictly increasing.`,
      );
  });
  if (input.previousRr !== undefined && !(Number.isFinite(input.previousRr) && input.previousRr > 0)) {
    throw new EcgInputError(`previousRr is ${String(input.previousRr)}; it must be a positive number of samples.`);
  }
  const n = peaks.length;
  // rrBefore[k]: RR (s) ending at beat k.
  const rrBefore: (number | null)[] = peaks.map((p, k) =>
    k > 0 ? (p - peaks[k - 1]!) / fs : input.previousRr !== undefined ? input.previousRr / fs : null,
  );
  const rrs = rrBefore.filter((x): x is number => x !== null);
  const medianRr = rrs.length ? median(rrs) : null;

  const premature = peaks.map((_, k) => {
    const before = rrBefore[k],
      after = rrBefore[k + 1];
    return (
      medianRr !== null &&
      before != null &&
      after != null &&
      before < PREMATURE_RR_RATIO * medianRr &&
      after >= COMPENSATORY_PAUSE_RATIO * medianRr
    );
  });

  const morphology = input.signal ? assessMorphology(input.signal, peaks, fs) : null;
  const beats: BeatScreen[] = peaks.map((sample, k) => {
    const width = morphology?.widths[k] ?? null;
    const correlation = morphology?.correlations[k] ?? null;
    // A beat shaped like the window's median beat is wide only if the median beat is.
    const likeTemplate = correlation !== null && correlation >= ABERRANT_CORRELATION;
    const wide =
      width !== null && width >= WIDE_QRS_SECONDS && (!likeTemplate || morphology!.templateWidth! >= WIDE_QRS_SECONDS);
    return {
      sample,
      rrBeforeSeconds: rrBefore[k] ?? null,
      premature: premature[k]!,
      qrsWidthSeconds: width,
      templateCorrelation: correlation,
      wide,
      aberrant: !wide && correlation !== null && correlation < ABERRANT_CORRELATION,
    };
  });

  // Irregularity over the RR intervals that are not pauses and not next to an ectopic beat
  // (premature, or shaped unlike the window's median beat).
  const ectopic = beats.map(
    (b) => b.premature || (b.templateCorrelation !== null && b.templateCorrelation < ABERRANT_CORRELATION),
  );
  const kept = rrBefore.map((rr, k) =>
    rr !== null && rr < PAUSE_SECONDS && !ectopic[k] && !(k > 0 && ectopic[k - 1]) ? rr : null,
  );
  const keptValues = kept.filter((x): x is number => x !== null);
  // Successive differences of the kept series, across the gaps left by removed intervals.
  const differences = keptValues.slice(1).map((rr, k) => rr - keptValues[k]!);
  let normalizedRmssd: number | null = null,
    pnn50: number | null = null;
  if (differences.length >= MIN_RR_DIFFERENCES) {
    const meanRr = keptValues.reduce((a, b) => a + b, 0) / keptValues.length;
    normalizedRmssd = Math.sqrt(differences.reduce((a, d) => a + d * d, 0) / differences.length) / meanRr;
    pnn50 = differences.filter((d) => Math.abs(d) > 0.05).length / differences.length;
  }
  const irregular = normalizedRmssd !== null && normalizedRmssd > IRREGULAR_NRMSSD;

  const heartRateBpm = medianRr === null ? null : 60 / medianRr;
  const longestRr = rrs.length ? Math.max(...rrs) : null;
  const prematureBeats = beats.filter((b) => b.premature).map((b) => b.sample);
  const wideBeats = beats.filter((b) => b.wide).map((b) => b.sample);
  const aberrantBeats = beats.filter((b) => b.aberrant).map((b) => b.sample);
  const reasons: string[] = [];
  if (heartRateBpm !== null && heartRateBpm < BRADYCARDIA_BPM)
    reasons.push(`bradycardia ${Math.round(heartRateBpm)} bpm`);
  if (heartRateBpm !== null && heartRateBpm > TACHYCARDIA_BPM)
    reasons.push(`tachycardia ${Math.round(heartRateBpm)} bpm`);
  if (longestRr !== null && longestRr >= PAUSE_SECONDS) reasons.push(`pause ${longestRr.toFixed(1)} s`);
  if (irregular) reasons.push("irregular RR (possible atrial fibrillation)");
  if (prematureBeats.length) reasons.push(plural(prematureBeats.length, "premature beat", "premature beats"));
  if (wideBeats.length) reasons.push(plural(wideBeats.length, "wide-QRS beat", "wide-QRS beats"));
  if (aberrantBeats.length)
    reasons.push(
      plural(aberrantBeats.length, "beat with aberrant QRS morphology", "beats with aberrant QRS morphology"),
    );
  return {
    beatCount: n,
    heartRateBpm,
    medianRrSeconds: medianRr,
    longestRrSeconds: longestRr,
    normalizedRmssd,
    pnn50,
    irregular,
    prematureBeats,
    wideBeats,
    aberrantBeats,
    beats,
    abnormal: reasons.length > 0,
    reasons,
  };
}

/** Segment around each R peak: [-100 ms, +150 ms] for the template, ±150 ms for the width. */
const TEMPLATE_BEFORE_SECONDS = 0.1,
  TEMPLATE_AFTER_SECONDS = 0.15,
  WIDTH_REACH_SECONDS = 0.15;

/**
 * QRS width estimates and template correlations of the beats (null where a beat's segment
 * leaves the signal).
 */
function assessMorphology(
  signal: ArrayLike<number>,
  peaks: readonly number[],
  fs: number,
): { widths: (number | null)[]; correlations: (number | null)[]; templateWidth: number | null } {
  const before = Math.round(TEMPLATE_BEFORE_SECONDS * fs),
    after = Math.round(TEMPLATE_AFTER_SECONDS * fs);
  const h = Math.max(1, Math.round(0.008 * fs)); // derivative step
  const maxLag = Math.round(0.01 * fs);
  const reach = Math.max(before + maxLag, after + maxLag, Math.round(WIDTH_REACH_SECONDS * fs) + h);
  const read = (i: number) => {
    const v = signal[i];
    if (typeof v !== "number" || !Number.isFinite(v))
      throw new EcgInputError(`signal[${i}] is ${String(v)}, not a finite number.`);
    return v;
  };
  const segments: (Float64Array | null)[] = peaks.map((r) => {
    if (r - reach < 0 || r + reach >= signal.length) return null;
    const s = new Float64Array(2 * reach + 1);
    for (let i = -reach; i <= reach; i++) s[i + reach] = read(r + i);
    return s;
  });
  const widths = segments.map((s) => (s ? qrsWidth(s, reach, h, fs) : null));
  const full = segments.filter((s): s is Float64Array => s !== null);
  let correlations: (number | null)[] = peaks.map(() => null);
  let templateWidth: number | null = null;
  if (full.length >= MIN_TEMPLATE_BEATS) {
    // Median beat over the whole segment (for its width), correlated over [-before, +after].
    const lo = reach - before,
      hi = reach + after;
    const median = new Float64Array(2 * reach + 1);
    const column = new Float64Array(full.length);
    for (let i = 0; i < median.length; i++) {
      full.forEach((s, k) => (column[k] = s[i]!));
      column.sort();
      const m = column.length >> 1;
      median[i] = column.length % 2 ? column[m]! : (column[m - 1]! + column[m]!) / 2;
    }
    templateWidth = qrsWidth(median, reach, h, fs);
    const template = median.subarray(lo, hi + 1);
    correlations = segments.map((s) => {
      if (!s) return null;
      let best = -1;
      for (let lag = -maxLag; lag <= maxLag; lag++) best = Math.max(best, pearson(template, s, lo + lag));
      return best;
    });
  }
  return { widths, correlations, templateWidth };
}

/** Pearson correlation of `template` with `s[offset … offset + template.length - 1]` (inside `s`); 0 when either is flat. */
function pearson(template: Float64Array, s: Float64Array, offset: number): number {
  const n = template.length;
  let sa = 0,
    sb = 0,
    saa = 0,
    sbb = 0,
    sab = 0;
  for (let i = 0; i < n; i++) {
    const a = template[i]!,
      b = s[offset + i]!;
    sa += a;
    sb += b;
    saa += a * a;
    sbb += b * b;
    sab += a * b;
  }
  const va = saa - (sa * sa) / n,
    vb = sbb - (sb * sb) / n;
  return va > 0 && vb > 0 ? (sab - (sa * sb) / n) / Math.sqrt(va * vb) : 0;
}

/**
 * QRS width estimate (s) of the segment `s` centred on the R peak at index `centre`: the
 * slope `(x[i+h] - x[i-h]) / 2h` (h ≈ 8 ms, which also smooths noise) is taken within
 * ±150 ms; from the steepest point within ±60 ms, the complex extends outward while the slope
 * stays above 10 % of that maximum, bridging dips of up to 20 ms (the R apex, Q and S turns);
 * the width is that span plus 2h, standing in for the onset and offset tails below the
 * threshold. Ours, calibrated on MIT-BIH: normal
 * beats of record 100 measure 70-85 ms, left bundle branch block beats (109, 111) 130-180 ms,
 * ventricular beats of 208 and 233 mostly over 120 ms. It is an estimate for screening, not a
 * caliper measurement.
 */
function qrsWidth(s: Float64Array, centre: number, h: number, fs: number): number {
  const reach = Math.round(WIDTH_REACH_SECONDS * fs);
  const core = Math.round(0.06 * fs),
    gap = Math.round(0.02 * fs);
  const slope = (i: number) => Math.abs(s[i + h]! - s[i - h]!);
  let at = centre,
    max = 0;
  for (let i = centre - core; i <= centre + core; i++) {
    const v = slope(i);
    if (v > max) {
      max = v;
      at = i;
    }
  }
  if (max === 0) return 0;
  const threshold = 0.1 * max;
  let first = at,
    last = at;
  for (let i = at, miss = 0; i >= centre - reach && miss <= gap; i--) {
    if (slope(i) >= threshold) {
      first = i;
      miss = 0;
    } else miss++;
  }
  for (let i = at, miss = 0; i <= centre + reach && miss <= gap; i++) {
    if (slope(i) >= threshold) {
      last = i;
      miss = 0;
    } else miss++;
  }
  return (last - first + 2 * h) / fs;
}
