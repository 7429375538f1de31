/**
 * Files as records: DICOM images (DICOM PS3.10 files) and PDFs become a FHIR R4
 * `DocumentReference` + `Binary` pair in a `collection` Bundle, and come back out byte for byte.
 * Also the upload dispatcher {@link recordDraftFromFile} for any supported file.
 *
 * Runs in browsers and Node alike: ids come from `crypto.randomUUID()`, hashes from WebCrypto
 * (`crypto.subtle.digest`), base64 from `btoa`/`atob`. Browsers expose `crypto.randomUUID` and
 * `crypto.subtle` only in secure contexts (HTTPS or `localhost`). Because WebCrypto is
 * asynchronous, {@link attachmentToRecord}, {@link extractAttachment} and
 * {@link recordDraftFromFile} return Promises.
 *
 * @module
 */

import type { Attachment, Binary, Bundle, DocumentReference, Patient, Reference, Resource } from "@medplum/fhirtypes";
import { checkAttachmentStructure } from "./attachment-check.ts";
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { categorizeResources } from "./categorize.ts";
import {
  AttachmentHashMismatchError,
  EmptyInputError,
  InputTooLargeError,
  UnsupportedAttachmentError,
} from "./errors.ts";
import type { InvalidAttachmentError, InvalidBase64Error } from "./errors.ts";
import { parseFhirJson } from "./parse.ts";
import type { ParseFhirJsonOptions } from "./parse.ts";
import { splitResource } from "./split.ts";
import type { RecordDraft } from "./split.ts";
import { validateFhirResource } from "./validate.ts";

// Writing an attachment out as a file (downloads, `meridian get`): one allow-list of types and names.
export {
  FALLBACK_ATTACHMENT_TYPE,
  MAX_ATTACHMENT_BASE_NAME_BYTES,
  SAFE_ATTACHMENT_TYPES,
  safeAttachmentContentType,
  safeAttachmentFileName,
} from "./attachment-file.ts";
export type { AttachmentFileSource } from "./attachment-file.ts";

/** Largest file {@link attachmentToRecord} accepts: 64 MiB. */
export const MAX_ATTACHMENT_BYTES = 64 * 1024 * 1024;

/** MIME type of DICOM PS3.10 files (RFC 3240). */
export const DICOM_CONTENT_TYPE = "application/dicom";
/** MIME type of PDF files (RFC 8118). */
export const PDF_CONTENT_TYPE = "application/pdf";

/** LOINC document type for DICOM images: 18748-4 "Diagnostic imaging study". */
const IMAGING_DOCUMENT_TYPE = {
  system: "http://loinc.org",
  code: "18748-4",
  display: "Diagnostic imaging study",
} as const;

/**
 * Recognises a file by its magic bytes: `application/dicom` when bytes 128..131 are `DICM`
 * (DICOM PS3.10 §7.1 preamble + prefix), `application/pdf` when it starts with `%PDF-`
 * (ISO 32000), else `undefined`.
 *
 * @param bytes - The file's first bytes (at least 132 for DICOM).
 * @returns The detected MIME type, or `undefined`.
 */
export function detectContentType(bytes: Uint8Array): typeof DICOM_CONTENT_TYPE | typeof PDF_CONTENT_TYPE | undefined {
  if (bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d) {
    return DICOM_CONTENT_TYPE;
  }
  if (
    bytes.length >= 5 &&
    bytes[0] === 0x25 &&
    bytes[1] === 0x50 &&
    bytes[2] === 0x44 &&
    bytes[3] === 0x46 &&
    bytes[4] === 0x2d
  ) {
    return PDF_CONTENT_TYPE;
  }
  return undefined;
}

/** Options of {@link attachmentToRecord}. */
export interface AttachmentToRecordOptions {
  /** The original file name; kept in `Attachment.title` so a reader can restore it. */
  fileName: string;
  /** MIME type; required unless the file is DICOM or PDF (detected from magic bytes). */
  contentType?: string;
  /** The patient, put in `DocumentReference.subject` (e.g. `{ reference: "urn:uuid:..." }`). */
  patient?: Reference<Patient>;
  /** Human title (`DocumentReference.description` and the draft's title); default: the file name. */
  title?: string;
  /** Clinical date, ISO 8601 (`DocumentReference.context.period.start`); default: now. */
  date?: string;
}

/** The errors {@link attachmentToRecord} throws. */
export type AttachmentToRecordErrorType =
  EmptyInputError | InputTooLargeError | UnsupportedAttachmentError | InvalidAttachmentError;

/** The errors {@link extractAttachment} throws. */
export type ExtractAttachmentErrorType = AttachmentHashMismatchError | InvalidBase64Error;

/**
 * Base64 SHA-1 of bytes (28 characters), as FHIR R4 `Attachment.hash` defines it. SHA-1 is what
 * R4 specifies; it detects corruption here, not tampering (records are authenticated by the
 * envelope's AES-GCM).
 */
async function sha1Base64(bytes: Uint8Array): Promise<string> {
  // WebCrypto takes views over an ArrayBuffer; copy only bytes that live in a SharedArrayBuffer.
  const source = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
  return encodeBase64(new Uint8Array(await crypto.subtle.digest("SHA-1", source)));
}

/**
 * Wraps a file in a record: a `collection` Bundle with a `DocumentReference` (status
 * `current`; `content[0].attachment` with `contentType`, `size` in bytes, `hash` = base64
 * SHA-1, `title` = file name, `url` = the Binary's `urn:uuid:`) and a `Binary` holding the
 * bytes as base64. DICOM gets LOINC type 18748-4 and category Imaging; PDF and other files
 * category Document.
 *
 * The bytes are base64-encoded per RFC 4648 §4 (padded, no line breaks), as FHIR R4
 * `base64Binary` requires; the Binary is about 4/3 of the file's size.
 *
 * @param bytes - The file, 1 byte to {@link MAX_ATTACHMENT_BYTES} (64 MiB).
 * @param options - `fileName` (required), `contentType`, `patient`, `title`, `date`.
 * @returns One draft (`resourceCount` 2).
 * @throws {@link EmptyInputError} for 0 bytes.
 * @throws {@link InputTooLargeError} above 64 MiB.
 * @throws {@link UnsupportedAttachmentError} when the file is neither DICOM nor PDF and no `contentType` is given.
 * @throws `InvalidAttachmentError` when a DICOM or PDF file (detected or declared) is truncated or
 *   bogus (see `attachment-check.ts`: parsed with `dicom-parser`; PDF trailer and, in Node, PDF.js).
 * @example
 * ```ts
 * const file = input.files[0]; // a browser File
 * const draft = await attachmentToRecord(new Uint8Array(await file.arrayBuffer()), { fileName: file.name });
 * draft.category === RecordCategory.Imaging;
 * ```
 */
export async function attachmentToRecord(bytes: Uint8Array, options: AttachmentToRecordOptions): Promise<RecordDraft> {
  const { fileName } = options;
  if (bytes.length === 0) throw new EmptyInputError({ source: fileName });
  if (bytes.length > MAX_ATTACHMENT_BYTES) {
    throw new InputTooLargeError({ bytes: bytes.length, limit: MAX_ATTACHMENT_BYTES, source: fileName });
  }
  const detected = detectContentType(bytes);
  const contentType = options.contentType ?? detected;
  if (contentType === undefined) throw new UnsupportedAttachmentError({ source: fileName });
  await checkAttachmentStructure(bytes, contentType, fileName);

  const now = new Date().toISOString();
  const date = options.date ?? now;
  const binaryId = crypto.randomUUID();
  const documentId = crypto.randomUUID();
  const binaryUrl = `urn:uuid:${binaryId}`;

  const attachment: Attachment = {
    contentType,
    url: binaryUrl,
    size: bytes.length,
    hash: await sha1Base64(bytes),
    title: fileName,
    creation: date,
  };
  const documentReference: DocumentReference = {
    resourceType: "DocumentReference",
    id: documentId,
    status: "current",
    ...(contentType === DICOM_CONTENT_TYPE
      ? { type: { coding: [IMAGING_DOCUMENT_TYPE], text: "Diagnostic imaging study" } }
      : {}),
    ...(options.patient ? { subject: options.patient } : {}),
    date: now,
    description: options.title ?? fileName,
    content: [{ attachment }],
    context: { period: { start: date } },
  };
  const binary: Binary = { resourceType: "Binary", id: binaryId, contentType, data: encodeBase64(bytes) };
  const resource: Bundle = {
    resourceType: "Bundle",
    type: "collection",
    entry: [
      { fullUrl: `urn:uuid:${documentId}`, resource: documentReference },
      { fullUrl: binaryUrl, resource: binary },
    ],
  };
  const kind =
    contentType === DICOM_CONTENT_TYPE ? "DICOM image" : contentType === PDF_CONTENT_TYPE ? "PDF document" : "File";
  return {
    category: categorizeResources([documentReference, binary]),
    title: `${kind} ${date.slice(0, 10)}: ${options.title ?? fileName}`,
    date,
    resource,
    resourceCount: 2,
  };
}

/** A file recovered from a record by {@link extractAttachment}. */
export interface ExtractedAttachment {
  /** MIME type, e.g. `application/dicom`. */
  contentType: string;
  /** The file's bytes, identical to the uploaded ones. */
  bytes: Uint8Array;
  /** The original file name (`Attachment.title`), when recorded. */
  fileName?: string;
}

/**
 * Recovers the file from a record made by {@link attachmentToRecord} (or any Bundle whose
 * first DocumentReference has an attachment with inline `data` or a `url` to a Binary entry;
 * or a Bundle holding a Binary alone).
 *
 * The `data` is decoded as FHIR R4 `base64Binary` (RFC 4648 §4; whitespace between characters,
 * as in line-wrapped data, is allowed).
 *
 * @param bundle - The record Bundle.
 * @returns The content type, the bytes and the file name, or `undefined` when the Bundle holds no attachment.
 *   The type and name are as recorded (untrusted): write a file with {@link safeAttachmentFileName} and
 *   {@link safeAttachmentContentType}, never with the recorded name.
 * @throws {@link AttachmentHashMismatchError} when `Attachment.hash` is present and the bytes do not match it.
 * @throws {@link InvalidBase64Error} when the attachment's `data` is not base64.
 * @example
 * ```ts
 * const file = await extractAttachment(record);
 * // name and type are untrusted: write them out only through the safe allow-list
 * if (file) saveAs(new Blob([file.bytes], { type: safeAttachmentContentType(file.contentType) }), safeAttachmentFileName(file));
 * ```
 */
export async function extractAttachment(bundle: Bundle): Promise<ExtractedAttachment | undefined> {
  const resources: { fullUrl: string | undefined; resource: Resource }[] = (bundle.entry ?? []).flatMap((e) =>
    e.resource ? [{ fullUrl: e.fullUrl, resource: e.resource }] : [],
  );
  const binaryFor = (url: string | undefined): Binary | undefined => {
    if (url === undefined) return undefined;
    for (const { fullUrl, resource } of resources) {
      if (resource.resourceType !== "Binary") continue;
      if (
        fullUrl === url ||
        `Binary/${resource.id}` === url ||
        (resource.id !== undefined && url.endsWith(`/Binary/${resource.id}`))
      ) {
        return resource;
      }
    }
    return undefined;
  };

  for (const { resource } of resources) {
    if (resource.resourceType !== "DocumentReference") continue;
    for (const { attachment } of resource.content) {
      const data = attachment.data ?? binaryFor(attachment.url)?.data;
      if (data === undefined) continue;
      const bytes = decodeBase64(data);
      if (attachment.hash !== undefined && attachment.hash !== (await sha1Base64(bytes))) {
        throw new AttachmentHashMismatchError({ bytes: bytes.length });
      }
      const contentType =
        attachment.contentType ?? binaryFor(attachment.url)?.contentType ?? "application/octet-stream";
      return { contentType, bytes, ...(attachment.title !== undefined ? { fileName: attachment.title } : {}) };
    }
  }
  const binaries = resources.filter((r) => r.resource.resourceType === "Binary");
  const only = binaries.length === 1 ? binaries[0]?.resource : undefined;
  if (only?.resourceType === "Binary" && only.data !== undefined) {
    return { contentType: only.contentType, bytes: decodeBase64(only.data) };
  }
  return undefined;
}

/** Options of {@link recordDraftFromFile}. */
export interface RecordDraftFromFileOptions {
  /** The file's name (used for messages and kept with attachments). */
  fileName: string;
  /** MIME type for files that are neither FHIR JSON, DICOM nor PDF. */
  contentType?: string;
  /** The patient, for attachments (`DocumentReference.subject`). */
  patient?: Reference<Patient>;
  /** Title for attachments. */
  title?: string;
  /** Clinical date for attachments, ISO 8601. */
  date?: string;
  /** Limit for JSON files in bytes (default 32 MiB, see `parseFhirJson`). */
  maxJsonBytes?: number;
}

function looksLikeJson(bytes: Uint8Array, fileName: string): boolean {
  if (/\.json$/i.test(fileName)) return true;
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  return bytes[i] === 0x7b; // "{"
}

/**
 * Turns an uploaded file into record drafts: DICOM and PDF (by magic bytes) become one
 * attachment record ({@link attachmentToRecord}); FHIR JSON is parsed, validated against FHIR
 * R4 and split ({@link parseFhirJson}, `validateFhirResource`, `splitResource`); other files
 * become an attachment record when `contentType` is given.
 *
 * In a browser, FHIR JSON files need the validation definitions loaded first
 * (`await loadFhirDefinitionsFrom(...)`, see `validate.ts`); DICOM, PDF and other files do not.
 *
 * @param bytes - The file.
 * @param options - `fileName` (required) and the attachment options.
 * @returns One or more drafts.
 * @throws {@link EmptyInputError}, {@link InputTooLargeError}, {@link UnsupportedAttachmentError},
 *   `InvalidAttachmentError` (a truncated or bogus DICOM/PDF file), and for JSON
 *   `FhirParseError`, `NotFhirError`, `FhirValidationError`, `NotAPatientBundleError`, `UnsupportedBundleTypeError`,
 *   and `FhirDefinitionsNotLoadedError` (browsers, before the definitions are loaded). Errors arrive as rejections.
 * @example
 * ```ts
 * const drafts = await recordDraftFromFile(new Uint8Array(await readFile(path)), { fileName: basename(path) });
 * ```
 */
export async function recordDraftFromFile(
  bytes: Uint8Array,
  options: RecordDraftFromFileOptions,
): Promise<RecordDraft[]> {
  const { fileName } = options;
  if (bytes.length === 0) throw new EmptyInputError({ source: fileName });
  const detected = detectContentType(bytes);
  if (
    detected === undefined &&
    looksLikeJson(bytes, fileName) &&
    (options.contentType ?? "application/fhir+json").includes("json")
  ) {
    const parseOptions: ParseFhirJsonOptions = { source: fileName };
    if (options.maxJsonBytes !== undefined) parseOptions.maxBytes = options.maxJsonBytes;
    const resource = parseFhirJson(bytes, parseOptions);
    validateFhirResource(resource);
    return splitResource(resource, { source: fileName });
  }
  const attachmentOptions: AttachmentToRecordOptions = { fileName };
  if (options.contentType !== undefined) attachmentOptions.contentType = options.contentType;
  if (options.patient !== undefined) attachmentOptions.patient = options.patient;
  if (options.title !== undefined) attachmentOptions.title = options.title;
  if (options.date !== undefined) attachmentOptions.date = options.date;
  return [await attachmentToRecord(bytes, attachmentOptions)];
}
