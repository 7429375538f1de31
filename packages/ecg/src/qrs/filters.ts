/**
 * Stage 1 of the Pan-Tompkins QRS detector (`pan-tompkins.ts`): the 5-15 Hz band-pass as two
 * 2nd-order Butterworth sections designed by the bilinear transform for any sampling frequency
 * (instead of the paper's integer filters, which assume 200 Hz), and their group delay, which
 * places each integrator peak back on its QRS complex.
 *
 * @module
 */

/**
 * One 2nd-order IIR section (biquad), normalised so that a0 = 1:
 * `y[n] = b0 x[n] + b1 x[n-1] + b2 x[n-2] - a1 y[n-1] - a2 y[n-2]`.
 */
export interface Biquad {
  /** Feed-forward coefficient of x[n]. */
  b0: number;
  /** Feed-forward coefficient of x[n-1]. */
  b1: number;
  /** Feed-forward coefficient of x[n-2]. */
  b2: number;
  /** Feedback coefficient of y[n-1]. */
  a1: number;
  /** Feedback coefficient of y[n-2]. */
  a2: number;
}

/**
 * A 2nd-order Butterworth section by the bilinear transform, pre-warped at the corner (the RBJ
 * audio-EQ cookbook with Q = 1/√2).
 *
 * @param kind - Low-pass or high-pass.
 * @param cornerHz - The -3 dB corner (Hz), below `fs / 2`.
 * @param fs - Sampling frequency (Hz).
 */
export function butterworth(kind: "lowpass" | "highpass", cornerHz: number, fs: number): Biquad {
  const w0 = (2 * Math.PI * cornerHz) / fs;
  const cos = Math.cos(w0);
  const alpha = Math.sin(w0) / Math.SQRT2;
  const a0 = 1 + alpha;
  const b = kind === "lowpass" ? [(1 - cos) / 2, 1 - cos, (1 - cos) / 2] : [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2];
  return { b0: b[0]! / a0, b1: b[1]! / a0, b2: b[2]! / a0, a1: (-2 * cos) / a0, a2: (1 - alpha) / a0 };
}

/**
 * Group delay of a cascade of biquads at one frequency, by a central difference of the phase.
 *
 * @param sections - The cascade, in order (the order does not change the result).
 * @param hz - Frequency (Hz) at which to measure.
 * @param fs - Sampling frequency (Hz).
 * @returns The delay in samples (fractional).
 */
export function groupDelay(sections: readonly Biquad[], hz: number, fs: number): number {
  const response = (w: number): [number, number] => {
    let re = 1,
      im = 0;
    for (const s of sections) {
      const nr = s.b0 + s.b1 * Math.cos(w) + s.b2 * Math.cos(2 * w),
        ni = -s.b1 * Math.sin(w) - s.b2 * Math.sin(2 * w);
      const dr = 1 + s.a1 * Math.cos(w) + s.a2 * Math.cos(2 * w),
        di = -s.a1 * Math.sin(w) - s.a2 * Math.sin(2 * w);
      const d2 = dr * dr + di * di;
      const hr = (nr * dr + ni * di) / d2,
        hi = (ni * dr - nr * di) / d2;
      [re, im] = [re * hr - im * hi, re * hi + im * hr];
    }
    return [re, im];
  };
  const w = (2 * Math.PI * hz) / fs,
    dw = 1e-4;
  const [ar, ai] = response(w + dw),
    [br, bi] = response(w - dw);
  return -Math.atan2(ai * br - ar * bi, ar * br + ai * bi) / (2 * dw);
}
