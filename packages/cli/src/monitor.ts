/**
 * `meridian ecg run`: the remote-monitoring chain on an embedded default — an in-process
 * Hardhat/EDR chain, Helia on disk, an embedded MQTT broker — on one shared MIT-BIH record.
 * Deploys, admits a cardiology provider, registers a patient, enrols a sensor, an edge and a
 * fog relay (fresh keys, each proving possession by an EIP-712 binding), streams the record
 * through device → edge → fog → medical server, and reports what reached the chain. The roles
 * run in this process, or with `processes` as four child processes (`monitor-processes.ts`).
 *
 * @module
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { Account, EIP1193Provider } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createMeridianClient } from "@meridian/sdk";
import { admitProvider, deployMeridian } from "@meridian/sdk/chain";
import { getSession, listSessionRecords } from "@meridian/sdk/chain";
import { ProviderKind } from "@meridian/sdk/chain";
import { openBlobStore } from "@meridian/sdk/storage";
import { MITDB_DIR, readWfdbRecord } from "@meridian/ecg/wfdb";
import { enrolMonitoring, runMonitoring } from "@meridian/monitoring";
import type { MonitoringRun } from "@meridian/monitoring";
import { connectChain, devAccount, saveDeployment, walletFor } from "./env.ts";
import type { ChainClients } from "./env.ts";
import { prepareStateDirectory } from "./files.ts";
import type { RoleProcess } from "./monitor-processes.ts";
import { createProgress, log } from "./output.ts";

/** Options of {@link runMonitorDemo}. */
export interface MonitorDemoOptions {
  /** MIT-BIH record name (default `208`). */
  record?: string | undefined;
  /** Folder of the WFDB files (default the shared MIT-BIH folder). */
  directory?: string | undefined;
  /** Seconds of ECG to stream (default 300; the whole record is 1,805 s). */
  seconds?: number | undefined;
  /** Window length (seconds, default 10). */
  windowSeconds?: number | undefined;
  /** Speed relative to real time (default as fast as possible). */
  speed?: number | undefined;
  /**
   * Run the medical server, fog relay, edge and device as four child processes
   * (`monitor-processes.ts`), the chain behind a JSON-RPC server on a free loopback port;
   * default: every role in this process.
   */
  processes?: boolean | undefined;
  /** MQTT broker URL (e.g. Mosquitto); default an embedded broker. */
  mqttUrl?: string | undefined;
  /** State folder: emptied first when the run created it (it holds `.meridian-state`); refused when it holds anything else. */
  dataDir: string;
}

/** What the demo reports: the run, the record, times real time, the session on chain and, with `processes`, the children. */
export type MonitorDemoReport = MonitoringRun & {
  record: string;
  realTimeFactor: number;
  onChain: { sessionId: string; records: number; flagged: number };
  processes?: RoleProcess[];
};

/** The embedded chain: its EIP-1193 provider in this process, or (for child processes) a JSON-RPC server on a free loopback port. */
async function embeddedChain(
  rpc: boolean,
): Promise<{ clients: ChainClients; rpcUrl?: string; close(): Promise<void> }> {
  const hardhat = await import("hardhat");
  if (!rpc) {
    const connection = await hardhat.network.create();
    return {
      clients: await connectChain({ provider: connection.provider as unknown as EIP1193Provider }),
      close: () => connection.close(),
    };
  }
  const server = await hardhat.network.createServer("hardhat", "127.0.0.1");
  const { port } = await server.listen();
  const rpcUrl = `http://127.0.0.1:${port}`;
  return { clients: await connectChain({ url: rpcUrl }), rpcUrl, close: () => server.close() };
}

/** Runs the demo (see the module documentation); returns the run and the on-chain session. */
export async function runMonitorDemo(o: MonitorDemoOptions): Promise<MonitorDemoReport> {
  const name = o.record ?? "208";
  const directory = o.directory ?? MITDB_DIR;
  await prepareStateDirectory(o.dataDir, { option: "--data-dir", owner: "meridian ecg run" });
  const record = await readWfdbRecord(directory, name);
  const fs = record.header.samplingFrequency;
  const chain = await embeddedChain(o.processes ?? false);
  const clients = chain.clients;
  const store = await openBlobStore({ kind: "helia", directory: path.join(o.dataDir, "ipfs") });
  try {
    const account = (i: number) => devAccount(i, clients.chain.id);
    const deployment = await deployMeridian(
      { publicClient: clients.publicClient, walletClient: walletFor(clients, account(0)) },
      { admin: account(0).address, regulator: account(1).address },
    );
    const client = (a: Account) =>
      createMeridianClient({
        publicClient: clients.publicClient,
        walletClient: walletFor(clients, a),
        deployment,
        store,
      });
    const hospital = client(account(HOSPITAL));
    const patient = client(account(7));
    await admitProvider(
      { ...hospital.ctx, walletClient: walletFor(clients, account(1)) },
      { provider: hospital.address, kind: ProviderKind.Hospital, name: "St Mary's Hospital", department: "Cardiology" },
    );
    await hospital.publishProviderKey();
    await patient.registerAsPatient();
    const keys = { sensor: generatePrivateKey(), edge: generatePrivateKey(), fog: generatePrivateKey() };
    const kit = {
      sensor: privateKeyToAccount(keys.sensor),
      edge: privateKeyToAccount(keys.edge),
      fog: privateKeyToAccount(keys.fog),
    };
    await enrolMonitoring({ patient, provider: hospital, kit });
    log(
      `Record ${name}: ${record.header.signals.map((s) => s.description).join("/")} at ${fs} Hz; patient ${patient.address}, provider ${hospital.address}`,
    );
    log(
      `Devices: sensor ${kit.sensor.address}, edge ${kit.edge.address}, fog ${kit.fog.address} (registered on chain by the patient)`,
    );
    const windowSeconds = o.windowSeconds ?? 10;
    const total = Math.floor(Math.min(o.seconds ?? 300, record.signals[0]!.length / fs) / windowSeconds);
    const bar = createProgress("windows anchored", total);
    const onProgress = (() => {
      let shown = 0;
      return (p: { anchored: number }) => {
        while (shown < p.anchored) {
          bar.increment();
          shown++;
        }
      };
    })();
    let run: MonitoringRun;
    let processes: RoleProcess[] | undefined;
    if (o.processes) {
      const deploymentFile = path.join(o.dataDir, "deployment.json");
      await saveDeployment(deploymentFile, deployment);
      const { runRoleProcesses } = await import("./monitor-processes.ts");
      const r = await runRoleProcesses({
        rpcUrl: chain.rpcUrl!,
        deploymentFile,
        providerDevAccount: HOSPITAL,
        keys,
        patient: patient.address,
        record: name,
        directory,
        seconds: total * windowSeconds,
        windowSeconds,
        speed: o.speed ?? Infinity,
        dataDir: o.dataDir,
        mqttUrl: o.mqttUrl,
        total,
        onProgress,
      });
      ({ processes } = r);
      run = {
        sent: r.sent,
        anchored: r.anchored,
        refused: r.refused,
        abnormalLatenciesMs: r.abnormalLatenciesMs,
        sessionId: r.sessionId,
        ecgSeconds: r.sent * windowSeconds,
        wallSeconds: r.wallSeconds,
      };
    } else {
      run = await runMonitoring({
        record,
        patient: patient.address,
        provider: hospital,
        kit,
        stateDir: o.dataDir,
        windowSeconds,
        speed: o.speed ?? Infinity,
        endSample: Math.round(total * windowSeconds * fs),
        ...(o.mqttUrl ? { mqttUrl: o.mqttUrl } : {}),
        onProgress,
      });
    }
    bar.stop();
    const session = run.sessionId ? await getSession(hospital.ctx, run.sessionId) : undefined;
    const linked = run.sessionId ? await listSessionRecords(hospital.ctx, run.sessionId) : [];
    const result: MonitorDemoReport = {
      ...run,
      record: name,
      realTimeFactor: run.ecgSeconds / run.wallSeconds,
      onChain: {
        sessionId: run.sessionId ?? "",
        records: session?.recordCount ?? 0,
        flagged: linked.filter((l) => l.flaggedForReview).length,
      },
      ...(processes ? { processes } : {}),
    };
    await writeFile(
      path.join(o.dataDir, "report.json"),
      JSON.stringify(result, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2),
    );
    return result;
  } finally {
    await store.close();
    await chain.close();
  }
}

/** The provider's development account (the medical server's wallet). */
const HOSPITAL = 2;
