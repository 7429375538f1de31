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
 * @module
 */
import type { Bundle, BundleEntry, Device, DiagnosticReport, Observation, Provenance, Resource } from "@medplum/fhirtypes";
import type { Hex } from "viem";
import { hexToBytes } from "viem";
import { encodeBase64 } from "@meridian/sdk/fhir/base64.ts";
import { AAMI_CLASS_NAMES } from "../aami.ts";
import type { AamiClass } from "../aami.ts";
import type { SignedForward } from "./messages.ts";

/** Code system of the AAMI EC57 heartbeat classes (ours: EC57 defines no FHIR code system). */
export const AAMI_CODE_SYSTEM = "https://meridian.health/fhir/CodeSystem/aami-ec57-beat-class";
/** Identifier system of Ethereum addresses (EIP-55 checksummed). */
export const ADDRESS_SYSTEM = "https://meridian.health/fhir/sid/ethereum-address";
/** Identifier system of message ids (EIP-712 digests of device windows). */
export const WINDOW_ID_SYSTEM = "https://meridian.health/fhir/sid/ecg-window-digest";
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
  const [ecgId, beatsId, reportId, sensorId, edgeId, fogId, provenanceId] = [0, 1, 2, 3, 4, 5, 6].map((n) => uuid(windowDigest, n)) as [string, string, string, string, string, string, string];
  const device = (address: string, text: string): Device => ({ resourceType: "Device", identifier: [{ system: ADDRESS_SYSTEM, value: address }], type: { text }, status: "active" });
  const data = Array.from(samples, (s) => s - w.baseline).join(" ");
  const ecg: Observation = {
    resourceType: "Observation",
    status: "final",
    category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "procedure", display: "Procedure" }] }],
    code: { coding: [{ system: MDC, code: "131328", display: "MDC_ECG_ELEC_POTL" }, { system: "http://loinc.org", code: "11524-6", display: "EKG study" }], text: "ECG excerpt" },
    subject,
    effectivePeriod: { start, end },
    device: { reference: sensorId },
    identifier: [{ system: WINDOW_ID_SYSTEM, value: windowDigest }],
    component: [
      {
        code: { coding: [{ system: MDC, code: "131330", display: "MDC_ECG_ELEC_POTL_II" }], text: `Lead ${w.lead}` },
        valueSampledData: { origin: { value: 0, unit: "mV", system: UCUM, code: "mV" }, period: 1000 / fs, factor: 1 / w.gain, dimensions: 1, data },
      },
      ...(sf.signedWindow.screen.heartRateBpm === null ? [] : [{
        code: { coding: [{ system: "http://loinc.org", code: "8867-4", display: "Heart rate" }] },
        valueQuantity: { value: Math.round(sf.signedWindow.screen.heartRateBpm * 10) / 10, unit: "/min", system: UCUM, code: "/min" },
      }]),
    ],
  };
  const classes = [...f.beatClasses] as AamiClass[];
  const beats: Observation = {
    resourceType: "Observation",
    status: "preliminary",
    code: { coding: [{ system: AAMI_CODE_SYSTEM, code: "beats", display: "Heartbeat classes (ANSI/AAMI EC57)" }], text: "Beat classes from the edge model" },
    subject,
    effectivePeriod: { start, end },
    device: { reference: edgeId },
    derivedFrom: [{ reference: ecgId }],
    note: [{ text: `Model ${f.model}. Probabilities per beat (N, S, V, F, Q): ${JSON.stringify(sf.probabilities)}` }],
    component: classes.map((c, i) => ({
      code: { coding: [{ system: AAMI_CODE_SYSTEM, code: c, display: AAMI_CLASS_NAMES[c] }] },
      valueQuantity: { value: Math.round((w.rPeaks[i]! / fs) * 1000) / 1000, unit: "s", system: UCUM, code: "s" },
    })),
  };
  const counts = classes.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c]: (acc[c] ?? 0) + 1 }), {});
  const summary = Object.entries(counts).map(([c, n]) => `${n} ${c}`).join(", ") || "no beats";
  const reasons = sf.signedWindow.screen.reasons;
  const report: DiagnosticReport = {
    resourceType: "DiagnosticReport",
    status: "preliminary",
    category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/v2-0074", code: "EC", display: "Electrocardiac (e.g., EKG, EEC, Holter)" }] }],
    code: { coding: [{ system: "http://loinc.org", code: "11524-6", display: "EKG study" }], text: "Remote ECG monitoring window" },
    subject,
    effectivePeriod: { start, end },
    issued: iso(forward.forward.receivedAt),
    identifier: [{ system: WINDOW_ID_SYSTEM, value: windowDigest }, { system: "https://meridian.health/fhir/sid/monitoring-session", value: sessionId }],
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
    signature: [signature(sensorId, sf.signedWindow.signature, w.recordedAt), signature(edgeId, sf.signature, forward.forward.receivedAt), signature(fogId, forward.signature, forward.forward.receivedAt)],
  };
  const entries: [string, Resource][] = [
    [reportId, report], [ecgId, ecg], [beatsId, beats],
    [sensorId, device(w.device, "ECG sensor")], [edgeId, device(f.edge, "edge device")], [fogId, device(forward.forward.fog, "fog relay")],
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
