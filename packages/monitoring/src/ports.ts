/**
 * The seam between this package and `@meridian/ecg`: what the monitoring chain needs from
 * signal processing, as small interfaces: a streaming QRS detector and a rhythm screen on the
 * device, a beat classifier on the edge. The roles call signal processing only through these
 * interfaces (from `@meridian/ecg` they take just its vocabulary: AAMI classes, WFDB records);
 * `pipeline.ts` plugs in `@meridian/ecg`'s Pan-Tompkins `QrsDetector`, its `screenRhythm` and
 * the CNN of `@meridian/ecg/model`.
 *
 * @module
 */
import type { Hex } from "viem";
import type { AamiClass } from "@meridian/ecg";
import type { WindowScreen } from "./messages.ts";

/** A streaming R-peak detector over one lead. */
export interface StreamingDetector {
  /** Feeds consecutive samples; returns the absolute sample indexes of newly confirmed R peaks. */
  push(chunk: ArrayLike<number>): number[];
  /** Ends the stream; returns the remaining peaks. */
  flush(): number[];
}

/** Screens the rhythm of one window (absolute R-peak indexes, samples in mV). */
export type RhythmScreener = (input: {
  rPeaks: number[];
  samplingFrequency: number;
  signal: Float32Array;
  signalStart: number;
}) => WindowScreen & { abnormal: boolean };

/** One classified beat. */
export interface ClassifiedBeat {
  /** The class (ANSI/AAMI EC57). */
  aamiClass: AamiClass;
  /** Probabilities in `N, S, V, F, Q` order (sum 1). */
  probabilities: number[];
}

/** Classifies beats of a signal excerpt. */
export interface BeatClassifierPort {
  /** Identifier of the model (e.g. SHA-256 of its weights). */
  readonly modelId: Hex;
  /**
   * Classifies the beats at `rPeaks` (sample indexes into `signal`, mV of lead MLII at
   * `samplingFrequency` Hz); one result per peak, in order.
   */
  classify(input: {
    signal: Float32Array;
    samplingFrequency: number;
    rPeaks: number[];
  }): ClassifiedBeat[] | Promise<ClassifiedBeat[]>;
}
