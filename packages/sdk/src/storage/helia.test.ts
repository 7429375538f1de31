import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHeliaStore } from "./helia.ts";
import { computeBlobCid, parseBlobCid } from "./cid.ts";
import { ciphertextHash } from "../crypto/ciphertext-hash.ts";
import { openBlobStore } from "./index.ts";
import { BlockNotFoundError, CidMismatchError, InvalidCidError, StorageUnavailableError } from "./errors.ts";
import type { BlobStore } from "./types.ts";

const MiB = 1_048_576;

function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 65_536)
    crypto.getRandomValues(bytes.subarray(offset, Math.min(size, offset + 65_536)));
  return bytes;
}

async function blockFiles(directory: string): Promise<string[]> {
  const entries = await readdir(join(directory, "blocks"), { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(".data")).map((e) => join(e.parentPath, e.name));
}

/** The file blockstore-fs keeps a block in: base32upper multihash, sharded by its next-to-last two characters. */
async function findBlockFile(directory: string, blockCid: string): Promise<string> {
  const multihash = parseBlobCid(blockCid).multihash.bytes;
  const { base32upper } = await import("multiformats/bases/base32");
  const name = `${base32upper.encode(multihash)}.data`;
  const files = await blockFiles(directory);
  const file = files.find((f) => f.endsWith(`/${name}`));
  assert.ok(file, `block file ${name} not found`);
  return file;
}

describe("Helia blob store (on disk)", () => {
  let directory: string;
  let store: BlobStore;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), "meridian-helia-"));
    store = await createHeliaStore({ directory });
  });
  after(async () => {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  });

  it("round-trips empty, small, 3 MB and 10 MB blobs with CIDv1", async () => {
    assert.equal(store.kind, "helia");
    for (const size of [0, 113, 3 * MiB + 17, 10 * MiB]) {
      const bytes = randomBytes(size);
      const { cid, ciphertextHash: hash, size: stored } = await store.put(bytes);
      assert.match(cid, /^baf[ky]/, `CIDv1 base32 for ${size} bytes`);
      assert.equal(hash, await ciphertextHash(bytes), `ciphertext hash of the ${size}-byte blob`);
      assert.equal(stored, size);
      assert.equal(cid, (await computeBlobCid(bytes)).toString());
      assert.equal(await store.has(cid), true);
      assert.deepEqual(await store.get(cid), bytes, `${size} bytes`);
    }
  });

  it("gives the well-known CIDs: empty raw block, and a raw leaf up to 1 MiB", async () => {
    assert.equal(
      (await store.put(new Uint8Array(0))).cid,
      "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
    );
    assert.match((await store.put(randomBytes(MiB))).cid, /^bafkrei/); // one chunk: raw leaf
    assert.match((await store.put(randomBytes(MiB + 1))).cid, /^bafybei/); // two chunks: dag-pb root
  });

  it("reads blobs back after the node restarts on the same directory", async () => {
    const bytes = randomBytes(3 * MiB);
    const { cid } = await store.put(bytes);
    await store.close();
    await assert.rejects(store.get(cid), StorageUnavailableError);
    store = await createHeliaStore({ directory });
    assert.deepEqual(await store.get(cid), bytes);
  });

  it("detects a tampered leaf block on disk (CidMismatchError)", async () => {
    const bytes = randomBytes(2 * MiB + 5);
    const { cid } = await store.put(bytes);
    const leafCid = (await computeBlobCid(bytes.subarray(0, MiB))).toString();
    const file = await findBlockFile(directory, leafCid);
    const block = await readFile(file);
    assert.equal(block.length, MiB);
    block[12_345]! ^= 0x01;
    await writeFile(file, block);
    await assert.rejects(store.get(cid), (e: unknown) => {
      assert.ok(e instanceof CidMismatchError);
      assert.match(e.shortMessage, new RegExp(`The bytes read for ${cid} do not match that CID`));
      return true;
    });
  });

  it("detects a tampered small (single raw block) blob and a corrupt dag-pb root", async () => {
    const small = randomBytes(200);
    const { cid: smallCid } = await store.put(small);
    const smallFile = await findBlockFile(directory, smallCid);
    const block = await readFile(smallFile);
    block[0]! ^= 0xff;
    await writeFile(smallFile, block);
    await assert.rejects(store.get(smallCid), CidMismatchError);

    const big = randomBytes(MiB + 100);
    const { cid: bigCid } = await store.put(big);
    const rootFile = await findBlockFile(directory, bigCid);
    await writeFile(rootFile, new TextEncoder().encode("not dag-pb"));
    await assert.rejects(store.get(bigCid), CidMismatchError);
  });

  it("fails fast for unknown CIDs and missing blocks (BlockNotFoundError)", async () => {
    const unknown = (await computeBlobCid(new TextEncoder().encode("never stored"))).toString();
    const started = performance.now();
    await assert.rejects(store.get(unknown), (e: unknown) => {
      assert.ok(e instanceof BlockNotFoundError);
      assert.equal(e.shortMessage, `The blob ${unknown} is not in this store.`);
      return true;
    });
    assert.ok(performance.now() - started < 1_000, "should not wait for a network");
    assert.equal(await store.has(unknown), false);

    // Root present, one leaf deleted.
    const bytes = randomBytes(2 * MiB + 1);
    const { cid } = await store.put(bytes);
    await unlink(await findBlockFile(directory, (await computeBlobCid(bytes.subarray(MiB, 2 * MiB))).toString()));
    await assert.rejects(store.get(cid), BlockNotFoundError);
  });

  it("rejects malformed and unsupported CIDs (InvalidCidError)", async () => {
    for (const bad of ["", "not-a-cid", "bafy", "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG" /* CIDv0 */]) {
      await assert.rejects(store.get(bad), InvalidCidError, bad);
    }
    await assert.rejects(store.has("zzz"), InvalidCidError);
  });

  it("honours an aborted signal", async () => {
    const controller = new AbortController();
    controller.abort();
    const { cid } = await store.put(randomBytes(10));
    await assert.rejects(store.get(cid, { signal: controller.signal }), { name: "AbortError" });
  });

  it("is what openBlobStore opens for kind helia", async () => {
    const other = await mkdtemp(join(tmpdir(), "meridian-helia-open-"));
    try {
      const opened = await openBlobStore({ kind: "helia", directory: other });
      const cid = (await opened.put(new Uint8Array([1, 2, 3]))).cid;
      assert.deepEqual(await opened.get(cid), new Uint8Array([1, 2, 3]));
      await opened.close();
      await opened.close(); // idempotent
      assert.ok((await stat(join(other, "blocks"))).isDirectory());
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
