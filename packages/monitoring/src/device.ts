/**
 * The local device (a simulator of a patient's ECG sensor): reads a WFDB record, streams one
 * lead in real time or faster, detects QRS complexes as the samples arrive, screens each window
 * for abnormal rhythm, and signs windows (EIP-712, with its sequence number) for the edge.
 *
 * @module
 */
import type { Address, LocalAccount } from "viem";
import type { WfdbRecord } from "@meridian/ecg/wfdb";
import { signWindow } from "./messages.ts";
import type { MonitoringDomain, SignedWindow } from "./messages.ts";
import type { RhythmScreener, StreamingDetector } from "./ports.ts";

/** Options of {@link streamWindows}. */
export interface DeviceOptions {
  /** The sensor's key (registered by the patient as a `Sensor` device). */
  account: LocalAccount;
  domain: MonitoringDomain;
  patient: Address;
  record: WfdbRecord;
  /** Lead to stream (default: `MLII` when present, else the first signal). */
  lead?: string;
  /** Window length (seconds, default 10). */
  windowSeconds?: number;
  /** Speed relative to real time (1 = real time; `Infinity` = as fast as possible, the default). */
  speed?: number;
  /** First sequence number (default 1); a device continues its numbering after a restart. */
  firstSequence?: number;
  /** Sample index to start at (default 0). */
  startSample?: number;
  /** Sample index to stop before (default: the end of the record). */
  endSample?: number;
  /** Time of sample 0 (milliseconds since the Unix epoch, default now). */
  startedAt?: number;
  detector: StreamingDetector;
  screen: RhythmScreener;
  /** Seconds the detector may lag behind the stream before a window is closed (default 1). */
  detectorDelaySeconds?: number;
  /** Stops the stream: no window is yielded after it aborts (a paced wait ends at once). */
  signal?: AbortSignal;
}

/**
 * Streams the record as signed windows. Each window is yielded once its samples have arrived
 * (paced by `speed`) and the detector has seen `detectorDelaySeconds` beyond its end, so every
 * R peak inside it is known. Ends after the last whole window before `endSample`, or when
 * `signal` aborts.
 */
export async function* streamWindows(o: DeviceOptions): AsyncGenerator<SignedWindow & { sentAt: number }> {
  const specs = o.record.header.signals;
  const leadIndex = Math.max(
    0,
    specs.findIndex((s) => s.description === (o.lead ?? "MLII")),
  );
  const spec = specs[leadIndex]!;
  const adu = o.record.signals[leadIndex]!;
  const fs = o.record.header.samplingFrequency;
  const windowLength = Math.round((o.windowSeconds ?? 10) * fs);
  const delay = Math.round((o.detectorDelaySeconds ?? 1) * fs);
  const start = o.startSample ?? 0;
  const end = Math.min(o.endSample ?? adu.length, adu.length);
  const speed = o.speed ?? Infinity;
  const startedAt = o.startedAt ?? Date.now();
  const wallStart = performance.now();
  const mv = new Float32Array(adu.length);
  for (let i = 0; i < adu.length; i++) mv[i] = (adu[i]! - spec.baseline) / spec.gain;
  const peaks: number[] = [];
  let fed = start;
  let sequence = o.firstSequence ?? 1;
  const feedTo = (target: number) => {
    const stop = Math.min(target, end);
    if (stop > fed) {
      peaks.push(...o.detector.push(mv.subarray(fed, stop)).map((p) => p + start));
      fed = stop;
    }
    if (fed >= end) peaks.push(...o.detector.flush().map((p) => p + start));
  };
  for (let w0 = start; w0 + windowLength <= end; w0 += windowLength) {
    const w1 = w0 + windowLength;
    if (Number.isFinite(speed)) {
      const due = ((w1 - start) / fs / speed) * 1000;
      const wait = due - (performance.now() - wallStart);
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          const stop = () => {
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(() => {
            o.signal?.removeEventListener("abort", stop);
            resolve();
          }, wait);
          o.signal?.addEventListener("abort", stop, { once: true });
        });
      }
    }
    if (o.signal?.aborted) return;
    feedTo(w1 + delay);
    const inWindow = peaks.filter((p) => p >= w0 && p < w1);
    const verdict = o.screen({ rPeaks: inWindow, samplingFrequency: fs, signal: mv.subarray(w0, w1), signalStart: w0 });
    const signed = await signWindow(o.domain, o.account, {
      patient: o.patient,
      sequence: sequence++,
      startSample: w0,
      recordedAt: Math.round(startedAt + (w0 / fs) * 1000),
      samplingFrequency: fs,
      lead: spec.description,
      gain: Math.round(spec.gain),
      baseline: spec.baseline,
      samples: adu.subarray(w0, w1),
      rPeaks: inWindow.map((p) => p - w0),
      screen: { heartRateBpm: verdict.heartRateBpm, reasons: verdict.reasons },
      abnormal: verdict.abnormal,
    });
    yield { ...signed, sentAt: Date.now() };
  }
}
