import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { CidMismatchError, createGatewayReader, parseBlobCid } from "@meridian/sdk/storage";
import type { MeridianNode } from "./index.ts";
import { clientOf, envelope, PATIENT, startKit, startNode } from "./test-kit.ts";

describe("the node's trustless gateway", () => {
  let kit: Awaited<ReturnType<typeof startKit>>;
  let node: MeridianNode;
  let cid: string;
  let bytes: Uint8Array;

  before(async () => {
    kit = await startKit("gateway");
    node = await startNode(kit, "a");
    bytes = await envelope(2_500_000); // three 1 MiB leaves under a dag-pb root
    ({ cid } = await (await clientOf(kit, node.url, PATIENT)).upload(bytes));
  });
  after(async () => {
    await node?.stop();
    await kit?.close();
  });

  it("serves raw blocks with the spec's headers, for ?format=raw and for the Accept header", async () => {
    const byFormat = await fetch(`${node.url}/ipfs/${cid}?format=raw`);
    assert.equal(byFormat.status, 200);
    assert.equal(byFormat.headers.get("content-type"), "application/vnd.ipld.raw");
    assert.equal(byFormat.headers.get("cache-control"), "public, max-age=29030400, immutable");
    assert.equal(byFormat.headers.get("x-content-type-options"), "nosniff");
    assert.equal(byFormat.headers.get("etag"), `"${cid}.raw"`);
    const block = new Uint8Array(await byFormat.arrayBuffer());
    const digest = createHash("sha256").update(block).digest();
    assert.deepEqual(new Uint8Array(digest), parseBlobCid(cid).multihash.digest, "the block hashes to its CID");
    const byAccept = await fetch(`${node.url}/ipfs/${cid}`, { headers: { accept: "application/vnd.ipld.raw" } });
    assert.equal(byAccept.status, 200);
    assert.deepEqual(new Uint8Array(await byAccept.arrayBuffer()), block);
    const head = await fetch(`${node.url}/ipfs/${cid}?format=raw`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(block.length));
    const cached = await fetch(`${node.url}/ipfs/${cid}?format=raw`, { headers: { "if-none-match": `"${cid}.raw"` } });
    assert.equal(cached.status, 304);
  });

  it("answers 404 for a block it does not hold, 400 for a bad CID and 406 for formats other than raw and CAR", async () => {
    const absent = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
    const missing = await fetch(`${node.url}/ipfs/${absent}?format=raw`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { reason: string } }).error.reason, "NOT_FOUND");
    assert.equal((await fetch(`${node.url}/ipfs/${absent}?format=raw`, { method: "HEAD" })).status, 404);
    const bad = await fetch(`${node.url}/ipfs/not-a-cid?format=raw`);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { reason: string } }).error.reason, "BAD_REQUEST");
    assert.equal((await fetch(`${node.url}/ipfs/${cid}?format=dag-json`)).status, 406);
    assert.equal((await fetch(`${node.url}/ipfs/${cid}`, { headers: { accept: "text/html" } })).status, 406);
    assert.equal((await fetch(`${node.url}/ipfs/${cid}/some/path?format=raw`)).status, 400);
  });

  it("gives createGatewayReader the blob, every block verified", async () => {
    const reader = createGatewayReader({ url: node.url });
    assert.deepEqual(await reader.get(cid), bytes);
    assert.equal(await reader.has(cid), true);
  });

  it("describes itself at /meridian/v1/node", async () => {
    const info = (await (await fetch(`${node.url}/meridian/v1/node`)).json()) as Record<string, unknown>;
    assert.deepEqual(info, { peerId: node.peerId, multiaddrs: node.multiaddrs, url: node.url, version: 1 });
  });

  it("createGatewayReader catches a lying gateway with CidMismatchError", async () => {
    // A real HTTP server in front of the node that flips one byte of every leaf it passes on.
    const liar: Server = createServer((request, response) => {
      void (async () => {
        const upstream = await fetch(`${node.url}${request.url}`, { headers: { accept: "application/vnd.ipld.raw" } });
        const body = new Uint8Array(await upstream.arrayBuffer());
        if (body.length > 1024) body[body.length - 1]! ^= 0x01;
        response.writeHead(upstream.status, { "content-type": "application/vnd.ipld.raw" });
        response.end(body);
      })();
    });
    await new Promise<void>((resolve) => liar.listen(0, "127.0.0.1", resolve));
    try {
      const reader = createGatewayReader({ url: `http://127.0.0.1:${(liar.address() as AddressInfo).port}` });
      await assert.rejects(reader.get(cid), (error: unknown) => {
        assert.ok(error instanceof CidMismatchError, String(error));
        assert.match(error.message, /does not hash to that block's CID/);
        return true;
      });
    } finally {
      await new Promise((resolve) => liar.close(resolve));
    }
  });
});
