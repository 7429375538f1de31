/**
 * The app server's storage settings from its environment (src/lib/blob-store-config.ts): today's
 * single local store when no node is named, the named nodes and replica count otherwise, and a
 * refusal that says what to change for settings that could never store anything durably.
 *
 * Run: `node --test web/src/lib/blob-store-config.test.ts`
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { BlobStoreConfigError, blobStoreSettingsFromEnv } from "./blob-store-config.ts";

const DEFAULT_DIR = "/repo/.meridian/ipfs";

test("without MERIDIAN_NODES the server keeps using only its own Helia store", () => {
  assert.deepEqual(blobStoreSettingsFromEnv({}, DEFAULT_DIR), { ipfsDir: DEFAULT_DIR, nodes: [], replicas: 0 });
  assert.deepEqual(blobStoreSettingsFromEnv({ MERIDIAN_IPFS_DIR: "/srv/a/ipfs", MERIDIAN_NODES: " , " }, DEFAULT_DIR), {
    ipfsDir: "/srv/a/ipfs",
    nodes: [],
    replicas: 0,
  });
});

test("named nodes keep their order, lose trailing slashes and duplicates, and need 2 replicas by default", () => {
  const settings = blobStoreSettingsFromEnv(
    { MERIDIAN_NODES: "http://127.0.0.1:4100/, https://node.b.example/base/ ,http://127.0.0.1:4100" },
    DEFAULT_DIR,
  );
  assert.deepEqual(settings, {
    ipfsDir: DEFAULT_DIR,
    nodes: ["http://127.0.0.1:4100", "https://node.b.example/base"],
    replicas: 2,
  });
  const one = blobStoreSettingsFromEnv(
    { MERIDIAN_NODES: "http://127.0.0.1:4100,http://127.0.0.1:4101", MERIDIAN_REPLICAS: "1" },
    DEFAULT_DIR,
  );
  assert.equal(one.replicas, 1);
});

test("settings that could never pin an upload are refused with what to change", () => {
  const refused = (env: Record<string, string>, message: RegExp, hint: RegExp) =>
    assert.throws(
      () => blobStoreSettingsFromEnv(env, DEFAULT_DIR),
      (e: unknown) => e instanceof BlobStoreConfigError && message.test(e.message) && hint.test(e.hint),
    );
  // one node cannot hold the default two replicas: the operator must say 1 explicitly
  refused(
    { MERIDIAN_NODES: "http://127.0.0.1:4100" },
    /MERIDIAN_REPLICAS is 2 \(the default\) but MERIDIAN_NODES names 1 node,/,
    /MERIDIAN_REPLICAS=1/,
  );
  refused(
    { MERIDIAN_NODES: "http://a.example,http://b.example", MERIDIAN_REPLICAS: "3" },
    /names 2 nodes/,
    /at least 3 nodes/,
  );
  refused({ MERIDIAN_NODES: "http://a.example", MERIDIAN_REPLICAS: "0" }, /not a whole number of 1 or more/, /./);
  refused({ MERIDIAN_NODES: "http://a.example", MERIDIAN_REPLICAS: "1.5" }, /not a whole number/, /./);
  refused({ MERIDIAN_REPLICAS: "2" }, /names no node/, /Set MERIDIAN_NODES/);
  refused({ MERIDIAN_NODES: "node-a:4100" }, /not an http\(s\) URL/, /base URL/);
  refused({ MERIDIAN_NODES: "not a url" }, /not a URL/, /MERIDIAN_NODES=http/);
  refused({ MERIDIAN_NODES: "https://user:secret@node.example" }, /credentials/, /plain base URL/);
});
