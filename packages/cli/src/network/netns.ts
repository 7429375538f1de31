/**
 * Several hosts on one machine, for the multi-host scenario (`./run network`) and its test: each
 * party gets its own Linux network namespace (`ip netns`), joined to the others by a veth pair
 * whose host end sits on a bridge in the root namespace, with its own address in a private
 * `10.x.y.0/24` subnet. The root namespace gets no address on the bridge, so the parties reach
 * only each other (and their own loopback), never the machine's real network.
 *
 * Names and the subnet are derived from the process id, so parallel runs do not collide:
 * bridge `mrb<pid>`, namespaces `mrn<pid>-<i>`, host-side links `mrh<pid>-<i>` (Linux allows
 * 15 characters in a link name). Everything made, temporary folders too, is removed by
 * {@link VirtualNetwork.close}, by a SIGINT/SIGTERM/SIGHUP handler while the network is open (the
 * signal is raised again after the clean-up), and, for whatever is left when the process exits,
 * synchronously on `exit`.
 *
 * Needs root (`CAP_NET_ADMIN` and `CAP_SYS_ADMIN`) and iproute2's `ip`; {@link checkNetnsSupport}
 * says whether they are there.
 *
 * @module
 */
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** Where iproute2's `ip` is looked for, in order (Debian puts it in /usr/sbin, off a user's PATH). */
const IP_CANDIDATES = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"];

/** The `ip` binary, or `undefined` when iproute2 is not installed. */
export function ipBinary(): string | undefined {
  return IP_CANDIDATES.find((p) => existsSync(p));
}

/** Whether this machine can make network namespaces: `ok`, or why not (one sentence). */
export type NetnsSupport = { ok: true } | { ok: false; reason: string };

/**
 * Checks that the process runs as root and can really create (and delete) a network namespace.
 * Never throws.
 */
export async function checkNetnsSupport(): Promise<NetnsSupport> {
  if (process.platform !== "linux") return { ok: false, reason: `network namespaces need Linux (${process.platform})` };
  if (process.getuid?.() !== 0) {
    return { ok: false, reason: "network namespaces need root (run as root, as CI does)" };
  }
  const ip = ipBinary();
  if (ip === undefined) return { ok: false, reason: "iproute2's `ip` is not installed (apt-get install iproute2)" };
  const probe = `mrp${process.pid}`;
  try {
    await exec(ip, ["netns", "add", probe]);
  } catch (error) {
    return { ok: false, reason: `\`ip netns add\` failed: ${firstLine(error)}` };
  }
  await exec(ip, ["netns", "del", probe]).catch(() => undefined);
  return { ok: true };
}

/** What a finished command returned. */
export interface CommandResult {
  /** Exit status; `null` when a signal ended it (`signal` names it). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time, in seconds. */
  seconds: number;
}

/** A long-running process inside a host's namespace (see {@link VirtualHost.spawn}). */
export interface HostProcess {
  /** Its process id (the `ip netns exec` process becomes the command itself). */
  pid: number;
  /** Resolves with its status once it has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Its stdout and stderr so far (the last 64 KiB of each). */
  output(): { stdout: string; stderr: string };
  /** Resolves with the first stdout line `match` accepts; rejects when it exits first or after `timeoutMs`. */
  waitForLine(match: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** Sends `signal` (default SIGTERM) to its process group and waits, up to 5 s, then SIGKILLs it. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Options for a command run on a host. */
export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the command (SIGKILL) after this many milliseconds (default 120 s). */
  timeoutMs?: number;
}

/** One party: a network namespace with one address. */
export interface VirtualHost {
  /** The party's name in the scenario (`chain`, `hospital-a`, …). */
  name: string;
  /** The namespace (`mrn<pid>-<i>`). */
  namespace: string;
  /** Its IPv4 address, e.g. `10.97.12.3`. */
  address: string;
  /** The host end of its veth pair on the bridge; setting it down cuts the party off. */
  hostLink: string;
  /** Runs `command args` inside the namespace until it exits (refused once the network is closing). */
  run(command: string, args: string[], options?: RunOptions): Promise<CommandResult>;
  /**
   * Starts `command args` inside the namespace in its own process group (so a Ctrl-C reaches only
   * this process, which then cleans up); stopped by `close()` at the latest. Refused once closing.
   */
  spawn(command: string, args: string[], options?: Omit<RunOptions, "timeoutMs">): HostProcess;
  /** Cuts the party's link (`ip link set <hostLink> down`): its packets go nowhere until {@link restore}. */
  cut(): Promise<void>;
  /** Brings the link back up. */
  restore(): Promise<void>;
}

/** A bridge and the hosts on it; see the module's description. */
export interface VirtualNetwork {
  /** The bridge's name (`mrb<pid>`). */
  bridge: string;
  /** The subnet, `10.x.y.0/24`. */
  subnet: string;
  hosts: VirtualHost[];
  /** Adds a host with the next free address (`.1`, `.2`, …). */
  addHost(name: string): Promise<VirtualHost>;
  /** Makes a temporary folder `meridian-<label>-XXXXXX` that {@link close} removes (after the processes end). */
  tempDir(label: string): Promise<string>;
  /** Kills every process started here, deletes the namespaces, links, bridge and temporary folders. Idempotent. */
  close(): Promise<void>;
}

/** A `10.x.y.0/24` subnet chosen by `seed` (a process id), avoiding 10.0.0.0/16 and 10.255.0.0/16. */
export function subnetFor(seed: number): { prefix: string; subnet: string } {
  const n = seed % (254 * 256);
  const x = 1 + Math.floor(n / 256);
  const y = n % 256;
  return { prefix: `10.${x}.${y}`, subnet: `10.${x}.${y}.0/24` };
}

/**
 * Makes the bridge of a new virtual network (no hosts yet).
 *
 * @throws {Error} when `ip` is missing or refuses (not root): call {@link checkNetnsSupport} first.
 */
export async function createVirtualNetwork(p: { seed?: number } = {}): Promise<VirtualNetwork> {
  const ip = ipBinary();
  if (ip === undefined) throw new Error("iproute2's `ip` is not installed");
  const id = p.seed ?? process.pid;
  const bridge = `mrb${id}`;
  const { prefix, subnet } = subnetFor(id);
  const namespaces: string[] = [];
  const links: string[] = [];
  const processes = new Set<ChildProcess>();
  const folders: string[] = [];
  let closed = false;

  const ipRun = async (...args: string[]) => {
    try {
      await exec(ip, args);
    } catch (error) {
      throw new Error(`ip ${args.join(" ")} failed: ${firstLine(error)}`, { cause: error });
    }
  };

  /** The synchronous last resort, for `exit` (no promises run there). */
  const cleanupSync = () => {
    for (const child of processes) killGroup(child, "SIGKILL");
    processes.clear();
    for (const ns of namespaces.splice(0)) tryExecSync(ip, ["netns", "del", ns]);
    for (const link of links.splice(0)) tryExecSync(ip, ["link", "del", link]);
    tryExecSync(ip, ["link", "del", bridge]);
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    void network.close().finally(() => {
      process.kill(process.pid, signal);
    });
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

  const network: VirtualNetwork = {
    bridge,
    subnet,
    hosts: [],
    async addHost(name) {
      if (closed) throw new Error("the virtual network is closed");
      const index = network.hosts.length + 1;
      if (index > 250) throw new Error("at most 250 hosts per virtual network");
      const namespace = `mrn${id}-${index}`;
      const hostLink = `mrh${id}-${index}`;
      const peerLink = `mrp${id}-${index}`;
      const address = `${prefix}.${index}`;
      namespaces.push(namespace);
      await ipRun("netns", "add", namespace);
      links.push(hostLink);
      await ipRun("link", "add", hostLink, "type", "veth", "peer", "name", peerLink);
      await ipRun("link", "set", peerLink, "netns", namespace);
      await ipRun("link", "set", hostLink, "master", bridge, "up");
      await ipRun("-n", namespace, "addr", "add", `${address}/24`, "dev", peerLink);
      await ipRun("-n", namespace, "link", "set", peerLink, "up");
      await ipRun("-n", namespace, "link", "set", "lo", "up");
      const host = makeHost({ ip, name, namespace, address, hostLink, processes, ipRun, isClosed: () => closed });
      network.hosts.push(host);
      return host;
    },
    async tempDir(label) {
      if (closed) throw new Error("the virtual network is closed");
      const folder = await mkdtemp(path.join(tmpdir(), `meridian-${label}-`));
      folders.push(folder);
      return folder;
    },
    close() {
      // one clean-up, however many callers (a signal and the scenario's `finally` both close)
      closing ??= closeOnce();
      return closing;
    },
  };

  let closing: Promise<void> | undefined;
  const closeOnce = async () => {
    closed = true;
    for (const s of signals) process.off(s, onSignal);
    process.off("exit", cleanupSync);
    await Promise.all([...processes].map((child) => stopChild(child, "SIGKILL")));
    processes.clear();
    for (const ns of namespaces.splice(0)) await exec(ip, ["netns", "del", ns]).catch(() => undefined);
    for (const link of links.splice(0)) await exec(ip, ["link", "del", link]).catch(() => undefined);
    await exec(ip, ["link", "del", bridge]).catch(() => undefined);
    for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
  };

  for (const s of signals) process.once(s, onSignal);
  process.once("exit", cleanupSync);
  try {
    await ipRun("link", "add", bridge, "type", "bridge");
    await ipRun("link", "set", bridge, "up");
  } catch (error) {
    await network.close();
    throw error;
  }
  return network;
}

function makeHost(p: {
  ip: string;
  name: string;
  namespace: string;
  address: string;
  hostLink: string;
  processes: Set<ChildProcess>;
  ipRun: (...args: string[]) => Promise<void>;
  isClosed: () => boolean;
}): VirtualHost {
  const { ip, namespace, processes } = p;
  return {
    name: p.name,
    namespace,
    address: p.address,
    hostLink: p.hostLink,
    run(command, args, options = {}) {
      if (p.isClosed()) return Promise.reject(new Error(`the virtual network is closed; ${command} not run`));
      const started = performance.now();
      const child = spawn(ip, ["netns", "exec", namespace, command, ...args], {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      processes.add(child);
      const stdout = collect(child.stdout);
      const stderr = collect(child.stderr);
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), options.timeoutMs ?? 120_000);
      return new Promise<CommandResult>((resolve, reject) => {
        child.once("error", (error) => {
          clearTimeout(timer);
          processes.delete(child);
          reject(error);
        });
        child.once("close", (code, signal) => {
          clearTimeout(timer);
          processes.delete(child);
          const seconds = (performance.now() - started) / 1000;
          resolve({ code, signal, stdout: stdout.text(), stderr: stderr.text(), seconds });
        });
      });
    },
    spawn(command, args, options = {}) {
      if (p.isClosed()) throw new Error(`the virtual network is closed; ${command} not started`);
      const child = spawn(ip, ["netns", "exec", namespace, command, ...args], {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      processes.add(child);
      const stdout = collect(child.stdout);
      const stderr = collect(child.stderr);
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        child.once("close", (code, signal) => {
          processes.delete(child);
          resolve({ code, signal });
        });
      });
      child.once("error", () => undefined);
      return {
        pid: child.pid ?? -1,
        exited,
        output: () => ({ stdout: stdout.text(), stderr: stderr.text() }),
        waitForLine: (match, timeoutMs) => waitForLine(child, stdout, exited, match, timeoutMs),
        stop: (signal = "SIGTERM") => stopChild(child, signal),
      };
    },
    cut: () => p.ipRun("link", "set", p.hostLink, "down"),
    restore: () => p.ipRun("link", "set", p.hostLink, "up"),
  };
}

/** Keeps the last 64 KiB a stream wrote, and hands each complete line to the listeners. */
function collect(stream: NodeJS.ReadableStream | null): {
  text(): string;
  onLine(listener: (line: string) => void): () => void;
} {
  const limit = 64 << 10;
  let text = "";
  let partial = "";
  const listeners = new Set<(line: string) => void>();
  stream?.setEncoding("utf8");
  stream?.on("data", (chunk: string) => {
    text = (text + chunk).slice(-limit);
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) for (const l of listeners) l(line);
  });
  return {
    text: () => text,
    onLine(listener) {
      listeners.add(listener);
      for (const line of text.split("\n").slice(0, -1)) listener(line);
      return () => listeners.delete(listener);
    },
  };
}

function waitForLine(
  child: ChildProcess,
  stdout: ReturnType<typeof collect>,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  match: (line: string) => boolean,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      off();
      f();
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`no matching line from pid ${child.pid} in ${timeoutMs} ms`))),
      timeoutMs,
    );
    const off = stdout.onLine((line) => {
      if (match(line)) finish(() => resolve(line));
    });
    void exited.then(({ code, signal }) =>
      finish(() => reject(new Error(`pid ${child.pid} exited (${signal ?? code}) before printing the line`))),
    );
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  killGroup(child, signal);
  if (signal === "SIGKILL") {
    await closed;
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), 5_000);
  });
  if ((await Promise.race([closed, late])) === "late") {
    killGroup(child, "SIGKILL");
    await closed;
  }
  clearTimeout(timer);
}

function tryExecSync(file: string, args: string[]): void {
  try {
    execFileSync(file, args, { stdio: "ignore" });
  } catch {
    // already gone
  }
}

function firstLine(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  return (e.stderr?.trim() || e.message || String(error)).split("\n")[0]!;
}
