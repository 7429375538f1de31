/**
 * The README's `./run` commands, as written. Every `./run demo` and `./run stack` line of its shell
 * blocks parses (run with `--help` appended: a `--` that swallowed the options made this "too many
 * arguments", or silently ignored them); `./run demo -- --input DIR --data-dir DIR` runs the demo
 * end to end on the project's small fixtures, from another folder with relative paths; and
 * `./run stack -- --port N` on a busy port is refused by name before anything starts.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { writeFixtures } from "./fixtures.ts";
import { freePort, readDemoReport, root } from "./testing/harness.ts";

const RUN = path.join(root, "run");
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "meridian-readme-"));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The `./run …` lines of the README's shell blocks, comments removed. */
async function readmeRunLines(): Promise<string[]> {
  const readme = await readFile(path.join(root, "README.md"), "utf8");
  const lines: string[] = [];
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split("\n"))
      if (line.startsWith("./run")) lines.push(line.replace(/\s+#.*$/, "").trim());
  }
  return lines;
}

/** Runs a README line (`./run …`, split on spaces) with `extra` arguments appended, from `cwd`. */
async function run(
  line: string,
  extra: string[],
  cwd = root,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const [, ...args] = line.split(/\s+/);
  try {
    const { stdout, stderr } = await promisify(execFile)(RUN, [...args, ...extra], {
      cwd,
      env: { ...process.env, INIT_CWD: "" },
      maxBuffer: 64 << 20,
      timeout: 600_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

test("the README documents ./run demo and ./run stack with options after --", async () => {
  const lines = await readmeRunLines();
  for (const expected of [
    "./run demo",
    "./run test",
    "./run stack",
    "./run demo -- --input path/to/bundles",
    "./run demo -- --data-dir /tmp/meridian-demo",
  ]) {
    assert.ok(lines.includes(expected), `README no longer shows \`${expected}\`; update this test with it`);
  }
});

test(
  "every README ./run demo and ./run stack line parses as written (with --help appended)",
  { timeout: 600_000 },
  async () => {
    for (const line of (await readmeRunLines()).filter((l) => /^\.\/run (demo|stack)\b/.test(l))) {
      const r = await run(line, ["--help"]);
      assert.equal(r.code, 0, `${line} --help: ${r.stderr}`);
      assert.match(r.stdout, /^Usage: (meridian demo|stack) \[options\]/m, line);
      assert.doesNotMatch(r.stderr, /too many arguments|unknown option/, line);
    }
  },
);

test(
  "./run demo -- --input DIR --data-dir DIR runs the demo end to end on small fixtures, with paths relative to the caller",
  { timeout: 600_000 },
  async () => {
    await writeFixtures(path.join(dir, "bundles"));
    // the README's line with its placeholder filled in, and a data folder of the test's own
    const r = await run(
      "./run demo -- --input path/to/bundles".replace("path/to/bundles", "bundles"),
      ["--data-dir", "state"],
      dir,
    );
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const checks = /Checks: (\d+)\/(\d+) passed/.exec(r.stdout);
    assert.ok(checks && checks[1] === checks[2], r.stdout);
    const report = await readDemoReport(path.join(dir, "state"));
    assert.equal(report.ok, true);
    assert.equal(report.input, path.join(dir, "bundles"));
  },
);

test(
  "./run stack -- --port N and --chain-port N on a busy port are refused by name before anything starts",
  { timeout: 300_000 },
  async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const free = await freePort();
      const web = await run("./run stack", [
        "--",
        "--port",
        String(port),
        "--chain-port",
        String(free),
        "--no-build",
        "--data-dir",
        path.join(dir, "stack"),
      ]);
      assert.equal(web.code, 1);
      assert.match(web.stderr, new RegExp(`port ${port} is already in use, so the web app cannot listen there`));
      assert.match(web.stderr, /--port <port>/);
      assert.doesNotMatch(web.stdout, /Starting the Hardhat node|Deployed/);
      const chain = await run("./run stack", [
        "--",
        "--chain-port",
        String(port),
        "--port",
        String(free),
        "--no-build",
        "--data-dir",
        path.join(dir, "stack"),
      ]);
      assert.equal(chain.code, 1);
      assert.match(chain.stderr, new RegExp(`port ${port} is already in use, so the Hardhat node cannot listen there`));
      assert.match(chain.stderr, /--chain-port <port>/);
      const ignored = await run("./run stack", ["--", "--port", "not-a-port"]);
      assert.equal(ignored.code, 1);
      assert.match(ignored.stderr, /--port not-a-port is not a TCP port/);
    } finally {
      busy.close();
    }
  },
);
