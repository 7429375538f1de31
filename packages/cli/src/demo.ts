/**
 * The main job: a whole Meridian network in one process, on real FHIR data.
 *
 * Starts an embedded Hardhat/EDR chain and an embedded Helia IPFS node (blocks as files under
 * `<data-dir>/ipfs`), deploys, admits providers, registers one patient per FHIR bundle, imports
 * every bundle and attachment, grants one provider all-records access, has it read and
 * byte-compare every record, shows that unauthorized, revoked, expired and suspended access is
 * refused; shows consent by a one-time code, a guardian approving a request for a patient, and
 * emergency access to a patient's International Patient Summary (opened on chain first, key
 * released by the guardian, closed); verifies every hash chain, exports every transaction and event to
 * `<data-dir>/chain/`, scans that export and every IPFS block for the plaintext, and writes a
 * report. Exits non-zero when any check fails.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { MeridianError } from "@meridian/sdk";
import { ConfigurationError } from "./env.ts";
import { isWithin, prepareStateDirectory, requireDirectory } from "./files.ts";
import { writeFixtures } from "./fixtures.ts";
import { log } from "./output.ts";
import { summarize } from "./stats.ts";
import {
  checkConsentCode,
  checkEmergencyAccess,
  checkExpiryAndSuspension,
  checkGuardian,
  checkRequestsAndRevocation,
  type AccessSubject,
} from "./demo/access.ts";
import { checkInputs, readInputs } from "./demo/inputs.ts";
import { checkGasFlat, checkHashChains, checkTamperedCiphertext, scanForPrivacy } from "./demo/integrity.ts";
import { startNetwork } from "./demo/network.ts";
import { importRecords, readBack } from "./demo/records.ts";
import { createDemoLog, type DemoLog, type DemoReport } from "./demo/report.ts";

export type * from "./demo/report.ts";

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Folder of FHIR bundles and attachments; default `../shared/data` when present, else fixtures. */
  input?: string | undefined;
  /**
   * Where state goes. A folder the demo created (it holds `.meridian-state`) is emptied first, an
   * empty or missing one is used; any other is refused and left untouched.
   */
  dataDir: string;
  /** At most this many patient bundles (smallest first), a whole number from 1; default all. */
  maxPatients?: number | undefined;
  /** Meridian nodes to start and pin every record on (`--nodes`; default 0: `<data-dir>/ipfs` only). */
  nodes?: number | undefined;
  /** Pins each record needs before it is anchored when `nodes` > 0 (`--replicas`, default 2). */
  replicas?: number | undefined;
}

const SHARED_DATA = path.resolve(import.meta.dirname, "../../../../shared/data");

/**
 * Checks the demo's options before anything is created or deleted: the input folder exists and is
 * a folder, it and the data folder do not contain each other, and `maxPatients` is a whole number
 * from 1.
 *
 * @throws {ConfigurationError} or `FileAccessError`, naming the option.
 */
async function checkDemoOptions(options: DemoOptions): Promise<{ input: string | undefined; dataDir: string }> {
  const dataDir = path.resolve(options.dataDir);
  const m = options.maxPatients;
  if (m !== undefined && !(Number.isSafeInteger(m) && m >= 1))
    throw new ConfigurationError("--max-patients must be a whole number from 1 up.", { details: String(m) });
  const input = options.input ? path.resolve(options.input) : existsSync(SHARED_DATA) ? SHARED_DATA : undefined;
  if (input === undefined) return { input, dataDir };
  await requireDirectory(input, "--input");
  if (isWithin(input, dataDir) || isWithin(dataDir, input)) {
    throw new ConfigurationError(
      `--input ${input} and --data-dir ${dataDir} overlap; the demo empties its data folder and reads every file ` +
        "of its input.",
      { hint: "Pass a --data-dir outside the input folder." },
    );
  }
  return { input, dataDir };
}

/**
 * Runs the main job and returns its report, which it also writes to `<data-dir>/report.json`
 * whatever happens: `report.ok` is false when any check failed, and `report.failure` says why
 * when the run could not go on (no patient bundle in the input, nothing imported).
 *
 * @throws {ConfigurationError} or `FileAccessError` for bad options, before anything is touched;
 *   `StateDirectoryError` when `dataDir` holds files the demo did not create.
 */
export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const started = performance.now();
  const checked = await checkDemoOptions(options);
  const dataDir = await prepareStateDirectory(checked.dataDir, { option: "--data-dir", owner: "meridian demo" });
  let input = checked.input;
  if (!input) {
    input = await writeFixtures(path.join(dataDir, "fixtures"));
    log(`../shared/data not found: using the project's own fixtures in ${path.relative(process.cwd(), input)}`);
  }
  const report: DemoReport = {
    ok: false,
    checks: [],
    input,
    dataDir,
    imported: { patients: 0, attachments: 0, records: 0, bytes: 0, inputBytes: 0, byCategory: {}, skipped: [] },
    roundTrip: { read: 0, identical: 0, failures: [] },
    gas: {},
    privacyScan: { strings: 0, files: 0, bytes: 0, hits: 0 },
    seconds: 0,
  };
  const run = createDemoLog(report);
  try {
    await runSteps(run, report, input, options);
  } catch (error) {
    const message =
      error instanceof MeridianError
        ? error.shortMessage
        : error instanceof Error
          ? `${error.name}: ${error.message}`
          : String(error);
    const hint =
      error instanceof MeridianError && error.hint
        ? error.hint
        : "Run it again with MERIDIAN_DEBUG=1 and report the output.";
    run.stop("run", `the demo stopped: ${message}`, hint);
    if (process.env.MERIDIAN_DEBUG) console.error(error);
  } finally {
    report.ok = report.failure === undefined && report.checks.length > 0 && report.checks.every((c) => c.ok);
    report.gas = Object.fromEntries(Object.entries(run.gasUsed).map(([op, v]) => [op, summarize(v)]));
    report.seconds = (performance.now() - started) / 1000;
    const json = JSON.stringify(report, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
    await writeFile(path.join(report.dataDir, "report.json"), json);
  }
  return report;
}

/**
 * The demo's steps, from reading the input to the last check; each fills its part of `report`.
 * Stops early (with `report.failure`) when there is no patient bundle to import, or nothing was
 * imported for the first patient.
 */
async function runSteps(
  run: DemoLog,
  report: DemoReport,
  input: string,
  options: Pick<DemoOptions, "maxPatients" | "nodes" | "replicas">,
): Promise<void> {
  const inputs = await readInputs(input, options.maxPatients);
  Object.assign(report.imported, inputs.imported);
  if (!checkInputs(run, input, inputs)) return;
  const { patients, attachments } = inputs;

  const network = await startNetwork(run, report.dataDir, patients.length, options);
  try {
    report.deployment = network.deploymentReport;
    const imported = await importRecords(run, network, patients, attachments);
    report.imported = { ...report.imported, patients: patients.length, ...imported.imported };
    const readBackResult = await readBack(run, network, imported.records);
    report.roundTrip = readBackResult.roundTrip;
    const bytes = report.imported.bytes;
    const records = imported.records.length;
    report.throughput = {
      parseValidateSplit: inputs.speed,
      import: {
        seconds: imported.seconds,
        recordsPerSecond: records / imported.seconds,
        MBps: bytes / 1e6 / imported.seconds,
        encryptSeconds: imported.encryptSeconds,
        storeSeconds: imported.storeSeconds,
      },
      read: {
        seconds: readBackResult.seconds,
        recordsPerSecond: records / readBackResult.seconds,
        MBps: bytes / 1e6 / readBackResult.seconds,
      },
    };

    const patient = network.patients[0]!;
    const own = imported.records.filter((r) => r.patient === patient.address);
    const target = own[0];
    if (!target) {
      run.stop(
        "access checks",
        `nothing was imported for the first patient (${patients[0]!.file}), so no access could be checked`,
        "See the import errors above; fix or remove that file and run again.",
      );
      return;
    }
    const subject: AccessSubject = { patient, input: patients[0]!, records: own, target };
    await checkRequestsAndRevocation(run, network, subject);
    await checkExpiryAndSuspension(run, network, subject);
    await checkConsentCode(run, network, subject);
    const guardian = await checkGuardian(run, network, subject);
    await checkEmergencyAccess(run, network, subject, guardian);
    await checkTamperedCiphertext(run, network, subject);
    await checkHashChains(run, network);

    const privacy = await scanForPrivacy(run, network, report.dataDir, patients);
    report.chainExport = privacy.chainExport;
    report.privacyScan = privacy.privacyScan;
    checkGasFlat(run);
  } finally {
    await network.close();
  }
}
