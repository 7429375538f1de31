/**
 * Part 4 of `npm run bench`, remote ECG monitoring: one shared MIT-BIH record through device →
 * MQTT → edge (CNN) → MQTT → fog relay → HTTP → medical server → chain, all in this process: how
 * many times faster than real time, and the latency from an abnormal window leaving the device to
 * its record anchored and linked.
 */
import { parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createMeridianClient, type MeridianClient } from "@meridian/sdk";
import type { BlobStore } from "@meridian/sdk/storage";
import { createTempDir, testAccount as account, type TestChain } from "@meridian/sdk/testing";
import { MITDB_DIR, mitdbPresent, readWfdbRecord } from "@meridian/ecg/wfdb";
import { enrolMonitoring, runMonitoring } from "@meridian/monitoring";
import { summarize } from "../packages/cli/src/stats.ts";
import { log } from "./harness.ts";

/** What {@link measureEcgMonitoring} measured (the JSON keys of `ecg` in the results, in this order). */
export interface EcgResult {
  /** The MIT-BIH record's name (BENCH_ECG_RECORD, default "208"). */
  record: string;
  /** Length of each window the device sends, in seconds (10). */
  windowSeconds: number;
  /** Windows sent over the whole record. */
  windows: number;
  /** Windows whose record was anchored and linked to the session. */
  anchored: number;
  /** Windows the medical server refused. */
  refused: number;
  /** Anchored windows the edge's CNN flagged abnormal. */
  flagged: number;
  /** Seconds of ECG in the record. */
  ecgSeconds: number;
  /** Wall-clock seconds the unpaced run took. */
  wallSeconds: number;
  /** `ecgSeconds / wallSeconds`: how many times faster than real time. */
  realTimeFactor: number;
  /** Milliseconds from the device sending an abnormal window to its record anchored and linked (paced run). */
  abnormalToAnchoredMs: { median: number; p95: number; max: number; count: number };
  /** How the latency was measured. */
  note: string;
}

/** Where {@link measureEcgMonitoring} runs. */
export interface MeasureEcgMonitoringParameters {
  /** The bench's chain; development account 301 becomes the monitored patient. */
  edr: TestChain;
  /** The Helia store the patient's client uses. */
  store: BlobStore;
  /** The monitoring hospital's client (an admitted provider with a published key). */
  hospitalClient: MeridianClient;
  /** The MIT-BIH record to stream. */
  record: string;
}

/**
 * Streams `record` through the monitoring pipeline as fast as it goes, then its first 120 s paced
 * at 10x real time for the latency; null (and a log line) when the MIT-BIH data is absent.
 */
export async function measureEcgMonitoring({
  edr,
  store,
  hospitalClient,
  record: name,
}: MeasureEcgMonitoringParameters): Promise<EcgResult | null> {
  let ecg: EcgResult | null = null;
  if (mitdbPresent()) {
    log(`remote monitoring: record ${name}`);
    const ecgPatient = createMeridianClient({ ...edr.as(301), store });
    await edr.fund(account(301).address, parseEther("10"));
    await ecgPatient.registerAsPatient();
    const kit = {
      sensor: privateKeyToAccount(generatePrivateKey()),
      edge: privateKeyToAccount(generatePrivateKey()),
      fog: privateKeyToAccount(generatePrivateKey()),
    };
    await enrolMonitoring({ patient: ecgPatient, provider: hospitalClient, kit });
    const ecgRecord = await readWfdbRecord(MITDB_DIR, name);
    const state = await createTempDir("bench-ecg");
    const stateDir = state.path;
    const run = await runMonitoring({
      record: ecgRecord,
      patient: ecgPatient.address,
      provider: hospitalClient,
      kit,
      stateDir,
      windowSeconds: 10,
    });
    // Latency without a backlog: the next 120 s of the same stream paced at 10x real time (a window
    // every second), so each window meets an idle chain, as it would streaming live.
    const paced = await runMonitoring({
      record: ecgRecord,
      patient: ecgPatient.address,
      provider: hospitalClient,
      kit,
      stateDir,
      windowSeconds: 10,
      speed: 10,
      startSample: 0,
      endSample: 120 * 360,
      firstSequence: run.sent + 1,
    });
    await state.remove();
    const latency = summarize(paced.abnormalLatenciesMs);
    ecg = {
      record: name,
      windowSeconds: 10,
      windows: run.sent,
      anchored: run.anchored.length,
      refused: run.refused.length,
      flagged: run.anchored.filter((a) => a.flagged).length,
      ecgSeconds: run.ecgSeconds,
      wallSeconds: run.wallSeconds,
      realTimeFactor: run.ecgSeconds / run.wallSeconds,
      abnormalToAnchoredMs: { median: latency.median, p95: latency.p95, max: latency.max, count: latency.count },
      note: "latency: 120 s paced at 10x real time, from the device sending an abnormal window to its record anchored and linked; in real time add the wait for the window to close (at most its 10 s)",
    };
  } else log("remote monitoring: skipped (../shared/data/ecg/mitdb not found)");
  return ecg;
}
