/**
 * The whole remote-monitoring chain on one machine: enrolment on chain (the patient registers
 * the sensor, edge and fog relay and names the monitoring provider under its Cardiac write
 * consent) and a run of one WFDB record through device → MQTT → edge → MQTT → fog relay →
 * HTTP → medical server → chain, with every role in this process (the fog relay and the medical
 * server keep their state in SQLite files, so either can also run as its own process).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Hex, LocalAccount } from "viem";
import type { MeridianClient } from "@meridian/sdk/client.ts";
import { canWrite } from "@meridian/sdk/chain/actions.ts";
import { DeviceRole, deviceBindingTypedData, getMonitoringProvider, isActiveDevice, registerDevice, setMonitoringProvider } from "@meridian/sdk/chain/monitoring.ts";
import type { DeviceRoleCode } from "@meridian/sdk/chain/monitoring.ts";
import { RecordCategory } from "@meridian/sdk/categories.ts";
import { AAMI_CLASSES } from "../aami.ts";
import { MODEL_DIR } from "../model/cnn.ts";
import { loadBeatClassifier } from "../model/classifier.ts";
import { QrsDetector } from "../qrs/pan-tompkins.ts";
import { screenRhythm } from "../screening.ts";
import type { WfdbRecord } from "../wfdb/record.ts";
import { streamWindows } from "./device.ts";
import { EdgeNode } from "./edge.ts";
import { FogRelay, httpDeliver } from "./fog.ts";
import type { FogEvent } from "./fog.ts";
import { MedicalServer } from "./medical-server.ts";
import type { AnchoredWindow } from "./medical-server.ts";
import { windowDigest } from "./messages.ts";
import type { MonitoringDomain } from "./messages.ts";
import type { BeatClassifierPort, RhythmScreener } from "./ports.ts";
import { FINDINGS_TOPICS, WINDOW_TOPICS, connectMqtt, consume, findingsTopic, publishJson, startBroker, windowTopic } from "./transport.ts";

/** The three device keys of one patient's monitoring kit. */
export interface MonitoringKit {
  sensor: LocalAccount;
  edge: LocalAccount;
  fog: LocalAccount;
}

/** The chain domain of the monitoring messages, from a client's deployment. */
export function monitoringDomain(client: MeridianClient): MonitoringDomain {
  return { chainId: client.ctx.deployment.chainId, monitoringRegistry: client.ctx.deployment.monitoringRegistry };
}

/**
 * Enrols a patient for remote monitoring, doing only what is missing: registers the patient,
 * grants `provider` Cardiac read and write, registers each kit device (each signs its EIP-712
 * binding), and names `provider` as the monitoring provider. Returns the gas of each step.
 */
export async function enrolMonitoring(p: { patient: MeridianClient; provider: MeridianClient; kit: MonitoringKit }): Promise<Record<string, bigint>> {
  const gas: Record<string, bigint> = {};
  const { patient, provider, kit } = p;
  const ctx = patient.ctx;
  if (!(await canWrite(ctx, provider.address, patient.address, RecordCategory.Cardiac))) {
    gas["grant cardiac write"] = (await patient.grant({ grantee: provider.address, scope: { kind: "category", category: RecordCategory.Cardiac }, write: true })).gasUsed;
  }
  const deadline = Math.floor(Date.now() / 1000) + 3600;
  for (const [account, role] of [[kit.sensor, DeviceRole.Sensor], [kit.edge, DeviceRole.Edge], [kit.fog, DeviceRole.Fog]] as [LocalAccount, DeviceRoleCode][]) {
    if (await isActiveDevice(ctx, patient.address, account.address, role)) continue;
    const signature = await account.signTypedData(deviceBindingTypedData(ctx.deployment, { patient: patient.address, device: account.address, role, deadline }));
    gas[`register device (role ${role})`] = (await registerDevice(ctx, { device: account.address, role, deadline, signature })).gasUsed;
  }
  if ((await getMonitoringProvider(ctx, patient.address))?.toLowerCase() !== provider.address.toLowerCase()) {
    gas["set monitoring provider"] = (await setMonitoringProvider(ctx, { provider: provider.address })).gasUsed;
  }
  return gas;
}

/** The CNN classifier behind the edge's port; its id is the SHA-256 of the committed weights. */
export async function cnnClassifier(): Promise<BeatClassifierPort> {
  const classifier = await loadBeatClassifier();
  const hash = createHash("sha256");
  hash.update(await readFile(path.join(MODEL_DIR, "model.json")));
  const modelId = `0x${hash.digest("hex")}` as Hex;
  return {
    modelId,
    classify: (input) => classifier.classify(input).map((b) => ({ aamiClass: b.aamiClass, probabilities: AAMI_CLASSES.map((c) => b.probabilities[c]) })),
  };
}

/** The device's rhythm screen, from `screening.ts`. */
export const deviceScreen: RhythmScreener = ({ rPeaks, samplingFrequency, signal, signalStart }) => {
  const s = screenRhythm({ rPeaks: rPeaks.map((r) => r - signalStart), samplingFrequency, signal });
  return { heartRateBpm: s.heartRateBpm, reasons: s.reasons, abnormal: s.abnormal };
};

/** Options of {@link runMonitoring}. */
export interface RunMonitoringOptions {
  /** The patient's record to stream (a WFDB record). */
  record: WfdbRecord;
  /** The patient's address (already enrolled with {@link enrolMonitoring}). */
  patient: `0x${string}`;
  /** The monitoring provider's client (the medical server's wallet). */
  provider: MeridianClient;
  kit: MonitoringKit;
  /** Folder for the fog queue and the medical server's state (SQLite files). */
  stateDir: string;
  /** MQTT broker URL; default an embedded broker. */
  mqttUrl?: string;
  /** Window length (seconds, default 10). */
  windowSeconds?: number;
  /** Speed relative to real time (default `Infinity`: as fast as possible). */
  speed?: number;
  /** Sample range to stream (default the whole record). */
  startSample?: number;
  endSample?: number;
  /** The device's first sequence number (default 1; a device continues its numbering across runs). */
  firstSequence?: number;
  /** Edge classifier (default the committed CNN). */
  classifier?: BeatClassifierPort;
  /** Progress: windows sent and anchored so far, of the total. */
  onProgress?: (p: { sent: number; anchored: number; total: number }) => void;
  onFogEvent?: (event: FogEvent) => void;
}

/** What a run did. */
export interface MonitoringRun {
  /** Windows the device sent, anchored, and refused along the way. */
  sent: number;
  anchored: AnchoredWindow[];
  refused: { hop: string; error: string }[];
  sessionId: Hex | undefined;
  /** Seconds of ECG streamed. */
  ecgSeconds: number;
  /** Wall-clock seconds from the first window to the last anchored record. */
  wallSeconds: number;
  /** Latency per abnormal window (ms): from the device sending it to its record anchored. */
  abnormalLatenciesMs: number[];
}

/** Runs one record through the whole chain (see the module documentation) and waits until every window sent is anchored or refused. */
export async function runMonitoring(o: RunMonitoringOptions): Promise<MonitoringRun> {
  const domain = monitoringDomain(o.provider);
  const broker = o.mqttUrl ? undefined : await startBroker();
  const mqttUrl = o.mqttUrl ?? broker!.url;
  const classifier = o.classifier ?? (await cnnClassifier());
  const sentAt = new Map<string, number>();
  const anchored: AnchoredWindow[] = [];
  const refused: { hop: string; error: string }[] = [];
  const latencies: number[] = [];
  let sent = 0;
  let total = 0;
  const server = new MedicalServer({
    client: o.provider,
    stateFile: path.join(o.stateDir, "medical-server.sqlite"),
    onAnchored: (a) => {
      anchored.push(a);
      const t = sentAt.get(a.windowDigest);
      if (a.flagged && t !== undefined) latencies.push(Date.now() - t);
      o.onProgress?.({ sent, anchored: anchored.length, total });
    },
  });
  const http = await server.listen();
  const fog = new FogRelay({
    account: o.kit.fog, domain, queueFile: path.join(o.stateDir, "fog-queue.sqlite"), deliver: httpDeliver(http.url),
    onEvent: (e) => {
      if (e.kind === "rejected") refused.push({ hop: "medical server", error: e.reason });
      if (e.kind === "refused") refused.push({ hop: "fog", error: e.error.message });
      o.onFogEvent?.(e);
    },
  });
  fog.start();
  const edge = new EdgeNode({ account: o.kit.edge, domain, classifier });
  const fogClient = await connectMqtt(mqttUrl, { clientId: `meridian-fog-${o.kit.fog.address.toLowerCase()}`, clean: false });
  const edgeClient = await connectMqtt(mqttUrl, { clientId: `meridian-edge-${o.kit.edge.address.toLowerCase()}` });
  // a second connection publishes: a client blocked in its message handler reads no PUBACK
  const edgeOut = await connectMqtt(mqttUrl, { clientId: `meridian-edge-out-${o.kit.edge.address.toLowerCase()}` });
  const deviceClient = await connectMqtt(mqttUrl, { clientId: `meridian-device-${o.kit.sensor.address.toLowerCase()}` });
  try {
    await consume(fogClient, FINDINGS_TOPICS, async (payload) => { await fog.accept(payload); });
    await consume(edgeClient, WINDOW_TOPICS, async (payload) => {
      const findings = await edge.process(payload);
      await publishJson(edgeOut, findingsTopic(findings.findings.patient), findings);
    }, (error) => refused.push({ hop: "edge", error: (error as Error).message }));
    const fs = o.record.header.samplingFrequency;
    const windowLength = Math.round((o.windowSeconds ?? 10) * fs);
    const start = o.startSample ?? 0;
    const end = Math.min(o.endSample ?? o.record.signals[0]!.length, o.record.signals[0]!.length);
    total = Math.floor((end - start) / windowLength);
    const t0 = performance.now();
    for await (const w of streamWindows({
      account: o.kit.sensor, domain, patient: o.patient, record: o.record, windowSeconds: o.windowSeconds ?? 10, speed: o.speed ?? Infinity,
      startSample: start, endSample: end, firstSequence: o.firstSequence ?? 1, detector: new QrsDetector({ samplingFrequency: fs }), screen: deviceScreen,
    })) {
      const { sentAt: at, ...message } = w;
      sentAt.set(windowDigest(domain, message.window), at);
      await publishJson(deviceClient, windowTopic(o.patient, o.kit.sensor.address), message);
      sent++;
      o.onProgress?.({ sent, anchored: anchored.length, total });
    }
    // wait until every window is anchored or refused somewhere along the chain
    while (anchored.length + refused.length < sent) await new Promise((r) => setTimeout(r, 20));
    const wallSeconds = (performance.now() - t0) / 1000;
    const sessionId = server.sessionOf(o.patient);
    return { sent, anchored, refused, sessionId, ecgSeconds: (sent * windowLength) / fs, wallSeconds, abnormalLatenciesMs: latencies };
  } finally {
    await Promise.all([deviceClient.endAsync(), edgeClient.endAsync(), edgeOut.endAsync(), fogClient.endAsync()]);
    await fog.stop();
    await http.close();
    server.close();
    await broker?.close();
  }
}
