// Prints the client JavaScript each app route loads, from the chunks its client-reference
// manifest names in the last `next build` (Next 16 no longer prints first-load sizes).
// Usage: node web/scripts/route-js-size.mjs  (after npm run build -w web)
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";

const next = path.resolve(import.meta.dirname, "../.next");
async function* manifests(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* manifests(file);
    else if (entry.name === "page_client-reference-manifest.js") yield file;
  }
}
const appDir = path.join(next, "server/app");
for await (const manifest of manifests(appDir)) {
  const route = "/" + path.relative(appDir, path.dirname(manifest)).replace(/\\/g, "/");
  const chunks = new Set((await readFile(manifest, "utf8")).match(/static\/chunks\/[\w.~-]+\.js/g) ?? []);
  let raw = 0,
    gzip = 0;
  for (const chunk of chunks) {
    const bytes = await readFile(path.join(next, chunk)).catch(() => undefined);
    if (!bytes) continue;
    raw += bytes.length;
    gzip += gzipSync(bytes).length;
  }
  console.log(
    `${route.padEnd(14)} ${String(chunks.size).padStart(3)} chunks  ${(raw / 1024).toFixed(0).padStart(5)} KiB  ${(gzip / 1024).toFixed(0).padStart(4)} KiB gzip`,
  );
}
