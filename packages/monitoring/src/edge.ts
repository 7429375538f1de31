/**
 * The edge device: verifies each window's device signature and sequence number, classifies its
 * beats into the AAMI classes with a 1-D CNN, and signs its findings over the digest of what it
 * received. It keeps the tail of each device's previous window so beats near a window's start
 * are classified with their context.
 *
 * @module
 */
import type { Address, LocalAccount } from "viem";
import { AAMI_CLASSES } from "@meridian/ecg";
import { SequenceError, UnregisteredDeviceError } from "./errors.ts";
import { signFindings, verifyWindow } from "./messages.ts";
import type { MonitoringDomain, SignedFindings, SignedWindow } from "./messages.ts";
import type { BeatClassifierPort } from "./ports.ts";

/** Options of {@link EdgeNode}. */
export interface EdgeNodeOptions {
  account: LocalAccount;
  domain: MonitoringDomain;
  classifier: BeatClassifierPort;
  /**
   * Optional on-chain check that `device` is an active sensor of `patient` (edges with chain
   * access use it; the medical server checks again in any case).
   */
  isActiveSensor?: (patient: Address, device: Address) => Promise<{ active: boolean; revoked: boolean }>;
  /** Context kept from a device's previous window (seconds, default 2). */
  contextSeconds?: number;
}

/** See the module documentation. */
export class EdgeNode {
  readonly #o: EdgeNodeOptions;
  readonly #devices = new Map<string, { sequence: number; tail: Float32Array; tailEnd: number }>();

  constructor(options: EdgeNodeOptions) {
    this.#o = options;
  }

  /** The edge's address. */
  get address() {
    return this.#o.account.address;
  }

  /**
   * Verifies and classifies one window, returning the signed findings to forward.
   *
   * @param emit - Sends the findings on (e.g. publishes them). The edge advances the device's
   *   sequence only after it resolves, so a window whose findings could not be sent is
   *   processed again when it is redelivered, not refused as a replay.
   * @throws `MalformedMessageError`, `ForgedSignatureError` (hop `device`),
   *   {@link SequenceError} (replayed or out-of-order sequence), {@link UnregisteredDeviceError},
   *   or what `emit` throws (the edge's state is then unchanged).
   */
  async process(message: unknown, emit?: (findings: SignedFindings) => Promise<void>): Promise<SignedFindings> {
    const { samples } = await verifyWindow(this.#o.domain, message);
    const w = (message as SignedWindow).window;
    const key = `${w.patient.toLowerCase()}/${w.device.toLowerCase()}`;
    const state = this.#devices.get(key);
    if (state && w.sequence !== state.sequence + 1) throw new SequenceError(state.sequence + 1, w.sequence);
    if (this.#o.isActiveSensor) {
      const { active, revoked } = await this.#o.isActiveSensor(w.patient, w.device);
      if (!active)
        throw new UnregisteredDeviceError(
          "device",
          revoked,
          `${w.device} is ${revoked ? "a revoked" : "not a registered"} sensor of patient ${w.patient}.`,
        );
    }
    const mv = new Float32Array(samples.length);
    for (let i = 0; i < samples.length; i++) mv[i] = (samples[i]! - w.baseline) / w.gain;
    // prepend the previous window's tail when this window continues it
    const tail = state && state.tailEnd === w.startSample ? state.tail : new Float32Array(0);
    const signal = new Float32Array(tail.length + mv.length);
    signal.set(tail);
    signal.set(mv, tail.length);
    const beats = await this.#o.classifier.classify({
      signal,
      samplingFrequency: w.samplingFrequency,
      rPeaks: w.rPeaks.map((r) => r + tail.length),
    });
    const findings = await signFindings(this.#o.domain, this.#o.account, message as SignedWindow, {
      beatClasses: beats.map((b) => b.aamiClass),
      probabilities: beats.map((b) => AAMI_CLASSES.map((_, i) => b.probabilities[i] ?? 0)),
      model: this.#o.classifier.modelId,
    });
    await emit?.(findings);
    const keep = Math.min(mv.length, Math.round((this.#o.contextSeconds ?? 2) * w.samplingFrequency));
    this.#devices.set(key, {
      sequence: w.sequence,
      tail: mv.slice(mv.length - keep),
      tailEnd: w.startSample + samples.length,
    });
    return findings;
  }
}
