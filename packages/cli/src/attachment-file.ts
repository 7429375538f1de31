/**
 * `meridian get <recordId> --attachment --out FILE` (or a folder): the original file (DICOM, PDF, …) a
 * record holds, byte for byte (checked against its FHIR `Attachment.hash`), written readable by
 * its owner only. Into a folder it goes under the SDK's `safeAttachmentFileName`: the recorded
 * name's cleaned base name and an extension from an allow-list of MIME types, never the record's.
 *
 * @module
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import type { Bundle } from "@medplum/fhirtypes";
import { MeridianError } from "@meridian/sdk";
import { extractAttachment, safeAttachmentFileName } from "@meridian/sdk/fhir";
import { writePrivateFile } from "./files.ts";

/** The record holds no attached file (it is FHIR data, not a DICOM/PDF upload). */
export class NoAttachmentError extends MeridianError {
  override name = "NoAttachmentError" as const;
}

/**
 * Writes the attachment inside a decrypted record to `out` (a file, or an existing folder to put
 * it in under `safeAttachmentFileName`), mode 0600.
 *
 * @param plaintext - The decrypted record (FHIR JSON).
 * @param recordId - The record's id, for messages.
 * @returns Where it went, its size in bytes and its content type.
 * @throws {NoAttachmentError} when the record holds no attached file.
 */
export async function writeAttachment(
  plaintext: Uint8Array,
  out: string,
  recordId: string,
): Promise<{ file: string; bytes: number; contentType: string }> {
  const none = () =>
    new NoAttachmentError("This record holds no attached file (it is FHIR data, not a DICOM or PDF upload).", {
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
  const isFolder = await stat(out).then(
    (s) => s.isDirectory(),
    () => false,
  );
  const file = isFolder
    ? path.join(out, safeAttachmentFileName({ fileName: attachment.fileName, contentType: attachment.contentType }))
    : out;
  await writePrivateFile(file, attachment.bytes);
  return { file, bytes: attachment.bytes.length, contentType: attachment.contentType };
}
