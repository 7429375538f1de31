/**
 * What the fog relay acknowledges, on a real MQTT broker (aedes) with real signatures and a real
 * SQLite queue: a message it could not write to its queue (a write that fails as a full or broken
 * disk does) is not acknowledged, and the broker delivers it again until the write succeeds, in
 * order; a forged or malformed message is acknowledged and reported once, never redelivered.
 * Needs no chain and no shared data.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, test } from "node:test";
import { keccak256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { signFindings, signWindow } from "./messages.ts";
import type { MonitoringDomain, SignedFindings } from "./messages.ts";
import { startFog } from "./roles.ts";
import type { MonitoringEvent, RunningFog } from "./roles.ts";
import { connectMqtt, findingsTopic, publishJson, startBroker } from "./transport.ts";
import type { EmbeddedBroker } from "./transport.ts";

const domain: MonitoringDomain = { chainId: 31337, monitoringRegistry: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
const [patient, sensor, edge, fog] = Array.from({ length: 4 }, () => privateKeyToAccount(generatePrivateKey()));
const samples = Int16Array.from({ length: 720 }, (_, i) => Math.round(200 * Math.sin(i / 9)));

async function findings(sequence: number): Promise<SignedFindings> {
  const w = await signWindow(domain, sensor!, {
    patient: patient!.address,
    sequence,
    startSample: (sequence - 1) * 720,
    recordedAt: 1_700_000_000_000 + sequence * 2_000,
    samplingFrequency: 360,
    lead: "MLII",
    gain: 200,
    baseline: 1024,
    samples,
    rPeaks: [100, 400],
    screen: { heartRateBpm: 72, reasons: [] },
    abnormal: false,
  });
  return signFindings(domain, edge!, w, {
    beatClasses: ["N", "N"],
    probabilities: [
      [1, 0, 0, 0, 0],
      [1, 0, 0, 0, 0],
    ],
    model: keccak256(toHex("model")),
  });
}

const until = async (cond: () => boolean, what: string, ms = 15_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("fog relay acknowledgements", () => {
  let dir: string;
  let broker: EmbeddedBroker;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "meridian-transport-"));
    broker = await startBroker();
  });

  after(async () => {
    await broker?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("a message the queue could not store is not acknowledged and comes again until stored, in order; a forged or malformed one is acknowledged and reported once", async () => {
    const queueFile = path.join(dir, "fog.sqlite");
    const events: MonitoringEvent[] = [];
    const delivered: string[] = [];
    const start = () =>
      startFog({
        account: fog!,
        domain,
        mqttUrl: broker.url,
        queueFile,
        minRetryMs: 50,
        maxRetryMs: 200,
        deliver: (f) => {
          delivered.push(f.signedFindings.findings.window);
          return Promise.resolve({ status: "delivered", detail: "{}" });
        },
        onEvent: (e) => events.push(e),
      });
    let running: RunningFog = await start();
    const publisher = await connectMqtt(broker.url, { clientId: "test-edge-out" });
    const topic = findingsTopic(patient!.address);
    const of = (event: string) => events.filter((e) => e.event === event);
    try {
      // the disk fails: every write to the queue is refused (as SQLite reports a full or broken disk)
      const disk = new DatabaseSync(queueFile);
      disk.exec(
        "CREATE TRIGGER broken_disk BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;",
      );
      const [f1, f2, f3, f4] = await Promise.all([1, 2, 3, 4].map(findings));
      await publishJson(publisher, topic, f1);
      await publishJson(publisher, topic, f2);
      // the same message fails, is not acknowledged, and the broker delivers it again after each reconnect
      await until(() => of("unacknowledged").length >= 3, "three deliveries of the unstored message");
      const failures = of("unacknowledged") as Extract<MonitoringEvent, { event: "unacknowledged" }>[];
      assert.ok(
        failures.every((e) => e.error === "QueueWriteError"),
        JSON.stringify(failures),
      );
      assert.deepEqual(
        failures.slice(0, 3).map((e) => [e.attempt, e.delayMs]),
        [
          [1, 50],
          [2, 100],
          [3, 200],
        ],
        "backoff doubles up to maxRetryMs",
      );
      assert.equal(of("queued").length, 0);
      // the disk is repaired: the next redelivery is stored, then the message behind it
      disk.exec("DROP TRIGGER broken_disk");
      disk.close();
      await until(() => of("queued").length === 2, "both messages queued");
      assert.deepEqual(
        of("queued").map((e) => (e as { digest: string }).digest),
        [f1!.findings.window, f2!.findings.window],
        "in the order they were published",
      );
      assert.equal(of("duplicate").length, 0);

      // refusals: a tampered message and one that is not JSON are acknowledged and reported
      const forged = structuredClone(f3!);
      forged.findings.beatClasses = "NV";
      await publishJson(publisher, topic, forged);
      await publisher.publishAsync(topic, "not json", { qos: 1 });
      await publishJson(publisher, topic, f3);
      await until(() => of("queued").length === 3, "the message after the refusals queued");
      assert.deepEqual(
        of("refused").map((e) => (e as { error: string }).error),
        ["ForgedSignatureError", "MalformedMessageError"],
      );

      // a restart of the relay resumes the persistent session: nothing refused comes back, what
      // was published while it was down arrives
      await running.close();
      await publishJson(publisher, topic, f4);
      running = await start();
      await until(() => of("queued").length === 4, "the message published while the relay was down");
      await until(() => delivered.length === 4, "all four delivered");
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(of("refused").length, 2, "refused messages were acknowledged: not redelivered");
      assert.deepEqual(
        delivered,
        [f1, f2, f3, f4].map((f) => f!.findings.window),
        "each delivered once, in order",
      );
      assert.equal(running.fog.stats().duplicates, 0);
    } finally {
      await publisher.endAsync();
      await running.close();
    }
  });
});
