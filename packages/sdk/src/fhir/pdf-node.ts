/**
 * Node only: registers the deep PDF check of `attachment-check.ts`, built on Mozilla's PDF.js
 * (`pdfjs-dist`, its legacy build, which is the one meant for Node): the document must open
 * and page 1 must load. `fhir/index.ts` imports this module; browser code must not.
 *
 * PDF.js is loaded on first use (about 100 ms), not when this module is imported.
 *
 * @module
 */

import { registerPdfDocumentCheck } from "./attachment-check.ts";
import type { PdfDocumentCheck } from "./attachment-check.ts";

/**
 * Opens `bytes` with PDF.js (its fake worker in this thread, no fonts, errors only) and loads page 1.
 * Resolves with the page count, or `"encrypted"` for a password-protected PDF; rejects with
 * PDF.js's `InvalidPDFException` and the like.
 *
 * @param bytes - A PDF file; PDF.js takes ownership of the buffer (pass a copy).
 */
export const pdfjsDocumentCheck: PdfDocumentCheck = async (bytes) => {
  const pdfjs = await import("pdfjs-dist/legacy/build/pdf.mjs");
  const task = pdfjs.getDocument({ data: bytes, verbosity: 0, disableFontFace: true, useSystemFonts: false });
  try {
    const document = await task.promise;
    if (document.numPages >= 1) await document.getPage(1);
    return { pages: document.numPages };
  } catch (error) {
    if ((error as { name?: string } | null)?.name === "PasswordException") return "encrypted";
    throw error;
  } finally {
    await task.destroy();
  }
};

registerPdfDocumentCheck(pdfjsDocumentCheck);
