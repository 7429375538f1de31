/**
 * The consent-code relay against a real Hardhat/EDR chain (in process) with the contracts
 * deployed and registered patients: a code is found by its short code until its deadline; a
 * forged, foreign or unregistered code is refused; an entry is never overwritten; live codes are
 * capped per patient, per client and in all (only expired entries are evicted). Codes are signed
 * here as an attacker would sign them: with keys that are not the patient's.
 *
 * Run: `node --test web/src/lib/consent-relay.test.ts`
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { hashTypedData, keccak256, type Account, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  cancelConsentCode,
  consentCodeTypedData,
  encodeConsentCode,
  shortConsentCode,
  type ConsentCode,
} from "@meridian/sdk/chain";
import type { MeridianContext, MeridianDeployment } from "@meridian/sdk/chain";
import {
  clearConsentRelay,
  lookUpConsentCode,
  MAX_BODY_BYTES,
  MAX_ENTRIES_PER_CLIENT,
  MAX_ENTRIES_PER_PATIENT,
  publishConsentCode,
  readBody,
  RelayError,
} from "./consent-relay.ts";
import { FailureLimiter } from "./rate-limit.ts";
import { startTestNetwork, testAccount, type TestNetwork } from "@meridian/sdk/testing";

const account = testAccount;
const hospital = account(2);
const [p0, p1, p2, p3, p4, p5] = [account(10), account(11), account(12), account(13), account(14), account(15)];
const patients = [p0, p1, p2, p3, p4, p5];
const patient = p0;
const unregistered = account(6);

let net: TestNetwork;
let chain: MeridianContext;
let deployment: MeridianDeployment;
let wallet: TestNetwork["wallet"];

before(async () => {
  net = await startTestNetwork({ label: "relay" });
  ({ chain, deployment, wallet } = net);
  for (const p of patients) await net.registerPatient(p);
});

after(async () => {
  await net.close();
});

beforeEach(() => clearConsentRelay());

const now = () => Date.now();
let nonce = 1n;

/** A consent code of `who` (signed by `signer`, the patient by default), its text and short code. */
async function code(
  p: { who?: Account; signer?: Account; deadline?: number; chainId?: number; registry?: `0x${string}` } = {},
) {
  const who = p.who ?? patient;
  const wrappedKey: Hex = `0x${"ab".repeat(80)}`;
  const c: ConsentCode = {
    chainId: p.chainId ?? deployment.chainId,
    registry: p.registry ?? deployment.recordRegistry,
    patient: who.address,
    grantee: hospital.address,
    scope: { kind: "all" },
    write: false,
    expiresAt: 0,
    deadline: p.deadline ?? Math.floor(now() / 1000) + 300,
    keyEpoch: 0,
    nonce: nonce++,
    wrappedKeyHash: keccak256(wrappedKey),
  };
  const signature = await (p.signer ?? who).signTypedData!(consentCodeTypedData(c));
  return {
    c,
    wrappedKey,
    signature,
    text: encodeConsentCode({ code: c, wrappedKey, signature }),
    short: shortConsentCode(hashTypedData(consentCodeTypedData(c))),
  };
}

const refusedWith = (status: number, reason?: string) => (e: unknown) =>
  e instanceof RelayError &&
  e.status === status &&
  (reason === undefined || e.code === reason) &&
  e.message.length > 10;

test("a published code is found by its short code (any case, with or without the dash) until its deadline", async () => {
  const t = now();
  const deadline = Math.floor(t / 1000) + 300;
  const { text, short } = await code({ deadline });
  assert.deepEqual(await publishConsentCode(chain, text, { nowMs: t }), { shortCode: short, deadline });
  assert.equal(lookUpConsentCode(short, t + 1000).text, text);
  assert.equal(lookUpConsentCode(short.toLowerCase().replace("-", ""), t).text, text);
  assert.throws(() => lookUpConsentCode(short, (deadline + 1) * 1000), refusedWith(404));
});

test("an entry lives at most 15 minutes whatever the code's deadline", async () => {
  const t = now();
  const { text, short } = await code({ deadline: Math.floor(t / 1000) + 3600 });
  await publishConsentCode(chain, text, { nowMs: t });
  assert.equal(lookUpConsentCode(short, t + 14 * 60_000).text, text);
  assert.throws(() => lookUpConsentCode(short, t + 16 * 60_000), refusedWith(404));
});

test("bad inputs are refused with 400 and plain words", async () => {
  const t = now();
  const { text } = await code({ deadline: Math.floor(t / 1000) - 1 });
  await assert.rejects(
    publishConsentCode(chain, text, { nowMs: t }),
    (e: unknown) => refusedWith(400, "expired")(e) && /past its deadline/.test((e as Error).message),
  );
  await assert.rejects(
    publishConsentCode(chain, "hello", { nowMs: t }),
    (e: unknown) => refusedWith(400)(e) && /not a Meridian consent code/.test((e as Error).message),
  );
  await assert.rejects(publishConsentCode(chain, 42, { nowMs: t }), refusedWith(400));
  assert.throws(() => lookUpConsentCode("ABC", t), refusedWith(400));
  assert.throws(() => lookUpConsentCode(null, t), refusedWith(400));
  assert.throws(() => lookUpConsentCode("ABCDE-FGH23", t), refusedWith(404));
});

test("a forged consent code (not signed by the patient) is refused and not stored", async () => {
  const attacker = privateKeyToAccount(generatePrivateKey());
  const forged = await code({ signer: attacker });
  await assert.rejects(
    publishConsentCode(chain, forged.text, { client: "198.51.100.1" }),
    refusedWith(403, "bad-signature"),
  );
  assert.throws(() => lookUpConsentCode(forged.short), refusedWith(404));
  const fromStranger = await code({ who: unregistered });
  await assert.rejects(publishConsentCode(chain, fromStranger.text), refusedWith(403, "not-registered"));
  await assert.rejects(publishConsentCode(chain, (await code({ chainId: 1 })).text), refusedWith(400, "wrong-chain"));
  await assert.rejects(
    publishConsentCode(chain, (await code({ registry: deployment.providerRegistry })).text),
    refusedWith(400, "wrong-contract"),
  );
});

test("re-publishing with a junk or second signature never overwrites an entry; the same text again is a no-op", async () => {
  const real = await code();
  await publishConsentCode(chain, real.text);
  assert.deepEqual(
    await publishConsentCode(chain, real.text),
    { shortCode: real.short, deadline: real.c.deadline },
    "identical re-publication is idempotent",
  );
  const junk = encodeConsentCode({ code: real.c, wrappedKey: real.wrappedKey, signature: `0x${"00".repeat(65)}` });
  await assert.rejects(publishConsentCode(chain, junk), refusedWith(409, "conflict"));
  // the malleable twin of the patient's own signature (s → n − s) is also valid, but comes second
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const r = real.signature.slice(2, 66),
    s = BigInt(`0x${real.signature.slice(66, 130)}`),
    v = parseInt(real.signature.slice(130), 16);
  const twin = `0x${r}${(n - s).toString(16).padStart(64, "0")}${(v === 27 ? 28 : 27).toString(16)}` as Hex;
  await assert.rejects(
    publishConsentCode(chain, encodeConsentCode({ code: real.c, wrappedKey: real.wrappedKey, signature: twin })),
    refusedWith(409, "conflict"),
  );
  assert.equal(lookUpConsentCode(real.short).text, real.text, "the first valid publication is still there");
});

test("one patient cannot hold more than its share of live codes; others are not affected; a cancelled code frees its slot", async () => {
  const mine = [];
  for (let i = 0; i < MAX_ENTRIES_PER_PATIENT; i++) {
    const c = await code();
    await publishConsentCode(chain, c.text, { client: `192.0.2.${i}` });
    mine.push(c);
  }
  const extra = await code();
  await assert.rejects(
    publishConsentCode(chain, extra.text, { client: "192.0.2.99" }),
    refusedWith(429, "patient-limit"),
  );
  const someoneElse = await code({ who: p1 });
  await publishConsentCode(chain, someoneElse.text, { client: "192.0.2.99" });
  await cancelConsentCode({ ...chain, walletClient: wallet(patient) }, mine[0]!.c.nonce);
  await publishConsentCode(chain, extra.text, { client: "192.0.2.99" });
  assert.equal(lookUpConsentCode(extra.short).text, extra.text);
});

test("one client cannot hold more than its share of live codes, and a client that keeps failing is held off", async () => {
  let published = 0;
  for (const p of patients) {
    for (let i = 0; i < MAX_ENTRIES_PER_PATIENT && published < MAX_ENTRIES_PER_CLIENT; i++, published++) {
      await publishConsentCode(chain, (await code({ who: p })).text, { client: "203.0.113.5" });
    }
  }
  await assert.rejects(
    publishConsentCode(chain, (await code({ who: p5 })).text, { client: "203.0.113.5" }),
    refusedWith(429, "client-limit"),
  );
  await publishConsentCode(chain, (await code({ who: p5 })).text, { client: "203.0.113.6" });

  const failures = new FailureLimiter({ maxFailures: 3 });
  const attacker = privateKeyToAccount(generatePrivateKey());
  for (let i = 0; i < 3; i++)
    await assert.rejects(
      publishConsentCode(chain, (await code({ signer: attacker, who: p5 })).text, { client: "203.0.113.66", failures }),
      refusedWith(403),
    );
  await assert.rejects(
    publishConsentCode(chain, (await code({ who: p5 })).text, { client: "203.0.113.66", failures }),
    refusedWith(429, "too-many-failures"),
  );
});

test("a full relay evicts only expired entries: live codes are never pushed out", async () => {
  const limits = { entries: 3 };
  const t = now();
  const short = await code({ deadline: Math.floor(t / 1000) + 60 });
  await publishConsentCode(chain, short.text, { nowMs: t, limits });
  const live1 = await code({ who: p1, deadline: Math.floor(t / 1000) + 600 });
  const live2 = await code({ who: p2, deadline: Math.floor(t / 1000) + 600 });
  await publishConsentCode(chain, live1.text, { nowMs: t, limits });
  await publishConsentCode(chain, live2.text, { nowMs: t, limits });
  const next = await code({ who: p3, deadline: Math.floor(t / 1000) + 600 });
  await assert.rejects(publishConsentCode(chain, next.text, { nowMs: t, limits }), refusedWith(503, "relay-full"));
  await publishConsentCode(chain, next.text, { nowMs: t + 61_000, limits }); // the 60 s code has expired
  assert.equal(lookUpConsentCode(live1.short, t + 61_000).text, live1.text);
  assert.equal(lookUpConsentCode(live2.short, t + 61_000).text, live2.text);
  assert.equal(lookUpConsentCode(next.short, t + 61_000).text, next.text);
});

test("a body over 8 KiB is refused with 413, declared or not", async () => {
  const big = "x".repeat(MAX_BODY_BYTES + 1);
  await assert.rejects(readBody(new Request("http://relay/", { method: "POST", body: big })), refusedWith(413));
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode(big));
      c.close();
    },
  });
  await assert.rejects(
    readBody(new Request("http://relay/", { method: "POST", body: stream, duplex: "half" } as RequestInit)),
    refusedWith(413),
  );
  assert.equal(await readBody(new Request("http://relay/", { method: "POST", body: "{}" })), "{}");
});
