/**
 * The medical server down for the whole of a long stream, on a real chain (Hardhat/EDR), Helia,
 * an aedes broker, real signatures and the committed CNN, on a shared MIT-BIH record: three
 * minutes of ECG (36 windows of 5 s, streamed at 60x real time) reach the fog relay while
 * nothing listens at the server's address; the relay keeps them in its queue and retries with
 * exponential backoff capped at `maxRetryMs`; when the server comes back every window is
 * anchored exactly once, in order.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { MeridianClient } from "@meridian/sdk";
import { listSessionRecords } from "@meridian/sdk/chain";
import { MITDB_DIR, MITDB_MISSING, mitdbPresent, readWfdbRecord } from "@meridian/ecg/wfdb";
import { QrsDetector } from "@meridian/ecg";
import { cnnClassifier, deviceScreen, enrolMonitoring, monitoringDomain } from "./pipeline.ts";
import { runDevice, startEdge, startFog, startMedicalServer } from "./roles.ts";
import type { MonitoringEvent, RunningRole } from "./roles.ts";
import { startBroker } from "./transport.ts";
import type { EmbeddedBroker } from "./transport.ts";
import { startTestNetwork, testAccount as devAccount, type TestNetwork } from "@meridian/sdk/testing";

const MAX_RETRY_MS = 400;
type Of<E extends MonitoringEvent["event"]> = Extract<MonitoringEvent, { event: E }>;

describe("the medical server down for minutes of ECG", { skip: mitdbPresent() ? false : MITDB_MISSING }, () => {
  let net: TestNetwork;
  let hospital: MeridianClient;
  let broker: EmbeddedBroker;

  before(async () => {
    net = await startTestNetwork({ label: "outage" });
    hospital = await net.admitProvider(devAccount(2), { name: "St Mary's", department: "Cardiology" });
    broker = await startBroker();
  });

  after(async () => {
    await broker?.close();
    await net?.close();
  });

  test(
    "three minutes of ECG stream in while the server is down; the fog retries with capped backoff and, once it is back, every window is anchored exactly once, in order",
    { timeout: 120_000 },
    async (t) => {
      const patient = net.client(devAccount(5));
      await patient.registerAsPatient();
      const key = () => privateKeyToAccount(generatePrivateKey());
      const kit = { sensor: key(), edge: key(), fog: key() };
      await enrolMonitoring({ patient, provider: hospital, kit });
      const domain = monitoringDomain(hospital);
      const record = await readWfdbRecord(MITDB_DIR, "208");
      const events: MonitoringEvent[] = [];
      const at = new Map<MonitoringEvent, number>();
      const onEvent = (e: MonitoringEvent) => {
        events.push(e);
        at.set(e, performance.now());
      };
      const of = <E extends MonitoringEvent["event"]>(event: E) => events.filter((e) => e.event === event) as Of<E>[];

      // the server's address, with nothing listening on it
      const probe = createServer();
      await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
      const port = (probe.address() as { port: number }).port;
      await new Promise((r) => probe.close(r));

      const running: RunningRole[] = [];
      try {
        const fog = await startFog({
          account: kit.fog,
          domain,
          mqttUrl: broker.url,
          queueFile: path.join(net.dir, "outage-fog.sqlite"),
          deliver: `http://127.0.0.1:${port}/ecg/forwards`,
          minRetryMs: 25,
          maxRetryMs: MAX_RETRY_MS,
          onEvent,
        });
        running.push(fog);
        running.push(
          await startEdge({
            account: kit.edge,
            domain,
            mqttUrl: broker.url,
            classifier: await cnnClassifier(),
            onEvent,
          }),
        );
        const t0 = performance.now();
        const { sent } = await runDevice({
          account: kit.sensor,
          domain,
          mqttUrl: broker.url,
          patient: patient.address,
          record,
          windowSeconds: 5,
          speed: 60,
          endSample: 360 * 180,
          detector: new QrsDetector({ samplingFrequency: 360 }),
          screen: deviceScreen,
          onEvent,
        });
        const streamedSeconds = (performance.now() - t0) / 1000;
        assert.equal(sent, 36);
        assert.ok(streamedSeconds > 2.5, `paced at 60x: 180 s of ECG took ${streamedSeconds.toFixed(1)} s`);
        // everything the device sent is in the relay's queue; nothing was delivered
        while (fog.fog.stats().queued < 36) await new Promise((r) => setTimeout(r, 20));
        while (of("retry").filter((e) => e.delayMs === MAX_RETRY_MS).length < 3)
          await new Promise((r) => setTimeout(r, 20));
        assert.equal(of("delivered").length, 0);

        // the retries: all for the head of the queue, delays doubling from 25 ms and capped
        const retries = of("retry");
        assert.ok(retries.every((r) => r.seq === 1));
        assert.deepEqual(
          retries.slice(0, 6).map((r) => r.delayMs),
          [25, 50, 100, 200, 400, 400],
        );
        assert.ok(retries.every((r) => r.delayMs <= MAX_RETRY_MS));
        assert.deepEqual(
          retries.map((r) => r.attempt),
          retries.map((_, i) => i + 1),
        );
        // and each waits out its delay: windows arriving meanwhile do not cut the backoff short
        for (let i = 1; i < retries.length; i++) {
          const waited = at.get(retries[i]!)! - at.get(retries[i - 1]!)!;
          assert.ok(
            waited >= retries[i - 1]!.delayMs - 2,
            `retry ${i + 1} came ${waited.toFixed(0)} ms after retry ${i}, whose delay was ${retries[i - 1]!.delayMs} ms`,
          );
        }

        // the server comes back on its address
        const server = await startMedicalServer({
          client: hospital,
          stateFile: path.join(net.dir, "outage-server.sqlite"),
          port,
          onEvent,
        });
        running.push(server);
        const back = performance.now();
        while (of("anchored").length < 36) {
          assert.ok(performance.now() - back < 60_000, "all windows anchored within a minute of the server's return");
          await new Promise((r) => setTimeout(r, 20));
        }
        const catchUpSeconds = (performance.now() - back) / 1000;
        await new Promise((r) => setTimeout(r, 200)); // nothing more may come
        t.diagnostic(
          `streamed 180 s of ECG in ${streamedSeconds.toFixed(1)} s with the server down; ${retries.length} retries; all 36 windows anchored ${catchUpSeconds.toFixed(1)} s after it returned`,
        );

        const sentDigests = of("sent").map((e) => e.digest);
        assert.deepEqual(
          of("anchored").map((a) => a.digest),
          sentDigests,
          "anchored once each, in the order sent",
        );
        assert.deepEqual(
          of("delivered").map((d) => d.digest),
          sentDigests,
          "delivered once each, in order",
        );
        assert.ok(of("delivered").every((d) => !d.duplicate));
        assert.deepEqual(fog.fog.stats(), { queued: 0, delivered: 36, rejected: 0, duplicates: 0 });
        const onChain = await listSessionRecords(hospital.ctx, server.server.sessionOf(patient.address)!);
        assert.deepEqual(
          onChain.map((l) => l.recordId),
          of("anchored").map((a) => a.recordId),
        );
      } finally {
        for (const role of running.reverse()) await role.close();
      }
    },
  );
});
