import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importBytes } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import {
  CHUNK_SIZE_BYTES,
  LEAF_CONCURRENCY,
  MAX_LINKS_PER_NODE,
  computeBlobIdentity,
  hashLeaf,
  importBlob,
  splitLeaves,
} from "./cid.ts";
import { createHeliaStore } from "./helia.ts";
import { ciphertextHash } from "../crypto/ciphertext-hash.ts";
import { ENVELOPE_HEADER_BYTES, encryptRecord, encryptRecordParts, openRecord } from "../crypto/envelope.ts";
import type { BlobStore } from "./types.ts";

/** The reference: ipfs-unixfs-importer with the options `cid.ts` documents (Kubo's `--raw-leaves --chunker=size-1048576`). */
async function importerCid(bytes: Uint8Array): Promise<string> {
  const nothing = { put: (cid: unknown) => Promise.resolve(cid) };
  const { cid } = await importBytes(bytes, nothing as never, {
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: CHUNK_SIZE_BYTES }),
    layout: balanced({ maxChildrenPerNode: MAX_LINKS_PER_NODE }),
  });
  return cid.toString();
}

function pseudoRandom(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 4096) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Cuts `bytes` into parts at the given offsets (to test blobs given in parts). */
function cut(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const points = [0, ...offsets.filter((o) => o > 0 && o < bytes.length), bytes.length];
  return points.slice(1).map((end, i) => bytes.subarray(points[i], end));
}

describe("UnixFS DAG of cid.ts (checked against ipfs-unixfs-importer)", () => {
  const MiB = CHUNK_SIZE_BYTES;
  const sizes = [0, 1, 1000, MiB - 1, MiB, MiB + 1, 2 * MiB, 3 * MiB + 5, 10_000_000];

  for (const size of sizes) {
    it(`gives the importer's CID for ${size} bytes, in one buffer and in parts`, async () => {
      const bytes = pseudoRandom(size, size + 7);
      const expected = await importerCid(bytes);
      const whole = await computeBlobIdentity(bytes);
      assert.equal(whole.cid.toString(), expected);
      assert.equal(whole.ciphertextHash, await ciphertextHash(bytes));
      const parts = cut(bytes, [ENVELOPE_HEADER_BYTES, MiB - 3, MiB, MiB + 17, 2 * MiB + 1]);
      const split = await computeBlobIdentity(parts);
      assert.equal(split.cid.toString(), expected);
      assert.equal(split.ciphertextHash, whole.ciphertextHash);
    });
  }

  it("gives the importer's CID for a blob of more than 174 leaves (a two-level DAG)", async () => {
    const bytes = new Uint8Array((MAX_LINKS_PER_NODE + 1) * MiB + 12_345); // 176 leaves: two parents under the root
    bytes[0] = 1;
    bytes[bytes.length - 1] = 2;
    const expected = await importerCid(bytes);
    assert.equal((await computeBlobIdentity(bytes)).cid.toString(), expected);
    assert.ok(expected.startsWith("bafybei"));
  });

  it("stops writing leaves after the first failure, and stores no root", async () => {
    const started: number[] = [];
    const nodes: unknown[] = [];
    const failing = async (parts: readonly Uint8Array[], index: number) => {
      started.push(index);
      if (index === 2) throw new Error("disk full");
      return hashLeaf(parts, index);
    };
    await assert.rejects(importBlob(new Uint8Array(40 * MiB), failing, { put: (cid) => nodes.push(cid) }), /disk full/);
    assert.ok(started.length <= 3 + LEAF_CONCURRENCY, `${started.length} leaves were started`);
    assert.equal(nodes.length, 0);
  });

  it("splits parts into 1 MiB leaves without copying", () => {
    const header = new Uint8Array(ENVELOPE_HEADER_BYTES); // 85
    const body = new Uint8Array(2 * MiB);
    const leaves = splitLeaves([header, body]);
    assert.deepEqual(
      leaves.map((leaf) => leaf.map((part) => part.length)),
      [[ENVELOPE_HEADER_BYTES, MiB - ENVELOPE_HEADER_BYTES], [MiB], [ENVELOPE_HEADER_BYTES]],
    );
    assert.equal(leaves[0]![1]!.buffer, body.buffer);
    assert.deepEqual(splitLeaves([]), [[]]);
    assert.deepEqual(splitLeaves(new Uint8Array()), [[]]);
  });
});

describe("Helia store: envelopes in parts", () => {
  let directory: string;
  let store: BlobStore;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), "meridian-parts-"));
    store = await createHeliaStore({ directory });
  });
  after(async () => {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  });

  const context = {
    chainId: 31337,
    contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    patient: "0x70997970C51812dc3A010C7d01b50e0d4c3A79C8",
    category: 2,
    keyEpoch: 0,
  } as const;

  for (const size of [0, 1_000_000, 3_500_000]) {
    it(`stores a ${size}-byte record's envelope parts as the joined envelope and reads it back`, async () => {
      const kek = crypto.getRandomValues(new Uint8Array(32));
      const plaintext = pseudoRandom(size, 99);
      const { parts, size: envelopeBytes, dek } = await encryptRecordParts({ plaintext, kek, context });
      assert.equal(
        parts.reduce((n, p) => n + p.length, 0),
        envelopeBytes,
      );
      const stored = await store.put(parts);
      const envelope = await store.get(stored.cid);
      assert.equal(envelope.length, envelopeBytes);
      assert.equal(stored.size, envelopeBytes);
      assert.equal(stored.cid, await importerCid(envelope));
      assert.equal(stored.ciphertextHash, await ciphertextHash(envelope));
      assert.deepEqual(await openRecord({ envelope, key: { dek }, context }), plaintext);
      // the joined envelope of encryptRecord has the same layout
      const joined = await encryptRecord({ plaintext, kek, context });
      assert.equal(joined.envelope.length, envelopeBytes);
    });
  }
});
