"use client";

import { useState } from "react";
import { safeAttachmentContentType, safeAttachmentFileName } from "@meridian/sdk/fhir/browser";
import type { DocumentView } from "@meridian/sdk/fhir/browser";
import styles from "./fhir.module.css";

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
 * A download button for a document of a record: decodes its base64 into a `Blob` (typed and
 * named by the SDK's `safeAttachmentContentType` / `safeAttachmentFileName`), hands it to the
 * browser through an object URL (revoked a minute later) and a temporary `<a download>`.
 * Plain-text documents up to 200 kB can also be read in place, as text.
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
        Not included in this record
        {doc.url !== undefined ? (
          <>
            : <span className={styles["fhir-nowrap"]}>{doc.url}</span>
          </>
        ) : null}
      </span>
    );
  }
  // The recorded type and name are untrusted: both come out of the SDK's allow-list of passive
  // MIME types (anything else is application/octet-stream, saved as .bin), so a record can never
  // make the browser render active content from this origin nor save a file the OS would run.
  const type = safeAttachmentContentType(doc.contentType);
  const readable = type === "text/plain" && (doc.size ?? Infinity) <= 200_000;

  function download() {
    setError(undefined);
    try {
      const blob = new Blob([base64ToBytes(base64 ?? "")], { type });
      const url = URL.createObjectURL(blob);
      const a = window.document.createElement("a");
      a.href = url;
      a.download = safeAttachmentFileName({ fileName: doc.fileName, title: doc.title, contentType: doc.contentType });
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
