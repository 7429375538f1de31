/**
 * The app server over Meridian nodes (src/lib/node-stores.ts, issue 16 item 5), against the test
 * kit's real chain (Hardhat/EDR in process), real Helia stores on disk and two real Meridian nodes
 * (`startMeridianNode`, libp2p on 127.0.0.1). `POST /api/blobs` answers 201 only once both nodes
 * hold the envelope pinned, and refuses (503, naming the node) when one cannot; `GET` finds a blob
 * only a node holds, and skips a node that answers other bytes (a raw HTTP server that lies).
 *
 * Run: `node --test web/src/lib/node-stores.test.ts`
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, test } from "node:test";
import { createHeliaStore, handleBlobRequest, type BlobStore } from "@meridian/sdk/storage";
import { computeBlobIdentity, decodeUploadAuthorization } from "@meridian/sdk/storage";
import { startMeridianNode, type MeridianNode } from "@meridian/node";
import type { BlobUploadServer } from "./blob-upload.ts";
import {
  authorizationFor,
  envelopeOf,
  net,
  patient,
  post,
  refused,
  server,
  setUpBlobUploadFixture,
} from "./blob-upload-fixture.ts";
import { nodeReadStore, nodeUploadStore } from "./node-stores.ts";

let nodeA: MeridianNode, nodeB: MeridianNode;
let liar: Server, liarUrl: string;
let hospitalB: BlobStore;

setUpBlobUploadFixture(async () => {
  const start = (name: string) =>
    startMeridianNode({
      dataDir: path.join(net.dir, name),
      listen: { host: "127.0.0.1", port: 0 },
      publicClient: net.chain.publicClient,
      deployment: net.deployment,
      repairIntervalSeconds: 0,
      log: () => {},
    });
  [nodeA, nodeB] = await Promise.all([start("node-a"), start("node-b")]);
  hospitalB = await createHeliaStore({ directory: path.join(net.dir, "hospital-b-ipfs") });
  // a node that answers every block request with the same wrong bytes
  liar = createServer((_, response) => {
    response.writeHead(200, { "content-type": "application/vnd.ipld.raw" });
    response.end(Buffer.from("not the block you asked for"));
  });
  await new Promise<void>((resolve) => liar.listen(0, "127.0.0.1", resolve));
  liarUrl = `http://127.0.0.1:${(liar.address() as AddressInfo).port}`;
});

after(async () => {
  await hospitalB.close();
  await new Promise((resolve) => liar.close(resolve));
  await Promise.all([nodeA.stop(), nodeB.stop()]);
});

/** Hospital A's app server: its own store (the kit's Helia) and its nodes, `replicas` pins per upload. */
function hospitalA(nodes: string[], replicas = 2): BlobUploadServer {
  return {
    ...server(),
    uploadStore: (header, authorization) =>
      Promise.resolve(nodeUploadStore({ local: server().store, nodes, replicas, header, authorization })),
  };
}

const onGateway = async (url: string, cid: string) => (await fetch(`${url}/ipfs/${cid}?format=raw`)).status === 200;

test("an upload is answered 201 only once both hospitals' nodes hold it pinned", async () => {
  const envelope = await envelopeOf(3 * 1024 * 1024 + 17);
  const authorization = await authorizationFor(patient, envelope);
  const response = await post(hospitalA([nodeA.url, nodeB.url]), envelope, { authorization });
  assert.equal(response.status, 201, await response.clone().text());
  const { cid } = (await response.json()) as { cid: string };
  assert.equal(cid, (await computeBlobIdentity(envelope)).cid.toString());
  assert.equal(await onGateway(nodeA.url, cid), true, "on hospital A's node");
  assert.equal(await onGateway(nodeB.url, cid), true, "on hospital B's node");
  assert.equal(decodeUploadAuthorization(authorization).session.account, patient.address);
});

test("an upload that fewer nodes than required confirm is refused (503) naming the node, and not acknowledged", async () => {
  const down = "http://127.0.0.1:9"; // discard port: nothing listens there
  const envelope = await envelopeOf(2000);
  const response = await post(hospitalA([nodeA.url, down]), envelope, {
    authorization: await authorizationFor(patient, envelope),
  });
  const body = await refused(response, 503, "replication-failed");
  assert.match(JSON.stringify(body), /127\.0\.0\.1:9/);
  // one replica is what a hospital that asks for one gets
  const again = await envelopeOf(2000);
  const one = await post(hospitalA([down, nodeA.url], 1), again, {
    authorization: await authorizationFor(patient, again),
  });
  assert.equal(one.status, 201, await one.clone().text());
});

test("hospital B's server serves a blob only a node holds, verified, and skips a node that lies", async () => {
  const envelope = await envelopeOf(1500);
  const response = await post(hospitalA([nodeA.url, nodeB.url]), envelope, {
    authorization: await authorizationFor(patient, envelope),
  });
  const { cid } = (await response.json()) as { cid: string };
  assert.equal(await hospitalB.has(cid), false, "hospital B's own store never received it");
  // a named node, then a published one (listed only when re-read: the provider published it since)
  for (const [nodes, published] of [
    [[liarUrl, nodeB.url], () => Promise.resolve([])],
    [[liarUrl], (fresh: boolean) => Promise.resolve(fresh ? [nodeA.url] : [])],
  ] as const) {
    const store = nodeReadStore({ local: hospitalB, nodes: [...nodes], published });
    const request = new Request(`http://hospital-b.test/api/blobs/${cid}`);
    const answer = await handleBlobRequest({ store, request, cid });
    assert.equal(answer.status, 200, await answer.clone().text());
    assert.deepEqual(new Uint8Array(await answer.arrayBuffer()), envelope);
  }
  // nobody honest holds it: a 404, not the liar's bytes
  const lonely = nodeReadStore({ local: hospitalB, nodes: [liarUrl], published: () => Promise.resolve([]) });
  const missing = await handleBlobRequest({
    store: lonely,
    request: new Request(`http://hospital-b.test/api/blobs/${cid}`),
    cid,
  });
  assert.notEqual(missing.status, 200);
});
