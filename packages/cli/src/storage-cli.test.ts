/**
 * The CLI with Meridian nodes: `--node`, `--replicas`, `meridian provider set-node`,
 * `meridian storage check` and `storage repair`, as separate processes against a real `hardhat
 * node`, with two real Meridian nodes (`startMeridianNode`) on 127.0.0.1 in this process; and
 * `meridian demo --nodes 2`, which starts its own.
 */
import assert from "node:assert/strict";
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { startMeridianNode, type MeridianNode } from "@meridian/node";
import { listRecordAnchors } from "@meridian/sdk/chain";
import { loadDeployment } from "./env.ts";
import { devAddress as addr, readDemoReport, startCliHarness, type CliHarness } from "./testing/harness.ts";

let h: CliHarness;
const nodes: MeridianNode[] = [];

before(async () => {
  h = await startCliHarness("storage-cli");
});
after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await h?.close();
});

/** A node on 127.0.0.1 (`port` 0: any) with its blocks under `<harness>/nodes/<name>`, checking accounts on the chain. */
async function startNode(name: string, port = 0): Promise<MeridianNode> {
  const deployment = await loadDeployment(path.join(h.dir, "deployment.json"));
  const node = await startMeridianNode({
    dataDir: path.join(h.dir, "nodes", name),
    listen: { host: "127.0.0.1", port },
    publicClient: h.node.publicClient,
    deployment,
    repairIntervalSeconds: 0,
    pinTimeoutSeconds: 20,
    log: () => {},
  });
  nodes.push(node);
  return node;
}

/** A small FHIR Observation file, different per `value`. */
async function observation(value: number): Promise<string> {
  const file = path.join(h.dir, `observation-${value}.json`);
  const resource = {
    resourceType: "Observation",
    status: "final",
    code: { text: "Body temperature" },
    valueQuantity: { value, unit: "Cel" },
  };
  await writeFile(file, JSON.stringify(resource));
  return file;
}

const ok = (r: { code: number; stderr: string }) => assert.equal(r.code, 0, r.stderr);

async function anchoredCount(patient: number): Promise<number> {
  const deployment = await loadDeployment(path.join(h.dir, "deployment.json"));
  return (await listRecordAnchors({ publicClient: h.node.publicClient, deployment }, addr(patient))).length;
}

test("records are pinned on --replicas nodes before anchoring, read from any node, checked and repaired", async () => {
  ok(await h.cli(0, "deploy", "--regulator", addr(1)));
  ok(await h.cli(1, "provider", "admit", addr(2), "--kind", "hospital", "--name", "St Mary's"));
  ok(await h.cli(1, "provider", "admit", addr(3), "--kind", "lab", "--name", "North Lab"));
  ok(await h.cli(3, "provider", "publish-key"));
  ok(await h.cli(5, "register"));

  // no node named or published: today's single-machine behaviour, said in one line
  const alone = await h.cli(5, "add", await observation(36.6));
  ok(alone);
  assert.match(alone.stderr, /records are kept on this machine only/);

  const a = await startNode("a");
  const b = await startNode("b");
  const bUrl = b.url;
  await b.stop();

  // one of two nodes down: nothing anchored, and the error names the node that failed
  const before = await anchoredCount(5);
  const refused = await h.cli(5, "--node", a.url, "--node", bUrl, "add", await observation(37.1));
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /Only 1 of 2 required nodes confirmed the pin; nothing was anchored/);
  assert.ok(refused.stderr.includes(bUrl), refused.stderr);
  assert.equal(await anchoredCount(5), before, "a record was anchored although only one node pinned it");

  // with both nodes up (B again on the same port, MERIDIAN_NODES naming it), the add succeeds
  const b2 = await startNode("b", Number(new URL(bUrl).port));
  const added = await h.cliWith(
    { dev: 5, env: { MERIDIAN_NODES: b2.url } },
    "--node",
    a.url,
    "add",
    await observation(37.4),
  );
  ok(added);
  const recordId = (JSON.parse(added.stdout) as { recordId: string }[])[0]!.recordId;
  assert.equal(await anchoredCount(5), before + 1);

  // the hospital publishes node A; the lab, on an empty data folder, reads through the registry and B
  ok(await h.cli(2, "provider", "set-node", a.url));
  ok(await h.cli(5, "grant", addr(3), "--all"));
  const labDir = path.join(h.dir, "lab");
  const out = path.join(h.dir, "read.json");
  const read = await h.cliWith(
    { dev: 3, dataDir: labDir },
    "--deployment",
    path.join(h.dir, "deployment.json"),
    "--node",
    b2.url,
    "get",
    recordId,
    "--out",
    out,
  );
  ok(read);

  // A loses its disk: check reports 1 live replica, repair pins it again from B, check says 2
  const aPort = Number(new URL(a.url).port);
  await a.stop();
  const aEmpty = await startNode("a-empty", aPort);
  const node = ["--node", aEmpty.url, "--node", b2.url];
  const checked = await h.cli(5, ...node, "storage", "check", "--json");
  assert.equal(checked.code, 1, "check must fail while a record is under-replicated");
  const report = JSON.parse(checked.stdout) as { records: { recordId: string; live: number }[] };
  assert.equal(report.records.find((r) => r.recordId === recordId)!.live, 1);
  const repaired = await h.cli(5, ...node, "storage", "repair");
  ok(repaired);
  assert.match(repaired.stderr, /pinned on http:\/\/127\.0\.0\.1:\d+ \((origins|upload)\)/);
  const after = JSON.parse((await h.cli(5, ...node, "storage", "check", "--json")).stdout) as typeof report;
  assert.deepEqual(
    after.records.map((r) => r.live),
    after.records.map(() => 2),
    "every record, the one first kept on this machine only included, has 2 replicas after repair",
  );
});

test("--replicas and --node are checked before anything is sent", async () => {
  const bad = await h.cli(5, "--replicas", "0", "--node", "http://127.0.0.1:1", "add", await observation(1));
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--replicas must be a whole number from 1 up/);
  const url = await h.cli(5, "--node", "ftp://x", "list");
  assert.match(url.stderr, /--node "ftp:\/\/x" is not a Meridian node URL/);
  const setNode = await h.cli(2, "provider", "set-node", "node.example");
  assert.match(setNode.stderr, /is not a node URL/);
});

test("demo --nodes 2 pins every imported record on 2 nodes before anchoring it", { timeout: 300_000 }, async () => {
  const dataDir = path.join(h.dir, "demo-nodes");
  const demo = await h.cliWith({ dataDir }, "--replicas", "2", "demo", "--nodes", "2", "--max-patients", "1");
  ok(demo);
  const report = await readDemoReport(dataDir);
  assert.equal(report.ok, true);
  assert.ok(report.gas["publish node endpoints"], "the providers published the nodes");
  for (const node of ["1", "2"]) {
    const blocks = await readdir(path.join(dataDir, "nodes", node, "ipfs", "blocks"));
    assert.ok(blocks.length > 0, `node ${node} holds no block`);
  }
});
