/**
 * The consent-code relay: a code is found by its short code until its deadline, and every bad
 * input is refused with its status and plain words. Codes are built and signed here with a
 * throwaway key (no chain needed: the relay only decodes).
 *
 * Run: `node --test web/src/lib/consent-relay.test.ts`
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { hashTypedData, keccak256, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { consentCodeTypedData, encodeConsentCode, shortConsentCode, type ConsentCode } from "@meridian/sdk/chain/consent.ts";
import { lookUpConsentCode, MAX_BODY_BYTES, publishConsentCode, readBody, RelayError } from "./consent-relay.ts";

const patient = privateKeyToAccount(generatePrivateKey());
const now = Date.UTC(2026, 0, 1);

async function code(deadline: number): Promise<{ text: string; short: string }> {
  const wrappedKey: Hex = `0x${"ab".repeat(80)}`;
  const c: ConsentCode = {
    chainId: 31337, registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3", patient: patient.address, grantee: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    scope: { kind: "all" }, write: false, expiresAt: 0, deadline, keyEpoch: 1, nonce: 42n, wrappedKeyHash: keccak256(wrappedKey),
  };
  const signature = await patient.signTypedData(consentCodeTypedData(c));
  return { text: encodeConsentCode({ code: c, wrappedKey, signature }), short: shortConsentCode(hashTypedData(consentCodeTypedData(c))) };
}

const refused = (status: number) => (e: unknown) => e instanceof RelayError && e.status === status;

test("a published code is found by its short code (any case, with or without the dash) until its deadline", async () => {
  const { text, short } = await code(now / 1000 + 300);
  assert.deepEqual(publishConsentCode(text, now), { shortCode: short, deadline: now / 1000 + 300 });
  assert.equal(lookUpConsentCode(short, now + 1000).text, text);
  assert.equal(lookUpConsentCode(short.toLowerCase().replace("-", ""), now).text, text);
  assert.throws(() => lookUpConsentCode(short, now + 301_000), refused(404));
});

test("an entry lives at most 15 minutes whatever the code's deadline", async () => {
  const { text, short } = await code(now / 1000 + 3600);
  publishConsentCode(text, now);
  assert.equal(lookUpConsentCode(short, now + 14 * 60_000).text, text);
  assert.throws(() => lookUpConsentCode(short, now + 16 * 60_000), refused(404));
});

test("bad inputs are refused with 400 and plain words", async () => {
  const { text } = await code(now / 1000 - 1);
  assert.throws(() => publishConsentCode(text, now), (e: unknown) => refused(400)(e) && /past its deadline/.test((e as Error).message));
  assert.throws(() => publishConsentCode("hello", now), (e: unknown) => refused(400)(e) && /not a Meridian consent code/.test((e as Error).message));
  assert.throws(() => publishConsentCode(42, now), refused(400));
  assert.throws(() => lookUpConsentCode("ABC", now), refused(400));
  assert.throws(() => lookUpConsentCode(null, now), refused(400));
  assert.throws(() => lookUpConsentCode("ABCDE-FGH23", now), refused(404));
});

test("a body over 8 KiB is refused with 413, declared or not", async () => {
  const big = "x".repeat(MAX_BODY_BYTES + 1);
  await assert.rejects(readBody(new Request("http://relay/", { method: "POST", body: big })), refused(413));
  const stream = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(new TextEncoder().encode(big)); c.close(); } });
  await assert.rejects(readBody(new Request("http://relay/", { method: "POST", body: stream, duplex: "half" } as RequestInit)), refused(413));
  assert.equal(await readBody(new Request("http://relay/", { method: "POST", body: "{}" })), "{}");
});
