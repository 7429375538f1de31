/**
 * Inference API of the beat classifier: the committed CNN in `packages/ecg/model/` (and the
 * LDA baseline beside it), applied to an MLII signal in mV and a list of R peaks.
 *
 * Edge beats: a beat whose 0.25 s / 0.45 s window leaves the signal is still classified, with
 * the window padded by repeating the signal's first or last sample; a beat without a
 * neighbour (the first or last R peak) gets its missing pre- or post-RR from the other one.
 * Both cases are flagged `edge: true`: treat those labels as less reliable (a streaming caller
 * should keep ~0.5 s of overlap and ~10 beats of history between chunks).
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { AAMI_CLASSES } from "../aami.ts";
import type { AamiClass } from "../aami.ts";
import { BeatInputError, MODEL_SAMPLING_FREQUENCY, removeBaseline, resample, segmentBeats } from "./dataset.ts";
import { argmaxRows, initBackend, loadBeatModel, MODEL_DIR, predictProbabilities, BeatModelError } from "./cnn.ts";
import type { BeatModelMetadata } from "./cnn.ts";
import { baselineFeatures, ldaProbabilities } from "./baseline.ts";
import type { LdaModel } from "./baseline.ts";

/** Input of {@link BeatClassifier.classify}. */
export interface BeatClassifierInput {
  /** MLII lead samples in mV (any length ≥ 1). */
  signal: ArrayLike<number>;
  /** Sampling frequency of `signal` in Hz; resampled linearly to 360 Hz when different. */
  samplingFrequency: number;
  /** R-peak sample indexes into `signal` (at `samplingFrequency`), strictly ascending. */
  rPeaks: readonly number[];
}

/** Classification of one beat. */
export interface BeatClassification {
  /** The beat's R-peak sample index, as given in `rPeaks`. */
  sample: number;
  /** Most probable AAMI class. */
  aamiClass: AamiClass;
  /** Probability of each AAMI class (sums to 1). */
  probabilities: Record<AamiClass, number>;
  /** True when the window was padded or an RR interval was missing (see the module comment). */
  edge: boolean;
}

/** A loaded classifier. */
export interface BeatClassifier {
  /** Model facts from `model.json` (classes, window, training records). */
  readonly metadata: BeatModelMetadata;
  /**
   * Classifies every R peak of `input` (one result per peak, same order).
   *
   * @throws {@link BeatInputError} when `samplingFrequency` is not positive, a peak is outside
   *   the signal, or the peaks are not strictly ascending (also after resampling).
   */
  classify(input: BeatClassifierInput): BeatClassification[];
}

/** Resamples to 360 Hz, removes the baseline and segments with padding. */
function prepare(input: BeatClassifierInput) {
  const fs = input.samplingFrequency;
  if (!(fs > 0) || !Number.isFinite(fs))
    throw new BeatInputError(`samplingFrequency must be a positive number of Hz, not ${fs}.`);
  const signal = resample(input.signal, fs, MODEL_SAMPLING_FREQUENCY);
  const peaks = input.rPeaks.map((r) => Math.min(signal.length - 1, Math.round((r * MODEL_SAMPLING_FREQUENCY) / fs)));
  const clean = removeBaseline(signal, MODEL_SAMPLING_FREQUENCY);
  const seg = segmentBeats(clean, peaks, { edges: "pad", baselineRemoved: true });
  return { clean, peaks, seg };
}

const toRecord = (row: ArrayLike<number>): Record<AamiClass, number> =>
  Object.fromEntries(AAMI_CLASSES.map((c, i) => [c, row[i]!])) as Record<AamiClass, number>;

let cached: Promise<BeatClassifier> | null = null;

/**
 * Loads the committed CNN once (later calls return the same classifier), after initialising the
 * wasm backend from `node_modules` (no download). Classification ran at about 13,000 beats/s
 * on the 2-core development VM, including baseline removal (see docs/ecg-evaluation.md).
 *
 * @param directory - Model folder (default `packages/ecg/model`); a different folder is not cached.
 * @throws {@link BeatModelError} when the model files are missing or do not match the code.
 */
export function loadBeatClassifier(directory = MODEL_DIR): Promise<BeatClassifier> {
  const load = async (): Promise<BeatClassifier> => {
    await initBackend();
    const { model, metadata } = await loadBeatModel(directory);
    return {
      metadata,
      classify(input) {
        const { seg } = prepare(input);
        const probs = predictProbabilities(model, seg);
        const classes = argmaxRows(probs);
        return seg.indexes.map((peak, i) => ({
          sample: input.rPeaks[peak]!,
          aamiClass: AAMI_CLASSES[classes[i]!]!,
          probabilities: toRecord(probs.subarray(i * 5, i * 5 + 5)),
          edge: seg.edge[i]!,
        }));
      },
    };
  };
  if (directory !== MODEL_DIR) return load();
  cached ??= load().catch((e: unknown) => {
    cached = null;
    throw e;
  });
  return cached;
}

/** The LDA baseline with the same `classify` contract as {@link BeatClassifier}. */
export interface BaselineClassifier {
  /** The trained discriminants. */
  readonly model: LdaModel;
  /** Same contract as {@link BeatClassifier.classify}. */
  classify(input: BeatClassifierInput): BeatClassification[];
}

/** Wraps a trained LDA ({@link trainLda}) as a classifier. */
export function baselineClassifier(model: LdaModel): BaselineClassifier {
  return {
    model,
    classify(input) {
      const { clean, peaks, seg } = prepare(input);
      return seg.indexes.map((peak, i) => {
        const p = ldaProbabilities(
          model,
          baselineFeatures(clean, peaks[peak]!, seg.rrSeconds.subarray(i * 4, (i + 1) * 4)),
        );
        const best = p.indexOf(Math.max(...p));
        return {
          sample: input.rPeaks[peak]!,
          aamiClass: AAMI_CLASSES[best]!,
          probabilities: toRecord(p),
          edge: seg.edge[i]!,
        };
      });
    },
  };
}

/**
 * Loads the committed LDA baseline (`baseline-lda.json`, written by `npm run ecg:train`).
 *
 * @throws {@link BeatModelError} when the file is missing or malformed.
 */
export async function loadBaselineClassifier(directory = MODEL_DIR): Promise<BaselineClassifier> {
  try {
    return baselineClassifier(
      JSON.parse(await readFile(path.join(directory, "baseline-lda.json"), "utf8")) as LdaModel,
    );
  } catch (cause) {
    throw new BeatModelError(`The LDA baseline in ${directory} could not be read.`, {
      cause,
      hint: "Run `npm run ecg:train`.",
    });
  }
}
