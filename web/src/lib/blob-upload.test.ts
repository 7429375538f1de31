/**
 * `POST /api/blobs` (src/lib/blob-upload.ts) and `GET /api/blobs/{cid}` against a real
 * Hardhat/EDR chain (in process) with the contracts deployed, a real Helia node on disk and real
 * crypto. Each attack is made as a raw HTTP request with what the attacker holds: no key, a
 * key of an account that is not registered, plaintext, a cut envelope, a captured signature.
 *
 * Run: `node --test web/src/lib/blob-upload.test.ts`
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { encodeFunctionData, type Account, type Address, type Hex } from "viem";
import { ProviderKind, type MeridianContext, type MeridianDeployment } from "@meridian/sdk/chain";
import { ciphertextHash } from "@meridian/sdk/crypto";
import { ENVELOPE_MAGIC, SEGMENT_ENVELOPE_BYTES, TAG_BYTES, sealRecord } from "@meridian/sdk/crypto";
import { UploadRefusedError } from "@meridian/sdk/storage";
import { createHttpStore } from "@meridian/sdk/storage";
import { handleBlobRequest } from "@meridian/sdk/storage";
import type { BlobStore } from "@meridian/sdk/storage";
import {
  blobUploadTypedData,
  createUploadAuthorizer,
  encodeUploadAuthorization,
  MAX_UPLOAD_SESSION_SECONDS,
  uploadSessionTypedData,
  type UploadAuthorization,
} from "@meridian/sdk/storage";
import { handleBlobUpload, type BlobUploadServer } from "./blob-upload.ts";
import { FailureLimiter } from "./rate-limit.ts";
import { UploadQuota, type UploadQuotaLimits } from "./upload-quota.ts";
import { startTestNetwork, testAccount, type TestNetwork } from "@meridian/sdk/testing";

const account = testAccount;
const [hospital, patient, stranger] = [account(2), account(5), account(6)];

let net: TestNetwork;
let chain: MeridianContext;
let deployment: MeridianDeployment;
let wallet: TestNetwork["wallet"];
let store: BlobStore;
let dir: string;

before(async () => {
  net = await startTestNetwork({ label: "blob-upload" });
  ({ chain, deployment, wallet, store, dir } = net);
  await net.admitProvider(hospital, {
    kind: ProviderKind.Hospital,
    name: "St Mary's",
    department: "Cardiology",
    publishKey: false,
  });
  await net.registerPatient(patient);
});

after(async () => {
  await net.close();
});

let serial = 0;
/** A fresh server over the shared chain and store, with its own quota file and failure counter. */
function server(
  p: { limits?: UploadQuotaLimits; maxBytes?: number; maxFailures?: number; now?: () => number } = {}
): BlobUploadServer {
  serial++;
  return {
    store,
    chain,
    quota: new UploadQuota({ file: path.join(dir, `quota-${serial}.json`), ...(p.limits ? { limits: p.limits } : {}) }),
    failures: new FailureLimiter({ maxFailures: p.maxFailures ?? 1000 }),
    maxBytes: p.maxBytes ?? 16 * 1024 * 1024,
    ...(p.now ? { now: p.now } : {}),
  };
}

const context = (who: Address) =>
  ({
    chainId: 31337,
    contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    patient: who,
    category: 2,
    keyEpoch: 0,
  } as const);
const envelopeOf = async (size: number) =>
  (
    await sealRecord({
      plaintext: new Uint8Array(randomBytes(size)),
      kek: new Uint8Array(32).fill(7),
      context: context(patient.address),
    })
  ).envelope;
const domain = () => ({ chainId: deployment.chainId, recordRegistry: deployment.recordRegistry });

/** The `Authorization` header `who`'s wallet and a fresh session key give these bytes. */
async function authorizationFor(who: Account, bytes: Uint8Array): Promise<string> {
  return createUploadAuthorizer({ walletClient: wallet(who), domain: domain() }).authorize({
    ciphertextHash: await ciphertextHash(bytes),
    size: bytes.length,
  });
}

/** A raw POST to the upload handler, as any HTTP client can send it. */
function post(s: BlobUploadServer, bytes: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return handleBlobUpload(
    s,
    new Request("http://meridian.test/api/blobs", {
      method: "POST",
      body: bytes as Uint8Array<ArrayBuffer>,
      headers: { "content-type": "application/octet-stream", "x-forwarded-for": "203.0.113.7", ...headers },
    })
  );
}

async function refused(response: Response, status: number, code: string): Promise<Record<string, unknown>> {
  const body = (await response.json()) as Record<string, unknown>;
  assert.equal(response.status, status, JSON.stringify(body));
  assert.equal(body.code, code, JSON.stringify(body));
  assert.equal(typeof body.error, "string");
  return body;
}

const held = async (bytes: Uint8Array) => {
  const { computeBlobIdentity } = await import("@meridian/sdk/storage");
  return store.has((await computeBlobIdentity(bytes)).cid.toString());
};

test("an unauthenticated upload is refused (401) and nothing is stored", async () => {
  const s = server();
  const envelope = await envelopeOf(300);
  await refused(await post(s, envelope), 401, "unauthorized");
  await refused(await post(s, envelope, { authorization: "Bearer x" }), 401, "unauthorized");
  await refused(await post(s, envelope, { authorization: "Meridian-Upload eyJ9" }), 401, "unauthorized");
  assert.equal(await held(envelope), false);
});

test("plaintext (a fake SSN in JSON) is refused even when signed by a registered patient", async () => {
  const s = server();
  const ssn = new TextEncoder().encode(
    JSON.stringify({
      resourceType: "Patient",
      name: [{ family: "Doe", given: ["Jane"] }],
      identifier: [{ system: "http://hl7.org/fhir/sid/us-ssn", value: "123-45-6789" }],
    })
  );
  const body = await refused(
    await post(s, ssn, { authorization: await authorizationFor(patient, ssn) }),
    415,
    "not-an-envelope"
  );
  assert.match(String(body.hint), /Encrypt the record/);
  // the same text behind a well-formed envelope header (taken from a real envelope) is still refused
  const header = (await envelopeOf(0)).subarray(0, (await envelopeOf(0)).length - TAG_BYTES);
  const disguised = new Uint8Array([...header, ...ssn, ...new Uint8Array(TAG_BYTES)]);
  await refused(
    await post(s, disguised, { authorization: await authorizationFor(patient, disguised) }),
    415,
    "plaintext-suspected"
  );
  assert.equal(await held(ssn), false);
  assert.equal(await held(disguised), false);
});

test("an envelope with a wrong or oversized structure is refused", async () => {
  const s = server({ maxBytes: 3 * 1024 * 1024 });
  const good = await envelopeOf(1000);
  const cases: [string, Uint8Array][] = [
    ["unknown version", Uint8Array.from(good, (b, i) => (i === ENVELOPE_MAGIC.length ? 0xfe : b))],
    ["unknown flags", Uint8Array.from(good, (b, i) => (i === ENVELOPE_MAGIC.length + 1 ? 0x80 : b))],
    ["cut inside the first tag", good.subarray(0, good.length - 1000 - 1)],
    ["magic only", ENVELOPE_MAGIC],
  ];
  const two = await envelopeOf(SEGMENT_ENVELOPE_BYTES + 100);
  cases.push(["a second segment of only a tag", two.subarray(0, SEGMENT_ENVELOPE_BYTES + TAG_BYTES)]);
  for (const [what, bytes] of cases) {
    const body = await refused(
      await post(s, bytes, { authorization: await authorizationFor(patient, bytes) }),
      422,
      "malformed-envelope"
    );
    assert.ok(String(body.error).length > 10, what);
    assert.equal(await held(bytes), false, what);
  }
  // larger than the limit: refused from the declared length, and from the bytes when none is declared
  const big = await envelopeOf(3 * 1024 * 1024);
  await refused(await post(s, big, { authorization: await authorizationFor(patient, big) }), 413, "too-large");
  const auth = await authorizationFor(patient, good);
  const streamed = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(big);
      c.close();
    },
  });
  const response = await handleBlobUpload(
    s,
    new Request("http://meridian.test/api/blobs", {
      method: "POST",
      body: streamed,
      duplex: "half",
      headers: { "content-type": "application/octet-stream", authorization: auth },
    } as RequestInit)
  );
  await refused(response, 413, "too-large");
});

test("an unregistered signer is refused (403), and so is a suspended provider", async () => {
  const s = server();
  const envelope = await envelopeOf(500);
  const body = await refused(
    await post(s, envelope, { authorization: await authorizationFor(stranger, envelope) }),
    403,
    "not-registered"
  );
  assert.match(String(body.error), new RegExp(stranger.address));
  assert.equal(await held(envelope), false);
  assert.equal(
    (await post(s, envelope, { authorization: await authorizationFor(hospital, envelope) })).status,
    201,
    "an active provider may upload"
  );
  await net.setProviderStatus(hospital, "suspend");
  try {
    const other = await envelopeOf(501);
    await refused(
      await post(s, other, { authorization: await authorizationFor(hospital, other) }),
      403,
      "not-registered"
    );
  } finally {
    await net.setProviderStatus(hospital, "reinstate");
  }
});

test("a session or upload signature that is forged, stale, replayed or for other bytes is refused (401)", async () => {
  const s = server();
  const envelope = await envelopeOf(700);
  const auth = await authorizationFor(patient, envelope);
  const other = await envelopeOf(700);
  await refused(await post(s, other, { authorization: auth }), 401, "mismatch");
  assert.equal((await post(s, envelope, { authorization: auth })).status, 201);
  await refused(await post(s, envelope, { authorization: auth }), 401, "stale-upload"); // the same signature again

  // a session naming the registered patient but signed by a stranger
  const decoded = JSON.parse(Buffer.from(auth.split(" ")[1]!, "base64url").toString()) as UploadAuthorization;
  const now = Math.floor(Date.now() / 1000);
  const sessionKey = testAccount(40);
  const session = { account: patient.address, sessionKey: sessionKey.address, issuedAt: now, expiresAt: now + 3600 };
  const forgedSignature = await stranger.signTypedData(uploadSessionTypedData(domain(), session));
  const upload = async (bytes: Uint8Array, at = now) => {
    const unsigned = {
      ciphertextHash: await ciphertextHash(bytes),
      size: bytes.length,
      timestamp: at,
      nonce: `0x${"11".repeat(31)}${(serial++ % 256).toString(16).padStart(2, "0")}` as Hex,
    };
    return { ...unsigned, signature: await sessionKey.signTypedData(blobUploadTypedData(domain(), unsigned)) };
  };
  const forged = encodeUploadAuthorization({
    session: { ...session, signature: forgedSignature },
    upload: await upload(other),
  });
  await refused(await post(s, other, { authorization: forged }), 401, "bad-session-signature");
  // a session signed for another deployment's domain
  const elsewhere = await patient.signTypedData(
    uploadSessionTypedData({ chainId: 1, recordRegistry: deployment.recordRegistry }, session)
  );
  await refused(
    await post(s, other, {
      authorization: encodeUploadAuthorization({
        session: { ...session, signature: elsewhere },
        upload: await upload(other),
      }),
    }),
    401,
    "bad-session-signature"
  );
  // a session longer than 24 h, and an expired one
  for (const times of [
    { issuedAt: now, expiresAt: now + MAX_UPLOAD_SESSION_SECONDS + 1 },
    { issuedAt: now - 7200, expiresAt: now - 60 },
  ]) {
    const t = { ...session, ...times };
    const signature = await patient.signTypedData(uploadSessionTypedData(domain(), t));
    await refused(
      await post(s, other, {
        authorization: encodeUploadAuthorization({ session: { ...t, signature }, upload: await upload(other) }),
      }),
      401,
      "session-expired"
    );
  }
  // a valid session, but an upload signed an hour ago, and one signed by a key other than the session's
  const signature = await patient.signTypedData(uploadSessionTypedData(domain(), session));
  await refused(
    await post(s, other, {
      authorization: encodeUploadAuthorization({
        session: { ...session, signature },
        upload: await upload(other, now - 3600),
      }),
    }),
    401,
    "stale-upload"
  );
  const wrongKey = { ...(await upload(other)), signature: decoded.upload.signature };
  await refused(
    await post(s, other, {
      authorization: encodeUploadAuthorization({ session: { ...session, signature }, upload: wrongKey }),
    }),
    401,
    "bad-upload-signature"
  );
  assert.equal(await held(other), false);
});

test("an account over its quota is refused with 429 naming the account, and the quota survives a restart", async () => {
  const limits = { windowBytes: 20_000, windowSeconds: 3600, totalBytes: 50_000 };
  let clock = Date.now();
  const s = server({ limits, now: () => clock });
  const first = await envelopeOf(12_000);
  assert.equal((await post(s, first, { authorization: await authorizationFor(patient, first) })).status, 201);
  const second = await envelopeOf(12_000);
  const response = await post(s, second, { authorization: await authorizationFor(patient, second) });
  const body = await refused(response, 429, "quota-exceeded");
  assert.equal(body.account, patient.address);
  assert.match(String(body.error), new RegExp(patient.address));
  assert.ok(Number(response.headers.get("retry-after")) > 0);
  assert.equal(await held(second), false);
  // the same quota file, read by a new process, still counts the first upload
  const restarted = { ...s, quota: new UploadQuota({ file: s.quota.file, limits }) };
  await refused(
    await post(restarted, second, { authorization: await authorizationFor(patient, second) }),
    429,
    "quota-exceeded"
  );
  assert.equal(
    JSON.parse(await readFile(s.quota.file, "utf8")).accounts[patient.address.toLowerCase()].totalBytes,
    first.length
  );
  // after the window the account may upload again, until its total is spent
  clock += 3601_000;
  const r = { ...restarted, now: () => clock };
  assert.equal((await post(r, second, { authorization: await laterAuth(second, clock) })).status, 201);
  clock += 3601_000;
  const third = await envelopeOf(12_000);
  assert.equal((await post(r, third, { authorization: await laterAuth(third, clock) })).status, 201);
  clock += 3601_000;
  const fourth = await envelopeOf(15_000);
  const total = await refused(
    await post(r, fourth, { authorization: await laterAuth(fourth, clock) }),
    429,
    "quota-exceeded"
  );
  assert.equal(total.limit, "total");
});

async function laterAuth(bytes: Uint8Array, clockMs: number): Promise<string> {
  return createUploadAuthorizer({
    walletClient: wallet(patient),
    domain: domain(),
    now: () => Math.floor(clockMs / 1000),
  }).authorize({ ciphertextHash: await ciphertextHash(bytes), size: bytes.length });
}

test("a valid signed envelope is accepted and served back byte-identical, with one wallet signature per session", async () => {
  const s = server();
  let prompts = 0;
  const base = wallet(patient);
  const counting = {
    ...base,
    signTypedData: ((...args: Parameters<typeof base.signTypedData>) => {
      prompts++;
      return base.signTypedData(...args);
    }) as typeof base.signTypedData,
  };
  const authorizer = createUploadAuthorizer({ walletClient: counting as typeof base, domain: domain() });
  const fetchVia: typeof fetch = async (input, init) => {
    const request = new Request(new URL(String(input), "http://meridian.test"), init);
    const cid = new URL(request.url).pathname.split("/")[3];
    return request.method === "POST" ? handleBlobUpload(s, request) : handleBlobRequest({ store, request, cid });
  };
  const http = createHttpStore({ baseUrl: "/api/blobs", fetch: fetchVia, authorizer });
  for (const size of [10, 3 * 1024 * 1024 + 5]) {
    const envelope = await envelopeOf(size);
    const stored = await http.put(envelope);
    assert.equal(stored.ciphertextHash, await ciphertextHash(envelope));
    assert.deepEqual(await http.get(stored.cid), envelope);
    const raw = await handleBlobRequest({
      store,
      request: new Request(`http://meridian.test/api/blobs/${stored.cid}`),
      cid: stored.cid,
    });
    assert.equal(raw.status, 200);
    assert.deepEqual(new Uint8Array(await raw.arrayBuffer()), envelope);
  }
  assert.equal(prompts, 1, "one wallet signature opened the session for both uploads");
  // without an authorizer the same client gets a typed refusal that says what to do
  const unsigned = createHttpStore({ baseUrl: "/api/blobs", fetch: fetchVia });
  await assert.rejects(
    unsigned.put(await envelopeOf(20)),
    (e: unknown) =>
      e instanceof UploadRefusedError &&
      e.status === 401 &&
      /registered Meridian account/.test(e.shortMessage) &&
      e.hint !== undefined
  );
});

test("downloads serve only well-formed envelopes, even if something else was stored", async () => {
  const plaintext = new TextEncoder().encode('{"ssn":"123-45-6789"}');
  const { cid } = await store.put(plaintext); // as the old, unchecked upload route did
  const response = await handleBlobRequest({
    store,
    request: new Request(`http://meridian.test/api/blobs/${cid}`),
    cid,
  });
  await refused(response, 422, "not-an-envelope");
  const post405 = await handleBlobRequest({
    store,
    request: new Request("http://meridian.test/api/blobs", { method: "POST", body: plaintext }),
  });
  assert.equal(post405.status, 405);
});

test("a client with too many failed uploads is refused (429) for a while; other clients are not", async () => {
  const s = server({ maxFailures: 3 });
  const envelope = await envelopeOf(900);
  for (let i = 0; i < 3; i++) await refused(await post(s, envelope), 401, "unauthorized");
  const blocked = await post(s, envelope, { authorization: await authorizationFor(patient, envelope) });
  await refused(blocked, 429, "too-many-failures");
  assert.ok(Number(blocked.headers.get("retry-after")) > 0);
  assert.equal(
    (
      await post(s, envelope, {
        authorization: await authorizationFor(patient, envelope),
        "x-forwarded-for": "198.51.100.9",
      })
    ).status,
    201
  );
});

test("an ERC-1271 smart account that is a registered patient can open an upload session (checked through the RPC)", async () => {
  const { artifacts } = await import("hardhat");
  const artifact = await artifacts.readArtifact("TestSmartAccount");
  const owner = account(8);
  const ownerWallet = wallet(owner);
  const hash = await ownerWallet.deployContract({
    abi: artifact.abi,
    bytecode: artifact.bytecode as Hex,
    args: [owner.address],
    chain: ownerWallet.chain,
  });
  const smart = (await chain.publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
  const { recordRegistryAbi } = await import("@meridian/sdk/chain");
  const register = encodeFunctionData({
    abi: recordRegistryAbi,
    functionName: "register",
    args: [`0x${"42".repeat(32)}`],
  });
  const tx = await ownerWallet.writeContract({
    address: smart,
    abi: artifact.abi,
    functionName: "execute",
    args: [deployment.recordRegistry, register],
    chain: ownerWallet.chain,
  });
  await chain.publicClient.waitForTransactionReceipt({ hash: tx });

  const envelope = await envelopeOf(1200);
  const now = Math.floor(Date.now() / 1000);
  const sessionKey = testAccount(41);
  const session = { account: smart, sessionKey: sessionKey.address, issuedAt: now, expiresAt: now + 600 };
  const unsigned = {
    ciphertextHash: await ciphertextHash(envelope),
    size: envelope.length,
    timestamp: now,
    nonce: `0x${"ab".repeat(32)}` as Hex,
  };
  const upload = { ...unsigned, signature: await sessionKey.signTypedData(blobUploadTypedData(domain(), unsigned)) };
  const byOwner = await owner.signTypedData(uploadSessionTypedData(domain(), session));
  assert.equal(
    (
      await post(server(), envelope, {
        authorization: encodeUploadAuthorization({ session: { ...session, signature: byOwner }, upload }),
      })
    ).status,
    201
  );
  const byStranger = await stranger.signTypedData(uploadSessionTypedData(domain(), session));
  const other = await envelopeOf(1201);
  const u2 = { ...unsigned, ciphertextHash: await ciphertextHash(other), size: other.length };
  const upload2 = { ...u2, signature: await sessionKey.signTypedData(blobUploadTypedData(domain(), u2)) };
  await refused(
    await post(server(), other, {
      authorization: encodeUploadAuthorization({ session: { ...session, signature: byStranger }, upload: upload2 }),
    }),
    401,
    "bad-session-signature"
  );
});
