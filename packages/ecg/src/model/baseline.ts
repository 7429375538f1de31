/**
 * The classical baseline: de Chazal et al. (2004)-style heartbeat features (RR intervals, QRS
 * width and amplitude, samples of the QRS complex and of the T wave from the baseline-corrected
 * MLII signal) classified with linear discriminants (LDA: shared covariance, equal class
 * priors, so that each class weighs the same whatever its number of beats, as de Chazal
 * weighted his training data).
 *
 * Why our own LDA: no maintained LDA package is on the npm registry (`ml-lda` does not exist);
 * `ml-logistic-regression` 2.0.0 and `ml-random-forest` 2.1.0 do, but they would add
 * dependencies (and `ml-matrix`) to the workspace for a method that is not de Chazal's. LDA is
 * 40 lines: class means, pooled covariance, a Cholesky solve.
 *
 * @module
 */
import { AAMI_CLASSES } from "../aami.ts";
import { MODEL_SAMPLING_FREQUENCY } from "./dataset.ts";

/** Names of the baseline's 24 features, in order (seconds, mV). */
export const BASELINE_FEATURE_NAMES = [
  "preRR_s",
  "postRR_s",
  "localRR_s",
  "avgRR_s",
  "qrsWidth_s",
  "qrsPeakToPeak_mV",
  ...Array.from({ length: 10 }, (_, k) => `qrs_${k}_mV`),
  ...Array.from({ length: 8 }, (_, k) => `t_${k}_mV`),
] as const;

/**
 * Baseline features of the beat at sample `r` (360 Hz) of a baseline-corrected signal (mV),
 * given its RR intervals (`rrSeconds` row of `segmentBeats`, `dataset.ts`): pre-RR, post-RR, local RR,
 * average RR (s); QRS width (s, span of |slope| ≥ 30 % of its maximum within ±100 ms); QRS peak-to-peak
 * amplitude (mV, ±100 ms); 10 samples from −50 to +100 ms and 8 from +150 to +450 ms (mV), as
 * de Chazal's morphology features. Indexes outside the signal are clamped.
 */
export function baselineFeatures(clean: ArrayLike<number>, r: number, rrSeconds: ArrayLike<number>): Float64Array {
  const fs = MODEL_SAMPLING_FREQUENCY,
    n = clean.length;
  const at = (j: number) => clean[j < 0 ? 0 : j >= n ? n - 1 : j]!;
  const out = new Float64Array(BASELINE_FEATURE_NAMES.length);
  for (let k = 0; k < 4; k++) out[k] = rrSeconds[k]!;
  const w = Math.round(0.1 * fs);
  let maxSlope = 0,
    lo = Infinity,
    hi = -Infinity;
  for (let j = r - w; j <= r + w; j++) {
    maxSlope = Math.max(maxSlope, Math.abs(at(j + 1) - at(j)));
    lo = Math.min(lo, at(j));
    hi = Math.max(hi, at(j));
  }
  let first = r,
    last = r;
  for (let j = r - w; j <= r + w; j++)
    if (Math.abs(at(j + 1) - at(j)) >= 0.3 * maxSlope) {
      first = Math.min(first, j);
      last = Math.max(last, j);
    }
  out[4] = (last - first + 1) / fs;
  out[5] = hi - lo;
  for (let k = 0; k < 10; k++) out[6 + k] = at(r + Math.round((-0.05 + (k * 0.15) / 9) * fs));
  for (let k = 0; k < 8; k++) out[16 + k] = at(r + Math.round((0.15 + (k * 0.3) / 7) * fs));
  return out;
}

/** A trained LDA (serialisable as JSON). */
export interface LdaModel {
  /** {@link BASELINE_FEATURE_NAMES} at training time. */
  featureNames: readonly string[];
  /** Feature standardisation: mean and standard deviation per feature. */
  mean: number[];
  sd: number[];
  /** Class indexes (into {@link AAMI_CLASSES}) the model can output (classes with ≥ `minBeats` training beats). */
  classes: number[];
  /** Per class: `w = Σ⁻¹μ` on standardised features. */
  weights: number[][];
  /** Per class: `b = −½ μᵀΣ⁻¹μ` (equal priors, so no log-prior term). */
  bias: number[];
}

/** Cholesky solve of `A x = b` for symmetric positive-definite `A` (row arrays). */
function choleskySolve(a: number[][], bs: number[][]): number[][] {
  const n = a.length;
  const l = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / l[j]![j]!;
    }
  return bs.map((b) => {
    const y = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      let s = b[i]!;
      for (let k = 0; k < i; k++) s -= l[i]![k]! * y[k]!;
      y[i] = s / l[i]![i]!;
    }
    const x = new Array<number>(n).fill(0);
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i]!;
      for (let k = i + 1; k < n; k++) s -= l[k]![i]! * x[k]!;
      x[i] = s / l[i]![i]!;
    }
    return x;
  });
}

/**
 * Trains an equal-prior LDA on `features` (one row per beat) and class indexes `labels`.
 * The pooled covariance is the mean of the per-class covariances (each class weighs the same),
 * plus 1e-3 on the diagonal. Classes with fewer than `minBeats` beats (default 20: Q has only a
 * handful outside the paced records) are left out and never predicted.
 *
 * @throws {RangeError} when fewer than two classes have `minBeats` beats.
 */
export function trainLda(features: readonly Float64Array[], labels: ArrayLike<number>, minBeats = 20): LdaModel {
  const d = features[0]?.length ?? 0;
  const mean = new Array<number>(d).fill(0),
    sd = new Array<number>(d).fill(0);
  for (const f of features) for (let j = 0; j < d; j++) mean[j]! += f[j]! / features.length;
  for (const f of features) for (let j = 0; j < d; j++) sd[j]! += (f[j]! - mean[j]!) ** 2 / features.length;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]!) || 1;
  const z = features.map((f) => Array.from(f, (v, j) => (v - mean[j]!) / sd[j]!));
  const classes = AAMI_CLASSES.map((_, c) => c).filter(
    (c) => Array.prototype.filter.call(labels, (l: number) => l === c).length >= minBeats,
  );
  if (classes.length < 2) throw new RangeError("LDA needs at least two classes with enough beats");
  const means = classes.map((c) => {
    const m = new Array<number>(d).fill(0);
    let count = 0;
    z.forEach((row, i) => {
      if (labels[i] === c) {
        count++;
        for (let j = 0; j < d; j++) m[j]! += row[j]!;
      }
    });
    return m.map((v) => v / count);
  });
  const cov = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1e-3 : 0)));
  classes.forEach((c, ci) => {
    const rows = z.filter((_, i) => labels[i] === c);
    const mu = means[ci]!;
    for (const row of rows)
      for (let i = 0; i < d; i++) {
        const di = row[i]! - mu[i]!;
        for (let j = 0; j <= i; j++) cov[i]![j]! += (di * (row[j]! - mu[j]!)) / rows.length / classes.length;
      }
  });
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) cov[j]![i] = cov[i]![j]!;
  const weights = choleskySolve(cov, means);
  const bias = weights.map((w, ci) => -0.5 * w.reduce((s, v, j) => s + v * means[ci]![j]!, 0));
  return { featureNames: [...BASELINE_FEATURE_NAMES], mean, sd, classes, weights, bias };
}

/** Class probabilities (softmax of the discriminants; 0 for classes the model left out), order {@link AAMI_CLASSES}. */
export function ldaProbabilities(model: LdaModel, features: ArrayLike<number>): number[] {
  const g = model.weights.map((w, ci) =>
    w.reduce((s, v, j) => s + v * ((features[j]! - model.mean[j]!) / model.sd[j]!), model.bias[ci]!),
  );
  const top = Math.max(...g);
  const e = g.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  const out = new Array<number>(AAMI_CLASSES.length).fill(0);
  model.classes.forEach((c, ci) => (out[c] = e[ci]! / sum));
  return out;
}

/** Baseline features of every row of a dataset-like object (clean signal per record). */
export function datasetFeatures(d: {
  count: number;
  rrSeconds: Float32Array;
  samples: number[];
  records: string[];
  cleanSignals: Map<string, Float32Array>;
}): Float64Array[] {
  return Array.from({ length: d.count }, (_, i) =>
    baselineFeatures(d.cleanSignals.get(d.records[i]!)!, d.samples[i]!, d.rrSeconds.subarray(i * 4, (i + 1) * 4)),
  );
}
