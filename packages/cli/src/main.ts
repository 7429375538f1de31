#!/usr/bin/env node
/**
 * `meridian`: the command-line tool of the Meridian medical-records network, for patients,
 * providers, regulators and deployers. Run `meridian --help` or `meridian <command> --help`.
 *
 * Every error is printed as what went wrong and what to do, and exits with status 1; keys and
 * record contents are never printed (records go to files with `get --out`).
 *
 * @module
 */
import "./warnings.ts";
import path from "node:path";
import { Command, Option } from "commander";
import type { Address, Hex } from "viem";
import { isAddress } from "viem";
import { MeridianError } from "@meridian/sdk";
import { categoryName, parseCategory, type RecordCategory } from "@meridian/sdk";
import { createMeridianClient, type MeridianClient } from "@meridian/sdk";
import { admitProvider, deployMeridian, getProvider, setProviderStatus } from "@meridian/sdk/chain";
import { ProviderKind, type GrantScope, type MeridianContext } from "@meridian/sdk/chain";
import { recordDraftFromFile, summarizeInternationalPatientSummary } from "@meridian/sdk/fhir";
import { checkImport, DuplicateRecordError, PatientMismatchError } from "@meridian/sdk";
import { deployGovernedMeridian, executeMembershipChange, scheduleMembershipChange, type MembershipChange } from "@meridian/sdk/chain";
import { cancelConsentCode, closeEmergencyAccess, EMERGENCY_REASONS, GuardianLevel, type EmergencyAccessEntry, type Guardianship } from "@meridian/sdk/chain";
import { describeKeyHolderEnd } from "@meridian/sdk/chain";
import QRCode from "qrcode";
import { MITDB_DIR } from "@meridian/ecg/wfdb";
import { ConfigurationError, NoAccountError, checkDeployment, connectChain, deviceAccount, loadDeployment, openStore, resolveAccount, saveDeployment, walletFor, type GlobalOptions } from "./env.ts";
import { fileConsentCodeLedger } from "./consent-ledger.ts";
import { readUserFile, toFileAccessError, userPath, writePrivateFile } from "./files.ts";
import { DEFAULT_MQTT_URL, DEFAULT_SERVER_PORT, eventLogger, logFormat, monitoringDomainOf, mqttUrl, numberOption, serverUrl } from "./ecg-options.ts";
import { createProgress, log } from "./output.ts";
import { formatDemoReport } from "./demo/print.ts";
import { registerValidationCommands, validationStatusNames } from "./validation.ts";

/**
 * The `meridian` program: every command and option, as commander sees them. Exported so tests can
 * check that each command a hint names exists; running it is `program.parseAsync(process.argv)`.
 */
export const program = new Command()
  .name("meridian")
  .description("Patient-controlled medical records on Ethereum: encrypted FHIR R4 on IPFS, HPKE key sharing, on-chain grants and audit.")
  .option("--rpc-url <url>", "JSON-RPC endpoint (env MERIDIAN_RPC_URL)", process.env.MERIDIAN_RPC_URL ?? "http://127.0.0.1:8545")
  .option("--data-dir <dir>", "where deployment.json and the embedded IPFS blocks live", process.env.MERIDIAN_DATA_DIR ?? ".meridian")
  .option("--deployment <file>", "deployment JSON (default <data-dir>/deployment.json)")
  .option("--ipfs-url <url>", "Kubo RPC endpoint instead of the embedded Helia node (env MERIDIAN_IPFS_URL)")
  .option("--account-index <n>", "account index for MERIDIAN_MNEMONIC")
  .option("--dev-account <n>", "use Hardhat's test account N (local chain 31337 only)")
  .option("--key-file <file>", "the account's (or an ECG device's) private key, in a file only its owner may read (chmod 600)")
  .showHelpAfterError();

/**
 * The global options, with the paths the user typed (on the command line or in MERIDIAN_DATA_DIR)
 * resolved against the folder they typed them in (npm's INIT_CWD under `npm run meridian`);
 * the default data folder stays relative to the working directory.
 */
function globals(): GlobalOptions {
  const g = { ...program.opts<GlobalOptions>() };
  if (program.getOptionValueSource("dataDir") !== "default") g.dataDir = userPath(g.dataDir);
  if (g.deployment !== undefined) g.deployment = userPath(g.deployment);
  if (g.keyFile !== undefined) g.keyFile = userPath(g.keyFile);
  return g;
}

/** `value` as a whole number from `min` up. */
function wholeNumber(value: string, option: string, min = 1): number {
  if (!/^\d{1,15}$/.test(value.trim()) || Number(value) < min) {
    throw new ConfigurationError(`${option} must be a whole number from ${min} up.`, { details: JSON.stringify(value), hint: `Pass ${option} ${Math.max(min, 1) * 5}, for example.` });
  }
  return Number(value);
}

function address(value: string, what: string): Address {
  if (!isAddress(value)) throw new ConfigurationError(`${what} is not an Ethereum address.`, { details: value, hint: "Use a 0x-prefixed 40-hex-digit address." });
  return value;
}

function recordId(value: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new ConfigurationError("A record id is 0x followed by 64 hex digits.", { details: value, hint: "List ids with `meridian list`." });
  return value as Hex;
}

function category(value: string): RecordCategory {
  const c = parseCategory(value);
  if (c === undefined) throw new ConfigurationError(`Unknown category "${value}".`, { hint: "Use general, lab, vital-signs, cardiac, imaging, document, medication, immunization or procedure." });
  return c;
}

/** `--record ID`, `--category NAME` or `--all` as a scope. */
function scopeOf(o: { record?: string; category?: string; all?: boolean }): GrantScope {
  const given = [o.record, o.category, o.all].filter((x) => x !== undefined && x !== false).length;
  if (given !== 1) throw new ConfigurationError("Give exactly one of --record ID, --category NAME or --all.");
  if (o.record) return { kind: "record", recordId: recordId(o.record) };
  if (o.category) return { kind: "category", category: category(o.category) };
  return { kind: "all" };
}

/** Seconds of a duration `30s`, `30m`, `12h` or `7d`; `undefined` when `value` is not one. */
function durationSeconds(value: string): number | undefined {
  const m = /^(\d{1,9})([smhd])$/.exec(value.trim());
  return m ? Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "s" | "m" | "h" | "d"] : undefined;
}

/**
 * `--expires` as a Unix time in seconds (0: no expiry): a duration from now (`30m`, `12h`, `7d`)
 * or a date. Refuses a zero duration and a date that has passed, before any transaction (the
 * contract would revert with `RecordRegistryInvalidExpiry`).
 */
function expiry(o: { expires?: string }): number {
  if (o.expires === undefined) return 0;
  const fix = { hint: "Give a duration such as 30m, 12h or 7d, or a future date such as 2030-01-31; leave out --expires for no expiry." };
  const now = Math.floor(Date.now() / 1000);
  const seconds = durationSeconds(o.expires);
  if (seconds !== undefined) {
    if (seconds <= 0) throw new ConfigurationError(`--expires ${o.expires} would end the grant at once; a duration must be longer than 0.`, fix);
    return now + seconds;
  }
  const t = Date.parse(o.expires);
  if (Number.isNaN(t)) throw new ConfigurationError(`--expires "${o.expires}" is neither a duration (30m, 12h, 7d) nor a date.`, fix);
  if (Math.floor(t / 1000) <= now) throw new ConfigurationError(`--expires ${o.expires} is in the past.`, fix);
  return Math.floor(t / 1000);
}

async function context(): Promise<MeridianContext & { close(): Promise<void> }> {
  const g = globals();
  const clients = await connectChain({ url: g.rpcUrl! });
  const file = g.deployment ?? path.join(g.dataDir, "deployment.json");
  const deployment = await loadDeployment(file);
  if (deployment.chainId !== clients.chain.id) throw new ConfigurationError(`The deployment is for chain ${deployment.chainId}, but the RPC endpoint is chain ${clients.chain.id}.`, { hint: "Pass the matching --rpc-url or --deployment." });
  await checkDeployment(clients.publicClient, deployment, file);
  let walletClient;
  try { walletClient = walletFor(clients, resolveAccount(g, clients.chain.id)); } catch (e) { if (!(e instanceof NoAccountError)) throw e; }
  return { publicClient: clients.publicClient, walletClient, deployment, close: async () => {} };
}

async function client(): Promise<MeridianClient & { close(): Promise<void> }> {
  const ctx = await context();
  const store = await openStore(globals());
  const consentCodes = fileConsentCodeLedger(globals().dataDir);
  const c = createMeridianClient({ ...ctx, store, consentCodes }) as MeridianClient & { close(): Promise<void> };
  c.close = () => store.close();
  return c;
}

function out(value: unknown): void {
  process.stdout.write(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n");
}

/**
 * Prints an error as what went wrong, details and what to do; never a stack trace (set
 * MERIDIAN_DEBUG=1 for one). Node's file-system errors (ENOENT, EISDIR, ENOTDIR, EACCES, …) are
 * turned into messages that name the path; anything else unexpected is reported as a bug.
 */
function printError(error: unknown): void {
  const known = error instanceof MeridianError ? error : toFileAccessError(error);
  if (known) {
    process.stderr.write(`error: ${known.shortMessage}\n`);
    if (known.details) process.stderr.write(`  details: ${known.details}\n`);
    if (known.hint) process.stderr.write(`  what to do: ${known.hint}\n`);
  } else {
    const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.stderr.write(`error: meridian failed unexpectedly (${what.split("\n")[0]}).\n`);
    process.stderr.write("  what to do: this is a bug in meridian, not in what you typed; run it again with MERIDIAN_DEBUG=1 and report the output (it shows no keys or records).\n");
  }
  if (process.env.MERIDIAN_DEBUG) console.error(error);
}

function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (error) {
      printError(error);
      process.exitCode = 1;
    }
  };
}

// ------------------------------------------------------------------ demo

program.command("demo")
  .description("run the whole network in one process on FHIR data and print a report (the main job)")
  .option("--input <dir>", "folder of FHIR bundles and DICOM/PDF files (default ../shared/data, else built-in fixtures)")
  .option("--max-patients <n>", "import at most N patient bundles (N >= 1)")
  .addHelpText("after", "\nState (chain export, IPFS blocks, report.json) goes to --data-dir, default .meridian/demo. A folder the demo created (it holds a .meridian-state marker) is emptied first; an empty one is used; any other is refused, never emptied.")
  .action(action(async (o: { input?: string; maxPatients?: string }) => {
    const { runDemo } = await import("./demo.ts");
    const dataDir = program.getOptionValueSource("dataDir") === "default" ? path.join(globals().dataDir, "demo") : globals().dataDir;
    const maxPatients = o.maxPatients === undefined ? undefined : wholeNumber(o.maxPatients, "--max-patients");
    const report = await runDemo({ input: o.input === undefined ? undefined : userPath(o.input), dataDir, maxPatients });
    process.stdout.write(formatDemoReport(report));
    if (!report.ok) {
      process.exitCode = 1;
      log(report.failure ? `\nerror: ${report.failure.message}\n  what to do: ${report.failure.hint}` : "\nSome checks FAILED (see above).");
    }
  }));

const ecg = program.command("ecg").description("remote ECG monitoring (device → edge → fog → medical server)");
ecg.command("run")
  .description("stream a shared MIT-BIH record through the whole monitoring chain on an embedded chain and print what reached it")
  .option("--record <name>", "MIT-BIH record (default 208)")
  .option("--seconds <n>", "seconds of ECG to stream (default 300)")
  .option("--window <seconds>", "window length in seconds (default 10)")
  .option("--speed <x>", "times real time (default: as fast as possible)")
  .option("--processes", "run the medical server, fog relay, edge and device as four processes (`meridian ecg server|fog|edge|device`) instead of in this one")
  .option("--mqtt-url <url>", "use this MQTT broker (e.g. Mosquitto) instead of an embedded one")
  .addHelpText("after", "\nState (fog queue, medical-server state, IPFS blocks, report.json; with --processes each role's log in logs/) goes to --data-dir, default .meridian/ecg. A folder the run created (it holds a .meridian-state marker) is emptied first; an empty one is used; any other is refused, never emptied.")
  .action(action(async (o: { record?: string; seconds?: string; window?: string; speed?: string; processes?: boolean; mqttUrl?: string }) => {
    const { runMonitorDemo } = await import("./monitor.ts");
    const dataDir = program.getOptionValueSource("dataDir") === "default" ? path.join(globals().dataDir, "ecg") : globals().dataDir;
    const r = await runMonitorDemo({
      record: o.record, seconds: o.seconds ? numberOption(o.seconds, "--seconds") : undefined, windowSeconds: o.window ? numberOption(o.window, "--window") : undefined,
      speed: o.speed ? numberOption(o.speed, "--speed", { max: true }) : undefined, processes: o.processes ?? false, mqttUrl: o.mqttUrl === undefined ? undefined : mqttUrl(o.mqttUrl), dataDir,
    });
    if (r.processes) log(`\nRoles ran as processes: ${r.processes.map((p) => `${p.role} (pid ${p.pid})`).join(", ")}; their logs are in ${path.join(dataDir, "logs")}.`);
    const p50 = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : NaN);
    log(`\nRecord ${r.record}: ${r.sent} windows (${r.ecgSeconds.toFixed(0)} s of ECG) sent, ${r.anchored.length} anchored, ${r.refused.length} refused, in ${r.wallSeconds.toFixed(1)} s: ${r.realTimeFactor.toFixed(1)}x real time.`);
    log(`On chain: session ${r.onChain.sessionId} with ${r.onChain.records} records, ${r.onChain.flagged} flagged for clinician review.`);
    log(`Abnormal window to anchored record: median ${p50(r.abnormalLatenciesMs).toFixed(0)} ms over ${r.abnormalLatenciesMs.length} windows.`);
    log(`Report: ${path.join(dataDir, "report.json")}`);
    if (r.anchored.length !== r.sent) process.exitCode = 1;
  }));

// ------------------------------------------------------- ECG roles, one process each

/** The deployment file the options name. */
const deploymentFile = (g: GlobalOptions) => g.deployment ?? path.join(g.dataDir, "deployment.json");
/** The options every MQTT role shares. */
const mqttRole = (cmd: Command) => cmd
  .option("--mqtt-url <url>", "MQTT broker: Mosquitto, `meridian ecg broker`, … (env MERIDIAN_MQTT_URL)", DEFAULT_MQTT_URL)
  .option("--log-format <format>", "text, or json (one object per line)", "text")
  .addHelpText("after", "\nThe monitoring domain comes from --deployment (default <data-dir>/deployment.json); the device key from --key-file FILE (chmod 600) or MERIDIAN_DEVICE_KEY. Stops on SIGTERM or SIGINT.");

ecg.command("broker")
  .description("an embedded MQTT broker (aedes, sessions in memory) until SIGTERM, when no Mosquitto is at hand")
  .option("--port <n>", "TCP port", "1883")
  .option("--host <host>", "interface to listen on", "127.0.0.1")
  .action(action(async (o: { port: string; host: string }) => {
    const { runBrokerProcess } = await import("./ecg-roles.ts");
    await runBrokerProcess({ port: numberOption(o.port, "--port", { integer: true, min: 0 }), host: o.host });
  }));

ecg.command("server")
  .description("the medical server: verifies each forward against the chain and anchors it as a FHIR record of the patient, until SIGTERM")
  .option("--port <n>", "HTTP port (0: any free port)", String(DEFAULT_SERVER_PORT))
  .option("--host <host>", "interface to listen on", "127.0.0.1")
  .option("--state <file>", "its SQLite state (default <data-dir>/medical-server.sqlite)")
  .option("--log-format <format>", "text, or json (one object per line)", "text")
  .addHelpText("after", "\nChain: --rpc-url and --deployment. Wallet (an admitted provider): --key-file, MERIDIAN_PRIVATE_KEY, MERIDIAN_MNEMONIC or --dev-account. Records: Helia under <data-dir>/ipfs, or --ipfs-url. Stops on SIGTERM or SIGINT.")
  .action(action(async (o: { port: string; host: string; state?: string; logFormat: string }) => {
    const { runServerProcess } = await import("./ecg-roles.ts");
    const log = eventLogger(logFormat(o.logFormat));
    const port = numberOption(o.port, "--port", { integer: true, min: 0 });
    await runServerProcess({ client: await client(), stateFile: o.state !== undefined ? userPath(o.state) : path.join(globals().dataDir, "medical-server.sqlite"), port, host: o.host, log });
  }));

mqttRole(ecg.command("fog"))
  .description("the fog relay: verifies and durably queues the edges' findings, then delivers them in order to the medical server, until SIGTERM")
  .option("--server-url <url>", "the medical server's endpoint", `http://127.0.0.1:${DEFAULT_SERVER_PORT}/ecg/forwards`)
  .option("--queue <file>", "its durable SQLite queue (default <data-dir>/fog-queue.sqlite)")
  .option("--min-retry-ms <ms>", "first retry delay while the server is unreachable (doubles per failure)", "200")
  .option("--max-retry-ms <ms>", "longest retry delay", "5000")
  .action(action(async (o: { mqttUrl: string; logFormat: string; serverUrl: string; queue?: string; minRetryMs: string; maxRetryMs: string }) => {
    const { runFogProcess } = await import("./ecg-roles.ts");
    const g = globals();
    const log = eventLogger(logFormat(o.logFormat));
    await runFogProcess({
      account: deviceAccount(g), domain: await monitoringDomainOf(deploymentFile(g)), mqttUrl: mqttUrl(o.mqttUrl), serverUrl: serverUrl(o.serverUrl),
      queueFile: o.queue !== undefined ? userPath(o.queue) : path.join(g.dataDir, "fog-queue.sqlite"), minRetryMs: numberOption(o.minRetryMs, "--min-retry-ms"), maxRetryMs: numberOption(o.maxRetryMs, "--max-retry-ms"), log,
    });
  }));

mqttRole(ecg.command("edge"))
  .description("the edge: verifies each device window and classifies its beats with the committed CNN, publishing signed findings, until SIGTERM")
  .action(action(async (o: { mqttUrl: string; logFormat: string }) => {
    const { runEdgeProcess } = await import("./ecg-roles.ts");
    const g = globals();
    const log = eventLogger(logFormat(o.logFormat));
    await runEdgeProcess({ account: deviceAccount(g), domain: await monitoringDomainOf(deploymentFile(g)), mqttUrl: mqttUrl(o.mqttUrl), log });
  }));

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
  .action(action(async (o: { mqttUrl: string; logFormat: string; patient: string; record: string; mitdb: string; start: string; seconds?: string; window: string; speed: string; firstSequence: string }) => {
    const { runDeviceProcess } = await import("./ecg-roles.ts");
    const g = globals();
    const log = eventLogger(logFormat(o.logFormat));
    await runDeviceProcess({
      account: deviceAccount(g), domain: await monitoringDomainOf(deploymentFile(g)), mqttUrl: mqttUrl(o.mqttUrl), patient: o.patient, record: o.record, directory: userPath(o.mitdb),
      startSeconds: numberOption(o.start, "--start", { min: 0 }), seconds: o.seconds === undefined ? undefined : numberOption(o.seconds, "--seconds"), windowSeconds: numberOption(o.window, "--window"),
      speed: numberOption(o.speed, "--speed", { max: true }), firstSequence: numberOption(o.firstSequence, "--first-sequence", { integer: true, min: 1 }), log,
    });
  }));

// ------------------------------------------------------- device pairing (patient side)

const ROLES = { sensor: 1, edge: 2, fog: 3 } as const;

ecg.command("pairing-offer")
  .description("the device's pairing offer for a patient (JSON on stdout, no secret): its address, role and EIP-712 DeviceBinding signature")
  .requiredOption("--patient <address>", "the patient who will register this device")
  .requiredOption("--role <role>", "sensor, edge or fog")
  .option("--valid-hours <n>", "how long the offer stays usable", "24")
  .addHelpText("after", "\nThe device key comes from --key-file FILE (chmod 600) or MERIDIAN_DEVICE_KEY; the network from --deployment. The patient registers it with `meridian ecg register-device` or in the web app.")
  .action(action(async (o: { patient: string; role: string; validHours: string }) => {
    const { createDevicePairingOffer } = await import("@meridian/sdk/chain");
    const g = globals();
    const role = ROLES[o.role as keyof typeof ROLES];
    if (!role) throw new ConfigurationError(`--role "${o.role}" is not a device role.`, { hint: "Use sensor, edge or fog." });
    const domain = await monitoringDomainOf(deploymentFile(g));
    out(await createDevicePairingOffer(domain, deviceAccount(g), { patient: address(o.patient, "--patient"), role, validForSeconds: Math.round(numberOption(o.validHours, "--valid-hours") * 3600) }));
  }));

ecg.command("register-device")
  .description("patient: registers a device from its pairing offer (checked before any gas is spent)")
  .requiredOption("--offer <file>", "the device's pairing offer (JSON file, or - for stdin)")
  .action(action(async (o: { offer: string }) => {
    const { parseDevicePairingOffer } = await import("@meridian/sdk/chain");
    const { registerDevice } = await import("@meridian/sdk/chain");
    const ctx = await context();
    const patient = ctx.walletClient?.account?.address;
    if (!patient) throw new NoAccountError("Registering a device needs the patient's account.", { hint: "Pass --key-file, MERIDIAN_PRIVATE_KEY, MERIDIAN_MNEMONIC or --dev-account." });
    const text = o.offer === "-" ? await new Response(process.stdin as unknown as ReadableStream).text() : (await readUserFile(o.offer, "pairing offer")).toString("utf8");
    const offer = await parseDevicePairingOffer(text, { deployment: ctx.deployment, patient });
    const r = await registerDevice(ctx, offer);
    log(`Registered ${Object.keys(ROLES)[offer.role - 1]} ${offer.device} for ${patient} (${r.gasUsed} gas).`);
  }));

ecg.command("revoke-device")
  .description("patient: revokes a device for good (the medical server refuses what it signs from then on)")
  .requiredOption("--device <address>", "the device to revoke")
  .action(action(async (o: { device: string }) => {
    const { revokeDevice } = await import("@meridian/sdk/chain");
    const r = await revokeDevice(await context(), { device: address(o.device, "--device") });
    log(`Revoked ${o.device} (${r.gasUsed} gas).`);
  }));

// ---------------------------------------------------------------- deploy

program.command("deploy")
  .description("deploy ProviderRegistry, RecordRegistry (with PeerValidation) and MonitoringRegistry; writes <data-dir>/deployment.json")
  .option("--regulator <address>", "holder of REGULATOR_ROLE (default: the deployer)")
  .option("--admin <address>", "holder of DEFAULT_ADMIN_ROLE (default: the deployer)")
  .option("--council <address>", "governed network: a MeridianTimelock becomes regulator and admin, this council its proposer/executor and the suspender (docs/governance.md)")
  .option("--min-delay <seconds>", "with --council: the timelock's minimum delay", "172800")
  .action(action(async (o: { regulator?: string; admin?: string; council?: string; minDelay: string }) => {
    const g = globals();
    const clients = await connectChain({ url: g.rpcUrl! });
    const account = resolveAccount(g, clients.chain.id);
    const ctx = { publicClient: clients.publicClient, walletClient: walletFor(clients, account) };
    let deployment, timelock;
    if (o.council) {
      if (o.admin || o.regulator) throw new ConfigurationError("--council deploys a timelock as admin and regulator; leave out --admin and --regulator.");
      ({ deployment, timelock } = await deployGovernedMeridian(ctx, { council: address(o.council, "--council"), minDelaySeconds: Number(o.minDelay) }));
    } else {
      deployment = await deployMeridian(ctx, {
        admin: o.admin ? address(o.admin, "--admin") : account.address,
        regulator: o.regulator ? address(o.regulator, "--regulator") : account.address,
      });
    }
    const file = g.deployment ?? path.join(g.dataDir, "deployment.json");
    await saveDeployment(file, deployment);
    log(`deployed; wrote ${file}`);
    out(timelock ? { ...deployment, timelock } : deployment);
  }));

// ------------------------------------------------------------- providers

const provider = program.command("provider").description("regulator and provider commands");
/** `--timelock ADDRESS [--execute]`: on a governed network, schedule (or execute) through the timelock. */
function timelockOptions(cmd: Command): Command {
  return cmd
    .option("--timelock <address>", "governed network: schedule the change on this MeridianTimelock (council account) instead of sending it")
    .option("--execute", "with --timelock: execute the change scheduled earlier, once its delay has passed");
}

/** Sends `change` directly, or schedules/executes it through `--timelock`. */
async function membershipChange(change: MembershipChange, o: { timelock?: string; execute?: boolean }, direct: (ctx: MeridianContext) => Promise<unknown>): Promise<void> {
  const ctx = await context();
  if (!o.timelock) {
    if (o.execute) throw new ConfigurationError("--execute needs --timelock.");
    out(await direct(ctx));
    return;
  }
  const timelock = address(o.timelock, "--timelock");
  if (o.execute) {
    out(await executeMembershipChange(ctx, { timelock, change }));
    return;
  }
  const scheduled = await scheduleMembershipChange(ctx, { timelock, change });
  log(`scheduled; run the same command with --execute after ${new Date(scheduled.readyAt * 1000).toISOString()}`);
  out(scheduled);
}

timelockOptions(provider.command("admit <address>")
  .description("regulator: admit a provider (governed network: schedule it through the timelock)")
  .addOption(new Option("--kind <kind>", "provider kind").choices(["hospital", "clinic", "lab", "practitioner"]).makeOptionMandatory())
  .requiredOption("--name <name>", "public name")
  .option("--department <department>", "department or specialty", ""))
  .action(action(async (addr: string, o: { kind: "hospital" | "clinic" | "lab" | "practitioner"; name: string; department: string; timelock?: string; execute?: boolean }) => {
    const kinds = { hospital: ProviderKind.Hospital, clinic: ProviderKind.Clinic, lab: ProviderKind.Lab, practitioner: ProviderKind.Practitioner };
    const admission = { provider: address(addr, "provider"), kind: kinds[o.kind], name: o.name, department: o.department };
    await membershipChange({ action: "admit", ...admission }, o, (ctx) => admitProvider(ctx, admission));
  }));
provider.command("suspend <address>").description("regulator or council (SUSPENDER_ROLE): suspend a provider at once").action(action(async (addr: string) => {
  out(await setProviderStatus(await context(), { provider: address(addr, "provider"), action: "suspend" }));
}));
for (const verb of ["reinstate", "remove"] as const) {
  timelockOptions(provider.command(`${verb} <address>`).description(`regulator: ${verb} a provider (governed network: schedule it through the timelock)`))
    .action(action(async (addr: string, o: { timelock?: string; execute?: boolean }) => {
      const p = address(addr, "provider");
      await membershipChange({ action: verb, provider: p }, o, (ctx) => setProviderStatus(ctx, { provider: p, action: verb }));
    }));
}
provider.command("publish-key").description("provider: derive your first encryption key from your wallet and publish it").action(action(async () => {
  const c = await client();
  try { out(await c.publishProviderKey()); } finally { await c.close(); }
}));
provider.command("rotate-key").description("provider: derive your next encryption key version and publish it (grants issued before stay readable)").action(action(async () => {
  const c = await client();
  try { out(await c.rotateProviderKey()); } finally { await c.close(); }
}));
provider.command("show <address>").description("show a provider's registry entry").action(action(async (addr: string) => {
  const p = await getProvider(await context(), address(addr, "provider"));
  out({ ...p, kind: ["none", "hospital", "clinic", "lab", "practitioner"][p.kind], status: ["never admitted", "active", "suspended", "removed"][p.status] });
}));

// ---------------------------------------------------------------- patients

program.command("register").description("patient: derive your encryption key from your wallet and register").action(action(async () => {
  const c = await client();
  try { out(await c.registerAsPatient()); } finally { await c.close(); }
}));

program.command("add <files...>")
  .description("add records from FHIR JSON files (Synthea bundles are split per encounter) or DICOM/PDF files")
  .option("--patient <address>", "add for this patient (needs their write consent); default: yourself")
  .option("--category <name>", "override the category detected from the FHIR content")
  .option("--allow-duplicate", "store content that is already stored for this patient")
  .option("--force", "store a file whose Patient does not match the patient's earlier records")
  .addHelpText("after", "\nBefore storing, your earlier records are read (in memory) to refuse a file already stored and a file about another person.")
  .action(action(async (files: string[], o: { patient?: string; category?: string; allowDuplicate?: boolean; force?: boolean }) => {
    const c = await client();
    try {
      const patient = o.patient ? address(o.patient, "--patient") : undefined;
      const drafts = [];
      for (const f of files) drafts.push(...(await recordDraftFromFile(new Uint8Array(await readUserFile(f)), { fileName: path.basename(f) })));
      const source = files.length === 1 ? path.basename(files[0]!) : `${files.length} files`;
      const check = await checkImport(c, drafts, patient ? { patient } : {});
      if (check.mismatches.length > 0 && !o.force) throw new PatientMismatchError({ mismatches: check.mismatches, source });
      if (check.duplicates.length > 0 && !o.allowDuplicate) throw new DuplicateRecordError({ duplicates: check.duplicates, source });
      if (check.unreadable > 0) log(`note: ${check.unreadable} earlier records are not readable with your keys and were not compared`);
      const bar = createProgress("add", drafts.length);
      const results = [];
      for (const d of drafts) {
        const r = await c.addRecord({ plaintext: new TextEncoder().encode(JSON.stringify(d.resource)), category: o.category ? category(o.category) : d.category, ...(patient ? { patient } : {}) });
        results.push({ recordId: r.recordId, cid: r.cid, category: categoryName(o.category ? category(o.category) : d.category), bytes: r.bytes, gasUsed: r.gasUsed });
        bar.increment();
      }
      bar.stop();
      out(results);
    } finally { await c.close(); }
  }));

program.command("list [patient]").description("list a patient's records (default: yourself)").action(action(async (patient?: string) => {
  const c = await client();
  try {
    const records = await c.listRecords(patient ? address(patient, "patient") : undefined);
    const validation = await validationStatusNames(c.ctx, records.map((r) => r.recordId));
    out(records.map((r, i) => ({ recordId: r.recordId, category: categoryName(r.category), author: r.author, anchoredAt: new Date(r.anchoredAt * 1000).toISOString(), keyEpoch: r.keyEpoch, validation: validation[i] })));
  } finally { await c.close(); }
}));

program.command("get <recordId>")
  .description("fetch, verify (CID and anchored hash) and decrypt a record into a file (readable by you only, mode 0600)")
  .requiredOption("--out <file>", "where to write the decrypted FHIR JSON (with --attachment: the original file, or a folder to put it in)")
  .option("--attachment", "write the original file (DICOM, PDF) the record holds, byte for byte, instead of its FHIR JSON")
  .action(action(async (id: string, o: { out: string; attachment?: boolean }) => {
    const c = await client();
    try {
      const r = await c.readRecord(recordId(id));
      if (!o.attachment) {
        const file = userPath(o.out);
        await writePrivateFile(file, r.plaintext);
        log(`verified and decrypted ${r.plaintext.length} bytes (via ${r.via}) into ${file}`);
        return;
      }
      const { writeAttachment } = await import("./attachment-file.ts");
      const written = await writeAttachment(r.plaintext, userPath(o.out), id);
      log(`verified and decrypted ${written.bytes} bytes of ${written.contentType} (via ${r.via}) into ${written.file}`);
    } finally { await c.close(); }
  }));

function scopeOptions(cmd: Command): Command {
  return cmd.option("--record <id>", "one record").option("--category <name>", "one category").option("--all", "all records");
}

scopeOptions(program.command("grant <provider>").description("patient: grant a provider read access (and optionally write consent)"))
  .option("--write", "also consent to the provider adding records in this scope")
  .option("--expires <when>", "duration (30m, 12h, 7d) or date; default: no expiry")
  .action(action(async (grantee: string, o: { record?: string; category?: string; all?: boolean; write?: boolean; expires?: string }) => {
    const c = await client();
    try { out(await c.grant({ grantee: address(grantee, "provider"), scope: scopeOf(o), write: o.write ?? false, expiresAt: expiry(o) })); } finally { await c.close(); }
  }));

scopeOptions(program.command("revoke <provider>").description("patient: revoke a grant (later records use new keys)"))
  .action(action(async (grantee: string, o: { record?: string; category?: string; all?: boolean }) => {
    const c = await client();
    try { out(await c.revoke({ grantee: address(grantee, "provider"), scope: scopeOf(o) })); } finally { await c.close(); }
  }));

scopeOptions(program.command("request <patient>").description("provider: ask a patient for access"))
  .option("--write", "ask for write consent too")
  .option("--duration <days>", "days of access asked", "30")
  .option("--purpose <code>", "HL7 purpose-of-use code", "TREAT")
  .action(action(async (patient: string, o: { record?: string; category?: string; all?: boolean; write?: boolean; duration: string; purpose: string }) => {
    const c = await client();
    const durationSeconds = wholeNumber(o.duration, "--duration") * 86400;
    try { out(await c.requestAccess({ patient: address(patient, "patient"), scope: scopeOf(o), write: o.write ?? false, durationSeconds, purpose: o.purpose })); } finally { await c.close(); }
  }));

program.command("requests").description("patient: list pending access requests").action(action(async () => {
  const c = await client();
  try { out(await c.pendingRequests()); } finally { await c.close(); }
}));

scopeOptions(program.command("approve <provider>").description("patient: approve a pending request"))
  .option("--write", "grant the write consent that was asked")
  .option("--expires <when>", "duration (30m, 12h, 7d) or date; default: no expiry")
  .action(action(async (requester: string, o: { record?: string; category?: string; all?: boolean; write?: boolean; expires?: string }) => {
    const c = await client();
    try { out(await c.approveRequest({ requester: address(requester, "provider"), scope: scopeOf(o), write: o.write ?? false, expiresAt: expiry(o) })); } finally { await c.close(); }
  }));

scopeOptions(program.command("deny <provider>").description("patient: deny a pending request"))
  .action(action(async (requester: string, o: { record?: string; category?: string; all?: boolean }) => {
    const c = await client();
    try { out(await c.denyRequest({ requester: address(requester, "provider"), scope: scopeOf(o) })); } finally { await c.close(); }
  }));

program.command("audit [patient]").description("the timeline of a patient's events (default: yourself)").action(action(async (patient?: string) => {
  const c = await client();
  try {
    const who = patient ? address(patient, "patient") : undefined;
    const [entries, emergencies] = await Promise.all([c.audit(who), c.emergencyAccesses(who)]);
    // emergency accesses come first, so the patient and guardians see them before anything else
    for (const e of emergencies) log(`EMERGENCY ACCESS by ${e.provider} (${e.reason})${e.active ? `, open until ${new Date(e.expiresAt * 1000).toISOString()}` : ", ended"}${e.releasedBy ? `; key released by ${e.releasedBy}` : "; no key released"}`);
    out({ emergencyAccesses: emergencies.map(emergencyView), events: entries.map((e) => ({ block: e.blockNumber, event: e.event, tx: e.transactionHash, ...e.args })) });
  } finally { await c.close(); }
}));

program.command("verify [patient]").description("verify a patient's record hash chain (anyone can; no keys needed)").action(action(async (patient?: string) => {
  const c = await client();
  try {
    const v = await c.verifyChain(patient ? address(patient, "patient") : undefined);
    out(v);
    if (!v.valid) process.exitCode = 1;
  } finally { await c.close(); }
}));

// ------------------------------------------- consent codes, guardians, emergency

const consent = program.command("consent").description("one-time consent codes: the patient signs, the provider submits");
scopeOptions(consent.command("create <provider>").description("patient: sign a one-time consent code for a provider (no gas); shows it as a QR code and text"))
  .option("--write", "also consent to the provider adding records in this scope")
  .option("--expires <when>", "when the grant ends: duration (30m, 12h, 7d) or date; default: no expiry")
  .option("--valid <seconds>", "how long the code can be submitted, in seconds", "300")
  .option("--out <file>", "also write the code's text to this file")
  .option("--no-qr", "do not draw the QR code")
  .action(action(async (grantee: string, o: { record?: string; category?: string; all?: boolean; write?: boolean; expires?: string; valid: string; out?: string; qr: boolean }) => {
    const validForSeconds = Number(o.valid);
    if (!Number.isInteger(validForSeconds) || validForSeconds < 30 || validForSeconds > 86_400) throw new ConfigurationError("--valid must be a whole number of seconds from 30 to 86400.", { details: o.valid });
    const c = await client();
    try {
      const code = await c.createConsentCode({ grantee: address(grantee, "provider"), scope: scopeOf(o), write: o.write ?? false, expiresAt: expiry(o), validForSeconds });
      if (o.out) await writePrivateFile(userPath(o.out), code.text + "\n");
      if (o.qr && process.stderr.isTTY) process.stderr.write(await QRCode.toString(code.text, { type: "terminal", small: true, errorCorrectionLevel: "L" }));
      log(`consent code ${code.shortCode}: valid until ${new Date(code.code.deadline * 1000).toISOString()}; the provider submits it with \`meridian consent redeem\``);
      out({ shortCode: code.shortCode, deadline: code.code.deadline, nonce: code.code.nonce, digest: code.digest, text: code.text });
    } finally { await c.close(); }
  }));
consent.command("redeem <code>")
  .description("provider: check a consent code against the chain and submit it (you pay the gas); <code> is the text or @file")
  .action(action(async (code: string) => {
    const text = code.startsWith("@") ? (await readUserFile(code.slice(1), "consent code file")).toString("utf8") : code;
    const c = await client();
    try {
      const r = await c.redeemConsentCode(text.trim());
      out({ hash: r.hash, gasUsed: r.gasUsed, grantId: r.grantId, consentHash: r.consentHash, patient: r.code.patient, scope: r.code.scope, write: r.code.write, expiresAt: r.code.expiresAt });
    } finally { await c.close(); }
  }));
consent.command("cancel <nonce>").description("patient: cancel an unused consent code (by the nonce `consent create` printed)").action(action(async (nonce: string) => {
  if (!/^\d{1,78}$/.test(nonce)) throw new ConfigurationError("The nonce is the decimal number `consent create` printed.", { details: nonce });
  out(await cancelConsentCode(await context(), BigInt(nonce)));
}));

const guardian = program.command("guardian").description("guardians: appoint, remove, act for a patient");
guardian.command("appoint <address>")
  .description("patient: appoint a guardian (a registered account); again to change its level or re-key it")
  .addOption(new Option("--level <level>", "view: reads what you can read; share: also grants, revokes and decides requests for you").choices(["view", "share"]).makeOptionMandatory())
  .action(action(async (addr: string, o: { level: "view" | "share" }) => {
    const c = await client();
    try { out(await c.appointGuardian({ guardian: address(addr, "guardian"), level: o.level === "view" ? GuardianLevel.View : GuardianLevel.ShareAndView })); } finally { await c.close(); }
  }));
guardian.command("remove <address>").description("patient: remove a guardian (advances your key epoch; re-issues live grants and re-keys other guardians)").action(action(async (addr: string) => {
  const c = await client();
  try { out(await c.removeGuardian(address(addr, "guardian"))); } finally { await c.close(); }
}));
guardian.command("step-down <patient>").description("guardian: stop being a patient's guardian").action(action(async (patient: string) => {
  const c = await client();
  try { out(await c.stepDownAsGuardian(address(patient, "patient"))); } finally { await c.close(); }
}));
guardian.command("list [patient]").description("a patient's guardians (default: yours)").action(action(async (patient?: string) => {
  const c = await client();
  try { out((await c.guardians(patient ? address(patient, "patient") : undefined)).map(guardianView)); } finally { await c.close(); }
}));
guardian.command("wards").description("guardian: the patients you are a guardian of").action(action(async () => {
  const c = await client();
  try { out((await c.wards()).map(guardianView)); } finally { await c.close(); }
}));
scopeOptions(guardian.command("approve <patient> <provider>").description("SHARE AND VIEW guardian: approve a provider's pending request for the patient"))
  .option("--write", "grant the write consent that was asked")
  .option("--expires <when>", "duration (30m, 12h, 7d) or date; default: no expiry")
  .action(action(async (patient: string, requester: string, o: { record?: string; category?: string; all?: boolean; write?: boolean; expires?: string }) => {
    const c = await client();
    try { out(await c.approveRequest({ patient: address(patient, "patient"), requester: address(requester, "provider"), scope: scopeOf(o), write: o.write ?? false, expiresAt: expiry(o) })); } finally { await c.close(); }
  }));
scopeOptions(guardian.command("deny <patient> <provider>").description("SHARE AND VIEW guardian: deny a provider's pending request for the patient"))
  .action(action(async (patient: string, requester: string, o: { record?: string; category?: string; all?: boolean }) => {
    const c = await client();
    try { out(await c.denyRequest({ patient: address(patient, "patient"), requester: address(requester, "provider"), scope: scopeOf(o) })); } finally { await c.close(); }
  }));
scopeOptions(guardian.command("grant <patient> <provider>").description("SHARE AND VIEW guardian: grant a provider access for the patient"))
  .option("--write", "also consent to the provider adding records in this scope")
  .option("--expires <when>", "duration (30m, 12h, 7d) or date; default: no expiry")
  .action(action(async (patient: string, grantee: string, o: { record?: string; category?: string; all?: boolean; write?: boolean; expires?: string }) => {
    const c = await client();
    try { out(await c.grant({ patient: address(patient, "patient"), grantee: address(grantee, "provider"), scope: scopeOf(o), write: o.write ?? false, expiresAt: expiry(o) })); } finally { await c.close(); }
  }));
scopeOptions(guardian.command("revoke <patient> <provider>").description("SHARE AND VIEW guardian: revoke a grant of the patient (the patient's app re-issues the others)"))
  .action(action(async (patient: string, grantee: string, o: { record?: string; category?: string; all?: boolean }) => {
    const c = await client();
    try { out(await c.revoke({ patient: address(patient, "patient"), grantee: address(grantee, "provider"), scope: scopeOf(o) })); } finally { await c.close(); }
  }));

program.command("rekey")
  .description(
    "patient: move to new keys when a grantee whose access ended (expired, suspended, removed), or a consent " +
      "code made here that was never redeemed or was cancelled, holds the current ones, and re-issue live grants " +
      "and re-key guardians still at an older key epoch",
  )
  .option("--dry-run", "only list who holds stale keys and whose access to the current keys ended")
  .option(
    "--new-epoch",
    "move to a new key epoch even if nobody's access ended (e.g. after an unused consent code made on another device)",
  )
  .action(action(async (o: { dryRun?: boolean; newEpoch?: boolean }) => {
    const c = await client();
    try {
      const [stale, ended] = await Promise.all([c.staleKeyHolders(), c.retiredKeyHolders()]);
      const holders = {
        keyEpoch: stale.keyEpoch,
        grants: stale.grants.map((g) => ({ grantee: g.grantee, scope: g.scope, write: g.write, keyEpoch: g.keyEpoch })),
        guardians: stale.guardians.map(guardianView),
        retired: ended.retired.map((r) => ({
          ...(r.kind === "guardian" ? { guardian: r.guardian } : { grantee: r.grantee, scope: r.scope }),
          ...(r.kind === "consent-code" ? { consentCodeNonce: r.nonce, deadline: r.deadline } : {}),
          reason: r.reason,
          what: describeKeyHolderEnd(r),
        })),
      };
      const rotate = ended.retired.length > 0 || (o.newEpoch ?? false);
      if (o.dryRun || (!rotate && holders.grants.length === 0 && holders.guardians.length === 0)) {
        out(holders);
        return;
      }
      if (rotate) {
        const { advance, reissued } = await c.rotateKeyEpoch();
        const transactions = [advance, ...reissued].map((t) => ({ hash: t.hash, gasUsed: t.gasUsed }));
        out({ ...holders, newKeyEpoch: advance.keyEpoch, transactions });
        return;
      }
      const sent = await c.reissueAfterEpochChange();
      out({ ...holders, transactions: sent.map((t) => ({ hash: t.hash, gasUsed: t.gasUsed })) });
    } finally { await c.close(); }
  }));

function guardianView(g: Guardianship) {
  return { patient: g.patient, guardian: g.guardian, level: g.level === GuardianLevel.View ? "view" : "share and view", keyEpoch: g.keyEpoch };
}

const emergency = program.command("emergency").description("emergency (break-glass) access to a patient's International Patient Summary");
emergency.command("create-summary").description("patient: build your International Patient Summary from your FHIR records and name it your emergency summary").action(action(async () => {
  const c = await client();
  try {
    let bar: ReturnType<typeof createProgress> | undefined;
    const r = await c.createEmergencySummary({ onProgress: (done, total) => { bar ??= createProgress("read", total); if (done > 0) bar.increment(); } });
    bar?.stop();
    const view = summarizeInternationalPatientSummary(r.summary);
    out({ recordId: r.recordId, cid: r.cid, allergies: view.allergies.length, medications: view.medications.length, problems: view.problems.length, bloodGroup: view.bloodGroup !== undefined });
  } finally { await c.close(); }
}));
emergency.command("open <patient>")
  .description("provider: open time-boxed emergency access to a patient's summary (logged on chain first; the patient and guardians see it first)")
  .addOption(new Option("--reason <code>", "HL7 v3 ActReason code").choices(Object.keys(EMERGENCY_REASONS)).makeOptionMandatory())
  .option("--hours <n>", "how long, 1-24 hours", "4")
  .action(action(async (patient: string, o: { reason: string; hours: string }) => {
    const hours = Number(o.hours);
    if (!(hours > 0 && hours <= 24)) throw new ConfigurationError("--hours must be more than 0 and at most 24.", { details: o.hours });
    const c = await client();
    try {
      const r = await c.openEmergencyAccess({ patient: address(patient, "patient"), reason: o.reason, durationSeconds: Math.round(hours * 3600) });
      log("emergency access opened; the summary's key comes from the patient or a guardian (`meridian emergency release`)");
      out({ ...r, expiresAt: new Date(r.expiresAt * 1000).toISOString() });
    } finally { await c.close(); }
  }));
emergency.command("release <provider>")
  .description("patient or SHARE AND VIEW guardian: release the emergency summary's key to a provider whose emergency access is open")
  .option("--patient <address>", "as a guardian: the patient (default: yourself)")
  .action(action(async (providerAddress: string, o: { patient?: string }) => {
    const c = await client();
    try { out(await c.releaseEmergencyKey({ provider: address(providerAddress, "provider"), ...(o.patient ? { patient: address(o.patient, "--patient") } : {}) })); } finally { await c.close(); }
  }));
emergency.command("close <patient> <provider>").description("end an emergency access early (patient, guardian or the provider)").action(action(async (patient: string, providerAddress: string) => {
  out(await closeEmergencyAccess(await context(), { patient: address(patient, "patient"), provider: address(providerAddress, "provider") }));
}));
emergency.command("list [patient]").description("emergency accesses to a patient (default: yourself), newest first").action(action(async (patient?: string) => {
  const c = await client();
  try { out((await c.emergencyAccesses(patient ? address(patient, "patient") : undefined)).map(emergencyView)); } finally { await c.close(); }
}));
emergency.command("show <patient>")
  .description("provider: open a patient's emergency summary (after the key was released) and print allergies, medications, problems and blood group")
  .option("--out <file>", "also write the decrypted IPS Bundle to this file")
  .action(action(async (patient: string, o: { out?: string }) => {
    const c = await client();
    try {
      const id = await c.emergencySummary(address(patient, "patient"));
      if (!id) throw new ConfigurationError("This patient has no emergency summary.", { hint: "The patient creates one with `meridian emergency create-summary`." });
      const r = await c.readRecord(id);
      if (o.out) await writePrivateFile(userPath(o.out), r.plaintext);
      out(summarizeInternationalPatientSummary(JSON.parse(new TextDecoder().decode(r.plaintext))));
    } finally { await c.close(); }
  }));

function emergencyView(e: EmergencyAccessEntry) {
  return { provider: e.provider, reason: e.reason, active: e.active, expiresAt: new Date(e.expiresAt * 1000).toISOString(), keyReleasedBy: e.releasedBy ?? null, recordId: e.recordId };
}

registerValidationCommands(program, { context, client, action, out, address, recordId });

if (import.meta.main) await program.parseAsync(process.argv);
