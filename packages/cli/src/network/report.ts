/**
 * The multi-host scenario's report: named checks with their wall time, printed as a table and
 * written as JSON (`./run network --report FILE`).
 *
 * @module
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

/** One check of the scenario. `skip` only when the machine cannot run it (never counted as a pass). */
export interface NetworkCheck {
  name: string;
  status: "pass" | "fail" | "skip";
  /** Wall time of the check, in seconds. */
  seconds: number;
  /** What was checked and what was found, in one line (no keys, no patient data). */
  detail: string;
}

/** A party of the scenario: its name, its namespace and its address. */
export interface NetworkParty {
  name: string;
  namespace: string;
  address: string;
}

/** The JSON report `./run network` writes. */
export interface NetworkReport {
  /** True when every check passed. */
  ok: boolean;
  /** ISO 8601 time the run started. */
  startedAt: string;
  /** Wall time of the whole run, set-up and clean-up included, in seconds. */
  wallSeconds: number;
  /** The private subnet the parties were given, `10.x.y.0/24`. */
  subnet: string;
  parties: NetworkParty[];
  checks: NetworkCheck[];
  /** Why the scenario stopped early, when a step the rest depends on failed. */
  stoppedAfter?: string;
}

/** Thrown by a check to mark it `skip` with a reason. */
export class SkipCheck extends Error {
  override name = "SkipCheck";
}

/** Collects checks in order; see {@link Checks.run}. */
export class Checks {
  readonly list: NetworkCheck[] = [];
  readonly #log: (line: string) => void;

  constructor(log: (line: string) => void) {
    this.#log = log;
  }

  /**
   * Runs `fn` as check `name`: `pass` with the detail it returns, `fail` with the message it
   * throws ({@link SkipCheck}: `skip`). Returns whether it passed; never throws. Checks may run
   * side by side; each keeps the row it got when it started.
   */
  async run(name: string, fn: () => Promise<string>): Promise<boolean> {
    const started = performance.now();
    // the row is placed when the check starts, so checks run side by side keep their order
    const index = this.list.push({ name, status: "fail", seconds: 0, detail: "did not finish" }) - 1;
    let status: NetworkCheck["status"];
    let detail: string;
    try {
      detail = await fn();
      status = "pass";
    } catch (error) {
      status = error instanceof SkipCheck ? "skip" : "fail";
      detail = error instanceof Error ? error.message : String(error);
    }
    const seconds = round((performance.now() - started) / 1000);
    const check = { name, status, seconds, detail: oneLine(detail) };
    this.list[index] = check;
    this.#log(`network: ${status.padEnd(4)} ${name} (${seconds} s): ${check.detail}`);
    return status === "pass";
  }

  /** Like {@link run}, but throws {@link StepFailed} when the check does not pass, so the scenario stops. */
  async require(name: string, fn: () => Promise<string>): Promise<void> {
    if (!(await this.run(name, fn))) throw new StepFailed(name);
  }
}

/**
 * Runs `entries` side by side as checks that the rest depends on; once all have ended, throws
 * {@link StepFailed} naming the first that did not pass.
 */
export async function requireAll(checks: Checks, entries: [string, () => Promise<string>][]): Promise<void> {
  const passed = await Promise.all(entries.map(([name, fn]) => checks.run(name, fn)));
  const failed = entries.find((_, i) => !passed[i]);
  if (failed) throw new StepFailed(failed[0]);
}

/** A check the rest of the scenario depends on did not pass. */
export class StepFailed extends Error {
  override name = "StepFailed";
  /** The check that failed. */
  readonly step: string;
  constructor(step: string) {
    super(`stopped after "${step}" failed`);
    this.step = step;
  }
}

/** The report as a table: one row per check, then a summary line. */
export function formatReport(report: NetworkReport): string {
  const width = Math.max(5, ...report.checks.map((c) => c.name.length));
  const number = String(report.checks.length).length;
  const lines = [
    `${"#".padStart(number)}  ${"check".padEnd(width)}  result  ${"time".padStart(7)}  detail`,
    ...report.checks.map(
      (c, i) =>
        `${String(i + 1).padStart(number)}  ${c.name.padEnd(width)}  ${c.status.padEnd(6)}  ` +
        `${`${c.seconds.toFixed(1)} s`.padStart(7)}  ${c.detail}`,
    ),
  ];
  const passed = report.checks.filter((c) => c.status === "pass").length;
  const stopped = report.stoppedAfter ? `; ${report.stoppedAfter}` : "";
  lines.push(
    "",
    `Checks: ${passed}/${report.checks.length} passed in ${report.wallSeconds.toFixed(1)} s on ${report.subnet} ` +
      `(${report.parties.map((p) => `${p.name} ${p.address}`).join(", ")})${stopped}.`,
  );
  return lines.join("\n");
}

/** Writes `report` as indented JSON to `file`, making its folder if needed. */
export async function writeReport(file: string, report: NetworkReport): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(report, null, 2) + "\n");
}

/** `n` rounded to a tenth. */
export function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}
