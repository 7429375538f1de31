/**
 * Part 2 of `npm run bench`: the encrypt-and-store path (encryptRecordParts + Helia put, as
 * `client.addRecord` does it; everything but the transaction) and the fetch-and-decrypt path
 * (Helia get with CID check + SHA-256 check + openRecord), for 1 KB .. 10 MB payloads, beside raw
 * WebCrypto AES-256-GCM + SHA-256 on the same bytes and a plain `fs.writeFile` of them (the
 * disk's own floor, which no store that writes blocks can beat).
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { Hex } from "viem";
import { encryptRecordParts, openRecord, releaseRecordParts, type EnvelopeContext } from "@meridian/sdk/crypto";
import { ciphertextHash as hashOf } from "@meridian/sdk/crypto";
import { createHeliaStore, type BlobStore } from "@meridian/sdk/storage";
import { RecordCategory } from "@meridian/sdk";
import { createTempDir } from "@meridian/sdk/testing";
import { summarize } from "../packages/cli/src/stats.ts";
import { log } from "./harness.ts";

/** Payload sizes measured, in bytes. */
const sizes = [1_000, 100_000, 1_000_000, 4_000_000, 10_000_000];

/** One payload size's throughput (MB/s, 1 MB = 10^6 bytes) and ratios of the storage path's run times. */
export interface StoragePathRow {
  /** Payload size, in bytes. */
  bytes: number;
  /** Raw WebCrypto AES-256-GCM encrypt + SHA-256 of the ciphertext, MB/s. */
  rawEncryptHashMBps: number;
  /** encryptRecordParts + Helia put (as `client.addRecord`, without the transaction), MB/s. */
  encryptAndStoreMBps: number;
  /** Raw run time / encrypt-and-store run time (1 = as fast as raw). */
  encryptAndStoreVsRaw: number;
  /** Raw SHA-256 + AES-256-GCM decrypt, MB/s. */
  rawHashDecryptMBps: number;
  /** Helia get (CID recomputed) + ciphertext-hash check + openRecord, MB/s. */
  fetchVerifyDecryptMBps: number;
  /** Raw open run time / fetch-verify-decrypt run time. */
  fetchVerifyDecryptVsRaw: number;
  /** One plain `fs.writeFile` of the ciphertext into the store's directory, MB/s. */
  diskWriteMBps: number;
  /** (Raw + disk write) run time / encrypt-and-store run time. */
  rawPlusDiskWriteVsOurs: number;
  /** Median run times in milliseconds. */
  medianMs: { raw: number; encryptAndStore: number; rawOpen: number; fetchVerifyDecrypt: number; diskWrite: number };
}

/** The keys and envelope context every run of {@link measureStoragePath} seals with. */
interface SealingKeys {
  /** The envelope context of a Lab record of the bench's patient at key epoch 0. */
  context: EnvelopeContext;
  /** A random 32-byte key-encryption key. */
  kek: Uint8Array;
  /** A random AES-256-GCM key for the raw reference. */
  aesKey: CryptoKey;
}

/** One row per payload size: medians of 15 (>= 1 MB) or 60 runs after 2 warm-ups, through `into` (a Helia store) and plain writes into `dir`. */
async function measureStoragePath(
  into: BlobStore,
  dir: string,
  { context, kek, aesKey }: SealingKeys,
): Promise<StoragePathRow[]> {
  const rows: StoragePathRow[] = [];
  for (const size of sizes) {
    const payload = new Uint8Array(size);
    for (let o = 0; o < size; o += 65536) crypto.getRandomValues(payload.subarray(o, Math.min(size, o + 65536)));
    const reps = size >= 1_000_000 ? 15 : 60;
    const raw: number[] = [],
      seal: number[] = [],
      rawOpen: number[] = [],
      read: number[] = [],
      disk: number[] = [];
    for (let r = 0; r < reps + 2; r++) {
      // raw reference: AES-256-GCM encrypt + SHA-256 of the ciphertext
      let t = performance.now();
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, aesKey, payload));
      await crypto.subtle.digest("SHA-256", ct);
      const rawMs = performance.now() - t;
      t = performance.now();
      await crypto.subtle.digest("SHA-256", ct);
      await crypto.subtle.decrypt({ name: "AES-GCM", iv }, aesKey, ct);
      const rawOpenMs = performance.now() - t;
      // the disk's floor: one plain file write of the same bytes
      t = performance.now();
      await writeFile(path.join(dir, `reference-${size}-${r}.bin`), ct);
      const diskMs = performance.now() - t;
      // Meridian, as client.addRecord does it: seal (DEK, AES-KW, AES-GCM segments) + Helia put
      // of the envelope's parts (leaves written and hashed; the hashes give the CID and the
      // ciphertext hash), then the parts are freed
      t = performance.now();
      const sealed = await encryptRecordParts({ plaintext: payload, kek, context });
      const { cid: id, ciphertextHash } = await into.put(sealed.parts);
      releaseRecordParts(sealed.parts);
      const sealMs = performance.now() - t;
      // Meridian read: Helia get (with CID recomputation) + ciphertext-hash check + open
      t = performance.now();
      const env = await into.get(id);
      if ((await hashOf(env)) !== ciphertextHash) throw new Error("hash mismatch");
      await openRecord({ envelope: env, key: { kek }, context });
      const readMs = performance.now() - t;
      if (r >= 2) {
        raw.push(rawMs);
        seal.push(sealMs);
        rawOpen.push(rawOpenMs);
        read.push(readMs);
        disk.push(diskMs);
      }
    }
    const mbps = (ms: number) => size / 1e6 / (ms / 1000);
    const m = (v: number[]) => summarize(v).median;
    rows.push({
      bytes: size,
      rawEncryptHashMBps: mbps(m(raw)),
      encryptAndStoreMBps: mbps(m(seal)),
      encryptAndStoreVsRaw: m(raw) / m(seal),
      rawHashDecryptMBps: mbps(m(rawOpen)),
      fetchVerifyDecryptMBps: mbps(m(read)),
      fetchVerifyDecryptVsRaw: m(rawOpen) / m(read),
      diskWriteMBps: mbps(m(disk)),
      rawPlusDiskWriteVsOurs: (m(raw) + m(disk)) / m(seal),
      medianMs: {
        raw: m(raw),
        encryptAndStore: m(seal),
        rawOpen: m(rawOpen),
        fetchVerifyDecrypt: m(read),
        diskWrite: m(disk),
      },
    });
  }
  return rows;
}

/** The rows of {@link measureStoragePaths}: one {@link StoragePathRow} per payload size, in increasing size. */
export interface StoragePaths {
  /** Through the given Helia store and plain writes in its directory. */
  disk: StoragePathRow[];
  /** The same through a Helia store and plain writes on tmpfs (`/dev/shm`); null when not run. */
  inMemory: StoragePathRow[] | null;
}

/** Where {@link measureStoragePaths} stores, and whose records it seals. */
export interface MeasureStoragePathsParameters {
  /** The Helia store to measure (left open). */
  store: BlobStore;
  /** The store's directory, where the plain reference writes go too. */
  dir: string;
  /** The RecordRegistry address and the patient of the envelope context. */
  registry: Hex;
  patient: Hex;
  /** Whether to measure the same through a second Helia store on tmpfs (`/dev/shm`) too. */
  tmpfs: boolean;
}

/**
 * Measures the storage path through `store`, then (when `tmpfs`) through a Helia store in memory,
 * with the same keys.
 */
export async function measureStoragePaths({
  store,
  dir,
  registry,
  patient,
  tmpfs,
}: MeasureStoragePathsParameters): Promise<StoragePaths> {
  const context = { chainId: 31337, contract: registry, patient, category: RecordCategory.Lab, keyEpoch: 0 };
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const aesKey = await crypto.subtle.importKey("raw", crypto.getRandomValues(new Uint8Array(32)), "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  const keys: SealingKeys = { context, kek, aesKey };
  const paths = await measureStoragePath(store, dir, keys);
  // The same through a store in memory (tmpfs), where a write costs a copy: what the path costs
  // when the disk is not the bottleneck. On this project's VMs a write that grows the page cache
  // can take ~2 ms per MB (more than raw AES-GCM + SHA-256 of the same bytes), so the target is
  // judged on the disk run above and this run shows how much of the gap is the disk.
  let pathsInMemory: StoragePathRow[] | null = null;
  if (tmpfs) {
    log("throughput: the same through a Helia store on tmpfs (/dev/shm)");
    const memoryDir = await createTempDir("bench", "/dev/shm");
    const memoryStore = await createHeliaStore({ directory: memoryDir.path });
    try {
      pathsInMemory = await measureStoragePath(memoryStore, memoryDir.path, keys);
    } finally {
      await memoryStore.close();
      await memoryDir.remove();
    }
  }
  return { disk: paths, inMemory: pathsInMemory };
}
