/**
 * The demo's report (`<data-dir>/report.json`, and the summary `meridian demo` prints) and the
 * log its steps write into: named checks, and the gas of every transaction by operation.
 *
 * @module
 */
import type { MeridianDeployment } from "@meridian/sdk/chain";
import type { Summary } from "../stats.ts";
import { log } from "../output.ts";

/**
 * One named check of the demo: `pass`, `fail`, or `skip` when there was nothing to check (a check
 * that checked nothing never passes). `ok` is false only for `fail`.
 */
export interface DemoCheck {
  name: string;
  ok: boolean;
  status: "pass" | "fail" | "skip";
  /** What was checked and what was found, in one sentence (no patient data). */
  detail: string;
}

/** An input file the demo did not import, and why. */
export interface SkippedFile {
  /** The file, relative to the input folder. */
  file: string;
  reason: string;
}

/** What the demo imported. */
export interface DemoImportSummary {
  /** Patient bundles imported (one patient each). */
  patients: number;
  /** DICOM and PDF files imported, spread over the patients. */
  attachments: number;
  /** Records encrypted, stored and anchored. */
  records: number;
  /** Bytes of FHIR JSON imported (the records' plaintext). */
  bytes: number;
  /** Bytes of the input files read. */
  inputBytes: number;
  /** Records per category name (`lab`, `vital-signs`, …). */
  byCategory: Record<string, number>;
  skipped: SkippedFile[];
}

/** A provider reading every imported record back. */
export interface DemoRoundTrip {
  /** Records read back. */
  read: number;
  /** Of those, records whose plaintext is byte-identical to what was imported. */
  identical: number;
  /** The first 20 failures: record id and what went wrong. */
  failures: string[];
}

/** The scan of the chain export and every IPFS block for plaintext patient data. */
export interface DemoPrivacyScan {
  /** Distinctive plaintext strings searched for (names, identifiers, addresses, note text). */
  strings: number;
  /** Files searched. */
  files: number;
  /** Bytes searched. */
  bytes: number;
  /** Strings found (0 when nothing readable is on chain or in IPFS). */
  hits: number;
}

/** How fast a stage went: `seconds` of wall time, `MBps` megabytes (10^6 bytes) per second. */
export interface DemoStageSpeed {
  seconds: number;
  MBps: number;
}

/** A stage over records: also `recordsPerSecond`, records per second of wall time. */
export interface DemoRecordSpeed extends DemoStageSpeed {
  recordsPerSecond: number;
}

/** Throughput of the demo's stages. */
export interface DemoThroughput {
  /** Parsing, validating and splitting the input files (MBps over input bytes). */
  parseValidateSplit: DemoStageSpeed;
  /**
   * Encrypting, storing and anchoring every record (MBps over plaintext bytes); `encryptSeconds`
   * and `storeSeconds` are the time spent encrypting and storing in IPFS, in seconds.
   */
  import: DemoRecordSpeed & { encryptSeconds: number; storeSeconds: number };
  /** A provider reading, verifying and decrypting every record (MBps over plaintext bytes). */
  read: DemoRecordSpeed;
}

/** What the chain export under `<data-dir>/chain/` holds. */
export interface DemoChainExport {
  blocks: number;
  transactions: number;
  events: number;
}

/** The deployment as written to JSON: `deployedAtBlock` as a decimal string. */
export type DemoDeployment = Omit<MeridianDeployment, "deployedAtBlock"> & { deployedAtBlock: string };

/**
 * The demo's report (also `<data-dir>/report.json`); `ok` is false when a check failed or the run
 * stopped early. Each step of the run fills its part; a run that stopped early has no
 * `deployment`, `throughput` or `chainExport` past the step it stopped at.
 */
export interface DemoReport {
  ok: boolean;
  checks: DemoCheck[];
  /** The input folder (the project's fixtures when no input was found). */
  input: string;
  /** The state folder. */
  dataDir: string;
  imported: DemoImportSummary;
  roundTrip: DemoRoundTrip;
  /** Gas per operation (`anchor record`, `grant (all records)`, …), in gas. */
  gas: Record<string, Summary>;
  privacyScan: DemoPrivacyScan;
  /** Wall time of the whole run, in seconds. */
  seconds: number;
  /** Why the run stopped before its checks, and what to do; absent when it ran to the end. */
  failure?: { message: string; hint: string };
  deployment?: DemoDeployment;
  throughput?: DemoThroughput;
  chainExport?: DemoChainExport;
}

/** What the steps of the demo write into as they go. */
export interface DemoLog {
  /**
   * Records a check and prints it; `count` is how many things it looked at: 0 makes it a SKIP,
   * never a PASS.
   */
  check(name: string, ok: boolean, detail: string, count?: number): void;
  /** Ends the run early: a failed check, and what to do. */
  stop(name: string, message: string, hint: string): void;
  /** Adds one transaction's gas to operation `op`. */
  gas(op: string, used: bigint): void;
  /** The gas of every transaction so far, per operation, in the order they were sent. */
  readonly gasUsed: Readonly<Record<string, readonly number[]>>;
}

/** A log that writes its checks into `report` (and `report.failure` when the run stops). */
export function createDemoLog(report: DemoReport): DemoLog {
  const gasUsed: Record<string, number[]> = {};
  const check: DemoLog["check"] = (name, ok, detail, count) => {
    const status = !ok ? "fail" : count === 0 ? "skip" : "pass";
    report.checks.push({ name, ok: status !== "fail", status, detail });
    log(`${status.toUpperCase().padEnd(4)}  ${name}: ${detail}`);
  };
  return {
    check,
    stop: (name, message, hint) => {
      check(name, false, message);
      report.failure = { message, hint };
    },
    gas: (op, used) => {
      (gasUsed[op] ??= []).push(Number(used));
    },
    gasUsed,
  };
}
