/**
 * Safe names and types for attachments written out as files (a browser download, `meridian get`).
 *
 * A record's `Attachment.title` and `contentType` are chosen by whoever wrote the record, so
 * they are untrusted: a title such as `results.pdf.hta` or `scan.exe` must not become a file the
 * operating system runs with a double-click, and a `text/html` or `image/svg+xml` body must not
 * reach a browser as active content. The file's extension and MIME type therefore come only from
 * {@link SAFE_ATTACHMENT_TYPES}, an allow-list of passive formats; everything else is saved as
 * `.bin` / `application/octet-stream`. The recorded name supplies only the base name, cleaned of
 * directories (only the last path segment counts), control and bidirectional-override
 * characters, characters Windows forbids (`<>:"|?*`), leading dots, inner dots (no double
 * extensions) and Windows device names (`CON`, `NUL`, `COM1`, …), and bounded to
 * {@link MAX_ATTACHMENT_BASE_NAME_BYTES} bytes of UTF-8. Follows the file-name rules of
 * Microsoft's "Naming Files, Paths, and Namespaces" and POSIX.
 *
 * @module
 */

/**
 * The MIME types an attachment keeps when written out, with the one extension each gets
 * (lower-case base types, RFC 6838 names). PDF (RFC 8118), DICOM PS3.10 (RFC 3240), PNG, JPEG,
 * GIF, WebP, plain text, CSV (RFC 4180), JSON (RFC 8259) and FHIR JSON (`application/fhir+json`).
 * Anything else, including HTML, SVG, XML, scripts, executables and archives, is
 * `application/octet-stream` with `.bin`.
 */
export const SAFE_ATTACHMENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  "application/pdf": ".pdf",
  "application/dicom": ".dcm",
  "image/png": ".png",
  "image/jpeg": ".jpg",
  "image/gif": ".gif",
  "image/webp": ".webp",
  "text/plain": ".txt",
  "text/csv": ".csv",
  "application/json": ".json",
  "application/fhir+json": ".json",
});

/** The type and extension of anything not in {@link SAFE_ATTACHMENT_TYPES}. */
export const FALLBACK_ATTACHMENT_TYPE = "application/octet-stream";
const FALLBACK_EXTENSION = ".bin";

/** Longest base name (before the extension) {@link safeAttachmentFileName} returns: 120 bytes of UTF-8. */
export const MAX_ATTACHMENT_BASE_NAME_BYTES = 120;

/** The base name used when the record names none, or nothing of its name survives cleaning. */
const DEFAULT_BASE_NAME = "attachment";

/** Windows device names, reserved with or without an extension (`CON`, `con.txt`, `COM1`, `LPT9`, …). */
const RESERVED_NAME = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$/i;

/** What {@link safeAttachmentFileName} and {@link safeAttachmentContentType} read of an attachment. */
export interface AttachmentFileSource {
  /** The recorded MIME type (`Attachment.contentType`, `Binary.contentType`); parameters (`; charset=…`) ignored. */
  contentType?: string | undefined;
  /** The recorded file name (`Attachment.title`, kept by `attachmentToRecord`). */
  fileName?: string | undefined;
  /** A fallback name, e.g. the document's description, used when there is no `fileName`. */
  title?: string | undefined;
}

/** `"Text/Plain; charset=utf-8"` → `"text/plain"`; `undefined` for a missing or empty type. */
function baseType(contentType: string | undefined): string | undefined {
  const base = contentType?.split(";")[0]?.trim().toLowerCase();
  return base === "" ? undefined : base;
}

/**
 * The MIME type to give the written file (a `Blob`'s `type`, a `Content-Type`): the recorded
 * type's base type when it is in {@link SAFE_ATTACHMENT_TYPES}, else `application/octet-stream`.
 *
 * @param contentType - The recorded MIME type, untrusted; may be missing.
 * @returns A lower-case MIME type without parameters.
 * @example
 * ```ts
 * safeAttachmentContentType("application/pdf"); // "application/pdf"
 * safeAttachmentContentType("text/html");       // "application/octet-stream"
 * ```
 */
export function safeAttachmentContentType(contentType: string | undefined): string {
  const base = baseType(contentType);
  return base !== undefined && Object.hasOwn(SAFE_ATTACHMENT_TYPES, base) ? base : FALLBACK_ATTACHMENT_TYPE;
}

/** The longest prefix of `text`, by whole code points, whose UTF-8 encoding fits in `maxBytes`. */
function truncateUtf8(text: string, maxBytes: number): string {
  const encoder = new TextEncoder();
  let out = "";
  let bytes = 0;
  for (const ch of text) {
    const size = encoder.encode(ch).length;
    if (bytes + size > maxBytes) break;
    out += ch;
    bytes += size;
  }
  return out;
}

/**
 * A file name that is safe to write for an attachment: a cleaned base name from the recorded
 * name plus the extension of its MIME type from {@link SAFE_ATTACHMENT_TYPES} (`.bin` for any
 * other type). The recorded file name's extension is dropped and never decides the new one, so
 * `invoice.pdf.hta` recorded as `application/hta` becomes `invoice_pdf.bin`, and `scan.exe`
 * recorded as `application/pdf` becomes `scan.pdf`.
 *
 * The base name is the recorded name's last path segment (after `/` or `\`); control
 * characters (Unicode Cc), format characters (Cf, e.g. U+202E, which can disguise `exe.pdf` as
 * `fdp.exe`), line separators and `<>:"|?*` are replaced by `_`, inner dots by `_`, leading and
 * trailing dots and spaces removed; a Windows device name gets a leading `_`; the result is at
 * most {@link MAX_ATTACHMENT_BASE_NAME_BYTES} bytes of UTF-8 (NFC), and `attachment` when empty.
 *
 * @param attachment - The recorded `fileName` (else `title`) and `contentType`, all untrusted.
 * @returns A name such as `fixture-report.pdf`, at most 125 bytes of UTF-8.
 * @example
 * ```ts
 * safeAttachmentFileName({ fileName: "x.pdf.exe", contentType: "application/pdf" }); // "x_pdf.pdf"
 * safeAttachmentFileName({ fileName: "../../a.hta", contentType: "application/hta" }); // "a.bin"
 * ```
 */
export function safeAttachmentFileName(attachment: AttachmentFileSource): string {
  const type = safeAttachmentContentType(attachment.contentType);
  const extension = SAFE_ATTACHMENT_TYPES[type] ?? FALLBACK_EXTENSION;
  const named = attachment.fileName !== undefined && attachment.fileName.trim() !== "";
  const recorded = (named ? attachment.fileName : attachment.title) ?? "";
  // the last path segment only: a name may not place the file anywhere
  const segment = recorded.normalize("NFC").split(/[/\\]/).pop() ?? "";
  const trim = (text: string): string => text.replace(/^[.\s]+|[.\s]+$/gu, "");
  let base = trim(segment.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}<>:"|?*]/gu, "_").replace(/\s+/gu, " "));
  // drop a file name's extension (the type decides it), then any dot left inside: no `x.pdf.exe`
  if (named) base = base.replace(/\.[\p{L}\p{N}_+-]{1,16}$/u, "");
  base = trim(base.replace(/\./gu, "_"));
  base = trim(truncateUtf8(base, MAX_ATTACHMENT_BASE_NAME_BYTES));
  if (base === "") base = DEFAULT_BASE_NAME;
  if (RESERVED_NAME.test(base)) base = `_${base}`.slice(0, MAX_ATTACHMENT_BASE_NAME_BYTES);
  return `${base}${extension}`;
}
