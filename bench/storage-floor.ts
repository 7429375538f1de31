/**
 * `npm run bench:floor`: what bounds the encrypt-and-store path on this machine, printed and written
 * to `bench/results/storage-floor.json`. Medians, in ms:
 *
 * 1. Raw WebCrypto AES-256-GCM + SHA-256 of 1 MB (the bench's reference) beside plain writes of
 *    200 new 1 MiB files, then 200 more after deleting the first (memory just freed is reused):
 *    when a new file costs more than the raw crypto, no store that writes its blocks can reach
 *    50 % of raw.
 * 2. One 1 MiB leaf written while it is hashed, three ways: synchronous open/close/rename with an
 *    asynchronous `writev` (the Helia store's `writeLeaf`), the same with asynchronous
 *    open/close/rename, and `fs.promises.writeFile`.
 * 3. Sealing (`encryptRecordParts`) 1, 4 and 10 MB records back to back, with and without
 *    `releaseRecordParts` after each.
 *
 * Environment: BENCH_STORE_DIR (default the OS temp directory) where the files go.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writev } from "node:fs";
import { mkdtemp, open, rename, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { encryptRecordParts, releaseRecordParts } from "@meridian/sdk/crypto";
import { summarize } from "../packages/cli/src/stats.ts";

const MiB = 1_048_576;
const dir = await mkdtemp(path.join(process.env.BENCH_STORE_DIR ?? tmpdir(), "meridian-floor-"));
const median = (v: number[]) => summarize(v).median;
async function time(runs: number, fn: (run: number) => unknown): Promise<number> {
  const v: number[] = [];
  for (let run = 0; run < runs; run++) {
    const t = performance.now();
    await fn(run);
    v.push(performance.now() - t);
  }
  return median(v);
}
const bytes = new Uint8Array(MiB);
crypto.getRandomValues(bytes.subarray(0, 65_536));

// 1. the raw reference and the file system's floor
const key = await crypto.subtle.importKey("raw", crypto.getRandomValues(new Uint8Array(32)), "AES-GCM", false, [
  "encrypt",
]);
const raw = await time(100, async () => {
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv: crypto.getRandomValues(new Uint8Array(12)) },
    key,
    bytes.subarray(0, 1_000_000),
  );
  await crypto.subtle.digest("SHA-256", ct);
});
const files = path.join(dir, "files");
mkdirSync(files);
const newFiles = await time(200, (run) => writeFileSync(path.join(files, `a${run}`), bytes));
rmSync(files, { recursive: true });
mkdirSync(files);
const afterDelete = await time(200, (run) => writeFileSync(path.join(files, `b${run}`), bytes));
rmSync(files, { recursive: true });

// 2. one leaf written while it is hashed
mkdirSync(files);
const sha256 = () => createHash("sha256").update(bytes).digest();
const writevAsync = (fd: number) =>
  new Promise<number>((resolve, reject) => writev(fd, [bytes], 0, (e, n) => (e ? reject(e) : resolve(n))));
const leafSync = await time(200, async (run) => {
  const temporary = path.join(files, `s${run}.tmp`);
  const fd = openSync(temporary, "wx");
  const writing = writevAsync(fd);
  sha256();
  await writing;
  closeSync(fd);
  renameSync(temporary, path.join(files, `s${run}`));
});
const leafAsync = await time(200, async (run) => {
  const temporary = path.join(files, `h${run}.tmp`);
  const handle = await open(temporary, "wx");
  const writing = handle.writev([bytes], 0);
  sha256();
  await writing;
  await handle.close();
  await rename(temporary, path.join(files, `h${run}`));
});
const leafWriteFile = await time(200, async (run) => {
  const temporary = path.join(files, `w${run}.tmp`);
  const writing = writeFile(temporary, bytes);
  sha256();
  await writing;
  await rename(temporary, path.join(files, `w${run}`));
});
rmSync(files, { recursive: true });

// 3. sealing back to back, with and without freeing the parts
const context = {
  chainId: 31337,
  contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  patient: "0x70997970C51812dc3A010C7d01b50e0d4c3A79C8",
  category: 2,
  keyEpoch: 0,
} as const;
const kek = crypto.getRandomValues(new Uint8Array(32));
const seal: Record<string, { kept: number; released: number }> = {};
for (const size of [1_000_000, 4_000_000, 10_000_000]) {
  const plaintext = new Uint8Array(size);
  const run = (release: boolean) =>
    time(40, async () => {
      const { parts } = await encryptRecordParts({ plaintext, kek, context });
      if (release) releaseRecordParts(parts);
    });
  seal[size] = { kept: await run(false), released: await run(true) };
}
rmSync(dir, { recursive: true, force: true });

const result = {
  date: new Date().toISOString(),
  directory: path.dirname(dir),
  rawAesGcmSha256Of1MB: raw,
  newFile1MiB: newFiles,
  newFile1MiBAfterDeletingFiles: afterDelete,
  leafWriteWhileHashing1MiB: {
    syncMetadataAsyncWritev: leafSync,
    asyncOpenCloseRename: leafAsync,
    promisesWriteFile: leafWriteFile,
  },
  sealBackToBack: seal,
};
mkdirSync(path.resolve(import.meta.dirname, "results"), { recursive: true });
writeFileSync(path.resolve(import.meta.dirname, "results/storage-floor.json"), JSON.stringify(result, null, 2) + "\n");
const f = (ms: number) => `${ms.toFixed(2)} ms`;
process.stdout.write(
  [
    `Storage floor in ${result.directory} (medians)`,
    `  raw AES-256-GCM + SHA-256 of 1 MB          ${f(raw)}`,
    `  new 1 MiB file (200)                       ${f(newFiles)}`,
    `  new 1 MiB file after deleting those (200)  ${f(afterDelete)}`,
    `  1 MiB leaf written while hashed: sync open/close/rename + writev ${f(leafSync)}, async ${f(leafAsync)}, writeFile ${f(leafWriteFile)}`,
    ...Object.entries(seal).map(
      ([size, s]) =>
        `  seal ${size} B back to back: parts kept ${f(s.kept)}, freed (releaseRecordParts) ${f(s.released)}`,
    ),
    "Wrote bench/results/storage-floor.json",
    "",
  ].join("\n"),
);
