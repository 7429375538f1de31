/**
 * Test harness for the `meridian` CLI: the test kit's real `hardhat node` on a free loopback
 * port, a temp data folder, and a runner that starts the CLI as a separate process as a dev account.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { createTempDir, REPOSITORY_ROOT, startHardhatNode, testAccount, type HardhatNode } from "@meridian/sdk/testing";

export { freePort } from "@meridian/sdk/testing";

/** The repository root. */
export const root = REPOSITORY_ROOT;
const main = path.join(root, "packages/cli/src/main.ts");
const run = promisify(execFile);

/** Address of Hardhat dev account `i`. */
export const devAddress = (i: number) => testAccount(i).address;

/** What a CLI run returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A running `hardhat node`, its data folder, and a CLI runner bound to both. */
export interface CliHarness {
  rpc: string;
  dir: string;
  /** The chain the CLI runs on, with viem clients for setup done in the test's own process. */
  node: HardhatNode;
  /** Runs `meridian ...args` as dev account `dev` (none: no account). */
  cli(dev: number | undefined, ...args: string[]): Promise<CliResult>;
  /**
   * Runs `meridian ...args` on this chain with extra environment variables (e.g. `MERIDIAN_MNEMONIC`,
   * `INIT_CWD`) and working directory; `dev` and `dataDir` as for {@link CliHarness.cli}.
   */
  cliWith(
    options: { dev?: number; env?: Record<string, string>; cwd?: string; dataDir?: string },
    ...args: string[]
  ): Promise<CliResult>;
  close(): Promise<void>;
}

/** Starts `hardhat node` on a free port (up to 60 s) and a temp data folder named after `label`. */
export async function startCliHarness(label: string): Promise<CliHarness> {
  const dir = await createTempDir(label);
  let node: HardhatNode;
  try {
    node = await startHardhatNode();
  } catch (error) {
    await dir.remove();
    throw error;
  }
  const rpc = node.url;
  const cliWith: CliHarness["cliWith"] = async (options, ...args) => {
    const base = [
      "--rpc-url",
      rpc,
      "--data-dir",
      options.dataDir ?? dir.path,
      ...(options.dev === undefined ? [] : ["--dev-account", String(options.dev)]),
    ];
    const env = { ...process.env, MERIDIAN_PRIVATE_KEY: "", MERIDIAN_MNEMONIC: "", INIT_CWD: "", ...options.env };
    try {
      const { stdout, stderr } = await run(process.execPath, [main, ...base, ...args], {
        cwd: options.cwd ?? root,
        env,
        maxBuffer: 64 << 20,
      });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };
  return {
    rpc,
    dir: dir.path,
    node,
    cli: (dev, ...args) => cliWith(dev === undefined ? {} : { dev }, ...args),
    cliWith,
    async close() {
      await node.close();
      await dir.remove();
    },
  };
}

/**
 * The parts of the demo's `<data-dir>/report.json` that tests read. The demo always writes
 * these fields; `failure` only when the run stopped before its checks.
 */
export interface DemoReportFile {
  ok: boolean;
  /** The `--input` folder, absolute. */
  input: string;
  checks: { name: string; status: "pass" | "fail" | "skip" }[];
  failure?: { message: string; hint: string };
  roundTrip: { read: number; identical: number };
  /** Gas per operation name. */
  gas: Record<string, { median: number }>;
  privacyScan: { hits: number };
}

/** Reads the report the demo wrote to `<dataDir>/report.json`. */
export async function readDemoReport(dataDir: string): Promise<DemoReportFile> {
  return JSON.parse(await readFile(path.join(dataDir, "report.json"), "utf8")) as DemoReportFile;
}
