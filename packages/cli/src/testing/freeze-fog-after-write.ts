/**
 * Test support, preloaded with `node --import` into a `meridian ecg fog` process: once the
 * `MERIDIAN_TEST_FREEZE_AFTER_WRITES`-th new message is in the fog relay's durable queue, and
 * before the relay acknowledges it to the broker, the process writes one JSON line
 * `{"role":"fog","event":"frozen","seq":N,"digest":"0x…"}` on stderr and blocks its only
 * thread for good, so a test can kill it at exactly that point (written, not acknowledged).
 * Nothing else changes; the CLI never loads this module.
 *
 * @module
 */
import { writeSync } from "node:fs";
import { DurableQueue } from "@meridian/monitoring";

const freezeAfter = Number(process.env.MERIDIAN_TEST_FREEZE_AFTER_WRITES);
// eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the queue as `this`
const enqueue = DurableQueue.prototype.enqueue;
let written = 0;

DurableQueue.prototype.enqueue = function (this: DurableQueue, ...args: Parameters<DurableQueue["enqueue"]>) {
  const stored = enqueue.apply(this, args);
  if (!stored.duplicate && ++written === freezeAfter) {
    writeSync(2, `${JSON.stringify({ role: "fog", event: "frozen", seq: stored.seq, digest: args[0] })}\n`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // never woken: the PUBACK is never sent
  }
  return stored;
};
