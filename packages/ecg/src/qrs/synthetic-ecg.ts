/**
 * Synthetic single-lead ECG for tests: each beat is a sum of Gaussian waves (P, Q, R, S, T, in
 * the manner of McSharry et al., IEEE TBME 50(3):289-294, 2003, without the dynamical model),
 * with baseline wander, mains interference and white noise added. The R positions are known
 * exactly, which the MIT-BIH annotations (placed by hand) are not.
 *
 * @module
 */
import { seededRandom } from "../random.ts";

/** Beat shapes: a sinus beat (QRS about 90 ms), or a wide ventricular-like beat (no P wave, QRS about 200 ms, discordant T). */
export type SyntheticBeatKind = "normal" | "wide";

/** One beat to draw. */
export interface SyntheticBeat {
  /** Time of the R-wave peak (s from the start). */
  time: number;
  /** Shape; default `"normal"`. */
  kind?: SyntheticBeatKind;
  /** Amplitude factor; default 1. */
  scale?: number;
}

/** Options of {@link syntheticEcg}. */
export interface SyntheticEcgOptions {
  /** Sampling frequency (Hz). */
  samplingFrequency: number;
  /** Length of the signal (s). */
  durationSeconds: number;
  /** The beats. */
  beats: readonly SyntheticBeat[];
  /** Standard deviation of white noise (mV); default 0.02. */
  noiseMv?: number;
  /** Amplitude of baseline wander (mV), the sum of 0.15 Hz and 0.33 Hz sines; default 0.5. */
  wanderMv?: number;
  /** Amplitude of 50 Hz mains interference (mV); default 0.03. */
  mainsMv?: number;
  /** Seed of the noise generator; default 1. */
  seed?: number;
}

/** Waves of a beat: [centre (s from R), amplitude (mV), width σ (s)]. */
const WAVES: Record<SyntheticBeatKind, readonly [number, number, number][]> = {
  normal: [
    [-0.2, 0.15, 0.025],
    [-0.025, -0.12, 0.006],
    [0, 1.2, 0.008],
    [0.025, -0.25, 0.007],
    [0.3, 0.3, 0.05],
  ],
  wide: [
    [0, 1.5, 0.028],
    [0.07, -0.6, 0.025],
    [0.33, -0.45, 0.07],
  ],
};

/**
 * Draws a synthetic ECG.
 *
 * @returns `signal` in mV (`durationSeconds × samplingFrequency` samples) and `rPeaks`, the
 *   sample index nearest each beat's R time, in beat order.
 */
export function syntheticEcg(options: SyntheticEcgOptions): { signal: Float64Array; rPeaks: number[] } {
  const fs = options.samplingFrequency;
  const n = Math.round(options.durationSeconds * fs);
  const signal = new Float64Array(n);
  const random = seededRandom(options.seed ?? 1);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const noise = options.noiseMv ?? 0.02,
    wander = options.wanderMv ?? 0.5,
    mains = options.mainsMv ?? 0.03;
  for (let i = 0; i < n; i++) {
    const t = i / fs;
    signal[i] =
      wander * (0.6 * Math.sin(2 * Math.PI * 0.15 * t) + 0.4 * Math.sin(2 * Math.PI * 0.33 * t + 1)) +
      mains * Math.sin(2 * Math.PI * 50 * t) +
      noise * gauss();
  }
  for (const beat of options.beats) {
    const scale = beat.scale ?? 1;
    for (const [centre, amplitude, width] of WAVES[beat.kind ?? "normal"]) {
      const mid = (beat.time + centre) * fs;
      const reach = Math.ceil(4 * width * fs);
      for (let i = Math.max(0, Math.floor(mid) - reach); i <= Math.min(n - 1, Math.ceil(mid) + reach); i++) {
        const z = (i - mid) / (width * fs);
        signal[i] = signal[i]! + scale * amplitude * Math.exp(-0.5 * z * z);
      }
    }
  }
  return { signal, rPeaks: options.beats.map((b) => Math.round(b.time * fs)) };
}

/**
 * Beat times (s) for a rhythm: starting at `start`, each RR interval drawn from `rr(k)`.
 *
 * @param rr - RR interval (s) before beat `k + 1`.
 * @param start - Time of the first beat (s).
 * @param end - No beat at or after this time (s).
 */
export function beatTimes(rr: (k: number) => number, start: number, end: number): number[] {
  const out: number[] = [];
  for (let t = start, k = 0; t < end; t += rr(k++)) out.push(t);
  return out;
}
