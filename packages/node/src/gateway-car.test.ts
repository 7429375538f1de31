import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { CarBlockIterator } from "@ipld/car/iterator";
import { decode as decodeDagPb } from "@ipld/dag-pb";
import { NextToLast } from "blockstore-fs/sharding";
import { BlockNotFoundError, createGatewayReader, parseBlobCid } from "@meridian/sdk/storage";
import type { MeridianNode } from "./index.ts";
import { clientOf, envelope, PATIENT, startKit, startNode } from "./test-kit.ts";

/** The blocks of a CAR response body, in order, and its header's roots. */
async function blocksOf(response: Response): Promise<{ roots: string[]; cids: string[]; bytes: Uint8Array[] }> {
  const iterator = await CarBlockIterator.fromIterable(response.body as unknown as AsyncIterable<Uint8Array>);
  const roots = (await iterator.getRoots()).map(String);
  const cids: string[] = [];
  const bytes: Uint8Array[] = [];
  for await (const block of iterator) {
    cids.push(block.cid.toString());
    bytes.push(block.bytes);
  }
  return { roots, cids, bytes };
}

describe("the node's trustless gateway: CAR responses", () => {
  let kit: Awaited<ReturnType<typeof startKit>>;
  let node: MeridianNode;
  let cid: string;
  let bytes: Uint8Array;
  let leaves: string[];

  before(async () => {
    kit = await startKit("gateway-car");
    node = await startNode(kit, "a");
    bytes = await envelope(3_500_000); // four 1 MiB leaves under a dag-pb root
    ({ cid } = await (await clientOf(kit, node.url, PATIENT)).upload(bytes));
    const root = new Uint8Array(await (await fetch(`${node.url}/ipfs/${cid}?format=raw`)).arrayBuffer());
    leaves = decodeDagPb(root).Links.map((link) => link.Hash.toString());
  });
  after(async () => {
    await node?.stop();
    await kit?.close();
  });

  it("streams the blob's whole DAG as a CARv1 in depth-first order with the spec's headers", async () => {
    const response = await fetch(`${node.url}/ipfs/${cid}?format=car`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/vnd.ipld.car; version=1; order=dfs; dups=n");
    assert.equal(response.headers.get("content-disposition"), `attachment; filename="${cid}.car"`);
    assert.equal(response.headers.get("cache-control"), "public, max-age=29030400, immutable");
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(response.headers.get("etag"), `W/"${cid}.car.all.dfs.n"`);
    assert.equal(response.headers.get("x-ipfs-roots"), cid);
    const car = await blocksOf(response);
    assert.deepEqual(car.roots, [cid]);
    assert.deepEqual(car.cids, [cid, ...leaves], "the root, then its leaves in link order");
    car.cids.forEach((blockCid, index) => {
      const digest = new Uint8Array(createHash("sha256").update(car.bytes[index]!).digest());
      assert.deepEqual(digest, parseBlobCid(blockCid).multihash.digest, `block ${index} hashes to its CID`);
    });
    assert.deepEqual(Buffer.concat(car.bytes.slice(1)), Buffer.from(bytes), "the leaves are the blob");
  });

  it("negotiates CAR through Accept, honours dag-scope, dups, HEAD and If-None-Match", async () => {
    const accepted = await fetch(`${node.url}/ipfs/${cid}`, {
      headers: { accept: "application/vnd.ipld.car; version=1; order=dfs; dups=y" },
    });
    assert.equal(accepted.headers.get("content-type"), "application/vnd.ipld.car; version=1; order=dfs; dups=y");
    assert.equal(
      accepted.headers.get("content-location"),
      `/ipfs/${cid}?format=car&dag-scope=all&car-order=dfs&car-dups=y`,
    );
    assert.equal((await blocksOf(accepted)).cids.length, 1 + leaves.length);
    const preferred = await fetch(`${node.url}/ipfs/${cid}`, {
      headers: { accept: "application/vnd.ipld.raw;q=0.5, application/vnd.ipld.car" },
    });
    assert.match(preferred.headers.get("content-type")!, /^application\/vnd\.ipld\.car;/, "the higher q wins");
    await preferred.body?.cancel();
    const rawWins = await fetch(`${node.url}/ipfs/${cid}?format=raw`, {
      headers: { accept: "application/vnd.ipld.car" },
    });
    assert.equal(rawWins.headers.get("content-type"), "application/vnd.ipld.raw", "format wins over Accept");
    await rawWins.body?.cancel();
    const rootOnly = await blocksOf(await fetch(`${node.url}/ipfs/${cid}?format=car&dag-scope=block`));
    assert.deepEqual(rootOnly.cids, [cid]);
    const entity = await blocksOf(await fetch(`${node.url}/ipfs/${cid}?format=car&dag-scope=entity`));
    assert.deepEqual(entity.cids, [cid, ...leaves]);
    const head = await fetch(`${node.url}/ipfs/${cid}?format=car`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("etag"), `W/"${cid}.car.all.dfs.n"`);
    const cached = await fetch(`${node.url}/ipfs/${cid}?format=car`, {
      headers: { "if-none-match": `W/"${cid}.car.all.dfs.n"` },
    });
    assert.equal(cached.status, 304);
  });

  it("answers 404 for a root it does not hold, 406 for CAR variants it does not send, 400 for bad scopes", async () => {
    const absent = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
    const missing = await fetch(`${node.url}/ipfs/${absent}?format=car`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { reason: string } }).error.reason, "NOT_FOUND");
    assert.equal((await fetch(`${node.url}/ipfs/${absent}?format=car`, { method: "HEAD" })).status, 404);
    const status = async (query: string, accept?: string) => {
      const response = await fetch(`${node.url}/ipfs/${cid}${query}`, accept ? { headers: { accept } } : {});
      await response.body?.cancel();
      return response.status;
    };
    assert.equal(await status("?format=car&car-version=2"), 406);
    assert.equal(await status("", "application/vnd.ipld.car; version=2"), 406);
    assert.equal(await status("?format=car&car-order=bfs"), 406);
    assert.equal(await status("?format=car&car-dups=maybe"), 406);
    assert.equal(await status("?format=car&dag-scope=everything"), 400);
    assert.equal(await status("?format=car&entity-bytes=0:99"), 400);
    assert.equal(await status("?format=dag-json"), 406);
  });

  it("gives createGatewayReader the blob in one request, every block verified", async () => {
    const urls: string[] = [];
    const reader = createGatewayReader({
      url: node.url,
      fetch: (input, init) => {
        urls.push(input instanceof Request ? input.url : input.toString());
        return fetch(input, init);
      },
    });
    assert.deepEqual(await reader.get(cid), bytes);
    assert.deepEqual(urls, [`${node.url}/ipfs/${cid}?format=car&dag-scope=all&car-order=dfs&car-dups=n`]);
  });

  it("ends the CAR abnormally when a block under the root is missing, and the reader says which", async () => {
    const { dir, file } = new NextToLast().encode(parseBlobCid(leaves[2]!));
    await rm(path.join(kit.temp.path, "a", "ipfs", "blocks", dir, file));
    const response = await fetch(`${node.url}/ipfs/${cid}?format=car`);
    assert.equal(response.status, 200, "the root was there, so the stream had started");
    await assert.rejects(blocksOf(response), "the CAR is cut off, not closed as if complete");
    await assert.rejects(createGatewayReader({ url: node.url }).get(cid), (error: unknown) => {
      assert.ok(error instanceof BlockNotFoundError, String(error));
      assert.match(String(error.details), new RegExp(`block ${leaves[2]!} of the blob's DAG is missing`));
      return true;
    });
  });
});
