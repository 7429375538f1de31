/**
 * The monitoring chain over an external MQTT broker: Eclipse Mosquitto, the broker such devices
 * are usually deployed with, instead of the embedded aedes. Starts `mosquitto` on a free local
 * port when it is installed (Debian: `apt-get install mosquitto`), else skips saying so. Streams
 * the project's synthetic record through the real chain, Helia, CNN and signatures, and checks
 * every window is anchored exactly once, in order.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { MeridianClient } from "@meridian/sdk";
import { listSessionRecords } from "@meridian/sdk/chain";
import { syntheticRecord } from "@meridian/ecg/testing";
import { cnnClassifier, enrolMonitoring, runMonitoring } from "./pipeline.ts";
import { startTestNetwork, testAccount as devAccount, type TestNetwork } from "@meridian/sdk/testing";

const installed = spawnSync("mosquitto", ["-h"], { stdio: "ignore" }).error === undefined;
const SKIP =
  "Mosquitto is not installed (apt-get install mosquitto); the embedded broker is tested in pipeline.test.ts";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe("the chain over Mosquitto", { skip: installed ? false : SKIP }, () => {
  let net: TestNetwork;
  let hospital: MeridianClient;
  let broker: ChildProcess | undefined;
  let config: string;
  let mqttUrl: string;

  const startMosquitto = async () => {
    broker = spawn("mosquitto", ["-c", config], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    broker.stderr!.on("data", (d: Buffer) => {
      log += d.toString();
    });
    const t0 = Date.now();
    while (!/running|Opening ipv4 listen socket/.test(log)) {
      if (broker.exitCode !== null || Date.now() - t0 > 10_000) throw new Error(`mosquitto did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  before(async () => {
    net = await startTestNetwork({ label: "mosquitto" });
    hospital = await net.admitProvider(devAccount(2), { name: "St Mary's", department: "Cardiology" });
    const port = await freePort();
    config = path.join(net.dir, "mosquitto.conf");
    await writeFile(
      config,
      `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type information\n`,
    );
    await startMosquitto();
    mqttUrl = `mqtt://127.0.0.1:${port}`;
  });

  after(async () => {
    broker?.kill("SIGTERM");
    await net?.close();
  });

  test("60 s of ECG: every window anchored once, in order", async () => {
    const patient = net.client(devAccount(7));
    await patient.registerAsPatient();
    const kit = {
      sensor: privateKeyToAccount(generatePrivateKey()),
      edge: privateKeyToAccount(generatePrivateKey()),
      fog: privateKeyToAccount(generatePrivateKey()),
    };
    await enrolMonitoring({ patient, provider: hospital, kit });
    const stateDir = await mkdtemp(path.join(net.dir, "run-"));
    const run = await runMonitoring({
      record: syntheticRecord({ durationSeconds: 60 }),
      patient: patient.address,
      provider: hospital,
      kit,
      stateDir,
      windowSeconds: 10,
      mqttUrl,
      classifier: await cnnClassifier(),
    });
    assert.equal(run.sent, 6);
    assert.deepEqual(run.refused, []);
    assert.equal(run.anchored.length, 6);
    const linked = await listSessionRecords(hospital.ctx, run.sessionId!);
    assert.deepEqual(
      linked.map((l) => l.recordId),
      run.anchored.map((a) => a.recordId),
      "linked once each, in order",
    );
    assert.ok(
      run.anchored.some((a) => a.flagged),
      "the premature wide beats are flagged",
    );
  });
});
