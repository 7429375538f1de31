/**
 * A streaming Pan-Tompkins QRS detector for one ECG lead at any sampling frequency.
 *
 * After Pan J, Tompkins WJ. A real-time QRS detection algorithm. IEEE Trans Biomed Eng
 * 32(3):230-236 (1985), doi:10.1109/TBME.1985.325532:
 *
 * 1. band-pass 5-15 Hz (a 2nd-order Butterworth high-pass at 5 Hz then a 2nd-order
 *    Butterworth low-pass at 15 Hz, both by the bilinear transform for the given sampling
 *    frequency, instead of the paper's integer filters that assume 200 Hz);
 * 2. the paper's five-point derivative, squaring, and a 150 ms moving-window integrator;
 * 3. fiducial marks: peaks of the integrated signal that are the largest within ±200 ms (the
 *    refractory period, so two QRS complexes are never closer than 200 ms);
 * 4. two sets of adaptive thresholds (integrated and band-passed signal), each
 *    `THRESHOLD1 = NPK + 0.25 (SPK - NPK)`, `THRESHOLD2 = 0.5 THRESHOLD1`, with running
 *    signal and noise peak levels `SPK`/`NPK` (weights 0.125, or 0.25 for a beat found by
 *    search-back), initialised over a 2 s learning phase; THRESHOLD1 halved while the rhythm
 *    is irregular;
 * 5. RR AVERAGE1 (the last 8 RR intervals) and RR AVERAGE2 (the last 8 within 92-116 % of
 *    RR AVERAGE2); when no QRS is found for 166 % of RR AVERAGE2, search-back takes the
 *    largest peak since the last QRS that passes THRESHOLD2;
 * 6. T-wave discrimination: a peak within 360 ms of the previous QRS whose maximal slope is
 *    less than half that QRS's slope is a T wave.
 *
 * Adaptations, all deterministic per sample so that chunking never changes the result:
 *
 * - the first sample is subtracted before filtering (no start-up step transient);
 * - learning phase 1 sets SPK to the largest and NPK to the mean integrated (and
 *   |band-passed|) value of the first 2 s;
 * - the rhythm counts as irregular while any of the last 8 RR intervals is outside the RR
 *   limits; RR AVERAGE2 is re-seeded from RR AVERAGE1 after 8 beats without an in-range
 *   interval, so a lasting rate change cannot freeze it;
 * - the search-back interval is capped at {@link MAX_SEARCH_BACK_SECONDS};
 * - a search-back that finds nothing above THRESHOLD2 moves the signal levels halfway to the
 *   largest peak it saw, so an electrode artefact or a lasting drop in amplitude cannot
 *   silence the detector (it recovers within a few search-backs); the price is that noise may
 *   be counted as beats after several seconds of asystole;
 * - each QRS is reported at the extreme of the original signal within
 *   ±{@link R_SEARCH_HALF_WIDTH_SECONDS} of where the integrator's peak places the complex:
 *   the R-wave maximum, or the nadir of a predominantly negative complex (deeper than
 *   {@link NEGATIVE_QRS_RATIO} times its height, both from the median level of the
 *   surrounding 400 ms).
 *
 * On the 40 shared MIT-BIH records (channel 0, whole records) this detects 99.77 % of the
 * reference beats with a positive predictivity of 99.91 % (see `pan-tompkins.test.ts`); the
 * paper reports 99.76 % and 99.56 % on all 48.
 *
 * Stage 1's filters are in `filters.ts`, rule 5's RR averages in `rr-intervals.ts`, the constants in
 * `constants.ts`.
 *
 * @module
 */
import { EcgInputError, checkSamplingFrequency } from "./errors.ts";
import { butterworth, groupDelay } from "./filters.ts";
import type { Biquad } from "./filters.ts";
import { RrAverages } from "./rr-intervals.ts";
import {
  BAND_PASS_HZ,
  INTEGRATION_WINDOW_SECONDS,
  REFRACTORY_SECONDS,
  T_WAVE_WINDOW_SECONDS,
  LEARNING_SECONDS,
  SEARCH_BACK_RR_FACTOR,
  RR_LIMITS,
  MAX_SEARCH_BACK_SECONDS,
  R_SEARCH_HALF_WIDTH_SECONDS,
  NEGATIVE_QRS_RATIO,
  MIN_SAMPLING_FREQUENCY,
} from "./constants.ts";

/** Options of {@link QrsDetector}. */
export interface QrsDetectorOptions {
  /** Sampling frequency of the lead (Hz), at least {@link MIN_SAMPLING_FREQUENCY}. */
  samplingFrequency: number;
}

/** A peak of the integrated signal, with what the decision rules need about it. */
interface Candidate {
  /** Sample index of the integrator's peak. */
  index: number;
  /** PEAKI: the integrated signal's value there. */
  peakI: number;
  /** PEAKF: the largest |band-passed| value in the integrator's window. */
  peakF: number;
  /** The largest |derivative| in the integrator's window (for T-wave discrimination). */
  slope: number;
  /** Sample index of the R-wave extreme in the original signal. */
  r: number;
}

/**
 * Streaming Pan-Tompkins QRS detector for one lead.
 *
 * Feed consecutive chunks of samples (any length, any unit: the thresholds adapt to the
 * signal, so mV and adu give the same beats) with {@link QrsDetector.push}; each call returns
 * the R peaks confirmed so far as absolute sample indexes (counted from the first sample ever
 * pushed), each reported once and in increasing order. Call {@link QrsDetector.flush} at the
 * end of the stream for the last ones. Chunking never changes the result: the detector works
 * sample by sample.
 *
 * Reporting delay: after the first {@link LEARNING_SECONDS} (whose beats are reported when
 * learning ends), an R peak at sample `r` is returned by the `push` whose chunk reaches sample
 * `r + normalDelaySamples` ({@link QrsDetector.normalDelaySeconds}, about 0.39 s at 360 Hz),
 * or, for a beat only found by search-back, at most `r + maxDelaySamples`
 * ({@link QrsDetector.maxDelaySeconds}, about 3.4 s; measured on MIT-BIH: typically 0.31 s, at most 1.1 s).
 *
 * Cost: a few dozen floating-point operations per sample and fixed ring buffers of under
 * a second of signal; a 30-minute 360 Hz record takes some tens of milliseconds.
 *
 * @example
 * ```ts
 * const detector = new QrsDetector({ samplingFrequency: 360 });
 * for (const chunk of chunks) for (const r of detector.push(chunk)) console.log("beat at", r / 360, "s");
 * detector.flush();
 * ```
 */
export class QrsDetector {
  /** Sampling frequency (Hz). */
  readonly samplingFrequency: number;
  /**
   * Delay (samples) after which an R peak found above THRESHOLD1 is reported: the
   * integrator's lag behind the complex, the R search half-width, and the ±200 ms it waits to
   * confirm a peak.
   */
  readonly normalDelaySamples: number;
  /** {@link QrsDetector.normalDelaySamples} in seconds. */
  readonly normalDelaySeconds: number;
  /** Longest delay (samples) of any report after the learning phase, search-back included. */
  readonly maxDelaySamples: number;
  /** {@link QrsDetector.maxDelaySamples} in seconds. */
  readonly maxDelaySeconds: number;

  // Filters.
  readonly #hp: Biquad;
  readonly #lp: Biquad;
  #h1 = 0;
  #h2 = 0;
  #l1 = 0;
  #l2 = 0;
  #offset = 0;
  // Ring buffers (power-of-two length) of the original, band-passed, derivative and integrated signals.
  readonly #mask: number;
  readonly #raw: Float64Array;
  readonly #bp: Float64Array;
  readonly #der: Float64Array;
  readonly #mwi: Float64Array;
  #sumSq = 0;
  // Sliding maximum of the integrated signal over [p - refractory, p + refractory].
  readonly #deque: Int32Array;
  #dqHead = 0;
  #dqTail = 0;
  // Sizes in samples.
  readonly #n: number; // integrator width
  readonly #refractory: number;
  readonly #tWave: number;
  readonly #learning: number;
  readonly #lag: number; // integrator peak - QRS centre
  readonly #rHalf: number;
  readonly #baselineHalf: number;
  readonly #maxSearchBack: number;
  #count = 0; // samples pushed
  #closed = false;
  // Learning phase.
  #learned = false;
  #learnMaxI = 0;
  #learnSumI = 0;
  #learnMaxF = 0;
  #learnSumF = 0;
  #learnCount = 0;
  #pending: Candidate[] = [];
  // Decision state.
  #spki = 0;
  #npki = 0;
  #spkf = 0;
  #npkf = 0;
  readonly #rr: RrAverages;
  #lastQrs = -1; // integrator index of the last QRS, -1 before the first
  #lastSlope = 0;
  #anchor = 0; // search-back waits SEARCH_BACK_RR_FACTOR x RR AVERAGE2 from here
  #stored: Candidate[] = []; // noise peaks since the last QRS, for search-back
  #lastR = -1;
  #ready: number[] = [];
  readonly #window: Float64Array; // scratch for medians

  /**
   * @param options - The lead's sampling frequency.
   * @throws {@link EcgInputError} when `samplingFrequency` is not a finite number of at least
   *   {@link MIN_SAMPLING_FREQUENCY} Hz.
   */
  constructor(options: QrsDetectorOptions) {
    const fs = options?.samplingFrequency;
    checkSamplingFrequency(fs, MIN_SAMPLING_FREQUENCY);
    this.samplingFrequency = fs;
    this.#hp = butterworth("highpass", BAND_PASS_HZ[0], fs);
    this.#lp = butterworth("lowpass", BAND_PASS_HZ[1], fs);
    this.#n = Math.max(1, Math.round(INTEGRATION_WINDOW_SECONDS * fs));
    this.#refractory = Math.round(REFRACTORY_SECONDS * fs);
    this.#tWave = Math.round(T_WAVE_WINDOW_SECONDS * fs);
    this.#learning = Math.round(LEARNING_SECONDS * fs);
    const delay = groupDelay([this.#hp, this.#lp], Math.sqrt(BAND_PASS_HZ[0] * BAND_PASS_HZ[1]), fs);
    this.#lag = Math.round((this.#n - 1) / 2 + 2 + delay);
    this.#rHalf = Math.round(R_SEARCH_HALF_WIDTH_SECONDS * fs);
    this.#baselineHalf = Math.round(0.2 * fs);
    this.#maxSearchBack = Math.round(MAX_SEARCH_BACK_SECONDS * fs);
    this.#rr = new RrAverages(Math.round(fs), RR_LIMITS); // 60 bpm until two beats are seen (learning phase 2)
    // The ring must reach back from the newest sample to the R window of a peak being confirmed.
    const reach = this.#refractory + this.#lag + Math.max(this.#rHalf, this.#baselineHalf) + this.#n + 8;
    let size = 1;
    while (size < reach + 1) size *= 2;
    this.#mask = size - 1;
    this.#raw = new Float64Array(size);
    this.#bp = new Float64Array(size);
    this.#der = new Float64Array(size);
    this.#mwi = new Float64Array(size);
    this.#deque = new Int32Array(2 * this.#refractory + 2);
    this.#window = new Float64Array(2 * this.#baselineHalf + 1);
    this.normalDelaySamples = this.#lag + this.#rHalf + this.#refractory;
    this.normalDelaySeconds = this.normalDelaySamples / fs;
    this.maxDelaySamples = Math.max(
      this.normalDelaySamples,
      this.#maxSearchBack + this.#refractory + this.#lag + this.#rHalf,
    );
    this.maxDelaySeconds = this.maxDelaySamples / fs;
  }

  /** Samples pushed so far. */
  get sampleCount(): number {
    return this.#count;
  }

  /**
   * Feeds the next samples of the lead.
   *
   * @param chunk - Consecutive samples (any length, including 0), finite numbers in any unit.
   * @returns Sample indexes of the R peaks confirmed by this chunk, increasing, each reported
   *   once over the detector's life.
   * @throws {@link EcgInputError} when a sample is `NaN` or infinite (nothing of the chunk is
   *   consumed) or after {@link QrsDetector.flush}.
   */
  push(chunk: ArrayLike<number>): number[] {
    if (this.#closed)
      throw new EcgInputError("QrsDetector.push() was called after flush(); a detector reads one stream.");
    for (let k = 0; k < chunk.length; k++) {
      const v = chunk[k];
      if (typeof v !== "number" || !Number.isFinite(v))
        throw new EcgInputError(`Sample ${this.#count + k} is ${String(v)}, not a finite number.`);
    }
    for (let k = 0; k < chunk.length; k++) this.#step(chunk[k]!);
    return this.#take();
  }

  /**
   * Ends the stream: confirms the peaks of the last 200 ms (whose look-ahead window is cut by
   * the end) and returns the R peaks not yet reported. The detector accepts no more samples.
   *
   * @returns Sample indexes, increasing, after all those returned by `push`.
   * @throws {@link EcgInputError} when called twice.
   */
  flush(): number[] {
    if (this.#closed) throw new EcgInputError("QrsDetector.flush() was called twice.");
    this.#closed = true;
    for (let p = Math.max(0, this.#count - this.#refractory); p < this.#count; p++) this.#confirm(p);
    if (!this.#learned) this.#learn();
    return this.#take();
  }

  #take(): number[] {
    const out = this.#ready;
    this.#ready = [];
    return out;
  }

  #step(x: number): void {
    const i = this.#count++;
    const m = this.#mask;
    if (i === 0) this.#offset = x;
    const v = x - this.#offset;
    this.#raw[i & m] = x;
    const hp = this.#hp,
      lp = this.#lp;
    const y1 = hp.b0 * v + this.#h1;
    this.#h1 = hp.b1 * v - hp.a1 * y1 + this.#h2;
    this.#h2 = hp.b2 * v - hp.a2 * y1;
    const y = lp.b0 * y1 + this.#l1;
    this.#l1 = lp.b1 * y1 - lp.a1 * y + this.#l2;
    this.#l2 = lp.b2 * y1 - lp.a2 * y;
    const bp = this.#bp;
    bp[i & m] = y;
    // Five-point derivative (1/8)(2x[n] + x[n-1] - x[n-3] - 2x[n-4]); ring slots not yet written are 0.
    const d = (2 * y + bp[(i - 1) & m]! - bp[(i - 3) & m]! - 2 * bp[(i - 4) & m]!) / 8;
    const der = this.#der;
    der[i & m] = d;
    const old = der[(i - this.#n) & m]!;
    if (i % 4096 === 4095) {
      // Re-sum now and then so rounding cannot accumulate (same indexes whatever the chunking).
      let s = 0;
      for (let k = i - this.#n + 1; k <= i; k++) if (k >= 0) s += der[k & m]! ** 2;
      this.#sumSq = s;
    } else {
      this.#sumSq += d * d - (i >= this.#n ? old * old : 0);
    }
    const value = Math.max(0, this.#sumSq / this.#n);
    const mwi = this.#mwi;
    mwi[i & m] = value;
    // Sliding maximum: indexes with decreasing values; ties keep the earliest.
    const dq = this.#deque,
      q = dq.length;
    while (this.#dqTail > this.#dqHead && mwi[dq[(this.#dqTail - 1) % q]! & m]! < value) this.#dqTail--;
    dq[this.#dqTail % q] = i;
    this.#dqTail++;
    const p = i - this.#refractory;
    if (p >= 0) this.#confirm(p);
  }

  /** Everything up to sample `p` of the integrated signal is final: decide about time `p`. */
  #confirm(p: number): void {
    const dq = this.#deque,
      q = dq.length,
      m = this.#mask;
    while (dq[this.#dqHead % q]! < p - this.#refractory) this.#dqHead++;
    const value = this.#mwi[p & m]!;
    if (!this.#learned) {
      this.#learnCount++;
      this.#learnSumI += value;
      if (value > this.#learnMaxI) this.#learnMaxI = value;
      const f = Math.abs(this.#bp[p & m]!);
      this.#learnSumF += f;
      if (f > this.#learnMaxF) this.#learnMaxF = f;
    } else {
      this.#searchBackIfDue(p);
    }
    if (dq[this.#dqHead % q] === p && value > 0) {
      const c = this.#candidate(p);
      if (this.#learned) this.#classify(c);
      else this.#pending.push(c);
    }
    if (!this.#learned && p === this.#learning - 1) this.#learn();
  }

  /** End of learning phase 1: thresholds from the first 2 s, then the buffered peaks. */
  #learn(): void {
    this.#learned = true;
    if (this.#learnCount === 0) return;
    this.#spki = this.#learnMaxI;
    this.#npki = this.#learnSumI / this.#learnCount;
    this.#spkf = this.#learnMaxF;
    this.#npkf = this.#learnSumF / this.#learnCount;
    const pending = this.#pending;
    this.#pending = [];
    for (const c of pending) {
      this.#searchBackIfDue(c.index);
      this.#classify(c);
    }
  }

  #candidate(p: number): Candidate {
    const m = this.#mask,
      n = this.#n;
    let peakF = 0,
      slope = 0;
    const lo = Math.max(0, p - n - 3);
    for (let k = lo; k <= p; k++) {
      const f = Math.abs(this.#bp[k & m]!);
      if (f > peakF) peakF = f;
      const s = Math.abs(this.#der[k & m]!);
      if (s > slope && k > p - n) slope = s;
    }
    return { index: p, peakI: this.#mwi[p & m]!, peakF, slope, r: this.#locateR(p) };
  }

  /** The extreme of the original signal around the complex whose integrator peak is at `p`. */
  #locateR(p: number): number {
    const m = this.#mask,
      raw = this.#raw;
    const first = Math.max(0, this.#count - this.#mask); // oldest sample still in the ring
    const centre = p - this.#lag;
    const lo = Math.max(first, centre - this.#rHalf),
      hi = Math.min(this.#count - 1, centre + this.#rHalf);
    if (hi < lo) return Math.max(first, Math.min(this.#count - 1, centre));
    const blo = Math.max(first, centre - this.#baselineHalf),
      bhi = Math.min(this.#count - 1, centre + this.#baselineHalf);
    const w = this.#window.subarray(0, bhi - blo + 1);
    for (let k = blo; k <= bhi; k++) w[k - blo] = raw[k & m]!;
    w.sort();
    const level = w[w.length >> 1]!;
    let top = lo,
      topValue = -Infinity,
      bottom = lo,
      bottomValue = Infinity;
    for (let k = lo; k <= hi; k++) {
      const v = raw[k & m]!;
      if (v > topValue) {
        topValue = v;
        top = k;
      }
      if (v < bottomValue) {
        bottomValue = v;
        bottom = k;
      }
    }
    // The R wave unless the complex is predominantly negative (a QS or rS complex).
    return level - bottomValue > NEGATIVE_QRS_RATIO * (topValue - level) ? bottom : top;
  }

  #thresholds(): { i1: number; f1: number; i2: number; f2: number } {
    const i1 = this.#npki + 0.25 * (this.#spki - this.#npki);
    const f1 = this.#npkf + 0.25 * (this.#spkf - this.#npkf);
    const halve = this.#rr.irregular ? 0.5 : 1;
    return { i1: i1 * halve, f1: f1 * halve, i2: 0.5 * i1, f2: 0.5 * f1 };
  }

  #isTWave(c: Candidate): boolean {
    return this.#lastQrs >= 0 && c.index - this.#lastQrs < this.#tWave && c.slope < 0.5 * this.#lastSlope;
  }

  #classify(c: Candidate): void {
    if (this.#lastQrs >= 0 && c.index - this.#lastQrs < this.#refractory) return;
    const t = this.#thresholds();
    const tWave = this.#isTWave(c);
    if (!tWave && c.peakI > t.i1 && c.peakF > t.f1) {
      this.#spki = 0.125 * c.peakI + 0.875 * this.#spki;
      this.#spkf = 0.125 * c.peakF + 0.875 * this.#spkf;
      this.#beat(c);
    } else {
      this.#npki = 0.125 * c.peakI + 0.875 * this.#npki;
      this.#npkf = 0.125 * c.peakF + 0.875 * this.#npkf;
      if (!tWave) this.#stored.push(c);
    }
  }

  /** Search-back: no QRS for RR MISSED LIMIT since the anchor, so take the best stored peak above THRESHOLD2. */
  #searchBackIfDue(p: number): void {
    for (;;) {
      const limit = Math.min(this.#maxSearchBack, Math.round(SEARCH_BACK_RR_FACTOR * this.#rr.average2));
      if (p - this.#anchor <= limit) return;
      const t = this.#thresholds();
      let best: Candidate | undefined;
      for (const c of this.#stored) {
        if (c.index >= p || c.peakI <= t.i2 || c.peakF <= t.f2 || this.#isTWave(c)) continue;
        if (!best || c.peakI > best.peakI) best = c;
      }
      if (!best) {
        // Nothing passes THRESHOLD2 (ours): move the signal levels toward the largest peak seen,
        // so that a lasting drop in QRS amplitude is followed within a few beats.
        let topI = 0,
          topF = 0;
        for (const c of this.#stored)
          if (c.index < p && c.peakI > topI) {
            topI = c.peakI;
            topF = c.peakF;
          }
        if (topI > 0) {
          this.#spki = 0.5 * topI + 0.5 * this.#spki;
          this.#spkf = 0.5 * topF + 0.5 * this.#spkf;
        }
        this.#anchor = p;
        this.#stored = [];
        return;
      }
      this.#spki = 0.25 * best.peakI + 0.75 * this.#spki;
      this.#spkf = 0.25 * best.peakF + 0.75 * this.#spkf;
      const later = this.#stored.filter((c) => c.index > best.index);
      this.#beat(best);
      this.#stored = later;
    }
  }

  #beat(c: Candidate): void {
    if (this.#lastQrs >= 0) this.#rr.update(c.index - this.#lastQrs);
    this.#lastQrs = c.index;
    this.#anchor = c.index;
    this.#lastSlope = c.slope;
    this.#stored = [];
    if (c.r > this.#lastR) {
      this.#lastR = c.r;
      this.#ready.push(c.r);
    }
  }
}

/**
 * Detects the R peaks of a whole recording: the same as one {@link QrsDetector.push} of all
 * samples followed by {@link QrsDetector.flush}.
 *
 * @param samples - One lead, finite numbers in any unit (mV or adu).
 * @param samplingFrequency - Hz, at least {@link MIN_SAMPLING_FREQUENCY}.
 * @returns Sample indexes of the R peaks, increasing.
 * @throws {@link EcgInputError} on a bad sampling frequency or a non-finite sample.
 */
export function detectQrs(samples: ArrayLike<number>, samplingFrequency: number): number[] {
  const detector = new QrsDetector({ samplingFrequency });
  return [...detector.push(samples), ...detector.flush()];
}
