/**
 * Reads QR codes out of PNG images (a Playwright screenshot of what Chromium drew) in Node, with
 * ZXing-C++ compiled to WebAssembly (`zxing-wasm`). It decodes the PNG itself. Its wasm binary is
 * read from node_modules: by default the package would fetch it from a CDN.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { prepareZXingModule, readBarcodes } from "zxing-wasm/reader";

let ready: Promise<unknown> | undefined;

function loadReader(): Promise<unknown> {
  ready ??= readFile(createRequire(import.meta.url).resolve("zxing-wasm/reader/zxing_reader.wasm")).then((wasm) =>
    prepareZXingModule({
      overrides: { wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) },
      fireImmediately: true,
    }),
  );
  return ready;
}

/** The text of every valid QR code in `png`, in the order found (none: an empty array). */
export async function readQrCodes(png: Uint8Array): Promise<string[]> {
  await loadReader();
  const results = await readBarcodes(png, { formats: ["QRCode"], textMode: "Plain" });
  return results.filter((r) => r.isValid).map((r) => r.text);
}
