/**
 * The signed messages of the remote-monitoring chain, as EIP-712 typed data
 * (https://eips.ethereum.org/EIPS/eip-712), bound to the chain and the `MonitoringRegistry`
 * contract so a message signed for one network is refused by every other:
 *
 * 1. `EcgWindow`, signed by the sensor device: one window of one lead (samples hashed with
 *    keccak-256), the device's sequence number, the R peaks it detected and its rhythm screen.
 * 2. `EdgeFindings`, signed by the edge device over the EIP-712 digest of the window it
 *    received: one AAMI class (EC57) per R peak and the model that produced them.
 * 3. `FogForward`, signed by the fog relay over the digest of the findings it queued.
 *
 * The window's digest is the message id everywhere (de-duplication, exactly-once anchoring).
 * Payload fields that are not in the typed data (samples, screen details, probabilities) are
 * bound to it by their keccak-256 hashes, so a changed byte anywhere breaks a signature.
 *
 * @module
 */
import {
  hashTypedData,
  keccak256,
  recoverTypedDataAddress,
  isAddress,
  isAddressEqual,
  isHex,
  stringToBytes,
} from "viem";
import type { Address, Hex, LocalAccount } from "viem";
import { decodeBase64, encodeBase64 } from "@meridian/sdk/fhir/browser";
import { AAMI_CLASSES } from "@meridian/ecg";
import type { AamiClass } from "@meridian/ecg";
import { ForgedSignatureError, MalformedMessageError } from "./errors.ts";
import type { Hop } from "./errors.ts";

/** Where signatures are valid: the chain id and the `MonitoringRegistry` address. */
export interface MonitoringDomain {
  /** EIP-155 chain id. */
  chainId: number;
  /** `MonitoringRegistry` contract address. */
  monitoringRegistry: Address;
}

/** The EIP-712 domain of every monitoring message. */
export function eip712Domain(d: MonitoringDomain) {
  return { name: "Meridian ECG", version: "1", chainId: d.chainId, verifyingContract: d.monitoringRegistry } as const;
}

/** EIP-712 types of the three messages. */
export const MONITORING_TYPES = {
  EcgWindow: [
    { name: "patient", type: "address" },
    { name: "device", type: "address" },
    { name: "sequence", type: "uint64" },
    { name: "startSample", type: "uint64" },
    { name: "recordedAt", type: "uint64" },
    { name: "samplingFrequency", type: "uint32" },
    { name: "lead", type: "string" },
    { name: "gain", type: "uint32" },
    { name: "baseline", type: "int32" },
    { name: "samplesHash", type: "bytes32" },
    { name: "rPeaks", type: "uint32[]" },
    { name: "screenHash", type: "bytes32" },
    { name: "abnormal", type: "bool" },
  ],
  EdgeFindings: [
    { name: "window", type: "bytes32" },
    { name: "edge", type: "address" },
    { name: "patient", type: "address" },
    { name: "beatClasses", type: "string" },
    { name: "model", type: "bytes32" },
    { name: "probabilitiesHash", type: "bytes32" },
    { name: "abnormal", type: "bool" },
  ],
  FogForward: [
    { name: "findings", type: "bytes32" },
    { name: "fog", type: "address" },
    { name: "patient", type: "address" },
    { name: "receivedAt", type: "uint64" },
    { name: "queueSequence", type: "uint64" },
  ],
} as const;

/** The rhythm screen a device attaches to a window (`screenRhythm` of `@meridian/ecg`); hashed into `screenHash`. */
export interface WindowScreen {
  /** Heart rate over the window (beats per minute), or `null` with fewer than 2 beats. */
  heartRateBpm: number | null;
  /** Plain-words reasons the window is abnormal (empty when normal). */
  reasons: string[];
}

/** Fields of an `EcgWindow` (integers as JS numbers; all below 2^53). */
export interface EcgWindow {
  /** The patient whose device recorded it. */
  patient: Address;
  /** The sensor device's address (the signer). */
  device: Address;
  /** 1, 2, 3, … per device; never reused. */
  sequence: number;
  /** Index of the window's first sample in the device's stream (samples). */
  startSample: number;
  /** Time of the first sample (milliseconds since the Unix epoch). */
  recordedAt: number;
  /** Samples per second (Hz). */
  samplingFrequency: number;
  /** Lead name (e.g. `MLII`). */
  lead: string;
  /** ADC gain (adu per mV). */
  gain: number;
  /** ADC value of 0 mV (adu). */
  baseline: number;
  /** keccak-256 of the samples as little-endian int16. */
  samplesHash: Hex;
  /** R-peak offsets within the window (samples), ascending. */
  rPeaks: number[];
  /** keccak-256 of the canonical JSON of the {@link WindowScreen}. */
  screenHash: Hex;
  /** True when the device's screen found the rhythm abnormal. */
  abnormal: boolean;
}

/** A device's signed window, as sent to the edge (JSON). */
export interface SignedWindow {
  window: EcgWindow;
  /** The samples (adu), little-endian int16, base64. */
  samples: string;
  screen: WindowScreen;
  /** The device's EIP-712 signature (65 bytes, hex). */
  signature: Hex;
}

/** Fields of an `EdgeFindings`. */
export interface EdgeFindings {
  /** EIP-712 digest of the {@link EcgWindow} the edge received (the message id). */
  window: Hex;
  /** The edge device's address (the signer). */
  edge: Address;
  patient: Address;
  /** One AAMI class letter (N, S, V, F, Q) per R peak of the window, in order. */
  beatClasses: string;
  /** Identifier of the classifier (SHA-256 of its weights, or of the baseline's parameters). */
  model: Hex;
  /** keccak-256 of the canonical JSON of the per-beat probabilities. */
  probabilitiesHash: Hex;
  /** True when a beat is not N or the device's screen was abnormal. */
  abnormal: boolean;
}

/** The edge's signed findings with the window they cover, as sent to the fog relay. */
export interface SignedFindings {
  signedWindow: SignedWindow;
  findings: EdgeFindings;
  /** Per-beat class probabilities in {@link AAMI_CLASSES} order, rounded to 4 decimals. */
  probabilities: number[][];
  signature: Hex;
}

/** Fields of a `FogForward`. */
export interface FogForward {
  /** EIP-712 digest of the {@link EdgeFindings}. */
  findings: Hex;
  /** The fog relay's address (the signer). */
  fog: Address;
  patient: Address;
  /** When the relay durably queued it (milliseconds since the Unix epoch). */
  receivedAt: number;
  /** The relay's queue position (1, 2, 3, …); delivery follows it. */
  queueSequence: number;
}

/** The fog relay's signed forward with everything below it, as posted to the medical server. */
export interface SignedForward {
  signedFindings: SignedFindings;
  forward: FogForward;
  signature: Hex;
}

const big = <T extends Record<string, unknown>>(m: T, keys: readonly (keyof T)[]) => {
  const out: Record<string, unknown> = { ...m };
  for (const k of keys) out[k as string] = BigInt(m[k] as number);
  return out;
};
const windowMessage = (w: EcgWindow) =>
  big(w as unknown as Record<string, unknown>, ["sequence", "startSample", "recordedAt"]) as never;
const forwardMessage = (f: FogForward) =>
  big(f as unknown as Record<string, unknown>, ["receivedAt", "queueSequence"]) as never;

/** EIP-712 digest of a window: its message id (32 bytes, hex). */
export function windowDigest(domain: MonitoringDomain, w: EcgWindow): Hex {
  return hashTypedData({
    domain: eip712Domain(domain),
    types: MONITORING_TYPES,
    primaryType: "EcgWindow",
    message: windowMessage(w),
  });
}
/** EIP-712 digest of edge findings. */
export function findingsDigest(domain: MonitoringDomain, f: EdgeFindings): Hex {
  return hashTypedData({
    domain: eip712Domain(domain),
    types: MONITORING_TYPES,
    primaryType: "EdgeFindings",
    message: f,
  });
}
/** EIP-712 digest of a fog forward. */
export function forwardDigest(domain: MonitoringDomain, f: FogForward): Hex {
  return hashTypedData({
    domain: eip712Domain(domain),
    types: MONITORING_TYPES,
    primaryType: "FogForward",
    message: forwardMessage(f),
  });
}

/** Little-endian int16 bytes of `samples` (adu). */
export function samplesToBytes(samples: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i]!, true);
  return out;
}
/** Inverse of {@link samplesToBytes}. Throws {@link MalformedMessageError} on an odd length. */
export function bytesToSamples(bytes: Uint8Array): Int16Array {
  if (bytes.length % 2)
    throw new MalformedMessageError(`ECG samples are ${bytes.length} bytes; int16 samples need an even number.`);
  const out = new Int16Array(bytes.length / 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true);
  return out;
}

/** JSON with object keys sorted (RFC 8785-style canonical form for our plain data). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
/** keccak-256 of {@link canonicalJson}. */
export const jsonHash = (value: unknown): Hex => keccak256(stringToBytes(canonicalJson(value)));

/**
 * Builds and signs a device window.
 *
 * @param p.samples - The window's samples of one lead (adu).
 * @param p.rPeaks - R-peak offsets within the window (samples).
 */
export async function signWindow(
  domain: MonitoringDomain,
  device: LocalAccount,
  p: Omit<EcgWindow, "device" | "samplesHash" | "screenHash" | "rPeaks"> & {
    samples: ArrayLike<number>;
    rPeaks: number[];
    screen: WindowScreen;
  },
): Promise<SignedWindow> {
  const { samples, screen, ...rest } = p;
  const bytes = samplesToBytes(samples);
  const window: EcgWindow = {
    ...rest,
    device: device.address,
    samplesHash: keccak256(bytes),
    screenHash: jsonHash(screen),
  };
  const signature = await device.signTypedData({
    domain: eip712Domain(domain),
    types: MONITORING_TYPES,
    primaryType: "EcgWindow",
    message: windowMessage(window),
  });
  return { window, samples: encodeBase64(bytes), screen, signature };
}

/** Signs edge findings over a window the edge verified. */
export async function signFindings(
  domain: MonitoringDomain,
  edge: LocalAccount,
  signedWindow: SignedWindow,
  p: { beatClasses: AamiClass[]; probabilities: number[][]; model: Hex },
): Promise<SignedFindings> {
  const probabilities = p.probabilities.map((row) => row.map((x) => Math.round(x * 1e4) / 1e4));
  const findings: EdgeFindings = {
    window: windowDigest(domain, signedWindow.window),
    edge: edge.address,
    patient: signedWindow.window.patient,
    beatClasses: p.beatClasses.join(""),
    model: p.model,
    probabilitiesHash: jsonHash(probabilities),
    abnormal: signedWindow.window.abnormal || p.beatClasses.some((c) => c !== "N"),
  };
  const signature = await edge.signTypedData({
    domain: eip712Domain(domain),
    types: MONITORING_TYPES,
    primaryType: "EdgeFindings",
    message: findings,
  });
  return { signedWindow, findings, probabilities, signature };
}

/** Signs a fog forward over findings the relay verified and queued. */
export async function signForward(
  domain: MonitoringDomain,
  fog: LocalAccount,
  signedFindings: SignedFindings,
  p: { receivedAt: number; queueSequence: number },
): Promise<SignedForward> {
  const forward: FogForward = {
    findings: findingsDigest(domain, signedFindings.findings),
    fog: fog.address,
    patient: signedFindings.findings.patient,
    receivedAt: p.receivedAt,
    queueSequence: p.queueSequence,
  };
  const signature = await fog.signTypedData({
    domain: eip712Domain(domain),
    types: MONITORING_TYPES,
    primaryType: "FogForward",
    message: forwardMessage(forward),
  });
  return { signedFindings, forward, signature };
}

// ------------------------------------------------------------------ verification

const fail = (what: string): never => {
  throw new MalformedMessageError(`Malformed monitoring message: ${what}.`);
};
const isUint = (x: unknown, max = Number.MAX_SAFE_INTEGER) =>
  typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= max;
const isHash = (x: unknown) => typeof x === "string" && isHex(x) && x.length === 66;
const isSignature = (x: unknown) => typeof x === "string" && isHex(x) && x.length === 132;

/** Checks the shape of a device window (types, ranges, sizes). Throws {@link MalformedMessageError}. */
export function assertSignedWindow(m: unknown): asserts m is SignedWindow {
  const s = m as SignedWindow;
  if (!s || typeof s !== "object" || !s.window || typeof s.window !== "object") fail("no window");
  const w = s.window;
  if (!isAddress(w.patient) || !isAddress(w.device)) fail("patient or device is not an address");
  if (!isUint(w.sequence) || w.sequence < 1) fail("sequence must be an integer from 1");
  if (!isUint(w.startSample) || !isUint(w.recordedAt)) fail("startSample and recordedAt must be non-negative integers");
  if (!isUint(w.samplingFrequency, 0xffffffff) || w.samplingFrequency < 1)
    fail("samplingFrequency must be a positive integer (Hz)");
  if (!isUint(w.gain, 0xffffffff) || w.gain < 1 || !Number.isInteger(w.baseline))
    fail("gain and baseline must be integers");
  if (typeof w.lead !== "string" || w.lead.length > 32) fail("lead must be a short string");
  if (!isHash(w.samplesHash) || !isHash(w.screenHash) || typeof w.abnormal !== "boolean")
    fail("hashes or abnormal flag missing");
  if (!isSignature(s.signature) || typeof s.samples !== "string") fail("signature or samples missing");
  if (!s.screen || !Array.isArray(s.screen.reasons) || s.screen.reasons.some((r) => typeof r !== "string"))
    fail("screen missing");
  if (!Array.isArray(w.rPeaks) || w.rPeaks.some((r, i) => !isUint(r, 0xffffffff) || (i > 0 && r <= w.rPeaks[i - 1]!)))
    fail("rPeaks must be ascending offsets within the window");
}

/** Checks the shape of edge findings (and the window inside). Throws {@link MalformedMessageError}. */
export function assertSignedFindings(m: unknown): asserts m is SignedFindings {
  const s = m as SignedFindings;
  if (!s || typeof s !== "object" || !s.findings || typeof s.findings !== "object") fail("no findings");
  assertSignedWindow(s.signedWindow);
  const f = s.findings;
  if (
    !isHash(f.window) ||
    !isAddress(f.edge) ||
    !isAddress(f.patient) ||
    !isHash(f.model) ||
    !isHash(f.probabilitiesHash) ||
    typeof f.abnormal !== "boolean"
  )
    fail("findings fields missing");
  if (
    typeof f.beatClasses !== "string" ||
    [...f.beatClasses].some((c) => !(AAMI_CLASSES as readonly string[]).includes(c))
  )
    fail("beatClasses must be AAMI class letters");
  if (f.beatClasses.length !== s.signedWindow.window.rPeaks.length)
    fail(`${f.beatClasses.length} beat classes for ${s.signedWindow.window.rPeaks.length} R peaks`);
  if (!Array.isArray(s.probabilities) || s.probabilities.length !== f.beatClasses.length)
    fail("one probability row per beat expected");
  if (!isSignature(s.signature)) fail("edge signature missing");
}

/** Checks the shape of a fog forward (and everything inside). Throws {@link MalformedMessageError}. */
export function assertSignedForward(m: unknown): asserts m is SignedForward {
  const s = m as SignedForward;
  if (!s || typeof s !== "object" || !s.forward || typeof s.forward !== "object") fail("no forward");
  assertSignedFindings(s.signedFindings);
  const f = s.forward;
  if (
    !isHash(f.findings) ||
    !isAddress(f.fog) ||
    !isAddress(f.patient) ||
    !isUint(f.receivedAt) ||
    !isUint(f.queueSequence) ||
    f.queueSequence < 1
  )
    fail("forward fields missing");
  if (!isSignature(s.signature)) fail("fog signature missing");
}

const recover = async (hop: Hop, claimed: Address, p: Parameters<typeof recoverTypedDataAddress>[0]) => {
  let signer: Address;
  try {
    signer = await recoverTypedDataAddress(p);
  } catch (cause) {
    throw new ForgedSignatureError(hop, `The ${hop} signature does not parse.`, { cause });
  }
  if (!isAddressEqual(signer, claimed))
    throw new ForgedSignatureError(hop, `The ${hop} signature is not by ${claimed}.`, {
      details: `recovered ${signer}`,
    });
};

/**
 * Verifies a device window: well-formed, the samples and screen match their hashes, and the
 * signature recovers to `window.device` under `domain`. Returns the samples and the digest.
 *
 * @throws {@link MalformedMessageError}, {@link ForgedSignatureError} (hop `device`).
 */
export async function verifyWindow(
  domain: MonitoringDomain,
  m: unknown,
): Promise<{ samples: Int16Array; digest: Hex }> {
  assertSignedWindow(m);
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64(m.samples);
  } catch (cause) {
    throw new MalformedMessageError("Malformed monitoring message: samples are not base64.", { cause });
  }
  if (keccak256(bytes) !== m.window.samplesHash)
    throw new ForgedSignatureError("device", "The window's samples do not match the hash the device signed.");
  if (jsonHash(m.screen) !== m.window.screenHash)
    throw new ForgedSignatureError("device", "The window's rhythm screen does not match the hash the device signed.");
  const samples = bytesToSamples(bytes);
  if (m.window.rPeaks.some((r) => r >= samples.length)) fail("an R peak lies beyond the window");
  await recover("device", m.window.device, {
    domain: eip712Domain(domain),
    types: MONITORING_TYPES,
    primaryType: "EcgWindow",
    message: windowMessage(m.window),
    signature: m.signature,
  });
  return { samples, digest: windowDigest(domain, m.window) };
}

/**
 * Verifies edge findings and the window inside them: the findings name the window's digest
 * and patient, the probabilities match their hash, and both signatures hold.
 *
 * @throws {@link MalformedMessageError}, {@link ForgedSignatureError} (hop `device` or `edge`).
 */
export async function verifyFindings(
  domain: MonitoringDomain,
  m: unknown,
): Promise<{ samples: Int16Array; windowDigest: Hex; digest: Hex }> {
  assertSignedFindings(m);
  const { samples, digest: wd } = await verifyWindow(domain, m.signedWindow);
  if (m.findings.window !== wd)
    throw new ForgedSignatureError("edge", "The edge's findings cover another window than the one attached.");
  if (!isAddressEqual(m.findings.patient, m.signedWindow.window.patient))
    throw new ForgedSignatureError("edge", "The edge's findings name another patient than the window.");
  if (jsonHash(m.probabilities) !== m.findings.probabilitiesHash)
    throw new ForgedSignatureError("edge", "The beat probabilities do not match the hash the edge signed.");
  await recover("edge", m.findings.edge, {
    domain: eip712Domain(domain),
    types: MONITORING_TYPES,
    primaryType: "EdgeFindings",
    message: m.findings as never,
    signature: m.signature,
  });
  return { samples, windowDigest: wd, digest: findingsDigest(domain, m.findings) };
}

/**
 * Verifies the whole signature chain of a fog forward: device → edge → fog.
 *
 * @throws {@link MalformedMessageError}, {@link ForgedSignatureError} naming the first hop that fails.
 */
export async function verifyForward(
  domain: MonitoringDomain,
  m: unknown,
): Promise<{ samples: Int16Array; windowDigest: Hex; findingsDigest: Hex }> {
  assertSignedForward(m);
  const inner = await verifyFindings(domain, m.signedFindings);
  if (m.forward.findings !== inner.digest)
    throw new ForgedSignatureError("fog", "The fog's forward covers other findings than the ones attached.");
  if (!isAddressEqual(m.forward.patient, m.signedFindings.findings.patient))
    throw new ForgedSignatureError("fog", "The fog's forward names another patient.");
  await recover("fog", m.forward.fog, {
    domain: eip712Domain(domain),
    types: MONITORING_TYPES,
    primaryType: "FogForward",
    message: forwardMessage(m.forward),
    signature: m.signature,
  });
  return { samples: inner.samples, windowDigest: inner.windowDigest, findingsDigest: inner.digest };
}
