/**
 * The signature chain device → edge → fog with real secp256k1 signatures: a genuine chain
 * verifies; each forged or tampered hop, and a message signed for another chain or contract,
 * is refused naming the hop.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { keccak256, toHex } from "viem";
import { ForgedSignatureError, MalformedMessageError } from "./errors.ts";
import { signFindings, signForward, signWindow, verifyFindings, verifyForward, verifyWindow } from "./messages.ts";
import type { MonitoringDomain, SignedForward } from "./messages.ts";

const domain: MonitoringDomain = { chainId: 31337, monitoringRegistry: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
const [patient, device, edge, fog, mallory] = Array.from({ length: 5 }, () =>
  privateKeyToAccount(generatePrivateKey()),
);
const samples = Int16Array.from({ length: 3600 }, (_, i) => Math.round(200 * Math.sin(i / 9)));
const model = keccak256(toHex("model"));

async function chain(sequence = 7): Promise<SignedForward> {
  const w = await signWindow(domain, device!, {
    patient: patient!.address,
    sequence,
    startSample: 21_600,
    recordedAt: 1_700_000_000_000,
    samplingFrequency: 360,
    lead: "MLII",
    gain: 200,
    baseline: 1024,
    samples,
    rPeaks: [100, 400, 700],
    screen: { heartRateBpm: 72, reasons: [] },
    abnormal: false,
  });
  const f = await signFindings(domain, edge!, w, {
    beatClasses: ["N", "V", "N"],
    probabilities: [
      [0.9, 0.05, 0.03, 0.01, 0.01],
      [0.1, 0, 0.88, 0.02, 0],
      [1, 0, 0, 0, 0],
    ],
    model,
  });
  return signForward(domain, fog!, f, { receivedAt: 1_700_000_010_000, queueSequence: 1 });
}
const clone = <T>(x: T): T => structuredClone(x);
const refusedAt = (hop: string) => (e: unknown) => e instanceof ForgedSignatureError && e.hop === hop;

describe("monitoring messages", () => {
  test("a genuine chain verifies and returns the samples and digests", async () => {
    const m = await chain();
    const v = await verifyForward(domain, JSON.parse(JSON.stringify(m)));
    assert.deepEqual(v.samples, samples);
    assert.equal(v.windowDigest, m.signedFindings.findings.window);
    assert.equal(m.signedFindings.findings.abnormal, true, "a V beat makes the findings abnormal");
  });

  test("each forged or tampered hop is refused, naming the hop", async () => {
    const m = await chain();
    const t1 = clone(m);
    t1.signedFindings.signedWindow.window.sequence = 8; // replayed under another number
    await assert.rejects(verifyForward(domain, t1), refusedAt("device"));
    const t2 = clone(m);
    const b64 = t2.signedFindings.signedWindow.samples;
    t2.signedFindings.signedWindow.samples = b64.slice(0, 100) + (b64[100] === "B" ? "C" : "B") + b64.slice(101);
    await assert.rejects(verifyForward(domain, t2), refusedAt("device"));
    const t3 = clone(m);
    t3.signedFindings.signedWindow.screen.reasons.push("invented");
    await assert.rejects(verifyForward(domain, t3), refusedAt("device"));
    const t4 = clone(m);
    t4.signedFindings.findings.beatClasses = "NNN";
    await assert.rejects(verifyForward(domain, t4), refusedAt("edge"));
    const t5 = clone(m);
    t5.signedFindings.probabilities[0]![0] = 0.1;
    await assert.rejects(verifyForward(domain, t5), refusedAt("edge"));
    const t6 = clone(m);
    t6.forward.queueSequence = 2;
    await assert.rejects(verifyForward(domain, t6), refusedAt("fog"));
    // a different key signs a hop in the name of the registered one
    const forgedEdge = await signFindings(domain, mallory!, m.signedFindings.signedWindow, {
      beatClasses: ["N", "N", "N"],
      probabilities: [
        [1, 0, 0, 0, 0],
        [1, 0, 0, 0, 0],
        [1, 0, 0, 0, 0],
      ],
      model,
    });
    forgedEdge.findings.edge = edge!.address;
    await assert.rejects(verifyFindings(domain, forgedEdge), refusedAt("edge"));
    const forgedDevice = clone(m.signedFindings.signedWindow);
    forgedDevice.signature = (
      await signWindow(domain, mallory!, { ...forgedDevice.window, samples, screen: forgedDevice.screen })
    ).signature;
    await assert.rejects(verifyWindow(domain, forgedDevice), refusedAt("device"));
    // the fog forward wraps findings other than the ones it signed
    const other = await chain(8);
    const t7 = clone(m);
    t7.signedFindings = other.signedFindings;
    await assert.rejects(verifyForward(domain, t7), refusedAt("fog"));
  });

  test("messages signed for another chain or another contract are refused", async () => {
    const m = await chain();
    await assert.rejects(verifyForward({ ...domain, chainId: 1 }, m), refusedAt("device"));
    await assert.rejects(
      verifyForward({ ...domain, monitoringRegistry: "0x0000000000000000000000000000000000000001" }, m),
      refusedAt("device"),
    );
  });

  test("malformed messages are refused before any signature work", async () => {
    const m = await chain();
    for (const bad of [
      null,
      {},
      { ...m, forward: undefined },
      (() => {
        const x = clone(m);
        (x.signedFindings.signedWindow.window as { sequence: unknown }).sequence = "1";
        return x;
      })(),
      (() => {
        const x = clone(m);
        x.signedFindings.findings.beatClasses = "NXN";
        return x;
      })(),
      (() => {
        const x = clone(m);
        x.signedFindings.signedWindow.window.rPeaks = [400, 100, 700];
        return x;
      })(),
    ]) {
      await assert.rejects(verifyForward(domain, bad), MalformedMessageError);
    }
  });
});
