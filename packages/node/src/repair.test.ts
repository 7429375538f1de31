import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { MeridianNode } from "./index.ts";
import { accountOf, clientOf, envelope, PATIENT, PROVIDER, startKit, startNode } from "./test-kit.ts";

describe("the node's repair job", () => {
  let kit: Awaited<ReturnType<typeof startKit>>;
  let a: MeridianNode;
  let empty: MeridianNode;

  before(async () => {
    kit = await startKit("repair");
    empty = await startNode(kit, "empty");
    a = await startNode(kit, "a", { account: accountOf(PROVIDER), peers: [empty.url], replicas: 2 });
  });
  after(async () => {
    await a?.stop();
    await empty?.stop();
    await kit?.close();
  });

  it("repairOnce re-pins an under-replicated blob on an empty node, then finds it healthy", async () => {
    const bytes = await envelope(2_100_000);
    const { cid } = await (await clientOf(kit, a.url, PATIENT)).upload(bytes);
    const onEmpty = await clientOf(kit, empty.url, PATIENT);
    assert.equal(await onEmpty.has(cid), false);

    const first = await a.repairOnce();
    assert.deepEqual(first.repaired, [{ cid, node: empty.url }]);
    assert.deepEqual(first.failed, []);
    assert.deepEqual(await onEmpty.get(cid), bytes, "the empty node now serves the blob, fetched from A");

    const second = await a.repairOnce();
    assert.deepEqual(
      { checked: second.checked, healthy: second.healthy, repaired: second.repaired },
      {
        checked: 1,
        healthy: 1,
        repaired: [],
      },
    );
  });

  it("reports what it could not repair: an unreachable peer, and no account to sign with", async () => {
    const lonely = await startNode(kit, "lonely", { peers: ["http://127.0.0.1:9"], replicas: 2 });
    try {
      const { cid } = await (await clientOf(kit, lonely.url, PATIENT)).upload(await envelope(5_000));
      const report = await lonely.repairOnce();
      assert.deepEqual(report.unreachable, ["http://127.0.0.1:9"]);
      assert.equal(report.failed[0]?.cid, cid);
      assert.equal(report.failed[0]?.replicas, 1);
      assert.match(report.failed[0].reasons.join(" "), /no account to sign/);
    } finally {
      await lonely.stop();
    }
  });
});
