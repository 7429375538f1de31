import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { createKuboStore } from "./kubo.ts";
import { openBlobStore } from "./index.ts";
import { InvalidCidError, StorageUnavailableError } from "./errors.ts";

/** A local port that was free a moment ago and has nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address && typeof address === "object");
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return address.port;
}

describe("Kubo blob store", () => {
  it("reports an unreachable endpoint as StorageUnavailableError naming the URL", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const store = await openBlobStore({ kind: "kubo", url });
    assert.equal(store.kind, "kubo");
    const cid = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
    for (const attempt of [() => store.put(new Uint8Array([1])), () => store.get(cid), () => store.has(cid)]) {
      await assert.rejects(attempt(), (e: unknown) => {
        assert.ok(e instanceof StorageUnavailableError);
        assert.equal(e.shortMessage, `Cannot reach the Kubo RPC API at ${url}.`);
        assert.match(e.hint ?? "", /ipfs daemon/);
        return true;
      });
    }
    await store.close();
    await assert.rejects(store.get(cid), /is closed/);
  });

  it("validates the URL and CIDs before any request", async () => {
    await assert.rejects(createKuboStore({ url: "localhost 5001" }), StorageUnavailableError);
    const store = await createKuboStore({ url: "http://127.0.0.1:1" });
    await assert.rejects(store.get("nope"), InvalidCidError);
  });
});
