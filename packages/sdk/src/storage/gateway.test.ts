import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CarWriter } from "@ipld/car/writer";
import type { CID } from "multiformats/cid";
import { hashLeaf, importBlob, joinBlob, rawCid } from "./cid.ts";
import { BlockNotFoundError, CidMismatchError } from "./errors.ts";
import { createGatewayReader } from "./gateway.ts";

/** A blob's blocks in depth-first order (root first), as `cid.ts` builds them. */
interface Dag {
  root: CID;
  blocks: { cid: CID; bytes: Uint8Array }[];
}

async function dagOf(blob: Uint8Array): Promise<Dag> {
  const leaves: { cid: CID; bytes: Uint8Array }[] = [];
  const nodes: { cid: CID; bytes: Uint8Array }[] = [];
  const { cid } = await importBlob(
    blob,
    async (parts, index) => {
      const bytes = joinBlob(parts).slice();
      const leaf = await hashLeaf(parts, index);
      leaves.push({ cid: leaf, bytes });
      return leaf;
    },
    { put: (node, bytes) => nodes.push({ cid: node, bytes }) },
  );
  const order = new Map([...leaves, ...nodes].map((block) => [block.cid.toString(), block]));
  // One level of dag-pb nodes for blobs under 174 MiB: the root, then its leaves in link order.
  const { decode } = await import("@ipld/dag-pb");
  const root = order.get(cid.toString())!;
  const links = cid.code === 0x55 ? [] : decode(root.bytes).Links.map((link) => order.get(link.Hash.toString())!);
  return { root: cid, blocks: [root, ...links] };
}

/** CARv1 bytes of `blocks` with `root` as the header's root. */
async function carOf(root: CID, blocks: readonly { cid: CID; bytes: Uint8Array }[]): Promise<Uint8Array[]> {
  const { writer, out } = CarWriter.create([root]);
  const chunks: Uint8Array[] = [];
  const collecting = (async () => {
    for await (const chunk of out) chunks.push(chunk);
  })();
  for (const block of blocks) await writer.put(block);
  await writer.close();
  await collecting;
  return chunks;
}

/** What the test gateway does with a request; it records every request's URL. */
type Behaviour = (url: URL, response: ServerResponse) => Promise<void> | void;

describe("createGatewayReader: CAR first, every block checked", () => {
  let server: Server;
  let url: string;
  let behaviour: Behaviour;
  const requests: string[] = [];
  let dag: Dag;
  let blob: Uint8Array;
  const byCid = (cid: string) => dag.blocks.find((block) => block.cid.toString() === cid);

  /** Serves raw blocks of `dag` (404 for others); `car` decides what a CAR request gets. */
  const gateway =
    (car: (response: ServerResponse) => Promise<void> | void, raw = true): Behaviour =>
    async (requestUrl, response) => {
      const format = requestUrl.searchParams.get("format");
      if (format === "car") return car(response);
      const block = raw ? byCid(requestUrl.pathname.split("/")[2]!) : undefined;
      if (format !== "raw" || !block) {
        response.writeHead(format === "raw" ? 404 : 406).end();
        return;
      }
      response.writeHead(200, { "content-type": "application/vnd.ipld.raw" }).end(block.bytes);
    };
  const sendCar = async (response: ServerResponse, blocks: Dag["blocks"], options: { cut?: boolean } = {}) => {
    response.writeHead(200, { "content-type": "application/vnd.ipld.car; version=1; order=dfs; dups=n" });
    const chunks = await carOf(dag.root, blocks);
    if (options.cut) {
      const bytes = joinBlob(chunks);
      response.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      setTimeout(() => response.destroy(), 20); // no final chunk: an incomplete CAR
      return;
    }
    for (const chunk of chunks) response.write(chunk);
    response.end();
  };

  before(async () => {
    blob = new Uint8Array(randomBytes(3 * 1024 * 1024 + 12345)); // a dag-pb root over four leaves
    dag = await dagOf(blob);
    server = createServer((request, response) => {
      const requestUrl = new URL(request.url ?? "/", "http://gateway.test");
      requests.push(`${requestUrl.pathname}?${requestUrl.searchParams.get("format")}`);
      void Promise.resolve(behaviour(requestUrl, response)).catch(() => response.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const read = async () => {
    requests.length = 0;
    return createGatewayReader({ url }).get(dag.root.toString());
  };
  const rejectsWith = async (kind: typeof CidMismatchError | typeof BlockNotFoundError, pattern: RegExp) =>
    assert.rejects(read(), (error: unknown) => {
      assert.ok(error instanceof kind, String(error));
      assert.match(String((error as CidMismatchError).details), pattern);
      return true;
    });

  it("reads a blob in one CAR request, asking for dag-scope=all, dfs order and no duplicates", async () => {
    behaviour = gateway((response) => sendCar(response, dag.blocks));
    assert.equal(dag.blocks.length, 5);
    assert.deepEqual(await read(), blob);
    assert.deepEqual(requests, [`/ipfs/${dag.root.toString()}?car`]);
  });

  it("reads a single-block blob with one raw block request (no CAR framing needed)", async () => {
    const small = new Uint8Array(randomBytes(1000));
    const single = await dagOf(small);
    const saved = dag;
    dag = single;
    try {
      behaviour = gateway((response) => sendCar(response, single.blocks));
      assert.deepEqual(await read(), small);
      assert.deepEqual(requests, [`/ipfs/${single.root.toString()}?raw`]);
    } finally {
      dag = saved;
    }
  });

  it("catches a CAR block with altered bytes (CidMismatchError)", async () => {
    const altered = dag.blocks.map((block, index) => {
      if (index !== 2) return block;
      const bytes = block.bytes.slice();
      bytes[100]! ^= 0x01;
      return { cid: block.cid, bytes };
    });
    behaviour = gateway((response) => sendCar(response, altered));
    await rejectsWith(CidMismatchError, /does not hash to that block's CID/);
  });

  it("catches a CAR that carries a block outside the blob's DAG (CidMismatchError)", async () => {
    const stray = new Uint8Array(randomBytes(2048));
    const extra = { cid: rawCid(new Uint8Array(await crypto.subtle.digest("SHA-256", stray))), bytes: stray };
    behaviour = gateway((response) => sendCar(response, [...dag.blocks.slice(0, 3), extra, ...dag.blocks.slice(3)]));
    await rejectsWith(CidMismatchError, /outside the blob's DAG/);
  });

  it("catches a CAR that repeats a block with different bytes (CidMismatchError)", async () => {
    const copy = dag.blocks[1]!.bytes.slice();
    copy[0]! ^= 0xff;
    behaviour = gateway((response) => sendCar(response, [...dag.blocks, { cid: dag.blocks[1]!.cid, bytes: copy }]));
    await rejectsWith(CidMismatchError, /second, different copy/);
  });

  it("catches a CAR that announces a block larger than any Meridian block (CidMismatchError)", async () => {
    const huge = new Uint8Array(2 * 1024 * 1024);
    const block = { cid: rawCid(new Uint8Array(await crypto.subtle.digest("SHA-256", huge))), bytes: huge };
    behaviour = gateway((response) => sendCar(response, [dag.blocks[0]!, block, ...dag.blocks.slice(1)]));
    await rejectsWith(CidMismatchError, /2097152-byte block/);
  });

  it("fails with BlockNotFoundError when the CAR lacks a block and the gateway has no raw copy", async () => {
    behaviour = gateway(
      (response) =>
        sendCar(
          response,
          dag.blocks.filter((_, index) => index !== 3),
        ),
      false,
    );
    await rejectsWith(BlockNotFoundError, new RegExp(`block ${dag.blocks[3]!.cid.toString()} of the blob's DAG`));
  });

  it("fetches only what an incomplete CAR left out as raw blocks", async () => {
    behaviour = gateway((response) =>
      sendCar(
        response,
        dag.blocks.filter((_, index) => index !== 3),
      ),
    );
    assert.deepEqual(await read(), blob);
    assert.deepEqual(requests.slice(1), [`/ipfs/${dag.blocks[3]!.cid.toString()}?raw`]);

    behaviour = gateway((response) => sendCar(response, dag.blocks, { cut: true }));
    assert.deepEqual(await read(), blob, "a CAR cut off mid-stream");
    assert.ok(requests.length > 1 && requests.length < 1 + dag.blocks.length, requests.join(" "));
  });

  it("falls back to raw blocks when the gateway answers 406 to a CAR request", async () => {
    behaviour = gateway((response) => void response.writeHead(406).end());
    assert.deepEqual(await read(), blob);
    assert.equal(requests[0], `/ipfs/${dag.root.toString()}?car`);
    assert.deepEqual(requests.slice(1).sort(), dag.blocks.map((block) => `/ipfs/${block.cid.toString()}?raw`).sort());
  });

  it("still catches altered raw blocks after falling back", async () => {
    const altered = (requestUrl: URL, response: ServerResponse) => {
      if (requestUrl.searchParams.get("format") !== "raw") return void response.writeHead(406).end();
      const block = byCid(requestUrl.pathname.split("/")[2]!)!;
      const bytes = block.bytes.slice();
      if (block.cid.code === 0x55) bytes[7]! ^= 0x10;
      response.writeHead(200, { "content-type": "application/vnd.ipld.raw" }).end(bytes);
    };
    behaviour = altered;
    await rejectsWith(CidMismatchError, /does not hash to that block's CID/);
  });

  it("answers BlockNotFoundError when the gateway does not hold the root (404 to the CAR request)", async () => {
    behaviour = (_, response) => void response.writeHead(404).end();
    await rejectsWith(BlockNotFoundError, /does not hold it/);
    assert.equal(requests.length, 1, "no raw requests after a 404 for the root");
  });
});
