/**
 * `npm run ecg:train`: trains the beat CNN on the available de Chazal DS1 records, picks the
 * epoch on a record-wise validation split of DS1, trains the LDA baseline on all available DS1
 * records, evaluates both on the available DS2 records (never seen in training) per EC57, and
 * writes `packages/ecg/model/` and `docs/ecg-evaluation.{json,md}` (the md's results section,
 * between its `results:start` / `results:end` markers).
 *
 * Options: `--epochs N` (default 40), `--n-per-record N` (default {@link N_PER_RECORD}),
 * `--n-fraction F` (keep this fraction of N beats per record instead), `--no-augment`,
 * `--no-write` (evaluate without overwriting files), `--no-test` (stop after the validation
 * report: for model development, so that choices are made without looking at DS2).
 * Every random choice is seeded, so a rerun reproduces the model on the same backend.
 *
 * @module
 */
import { readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { AAMI_CLASSES } from "../aami.ts";
import {
  DE_CHAZAL_DS1,
  DE_CHAZAL_DS2,
  MITDB_DIR,
  MITDB_MISSING,
  PACED_RECORDS,
  REPO_ROOT,
  availableRecords,
  mitdbPresent,
} from "../wfdb/mitdb.ts";
import {
  BEAT_LENGTH,
  DECIMATION,
  MODEL_SAMPLING_FREQUENCY,
  RR_FEATURE_NAMES,
  WINDOW_AFTER_S,
  WINDOW_BEFORE_S,
  classCounts,
  concatDatasets,
  recordBeats,
  seededRandom,
  selectRows,
  shuffleInPlace,
} from "./dataset.ts";
import type { BeatDataset } from "./dataset.ts";
import {
  DEFAULT_BACKEND,
  MODEL_DIR,
  argmaxRows,
  buildBeatCnn,
  initBackend,
  predictProbabilities,
  saveBeatModel,
  tf,
  trainBeatCnn,
} from "./cnn.ts";
import { confusionMatrix, ec57Markdown, ec57Metrics, macroF1 } from "./evaluate.ts";
import { datasetFeatures, ldaProbabilities, trainLda } from "./baseline.ts";
import { loadBeatClassifier } from "./classifier.ts";
import { readWfdbRecord, toMillivolts } from "../wfdb/index.ts";
import { aamiClassOf } from "../aami.ts";

/** DS1 records held out (record-wise) to choose the training epoch; chosen to hold S, V and F beats. */
export const VALIDATION_RECORDS = ["118", "124", "205", "215"] as const;
/** At most this many N beats per training record are kept (seeded random subsample). */
export const N_PER_RECORD = 1000;
/** Training augmentation: shifts of up to ±3 samples (±17 ms at 180 Hz) and Gaussian noise of 0.05 (z units). */
export const AUGMENT = { shift: 3, noise: 0.05 } as const;
/** Seed of every random choice (subsample, shuffles, initializers). */
export const SEED = 2004;

/**
 * Class weights: the square root of (N beats / class beats) in the training set, capped at 10
 * (softened inverse-frequency weighting; Q has only a few beats outside the paced records).
 */
export function classWeights(labels: ArrayLike<number>): Record<number, number> {
  const counts = classCounts(labels);
  const n = counts.N;
  return Object.fromEntries(
    AAMI_CLASSES.map((c, i) => [i, counts[c] === 0 ? 1 : Math.min(10, Math.sqrt(n / counts[c]))]),
  );
}

const bar = (done: number, total: number, width = 28) => {
  const k = Math.round((done / total) * width);
  return "[" + "#".repeat(k) + ".".repeat(width - k) + "]";
};

async function main() {
  const { values } = parseArgs({
    options: {
      epochs: { type: "string", default: "40" },
      "n-per-record": { type: "string", default: String(N_PER_RECORD) },
      "no-write": { type: "boolean", default: false },
      "no-test": { type: "boolean", default: false },
      "n-fraction": { type: "string" },
      "no-augment": { type: "boolean", default: false },
    },
  });
  const nFraction = values["n-fraction"] === undefined ? null : Number(values["n-fraction"]);
  const epochs = Number(values.epochs),
    nPerRecord = Number(values["n-per-record"]);
  const write = !values["no-write"];
  if (!mitdbPresent()) {
    console.error(MITDB_MISSING);
    process.exit(1);
  }
  const started = performance.now();
  const paced = new Set<string>(PACED_RECORDS);
  const ds1 = availableRecords(DE_CHAZAL_DS1).filter((r) => !paced.has(r));
  const ds2 = availableRecords(DE_CHAZAL_DS2).filter((r) => !paced.has(r));
  const missing1 = DE_CHAZAL_DS1.filter((r) => !ds1.includes(r)),
    missing2 = DE_CHAZAL_DS2.filter((r) => !ds2.includes(r));
  if (ds1.some((r) => ds2.includes(r))) throw new Error("a record is in both DS1 and DS2");
  console.log(
    `MIT-BIH in ${MITDB_DIR}\nDS1 (train): ${ds1.join(" ")}  (absent: ${missing1.join(" ") || "none"})\nDS2 (test):  ${ds2.join(" ")}  (absent: ${missing2.join(" ") || "none"})`,
  );

  const load = async (names: string[]) => {
    const parts: BeatDataset[] = [];
    for (const [i, name] of names.entries()) {
      parts.push(await recordBeats(name));
      process.stdout.write(`\rsegmenting ${bar(i + 1, names.length)} ${name}`);
    }
    process.stdout.write("\n");
    return parts;
  };
  const ds1Parts = await load(ds1),
    ds2Parts = await load(ds2);
  const train1 = ds1Parts.filter((p) => !(VALIDATION_RECORDS as readonly string[]).includes(p.records[0]!));
  const validation = concatDatasets(
    ds1Parts.filter((p) => (VALIDATION_RECORDS as readonly string[]).includes(p.records[0]!)),
  );
  const random = seededRandom(SEED);
  const trainSets = train1.map((p) => {
    const normals = Array.from({ length: p.count }, (_, i) => i).filter((i) => p.labels[i] === 0);
    const n = shuffleInPlace(normals, random).slice(
      0,
      nFraction === null ? nPerRecord : Math.round(nFraction * normals.length),
    );
    const keep = new Set(n);
    return selectRows(
      p,
      Array.from({ length: p.count }, (_, i) => i).filter((i) => p.labels[i] !== 0 || keep.has(i)),
    );
  });
  const train = concatDatasets(trainSets);
  const test = concatDatasets(ds2Parts);
  const weights = classWeights(train.labels);
  console.log(
    `train beats: ${train.count} ${JSON.stringify(classCounts(train.labels))} (N subsampled to ≤${nPerRecord}/record)`,
  );
  console.log(
    `validation (${VALIDATION_RECORDS.join(" ")}): ${validation.count} ${JSON.stringify(classCounts(validation.labels))}`,
  );
  console.log(`test beats: ${test.count} ${JSON.stringify(classCounts(test.labels))}`);
  console.log(`class weights: ${AAMI_CLASSES.map((c, i) => `${c} ${weights[i]!.toFixed(2)}`).join(", ")}`);

  await initBackend(DEFAULT_BACKEND);
  console.log(`backend: ${tf.getBackend()} (tfjs ${tf.version_core}), ${os.cpus().length} cores`);
  const model = buildBeatCnn(SEED);
  const t0 = performance.now();
  let epochStart = performance.now();
  const tty = process.stdout.isTTY;
  const result = await trainBeatCnn(model, train, {
    epochs,
    batchSize: 64,
    classWeight: weights,
    seed: SEED,
    validation,
    validationScore: (t, p) => macroF1(t, p, 30),
    patience: 10,
    ...(values["no-augment"] ? {} : { augment: AUGMENT }),
    onProgress: (p) => {
      if (p.validationScore !== undefined) {
        const line = `epoch ${String(p.epoch).padStart(2)}/${p.epochs} loss ${p.loss.toFixed(4)} val macro-F1 ${p.validationScore.toFixed(1)} % (${((performance.now() - epochStart) / 1000).toFixed(1)} s)`;
        process.stdout.write(tty ? `\r${line}\x1b[K\n` : `${line}\n`);
        epochStart = performance.now();
      } else if (tty && (p.batch % 10 === 0 || p.batch === p.batches)) {
        process.stdout.write(
          `\repoch ${String(p.epoch).padStart(2)}/${p.epochs} ${bar(p.batch, p.batches)} loss ${p.loss.toFixed(4)}`,
        );
      }
    },
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  console.log(`trained in ${trainSeconds.toFixed(0)} s; kept epoch ${result.bestEpoch}`);

  const valReport = ec57Metrics(
    confusionMatrix(validation.labels, argmaxRows(predictProbabilities(model, validation))),
  );
  console.log("\nCNN on the validation records:\n" + ec57Markdown(valReport));
  if (values["no-test"]) return;
  const cnnPred = argmaxRows(predictProbabilities(model, test));
  const cnnReport = ec57Metrics(confusionMatrix(test.labels, cnnPred));

  // Baseline: LDA on all available DS1 beats (no epochs to choose, so no validation split).
  const all1 = concatDatasets(ds1Parts);
  const lda = trainLda(datasetFeatures(all1), all1.labels);
  const ldaPred = datasetFeatures(test).map((f) => {
    const p = ldaProbabilities(lda, f);
    return p.indexOf(Math.max(...p));
  });
  const ldaReport = ec57Metrics(confusionMatrix(test.labels, ldaPred));

  const metadata = {
    classes: AAMI_CLASSES,
    samplingFrequency: MODEL_SAMPLING_FREQUENCY,
    window: {
      beforeSeconds: WINDOW_BEFORE_S,
      afterSeconds: WINDOW_AFTER_S,
      decimation: DECIMATION,
      samples: BEAT_LENGTH,
    },
    rrFeatures: RR_FEATURE_NAMES,
    training: {
      nPerRecord,
      augment: values["no-augment"] ? null : AUGMENT,
      trainRecords: train1.map((p) => p.records[0]),
      validationRecords: VALIDATION_RECORDS,
      beats: classCounts(train.labels),
      classWeights: weights,
      epochsRun: result.losses.length,
      bestEpoch: result.bestEpoch,
      seed: SEED,
      backend: tf.getBackend(),
      tfjs: tf.version_core,
    },
  };
  const modelDir = write ? MODEL_DIR : path.join(os.tmpdir(), "meridian-ecg-model");
  await saveBeatModel(model, metadata, modelDir);
  if (write) await writeFile(path.join(MODEL_DIR, "baseline-lda.json"), JSON.stringify(lda) + "\n");

  // Speed of the public API on a whole record (30 min), reference R peaks.
  const rec = await readWfdbRecord(MITDB_DIR, "100");
  const mlii = rec.header.signals.findIndex((s) => s.description === "MLII");
  const signal = toMillivolts(rec.signals[mlii]!, rec.header.signals[mlii]!);
  const rPeaks = rec.annotations.filter((a) => aamiClassOf(a.symbol) !== null).map((a) => a.sample);
  const classifier = await loadBeatClassifier(modelDir);
  classifier.classify({
    signal: signal.subarray(0, 36000),
    samplingFrequency: 360,
    rPeaks: rPeaks.filter((r) => r < 36000),
  });
  const s0 = performance.now();
  const out = classifier.classify({ signal, samplingFrequency: 360, rPeaks });
  const apiSeconds = (performance.now() - s0) / 1000;
  const speed = {
    record: "100",
    beats: out.length,
    seconds: apiSeconds,
    beatsPerSecond: out.length / apiSeconds,
    includes: "resampling check, baseline removal (two median filters over 30 min), segmentation, CNN",
  };
  console.log(
    `classify(): ${out.length} beats of record 100 in ${apiSeconds.toFixed(2)} s = ${speed.beatsPerSecond.toFixed(0)} beats/s`,
  );

  const totalSeconds = (performance.now() - started) / 1000;
  console.log("\nCNN on DS2:\n" + ec57Markdown(cnnReport) + "\n\nLDA baseline on DS2:\n" + ec57Markdown(ldaReport));
  if (!write) return;
  const json = {
    protocol:
      "inter-patient, de Chazal et al. 2004: train DS1, test DS2 (paced records excluded); reference R-peak positions from the .atr annotations; EC57 gross statistics",
    data: {
      source: "MIT-BIH Arrhythmia Database 1.0.0 (PhysioNet), 40 of 48 records in ../shared/data/ecg/mitdb",
      ds1Available: ds1,
      ds1Absent: missing1,
      ds2Available: ds2,
      ds2Absent: missing2,
      validationRecords: VALIDATION_RECORDS,
    },
    counts: {
      train: classCounts(train.labels),
      validation: classCounts(validation.labels),
      ds1All: classCounts(all1.labels),
      test: classCounts(test.labels),
    },
    cnn: {
      report: cnnReport,
      validation: valReport,
      epochsRun: result.losses.length,
      bestEpoch: result.bestEpoch,
      losses: result.losses,
      validationMacroF1: result.validationScores,
    },
    baseline: {
      method: "LDA, equal class priors, 24 de Chazal-style features",
      classes: lda.classes.map((c) => AAMI_CLASSES[c]),
      report: ldaReport,
    },
    run: {
      command: "npm run ecg:train",
      backend: tf.getBackend(),
      tfjs: tf.version_core,
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      trainSeconds,
      totalSeconds,
      classifySpeed: speed,
    },
  };
  await writeFile(path.join(REPO_ROOT, "docs/ecg-evaluation.json"), JSON.stringify(json, null, 1) + "\n");
  const mdPath = path.join(REPO_ROOT, "docs/ecg-evaluation.md");
  const generated = [
    "<!-- results:start (written by npm run ecg:train) -->",
    `Run: ${new Date().toISOString().slice(0, 10)}, backend \`${tf.getBackend()}\` (tfjs ${tf.version_core}), Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}); training ${trainSeconds.toFixed(0)} s (${result.losses.length} epochs, weights of epoch ${result.bestEpoch} kept), whole command ${totalSeconds.toFixed(0)} s.`,
    "",
    `Test set: ${test.count} beats of DS2 (${JSON.stringify(classCounts(test.labels))}).`,
    "",
    "### CNN (1-D convolutions + RR features)",
    "",
    ec57Markdown(cnnReport),
    "",
    "### Baseline: linear discriminants (de Chazal-style features)",
    "",
    ec57Markdown(ldaReport),
    "",
    `Classification speed of \`classify()\` (baseline removal + segmentation + CNN, whole 30-min record 100, ${out.length} beats): **${speed.beatsPerSecond.toFixed(0)} beats/s** (${apiSeconds.toFixed(2)} s).`,
    "<!-- results:end -->",
  ].join("\n");
  let md = "";
  try {
    md = await readFile(mdPath, "utf8");
  } catch {
    md = "# ECG beat classification: evaluation\n\n## Results\n\n<!-- results:start -->\n<!-- results:end -->\n";
  }
  md = md.replace(/<!-- results:start[^]*?<!-- results:end -->/, generated);
  await writeFile(mdPath, md);
  console.log(
    `wrote ${path.relative(REPO_ROOT, MODEL_DIR)}/, docs/ecg-evaluation.json, docs/ecg-evaluation.md (${totalSeconds.toFixed(0)} s in all)`,
  );
}

if (import.meta.main ?? process.argv[1] === import.meta.filename) await main();
