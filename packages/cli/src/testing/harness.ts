/**
 * Test harness for the `meridian` CLI: a real `hardhat node` on a free loopback port, a temp
 * data folder, and a runner that starts the CLI as a separate process as a dev account.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { mnemonicToAccount } from "viem/accounts";
import { HARDHAT_TEST_MNEMONIC } from "../env.ts";

/** The repository root. */
export const root = path.resolve(import.meta.dirname, "../../../..");
const main = path.join(root, "packages/cli/src/main.ts");
const run = promisify(execFile);

/** Address of Hardhat dev account `i`. */
export const devAddress = (i: number) => mnemonicToAccount(HARDHAT_TEST_MNEMONIC, { addressIndex: i }).address;

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => { const s = createServer().listen(0, "127.0.0.1", () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); }); });
}

/** What a CLI run returned. */
export interface CliResult { code: number; stdout: string; stderr: string }

/** A running `hardhat node`, its data folder, and a CLI runner bound to both. */
export interface CliHarness {
  rpc: string;
  dir: string;
  /** Runs `meridian ...args` as dev account `dev` (none: no account). */
  cli(dev: number | undefined, ...args: string[]): Promise<CliResult>;
  /**
   * Runs `meridian ...args` on this chain with extra environment variables (e.g. `MERIDIAN_MNEMONIC`,
   * `INIT_CWD`) and working directory; `dev` and `dataDir` as for {@link CliHarness.cli}.
   */
  cliWith(options: { dev?: number; env?: Record<string, string>; cwd?: string; dataDir?: string }, ...args: string[]): Promise<CliResult>;
  close(): Promise<void>;
}

/** Starts `hardhat node` on a free port (up to 60 s) and a temp data folder named after `label`. */
export async function startCliHarness(label: string): Promise<CliHarness> {
  const dir = await mkdtemp(path.join(tmpdir(), `meridian-${label}-`));
  const port = await freePort();
  const rpc = `http://127.0.0.1:${port}`;
  const node: ChildProcess = spawn(path.join(root, "node_modules/.bin/hardhat"), ["node", "--port", String(port), "--hostname", "127.0.0.1"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("hardhat node did not start in 60 s")), 60_000);
    node.stdout!.on("data", (d: Buffer) => { if (d.toString().includes("Started HTTP")) { clearTimeout(timer); resolve(); } });
    node.on("exit", (c) => reject(new Error(`hardhat node exited with ${c}`)));
  });
  const cliWith: CliHarness["cliWith"] = async (options, ...args) => {
    const base = ["--rpc-url", rpc, "--data-dir", options.dataDir ?? dir, ...(options.dev === undefined ? [] : ["--dev-account", String(options.dev)])];
    const env = { ...process.env, MERIDIAN_PRIVATE_KEY: "", MERIDIAN_MNEMONIC: "", INIT_CWD: "", ...options.env };
    try {
      const { stdout, stderr } = await run(process.execPath, [main, ...base, ...args], { cwd: options.cwd ?? root, env, maxBuffer: 64 << 20 });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };
  return {
    rpc,
    dir,
    cli: (dev, ...args) => cliWith(dev === undefined ? {} : { dev }, ...args),
    cliWith,
    async close() {
      node.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
