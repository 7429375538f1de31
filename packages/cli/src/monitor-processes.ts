/**
 * `meridian ecg run --processes`: the medical server, fog relay, edge and device as four child
 * processes of this one (each `meridian ecg server | fog | edge | device`, the commands an
 * operator runs), on a chain, deployment and enrolment this process made.
 *
 * Each child logs JSON lines (`--log-format json`) on stderr; this process reads them as the
 * roles' events (the same {@link MonitoringTally} as the in-process run counts), writes every
 * line to `<data-dir>/logs/<role>.log`, and fails with the child's last lines when one exits
 * before it is told to. Whatever happens, every child is stopped on the way out: SIGTERM, and
 * SIGKILL after 10 s; a child still running when this process exits is killed.
 *
 * @module
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { Address, Hex } from "viem";
import { MonitoringTally, startBroker } from "@meridian/monitoring";
import type { EventSink, MonitoringEvent, MonitoringRole, TallyFigures } from "@meridian/monitoring";

/** The CLI entry point the children run. */
const MAIN = path.join(import.meta.dirname, "main.ts");
/** How long a child may take to start (load its modules, connect) before the run fails. */
const START_TIMEOUT_MS = 60_000;
/** How long a child may take to stop after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 10_000;

/** Options of {@link runRoleProcesses}. */
export interface RoleProcessesOptions {
  /** The chain's JSON-RPC URL (the medical server's connection). */
  rpcUrl: string;
  /** The deployment file (every role's monitoring domain). */
  deploymentFile: string;
  /** The provider's account, as Hardhat development account N (`--dev-account`, local chains only). */
  providerDevAccount: number;
  /** The kit's private keys; each device process gets its own in `MERIDIAN_DEVICE_KEY` (never on a command line or in a log). */
  keys: { sensor: Hex; edge: Hex; fog: Hex };
  /** The enrolled patient. */
  patient: Address;
  /** The WFDB record and its folder. */
  record: string;
  directory: string;
  /** Seconds of ECG to stream (whole windows), the window length (seconds), and times real time (`Infinity`: as fast as possible). */
  seconds: number;
  windowSeconds: number;
  speed: number;
  /** State folder: `server/`, `fog/` and `logs/` go under it. */
  dataDir: string;
  /** MQTT broker URL; default an embedded broker in this process. */
  mqttUrl?: string | undefined;
  /** Windows expected and progress, as in `runMonitoring`. */
  total: number;
  onProgress?: (p: { sent: number; anchored: number; total: number }) => void;
}

/** A child process of a run. */
export interface RoleProcess {
  role: MonitoringRole;
  pid: number;
}

/** What {@link runRoleProcesses} returns: the tally's figures, the session, the wall time from the device's first window, and the children. */
export interface RoleProcessesRun extends TallyFigures {
  sessionId: Hex | undefined;
  wallSeconds: number;
  processes: RoleProcess[];
}

interface Child {
  role: MonitoringRole;
  process: ChildProcess;
  /** Resolves with the child's `ready` event. */
  ready: Promise<MonitoringEvent>;
  exited: Promise<void>;
  /** Set before the child is told to stop: its exit is then expected. */
  stopping: boolean;
}

/**
 * Runs the four roles as child processes (see the module documentation) and waits until the
 * device is done and every window it sent is anchored or refused.
 *
 * @throws `Error` naming the role and quoting its last log lines when a child fails or does not
 *   start within 60 s, or when this process gets SIGINT or SIGTERM.
 */
export async function runRoleProcesses(o: RoleProcessesOptions): Promise<RoleProcessesRun> {
  const logDir = path.join(o.dataDir, "logs");
  await mkdir(logDir, { recursive: true });
  const tally = new MonitoringTally({ total: o.total, ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
  const failed = new AbortController();
  const children: Child[] = [];
  const interrupt = (signal: NodeJS.Signals) => failed.abort(new Error(`Interrupted by ${signal}.`));
  const killAll = () => {
    for (const c of children)
      if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill("SIGKILL");
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  process.on("exit", killAll);
  const broker = o.mqttUrl ? undefined : await startBroker();
  const mqttUrl = o.mqttUrl ?? broker!.url;
  let t0 = 0;
  const onEvent: EventSink = (e) => {
    if (e.role === "device" && e.event === "ready") t0 = performance.now();
    tally.record(e);
  };
  const start = (role: MonitoringRole, args: string[], key?: Hex): Child => {
    const child = spawnRole(role, args, key, logDir, onEvent, failed);
    children.push(child);
    return child;
  };
  const started = async (child: Child): Promise<MonitoringEvent> => {
    const timer = setTimeout(
      () =>
        failed.abort(
          new Error(
            `The ${child.role} process did not start within ${START_TIMEOUT_MS / 1000} s (see ${path.join(logDir, `${child.role}.log`)}).`,
          ),
        ),
      START_TIMEOUT_MS,
    );
    try {
      return await Promise.race([child.ready, rejectOnAbort(failed.signal)]);
    } finally {
      clearTimeout(timer);
    }
  };
  const json = ["--log-format", "json"];
  const domain = ["--deployment", o.deploymentFile];
  try {
    const server = await started(
      start("server", [
        "--rpc-url",
        o.rpcUrl,
        ...domain,
        "--data-dir",
        path.join(o.dataDir, "server"),
        "--dev-account",
        String(o.providerDevAccount),
        "ecg",
        "server",
        "--port",
        "0",
        ...json,
      ]),
    );
    const serverUrl = (server as Extract<MonitoringEvent, { role: "server"; event: "ready" }>).url;
    await Promise.all([
      started(
        start(
          "fog",
          [
            ...domain,
            "--data-dir",
            path.join(o.dataDir, "fog"),
            "ecg",
            "fog",
            "--mqtt-url",
            mqttUrl,
            "--server-url",
            serverUrl,
            ...json,
          ],
          o.keys.fog,
        ),
      ),
      started(start("edge", [...domain, "ecg", "edge", "--mqtt-url", mqttUrl, ...json], o.keys.edge)),
    ]);
    start(
      "device",
      [
        ...domain,
        "ecg",
        "device",
        "--mqtt-url",
        mqttUrl,
        "--patient",
        o.patient,
        "--record",
        o.record,
        "--mitdb",
        o.directory,
        "--seconds",
        String(o.seconds),
        "--window",
        String(o.windowSeconds),
        "--speed",
        Number.isFinite(o.speed) ? String(o.speed) : "max",
        ...json,
      ],
      o.keys.sensor,
    );
    await tally.settled(failed.signal);
    const wallSeconds = (performance.now() - t0) / 1000;
    const figures = tally.figures();
    return {
      ...figures,
      sessionId: figures.anchored[0]?.sessionId,
      wallSeconds,
      processes: children.map((c) => ({ role: c.role, pid: c.process.pid ?? 0 })),
    };
  } finally {
    await stopAll(children);
    process.off("SIGINT", interrupt);
    process.off("SIGTERM", interrupt);
    process.off("exit", killAll);
    await broker?.close();
  }
}

/** Why `signal` was aborted, as an Error (a non-Error reason is wrapped). */
const abortReason = (signal: AbortSignal): Error => {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error("aborted", { cause: reason });
};

const rejectOnAbort = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => {
    if (signal.aborted) reject(abortReason(signal));
    signal.addEventListener("abort", () => reject(abortReason(signal)), { once: true });
  });

/** Starts `meridian …args` as `role`, reading its JSON log lines as events. */
function spawnRole(
  role: MonitoringRole,
  args: string[],
  key: Hex | undefined,
  logDir: string,
  onEvent: EventSink,
  failed: AbortController,
): Child {
  // no inherited account or device key: each child gets only the key it needs
  const env = { ...process.env, MERIDIAN_PRIVATE_KEY: "", MERIDIAN_MNEMONIC: "", MERIDIAN_DEVICE_KEY: key ?? "" };
  const child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  const log = createWriteStream(path.join(logDir, `${role}.log`));
  const tail: string[] = [];
  let onReady: (e: MonitoringEvent) => void = () => {};
  const handle: Child = {
    role,
    process: child,
    stopping: false,
    ready: new Promise((resolve) => {
      onReady = resolve;
    }),
    exited: new Promise((resolve) => child.once("close", () => resolve())),
  };
  const read = (stream: Readable) =>
    createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
      log.write(`${line}\n`);
      const event = parseEvent(line, role);
      if (!event) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        return;
      }
      onEvent(event);
      if (event.event === "ready") onReady(event);
    });
  read(child.stdout);
  read(child.stderr);
  child.once("error", (error) =>
    failed.abort(new Error(`The ${role} process could not start: ${error.message}`, { cause: error })),
  );
  child.once("close", (code, signal) => {
    log.end();
    if (handle.stopping || (role === "device" && code === 0)) return;
    const last = tail.length ? `\n${tail.map((l) => `  ${role}: ${l}`).join("\n")}` : "";
    failed.abort(
      new Error(
        `The ${role} process exited (${signal ?? `code ${code}`}); its log is ${path.join(logDir, `${role}.log`)}.${last}`,
      ),
    );
  });
  return handle;
}

/** A role's event from one of its JSON log lines, or `undefined` for any other line. */
function parseEvent(line: string, role: MonitoringRole): MonitoringEvent | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const { time: _time, ...event } = JSON.parse(line) as MonitoringEvent & { time?: string };
    return event.role === role && typeof event.event === "string" ? event : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM to every child still running, SIGKILL to those still running 10 s later; resolves when all have exited. */
async function stopAll(children: Child[]): Promise<void> {
  await Promise.all(
    children.map(async (c) => {
      c.stopping = true;
      if (c.process.exitCode !== null || c.process.signalCode !== null) return c.exited;
      c.process.kill("SIGTERM");
      const timer = setTimeout(() => c.process.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await c.exited;
      clearTimeout(timer);
    }),
  );
}
