/**
 * `POST /api/blobs` and `GET /api/blobs/{cid}` (src/lib/blob-upload.ts): accepted uploads served
 * back byte-identical, downloads of only well-formed envelopes, per-account quotas that survive a
 * restart, per-client failure limits, and ERC-1271 smart accounts; against a real Hardhat/EDR chain,
 * a real Helia node on disk and real crypto (set-up in `blob-upload-fixture.ts`).
 *
 * Run: `node --test web/src/lib/blob-upload-limits.test.ts`
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { encodeFunctionData, type Hex } from "viem";
import { ciphertextHash } from "@meridian/sdk/crypto";
import {
  blobUploadTypedData,
  createHttpStore,
  createUploadAuthorizer,
  encodeUploadAuthorization,
  handleBlobRequest,
  UploadRefusedError,
  uploadSessionTypedData,
} from "@meridian/sdk/storage";
import { testAccount } from "@meridian/sdk/testing";
import { handleBlobUpload } from "./blob-upload.ts";
import { UploadQuota } from "./upload-quota.ts";
import {
  account,
  authorizationFor,
  chain,
  deployment,
  domain,
  envelopeOf,
  held,
  patient,
  post,
  refused,
  server,
  setUpBlobUploadFixture,
  store,
  stranger,
  wallet,
} from "./blob-upload-fixture.ts";

setUpBlobUploadFixture();

/** The part of the quota file (`UploadQuota`'s JSON) these tests read: bytes per lower-case account. */
type QuotaFileShape = { accounts: Record<string, { totalBytes: number } | undefined> };

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
    "quota-exceeded",
  );
  assert.equal(
    (JSON.parse(await readFile(s.quota.file, "utf8")) as QuotaFileShape).accounts[patient.address.toLowerCase()]
      ?.totalBytes,
    first.length,
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
    "quota-exceeded",
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
  const authorizer = createUploadAuthorizer({ walletClient: counting, domain: domain() });
  const fetchVia: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : input;
    const request = new Request(new URL(url, "http://meridian.test"), init);
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
      e.hint !== undefined,
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
    201,
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
    nonce: `0x${"ab".repeat(32)}` as const,
  };
  const upload = { ...unsigned, signature: await sessionKey.signTypedData(blobUploadTypedData(domain(), unsigned)) };
  const byOwner = await owner.signTypedData(uploadSessionTypedData(domain(), session));
  assert.equal(
    (
      await post(server(), envelope, {
        authorization: encodeUploadAuthorization({ session: { ...session, signature: byOwner }, upload }),
      })
    ).status,
    201,
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
    "bad-session-signature",
  );
});
