/**
 * The scenario's parties as processes in their namespaces: the chain (`hardhat node` bound to its
 * namespace address), the `meridian` CLI run as one party's account, and a `meridian node`.
 *
 * @module
 */
import { realpathSync } from "node:fs";
import path from "node:path";
import { devAccount, LOCAL_CHAIN_ID } from "../env.ts";
import type { CommandResult, HostProcess, VirtualHost } from "./netns.ts";

/**
 * The repository root. (Not the test kit's `REPOSITORY_ROOT`: importing `@meridian/sdk/testing`
 * starts Hardhat's runtime, which `./run network` does not need in its own process.)
 */
export const REPOSITORY_ROOT = path.resolve(import.meta.dirname, "../../../..");

/** The `meridian` entry point every party runs. */
export const CLI_MAIN = path.join(REPOSITORY_ROOT, "packages/cli/src/main.ts");
/** The JSON-RPC port of the chain inside its namespace. */
export const CHAIN_PORT = 8545;
/** The HTTP port of a `meridian node` inside its namespace. */
export const NODE_PORT = 8080;
/** The libp2p TCP port of a `meridian node` inside its namespace. */
export const P2P_PORT = 4001;

/** The environment every party's process gets: no account or node settings inherited from the caller. */
export function partyEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, INIT_CWD: "" };
  for (const key of Object.keys(env)) if (key.startsWith("MERIDIAN_")) delete env[key];
  return env;
}

/** A running chain in its namespace. */
export interface ChainParty {
  host: VirtualHost;
  /** `http://<address>:8545`. */
  rpcUrl: string;
  process: HostProcess;
}

/** Starts `hardhat node` inside `host`'s namespace on its address (not loopback); waits until it serves. */
export async function startChain(host: VirtualHost, timeoutMs = 60_000): Promise<ChainParty> {
  const hardhat = realpathSync(path.join(REPOSITORY_ROOT, "node_modules/.bin/hardhat"));
  const child = host.spawn(
    process.execPath,
    [hardhat, "node", "--hostname", host.address, "--port", String(CHAIN_PORT)],
    { cwd: REPOSITORY_ROOT, env: partyEnvironment() },
  );
  try {
    await child.waitForLine((line) => line.includes("Started HTTP"), timeoutMs);
  } catch (error) {
    await child.stop("SIGKILL");
    throw new Error(`hardhat node did not start: ${(error as Error).message}; ${child.output().stderr.slice(-500)}`);
  }
  return { host, rpcUrl: `http://${host.address}:${CHAIN_PORT}`, process: child };
}

/** One party that runs the `meridian` CLI as a Hardhat development account. */
export interface CliParty {
  host: VirtualHost;
  /** Its Hardhat development account index. */
  dev: number;
  /** Its address. */
  address: `0x${string}`;
  /** Its data folder (`--data-dir`). */
  dataDir: string;
  /** Runs `meridian ...args` in its namespace with its account, data folder, the chain and the deployment. */
  cli(args: string[], options?: { dataDir?: string; global?: string[]; timeoutMs?: number }): Promise<CommandResult>;
  /** Starts `meridian ...args` as a long-running process (the node) with the same options as {@link cli}. */
  spawnCli(args: string[], options?: { dataDir?: string; global?: string[] }): HostProcess;
}

/** A CLI party on `host` as development account `dev`, using the chain at `rpcUrl` and the shared `deployment` file. */
export function cliParty(p: {
  host: VirtualHost;
  dev: number;
  dataDir: string;
  rpcUrl: string;
  deployment: string;
}): CliParty {
  const base = (o: { dataDir?: string; global?: string[] }) => [
    CLI_MAIN,
    "--rpc-url",
    p.rpcUrl,
    "--deployment",
    p.deployment,
    "--data-dir",
    o.dataDir ?? p.dataDir,
    "--dev-account",
    String(p.dev),
    ...(o.global ?? []),
  ];
  return {
    host: p.host,
    dev: p.dev,
    address: devAccount(p.dev, LOCAL_CHAIN_ID).address,
    dataDir: p.dataDir,
    cli: (args, o = {}) =>
      p.host.run(process.execPath, [...base(o), ...args], {
        cwd: REPOSITORY_ROOT,
        env: partyEnvironment(),
        timeoutMs: o.timeoutMs ?? 120_000,
      }),
    spawnCli: (args, o = {}) =>
      p.host.spawn(process.execPath, [...base(o), ...args], { cwd: REPOSITORY_ROOT, env: partyEnvironment() }),
  };
}

/** A running `meridian node`. */
export interface NodeParty {
  /** The URL it serves its HTTP API on, `http://<address>:8080`. */
  url: string;
  peerId: string;
  multiaddrs: string[];
  process: HostProcess;
}

/**
 * Starts `meridian node` for `party` on its namespace address (HTTP on {@link NODE_PORT}, libp2p on
 * {@link P2P_PORT}) with `extra` options, and waits for the JSON line it prints once it serves.
 */
export async function startNode(party: CliParty, extra: string[] = [], timeoutMs = 60_000): Promise<NodeParty> {
  const { address } = party.host;
  const url = `http://${address}:${NODE_PORT}`;
  const child = party.spawnCli([
    "node",
    "--listen",
    `${address}:${NODE_PORT}`,
    "--p2p-listen",
    `/ip4/${address}/tcp/${P2P_PORT}`,
    "--announce",
    url,
    "--json",
    ...extra,
  ]);
  let line: string;
  try {
    line = await child.waitForLine((l) => l.trimStart().startsWith("{"), timeoutMs);
  } catch (error) {
    await child.stop("SIGKILL");
    const { stdout, stderr } = child.output();
    throw new Error(`meridian node did not start: ${(error as Error).message}; ${(stderr || stdout).slice(-600)}`);
  }
  const info = JSON.parse(line) as { url?: string; peerId?: string; multiaddrs?: string[] };
  return { url: info.url ?? url, peerId: info.peerId ?? "", multiaddrs: info.multiaddrs ?? [], process: child };
}

/** Throws with the command's last stderr lines unless it exited with status 0; returns its stdout. */
export function expectSuccess(what: string, r: CommandResult): string {
  if (r.code === 0) return r.stdout;
  const why = r.signal ? `was killed (${r.signal}) after ${r.seconds.toFixed(1)} s` : `exited with ${r.code}`;
  throw new Error(`${what} ${why}: ${tail(r.stderr || r.stdout)}`);
}

/** The last `lines` non-empty lines of `text`, joined by " | ". */
export function tail(text: string, lines = 4): string {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-lines)
    .join(" | ");
}
