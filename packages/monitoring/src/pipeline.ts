/**
 * The whole remote-monitoring chain on one machine: enrolment on chain (the patient registers
 * the sensor, edge and fog relay and names the monitoring provider under its Cardiac write
 * consent) and a run of one WFDB record through device → MQTT → edge → MQTT → fog relay →
 * HTTP → medical server → chain, with every role in this process. The roles are the start
 * functions of `roles.ts`, which the CLI also runs one per process (`meridian ecg server | fog
 * | edge | device`); the fog relay and the medical server keep their state in SQLite files.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { bytesToHex, isAddressEqual, type Hex, type LocalAccount } from "viem";
import type { MeridianClient } from "@meridian/sdk";
import { canWrite } from "@meridian/sdk/chain";
import {
  DeviceRole,
  deviceBindingTypedData,
  getMonitoringProvider,
  isActiveDevice,
  registerDevice,
  setMonitoringProvider,
} from "@meridian/sdk/chain";
import type { DeviceRoleCode } from "@meridian/sdk/chain";
import { RecordCategory } from "@meridian/sdk";
import { MODEL_DIR, loadBeatClassifier } from "@meridian/ecg/model";
import { AAMI_CLASSES, QrsDetector, screenRhythm } from "@meridian/ecg";
import type { WfdbRecord } from "@meridian/ecg/wfdb";
import type { MonitoringDomain } from "./messages.ts";
import type { BeatClassifierPort, RhythmScreener } from "./ports.ts";
import { MonitoringTally, runDevice, startEdge, startFog, startMedicalServer } from "./roles.ts";
import type { EventSink, RunningRole, TallyFigures } from "./roles.ts";
import { startBroker } from "./transport.ts";

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
export async function enrolMonitoring(p: {
  patient: MeridianClient;
  provider: MeridianClient;
  kit: MonitoringKit;
}): Promise<Record<string, bigint>> {
  const gas: Record<string, bigint> = {};
  const { patient, provider, kit } = p;
  const ctx = patient.ctx;
  if (!(await canWrite(ctx, provider.address, patient.address, RecordCategory.Cardiac))) {
    gas["grant cardiac write"] = (
      await patient.grant({
        grantee: provider.address,
        scope: { kind: "category", category: RecordCategory.Cardiac },
        write: true,
      })
    ).gasUsed;
  }
  // an hour from now by the chain's clock, which runs ahead of the wall clock on a busy local chain
  const chainNow = Number((await ctx.publicClient.getBlock()).timestamp);
  const deadline = Math.max(chainNow, Math.floor(Date.now() / 1000)) + 3600;
  for (const [account, role] of [
    [kit.sensor, DeviceRole.Sensor],
    [kit.edge, DeviceRole.Edge],
    [kit.fog, DeviceRole.Fog],
  ] as [LocalAccount, DeviceRoleCode][]) {
    if (await isActiveDevice(ctx, patient.address, account.address, role)) continue;
    const signature = await account.signTypedData(
      deviceBindingTypedData(ctx.deployment, { patient: patient.address, device: account.address, role, deadline }),
    );
    gas[`register device (role ${role})`] = (
      await registerDevice(ctx, { device: account.address, role, deadline, signature })
    ).gasUsed;
  }
  const named = await getMonitoringProvider(ctx, patient.address);
  if (named === undefined || !isAddressEqual(named, provider.address)) {
    gas["set monitoring provider"] = (await setMonitoringProvider(ctx, { provider: provider.address })).gasUsed;
  }
  return gas;
}

/** The CNN classifier behind the edge's port; its id is the SHA-256 of the committed weights. */
export async function cnnClassifier(): Promise<BeatClassifierPort> {
  const classifier = await loadBeatClassifier();
  const hash = createHash("sha256");
  hash.update(await readFile(path.join(MODEL_DIR, "model.json")));
  const modelId = bytesToHex(hash.digest());
  return {
    modelId,
    classify: (input) =>
      classifier
        .classify(input)
        .map((b) => ({ aamiClass: b.aamiClass, probabilities: AAMI_CLASSES.map((c) => b.probabilities[c]) })),
  };
}

/** The device's rhythm screen: `screenRhythm` of `@meridian/ecg`. */
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
  /** Folder for the fog queue and the medical server's state (`fog-queue.sqlite`, `medical-server.sqlite`). */
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
  /** Every event of every role (for logs). */
  onEvent?: EventSink;
}

/** What a run did. */
export interface MonitoringRun extends TallyFigures {
  sessionId: Hex | undefined;
  /** Seconds of ECG streamed. */
  ecgSeconds: number;
  /** Wall-clock seconds from the first window to the last anchored record. */
  wallSeconds: number;
}

/** The windows of a run: their length and the sample range (whole windows only). */
export function windowPlan(
  record: WfdbRecord,
  o: { windowSeconds?: number | undefined; startSample?: number | undefined; endSample?: number | undefined },
): { windowLength: number; start: number; end: number; total: number } {
  const length = record.signals[0]!.length;
  const windowLength = Math.round((o.windowSeconds ?? 10) * record.header.samplingFrequency);
  const start = o.startSample ?? 0;
  const end = Math.min(o.endSample ?? length, length);
  return { windowLength, start, end, total: Math.max(0, Math.floor((end - start) / windowLength)) };
}

/**
 * Runs one record through the whole chain with every role in this process (the start functions
 * of `roles.ts`, as the CLI runs them one per process) and waits until every window sent is
 * anchored or refused.
 */
export async function runMonitoring(o: RunMonitoringOptions): Promise<MonitoringRun> {
  const domain = monitoringDomain(o.provider);
  const broker = o.mqttUrl ? undefined : await startBroker();
  const mqttUrl = o.mqttUrl ?? broker!.url;
  const classifier = o.classifier ?? (await cnnClassifier());
  const fs = o.record.header.samplingFrequency;
  const plan = windowPlan(o.record, o);
  const tally = new MonitoringTally({ total: plan.total, ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
  const onEvent: EventSink = (e) => {
    tally.record(e);
    o.onEvent?.(e);
  };
  const running: RunningRole[] = [];
  try {
    const server = await startMedicalServer({
      client: o.provider,
      stateFile: path.join(o.stateDir, "medical-server.sqlite"),
      onEvent,
    });
    running.push(server);
    running.push(
      await startFog({
        account: o.kit.fog,
        domain,
        mqttUrl,
        queueFile: path.join(o.stateDir, "fog-queue.sqlite"),
        deliver: server.url,
        onEvent,
      }),
    );
    running.push(await startEdge({ account: o.kit.edge, domain, mqttUrl, classifier, onEvent }));
    const t0 = performance.now();
    await runDevice({
      account: o.kit.sensor,
      domain,
      patient: o.patient,
      record: o.record,
      windowSeconds: o.windowSeconds ?? 10,
      speed: o.speed ?? Infinity,
      startSample: plan.start,
      endSample: plan.end,
      firstSequence: o.firstSequence ?? 1,
      detector: new QrsDetector({ samplingFrequency: fs }),
      screen: deviceScreen,
      mqttUrl,
      onEvent,
    });
    await tally.settled();
    const wallSeconds = (performance.now() - t0) / 1000;
    const figures = tally.figures();
    return {
      ...figures,
      sessionId: server.server.sessionOf(o.patient),
      ecgSeconds: (figures.sent * plan.windowLength) / fs,
      wallSeconds,
    };
  } finally {
    for (const role of running.reverse()) await role.close();
    await broker?.close();
  }
}
