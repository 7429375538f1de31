/**
 * `meridian ecg broker | server | fog | edge | device`: each role of the remote-monitoring chain
 * as its own long-running process, over the start functions that `meridian ecg run` runs in one
 * process (`roles.ts` of `@meridian/monitoring`).
 *
 * - Every role checks its options before it starts and fails with a {@link ConfigurationError}
 *   that says what to fix.
 * - Every role writes one line per notable event on stderr (`eventLogger` in `ecg-options.ts`:
 *   text, or JSON lines for a supervisor or log collector); lines carry ids, counts and error
 *   names, never samples or keys.
 * - `broker`, `server`, `fog` and `edge` run until SIGTERM or SIGINT, then stop taking work,
 *   finish what they hold, log `stopped` and exit 0 (a second signal exits at once). `device`
 *   streams its record and exits, or stops early on a signal.
 *
 * The options are parsed and checked by `ecg-options.ts` (which `main.ts` loads up front); this
 * module, which loads the CNN and SQLite, only when a role starts.
 *
 * Keys: the devices' from `--key-file FILE` (mode 0600) or `MERIDIAN_DEVICE_KEY`; the medical
 * server's (the provider's wallet) from `--key-file`, `MERIDIAN_PRIVATE_KEY`, `MERIDIAN_MNEMONIC`
 * or `--dev-account`. The monitoring domain (chain id and `MonitoringRegistry` address) comes
 * from the deployment file (`--deployment`, default `<data-dir>/deployment.json`).
 *
 * @module
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { isAddress } from "viem";
import type { LocalAccount } from "viem";
import type { MeridianClient } from "@meridian/sdk";
import { getProvider } from "@meridian/sdk/chain";
import { ProviderStatus } from "@meridian/sdk/chain";
import { QrsDetector } from "@meridian/ecg";
import { readWfdbRecord } from "@meridian/ecg/wfdb";
import type { MonitoringDomain, EventSink, MonitoringRole, RunningRole } from "@meridian/monitoring";
import { cnnClassifier, deviceScreen, windowPlan } from "@meridian/monitoring";
import { runDevice, startEdge, startFog, startMedicalServer, startBroker } from "@meridian/monitoring";
import { monitoringDomainOfDeployment } from "./ecg-options.ts";
import { ConfigurationError, NoAccountError } from "./env.ts";

/** Resolves on the first SIGTERM or SIGINT; after it, a second one exits the process at once (status 130). */
function firstSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off("SIGTERM", on);
      process.off("SIGINT", on);
      process.once("SIGTERM", () => process.exit(130));
      process.once("SIGINT", () => process.exit(130));
      resolve(signal);
    };
    process.on("SIGTERM", on);
    process.on("SIGINT", on);
  });
}

/** Starts a server on `host:port`, turning a port in use into a {@link ConfigurationError}. */
async function listening<T>(start: () => Promise<T>, host: string, port: number): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL")
      throw new ConfigurationError(`Cannot listen on ${host}:${port} (${code}).`, {
        cause: error,
        hint: "Pass another --port (0: any free port) or --host.",
      });
    throw error;
  }
}

/** Runs a started role until SIGTERM or SIGINT, then closes it and logs `stopped`. */
async function serve(role: MonitoringRole, log: EventSink, running: RunningRole): Promise<void> {
  await firstSignal();
  await running.close();
  log({ role, event: "stopped" });
}

/** Options of {@link runBrokerProcess}. */
export interface BrokerProcessOptions {
  port: number;
  host: string;
}

/**
 * `meridian ecg broker`: the embedded MQTT broker (aedes, sessions in memory) as a process,
 * for running the roles as processes without Mosquitto. Prints `mqtt://host:port` on stdout.
 */
export async function runBrokerProcess(o: BrokerProcessOptions): Promise<void> {
  const broker = await listening(() => startBroker(o.port, o.host), o.host, o.port);
  process.stdout.write(`${broker.url}\n`);
  process.stderr.write(`${new Date().toISOString()} broker ready url=${broker.url}\n`);
  await firstSignal();
  await broker.close();
  process.stderr.write(`${new Date().toISOString()} broker stopped\n`);
}

/** Options of {@link runServerProcess}. */
export interface ServerProcessOptions {
  /** The provider's client (chain, wallet, blob store); closed on stop. */
  client: MeridianClient & { close(): Promise<void> };
  stateFile: string;
  port: number;
  host: string;
  log: EventSink;
}

/**
 * `meridian ecg server`: the medical server until a signal.
 *
 * @throws {ConfigurationError} when no account is configured, the account is not an active
 *   provider, or the deployment has no `MonitoringRegistry`.
 */
export async function runServerProcess(o: ServerProcessOptions): Promise<void> {
  try {
    const ctx = o.client.ctx;
    if (!ctx.walletClient)
      throw new NoAccountError("The medical server needs the provider's account.", {
        hint: "Pass --key-file FILE, set MERIDIAN_PRIVATE_KEY or MERIDIAN_MNEMONIC, or --dev-account N on a local chain.",
      });
    monitoringDomainOfDeployment(ctx.deployment, "in use");
    if ((await getProvider(ctx, o.client.address)).status !== ProviderStatus.Active)
      throw new ConfigurationError(`${o.client.address} is not an active provider.`, {
        hint: "The regulator admits it first (`meridian provider admit`).",
      });
    await mkdir(path.dirname(o.stateFile), { recursive: true });
    const running = await listening(
      () =>
        startMedicalServer({ client: o.client, stateFile: o.stateFile, port: o.port, host: o.host, onEvent: o.log }),
      o.host,
      o.port,
    );
    await serve("server", o.log, running);
  } finally {
    await o.client.close();
  }
}

/** Options of {@link runFogProcess}. */
export interface FogProcessOptions {
  account: LocalAccount;
  domain: MonitoringDomain;
  mqttUrl: string;
  serverUrl: string;
  queueFile: string;
  minRetryMs: number;
  maxRetryMs: number;
  log: EventSink;
}

/** `meridian ecg fog`: the fog relay until a signal. */
export async function runFogProcess(o: FogProcessOptions): Promise<void> {
  if (o.minRetryMs > o.maxRetryMs)
    throw new ConfigurationError(`--min-retry-ms (${o.minRetryMs}) is above --max-retry-ms (${o.maxRetryMs}).`);
  await mkdir(path.dirname(o.queueFile), { recursive: true });
  const running = await startFog({
    account: o.account,
    domain: o.domain,
    mqttUrl: o.mqttUrl,
    queueFile: o.queueFile,
    deliver: o.serverUrl,
    minRetryMs: o.minRetryMs,
    maxRetryMs: o.maxRetryMs,
    onEvent: o.log,
  });
  await serve("fog", o.log, running);
}

/** Options of {@link runEdgeProcess}. */
export interface EdgeProcessOptions {
  account: LocalAccount;
  domain: MonitoringDomain;
  mqttUrl: string;
  log: EventSink;
}

/** `meridian ecg edge`: the edge with the committed CNN until a signal. */
export async function runEdgeProcess(o: EdgeProcessOptions): Promise<void> {
  const running = await startEdge({
    account: o.account,
    domain: o.domain,
    mqttUrl: o.mqttUrl,
    classifier: await cnnClassifier(),
    onEvent: o.log,
  });
  await serve("edge", o.log, running);
}

/** Options of {@link runDeviceProcess}. */
export interface DeviceProcessOptions {
  account: LocalAccount;
  domain: MonitoringDomain;
  mqttUrl: string;
  patient: string;
  /** WFDB record name and the folder it is in. */
  record: string;
  directory: string;
  /** Seconds into the record to start at, and to stream (default: to its end). */
  startSeconds: number;
  seconds: number | undefined;
  windowSeconds: number;
  /** Times real time (`Infinity`: as fast as possible). */
  speed: number;
  firstSequence: number;
  log: EventSink;
}

/** `meridian ecg device`: streams a record as the patient's sensor, then exits (or stops early on a signal). */
export async function runDeviceProcess(o: DeviceProcessOptions): Promise<void> {
  if (!isAddress(o.patient))
    throw new ConfigurationError("--patient is not an Ethereum address.", {
      details: o.patient,
      hint: "Use the patient's 0x-prefixed 40-hex-digit address.",
    });
  const record = await readWfdbRecord(o.directory, o.record);
  const fs = record.header.samplingFrequency;
  const startSample = Math.round(o.startSeconds * fs);
  const plan = windowPlan(record, {
    windowSeconds: o.windowSeconds,
    startSample,
    endSample: o.seconds === undefined ? undefined : startSample + Math.round(o.seconds * fs),
  });
  if (plan.total === 0)
    throw new ConfigurationError(
      `Record ${o.record} has no whole ${o.windowSeconds}-s window from ${o.startSeconds} s on.`,
      { hint: "Pass a smaller --start or --window, or a larger --seconds." },
    );
  const stop = new AbortController();
  void firstSignal().then(() => stop.abort());
  await runDevice({
    account: o.account,
    domain: o.domain,
    mqttUrl: o.mqttUrl,
    patient: o.patient,
    record,
    windowSeconds: o.windowSeconds,
    speed: o.speed,
    startSample: plan.start,
    endSample: plan.end,
    firstSequence: o.firstSequence,
    detector: new QrsDetector({ samplingFrequency: fs }),
    screen: deviceScreen,
    signal: stop.signal,
    onEvent: o.log,
  });
  if (stop.signal.aborted) o.log({ role: "device", event: "stopped" });
}
