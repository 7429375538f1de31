/**
 * Truncated and bogus DICOM and PDF files are refused before they become records; complete
 * ones (the project's own and, when present, the shared real files) still import.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { RecordCategory } from "../categories.ts";
import { checkAttachmentStructure, checkPdfStructure, registerPdfDocumentCheck } from "./attachment-check.ts";
import { attachmentToRecord, recordDraftFromFile } from "./attachment.ts";
import { InvalidAttachmentError } from "./errors.ts";
import { minimalDicom, minimalPdf } from "./file-fixtures.ts";
import { pdfjsDocumentCheck } from "./pdf-node.ts";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const DATA = process.env.MERIDIAN_SHARED_DATA ?? path.resolve(REPO_ROOT, "../shared/data");
const SKIP = `shared DICOM/PDF files not found under ${DATA}/attachments (set MERIDIAN_SHARED_DATA)`;
const sharedFiles = (dir: string, ext: string): string[] => {
  const full = path.join(DATA, "attachments", dir);
  return existsSync(full)
    ? readdirSync(full)
        .filter((f) => f.endsWith(ext))
        .map((f) => path.join(full, f))
    : [];
};

/** Asserts that importing `bytes` as `fileName` is refused with an InvalidAttachmentError whose reason matches. */
async function refused(bytes: Uint8Array, fileName: string, format: "DICOM" | "PDF", reason: RegExp): Promise<void> {
  await assert.rejects(recordDraftFromFile(bytes, { fileName }), (e: unknown) => {
    assert.ok(e instanceof InvalidAttachmentError, String(e));
    assert.equal(e.format, format);
    assert.equal(e.source, fileName);
    assert.match(e.reason, reason);
    assert.match(e.shortMessage, new RegExp(`^${fileName.replace(/\./g, "\\.")} is not a complete ${format} file: `));
    assert.match(e.hint ?? "", /meridian add FILE/);
    return true;
  });
}

describe("a truncated or bogus DICOM file is not stored as an imaging study", () => {
  const full = minimalDicom();

  test("the project's minimal DICOM file passes and is Imaging", async () => {
    const [draft] = await recordDraftFromFile(full, { fileName: "ok.dcm" });
    assert.equal(draft?.category, RecordCategory.Imaging);
  });

  test("cut to 132 bytes (preamble and DICM only), to 200 bytes, and just before the end", async () => {
    await refused(full.slice(0, 132), "cut132.dcm", "DICOM", /parser stopped|Transfer Syntax/);
    await refused(full.slice(0, 200), "cut200.dcm", "DICOM", /parser stopped|Transfer Syntax|SOP/);
    await refused(full.slice(0, full.length - 10), "cut-end.dcm", "DICOM", /parser stopped|past the end/);
  });

  test("bogus bytes after DICM", async () => {
    const bogus = new Uint8Array(2048);
    bogus.set(new TextEncoder().encode("DICM"), 128);
    for (let i = 132; i < bogus.length; i++) bogus[i] = (i * 37 + 11) & 0xff;
    await refused(bogus, "bogus.dcm", "DICOM", /./);
    // the same bytes declared as DICOM through contentType are refused too
    await assert.rejects(
      attachmentToRecord(bogus, { fileName: "declared.bin", contentType: "application/dicom" }),
      InvalidAttachmentError,
    );
  });

  test("an image SOP class without Pixel Data is refused; a waveform (ECG) SOP class needs none", async () => {
    await refused(minimalDicom({ pixels: false }), "nopixels.dcm", "DICOM", /no Pixel Data \(7FE0,0010\)/);
    const ecg = minimalDicom({ pixels: false, sopClass: "1.2.840.10008.5.1.4.1.1.9.1.1" }); // 12-lead ECG waveform
    await checkAttachmentStructure(ecg, "application/dicom", "ecg.dcm");
  });

  test("the shared real DICOM files still import; cut at 1 KiB or in half they are refused", async (t) => {
    const files = sharedFiles("dicom", ".dcm");
    if (files.length === 0) return t.skip(SKIP);
    for (const file of files) {
      const bytes = new Uint8Array(readFileSync(file));
      const name = path.basename(file);
      const [draft] = await recordDraftFromFile(bytes, { fileName: name });
      assert.equal(draft?.category, RecordCategory.Imaging, name);
      await refused(bytes.slice(0, 132), name, "DICOM", /./);
      await refused(bytes.slice(0, 1024), name, "DICOM", /./);
      await refused(bytes.slice(0, Math.floor(bytes.length / 2)), name, "DICOM", /./);
    }
  });
});

describe("a truncated or bogus PDF is refused", () => {
  const full = minimalPdf();
  const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

  test("the project's minimal PDF passes, with and without PDF.js", async () => {
    registerPdfDocumentCheck(pdfjsDocumentCheck);
    assert.deepEqual(await pdfjsDocumentCheck(full.slice()), { pages: 1 });
    const [draft] = await recordDraftFromFile(full, { fileName: "ok.pdf" });
    assert.equal(draft?.category, RecordCategory.Document);
    registerPdfDocumentCheck(undefined);
    checkPdfStructure(full, "ok.pdf");
  });

  test("%PDF- followed by junk, and a truncated PDF", async () => {
    registerPdfDocumentCheck(pdfjsDocumentCheck);
    await refused(ascii("%PDF-1.7\nhello junk junk junk\n"), "junk.pdf", "PDF", /%%EOF/);
    await refused(ascii("%PDF-1.7\n%%EOF\n"), "eof-only.pdf", "PDF", /startxref/);
    await refused(full.slice(0, Math.floor(full.length / 2)), "half.pdf", "PDF", /%%EOF/);
    await refused(full.slice(0, full.length - 7), "no-eof.pdf", "PDF", /%%EOF/);
    const text = new TextDecoder().decode(full);
    await refused(ascii(text.replace(/startxref\n\d+/, "startxref\n99999")), "far.pdf", "PDF", /past the end/);
    await refused(
      ascii(text.replace(/startxref\n(\d+)/, (_, n: string) => `startxref\n${Number(n) - 40}`)),
      "off.pdf",
      "PDF",
      /cross-reference/,
    );
  });

  test("PDF.js refuses what the trailer check cannot see: a page tree with no page", async () => {
    registerPdfDocumentCheck(pdfjsDocumentCheck);
    const empty = new TextDecoder().decode(full).replace("/Kids[3 0 R]/Count 1", "/Kids[     ]/Count 0");
    await refused(ascii(empty), "nopage.pdf", "PDF", /no page|does not open/);
  });

  test("the shared real PDF still imports; cut in half it is refused", async (t) => {
    const files = sharedFiles("pdf", ".pdf");
    if (files.length === 0) return t.skip(SKIP);
    registerPdfDocumentCheck(pdfjsDocumentCheck);
    for (const file of files) {
      const bytes = new Uint8Array(readFileSync(file));
      const name = path.basename(file);
      const [draft] = await recordDraftFromFile(bytes, { fileName: name });
      assert.equal(draft?.category, RecordCategory.Document, name);
      await refused(bytes.slice(0, Math.floor(bytes.length / 2)), name, "PDF", /./);
      await refused(bytes.slice(0, 1024), name, "PDF", /./);
    }
  });
});
