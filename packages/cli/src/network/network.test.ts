/**
 * Issue 16's multi-host test: the chain, a regulator, hospitals A and B, a lab and a patient in
 * their own network namespaces, as separate processes (the scenario `./run network` runs), and the
 * namespace harness itself. Skips with the reason when the machine cannot make namespaces (not
 * root, no iproute2); CI runs as root.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { checkNetnsSupport, createVirtualNetwork, ipBinary, type VirtualHost } from "./netns.ts";
import { formatReport } from "./report.ts";
import { runNetworkScenario } from "./scenario.ts";

const exec = promisify(execFile);
const support = await checkNetnsSupport();
const skip = support.ok ? false : `cannot make network namespaces: ${support.reason}`;

/** A one-line HTTP server in `host` on its address, and a fetch from another host. */
const SERVE = "require('http').createServer((q,r)=>r.end('pong')).listen(8000,process.argv[1],()=>console.log('up'))";
// exits at once: an aborted connect to a cut link would otherwise hold the process for undici's 10 s connect timeout
const FETCH =
  "fetch(process.argv[1],{signal:AbortSignal.timeout(2000)}).then(r=>r.text(),()=>'down')" +
  ".then(t=>{console.log(t);process.exit(0)})";
const fetchFrom = async (host: VirtualHost, url: string) =>
  (await host.run(process.execPath, ["-e", FETCH, url], { timeoutMs: 10_000 })).stdout.trim();

test(
  "a virtual network carries traffic between namespaces, stops it while a link is cut, and leaves nothing behind",
  { skip, timeout: 60_000 },
  async () => {
    const net = await createVirtualNetwork();
    let folder = "";
    try {
      const server = await net.addHost("server");
      const client = await net.addHost("client");
      folder = await net.tempDir("netns-test");
      const serving = server.spawn(process.execPath, ["-e", SERVE, server.address]);
      await serving.waitForLine((l) => l === "up", 10_000);
      const url = `http://${server.address}:8000`;
      assert.equal(await fetchFrom(client, url), "pong");
      assert.equal(
        await fetchFrom(client, "http://127.0.0.1:8000"),
        "down",
        "the server is not on the client's loopback",
      );
      await server.cut();
      assert.equal(await fetchFrom(client, url), "down");
      await server.restore();
      assert.equal(await fetchFrom(client, url), "pong");
      await serving.stop("SIGKILL");
      assert.equal((await serving.exited).signal, "SIGKILL");
    } finally {
      await net.close();
    }
    const ip = ipBinary()!;
    assert.doesNotMatch((await exec(ip, ["netns", "list"])).stdout, new RegExp(`mrn${process.pid}-`));
    assert.doesNotMatch((await exec(ip, ["-o", "link", "show"])).stdout, new RegExp(`mr[bh]${process.pid}`));
    assert.equal(existsSync(folder), false, "the temporary folder is removed");
  },
);

/** A process that opens a network with one host running `sleep`, prints what it made, and waits. */
const OPEN_AND_WAIT = `
const { createVirtualNetwork } = await import(process.argv[1]);
const net = await createVirtualNetwork();
const host = await net.addHost("sleeper");
const folder = await net.tempDir("netns-signal");
const sleeper = host.spawn("sleep", ["60"]);
console.log(JSON.stringify({ pid: sleeper.pid, folder, namespace: host.namespace, bridge: net.bridge }));
setInterval(() => {}, 1000);
`;

test(
  "a Ctrl-C (SIGINT) mid-run kills the hosts' processes and removes every namespace, link and folder",
  {
    skip,
    timeout: 60_000,
  },
  async () => {
    const child = spawn(
      process.execPath,
      ["--input-type=module", "-e", OPEN_AND_WAIT, path.join(import.meta.dirname, "netns.ts")],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once("exit", (_code, signal) => resolve(signal)),
    );
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding("utf8");
      let text = "";
      child.stdout.on("data", (chunk: string) => {
        text += chunk;
        if (text.includes("\n")) resolve(text.split("\n")[0]!);
      });
      child.once("exit", () => reject(new Error("the child exited before opening the network")));
    });
    const made = JSON.parse(line) as { pid: number; folder: string; namespace: string; bridge: string };
    assert.ok(existsSync(made.folder));
    child.kill("SIGINT");
    assert.equal(await exited, "SIGINT", "the signal is raised again after the clean-up");
    const ip = ipBinary()!;
    assert.doesNotMatch((await exec(ip, ["netns", "list"])).stdout, new RegExp(`${made.namespace}\\b`));
    assert.doesNotMatch((await exec(ip, ["-o", "link", "show"])).stdout, new RegExp(`${made.bridge}\\b`));
    assert.equal(existsSync(made.folder), false);
    assert.throws(() => process.kill(made.pid, 0), { code: "ESRCH" }, "the host's process is gone");
  },
);

test(
  "records pinned on two hospital nodes survive one node's loss, are repaired, and stay readable across a cut link",
  { skip, timeout: 600_000 },
  async () => {
    const report = await runNetworkScenario({});
    const failed = report.checks.filter((c) => c.status !== "pass");
    assert.deepEqual(failed, [], formatReport(report));
    assert.ok(report.ok);
    assert.ok(report.checks.length >= 15, `${report.checks.length} checks ran`);
  },
);
