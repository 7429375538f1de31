/**
 * The ECG roles as separate processes (`meridian ecg fog`, `meridian ecg run --processes`) on a
 * real chain (Hardhat/EDR), Helia on disk, an aedes broker, real signatures and the committed CNN,
 * on a shared MIT-BIH record:
 *
 * - the fog relay, a process of its own, is killed with SIGKILL mid-stream at the worst moment
 *   (a window written to its queue but not yet acknowledged to the broker) and restarted: the
 *   broker redelivers what it had not acknowledged and what arrived while it was dead, and every
 *   window the device sent is anchored exactly once, in order, as the chain shows;
 * - `meridian ecg run --processes` runs the four roles as processes and cleans up after itself;
 * - the role commands refuse bad options with plain errors and never print a key.
 */
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { chmod, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import type { Bundle } from "@medplum/fhirtypes";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { MeridianClient } from "@meridian/sdk";
import { listSessionRecords } from "@meridian/sdk/chain";
import { MITDB_DIR, MITDB_MISSING, mitdbPresent, readWfdbRecord } from "@meridian/ecg/wfdb";
import { QrsDetector } from "@meridian/ecg";
import type { WfdbRecord } from "@meridian/ecg/wfdb";
import { WINDOW_ID_SYSTEM, cnnClassifier, deviceScreen, enrolMonitoring, monitoringDomain } from "@meridian/monitoring";
import { runDevice, startEdge, startMedicalServer, startBroker } from "@meridian/monitoring";
import type { MonitoringEvent, EmbeddedBroker } from "@meridian/monitoring";
import { startTestNetwork, testAccount as devAccount, type TestNetwork } from "@meridian/sdk/testing";
import { saveDeployment } from "./env.ts";

const root = path.resolve(import.meta.dirname, "../../..");
const MAIN = path.join(root, "packages/cli/src/main.ts");
const FREEZE = pathToFileURL(path.join(import.meta.dirname, "testing/freeze-fog-after-write.ts")).href;

const until = async <T>(get: () => T | undefined | false, what: string, ms = 60_000): Promise<T> => {
  const t0 = Date.now();
  for (;;) {
    const value = get();
    if (value) return value;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** A JSON log line of a role process: a monitoring event, or the test hook's "frozen" line. */
type RoleEvent = MonitoringEvent | { role: "fog"; event: "frozen"; seq: number; digest: Hex };

/** A `meridian` child process whose JSON log lines are collected as events. */
function meridian(args: string[], o: { node?: string[]; env?: Record<string, string> } = {}) {
  const child: ChildProcess = spawn(process.execPath, [...(o.node ?? []), MAIN, ...args], {
    cwd: root,
    env: { ...process.env, MERIDIAN_PRIVATE_KEY: "", MERIDIAN_MNEMONIC: "", MERIDIAN_DEVICE_KEY: "", ...o.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const events: RoleEvent[] = [];
  const lines: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => {
    lines.push(line);
    try {
      events.push(JSON.parse(line) as RoleEvent);
    } catch {
      /* not an event */
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    events,
    lines,
    exited,
    of: (event: string) => events.filter((e) => e.event === event) as (MonitoringEvent & Record<string, unknown>)[],
  };
}

describe("ECG roles as processes", { skip: mitdbPresent() ? false : MITDB_MISSING }, () => {
  let net: TestNetwork;
  let broker: EmbeddedBroker;
  let hospital: MeridianClient;
  let deploymentFile: string;
  let record: WfdbRecord;

  before(async () => {
    net = await startTestNetwork({ label: "ecg-roles" });
    hospital = await net.admitProvider(devAccount(2), { name: "St Mary's", department: "Cardiology" });
    deploymentFile = path.join(net.dir, "deployment.json");
    await saveDeployment(deploymentFile, hospital.ctx.deployment);
    broker = await startBroker();
    record = await readWfdbRecord(MITDB_DIR, "208");
  });

  after(async () => {
    await broker?.close();
    await net?.close();
  });

  test(
    "the fog relay as a process, SIGKILLed mid-stream after queueing a window and before acknowledging it, then restarted: every window the device sent is anchored exactly once, in order",
    { timeout: 120_000 },
    async (t) => {
      const patient = net.client(devAccount(5));
      await patient.registerAsPatient();
      const fogKey = generatePrivateKey();
      const kit = {
        sensor: privateKeyToAccount(generatePrivateKey()),
        edge: privateKeyToAccount(generatePrivateKey()),
        fog: privateKeyToAccount(fogKey),
      };
      await enrolMonitoring({ patient, provider: hospital, kit });
      const domain = monitoringDomain(hospital);
      const keyFile = path.join(net.dir, "fog.key");
      await writeFile(keyFile, `${fogKey}\n`, { mode: 0o600 });
      const queueFile = path.join(net.dir, "fog-queue.sqlite");

      const events: MonitoringEvent[] = [];
      const server = await startMedicalServer({
        client: hospital,
        stateFile: path.join(net.dir, "medical-server.sqlite"),
        onEvent: (e) => events.push(e),
      });
      const edge = await startEdge({
        account: kit.edge,
        domain,
        mqttUrl: broker.url,
        classifier: await cnnClassifier(),
        onEvent: (e) => events.push(e),
      });
      const fogArgs = [
        "--deployment",
        deploymentFile,
        "--key-file",
        keyFile,
        "ecg",
        "fog",
        "--mqtt-url",
        broker.url,
        "--server-url",
        server.url,
        "--queue",
        queueFile,
        "--min-retry-ms",
        "50",
        "--max-retry-ms",
        "500",
        "--log-format",
        "json",
      ];
      let fog = meridian(fogArgs, { node: ["--import", FREEZE], env: { MERIDIAN_TEST_FREEZE_AFTER_WRITES: "4" } });
      try {
        await until(() => fog.of("ready").length, "the first fog process");
        // two minutes of record 208 in 5-s windows at 25x real time: a window every 200 ms
        const streaming = runDevice({
          account: kit.sensor,
          domain,
          mqttUrl: broker.url,
          patient: patient.address,
          record,
          windowSeconds: 5,
          speed: 25,
          endSample: 360 * 120,
          detector: new QrsDetector({ samplingFrequency: 360 }),
          screen: deviceScreen,
          onEvent: (e) => events.push(e),
        });
        // the relay has written window 4 to its queue and not acknowledged it: kill it there
        const frozen = (await until(() => fog.of("frozen")[0], "the fog to queue its 4th window")) as unknown as {
          seq: number;
          digest: Hex;
        };
        assert.equal(frozen.seq, 4);
        fog.child.kill("SIGKILL");
        assert.equal((await fog.exited).signal, "SIGKILL");
        const onDisk = new DatabaseSync(queueFile, { readOnly: true });
        assert.deepEqual(
          { ...onDisk.prepare("SELECT id FROM messages WHERE seq = 4").get() },
          { id: frozen.digest },
          "window 4 is on disk",
        );
        onDisk.close();
        const sentBeforeKill = events.filter((e) => e.event === "sent").length;
        assert.ok(
          sentBeforeKill < 24,
          `the device was still streaming when the relay died (${sentBeforeKill} of 24 sent)`,
        );

        // the device streams on while the relay is dead; the broker keeps the relay's session
        const { sent } = await streaming;
        assert.equal(sent, 24);
        type Sent = Extract<MonitoringEvent, { event: "sent" }>;
        const sentDigests = events
          .filter((e): e is Sent => e.role === "device" && e.event === "sent")
          .map((e) => e.digest);

        // a new relay process on the same queue and key
        fog = meridian(fogArgs);
        type Anchored = Extract<MonitoringEvent, { role: "server"; event: "anchored" }>;
        const anchored = () => events.filter((e): e is Anchored => e.role === "server" && e.event === "anchored");
        await until(() => anchored().length >= 24, "all 24 windows anchored");
        await new Promise((r) => setTimeout(r, 300)); // nothing more may come

        // the broker redelivered the window the dead relay had queued but not acknowledged (a duplicate
        // for the queue) and everything after it; the queue holds each window once
        const duplicates = fog.of("duplicate").map((e) => e.digest);
        assert.ok(duplicates.includes(frozen.digest), "the unacknowledged window came again");
        assert.ok(
          duplicates.every((d) => sentDigests.slice(0, 4).includes(d as Hex)),
          "only windows the first relay had queued are duplicates",
        );
        assert.deepEqual(
          fog.of("queued").map((e) => e.digest),
          sentDigests.slice(4),
          "the restarted relay queued the rest, in order",
        );

        // exactly once, in order: the server's anchors, the chain's session records, and the records' contents
        assert.deepEqual(
          anchored().map((a) => a.digest),
          sentDigests,
        );
        assert.deepEqual(
          anchored().map((a) => a.sequence),
          Array.from({ length: 24 }, (_, i) => i + 1),
        );
        assert.deepEqual(
          server.server.anchoredWindows().map((w) => w.digest),
          sentDigests,
        );
        const onChain = await listSessionRecords(hospital.ctx, server.server.sessionOf(patient.address)!);
        assert.deepEqual(
          onChain.map((l) => l.recordId),
          anchored().map((a) => a.recordId),
          "linked to the session once each, in order",
        );
        for (const [i, link] of onChain.entries()) {
          const bundle = JSON.parse(
            new TextDecoder().decode((await hospital.readRecord(link.recordId)).plaintext),
          ) as Bundle;
          assert.equal(bundle.identifier?.system, WINDOW_ID_SYSTEM);
          assert.equal(bundle.identifier?.value, sentDigests[i], `record ${i + 1} holds window ${i + 1}`);
        }
        const stats = new DatabaseSync(queueFile, { readOnly: true })
          .prepare("SELECT state, COUNT(*) AS n FROM messages GROUP BY state")
          .all();
        assert.deepEqual(
          stats.map((r) => ({ ...r })),
          [{ state: "delivered", n: 24 }],
        );

        t.diagnostic(
          `relay killed after ${sentBeforeKill} of 24 windows sent; after its restart ${duplicates.length} redelivered duplicate(s), ${fog.of("queued").length} queued, ${fog.of("delivered").filter((e) => e.duplicate).length} answered as duplicate by the server`,
        );

        // SIGTERM stops the relay cleanly
        fog.child.kill("SIGTERM");
        assert.equal((await fog.exited).code, 0);
        assert.equal(fog.of("stopped").length, 1);
        assert.ok(!fog.lines.some((l) => l.includes(fogKey.slice(2))), "the key is never logged");
      } finally {
        fog.child.kill("SIGKILL");
        await edge.close();
        await server.close();
      }
    },
  );

  test(
    "meridian ecg run --processes: the four roles as processes, every window anchored, no child left behind",
    { timeout: 120_000 },
    async () => {
      const dataDir = path.join(net.dir, "run-processes");
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [MAIN, "--data-dir", dataDir, "ecg", "run", "--processes", "--seconds", "60"],
        { cwd: root, maxBuffer: 16 << 20 },
      );
      assert.match(stderr, /Record 208: 6 windows \(60 s of ECG\) sent, 6 anchored, 0 refused/);
      assert.match(stderr, /session 0x[0-9a-f]{64} with 6 records/);
      assert.doesNotMatch(stdout + stderr, /ExperimentalWarning/);
      const report = JSON.parse(await readFile(path.join(dataDir, "report.json"), "utf8")) as {
        processes: { role: string; pid: number }[];
      };
      assert.deepEqual(
        report.processes.map((p) => p.role),
        ["server", "fog", "edge", "device"],
      );
      for (const p of report.processes)
        assert.throws(() => process.kill(p.pid, 0), { code: "ESRCH" }, `the ${p.role} process is gone`);
      for (const role of ["server", "fog", "edge"])
        assert.match(
          await readFile(path.join(dataDir, "logs", `${role}.log`), "utf8"),
          /"event":"stopped"/,
          `the ${role} stopped cleanly`,
        );
    },
  );

  test(
    "the role commands refuse bad options with plain errors and never print a key",
    { timeout: 60_000 },
    async () => {
      const key = generatePrivateKey();
      const keyFile = path.join(net.dir, "open.key");
      await writeFile(keyFile, key);
      await chmod(keyFile, 0o644);
      const run = async (args: string[], env: Record<string, string> = {}) => {
        const p = meridian(["--deployment", deploymentFile, ...args], { env });
        const { code } = await p.exited;
        await new Promise((r) => setImmediate(r));
        return { code, text: p.lines.join("\n") };
      };
      const open = await run(["--key-file", keyFile, "ecg", "fog"]);
      assert.equal(open.code, 1);
      assert.match(open.text, /The key file .* is open to other users \(mode 0644\)[\s\S]*chmod 600/);
      const noKey = await run(["ecg", "edge"]);
      assert.match(noKey.text, /No device key configured[\s\S]*MERIDIAN_DEVICE_KEY/);
      const badUrl = await run(
        ["ecg", "device", "--patient", devAccount(5).address, "--mqtt-url", "http://127.0.0.1:1883"],
        { MERIDIAN_DEVICE_KEY: key },
      );
      assert.match(
        badUrl.text,
        /--mqtt-url "http:\/\/127.0.0.1:1883" is not a URL with scheme mqtt, mqtts, tcp, ssl, ws or wss/,
      );
      const noBroker = await run(
        ["ecg", "fog", "--mqtt-url", "mqtt://127.0.0.1:1", "--queue", path.join(net.dir, "unused.sqlite")],
        { MERIDIAN_DEVICE_KEY: key },
      );
      assert.match(
        noBroker.text,
        /Cannot connect to the MQTT broker at mqtt:\/\/127.0.0.1:1[\s\S]*meridian ecg broker/,
      );
      for (const r of [open, noKey, badUrl, noBroker]) {
        assert.equal(r.code, 1);
        assert.ok(!r.text.includes(key.slice(2)), "the key is never printed");
      }
    },
  );
});
