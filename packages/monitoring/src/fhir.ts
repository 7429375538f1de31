/**
 * FHIR R4 resources for one monitored ECG window, as the medical server anchors them: a
 * `Bundle` (type `collection`) holding
 * - an `Observation` with the ECG excerpt as `SampledData` (MDC lead II code 131330 of ISO/IEEE
 *   11073-10101, the shape of HL7's `Observation-ekg` example) and the heart rate (LOINC 8867-4);
 * - an `Observation` with one component per beat: its AAMI class (ANSI/AAMI EC57) and its time
 *   from the excerpt's start (s);
 * - a preliminary `DiagnosticReport` (LOINC 11524-6 "EKG study") with the edge's findings,
 *   awaiting a clinician;
 * - the sensor, edge and fog `Device`s, identified by their Ethereum addresses;
 * - a `Provenance` whose three `signature`s are the device, edge and fog EIP-712 signatures.
 *
 * {@link readWindowBundle} reads one back for display (waveform, beats and classes).
 *
 * @module
 */
import type {
  Bundle,
  BundleEntry,
  Device,
  DiagnosticReport,
  Observation,
  Provenance,
  Resource,
} from "@medplum/fhirtypes";
import type { Hex } from "viem";
import { hexToBytes } from "viem";
import { encodeBase64 } from "@meridian/sdk/fhir/browser";
import { MeridianError } from "@meridian/sdk";
import { AAMI_CLASSES, AAMI_CLASS_NAMES } from "@meridian/ecg";
import type { AamiClass } from "@meridian/ecg";
import type { SignedForward } from "./messages.ts";

/** Code system of the AAMI EC57 heartbeat classes (ours: EC57 defines no FHIR code system). */
export const AAMI_CODE_SYSTEM = "https://meridian.health/fhir/CodeSystem/aami-ec57-beat-class";
/** Identifier system of Ethereum addresses (EIP-55 checksummed). */
export const ADDRESS_SYSTEM = "https://meridian.health/fhir/sid/ethereum-address";
/** Identifier system of message ids (EIP-712 digests of device windows). */
export const WINDOW_ID_SYSTEM = "https://meridian.health/fhir/sid/ecg-window-digest";
/** Identifier system of monitoring sessions (`MonitoringRegistry` session ids). */
export const SESSION_ID_SYSTEM = "https://meridian.health/fhir/sid/monitoring-session";
/** Identifier system of classifier models (SHA-256 of the model file, 0x-hex). */
export const MODEL_ID_SYSTEM = "https://meridian.health/fhir/sid/model-sha256";
/**
 * Complex extension on a beat component: the model's probability of each AAMI class, one
 * sub-extension per class (`url` N, S, V, F or Q; `valueDecimal` in [0, 1]).
 */
export const BEAT_PROBABILITY_EXTENSION =
  "https://meridian.health/fhir/StructureDefinition/aami-beat-class-probability";
const MDC = "urn:oid:2.16.840.1.113883.6.24";
const UCUM = "http://unitsofmeasure.org";

/** Input of {@link buildWindowBundle}. */
export interface WindowBundleInput {
  forward: SignedForward;
  /** The window's samples (adu). */
  samples: Int16Array;
  /** EIP-712 digest of the device window (the message id). */
  windowDigest: Hex;
  /** Monitoring session id on chain. */
  sessionId: Hex;
}

const iso = (ms: number) => new Date(ms).toISOString();
const uuid = (digest: Hex, n: number) => {
  const h = digest.slice(2, 34);
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${"89ab"[n % 4]}${h.slice(17, 20)}-${h.slice(20, 30)}${n.toString(16).padStart(2, "0")}`;
};

/** Builds the window's Bundle (see the module documentation). Pure; validate with the SDK's FHIR validator. */
export function buildWindowBundle(input: WindowBundleInput): Bundle {
  const { forward, samples, windowDigest, sessionId } = input;
  const sf = forward.signedFindings;
  const w = sf.signedWindow.window;
  const f = sf.findings;
  const fs = w.samplingFrequency;
  const start = iso(w.recordedAt);
  const end = iso(w.recordedAt + Math.round((samples.length / fs) * 1000));
  const subject = { identifier: { system: ADDRESS_SYSTEM, value: w.patient }, display: "Patient (Ethereum account)" };
  const [ecgId, beatsId, reportId, sensorId, edgeId, fogId, provenanceId] = [0, 1, 2, 3, 4, 5, 6].map((n) =>
    uuid(windowDigest, n),
  ) as [string, string, string, string, string, string, string];
  const device = (address: string, text: string): Device => ({
    resourceType: "Device",
    identifier: [{ system: ADDRESS_SYSTEM, value: address }],
    type: { text },
    status: "active",
  });
  const data = Array.from(samples, (s) => s - w.baseline).join(" ");
  const ecg: Observation = {
    resourceType: "Observation",
    status: "final",
    category: [
      {
        coding: [
          {
            system: "http://terminology.hl7.org/CodeSystem/observation-category",
            code: "procedure",
            display: "Procedure",
          },
        ],
      },
    ],
    code: {
      coding: [
        { system: MDC, code: "131328", display: "MDC_ECG_ELEC_POTL" },
        { system: "http://loinc.org", code: "11524-6", display: "EKG study" },
      ],
      text: "ECG excerpt",
    },
    subject,
    effectivePeriod: { start, end },
    device: { reference: sensorId },
    identifier: [{ system: WINDOW_ID_SYSTEM, value: windowDigest }],
    component: [
      {
        code: { coding: [{ system: MDC, code: "131330", display: "MDC_ECG_ELEC_POTL_II" }], text: `Lead ${w.lead}` },
        valueSampledData: {
          origin: { value: 0, unit: "mV", system: UCUM, code: "mV" },
          period: 1000 / fs,
          factor: 1 / w.gain,
          dimensions: 1,
          data,
        },
      },
      ...(sf.signedWindow.screen.heartRateBpm === null
        ? []
        : [
            {
              code: { coding: [{ system: "http://loinc.org", code: "8867-4", display: "Heart rate" }] },
              valueQuantity: {
                value: Math.round(sf.signedWindow.screen.heartRateBpm * 10) / 10,
                unit: "/min",
                system: UCUM,
                code: "/min",
              },
            },
          ]),
    ],
  };
  const classes = [...f.beatClasses] as AamiClass[];
  const beats: Observation = {
    resourceType: "Observation",
    status: "preliminary",
    category: ecg.category!,
    code: {
      coding: [{ system: AAMI_CODE_SYSTEM, code: "beats", display: "Heartbeat classes (ANSI/AAMI EC57)" }],
      text: "Beat classes from the edge model",
    },
    subject,
    effectivePeriod: { start, end },
    device: { reference: edgeId },
    derivedFrom: [{ reference: ecgId }],
    method: {
      coding: [{ system: MODEL_ID_SYSTEM, code: f.model }],
      text: "1-D convolutional network (AAMI EC57 classes)",
    },
    component: classes.map((c, i) => ({
      ...(sf.probabilities[i]
        ? {
            extension: [
              {
                url: BEAT_PROBABILITY_EXTENSION,
                extension: AAMI_CLASSES.map((k, j) => ({
                  url: k,
                  valueDecimal: Math.round((sf.probabilities[i]![j] ?? 0) * 1e4) / 1e4,
                })),
              },
            ],
          }
        : {}),
      code: { coding: [{ system: AAMI_CODE_SYSTEM, code: c, display: AAMI_CLASS_NAMES[c] }] },
      valueQuantity: { value: Math.round((w.rPeaks[i]! / fs) * 1000) / 1000, unit: "s", system: UCUM, code: "s" },
    })),
  };
  const counts = classes.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c]: (acc[c] ?? 0) + 1 }), {});
  const summary =
    Object.entries(counts)
      .map(([c, n]) => `${n} ${c}`)
      .join(", ") || "no beats";
  const reasons = sf.signedWindow.screen.reasons;
  const report: DiagnosticReport = {
    resourceType: "DiagnosticReport",
    status: "preliminary",
    category: [
      {
        coding: [
          {
            system: "http://terminology.hl7.org/CodeSystem/v2-0074",
            code: "EC",
            display: "Electrocardiac (e.g., EKG, EEC, Holter)",
          },
        ],
      },
    ],
    code: {
      coding: [{ system: "http://loinc.org", code: "11524-6", display: "EKG study" }],
      text: "Remote ECG monitoring window",
    },
    subject,
    effectivePeriod: { start, end },
    issued: iso(forward.forward.receivedAt),
    identifier: [
      { system: WINDOW_ID_SYSTEM, value: windowDigest },
      { system: SESSION_ID_SYSTEM, value: sessionId },
    ],
    result: [{ reference: ecgId }, { reference: beatsId }],
    conclusion: `${f.abnormal ? "Abnormal" : "No abnormality"} in this window. Edge classes: ${summary}.${reasons.length ? ` Device screen: ${reasons.join("; ")}.` : ""} Awaiting clinician review.`,
  };
  const signature = (who: string, signer: Hex, when: number) => ({
    type: [{ system: "urn:iso-astm:E1762-95:2013", code: "1.2.840.10065.1.12.1.5", display: "Verification Signature" }],
    when: iso(when),
    who: { reference: who },
    sigFormat: "application/eip712+json",
    data: encodeBase64(hexToBytes(signer)),
  });
  const provenance: Provenance = {
    resourceType: "Provenance",
    target: [{ reference: ecgId }, { reference: beatsId }, { reference: reportId }],
    recorded: iso(forward.forward.receivedAt),
    agent: [
      { type: { text: "sensor" }, who: { reference: sensorId } },
      { type: { text: "edge" }, who: { reference: edgeId } },
      { type: { text: "fog relay" }, who: { reference: fogId } },
    ],
    signature: [
      signature(sensorId, sf.signedWindow.signature, w.recordedAt),
      signature(edgeId, sf.signature, forward.forward.receivedAt),
      signature(fogId, forward.signature, forward.forward.receivedAt),
    ],
  };
  const entries: [string, Resource][] = [
    [reportId, report],
    [ecgId, ecg],
    [beatsId, beats],
    [sensorId, device(w.device, "ECG sensor")],
    [edgeId, device(f.edge, "edge device")],
    [fogId, device(forward.forward.fog, "fog relay")],
    [provenanceId, provenance],
  ];
  return {
    resourceType: "Bundle",
    type: "collection",
    identifier: { system: WINDOW_ID_SYSTEM, value: windowDigest },
    timestamp: iso(forward.forward.receivedAt),
    entry: entries.map(([fullUrl, resource]): BundleEntry => ({ fullUrl, resource })),
  };
}

// ------------------------------------------------------------------ reading

/** A record that is not a monitored ECG window as {@link buildWindowBundle} writes it. */
export class NotAnEcgWindowError extends MeridianError {
  override name = "NotAnEcgWindowError" as const;
  constructor(shortMessage: string) {
    super(shortMessage, {
      hint: "Open it as an ordinary record: only remote-monitoring windows have a waveform and beat classes.",
    });
  }
}

/** One beat of a window as the edge classified it. */
export interface EcgBeatView {
  /** R-peak time from the window's start (s). */
  timeSeconds: number;
  /** The edge model's AAMI class. */
  aamiClass: AamiClass;
  /** The model's probability of each class ([0, 1]); undefined when the record carries none. */
  probabilities: Readonly<Record<AamiClass, number>> | undefined;
}

/** What a clinician needs of one monitored window (see {@link readWindowBundle}). */
export interface EcgWindowView {
  /** The window's message id (EIP-712 digest of the device's `EcgWindow`). */
  windowDigest: Hex;
  /** The monitoring session on chain, when recorded. */
  sessionId: Hex | undefined;
  /** The patient's Ethereum address. */
  patient: string;
  /** Start and end of the excerpt (ISO 8601). */
  start: string;
  end: string;
  /** Samples per second (Hz). */
  samplingFrequency: number;
  /** Lead, e.g. `"MLII"`. */
  lead: string;
  /** The excerpt in millivolts, baseline removed as recorded (`origin + factor × data`). */
  millivolts: Float32Array;
  /** Heart rate over the window (beats/min), when recorded. */
  heartRateBpm: number | undefined;
  /** Beats in time order. */
  beats: EcgBeatView[];
  /** Counts of beats per AAMI class. */
  classCounts: Readonly<Record<AamiClass, number>>;
  /** The preliminary report's status (`"preliminary"` until a clinician signs) and conclusion. */
  reportStatus: string | undefined;
  conclusion: string | undefined;
  /** SHA-256 of the edge's model file (0x-hex), when recorded. */
  model: string | undefined;
  /** Ethereum addresses of the sensor, edge and fog relay. */
  devices: { sensor: string | undefined; edge: string | undefined; fog: string | undefined };
  /** Number of hop signatures in the `Provenance` (3 for device, edge and fog). */
  signatures: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const codeIn = (concept: unknown, system: string): string | undefined =>
  isObject(concept) && Array.isArray(concept.coding)
    ? ((concept.coding as unknown[]).filter(isObject).find((c) => c.system === system && typeof c.code === "string")
        ?.code as string | undefined)
    : undefined;
const identifierIn = (resource: Record<string, unknown>, system: string): string | undefined => {
  const ids = Array.isArray(resource.identifier) ? resource.identifier : [resource.identifier];
  return ids.filter(isObject).find((i) => i.system === system && typeof i.value === "string")?.value as
    string | undefined;
};

/** Whether `record` (parsed JSON) looks like a monitored ECG window Bundle; cheap, for choosing a view. */
export function isWindowBundle(record: unknown): boolean {
  return (
    isObject(record) &&
    record.resourceType === "Bundle" &&
    isObject(record.identifier) &&
    record.identifier.system === WINDOW_ID_SYSTEM
  );
}

/**
 * Reads a window Bundle back (the inverse of {@link buildWindowBundle}) into a view a person can
 * plot: the samples in mV, each beat's time, class and probabilities, and the edge's findings.
 * Tolerant of what it does not need; strict about what it shows.
 *
 * @param record - A parsed record (JSON), e.g. the plaintext of a Cardiac record.
 * @throws {@link NotAnEcgWindowError} when it is not a window Bundle, or its waveform or beats are
 *   missing or malformed (e.g. a beat time outside the excerpt).
 */
export function readWindowBundle(record: unknown): EcgWindowView {
  if (!isWindowBundle(record)) throw new NotAnEcgWindowError("This record is not a remote-monitoring ECG window.");
  const bundle = record as Record<string, unknown>;
  const resources = (Array.isArray(bundle.entry) ? bundle.entry : [])
    .filter(isObject)
    .map((e) => e.resource)
    .filter(isObject);
  const windowDigest = (bundle.identifier as { value?: unknown }).value;
  if (typeof windowDigest !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(windowDigest))
    throw new NotAnEcgWindowError("The window's message id is missing or malformed.");
  const observations = resources.filter((r) => r.resourceType === "Observation");
  const ecg = observations.find(
    (o) =>
      identifierIn(o, WINDOW_ID_SYSTEM) !== undefined &&
      Array.isArray(o.component) &&
      (o.component as unknown[]).some((c) => isObject(c) && isObject(c.valueSampledData)),
  );
  if (!ecg) throw new NotAnEcgWindowError("The window has no ECG Observation with SampledData.");
  const components = (ecg.component as unknown[]).filter(isObject);
  const lead = components.find((c) => isObject(c.valueSampledData))!;
  const sampled = lead.valueSampledData as {
    origin?: { value?: unknown };
    period?: unknown;
    factor?: unknown;
    data?: unknown;
  };
  const period = Number(sampled.period),
    factor = sampled.factor === undefined ? 1 : Number(sampled.factor),
    origin = Number(sampled.origin?.value ?? 0);
  if (!(period > 0) || !Number.isFinite(factor) || !Number.isFinite(origin) || typeof sampled.data !== "string")
    throw new NotAnEcgWindowError("The ECG's SampledData has no valid period, factor, origin or data.");
  const tokens = sampled.data.trim().split(/\s+/);
  const millivolts = new Float32Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const v = Number(tokens[i]);
    if (!Number.isFinite(v)) throw new NotAnEcgWindowError(`The ECG's sample ${i} is "${tokens[i]}", not a number.`);
    millivolts[i] = origin + factor * v;
  }
  const samplingFrequency = 1000 / period;
  const durationSeconds = millivolts.length / samplingFrequency;
  const rate = components.find((c) => codeIn(c.code, "http://loinc.org") === "8867-4");
  const rateValue = isObject(rate?.valueQuantity) ? Number(rate.valueQuantity.value) : NaN;
  const beatsObservation = observations.find((o) => codeIn(o.code, AAMI_CODE_SYSTEM) === "beats");
  const classCounts: Record<AamiClass, number> = { N: 0, S: 0, V: 0, F: 0, Q: 0 };
  const beats: EcgBeatView[] = (Array.isArray(beatsObservation?.component) ? beatsObservation.component : [])
    .filter(isObject)
    .map((c, i) => {
      const aamiClass = codeIn(c.code, AAMI_CODE_SYSTEM) as AamiClass | undefined;
      const time = isObject(c.valueQuantity) ? Number(c.valueQuantity.value) : NaN;
      if (!aamiClass || !AAMI_CLASSES.includes(aamiClass))
        throw new NotAnEcgWindowError(`Beat ${i + 1} has no AAMI class (N, S, V, F or Q).`);
      if (!(time >= 0 && time <= durationSeconds))
        throw new NotAnEcgWindowError(`Beat ${i + 1} is at ${time} s, outside the ${durationSeconds} s excerpt.`);
      classCounts[aamiClass]++;
      const ext = (Array.isArray(c.extension) ? c.extension : [])
        .filter(isObject)
        .find((e) => e.url === BEAT_PROBABILITY_EXTENSION);
      const parts = (Array.isArray(ext?.extension) ? ext.extension : []).filter(isObject);
      const probabilities =
        parts.length === AAMI_CLASSES.length
          ? (Object.fromEntries(
              AAMI_CLASSES.map((k) => [k, Number(parts.find((p) => p.url === k)?.valueDecimal ?? NaN)]),
            ) as Record<AamiClass, number>)
          : undefined;
      return { timeSeconds: time, aamiClass, probabilities };
    })
    .sort((a, b) => a.timeSeconds - b.timeSeconds);
  const report = resources.find((r) => r.resourceType === "DiagnosticReport");
  const devices = resources.filter((r) => r.resourceType === "Device");
  const deviceOf = (text: string) => {
    const d = devices.find((x) => isObject(x.type) && x.type.text === text);
    return d ? identifierIn(d, ADDRESS_SYSTEM) : undefined;
  };
  const provenance = resources.find((r) => r.resourceType === "Provenance");
  const period2 = isObject(ecg.effectivePeriod) ? ecg.effectivePeriod : {};
  const subject = isObject(ecg.subject) && isObject(ecg.subject.identifier) ? ecg.subject.identifier.value : undefined;
  return {
    windowDigest: windowDigest as Hex,
    sessionId: report ? (identifierIn(report, SESSION_ID_SYSTEM) as Hex | undefined) : undefined,
    patient: typeof subject === "string" ? subject : "",
    start: typeof period2.start === "string" ? period2.start : "",
    end: typeof period2.end === "string" ? period2.end : "",
    samplingFrequency,
    lead: (isObject(lead.code) && typeof lead.code.text === "string" ? lead.code.text : "ECG").replace(/^Lead /, ""),
    millivolts,
    heartRateBpm: Number.isFinite(rateValue) ? rateValue : undefined,
    beats,
    classCounts,
    reportStatus: typeof report?.status === "string" ? report.status : undefined,
    conclusion: typeof report?.conclusion === "string" ? report.conclusion : undefined,
    model: beatsObservation ? codeIn(beatsObservation.method, MODEL_ID_SYSTEM) : undefined,
    devices: { sensor: deviceOf("ECG sensor"), edge: deviceOf("edge device"), fog: deviceOf("fog relay") },
    signatures: Array.isArray(provenance?.signature) ? provenance.signature.length : 0,
  };
}
