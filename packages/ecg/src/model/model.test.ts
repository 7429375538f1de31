/**
 * Beat-classifier tests: EC57 statistics on a hand-made confusion matrix, segmentation of a
 * synthetic signal, the conv-gradient kernel against tfjs's own, LDA on separable data, a
 * one-epoch training smoke test with a save/load round trip, and the committed model on MIT-BIH
 * record 100 (skipped when the shared records are absent).
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { aamiClassOf } from "../aami.ts";
import { MITDB_DIR, MITDB_MISSING, mitdbPresent } from "../wfdb/mitdb.ts";
import { readWfdbRecord, toMillivolts } from "../wfdb/index.ts";
import {
  BEAT_LENGTH,
  BeatInputError,
  RR_FEATURES,
  RR_FEATURE_NAMES,
  medianFilter,
  removeBaseline,
  resample,
  segmentBeats,
} from "./dataset.ts";
import type { BeatDataset } from "./dataset.ts";
import { confusionMatrix, ec57Metrics, macroF1 } from "./evaluate.ts";
import { conv2dBackpropFilterValues } from "./kernels.ts";
import {
  BeatModelError,
  buildBeatCnn,
  initBackend,
  loadBeatModel,
  predictProbabilities,
  saveBeatModel,
  tf,
  trainBeatCnn,
} from "./cnn.ts";
import { ldaProbabilities, trainLda } from "./baseline.ts";
import { loadBaselineClassifier, loadBeatClassifier } from "./classifier.ts";

/** 360 Hz synthetic ECG: Gaussian R waves (1 mV, σ 8 ms) at `peaks`, plus a 0.3 Hz, 0.5 mV baseline wander and a 0.2 mV offset. */
function synthetic(length: number, peaks: number[]): Float32Array {
  const x = new Float32Array(length);
  for (let i = 0; i < length; i++) x[i] = 0.2 + 0.5 * Math.sin((2 * Math.PI * 0.3 * i) / 360);
  for (const p of peaks)
    for (let d = -20; d <= 20; d++) if (p + d >= 0 && p + d < length) x[p + d]! += Math.exp(-((d / 2.88) ** 2) / 2);
  return x;
}

describe("EC57 statistics", () => {
  test("Se, +P, FPR and accuracy of a hand-made confusion matrix", () => {
    // reference rows N,S,V,F,Q; predicted columns
    const m = [
      [90, 5, 5, 0, 0],
      [2, 8, 0, 0, 0],
      [1, 0, 18, 1, 0],
      [0, 0, 1, 1, 0],
      [0, 0, 0, 0, 0],
    ];
    const r = ec57Metrics(m);
    assert.equal(r.total, 132);
    assert.equal(r.accuracy, (100 * 117) / 132);
    assert.equal(r.perClass.N.se, 90);
    assert.equal(r.perClass.N.ppv, (100 * 90) / 93);
    assert.equal(r.perClass.S.se, 80);
    assert.equal(r.perClass.S.ppv, (100 * 8) / 13);
    assert.equal(r.perClass.S.fpr, (100 * 5) / 122);
    assert.equal(r.perClass.V.se, 90);
    assert.equal(r.perClass.V.ppv, (100 * 18) / 24);
    assert.equal(r.perClass.F.se, 50);
    assert.equal(r.perClass.Q.se, null, "no reference Q beats: Se undefined");
    assert.equal(r.perClass.Q.ppv, null);
    // the same matrix from label lists
    const ref: number[] = [],
      pred: number[] = [];
    m.forEach((row, i) =>
      row.forEach((n, j) => {
        for (let k = 0; k < n; k++) {
          ref.push(i);
          pred.push(j);
        }
      }),
    );
    assert.deepEqual(confusionMatrix(ref, pred), m);
    assert.ok(macroF1(ref, pred) > 0 && macroF1(ref, pred) < 100);
    assert.throws(() => confusionMatrix([0], [5]), RangeError);
  });
});

describe("beat dataset", () => {
  test("median filter equals a naive sorted-window median", () => {
    const x = Array.from({ length: 200 }, (_, i) => Math.sin(i * 1.7) * 10 + (i % 7));
    const w = 9,
      h = 4;
    const naive = x.map(
      (_, i) =>
        Array.from({ length: w }, (_, k) => x[Math.min(x.length - 1, Math.max(0, i - h + k))]!).sort((a, b) => a - b)[
          h
        ]!,
    );
    assert.deepEqual(Array.from(medianFilter(x, w)), Array.from(Float32Array.from(naive)));
  });

  test("segments a synthetic signal: windows, edge beats, RR features, baseline removal", () => {
    const peaks = Array.from({ length: 20 }, (_, i) => 50 + i * 300); // 0.833 s RR; first window leaves the signal
    const signal = synthetic(50 + 19 * 300 + 100, peaks);
    const clean = removeBaseline(signal, 360);
    const between = peaks.slice(1, -1).map((p) => Math.abs(clean[p + 150]!)); // mid-diastole: baseline ≈ 0
    assert.ok(Math.max(...between) < 0.05, `baseline residual ${Math.max(...between)} mV`);
    const seg = segmentBeats(signal, peaks);
    assert.deepEqual(
      seg.indexes,
      peaks.map((_, i) => i).slice(1, -1),
      "first beat (window before 0) and last (no post-RR) skipped",
    );
    assert.equal(seg.windows.length, seg.count * BEAT_LENGTH);
    assert.equal(seg.rr.length, seg.count * RR_FEATURES);
    const w = seg.windows.subarray(0, BEAT_LENGTH);
    const peakAt = w.indexOf(Math.max(...w));
    assert.ok(peakAt === 44 || peakAt === 45, `R peak at window sample ${peakAt} (0.25 s × 180 Hz = 45)`);
    const mean = w.reduce((a, b) => a + b, 0) / BEAT_LENGTH;
    assert.ok(Math.abs(mean) < 1e-5);
    assert.ok(Math.abs(Math.sqrt(w.reduce((a, b) => a + b * b, 0) / BEAT_LENGTH) - 1) < 1e-4, "z-scored");
    const rr = Array.from(seg.rr.subarray(0, RR_FEATURES));
    for (const v of rr) assert.ok(Math.abs(v - 1) < 1e-6, "regular rhythm: every RR ratio is 1");
    for (const v of seg.rrSeconds.subarray(0, 4))
      assert.ok(Math.abs(v - 300 / 360) < 1e-6, "RR intervals 300 samples = 0.833 s");
    const padded = segmentBeats(signal, peaks, { edges: "pad" });
    assert.equal(padded.count, peaks.length);
    assert.deepEqual(
      padded.edge.map((e, i) => (e ? i : -1)).filter((i) => i >= 0),
      [0, 19],
    );
    assert.throws(() => segmentBeats(signal, [100, 90]), BeatInputError);
    assert.throws(() => segmentBeats(signal, [signal.length]), BeatInputError);
  });

  test("linear resampling keeps times", () => {
    const x = Array.from({ length: 251 }, (_, i) => i / 250); // 1 s ramp at 250 Hz: value = time
    const y = resample(x, 250, 360);
    assert.equal(y.length, 361);
    assert.ok(Math.abs(y[180]! - 0.5) < 1e-6);
  });
});

describe("conv1d filter gradient kernel", () => {
  test("matches tfjs's built-in cpu kernel", async () => {
    await tf.setBackend("cpu"); // before any registerFastConvGradient("cpu"): the built-in kernel
    const x = tf.randomNormal([3, 1, 40, 4], 0, 1, "float32", 1);
    const dy = tf.randomNormal([3, 1, 20, 6], 0, 1, "float32", 2);
    for (const pad of ["same", "valid"] as const) {
      const outWidth = pad === "same" ? 20 : 18;
      const dyp = dy.slice([0, 0, 0, 0], [3, 1, outWidth, 6]);
      // d/dW Σ conv2d(x, W) · dy is exactly Conv2DBackpropFilter(x, dy)
      const want = tf.grad((w: tf.Tensor) =>
        tf
          .conv2d(x as tf.Tensor4D, w as tf.Tensor4D, [1, 2], pad)
          .mul(dyp)
          .sum(),
      )(tf.zeros([1, 5, 4, 6]));
      const got = conv2dBackpropFilterValues(x.dataSync() as Float32Array, x.shape, dyp.dataSync() as Float32Array, {
        strides: [1, 2],
        pad,
        dataFormat: "NHWC",
        filterShape: [1, 5, 4, 6],
      });
      const w = want.dataSync();
      for (let i = 0; i < w.length; i++)
        assert.ok(Math.abs(w[i]! - got[i]!) < 1e-4, `${pad}[${i}]: ${w[i]} vs ${got[i]}`);
    }
  });
});

describe("LDA baseline", () => {
  test("separates three Gaussian classes and ignores classes with too few beats", () => {
    const rand = (() => {
      let s = 1;
      return () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
    })();
    const centers = [
      [0, 0],
      [3, 0],
      [0, 3],
    ];
    const feats: Float64Array[] = [],
      labels: number[] = [];
    centers.forEach((c, k) => {
      for (let i = 0; i < (k === 0 ? 200 : 40); i++) {
        feats.push(Float64Array.from([c[0]! + rand(), c[1]! + rand()]));
        labels.push(k === 0 ? 0 : k === 1 ? 1 : 2);
      }
    });
    feats.push(Float64Array.from([9, 9]));
    labels.push(4); // one Q beat: not enough
    const lda = trainLda(feats, labels);
    assert.deepEqual(lda.classes, [0, 1, 2]);
    const correct = feats.slice(0, -1).filter((f, i) => {
      const p = ldaProbabilities(lda, f);
      return p.indexOf(Math.max(...p)) === labels[i];
    }).length;
    assert.equal(correct, feats.length - 1);
    const p = ldaProbabilities(lda, [3, 0]);
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9 && p[4] === 0);
  });
});

describe("CNN training smoke test", () => {
  test("one epoch on 48 synthetic beats runs, and save → load gives the same predictions", async () => {
    await initBackend();
    const peaks = Array.from({ length: 50 }, (_, i) => 200 + i * 300);
    const seg = segmentBeats(synthetic(200 + 50 * 300, peaks), peaks);
    const data: BeatDataset = {
      ...seg,
      labels: Uint8Array.from(seg.indexes, (i) => i % 3),
      samples: seg.indexes.map((i) => peaks[i]!),
      records: seg.indexes.map(() => "syn"),
      cleanSignals: new Map(),
    };
    const model = buildBeatCnn(1);
    const progress: number[] = [];
    const result = await trainBeatCnn(model, data, {
      epochs: 1,
      batchSize: 16,
      classWeight: { 0: 1, 1: 2, 2: 2, 3: 1, 4: 1 },
      validation: data,
      validationScore: macroF1,
      onProgress: (p) => progress.push(p.batch),
    });
    assert.equal(result.losses.length, 1);
    assert.ok(Number.isFinite(result.losses[0]!));
    assert.deepEqual(progress, [1, 2, 3, 3]);
    const dir = await mkdtemp(path.join(tmpdir(), "beat-cnn-"));
    try {
      await saveBeatModel(
        model,
        {
          classes: ["N", "S", "V", "F", "Q"],
          samplingFrequency: 360,
          window: { beforeSeconds: 0.25, afterSeconds: 0.45, decimation: 2, samples: BEAT_LENGTH },
          rrFeatures: RR_FEATURE_NAMES,
          training: {},
        },
        dir,
      );
      const loaded = await loadBeatModel(dir);
      assert.deepEqual(
        Array.from(predictProbabilities(loaded.model, data)),
        Array.from(predictProbabilities(model, data)),
      );
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  test("model.json without a weights manifest or with malformed metadata is refused (BeatModelError)", async () => {
    await initBackend();
    const dir = await mkdtemp(path.join(tmpdir(), "beat-cnn-"));
    const file = path.join(dir, "model.json");
    try {
      const window = { beforeSeconds: 0.25, afterSeconds: 0.45, decimation: 2, samples: BEAT_LENGTH };
      const classes = ["N", "S", "V", "F", "Q"];
      const metadata = { classes, samplingFrequency: 360, window, rrFeatures: RR_FEATURE_NAMES, training: {} };
      await saveBeatModel(buildBeatCnn(1), metadata, dir);
      const saved: unknown = JSON.parse(await readFile(file, "utf8"));
      assert.ok(typeof saved === "object" && saved !== null);
      await writeFile(file, JSON.stringify({ ...saved, userDefinedMetadata: { rrFeatures: RR_FEATURE_NAMES } }));
      const malformed = (e: unknown) => e instanceof BeatModelError && /no valid userDefinedMetadata/.test(e.message);
      await assert.rejects(loadBeatModel(dir), malformed, "metadata without classes, window or training");
      await writeFile(file, JSON.stringify({ ...saved, weightsManifest: undefined }));
      const unreadable = (e: unknown) => e instanceof BeatModelError && /could not be read/.test(e.message);
      await assert.rejects(loadBeatModel(dir), unreadable);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

/**
 * Accuracy floor on record 100 (2,239 N, 33 S, 1 V; normal sinus rhythm). The committed model
 * scores 98.6 % there (docs/ecg-evaluation.md). 95 % is below that with margin for a retrained
 * model on another backend, and far above what a broken model does: the first trained model
 * (absolute RR features) called 1,425 of its N beats S and scored 37 %. Note that "all N" would
 * score 98.5 %, so the test also asks for S beats to be found (record 100's S beats are
 * premature atrial beats, the easy kind).
 */
const ACCURACY_FLOOR = 0.95;
const S_FOUND_FLOOR = 0.5;

describe(
  "committed model on MIT-BIH record 100 (DS2, never trained on)",
  { skip: mitdbPresent() ? false : MITDB_MISSING },
  () => {
    test("loads once and classifies the whole record above the accuracy floor; resampled input agrees", async () => {
      const rec = await readWfdbRecord(MITDB_DIR, "100");
      const ch = rec.header.signals.findIndex((s) => s.description === "MLII");
      const signal = toMillivolts(rec.signals[ch]!, rec.header.signals[ch]!);
      const beats = rec.annotations.filter((a) => aamiClassOf(a.symbol) !== null);
      const classifier = await loadBeatClassifier();
      assert.equal(await loadBeatClassifier(), classifier, "cached");
      const out = classifier.classify({ signal, samplingFrequency: 360, rPeaks: beats.map((b) => b.sample) });
      assert.equal(out.length, beats.length);
      const correct = out.filter((o, i) => o.aamiClass === aamiClassOf(beats[i]!.symbol)).length;
      const accuracy = correct / out.length;
      assert.ok(accuracy >= ACCURACY_FLOOR, `accuracy ${accuracy}`);
      const sBeats = out.filter((_, i) => aamiClassOf(beats[i]!.symbol) === "S");
      const sFound = sBeats.filter((o) => o.aamiClass === "S").length / sBeats.length;
      assert.ok(sFound >= S_FOUND_FLOOR, `S sensitivity ${sFound} on ${sBeats.length} S beats`);
      assert.ok(out[0]!.edge === true && out[1]!.edge === false);
      const p = out[1]!.probabilities;
      assert.ok(Math.abs(p.N + p.S + p.V + p.F + p.Q - 1) < 1e-4);
      // the first minute resampled to 250 Hz: same classes for nearly all beats
      const minute = signal.subarray(0, 21600);
      const peaks = beats.map((b) => b.sample).filter((s) => s < 21600);
      const at250 = classifier.classify({
        signal: resample(minute, 360, 250),
        samplingFrequency: 250,
        rPeaks: peaks.map((s) => Math.round((s * 250) / 360)),
      });
      const at360 = classifier.classify({ signal: minute, samplingFrequency: 360, rPeaks: peaks });
      const same = at250.filter((o, i) => o.aamiClass === at360[i]!.aamiClass).length;
      assert.ok(same / peaks.length >= 0.95, `${same}/${peaks.length} agree`);
      const baseline = await loadBaselineClassifier();
      assert.equal(baseline.classify({ signal: minute, samplingFrequency: 360, rPeaks: peaks }).length, peaks.length);
    });
  },
);
