/**
 * Diagnostic reports and downloadable documents in the record view: the files of
 * `DocumentReference.content.attachment`, `DiagnosticReport.presentedForm` and loose `Binary`
 * resources, with the bytes kept as the record's own base64 text. Internal to `fhir/`.
 *
 * @module
 */

import type { Attachment, Binary, DiagnosticReport, DocumentReference, Resource } from "@medplum/fhirtypes";
import { conceptText, periodStart } from "../format.ts";
import { isObject, list, num, str, unique } from "../json.ts";
import type { ReferenceIndex } from "./entries.ts";
import type { DiagnosticReportView, DocumentSource, DocumentView } from "./types.ts";

/** Decoded size of base64 text in bytes, without decoding it. */
function base64ByteLength(base64: string): number {
  const clean = /\s/.test(base64) ? base64.replace(/\s+/g, "") : base64;
  const padding = clean.endsWith("==") ? 2 : clean.endsWith("=") ? 1 : 0;
  return Math.max(0, Math.floor((clean.length * 3) / 4) - padding);
}

export function reportView(r: DiagnosticReport, index: ReferenceIndex): DiagnosticReportView {
  const codes = unique(list(r.conclusionCode).map(conceptText));
  return {
    display: conceptText(r.code) ?? "Report",
    date: str(r.effectiveDateTime) ?? periodStart(r.effectivePeriod) ?? str(r.issued),
    status: str(r.status),
    categories: unique(list(r.category).map(conceptText)),
    conclusion: str(r.conclusion) ?? (codes.length === 0 ? undefined : codes.join("; ")),
    results: list(r.result)
      .map((ref) => index.label(ref, r))
      .filter((l) => l !== undefined),
  };
}

export function documentView(
  attachment: Attachment,
  source: DocumentSource,
  title: string | undefined,
  date: string | undefined,
  index: ReferenceIndex,
  owner: Resource,
  usedBinaries: Set<Resource>,
): DocumentView {
  const inline = str(attachment.data);
  const url = str(attachment.url);
  const target = inline === undefined && url !== undefined ? index.resolve({ reference: url }, owner) : undefined;
  const binary = target?.resourceType === "Binary" ? target : undefined;
  if (binary !== undefined) usedBinaries.add(binary);
  const base64 = inline ?? str(binary?.data);
  return {
    title: title ?? str(attachment.title) ?? "Document",
    fileName: str(attachment.title),
    contentType: str(attachment.contentType) ?? str(binary?.contentType),
    size: base64 !== undefined ? base64ByteLength(base64) : num(attachment.size),
    created: str(attachment.creation) ?? date,
    base64,
    url: base64 === undefined ? url : undefined,
    source,
  };
}

export function docRefDocuments(d: DocumentReference, index: ReferenceIndex, used: Set<Resource>): DocumentView[] {
  const title = str(d.description) ?? conceptText(d.type);
  const date = str(d.date) ?? periodStart(d.context?.period);
  return list(d.content)
    .filter((c) => isObject(c) && isObject(c.attachment))
    .map((c) =>
      documentView(c.attachment, "DocumentReference", title ?? str(c.attachment.title), date, index, d, used),
    );
}

/** A `Binary` that no attachment points to, as a document titled "File". */
export function binaryDocument(binary: Binary): DocumentView {
  const base64 = str(binary.data);
  return {
    title: "File",
    fileName: undefined,
    contentType: str(binary.contentType),
    size: base64 === undefined ? undefined : base64ByteLength(base64),
    created: str(binary.meta?.lastUpdated),
    base64,
    url: undefined,
    source: "Binary",
  };
}
