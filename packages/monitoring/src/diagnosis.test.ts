/**
 * The review side of monitoring: a window Bundle read back for display (waveform in mV, beats,
 * classes, probabilities), and the clinician's final diagnosis as valid FHIR, anchored and linked
 * on a real in-process Hardhat/EDR chain with a real Helia node, refused before anything is
 * written when the session is not the wallet's to sign. Uses the project's synthetic ECG, not
 * the shared data.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { Bundle, DiagnosticReport } from "@medplum/fhirtypes";
import type { MeridianClient } from "@meridian/sdk";
import { getSession, openSession } from "@meridian/sdk/chain";
import { RecordCategory } from "@meridian/sdk";
import { loadFhirDefinitions, validateFhirResource } from "@meridian/sdk/fhir";
import { syntheticEcg } from "@meridian/ecg/testing";
import {
  buildDiagnosisReport,
  DiagnosisError,
  DiagnosisNotLinkedError,
  ECG_FINDINGS,
  signFinalDiagnosis,
} from "./diagnosis.ts";
import { buildWindowBundle, NotAnEcgWindowError, readWindowBundle } from "./fhir.ts";
import { signFindings, signForward, signWindow, windowDigest } from "./messages.ts";
import type { MonitoringDomain } from "./messages.ts";
import { enrolMonitoring } from "./pipeline.ts";
import { startTestNetwork, testAccount as account, type TestNetwork } from "@meridian/sdk/testing";

const newKey = () => privateKeyToAccount(generatePrivateKey());
const SESSION: Hex = `0x${"ab".repeat(32)}`;

/** A signed, forwarded 10 s window of synthetic ECG (360 Hz, 200 adu/mV, baseline 1024) with one wide beat. */
async function forwardedWindow(domain: MonitoringDomain, patient: `0x${string}`) {
  const fs = 360,
    gain = 200,
    baseline = 1024;
  const beats = [0.5, 1.3, 2.1, 2.6, 3.7, 4.5, 5.3, 6.1, 6.9, 7.7, 8.5, 9.3].map((time, i) => ({
    time,
    kind: i === 3 ? ("wide" as const) : ("normal" as const),
  }));
  const { signal, rPeaks } = syntheticEcg({ samplingFrequency: fs, durationSeconds: 10, beats, seed: 7 });
  const samples = Int16Array.from(signal, (mv) => Math.round(mv * gain) + baseline);
  const [sensor, edge, fog] = [newKey(), newKey(), newKey()];
  const signedWindow = await signWindow(domain, sensor, {
    patient,
    sequence: 1,
    startSample: 0,
    recordedAt: Date.UTC(2026, 10, 20, 9, 0, 0),
    samplingFrequency: fs,
    lead: "MLII",
    gain,
    baseline,
    samples,
    rPeaks,
    screen: { heartRateBpm: 72, reasons: ["premature beat"] },
    abnormal: true,
  });
  const classes = rPeaks.map((_, i) => (i === 3 ? "V" : "N"));
  const probabilities = classes.map((c) =>
    c === "V" ? [0.02, 0.01, 0.95, 0.01, 0.01] : [0.97, 0.01, 0.01, 0.005, 0.005],
  );
  const signedFindings = await signFindings(domain, edge, signedWindow, {
    beatClasses: classes,
    probabilities,
    model: `0x${"11".repeat(32)}`,
  });
  const forward = await signForward(domain, fog, signedFindings, {
    receivedAt: Date.UTC(2026, 10, 20, 9, 0, 11),
    queueSequence: 1,
  });
  return { forward, samples, rPeaks, gain, baseline, digest: windowDigest(domain, signedWindow.window) };
}

describe("a window read back for review", () => {
  const domain: MonitoringDomain = { chainId: 31337, monitoringRegistry: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
  before(() => {
    loadFhirDefinitions();
  });

  test("gives the waveform in mV, each beat's time, class and probabilities, and the edge's findings", async () => {
    const patient = account(3).address;
    const w = await forwardedWindow(domain, patient);
    const bundle = buildWindowBundle({
      forward: w.forward,
      samples: w.samples,
      windowDigest: w.digest,
      sessionId: SESSION,
    });
    validateFhirResource(bundle);
    for (const e of bundle.entry ?? []) validateFhirResource(e.resource!);
    const view = readWindowBundle(JSON.parse(JSON.stringify(bundle)));
    assert.equal(view.windowDigest, w.digest);
    assert.equal(view.sessionId, SESSION);
    assert.equal(view.patient, patient);
    assert.equal(view.samplingFrequency, 360);
    assert.equal(view.lead, "MLII");
    assert.equal(view.millivolts.length, 3600);
    for (const i of [0, 1234, 3599])
      assert.ok(Math.abs(view.millivolts[i]! - (w.samples[i]! - w.baseline) / w.gain) < 1e-6, `sample ${i}`);
    assert.deepEqual(view.beats.map((b) => b.aamiClass).join(""), "NNNVNNNNNNNN");
    assert.deepEqual(
      view.beats.map((b) => Math.round(b.timeSeconds * 360)),
      w.rPeaks,
    );
    assert.equal(view.beats[3]!.probabilities?.V, 0.95);
    assert.deepEqual(view.classCounts, { N: 11, S: 0, V: 1, F: 0, Q: 0 });
    assert.equal(view.heartRateBpm, 72);
    assert.equal(view.reportStatus, "preliminary");
    assert.match(view.conclusion ?? "", /Abnormal.*11 N, 1 V.*premature beat/);
    assert.equal(view.model, `0x${"11".repeat(32)}`);
    assert.equal(view.signatures, 3);
    assert.equal(view.devices.sensor, w.forward.signedFindings.signedWindow.window.device);
    assert.equal(view.devices.fog, w.forward.forward.fog);
  });

  test("refuses a record that is not a window, and a window whose beats fall outside it", async () => {
    assert.throws(
      () => readWindowBundle({ resourceType: "Bundle", type: "collection", entry: [] }),
      NotAnEcgWindowError,
    );
    assert.throws(() => readWindowBundle("not json"), NotAnEcgWindowError);
    const w = await forwardedWindow(domain, account(3).address);
    const bundle = JSON.parse(
      JSON.stringify(
        buildWindowBundle({ forward: w.forward, samples: w.samples, windowDigest: w.digest, sessionId: SESSION }),
      ),
    ) as Bundle;
    const beats = bundle.entry!.find(
      (e) => e.resource?.resourceType === "Observation" && e.resource.status === "preliminary",
    )!.resource as { component: { valueQuantity: { value: number } }[] };
    beats.component[0]!.valueQuantity.value = 42;
    assert.throws(() => readWindowBundle(bundle), /outside the 10 s excerpt/);
  });
});

describe("the clinician's final diagnosis", () => {
  let net: TestNetwork;
  let hospital: MeridianClient;
  let clinic: MeridianClient;
  let patient: MeridianClient;

  before(async () => {
    loadFhirDefinitions();
    net = await startTestNetwork({ label: "diagnosis" });
    hospital = await net.admitProvider(account(2), { name: "St Mary's", department: "Cardiology" });
    clinic = await net.admitProvider(account(3), { name: "Harbour Clinic", department: "Cardiology" });
    patient = net.client(account(7));
    await patient.registerAsPatient();
    await enrolMonitoring({ patient, provider: hospital, kit: { sensor: newKey(), edge: newKey(), fog: newKey() } });
  });

  after(async () => {
    await net?.close();
  });

  const report = (
    sessionId: Hex,
    conclusion = "Frequent unifocal premature ventricular contractions on sinus rhythm; no sustained arrhythmia. Holter follow-up in 3 months.",
  ) =>
    buildDiagnosisReport({
      patient: patient.address,
      sessionId,
      provider: hospital.address,
      providerName: "St Mary's",
      conclusion,
      findings: ["426783006", "427172004"],
      reviewedWindows: [`0x${"cd".repeat(32)}`],
      period: { start: "2026-11-20T09:00:00.000Z", end: "2026-11-20T09:30:00.000Z" },
    });

  test("is valid FHIR R4 with SNOMED CT findings, and refuses an empty conclusion or an unknown finding", () => {
    const r = report(SESSION);
    validateFhirResource(r);
    assert.equal(r.status, "final");
    assert.deepEqual(
      r.conclusionCode?.map((c) => c.coding?.[0]?.code),
      ["426783006", "427172004"],
    );
    assert.equal(r.result?.[0]?.identifier?.value, `0x${"cd".repeat(32)}`);
    assert.throws(() => report(SESSION, "   "), DiagnosisError);
    assert.throws(
      () =>
        buildDiagnosisReport({
          patient: patient.address,
          sessionId: SESSION,
          provider: hospital.address,
          conclusion: "x",
          findings: [],
          reviewedWindows: [],
        }),
      /at least one/,
    );
    assert.throws(
      () =>
        buildDiagnosisReport({
          patient: patient.address,
          sessionId: SESSION,
          provider: hospital.address,
          conclusion: "x",
          findings: ["123"],
          reviewedWindows: [],
        }),
      /not one of the rhythm findings/,
    );
    assert.ok(ECG_FINDINGS.length >= 10);
  });

  test("goes on chain as an encrypted Cardiac record linked to the session, which closes; the patient reads it", async () => {
    const { sessionId } = await openSession(hospital.ctx, { patient: patient.address });
    const stages: string[] = [];
    const signed = await signFinalDiagnosis(hospital, {
      sessionId,
      report: report(sessionId),
      onStage: (s) => stages.push(s),
    });
    assert.deepEqual(stages, ["anchoring", "signing"]);
    assert.ok(signed.anchorGas > 0n && signed.signGas > 0n);
    const session = await getSession(hospital.ctx, sessionId);
    assert.equal(session.open, false);
    assert.equal(session.diagnosisRecordId, signed.recordId);
    const read = await patient.readRecord(signed.recordId);
    assert.equal(read.anchor.category, RecordCategory.Cardiac);
    const stored = JSON.parse(new TextDecoder().decode(read.plaintext)) as DiagnosticReport;
    assert.equal(stored.conclusion, report(sessionId).conclusion);
    // closed: a second diagnosis is refused before anything is written
    const before = (await patient.listRecords()).length;
    await assert.rejects(
      signFinalDiagnosis(hospital, { sessionId, report: report(sessionId) }),
      (e: Error) => e instanceof DiagnosisError && /closed/.test(e.message),
    );
    assert.equal((await patient.listRecords()).length, before);
  });

  test("another provider cannot sign; a record anchored before a failed link is linked on retry, not written twice", async () => {
    const { sessionId } = await openSession(hospital.ctx, { patient: patient.address });
    const before = (await patient.listRecords()).length;
    await assert.rejects(signFinalDiagnosis(clinic, { sessionId, report: report(sessionId) }), /another provider/);
    assert.equal((await patient.listRecords()).length, before, "nothing written");
    // the anchoring went through but the link did not (e.g. the wallet declined the second transaction)
    const anchored = await hospital.addRecord({
      plaintext: new TextEncoder().encode(JSON.stringify(report(sessionId))),
      category: RecordCategory.Cardiac,
      patient: patient.address,
    });
    const signed = await signFinalDiagnosis(hospital, {
      sessionId,
      report: report(sessionId),
      recordId: anchored.recordId,
    });
    assert.equal(signed.recordId, anchored.recordId);
    assert.equal(signed.anchorGas, 0n);
    assert.equal((await patient.listRecords()).length, before + 1);
    assert.equal((await getSession(hospital.ctx, sessionId)).diagnosisRecordId, anchored.recordId);
    assert.ok(new DiagnosisNotLinkedError(anchored.recordId, new Error("declined")).message.includes("not yet linked"));
  });
});
