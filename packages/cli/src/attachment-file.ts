/**
 * `meridian get <recordId> --attachment --out FILE` (or a folder): the original file (DICOM, PDF, …) a
 * record holds, byte for byte (checked against its FHIR `Attachment.hash`), written readable by
 * its owner only. Into a folder it goes under a name made safe: the recorded file name's stem
 * reduced to letters, digits, `.`, `-`, `_` and spaces (no folders, no leading dot), and an
 * extension taken from the content type's entry in a fixed list, never from the record.
 *
 * @module
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import type { Bundle } from "@medplum/fhirtypes";
import { MeridianError } from "@meridian/sdk/errors.ts";
import { extractAttachment } from "@meridian/sdk/fhir/index.ts";
import { writePrivateFile } from "./files.ts";

/** The record holds no attached file (it is FHIR data, not a DICOM/PDF upload). */
export class NoAttachmentError extends MeridianError {
  override name = "NoAttachmentError" as const;
}

/** File extensions by MIME type; anything else is written as `.bin`. */
const EXTENSIONS: Record<string, string> = {
  "application/dicom": ".dcm",
  "application/pdf": ".pdf",
  "image/png": ".png",
  "image/jpeg": ".jpg",
  "text/plain": ".txt",
};

/**
 * A file name safe to create in a folder for an attachment of `contentType` recorded as
 * `recordedName`: no path separators, no leading dot, at most 100 characters, and an extension
 * chosen from the content type (`.bin` when unknown), never the recorded one.
 */
export function attachmentFileName(recordedName: string | undefined, contentType: string, fallback: string): string {
  const base = (recordedName ?? "").split(/[\\/]/).pop() ?? "";
  const stem = base.replace(/\.[^.]*$/, "").replace(/[^A-Za-z0-9._ -]+/g, "_").replace(/^[.\s_-]+/, "").trim().slice(0, 100);
  const mime = contentType.split(";")[0]!.trim().toLowerCase();
  return `${stem || fallback}${EXTENSIONS[mime] ?? ".bin"}`;
}

/**
 * Writes the attachment inside a decrypted record to `out` (a file, or an existing folder to put
 * it in under {@link attachmentFileName}), mode 0600.
 *
 * @param plaintext - The decrypted record (FHIR JSON).
 * @param recordId - The record's id, for the fallback name.
 * @returns Where it went, its size in bytes and its content type.
 * @throws {NoAttachmentError} when the record holds no attached file.
 */
export async function writeAttachment(plaintext: Uint8Array, out: string, recordId: string): Promise<{ file: string; bytes: number; contentType: string }> {
  const none = () => new NoAttachmentError("This record holds no attached file (it is FHIR data, not a DICOM or PDF upload).", {
    details: recordId,
    hint: "Write its FHIR JSON with `meridian get <recordId> --out FILE` instead.",
  });
  let resource: { resourceType?: unknown };
  try {
    resource = JSON.parse(new TextDecoder().decode(plaintext)) as { resourceType?: unknown };
  } catch {
    throw none();
  }
  if (resource.resourceType !== "Bundle") throw none();
  const attachment = await extractAttachment(resource as Bundle);
  if (!attachment) throw none();
  const isFolder = await stat(out).then((s) => s.isDirectory(), () => false);
  const file = isFolder ? path.join(out, attachmentFileName(attachment.fileName, attachment.contentType, `record-${recordId.slice(2, 10)}`)) : out;
  await writePrivateFile(file, attachment.bytes);
  return { file, bytes: attachment.bytes.length, contentType: attachment.contentType };
}
