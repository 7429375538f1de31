/**
 * The beat classifier's 1-D convolutional network (TensorFlow.js layers, functional API), its
 * backend set-up, training loop, and saving/loading to `packages/ecg/model/` without any
 * `file://` or HTTP fetch.
 *
 * Architecture (inputs: a beat window of {@link BEAT_LENGTH} = 126 z-scored MLII samples at
 * 180 Hz, i.e. 0.25 s before to 0.45 s after the R peak, shape `[batch, 126, 1]`; and the
 * {@link RR_FEATURES} = 6 RR features of {@link RR_FEATURE_NAMES}, shape `[batch, 6]`):
 *
 * ```
 * beat [126,1] → conv1d 16×k7 relu (same) → maxPool 2 → [63,16]
 *              → conv1d 32×k5 relu (same) → maxPool 2 → [31,32]
 *              → conv1d 32×k5 relu (same) → maxPool 2 → [15,32] → flatten [480]
 * concat([480], rr [6]) → dense 64 relu (L2 1e-4) → dense 5 softmax (N, S, V, F, Q)
 * ```
 *
 * 39,365 parameters (154 KB of float32 weights). Every initializer is seeded; no dropout
 * (tfjs's seeded dropout reuses one mask for every batch), so training is reproducible.
 *
 * @module
 */
import { readFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { AAMI_CLASSES } from "../aami.ts";
import { MeridianError } from "@meridian/sdk";
import { REPO_ROOT } from "../wfdb/mitdb.ts";
import { BEAT_LENGTH, RR_FEATURES, RR_FEATURE_NAMES, seededRandom, shuffleInPlace } from "./dataset.ts";
import type { BeatDataset } from "./dataset.ts";
import { registerFastConvGradient } from "./kernels.ts";

/** The TensorFlow.js namespace this package uses (re-exported so callers share one instance and backend). */
export { tf };

/** Folder of the committed trained model (`model.json` + `weights.bin`). */
export const MODEL_DIR = path.join(REPO_ROOT, "packages/ecg/model");

/**
 * The backend used for training and inference: `wasm` (tfjs-backend-wasm, SIMD, loaded from
 * `node_modules`, no download). tfjs 4.22's wasm backend lacks the `Conv2DBackpropFilter`
 * gradient kernel, which {@link registerFastConvGradient} supplies; with it, a prototype of
 * this CNN (8/16/32 filters, batch 64) trained at ~3,000 beats/s against ~520 beats/s on `cpu`
 * (with the same fast kernel; 48 beats/s with the built-in one), and inferred at ~19,000 vs
 * ~1,900 beats/s, on the 2-core development VM.
 */
export const DEFAULT_BACKEND = "wasm" as const;

/** The model files could not be read or do not describe the beat CNN. */
export class BeatModelError extends MeridianError {
  override name = "BeatModelError" as const;
}

/**
 * Makes `name` the active tfjs backend (idempotent), registering the fast conv-gradient kernel
 * first. The wasm binary is read from `@tensorflow/tfjs-backend-wasm/dist` by Emscripten's Node
 * loader; nothing is downloaded.
 *
 * @throws {@link BeatModelError} when the backend fails to initialise.
 */
export async function initBackend(name: "wasm" | "cpu" = DEFAULT_BACKEND): Promise<void> {
  registerFastConvGradient(name);
  if (tf.engine().backendName === name) return;
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name)
    throw new BeatModelError(`The TensorFlow.js "${name}" backend did not initialise.`, {
      hint: "Reinstall @tensorflow/tfjs-backend-wasm (npm ci) or use the cpu backend.",
    });
}

/**
 * Builds the (untrained) beat CNN described in the module comment, compiled with Adam
 * (learning rate `learningRate`, default 1e-3) and categorical cross-entropy.
 *
 * @param seed - Seed of every weight initializer (integer).
 */
export function buildBeatCnn(seed = 2004, learningRate = 1e-3): tf.LayersModel {
  let s = seed;
  const init = () => tf.initializers.glorotUniform({ seed: s++ });
  const beat = tf.input({ shape: [BEAT_LENGTH, 1], name: "beat" });
  const rr = tf.input({ shape: [RR_FEATURES], name: "rr" });
  let x = beat;
  for (const [filters, kernelSize] of [
    [16, 7],
    [32, 5],
    [32, 5],
  ] as const) {
    x = tf.layers
      .conv1d({ filters, kernelSize, padding: "same", activation: "relu", kernelInitializer: init() })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling1d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  }
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.concatenate().apply([x, rr]) as tf.SymbolicTensor;
  x = tf.layers
    .dense({
      units: 64,
      activation: "relu",
      kernelInitializer: init(),
      kernelRegularizer: tf.regularizers.l2({ l2: 1e-4 }),
    })
    .apply(x) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({ units: AAMI_CLASSES.length, activation: "softmax", kernelInitializer: init(), name: "aami" })
    .apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [beat, rr], outputs: out, name: "meridian_beat_cnn" });
  model.compile({ optimizer: tf.train.adam(learningRate), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  return model;
}

/** Tensors of a dataset's rows: `[beat [n,126,1], rr [n,6]]`. Caller disposes. */
export function inputTensors(d: {
  count: number;
  windows: Float32Array;
  rr: Float32Array;
}): [tf.Tensor3D, tf.Tensor2D] {
  return [tf.tensor3d(d.windows, [d.count, BEAT_LENGTH, 1]), tf.tensor2d(d.rr, [d.count, RR_FEATURES])];
}

/** Class probabilities `[n × 5]` (row-major, order {@link AAMI_CLASSES}) of a dataset's rows, predicted in batches of 1,024. */
export function predictProbabilities(
  model: tf.LayersModel,
  d: { count: number; windows: Float32Array; rr: Float32Array },
): Float32Array {
  const out = new Float32Array(d.count * AAMI_CLASSES.length);
  for (let start = 0; start < d.count; start += 1024) {
    const end = Math.min(d.count, start + 1024);
    const part = {
      count: end - start,
      windows: d.windows.subarray(start * BEAT_LENGTH, end * BEAT_LENGTH),
      rr: d.rr.subarray(start * RR_FEATURES, end * RR_FEATURES),
    };
    const probs = tf.tidy(() => model.predict(inputTensors(part)) as tf.Tensor);
    out.set(probs.dataSync(), start * AAMI_CLASSES.length);
    probs.dispose();
  }
  return out;
}

/** Progress of {@link trainBeatCnn}, reported after every batch and epoch. */
export interface TrainProgress {
  /** 1-based epoch. */
  epoch: number;
  /** Epochs requested. */
  epochs: number;
  /** Batches done in this epoch (1-based). */
  batch: number;
  /** Batches per epoch. */
  batches: number;
  /** Mean weighted training loss so far in this epoch. */
  loss: number;
  /** Set at the end of an epoch when a validation set was given: its score (see `validationScore`). */
  validationScore?: number;
}

/** Options of {@link trainBeatCnn}. */
export interface TrainOptions {
  /** Maximum number of epochs (passes over `data`). */
  epochs: number;
  /** Beats per batch (default 64). */
  batchSize?: number;
  /** Loss weight per class index (see {@link AAMI_CLASSES}). */
  classWeight?: Record<number, number>;
  /** Seed of the per-epoch shuffles. */
  seed?: number;
  /** Record-wise validation set; when given, the weights of the epoch with the best score are kept. */
  validation?: BeatDataset;
  /** Scores validation predictions (higher is better); required with `validation`. */
  validationScore?: (truth: Uint8Array, predicted: Uint8Array) => number;
  /** Stop after this many epochs without a better validation score (default: never). */
  patience?: number;
  /**
   * Per-epoch augmentation of the beat windows (seeded): each window is shifted by a random
   * whole number of samples in [−shift, shift] (end samples repeated) and gets Gaussian noise of
   * standard deviation `noise` (in z-score units). Default: none.
   */
  augment?: { shift: number; noise: number };
  /** Called after every batch, and once more after each epoch with its validation score. */
  onProgress?: (p: TrainProgress) => void;
}

/** Shifted and noisy copies of `windows` (see {@link TrainOptions.augment}). */
export function augmentWindows(
  windows: Float32Array,
  augment: { shift: number; noise: number },
  random: () => number,
): Float32Array {
  const out = new Float32Array(windows.length);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  for (let b = 0; b < windows.length / BEAT_LENGTH; b++) {
    const off = b * BEAT_LENGTH;
    const shift = Math.floor(random() * (2 * augment.shift + 1)) - augment.shift;
    for (let k = 0; k < BEAT_LENGTH; k++) {
      const j = Math.min(BEAT_LENGTH - 1, Math.max(0, k + shift));
      out[off + k] = windows[off + j]! + (augment.noise > 0 ? augment.noise * gauss() : 0);
    }
  }
  return out;
}

/** Result of {@link trainBeatCnn}. */
export interface TrainResult {
  /** 1-based epoch whose weights the model holds at the end. */
  bestEpoch: number;
  /** Validation score per epoch (empty without validation). */
  validationScores: number[];
  /** Mean training loss per epoch. */
  losses: number[];
}

/** Argmax class index of each row of a `[n × 5]` probability matrix. */
export function argmaxRows(probs: Float32Array, classes = AAMI_CLASSES.length): Uint8Array {
  const out = new Uint8Array(probs.length / classes);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[i * classes + c]! > probs[i * classes + best]!) best = c;
    out[i] = best;
  }
  return out;
}

/**
 * Trains `model` on `data` with seeded per-epoch shuffles (tfjs's own `shuffle` uses
 * `Math.random`), class-weighted cross-entropy, and optional best-epoch selection on a
 * record-wise validation set.
 */
export async function trainBeatCnn(
  model: tf.LayersModel,
  data: BeatDataset,
  options: TrainOptions,
): Promise<TrainResult> {
  const batchSize = options.batchSize ?? 64;
  const random = seededRandom(options.seed ?? 7);
  const [initialBeats, rr] = inputTensors(data);
  let beats = initialBeats;
  const labels = tf.oneHot(tf.tensor1d(data.labels, "int32"), AAMI_CLASSES.length);
  const batches = Math.ceil(data.count / batchSize);
  const result: TrainResult = { bestEpoch: options.epochs, validationScores: [], losses: [] };
  let best = -Infinity,
    bestWeights: tf.Tensor[] | null = null,
    sinceBest = 0;
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      if (options.augment) {
        beats.dispose();
        beats = tf.tensor3d(augmentWindows(data.windows, options.augment, random), [data.count, BEAT_LENGTH, 1]);
      }
      const order = tf.tensor1d(
        shuffleInPlace(
          Array.from({ length: data.count }, (_, i) => i),
          random,
        ),
        "int32",
      );
      const xs = [tf.gather(beats, order), tf.gather(rr, order)];
      const ys = tf.gather(labels, order);
      order.dispose();
      let lossSum = 0,
        seen = 0;
      await model.fit(xs, ys, {
        epochs: 1,
        batchSize,
        shuffle: false,
        verbose: 0,
        ...(options.classWeight ? { classWeight: options.classWeight } : {}),
        callbacks: {
          onBatchEnd: (batch, logs) => {
            lossSum += logs?.["loss"] ?? 0;
            seen++;
            options.onProgress?.({ epoch, epochs: options.epochs, batch: batch + 1, batches, loss: lossSum / seen });
          },
        },
      });
      tf.dispose([...xs, ys]);
      result.losses.push(lossSum / Math.max(1, seen));
      if (options.validation && options.validationScore) {
        const predicted = argmaxRows(predictProbabilities(model, options.validation));
        const score = options.validationScore(options.validation.labels, predicted);
        result.validationScores.push(score);
        options.onProgress?.({
          epoch,
          epochs: options.epochs,
          batch: batches,
          batches,
          loss: lossSum / Math.max(1, seen),
          validationScore: score,
        });
        if (score > best) {
          best = score;
          sinceBest = 0;
          result.bestEpoch = epoch;
          bestWeights?.forEach((w) => w.dispose());
          bestWeights = model.getWeights().map((w) => w.clone());
        } else if (options.patience !== undefined && ++sinceBest >= options.patience) break;
      }
    }
    if (bestWeights) model.setWeights(bestWeights);
  } finally {
    bestWeights?.forEach((w) => w.dispose());
    tf.dispose([beats, rr, labels]);
  }
  return result;
}

/** Metadata stored in `model.json` (`userDefinedMetadata`). */
export interface BeatModelMetadata {
  /** AAMI class order of the softmax output. */
  classes: readonly string[];
  /** Sampling frequency (Hz) of the R-peak indexes and the signal before decimation. */
  samplingFrequency: number;
  /** Beat window: seconds before and after the R peak, decimation factor, samples. */
  window: { beforeSeconds: number; afterSeconds: number; decimation: number; samples: number };
  /** Names of the RR features, in input order (must equal `RR_FEATURE_NAMES`). */
  rrFeatures: readonly string[];
  /** Free-form training facts (records, counts, epochs, seed, backend, duration). */
  training: Record<string, unknown>;
}

const concatBuffers = (data: ArrayBuffer | ArrayBuffer[]): Uint8Array => {
  const parts = Array.isArray(data) ? data : [data];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  return out;
};

/**
 * Saves `model` to `directory` as `model.json` (topology, weight manifest, metadata) and
 * `weights.bin` (float32 little-endian), through a custom `tf.io` save handler.
 */
export async function saveBeatModel(
  model: tf.LayersModel,
  metadata: BeatModelMetadata,
  directory = MODEL_DIR,
): Promise<void> {
  await mkdir(directory, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = concatBuffers(artifacts.weightData ?? []);
      const json = {
        format: "layers-model",
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
        userDefinedMetadata: metadata,
      };
      await writeFile(path.join(directory, "model.json"), JSON.stringify(json, null, 1) + "\n");
      await writeFile(path.join(directory, "weights.bin"), weights);
      return {
        modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON", weightDataBytes: weights.byteLength },
      };
    }),
  );
}

/** The parts of `model.json` that {@link loadBeatModel} reads (tfjs checks the weight entries). */
interface SavedModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  userDefinedMetadata?: unknown;
}

const isObject = (value: unknown): value is object => typeof value === "object" && value !== null;
const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

/** Whether parsed `model.json` has a topology and a weights manifest of file paths and weight entries. */
function isSavedModelJson(value: unknown): value is SavedModelJson {
  if (!isObject(value) || !("modelTopology" in value) || !("weightsManifest" in value)) return false;
  const { modelTopology, weightsManifest } = value;
  const isGroup = (group: unknown): boolean =>
    isObject(group) &&
    "paths" in group &&
    isStringArray(group.paths) &&
    "weights" in group &&
    Array.isArray(group.weights);
  return isObject(modelTopology) && Array.isArray(weightsManifest) && weightsManifest.every(isGroup);
}

/** Whether `userDefinedMetadata` has the shape {@link saveBeatModel} writes. */
function isBeatModelMetadata(value: unknown): value is BeatModelMetadata {
  if (!isObject(value)) return false;
  const m: Partial<Record<keyof BeatModelMetadata, unknown>> = value;
  return (
    isStringArray(m.classes) &&
    typeof m.samplingFrequency === "number" &&
    isObject(m.window) &&
    isStringArray(m.rrFeatures) &&
    isObject(m.training)
  );
}

/**
 * Loads the model saved by {@link saveBeatModel} from `directory` with `tf.io.fromMemory`
 * (the files are read with `fs`, no fetch). The active backend must be initialised first
 * ({@link initBackend}).
 *
 * @throws {@link BeatModelError} when a file is missing or malformed, or the model's input and
 *   output shapes are not those of the beat CNN.
 */
export async function loadBeatModel(
  directory = MODEL_DIR,
): Promise<{ model: tf.LayersModel; metadata: BeatModelMetadata }> {
  let json: SavedModelJson;
  let weightData: Uint8Array;
  try {
    const parsed: unknown = JSON.parse(await readFile(path.join(directory, "model.json"), "utf8"));
    if (!isSavedModelJson(parsed)) throw new Error("model.json has no modelTopology or a malformed weightsManifest");
    json = parsed;
    const manifest = json.weightsManifest[0];
    if (!manifest) throw new Error("model.json has an empty weightsManifest");
    weightData = concatBuffers(
      await Promise.all(
        manifest.paths.map(async (p) => {
          const b = await readFile(path.join(directory, p));
          return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
        }),
      ),
    );
  } catch (cause) {
    throw new BeatModelError(`The beat model in ${directory} could not be read.`, {
      cause,
      hint: "Run `npm run ecg:train` to (re)create packages/ecg/model/, or restore it from git.",
    });
  }
  const specs = json.weightsManifest[0]!.weights;
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: specs,
      weightData: weightData.buffer as ArrayBuffer,
    }),
  );
  const [beatShape, rrShape] = model.inputs.map((i) => i.shape);
  if (
    beatShape?.[1] !== BEAT_LENGTH ||
    rrShape?.[1] !== RR_FEATURES ||
    model.outputs[0]?.shape[1] !== AAMI_CLASSES.length
  ) {
    throw new BeatModelError(
      `The model in ${directory} has inputs ${JSON.stringify([beatShape, rrShape])}, not [[null,${BEAT_LENGTH},1],[null,${RR_FEATURES}]] with ${AAMI_CLASSES.length} outputs.`,
      { hint: "Retrain with `npm run ecg:train`." },
    );
  }
  const metadata = json.userDefinedMetadata;
  const hint = "Retrain with `npm run ecg:train`.";
  if (!isBeatModelMetadata(metadata)) {
    throw new BeatModelError(`The model in ${directory} has no valid userDefinedMetadata in model.json.`, { hint });
  }
  if (JSON.stringify(metadata.rrFeatures) !== JSON.stringify(RR_FEATURE_NAMES)) {
    throw new BeatModelError(`The model in ${directory} was trained with other RR features.`, { hint });
  }
  return { model, metadata };
}
