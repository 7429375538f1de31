/**
 * Pan-Tompkins detector and beat comparison tests: synthetic beat trains with known R peaks
 * (several sampling frequencies, units, noise, baseline wander, an electrode artefact),
 * streaming equivalence and delay, input errors, and the 40 shared MIT-BIH records.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { describe, test } from "node:test";
import { PACED_RECORDS, MITDB_DIR, MITDB_MISSING, mitdbPresent } from "../wfdb/mitdb.ts";
import { readWfdbRecord } from "../wfdb/index.ts";
import { EcgInputError } from "./errors.ts";
import { compareBeats, excludedIntervals, referenceBeats } from "./evaluate.ts";
import { QrsDetector, detectQrs } from "./pan-tompkins.ts";
import { seededRandom } from "../random.ts";
import { beatTimes, syntheticEcg } from "./synthetic-ecg.ts";
import type { SyntheticBeat } from "./synthetic-ecg.ts";

/** Five minutes at 50-110 bpm with sinus arrhythmia, amplitude changes, and one premature wide beat in 17. */
function fixtureBeats(): SyntheticBeat[] {
  const random = seededRandom(7);
  const rr = (k: number) => {
    const base = (0.55 + 0.65 * (0.5 + 0.5 * Math.sin(k / 40))) * (1 + 0.05 * Math.sin(k / 3));
    return k % 17 === 4 ? 0.7 * base : k % 17 === 5 ? 1.3 * base : base;
  };
  return beatTimes(rr, 0.5, 299.5).map((time, k) => ({
    time,
    kind: k % 17 === 5 ? "wide" : "normal",
    scale: 0.7 + 0.6 * random(),
  }));
}

/** Asserts that `peaks` are exactly the fixture's beats: one each, none extra, R located within tolerance. */
function assertExact(peaks: number[], rPeaks: number[], beats: SyntheticBeat[], fs: number) {
  const c = compareBeats(rPeaks, peaks, { samplingFrequency: fs });
  assert.equal(c.fn, 0, `missed at ${c.missed.map((m) => (m / fs).toFixed(2)).join(", ")} s`);
  assert.equal(c.fp, 0, `false at ${c.falseDetections.map((m) => (m / fs).toFixed(2)).join(", ")} s`);
  const nearest = (r: number) => Math.min(...peaks.filter((p) => Math.abs(p - r) < fs).map((p) => Math.abs(p - r)));
  rPeaks.forEach((r, k) => {
    // Normal beats: the sample of the R apex (± one sample or 5 ms of noise); wide beats have a blunt apex: 15 ms.
    const tolerance = beats[k]!.kind === "wide" ? 0.015 * fs : Math.max(1, 0.005 * fs);
    assert.ok(nearest(r) <= tolerance, `beat ${k} at ${(r / fs).toFixed(2)} s located ${nearest(r)} samples off`);
  });
}

describe("Pan-Tompkins: synthetic ECG", () => {
  const beats = fixtureBeats();

  for (const fs of [360, 250, 128, 500, 1000]) {
    test(`exact detection at ${fs} Hz with noise, mains and baseline wander`, () => {
      const { signal, rPeaks } = syntheticEcg({
        samplingFrequency: fs,
        durationSeconds: 300,
        beats,
        noiseMv: 0.03,
        wanderMv: 0.8,
      });
      assertExact(detectQrs(signal, fs), rPeaks, beats, fs);
    });
  }

  test("the unit does not matter: mV, adu (200/mV + 1024 offset) and µV give the same peaks", () => {
    const { signal } = syntheticEcg({
      samplingFrequency: 360,
      durationSeconds: 120,
      beats: beats.filter((b) => b.time < 120),
    });
    const mv = detectQrs(signal, 360);
    assert.deepEqual(
      detectQrs(
        Float64Array.from(signal, (v) => Math.round(v * 200 + 1024)),
        360,
      ).length,
      mv.length,
    );
    assert.deepEqual(
      detectQrs(
        Float64Array.from(signal, (v) => v * 1000),
        360,
      ),
      mv,
    );
  });

  test("streaming: chunks of 1, 100, 100,000 and random sizes give the same peaks, each within the documented delay", () => {
    const { signal, rPeaks } = syntheticEcg({ samplingFrequency: 360, durationSeconds: 300, beats });
    const batch = detectQrs(signal, 360);
    const random = seededRandom(3);
    for (const size of [1, 100, 100_000, 0]) {
      const detector = new QrsDetector({ samplingFrequency: 360 });
      const got: number[] = [];
      let lateBeyondNormal = 0;
      for (let i = 0; i < signal.length;) {
        const n = size || 1 + Math.floor(random() * 5000);
        const end = Math.min(signal.length, i + n);
        for (const r of detector.push(signal.subarray(i, end))) {
          if (size === 1 && r >= 2 * 360) {
            // With one-sample chunks, `end - 1` is the newest sample when r was reported.
            assert.ok(end - 1 - r <= detector.maxDelaySamples);
            if (end - 1 - r > detector.normalDelaySamples) lateBeyondNormal++;
          }
          got.push(r);
        }
        i = end;
      }
      got.push(...detector.flush());
      assert.deepEqual(got, batch, `chunk size ${size || "random"}`);
      assert.equal(lateBeyondNormal, 0, "every beat of the fixture passes THRESHOLD1, so none waits for search-back");
    }
    assert.equal(batch.length, rPeaks.length);
    const detector = new QrsDetector({ samplingFrequency: 360 });
    assert.ok(
      detector.normalDelaySeconds > 0.3 && detector.normalDelaySeconds < 0.45,
      `normal delay ${detector.normalDelaySeconds} s`,
    );
    assert.ok(detector.maxDelaySeconds < 3.5, `max delay ${detector.maxDelaySeconds} s`);
  });

  test("recovers after a 40 mV electrode artefact and a 4x drop in amplitude", () => {
    const fs = 360;
    const regular = beatTimes(() => 0.8, 0.4, 89.5).map((time) => ({ time }));
    const { signal, rPeaks } = syntheticEcg({ samplingFrequency: fs, durationSeconds: 90, beats: regular });
    const at = Math.round(20.3 * fs),
      width = Math.round(0.03 * fs);
    for (let i = 0; i < width; i++) signal[at + i] = signal[at + i]! + 40 * Math.sin((Math.PI * i) / width);
    for (let i = 50 * fs; i < signal.length; i++) signal[i] = signal[i]! * 0.25;
    const peaks = detectQrs(signal, fs);
    // Judged outside the artefact's 10 s and the 5 s after the (step-like) amplitude change.
    const c = compareBeats(rPeaks, peaks, {
      samplingFrequency: fs,
      excluded: [
        { start: 20 * fs, end: 30 * fs },
        { start: 49.5 * fs, end: 55 * fs },
      ],
    });
    // Pan-Tompkins alone would stay deaf after the artefact (SPKI jumps ~100x and THRESHOLD2 never falls back).
    assert.equal(c.fn, 0, `missed at ${c.missed.map((m) => (m / fs).toFixed(1)).join(", ")} s`);
    assert.equal(c.fp, 0, `false at ${c.falseDetections.map((m) => (m / fs).toFixed(1)).join(", ")} s`);
  });

  test("edge cases: flat and empty input, a stream shorter than the learning phase", () => {
    assert.deepEqual(detectQrs(new Float64Array(3600), 360), []);
    assert.deepEqual(detectQrs([], 360), []);
    const detector = new QrsDetector({ samplingFrequency: 360 });
    assert.deepEqual(detector.push([]), []);
    const short = syntheticEcg({ samplingFrequency: 360, durationSeconds: 1.8, beats: [{ time: 0.5 }, { time: 1.3 }] });
    assert.deepEqual(detector.push(short.signal), []); // still learning
    const last = detector.flush();
    assert.equal(last.length, 2);
    assert.ok(Math.abs(last[0]! - short.rPeaks[0]!) <= 1 && Math.abs(last[1]! - short.rPeaks[1]!) <= 1);
    assert.equal(detector.sampleCount, short.signal.length);
  });

  test("bad input is refused with EcgInputError", () => {
    for (const fs of [0, -360, Number.NaN, Number.POSITIVE_INFINITY, 20]) {
      assert.throws(() => new QrsDetector({ samplingFrequency: fs }), EcgInputError, `fs ${fs}`);
      assert.throws(() => detectQrs([1, 2, 3], fs), EcgInputError);
    }
    const detector = new QrsDetector({ samplingFrequency: 360 });
    detector.push([0, 1, 2]);
    assert.throws(
      () => detector.push([3, Number.NaN, 5]),
      (e: unknown) =>
        e instanceof EcgInputError && /Sample 4 is NaN/.test(e.shortMessage) && typeof e.hint === "string",
    );
    assert.equal(detector.sampleCount, 3, "nothing of a refused chunk is consumed");
    assert.throws(() => detector.push([Number.POSITIVE_INFINITY]), EcgInputError);
    detector.flush();
    assert.throws(() => detector.push([1]), /after flush/);
    assert.throws(() => detector.flush(), /twice/);
  });
});

describe("beat comparison (EC57)", () => {
  test("matches within 150 ms, nearest first, each beat and detection used once", () => {
    const fs = 100; // 150 ms = 15 samples
    const c = compareBeats([100, 200, 300, 400], [105, 114, 215, 330, 401, 600], { samplingFrequency: fs });
    // 100<->105 (not 114: 105 is nearer); 200<->215 (15 = window, inclusive); 300 misses 330; 400<->401; 114, 330, 600 are false.
    assert.deepEqual([c.tp, c.fn, c.fp], [3, 1, 3]);
    assert.deepEqual(c.missed, [300]);
    assert.deepEqual(c.falseDetections, [114, 330, 600]);
    assert.deepEqual(c.offsets, [5, 15, 1]);
    assert.equal(c.sensitivity, 3 / 4);
    assert.equal(c.positivePredictivity, 3 / 6);
    const empty = compareBeats([], [], { samplingFrequency: fs });
    assert.ok(Number.isNaN(empty.sensitivity) && Number.isNaN(empty.positivePredictivity));
    assert.throws(() => compareBeats([1], [Number.NaN], { samplingFrequency: fs }), EcgInputError);
    assert.throws(() => compareBeats([1], [1], { samplingFrequency: 0 }), EcgInputError);
  });

  test("VF episodes and shutdown are excluded, as bxb does", () => {
    const a = (sample: number, symbol: string, subtype = 0) => ({ sample, symbol, subtype });
    const annotations = [
      a(100, "N"),
      a(200, "["),
      a(250, "!"),
      a(300, "]"),
      a(400, "N"),
      a(500, "~", 0x30),
      a(600, "~", 0), // shutdown closed by a readable noise mark
      a(700, "N"),
      a(800, "~", 1023),
      a(900, "N"), // lone shutdown mark (MIT-BIH writes -1): between beats, one window in
    ];
    assert.deepEqual(excludedIntervals(annotations, 1000, 100), [
      { start: 200, end: 301 },
      { start: 500, end: 601 },
      { start: 715, end: 886 },
    ]);
    const c = compareBeats(referenceBeats(annotations), [100, 250, 400, 550, 800, 900], {
      samplingFrequency: 100,
      excluded: excludedIntervals(annotations, 1000, 100),
    });
    assert.deepEqual([c.referenceBeats, c.tp, c.fn, c.fp], [4, 3, 1, 0]); // 700 missed; detections at 250, 550, 800 not counted
  });
});

/** Records whose channel 0 is hard for any QRS detector (see the floors below). */
const HARD = new Set(["108", "116", "203", "207", "208", "210", "228"]);

describe("Pan-Tompkins: shared MIT-BIH records", { skip: mitdbPresent() ? false : MITDB_MISSING }, () => {
  test("streaming equals batch on the first 5 minutes of record 208 (chunks of 1, 100, 100,000)", async () => {
    const samples = (await readWfdbRecord(MITDB_DIR, "208")).signals[0]!.subarray(0, 5 * 60 * 360);
    const batch = detectQrs(samples, 360);
    assert.ok(batch.length > 400);
    for (const size of [1, 100, 100_000]) {
      const detector = new QrsDetector({ samplingFrequency: 360 });
      const got: number[] = [];
      for (let i = 0; i < samples.length; i += size) got.push(...detector.push(samples.subarray(i, i + size)));
      got.push(...detector.flush());
      assert.deepEqual(got, batch, `chunk size ${size}`);
    }
  });

  test("all 40 records, channel 0: per-record and gross Se / +P", async (t) => {
    const rows: string[] = ["record  beats     TP   FN   FP      Se      +P"];
    const gross = { all: { tp: 0, fn: 0, fp: 0 }, unpaced: { tp: 0, fn: 0, fp: 0 } };
    const failures: string[] = [];
    let slowest = 0;
    const names = readdirSync(MITDB_DIR)
      .filter((f) => f.endsWith(".hea"))
      .map((f) => f.slice(0, -4))
      .sort();
    assert.equal(names.length, 40);
    for (const name of names) {
      const record = await readWfdbRecord(MITDB_DIR, name);
      const started = performance.now();
      const peaks = detectQrs(record.signals[0]!, record.header.samplingFrequency);
      slowest = Math.max(slowest, performance.now() - started);
      const c = compareBeats(referenceBeats(record.annotations), peaks, {
        samplingFrequency: record.header.samplingFrequency,
        excluded: excludedIntervals(record.annotations, record.header.sampleCount, record.header.samplingFrequency),
      });
      const paced = (PACED_RECORDS as readonly string[]).includes(name);
      for (const g of paced ? [gross.all] : [gross.all, gross.unpaced]) {
        g.tp += c.tp;
        g.fn += c.fn;
        g.fp += c.fp;
      }
      const pct = (x: number) => (100 * x).toFixed(2).padStart(7);
      rows.push(
        `${name}${paced ? "p" : " "}   ${String(c.referenceBeats).padStart(5)}  ${String(c.tp).padStart(5)} ${String(c.fn).padStart(4)} ${String(c.fp).padStart(4)} ${pct(c.sensitivity)} ${pct(c.positivePredictivity)}`,
      );
      if (paced) continue;
      const [se, pp] = HARD.has(name) ? [0.97, 0.985] : [0.993, 0.995];
      if (c.sensitivity < se || c.positivePredictivity < pp)
        failures.push(`${name}: Se ${pct(c.sensitivity)} +P ${pct(c.positivePredictivity)} below ${se}/${pp}`);
    }
    const summary = (g: { tp: number; fn: number; fp: number }) => ({
      se: g.tp / (g.tp + g.fn),
      pp: g.tp / (g.tp + g.fp),
    });
    const all = summary(gross.all),
      unpaced = summary(gross.unpaced);
    rows.push(
      `gross (40 records):  TP ${gross.all.tp} FN ${gross.all.fn} FP ${gross.all.fp}  Se ${(100 * all.se).toFixed(2)} %  +P ${(100 * all.pp).toFixed(2)} %`,
    );
    rows.push(
      `gross (37 unpaced):  TP ${gross.unpaced.tp} FN ${gross.unpaced.fn} FP ${gross.unpaced.fp}  Se ${(100 * unpaced.se).toFixed(2)} %  +P ${(100 * unpaced.pp).toFixed(2)} %`,
    );
    rows.push(`slowest record (650,000 samples): ${slowest.toFixed(0)} ms`);
    for (const row of rows) t.diagnostic(row);
    // Floors. Pan & Tompkins (1985) report Se 99.76 % and +P 99.56 % (277 FN, 507 FP of 116,137
    // beats, all 48 records); independent re-implementations usually land within a few tenths
    // of that. We measure Se 99.77 % / +P 99.91 % here, and hold the gross over the unpaced
    // records (EC57 leaves paced records out) to 99.5 % for both: about 0.25 points under the
    // published sensitivity. Per record: 99.3 % Se and 99.5 % +P, except the records that
    // defeat most detectors on channel 0 (108: large P waves and noise; 116: a clipped, lead-off
    // minute; 203: multiform PVCs in atrial fibrillation and flutter, heavy noise; 207: flutter
    // and bundle branch block changes; 208 and 210: R-on-T ventricular beats that the 360 ms
    // T-wave rule rejects; 228: noise bursts), which are held to 97 % Se and 98.5 % +P. Record
    // 105, the noisiest of all, is among the held-back records.
    assert.ok(unpaced.se >= 0.995 && unpaced.pp >= 0.995, `gross Se ${unpaced.se} +P ${unpaced.pp}`);
    assert.deepEqual(failures, []);
    // Performance: a 30-minute record in well under 1 s (tens of ms measured; the margin absorbs a busy machine).
    assert.ok(slowest < 1000, `slowest record took ${slowest} ms`);
  });
});
