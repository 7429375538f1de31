import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  createHeliaStore,
  createPinningClient,
  encodeUploadAuthorization,
  PinningServiceError,
  UploadRefusedError,
} from "@meridian/sdk/storage";
import type { MeridianNode } from "./index.ts";
import { clientOf, envelope, PATIENT, PROVIDER, STRANGER, startKit, startNode, tokenOf } from "./test-kit.ts";

const reasonOf = async (response: Response) => ((await response.json()) as { error: { reason: string } }).error.reason;

describe("the node's pinning service", () => {
  let kit: Awaited<ReturnType<typeof startKit>>;
  let a: MeridianNode;
  let b: MeridianNode;
  let plaintextCid: string;

  before(async () => {
    kit = await startKit("pins");
    // Bytes that are not an envelope, already in A's existing <data-dir>/ipfs (served as it is).
    const legacy = await createHeliaStore({ directory: path.join(kit.temp.path, "a", "ipfs") });
    ({ cid: plaintextCid } = await legacy.put(new TextEncoder().encode('{"resourceType":"Patient"}'.repeat(100))));
    await legacy.close();
    a = await startNode(kit, "a");
    b = await startNode(kit, "b");
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await kit?.close();
  });

  it("a second node pins a blob from its origins over bitswap", async () => {
    const bytes = await envelope(2_500_000);
    const { cid } = await (await clientOf(kit, a.url, PATIENT)).upload(bytes);
    const onB = await clientOf(kit, b.url, PROVIDER);
    assert.equal(await onB.has(cid), false);
    const status = await onB.pin(cid, { origins: a.multiaddrs, name: "lab result", timeoutMs: 20_000 });
    assert.equal(status.status, "pinned");
    assert.equal(status.pin.cid, cid);
    assert.deepEqual(await onB.get(cid), bytes, "B serves the blob it fetched, every block verified");
    const listed = await createPinningClient({ url: b.url, accessToken: await tokenOf(kit, PROVIDER) }).listPins();
    assert.deepEqual(
      listed.results.map((r) => [r.pin.cid, r.status]),
      [[cid, "pinned"]],
    );
  });

  it("refuses pins without a valid token (401) and from an unregistered account (403)", async () => {
    const cid = plaintextCid;
    const post = (authorization?: string) =>
      fetch(`${b.url}/pins`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ cid }),
      });
    const none = await post();
    assert.equal(none.status, 401);
    assert.equal(await reasonOf(none), "UNAUTHORIZED");
    assert.equal((await post("Bearer not.a-token")).status, 401);
    // An attacker holding an upload session (seen in an upload's header) cannot use it to pin.
    const walletClient = kit.wallet((await import("@meridian/sdk/testing")).testAccount(PATIENT));
    const signature = await walletClient.signTypedData({
      ...(await import("@meridian/sdk/storage")).uploadSessionTypedData(kit.domain, {
        account: walletClient.account.address,
        sessionKey: "0x1111111111111111111111111111111111111111",
        issuedAt: Math.floor(Date.now() / 1000),
        expiresAt: Math.floor(Date.now() / 1000) + 600,
      }),
    });
    const header = encodeUploadAuthorization({
      session: {
        account: walletClient.account.address,
        sessionKey: "0x1111111111111111111111111111111111111111",
        issuedAt: Math.floor(Date.now() / 1000),
        expiresAt: Math.floor(Date.now() / 1000) + 600,
        signature,
      },
      upload: {
        ciphertextHash: `0x${"00".repeat(32)}`,
        size: 0,
        timestamp: 0,
        nonce: `0x${"00".repeat(32)}`,
        signature: `0x${"00".repeat(65)}`,
      },
    });
    const session = JSON.parse(Buffer.from(header.split(" ")[1]!, "base64url").toString()) as { session: unknown };
    const stolen = Buffer.from(JSON.stringify({ session: session.session })).toString("base64url");
    assert.equal((await post(`Bearer ${stolen}`)).status, 401, "an upload session is not a pinning token");
    const stranger = await post(`Bearer ${await tokenOf(kit, STRANGER)}`);
    assert.equal(stranger.status, 403);
    assert.equal(await reasonOf(stranger), "FORBIDDEN");
    const client = createPinningClient({ url: b.url, accessToken: await tokenOf(kit, STRANGER) });
    await assert.rejects(client.addPin({ cid }), (e: unknown) => e instanceof PinningServiceError && e.status === 403);
  });

  it("fails a pin of bytes that are not an envelope and drops the blocks it fetched", async () => {
    const onB = await clientOf(kit, b.url, PATIENT);
    await assert.rejects(onB.pin(plaintextCid, { origins: a.multiaddrs, timeoutMs: 20_000 }), (error: unknown) => {
      assert.ok(error instanceof PinningServiceError, String(error));
      assert.equal(error.reason, "PIN_FAILED");
      assert.match(error.message, /not a Meridian envelope/);
      return true;
    });
    assert.equal(await onB.has(plaintextCid), false, "B kept none of the refused blob's blocks");
    assert.equal(await (await clientOf(kit, a.url, PATIENT)).has(plaintextCid), true, "A still serves its old store");
  });

  it("refuses uploads and pins over the account's quota", async () => {
    const small = await startNode(kit, "small", { quotaBytes: 1_000_000 });
    try {
      const big = await envelope(1_500_000);
      const { cid } = await (await clientOf(kit, a.url, PROVIDER)).upload(big);
      const onSmall = await clientOf(kit, small.url, PATIENT);
      await assert.rejects(onSmall.upload(big), (e: unknown) => e instanceof UploadRefusedError && e.status === 429);
      await assert.rejects(onSmall.pin(cid, { origins: a.multiaddrs, timeoutMs: 20_000 }), (error: unknown) => {
        assert.ok(error instanceof PinningServiceError);
        assert.equal(error.reason, "PIN_FAILED");
        assert.match(error.message, /quota/);
        return true;
      });
      assert.equal(await onSmall.has(cid), false);
      const fits = await envelope(10_000);
      assert.ok((await onSmall.upload(fits)).cid, "a blob within the quota is accepted");
    } finally {
      await small.stop();
    }
  });

  it("keeps pins, blocks and its peer id across a restart", async () => {
    const bytes = await envelope(1_200_000);
    const { cid } = await (await clientOf(kit, a.url, PATIENT)).upload(bytes);
    await (await clientOf(kit, b.url, PATIENT)).pin(cid, { origins: a.multiaddrs, timeoutMs: 20_000 });
    const peerId = b.peerId;
    await b.stop();
    b = await startNode(kit, "b");
    assert.equal(b.peerId, peerId);
    const again = await clientOf(kit, b.url, PATIENT);
    assert.deepEqual(await again.get(cid), bytes);
    const pins = createPinningClient({ url: b.url, accessToken: await tokenOf(kit, PATIENT) });
    const { results } = await pins.listPins({ cid: [cid] });
    assert.equal(results[0]?.status, "pinned");
    await pins.removePin(results[0].requestid);
    assert.equal(await again.has(cid), false, "removing the last pin deletes the blob");
    await assert.rejects(
      pins.getPin(results[0].requestid),
      (e: unknown) => e instanceof PinningServiceError && e.status === 404,
    );
  });

  it("rejects malformed pin requests with 400 BAD_REQUEST", async () => {
    const token = await tokenOf(kit, PATIENT);
    for (const body of [
      '{"cid":"nope"}',
      "not json",
      '{"cid":"' + plaintextCid + '","origins":["/ip4/1.2.3.4/tcp/1"]}',
    ]) {
      const response = await fetch(`${b.url}/pins`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body,
      });
      assert.equal(response.status, 400, body);
      assert.equal(await reasonOf(response), "BAD_REQUEST");
    }
  });
});
