"use client";

import { useState } from "react";
import type { DocumentView } from "../../lib/fhir-view.ts";
import styles from "./fhir.module.css";

/** MIME types handed to the browser as they are; anything else (HTML, SVG, XML, scripts) is downloaded as `application/octet-stream`, so a record can never make the browser render active content from this origin. */
const PASSIVE_TYPES: Readonly<Record<string, string>> = {
  "application/pdf": ".pdf",
  "application/dicom": ".dcm",
  "text/plain": ".txt",
  "text/csv": ".csv",
  "application/json": ".json",
  "application/fhir+json": ".json",
  "image/png": ".png",
  "image/jpeg": ".jpg",
  "image/gif": ".gif",
  "image/webp": ".webp",
  "application/zip": ".zip",
  "application/octet-stream": ".bin",
};

/** The base MIME type (`"text/plain; charset=utf-8"` → `"text/plain"`), lower case. */
function baseType(contentType: string | undefined): string | undefined {
  return contentType?.split(";")[0]?.trim().toLowerCase();
}

/** A file name that is safe on every OS: no path separators, control or reserved characters, at most 120 characters, with an extension. */
function safeFileName(name: string, type: string): string {
  const cleaned = name
    .replace(/[\\/:*?"<>|\p{Cc}]+/gu, "_")
    .replace(/^[.\s]+|[.\s]+$/g, "")
    .slice(0, 120);
  const base = cleaned === "" ? "document" : cleaned;
  return /\.[A-Za-z0-9]{1,5}$/.test(base) ? base : `${base}${PASSIVE_TYPES[type] ?? ".bin"}`;
}

/** Decodes base64 (whitespace allowed) to bytes; throws on invalid input. */
function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64.replace(/\s+/g, ""));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Props of {@link DocumentDownload}. */
export interface DocumentDownloadProps {
  /** The document, from `FhirRecordView.documents`. */
  document: DocumentView;
}

/**
 * A download button for a document of a record: decodes its base64 into a `Blob`, hands it
 * to the browser through an object URL (revoked a minute later) and a temporary
 * `<a download>`. Plain-text documents up to 200 kB can also be read in place, as text.
 * Documents whose bytes are not in the record show their external URL as text (never as a
 * link, since the URL is untrusted).
 */
export function DocumentDownload({ document: doc }: DocumentDownloadProps) {
  const [error, setError] = useState<string | undefined>(undefined);
  const [text, setText] = useState<string | undefined>(undefined);
  const base64 = doc.base64;
  if (base64 === undefined) {
    return (
      <span className={styles["fhir-muted"]}>
        Not included in this record{doc.url !== undefined ? <>: <span className={styles["fhir-nowrap"]}>{doc.url}</span></> : null}
      </span>
    );
  }
  const type = baseType(doc.contentType) ?? "application/octet-stream";
  const blobType = type in PASSIVE_TYPES ? (type === "text/plain" ? "text/plain;charset=utf-8" : type) : "application/octet-stream";
  const readable = type === "text/plain" && (doc.size ?? Infinity) <= 200_000;

  function download() {
    setError(undefined);
    try {
      const blob = new Blob([base64ToBytes(base64 ?? "")], { type: blobType });
      const url = URL.createObjectURL(blob);
      const a = window.document.createElement("a");
      a.href = url;
      a.download = safeFileName(doc.fileName ?? doc.title, blobType.split(";")[0] ?? "application/octet-stream");
      a.rel = "noopener";
      window.document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch {
      setError("This file's data is damaged and cannot be downloaded.");
    }
  }

  function read(open: boolean) {
    if (!open || text !== undefined) return;
    try {
      setText(new TextDecoder("utf-8", { fatal: false }).decode(base64ToBytes(base64 ?? "")));
    } catch {
      setError("This file's data is damaged and cannot be shown.");
    }
  }

  return (
    <div>
      <button type="button" className={styles["fhir-button"]} onClick={download}>
        Download<span className={styles["fhir-visually-hidden"]}> {doc.title}</span>
      </button>
      {readable ? (
        <details onToggle={(e) => read(e.currentTarget.open)}>
          <summary>Read as text</summary>
          {text !== undefined ? <pre className={styles["fhir-note"]}>{text}</pre> : null}
        </details>
      ) : null}
      {error !== undefined ? (
        <p role="alert" className={styles["fhir-error"]}>
          {error}
        </p>
      ) : null}
    </div>
  );
}
