/**
 * Structure checks for attached files, so that a truncated or bogus file is refused before it
 * is encrypted and anchored as a record: magic bytes alone (`DICM` at offset 128, `%PDF-`) say
 * nothing about the rest of the file.
 *
 * - **DICOM PS3.10** is parsed with the maintained `dicom-parser` package (Cornerstone). The
 *   file must have a parsable file meta header with a Transfer Syntax UID (0002,0010), SOP Class
 *   and SOP Instance UIDs (0002,0002/0003 or 0008,0016/0018), no element running past the end of
 *   the file, and Pixel Data (7FE0,0010) unless its SOP class is one without pixels (structured
 *   reports, waveforms such as ECGs, encapsulated documents, presentation states, RT objects,
 *   raw data, key object selection).
 * - **PDF** (ISO 32000-1 §7.5) must end with `%%EOF` (in its last 1,024 bytes), have a
 *   `startxref` whose offset points inside the file at a cross-reference table (`xref`) or a
 *   cross-reference stream object, and name a document catalogue (`/Root`). Then, where a
 *   document check is registered ({@link registerPdfDocumentCheck}; Node registers Mozilla's
 *   `pdfjs-dist` through `fhir/index.ts`), the document must open and have at least one page.
 *
 * Browser-safe: `dicom-parser` needs no Node API for the transfer syntaxes it parses here.
 *
 * @module
 */

import * as dicomParserModule from "dicom-parser";
import { InvalidAttachmentError } from "./errors.ts";

type DicomParser = typeof dicomParserModule;
/** The CommonJS module's exports, whether the host hands them over as a namespace or a default. */
const dicomParser: DicomParser =
  (dicomParserModule as unknown as { default?: DicomParser }).default ?? dicomParserModule;

/** SOP class UID prefixes of DICOM objects that carry no Pixel Data (PS3.4 Annex B storage SOP classes). */
const NON_IMAGE_SOP_CLASSES = [
  "1.2.840.10008.5.1.4.1.1.9.", // waveforms: ECG, haemodynamic, audio, ...
  "1.2.840.10008.5.1.4.1.1.11.", // presentation states
  "1.2.840.10008.5.1.4.1.1.66", // raw data, spatial registration, fiducials, segmentation surfaces
  "1.2.840.10008.5.1.4.1.1.67", // real world value mapping
  "1.2.840.10008.5.1.4.1.1.88.", // structured reports, key object selection
  "1.2.840.10008.5.1.4.1.1.104.", // encapsulated PDF, CDA, STL, OBJ, MTL
  "1.2.840.10008.5.1.4.1.1.481.2", // RT dose may have pixels; plan, structure set, records do not:
  "1.2.840.10008.5.1.4.1.1.481.3",
  "1.2.840.10008.5.1.4.1.1.481.4",
  "1.2.840.10008.5.1.4.1.1.481.5",
  "1.2.840.10008.5.1.4.1.1.481.6",
  "1.2.840.10008.5.1.4.1.1.481.7",
  "1.2.840.10008.5.1.4.1.1.481.8",
  "1.2.840.10008.5.1.4.1.1.481.9",
] as const;

/** An undefined length (0xFFFFFFFF): sequences and encapsulated pixel data. */
const UNDEFINED_LENGTH = 0xffffffff;

function dicomError(reason: string, source: string | undefined, cause?: unknown): InvalidAttachmentError {
  return new InvalidAttachmentError({ format: "DICOM", reason, source, cause });
}

/**
 * The parser's message without file content: it throws `Error`s, strings or `{ exception, dataSet }`
 * objects wrapping either.
 */
function parserMessage(error: unknown): string {
  const wrapped = typeof error === "object" && error !== null && !(error instanceof Error) && "exception" in error;
  const inner = wrapped ? error.exception : error;
  const raw = inner instanceof Error ? inner.message : typeof inner === "string" ? inner : "unknown error";
  return raw.replace(/^dicomParser[.:]\s*/, "").slice(0, 200);
}

/**
 * Checks a DICOM PS3.10 file (see the module comment for the rules).
 *
 * @param bytes - The whole file.
 * @param source - The file name, for the error.
 * @throws {@link InvalidAttachmentError} (`format` `"DICOM"`) naming what is missing or truncated.
 */
export function checkDicomStructure(bytes: Uint8Array, source?: string): void {
  if (bytes.length < 132)
    throw dicomError(`it has ${bytes.length} bytes, fewer than the 132 of a preamble and "DICM"`, source);
  let dataSet: ReturnType<DicomParser["parseDicom"]>;
  try {
    dataSet = dicomParser.parseDicom(bytes);
  } catch (error) {
    throw dicomError(`the parser stopped: ${parserMessage(error)}`, source, error);
  }
  const uid = (...tags: string[]): string | undefined => {
    for (const tag of tags) {
      const value = dataSet.string(tag)?.replace(/\0/g, "").trim();
      if (value) return value;
    }
    return undefined;
  };
  if (!uid("x00020010")) throw dicomError("the file meta header has no Transfer Syntax UID (0002,0010)", source);
  const sopClass = uid("x00020002", "x00080016");
  if (!sopClass) throw dicomError("it names no SOP Class UID (0002,0002 or 0008,0016)", source);
  if (!uid("x00020003", "x00080018")) throw dicomError("it names no SOP Instance UID (0002,0003 or 0008,0018)", source);
  for (const element of Object.values(dataSet.elements)) {
    if (element.length === UNDEFINED_LENGTH || element.hadUndefinedLength) continue;
    if (element.dataOffset + element.length > bytes.length) {
      const tag = `${element.tag.slice(1, 5)},${element.tag.slice(5)}`.toUpperCase();
      throw dicomError(
        `element (${tag}) needs ${element.length} bytes at offset ${element.dataOffset}, past the end of the file`,
        source,
      );
    }
  }
  const pixels = dataSet.elements["x7fe00010"];
  const noPixels = NON_IMAGE_SOP_CLASSES.some((prefix) => sopClass.startsWith(prefix));
  if (!noPixels && (pixels === undefined || (pixels.length === 0 && !pixels.encapsulatedPixelData))) {
    throw dicomError(`it has no Pixel Data (7FE0,0010), which its SOP class ${sopClass} needs`, source);
  }
}

function pdfError(reason: string, source: string | undefined, cause?: unknown): InvalidAttachmentError {
  return new InvalidAttachmentError({ format: "PDF", reason, source, cause });
}

const latin1 = new TextDecoder("latin1");

/**
 * Checks a PDF file's header, end-of-file marker, `startxref` and cross-reference section, and
 * that it names a catalogue (ISO 32000-1 §7.5.2-§7.5.5, §7.5.8). Does not open the document:
 * see {@link checkPdfDocument}.
 *
 * @param bytes - The whole file.
 * @param source - The file name, for the error.
 * @throws {@link InvalidAttachmentError} (`format` `"PDF"`) naming what is missing.
 */
export function checkPdfStructure(bytes: Uint8Array, source?: string): void {
  const head = latin1.decode(bytes.subarray(0, 16));
  if (!/^%PDF-[12]\.\d/.test(head)) throw pdfError("it does not start with a %PDF-1.x or %PDF-2.x header", source);
  const tailStart = Math.max(0, bytes.length - 1024);
  const tail = latin1.decode(bytes.subarray(tailStart));
  const eof = tail.lastIndexOf("%%EOF");
  if (eof < 0) throw pdfError("its last 1024 bytes hold no %%EOF marker (the file is cut short)", source);
  const startxref = /startxref\s+(\d+)\s*$/.exec(tail.slice(0, eof));
  if (!startxref) throw pdfError("no startxref offset precedes its %%EOF marker", source);
  const offset = Number(startxref[1]);
  if (offset >= bytes.length)
    throw pdfError(`its startxref offset ${offset} is past the end of the file (${bytes.length} bytes)`, source);
  const at = latin1.decode(bytes.subarray(offset, Math.min(bytes.length, offset + 64)));
  if (!/^\s*(xref\b|\d+\s+\d+\s+obj\b)/.test(at)) {
    throw pdfError(`its startxref offset ${offset} does not point at a cross-reference section`, source);
  }
  // a linearized file names its catalogue in the first-page trailer, so search the whole file
  if (!latin1.decode(bytes).includes("/Root")) {
    throw pdfError("its trailer names no document catalogue (/Root)", source);
  }
}

/**
 * A deep PDF check: opens the document and resolves when it is a readable PDF with at least
 * one page; rejects with the parser's error otherwise. Resolve with `"encrypted"` for a
 * password-protected PDF whose structure parsed (it is stored as it is).
 */
export type PdfDocumentCheck = (bytes: Uint8Array) => Promise<{ pages: number } | "encrypted">;

let pdfDocumentCheck: PdfDocumentCheck | undefined;

/**
 * Registers the deep PDF check {@link checkPdfDocument} runs; `fhir/index.ts` (Node) registers
 * one built on `pdfjs-dist`'s legacy build. Replaces any earlier one.
 *
 * @param check - The check, or `undefined` to remove it.
 */
export function registerPdfDocumentCheck(check: PdfDocumentCheck | undefined): void {
  pdfDocumentCheck = check;
}

/**
 * Opens a PDF with the registered {@link PdfDocumentCheck} (if any) and requires at least one page.
 *
 * @param bytes - The whole file (not modified; the check gets a copy).
 * @param source - The file name, for the error.
 * @throws {@link InvalidAttachmentError} (`format` `"PDF"`) when the document does not open or has no page.
 */
export async function checkPdfDocument(bytes: Uint8Array, source?: string): Promise<void> {
  if (!pdfDocumentCheck) return;
  let result: Awaited<ReturnType<PdfDocumentCheck>>;
  try {
    result = await pdfDocumentCheck(bytes.slice());
  } catch (error) {
    const name = error instanceof Error ? error.name : "Error";
    const message = error instanceof Error ? error.message : String(error);
    throw pdfError(`the document does not open (${name}: ${message.slice(0, 160)})`, source, error);
  }
  if (result !== "encrypted" && result.pages < 1) throw pdfError("the document has no page", source);
}

/**
 * Checks a file whose content type is DICOM or PDF (other types pass unchecked).
 *
 * @param bytes - The whole file.
 * @param contentType - Its MIME type (`application/dicom`, `application/pdf`, ...; parameters ignored).
 * @param source - The file name, for the error.
 * @throws {@link InvalidAttachmentError} for a truncated or bogus DICOM or PDF file.
 * @example
 * ```ts
 * await checkAttachmentStructure(bytes, "application/dicom", "scan.dcm");
 * ```
 */
export async function checkAttachmentStructure(bytes: Uint8Array, contentType: string, source?: string): Promise<void> {
  const type = contentType.split(";")[0]?.trim().toLowerCase();
  if (type === "application/dicom") checkDicomStructure(bytes, source);
  if (type === "application/pdf") {
    checkPdfStructure(bytes, source);
    await checkPdfDocument(bytes, source);
  }
}
