/**
 * Errors of ECG signal processing (QRS detection, beat comparison, rhythm screening). Messages
 * name the argument and what is wrong; none carries samples or other patient data beyond an
 * index.
 *
 * @module
 */
import { MeridianError } from "@meridian/sdk";
import type { MeridianErrorParameters } from "@meridian/sdk";

/**
 * An argument an ECG routine cannot work with: a sampling frequency that is not a finite
 * number of at least the routine's minimum, a sample that is `NaN` or infinite, R-peak
 * indexes out of order, or a detector used after `flush()`.
 */
export class EcgInputError extends MeridianError {
  override name = "EcgInputError" as const;
  constructor(shortMessage: string, parameters: MeridianErrorParameters = {}) {
    super(shortMessage, {
      hint: "Pass one lead's samples as finite numbers (mV or adu), the sampling frequency in Hz, and sample indexes in increasing order; mark gaps instead of sending NaN.",
      ...parameters,
    });
  }
}

/** Throws {@link EcgInputError} unless `fs` is a finite number > 0 and ≥ `minimum` (Hz). */
export function checkSamplingFrequency(fs: number, minimum = 0, what = "samplingFrequency"): void {
  if (typeof fs !== "number" || !Number.isFinite(fs) || fs <= 0 || fs < minimum) {
    throw new EcgInputError(
      `${what} is ${String(fs)}; it must be a finite number ${minimum > 0 ? `of at least ${minimum}` : "above 0"} Hz.`,
    );
  }
}
