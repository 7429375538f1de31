/**
 * The SDK's replicated store (`createReplicatedStore`) and node discovery (`resolveNodeUrls`)
 * against real Meridian nodes (`startMeridianNode`: Helia with libp2p on disk, the Trustless
 * Gateway and the Pinning Service API on 127.0.0.1), a real embedded chain and real envelopes.
 * A lying node is a raw HTTP server that answers every gateway request with other bytes.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startMeridianNode, type MeridianNode } from "@meridian/node";
import { setNodeEndpoints } from "@meridian/sdk/chain";
import {
  BlockNotFoundError,
  checkReplicas,
  createHeliaStore,
  createNodeClient,
  createPinningAccessToken,
  createReplicatedStore,
  createUploadAuthorizer,
  repairReplicas,
  ReplicationError,
  resolveNodeUrls,
  type NodeClient,
} from "@meridian/sdk/storage";
import { startTestNetwork, testAccount, type TestNetwork } from "@meridian/sdk/testing";

const PATIENT = 5;
const HOSPITAL = 2;
const LAB = 3;

let net: TestNetwork;
let domain: { chainId: number; recordRegistry: `0x${string}` };

before(async () => {
  net = await startTestNetwork({ label: "replication" });
  domain = { chainId: net.deployment.chainId, recordRegistry: net.deployment.recordRegistry };
  await net.admitProvider(HOSPITAL, { name: "St Mary's" });
  await net.admitProvider(LAB, { name: "North Lab" });
  await net.registerPatient(PATIENT);
});
after(() => net?.close());

const nodeAt = (name: string, port = 0): Promise<MeridianNode> =>
  startMeridianNode({
    dataDir: path.join(net.dir, "nodes", name),
    listen: { host: "127.0.0.1", port },
    publicClient: net.publicClient,
    deployment: net.deployment,
    repairIntervalSeconds: 0,
    pinTimeoutSeconds: 20,
    log: () => {},
  });

/** A node client that uploads and pins as the patient. */
async function clientOf(url: string, index = PATIENT): Promise<NodeClient> {
  const walletClient = net.wallet(testAccount(index));
  return createNodeClient({
    url,
    authorizer: createUploadAuthorizer({ walletClient, domain }),
    accessToken: await createPinningAccessToken({ walletClient, domain }),
  });
}

/** A real envelope: a record sealed by the patient's client into the network's own store, then read back. */
async function envelope(text: string): Promise<Uint8Array> {
  const added = await net.client(PATIENT).addRecord({ plaintext: new TextEncoder().encode(text), category: 2 });
  return net.store.get(added.cid);
}

/** A gateway that answers every block request with the same wrong bytes. */
async function lyingGateway(): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/vnd.ipld.raw" });
    response.end(Buffer.from("these are not the bytes you asked for"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe("createReplicatedStore with real Meridian nodes", () => {
  it("put pins on 2 nodes before it returns; each node then serves the verified blob", async () => {
    const [a, b] = await Promise.all([nodeAt("put-a"), nodeAt("put-b")]);
    try {
      const nodes = [await clientOf(a.url), await clientOf(b.url)];
      const pinned: string[] = [];
      const store = createReplicatedStore({
        nodes,
        replicas: 2,
        onProgress: (e) => (e.type === "pinned" ? pinned.push(e.url) : undefined),
      });
      const bytes = await envelope("replicated put");
      const stored = await store.put(bytes);
      assert.deepEqual(pinned.sort(), [a.url, b.url].sort());
      for (const node of nodes) assert.deepEqual(await node.get(stored.cid), bytes);
      const [check] = await checkReplicas({ cids: [stored.cid], nodes });
      assert.equal(check!.live, 2);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it("put with 2 replicas and one node down throws ReplicationError naming the node that failed", async () => {
    const a = await nodeAt("down-a");
    const b = await nodeAt("down-b");
    const downUrl = b.url;
    await b.stop();
    try {
      const store = createReplicatedStore({ nodes: [await clientOf(a.url), await clientOf(downUrl)], replicas: 2 });
      const error = await store.put(await envelope("one node down")).then(
        () => assert.fail("put succeeded with one of two nodes down"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ReplicationError, String(error));
      assert.deepEqual(error.pinned, [a.url]);
      assert.deepEqual(
        error.failures.map((f) => f.url),
        [downUrl],
      );
      assert.match(error.message, new RegExp(downUrl.replace(/[.:/]/g, "\\$&")));
    } finally {
      await a.stop();
    }
  });

  it("get falls back to the second node when the first is stopped, and skips a node that returns wrong bytes", async () => {
    const [a, b] = await Promise.all([nodeAt("read-a"), nodeAt("read-b")]);
    const liar = await lyingGateway();
    try {
      const writer = createReplicatedStore({ nodes: [await clientOf(a.url), await clientOf(b.url)], replicas: 2 });
      const bytes = await envelope("read fallback");
      const { cid } = await writer.put(bytes);
      const aUrl = a.url;
      await a.stop();
      const sources: string[] = [];
      const reader = createReplicatedStore({
        nodes: [createNodeClient({ url: liar.url }), createNodeClient({ url: aUrl }), createNodeClient({ url: b.url })],
        replicas: 1,
        onProgress: (e) => (e.type === "read" ? sources.push(e.source) : undefined),
      });
      assert.deepEqual(await reader.get(cid), bytes);
      assert.deepEqual(sources, [b.url]);
      await b.stop();
      const error = await reader.get(cid).catch((e: unknown) => e);
      assert.ok(error instanceof Error && error.name === "CidMismatchError", String(error));
      assert.match(String((error as { details?: string }).details), /127\.0\.0\.1/);
    } finally {
      liar.server.close();
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it("check and repair restore 2 replicas after a node restarts with an empty disk", async () => {
    const [a, b] = await Promise.all([nodeAt("repair-a"), nodeAt("repair-b")]);
    let a2: MeridianNode | undefined;
    try {
      const nodes = [await clientOf(a.url), await clientOf(b.url)];
      const { cid } = await createReplicatedStore({ nodes, replicas: 2 }).put(await envelope("repair me"));
      const port = Number(new URL(a.url).port);
      await a.stop();
      a2 = await nodeAt("repair-a-empty", port); // same URL, empty disk
      const [before] = await checkReplicas({ cids: [cid], nodes });
      assert.deepEqual(
        before!.nodes.map((n) => n.state),
        ["missing", "live"],
      );
      const [repair] = await repairReplicas({ blobs: [before!], nodes, replicas: 2 });
      assert.deepEqual(repair!.pinned, [{ url: a.url, from: "origins" }]);
      const [after] = await checkReplicas({ cids: [cid], nodes });
      assert.equal(after!.live, 2);
    } finally {
      await Promise.all([a.stop(), b.stop(), a2?.stop()]);
    }
  });

  it("get names every node tried when none holds the blob", async () => {
    const local = await createHeliaStore({ directory: path.join(net.dir, "empty-local") });
    const store = createReplicatedStore({
      local,
      nodes: [createNodeClient({ url: "http://127.0.0.1:9" })],
      replicas: 1,
    });
    const { cid } = await net.store.put(await envelope("nowhere"));
    const error = await store.get(cid).catch((e: unknown) => e);
    assert.ok(error instanceof BlockNotFoundError, String(error));
    assert.match(String(error.details), /this machine: .*; http:\/\/127\.0\.0\.1:9: /);
    await store.close();
  });
});

describe("resolveNodeUrls", () => {
  it("orders named, preferred and other providers' nodes; skips malformed and unreachable registry endpoints", async () => {
    const live = await nodeAt("discovery");
    try {
      await setNodeEndpoints(net.as(HOSPITAL), { endpoints: ["http://127.0.0.1:9", "http://exa mple.org"] });
      await setNodeEndpoints(net.as(LAB), { endpoints: [live.url, "https://user:secret@lab.example"] });
      const warnings: string[] = [];
      const urls = await resolveNodeUrls({
        named: ["http://named.example:4100/"],
        publicClient: net.publicClient,
        deployment: net.deployment,
        prefer: [testAccount(LAB).address],
        probeTimeoutMs: 2_000,
        onWarning: (w) => warnings.push(w),
      });
      assert.deepEqual(urls, ["http://named.example:4100", live.url]);
      assert.equal(warnings.length, 3, warnings.join("\n"));
      assert.ok(warnings.some((w) => w.includes("http://127.0.0.1:9") && w.includes("unreachable")));
      assert.ok(warnings.some((w) => w.includes("user name or password")));
      // without probing, the unreachable one stays (a reader then skips it), the malformed ones do not
      const unprobed = await resolveNodeUrls({ publicClient: net.publicClient, deployment: net.deployment });
      assert.deepEqual(unprobed, ["http://127.0.0.1:9", live.url]);
    } finally {
      await setNodeEndpoints(net.as(HOSPITAL), { endpoints: [] });
      await setNodeEndpoints(net.as(LAB), { endpoints: [] });
      await live.stop();
    }
  });

  it("refuses a malformed named URL with a typed error", async () => {
    await assert.rejects(resolveNodeUrls({ named: ["ftp://x.example"] }), { name: "InvalidNodeUrlError" });
  });
});
