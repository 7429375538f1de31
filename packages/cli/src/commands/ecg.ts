/**
 * `meridian ecg …`: remote ECG monitoring (device → edge → fog → medical server). `run` streams a
 * record through the whole chain in one go; `broker`, `server`, `fog`, `edge` and `device` run one
 * role each, as a process of its own; the device pairing commands are in `ecg-devices.ts`.
 *
 * @module
 */
import path from "node:path";
import type { Command } from "commander";
import { MITDB_DIR } from "@meridian/ecg/wfdb";
import {
  DEFAULT_MQTT_URL,
  DEFAULT_SERVER_PORT,
  eventLogger,
  logFormat,
  monitoringDomainOf,
  mqttUrl,
  numberOption,
  serverUrl,
} from "../ecg-options.ts";
import { deviceAccount } from "../env.ts";
import { userPath } from "../files.ts";
import { log } from "../output.ts";
import { registerEcgDeviceCommands } from "./ecg-devices.ts";
import { deploymentFile, type CommandKit } from "./kit.ts";

/** The options every MQTT role shares. */
function mqttRole(cmd: Command): Command {
  return cmd
    .option(
      "--mqtt-url <url>",
      "MQTT broker: Mosquitto, `meridian ecg broker`, … (env MERIDIAN_MQTT_URL)",
      DEFAULT_MQTT_URL,
    )
    .option("--log-format <format>", "text, or json (one object per line)", "text")
    .addHelpText(
      "after",
      "\nThe monitoring domain comes from --deployment (default <data-dir>/deployment.json); the device key from " +
        "--key-file FILE (chmod 600) or MERIDIAN_DEVICE_KEY. Stops on SIGTERM or SIGINT.",
    );
}

/** The median of `xs`; NaN when empty. */
const p50 = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : NaN);

/** Registers `meridian ecg` and its subcommands on `program`. */
export function registerEcgCommands(program: Command, kit: CommandKit): void {
  const { action } = kit;
  const ecg = program.command("ecg").description("remote ECG monitoring (device → edge → fog → medical server)");
  ecg
    .command("run")
    .description(
      "stream a shared MIT-BIH record through the whole monitoring chain on an embedded chain and print what " +
        "reached it",
    )
    .option("--record <name>", "MIT-BIH record (default 208)")
    .option("--seconds <n>", "seconds of ECG to stream (default 300)")
    .option("--window <seconds>", "window length in seconds (default 10)")
    .option("--speed <x>", "times real time (default: as fast as possible)")
    .option(
      "--processes",
      "run the medical server, fog relay, edge and device as four processes (`meridian ecg server|fog|edge|device`) " +
        "instead of in this one",
    )
    .option("--mqtt-url <url>", "use this MQTT broker (e.g. Mosquitto) instead of an embedded one")
    .addHelpText(
      "after",
      "\nState (fog queue, medical-server state, IPFS blocks, report.json; with --processes each role's log in " +
        "logs/) goes to --data-dir, default .meridian/ecg. A folder the run created (it holds a .meridian-state " +
        "marker) is emptied first; an empty one is used; any other is refused, never emptied.",
    )
    .action(
      action(
        async (o: {
          record?: string;
          seconds?: string;
          window?: string;
          speed?: string;
          processes?: boolean;
          mqttUrl?: string;
        }) => {
          const { runMonitorDemo } = await import("../monitor.ts");
          const dataDir = kit.jobDataDir("ecg");
          const r = await runMonitorDemo({
            record: o.record,
            seconds: o.seconds ? numberOption(o.seconds, "--seconds") : undefined,
            windowSeconds: o.window ? numberOption(o.window, "--window") : undefined,
            speed: o.speed ? numberOption(o.speed, "--speed", { max: true }) : undefined,
            processes: o.processes ?? false,
            mqttUrl: o.mqttUrl === undefined ? undefined : mqttUrl(o.mqttUrl),
            dataDir,
          });
          if (r.processes) {
            const roles = r.processes.map((p) => `${p.role} (pid ${p.pid})`).join(", ");
            log(`\nRoles ran as processes: ${roles}; their logs are in ${path.join(dataDir, "logs")}.`);
          }
          log(
            `\nRecord ${r.record}: ${r.sent} windows (${r.ecgSeconds.toFixed(0)} s of ECG) sent, ` +
              `${r.anchored.length} anchored, ${r.refused.length} refused, in ${r.wallSeconds.toFixed(1)} s: ` +
              `${r.realTimeFactor.toFixed(1)}x real time.`,
          );
          log(
            `On chain: session ${r.onChain.sessionId} with ${r.onChain.records} records, ` +
              `${r.onChain.flagged} flagged for clinician review.`,
          );
          log(
            `Abnormal window to anchored record: median ${p50(r.abnormalLatenciesMs).toFixed(0)} ms over ` +
              `${r.abnormalLatenciesMs.length} windows.`,
          );
          log(`Report: ${path.join(dataDir, "report.json")}`);
          if (r.anchored.length !== r.sent) process.exitCode = 1;
        },
      ),
    );

  // ------------------------------------------------------- ECG roles, one process each

  ecg
    .command("broker")
    .description("an embedded MQTT broker (aedes, sessions in memory) until SIGTERM, when no Mosquitto is at hand")
    .option("--port <n>", "TCP port", "1883")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .action(
      action(async (o: { port: string; host: string }) => {
        const { runBrokerProcess } = await import("../ecg-roles.ts");
        await runBrokerProcess({ port: numberOption(o.port, "--port", { integer: true, min: 0 }), host: o.host });
      }),
    );

  ecg
    .command("server")
    .description(
      "the medical server: verifies each forward against the chain and anchors it as a FHIR record of the " +
        "patient, until SIGTERM",
    )
    .option("--port <n>", "HTTP port (0: any free port)", String(DEFAULT_SERVER_PORT))
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--state <file>", "its SQLite state (default <data-dir>/medical-server.sqlite)")
    .option("--log-format <format>", "text, or json (one object per line)", "text")
    .addHelpText(
      "after",
      "\nChain: --rpc-url and --deployment. Wallet (an admitted provider): --key-file, MERIDIAN_PRIVATE_KEY, " +
        "MERIDIAN_MNEMONIC or --dev-account. Records: Helia under <data-dir>/ipfs, or --ipfs-url. Stops on " +
        "SIGTERM or SIGINT.",
    )
    .action(
      action(async (o: { port: string; host: string; state?: string; logFormat: string }) => {
        const { runServerProcess } = await import("../ecg-roles.ts");
        const log = eventLogger(logFormat(o.logFormat));
        const port = numberOption(o.port, "--port", { integer: true, min: 0 });
        await runServerProcess({
          client: await kit.client(),
          stateFile:
            o.state !== undefined ? userPath(o.state) : path.join(kit.globals().dataDir, "medical-server.sqlite"),
          port,
          host: o.host,
          log,
        });
      }),
    );

  mqttRole(ecg.command("fog"))
    .description(
      "the fog relay: verifies and durably queues the edges' findings, then delivers them in order to the " +
        "medical server, until SIGTERM",
    )
    .option(
      "--server-url <url>",
      "the medical server's endpoint",
      `http://127.0.0.1:${DEFAULT_SERVER_PORT}/ecg/forwards`,
    )
    .option("--queue <file>", "its durable SQLite queue (default <data-dir>/fog-queue.sqlite)")
    .option("--min-retry-ms <ms>", "first retry delay while the server is unreachable (doubles per failure)", "200")
    .option("--max-retry-ms <ms>", "longest retry delay", "5000")
    .action(
      action(
        async (o: {
          mqttUrl: string;
          logFormat: string;
          serverUrl: string;
          queue?: string;
          minRetryMs: string;
          maxRetryMs: string;
        }) => {
          const { runFogProcess } = await import("../ecg-roles.ts");
          const g = kit.globals();
          const log = eventLogger(logFormat(o.logFormat));
          await runFogProcess({
            account: deviceAccount(g),
            domain: await monitoringDomainOf(deploymentFile(g)),
            mqttUrl: mqttUrl(o.mqttUrl),
            serverUrl: serverUrl(o.serverUrl),
            queueFile: o.queue !== undefined ? userPath(o.queue) : path.join(g.dataDir, "fog-queue.sqlite"),
            minRetryMs: numberOption(o.minRetryMs, "--min-retry-ms"),
            maxRetryMs: numberOption(o.maxRetryMs, "--max-retry-ms"),
            log,
          });
        },
      ),
    );

  mqttRole(ecg.command("edge"))
    .description(
      "the edge: verifies each device window and classifies its beats with the committed CNN, publishing signed " +
        "findings, until SIGTERM",
    )
    .action(
      action(async (o: { mqttUrl: string; logFormat: string }) => {
        const { runEdgeProcess } = await import("../ecg-roles.ts");
        const g = kit.globals();
        const log = eventLogger(logFormat(o.logFormat));
        await runEdgeProcess({
          account: deviceAccount(g),
          domain: await monitoringDomainOf(deploymentFile(g)),
          mqttUrl: mqttUrl(o.mqttUrl),
          log,
        });
      }),
    );

  mqttRole(ecg.command("device"))
    .description("the patient's ECG sensor: streams a WFDB record as signed windows, then exits")
    .requiredOption("--patient <address>", "the patient who registered this device")
    .option("--record <name>", "WFDB record", "208")
    .option("--mitdb <dir>", "folder of the WFDB files (default the shared MIT-BIH records)", MITDB_DIR)
    .option("--start <seconds>", "where in the record to start", "0")
    .option("--seconds <n>", "seconds of ECG to stream (default: to the end of the record)")
    .option("--window <seconds>", "window length", "10")
    .option("--speed <x>", "times real time, or max", "1")
    .option("--first-sequence <n>", "the first window's sequence number (a device continues its numbering)", "1")
    .action(
      action(
        async (o: {
          mqttUrl: string;
          logFormat: string;
          patient: string;
          record: string;
          mitdb: string;
          start: string;
          seconds?: string;
          window: string;
          speed: string;
          firstSequence: string;
        }) => {
          const { runDeviceProcess } = await import("../ecg-roles.ts");
          const g = kit.globals();
          const log = eventLogger(logFormat(o.logFormat));
          await runDeviceProcess({
            account: deviceAccount(g),
            domain: await monitoringDomainOf(deploymentFile(g)),
            mqttUrl: mqttUrl(o.mqttUrl),
            patient: o.patient,
            record: o.record,
            directory: userPath(o.mitdb),
            startSeconds: numberOption(o.start, "--start", { min: 0 }),
            seconds: o.seconds === undefined ? undefined : numberOption(o.seconds, "--seconds"),
            windowSeconds: numberOption(o.window, "--window"),
            speed: numberOption(o.speed, "--speed", { max: true }),
            firstSequence: numberOption(o.firstSequence, "--first-sequence", { integer: true, min: 1 }),
            log,
          });
        },
      ),
    );

  registerEcgDeviceCommands(ecg, kit);
}
