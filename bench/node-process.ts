/**
 * A Meridian node in a process of its own for the network part of the bench (`bench/network.ts`):
 * `meridian node --json` on 127.0.0.1 with any free port, as a hospital runs it, so a "remote"
 * node never shares the reader's event loop. It reads the chain through an HTTP JSON-RPC URL
 * (the bench's embedded chain behind the test kit's proxy).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";

/** A running `meridian node` child process. */
export interface NodeProcess {
  /** Its HTTP base URL. */
  url: string;
  /** Its libp2p addresses with `/p2p/<peer id>`. */
  multiaddrs: string[];
  /** Sends SIGTERM and waits for the process to exit. */
  stop: () => Promise<void>;
}

/** Where {@link spawnNode} runs the node. */
export interface SpawnNodeParameters {
  /** The repository root (for `packages/cli/src/main.ts`). */
  root: string;
  /** The node's folder (`--data-dir`). */
  dataDir: string;
  /** The chain's HTTP JSON-RPC URL (`--rpc-url`). */
  rpcUrl: string;
  /** A deployment file written by `saveDeployment` (`--deployment`). */
  deploymentFile: string;
  /** Bytes each account may add per 24 h (`--quota-bytes`). */
  quotaBytes: number;
}

/**
 * Starts `meridian node --listen 127.0.0.1:0 --repair-interval 0 --json` and resolves with its URL
 * once it prints its JSON line.
 *
 * @throws {Error} when the process exits before printing it (with the end of its stderr).
 */
export function spawnNode({
  root,
  dataDir,
  rpcUrl,
  deploymentFile,
  quotaBytes,
}: SpawnNodeParameters): Promise<NodeProcess> {
  const cli = path.join(root, "packages/cli/src/main.ts");
  const args = [cli, "--data-dir", dataDir, "--rpc-url", rpcUrl, "--deployment", deploymentFile, "node"];
  args.push("--listen", "127.0.0.1:0", "--repair-interval", "0", "--quota-bytes", String(quotaBytes), "--json");
  const child = spawn(process.execPath, ["--no-warnings", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise<NodeProcess>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      const { url, multiaddrs } = JSON.parse(line) as { url: string; multiaddrs: string[] };
      resolve({
        url,
        multiaddrs,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          await exited;
        },
      });
    });
    child.once("exit", (code, signal) =>
      reject(new Error(`meridian node exited (${signal ?? `code ${code}`}) before it started: ${stderr.trim()}`)),
    );
  });
}
