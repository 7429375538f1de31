/**
 * The monitoring chain end to end on a real in-process Hardhat/EDR chain, a real Helia node on
 * disk, a real MQTT broker (aedes), real signatures and the committed CNN, on a shared MIT-BIH
 * record: every window anchored exactly once and in order; the medical server down for a while;
 * the fog relay stopped mid-stream and restarted; refused devices, replays and forgeries.
 */
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { MeridianClient } from "@meridian/sdk";
import { listSessionRecords, revokeDevice } from "@meridian/sdk/chain";
import { ProviderKind } from "@meridian/sdk/chain";
import { startTestNetwork, type TestNetwork } from "@meridian/sdk/testing";
import { loadFhirDefinitions, validateFhirResource } from "@meridian/sdk/fhir";
import type { Bundle } from "@medplum/fhirtypes";
import { MITDB_DIR, MITDB_MISSING, mitdbPresent, readWfdbRecord } from "@meridian/ecg/wfdb";
import { QrsDetector } from "@meridian/ecg";
import type { WfdbRecord } from "@meridian/ecg/wfdb";
import { streamWindows } from "./device.ts";
import { EdgeNode } from "./edge.ts";
import { SequenceError } from "./errors.ts";
import { FogRelay, httpDeliver } from "./fog.ts";
import { MedicalServer } from "./medical-server.ts";
import { signForward } from "./messages.ts";
import type { SignedFindings } from "./messages.ts";
import { cnnClassifier, deviceScreen, enrolMonitoring, monitoringDomain, runMonitoring } from "./pipeline.ts";
import type { MonitoringKit } from "./pipeline.ts";
import type { BeatClassifierPort } from "./ports.ts";

const newKit = (): MonitoringKit => ({
  sensor: privateKeyToAccount(generatePrivateKey()),
  edge: privateKeyToAccount(generatePrivateKey()),
  fog: privateKeyToAccount(generatePrivateKey()),
});
const until = async (cond: () => boolean, what: string, ms = 60_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("remote monitoring chain", { skip: mitdbPresent() ? false : MITDB_MISSING }, () => {
  let net: TestNetwork;
  let dir: string;
  let hospital: MeridianClient;
  let record: WfdbRecord;
  let classifier: BeatClassifierPort;

  before(async () => {
    net = await startTestNetwork({ label: "monitoring" });
    ({ dir } = net);
    hospital = await net.admitProvider(2, { kind: ProviderKind.Hospital, name: "St Mary's", department: "Cardiology" });
    record = await readWfdbRecord(MITDB_DIR, "208"); // many V and F beats
    classifier = await cnnClassifier();
    loadFhirDefinitions();
  });

  after(async () => {
    await net?.close();
  });

  const newPatient = async (i: number) => {
    const patient = net.client(i);
    await patient.registerAsPatient();
    const kit = newKit();
    await enrolMonitoring({ patient, provider: hospital, kit });
    return { patient, kit };
  };

  test("a minute of record 208 goes device → edge → fog → server: every window anchored once, in order, as valid FHIR the patient and provider can read", async () => {
    const { patient, kit } = await newPatient(5);
    const stateDir = await mkdtemp(path.join(dir, "run-"));
    const run = await runMonitoring({
      record,
      patient: patient.address,
      provider: hospital,
      kit,
      stateDir,
      classifier,
      windowSeconds: 10,
      endSample: 360 * 60,
    });
    assert.equal(run.sent, 6);
    assert.deepEqual(run.refused, []);
    assert.equal(run.anchored.length, 6);
    assert.ok(run.sessionId);
    const linked = await listSessionRecords(hospital.ctx, run.sessionId);
    assert.deepEqual(
      linked.map((l) => l.recordId),
      run.anchored.map((a) => a.recordId),
      "linked once each, in order",
    );
    assert.ok(
      run.anchored.some((a) => a.flagged),
      "record 208 has ventricular beats in its first minute",
    );
    const first = await patient.readRecord(run.anchored[0]!.recordId);
    const bundle = JSON.parse(new TextDecoder().decode(first.plaintext)) as Bundle;
    validateFhirResource(bundle);
    for (const e of bundle.entry ?? []) validateFhirResource(e.resource!);
    const types = (bundle.entry ?? []).map((e) => e.resource!.resourceType).sort();
    assert.deepEqual(types, [
      "Device",
      "Device",
      "Device",
      "DiagnosticReport",
      "Observation",
      "Observation",
      "Provenance",
    ]);
    assert.equal((await hospital.readRecord(run.anchored[5]!.recordId)).via, "category-grant");
  });

  test("the medical server down while the device streams, and the fog relay restarted mid-stream: all windows anchored exactly once, in order", async () => {
    const { patient, kit } = await newPatient(6);
    const domain = monitoringDomain(hospital);
    const stateDir = await mkdtemp(path.join(dir, "faults-"));
    const edge = new EdgeNode({ account: kit.edge, domain, classifier });
    const findings: SignedFindings[] = [];
    for await (const w of streamWindows({
      account: kit.sensor,
      domain,
      patient: patient.address,
      record,
      windowSeconds: 5,
      endSample: 360 * 40,
      detector: new QrsDetector({ samplingFrequency: 360 }),
      screen: deviceScreen,
    })) {
      const { sentAt: _, ...message } = w;
      findings.push(await edge.process(message));
    }
    assert.equal(findings.length, 8);
    // the server is down: reserve a port, then nothing listens on it
    const server = new MedicalServer({ client: hospital, stateFile: path.join(stateDir, "server.sqlite") });
    const probe = await server.listen();
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const queueFile = path.join(stateDir, "fog.sqlite");
    let fog = new FogRelay({
      account: kit.fog,
      domain,
      queueFile,
      deliver: httpDeliver(probe.url),
      minRetryMs: 20,
      maxRetryMs: 100,
    });
    fog.start();
    for (const f of findings.slice(0, 4)) await fog.accept(f);
    await new Promise((r) => setTimeout(r, 300)); // a few failed attempts
    assert.equal(fog.stats().queued, 4);
    await fog.stop(); // the relay dies mid-stream
    fog = new FogRelay({
      account: kit.fog,
      domain,
      queueFile,
      deliver: httpDeliver(probe.url),
      minRetryMs: 20,
      maxRetryMs: 100,
    });
    assert.equal(fog.stats().queued, 4, "the queue survived the restart");
    fog.start();
    for (const f of findings.slice(4)) await fog.accept(f);
    assert.equal((await fog.accept(findings[2])).duplicate, true, "a redelivered message is de-duplicated");
    const up = await server.listen(port); // the server comes back
    try {
      await until(() => fog.stats().delivered === 8, "all 8 windows delivered");
      const anchored = server.anchoredWindows();
      assert.deepEqual(
        anchored.map((a) => a.sequence),
        [1, 2, 3, 4, 5, 6, 7, 8],
      );
      const linked = await listSessionRecords(hospital.ctx, server.sessionOf(patient.address)!);
      assert.deepEqual(
        linked.map((l) => l.recordId),
        anchored.map((a) => a.recordId),
      );
      // the same forward again (a fog that crashed before recording the delivery) is answered as a duplicate
      const again = await server.handle(
        await signForward(domain, kit.fog, findings[0]!, { receivedAt: Date.now(), queueSequence: 1 }),
      );
      assert.equal(again.duplicate, true);
      assert.equal((await listSessionRecords(hospital.ctx, server.sessionOf(patient.address)!)).length, 8);
    } finally {
      await fog.stop();
      await up.close();
      server.close();
    }
  });

  test("replayed and out-of-order windows, a revoked sensor and a forged edge are refused; nothing of theirs is anchored", async () => {
    const { patient, kit } = await newPatient(7);
    const domain = monitoringDomain(hospital);
    const stateDir = await mkdtemp(path.join(dir, "refusals-"));
    const windows = [];
    for await (const w of streamWindows({
      account: kit.sensor,
      domain,
      patient: patient.address,
      record,
      windowSeconds: 5,
      endSample: 360 * 20,
      detector: new QrsDetector({ samplingFrequency: 360 }),
      screen: deviceScreen,
    }))
      windows.push(w);
    const edge = new EdgeNode({ account: kit.edge, domain, classifier });
    const f1 = await edge.process(windows[0]);
    await assert.rejects(
      edge.process(windows[0]),
      (e: unknown) => e instanceof SequenceError && e.received === 1 && e.expected === 2,
    );
    await assert.rejects(edge.process(windows[2]), (e: unknown) => e instanceof SequenceError && e.received === 3);
    const f2 = await edge.process(windows[1]);
    const f3 = await edge.process(windows[2]);
    const f4 = await edge.process(windows[3]);
    const server = new MedicalServer({ client: hospital, stateFile: path.join(stateDir, "server.sqlite") });
    const forward = (f: SignedFindings, seq: number) =>
      signForward(domain, kit.fog, f, { receivedAt: Date.now(), queueSequence: seq });
    try {
      // out of order at the server (a second edge, or a fog that lost one): window 2 before window 1
      await assert.rejects(
        server.handle(await forward(f2, 1)),
        (e: unknown) => e instanceof SequenceError && e.expected === 1,
      );
      assert.equal((await server.handle(await forward(f1, 2))).duplicate, false);
      // an edge the patient never registered
      const rogue = new EdgeNode({ account: privateKeyToAccount(generatePrivateKey()), domain, classifier });
      await rogue.process(windows[0]);
      const rogueFindings = await rogue.process(windows[1]);
      await assert.rejects(
        server.handle(await forward(rogueFindings, 3)),
        (e: unknown) =>
          (e as Error).name === "UnregisteredDeviceError" && /edge .* is not registered/.test((e as Error).message),
      );
      assert.equal((await server.handle(await forward(f2, 4))).duplicate, false);
      // the patient revokes the sensor: its later windows are refused
      await revokeDevice(patient.ctx, { device: kit.sensor.address });
      await assert.rejects(
        server.handle(await forward(f3, 5)),
        (e: unknown) => (e as Error).name === "UnregisteredDeviceError" && /revoked/.test((e as Error).message),
      );
      await assert.rejects(server.handle(await forward(f4, 6)), /revoked/);
      assert.deepEqual(
        server.anchoredWindows().map((a) => a.sequence),
        [1, 2],
      );
      assert.equal((await listSessionRecords(hospital.ctx, server.sessionOf(patient.address)!)).length, 2);
    } finally {
      server.close();
    }
  });
});
