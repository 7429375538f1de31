import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import type { Bundle, DocumentReference } from "@medplum/fhirtypes";
import { RecordCategory } from "../categories.ts";
import {
  MAX_ATTACHMENT_BYTES,
  attachmentToRecord,
  detectContentType,
  extractAttachment,
  recordDraftFromFile,
} from "./attachment.ts";
import "./definitions-node.ts";
import {
  AttachmentHashMismatchError,
  EmptyInputError,
  FhirValidationError,
  InputTooLargeError,
  InvalidBase64Error,
  UnsupportedAttachmentError,
} from "./errors.ts";
import { minimalDicom, minimalPdf } from "./file-fixtures.ts";
import { patientBundle } from "../testing/fhir-fixtures.ts";
import { validateFhirResource } from "./validate.ts";

/** A minimal DICOM PS3.10 file and a one-page PDF, both complete (see `file-fixtures.ts`). */
const dicom = (): Uint8Array => minimalDicom();
const pdf = (): Uint8Array => minimalPdf();

function documentReference(bundle: Bundle): DocumentReference {
  const r = bundle.entry?.[0]?.resource;
  assert.equal(r?.resourceType, "DocumentReference");
  return r;
}

describe("attachmentToRecord", () => {
  test("detects DICOM and PDF by magic bytes", () => {
    assert.equal(detectContentType(dicom()), "application/dicom");
    assert.equal(detectContentType(pdf()), "application/pdf");
    assert.equal(detectContentType(new TextEncoder().encode("hello")), undefined);
    assert.equal(detectContentType(new Uint8Array(100)), undefined);
  });

  test("DICOM: Imaging record with DocumentReference + Binary, SHA-1 hash, size, urn:uuid url", async () => {
    const bytes = dicom();
    const draft = await attachmentToRecord(bytes, {
      fileName: "scan.dcm",
      patient: { reference: "urn:uuid:11111111-1111-4111-8111-111111111111" },
      date: "2021-05-06",
    });
    assert.equal(draft.category, RecordCategory.Imaging);
    assert.equal(draft.title, "DICOM image 2021-05-06: scan.dcm");
    assert.equal(draft.date, "2021-05-06");
    assert.equal(draft.resourceCount, 2);
    assert.equal(draft.resource.type, "collection");
    const doc = documentReference(draft.resource);
    const attachment = doc.content[0]?.attachment;
    assert.equal(attachment?.contentType, "application/dicom");
    assert.equal(attachment?.size, bytes.length);
    assert.equal(attachment?.hash, createHash("sha1").update(bytes).digest("base64"));
    assert.equal(attachment?.title, "scan.dcm");
    assert.equal(attachment?.url, draft.resource.entry?.[1]?.fullUrl);
    assert.match(attachment?.url ?? "", /^urn:uuid:[0-9a-f-]{36}$/);
    assert.equal(doc.subject?.reference, "urn:uuid:11111111-1111-4111-8111-111111111111");
    assert.equal(doc.type?.coding?.[0]?.code, "18748-4");
    const binary = draft.resource.entry?.[1]?.resource;
    assert.equal(binary?.resourceType, "Binary");
    assert.equal(binary?.resourceType === "Binary" ? binary.data : undefined, Buffer.from(bytes).toString("base64"));
    validateFhirResource(draft.resource);
  });

  test("PDF: Document record; other types need a contentType", async () => {
    const draft = await attachmentToRecord(pdf(), { fileName: "report.pdf", title: "Pathology report" });
    assert.equal(draft.category, RecordCategory.Document);
    assert.match(draft.title, /^PDF document \d{4}-\d{2}-\d{2}: Pathology report$/);
    assert.equal(documentReference(draft.resource).description, "Pathology report");
    validateFhirResource(draft.resource);

    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    await assert.rejects(attachmentToRecord(png, { fileName: "photo.png" }), (e: unknown) => {
      assert.ok(e instanceof UnsupportedAttachmentError);
      assert.equal(e.shortMessage, "The file type is not recognised: it is not FHIR JSON, DICOM (PS3.10) or PDF.");
      return true;
    });
    const asPng = await attachmentToRecord(png, { fileName: "photo.png", contentType: "image/png" });
    assert.equal(asPng.category, RecordCategory.Document);
    assert.deepEqual((await extractAttachment(asPng.resource))?.bytes, png);
  });

  test("empty and oversized files", async () => {
    await assert.rejects(attachmentToRecord(new Uint8Array(0), { fileName: "x.pdf" }), EmptyInputError);
    const big = new Uint8Array(MAX_ATTACHMENT_BYTES + 1);
    await assert.rejects(attachmentToRecord(big, { fileName: "big.dcm" }), (e: unknown) => {
      assert.ok(e instanceof InputTooLargeError);
      assert.equal(e.limit, 64 * 1024 * 1024);
      assert.equal(e.bytes, MAX_ATTACHMENT_BYTES + 1);
      return true;
    });
  });
});

describe("extractAttachment", () => {
  test("returns the same bytes, content type and file name", async () => {
    const bytes = dicom();
    const record = (await attachmentToRecord(bytes, { fileName: "scan.dcm" })).resource;
    const roundTrip = JSON.parse(JSON.stringify(record)) as Bundle;
    const file = await extractAttachment(roundTrip);
    assert.ok(file);
    assert.deepEqual(file.bytes, bytes);
    assert.equal(file.contentType, "application/dicom");
    assert.equal(file.fileName, "scan.dcm");
  });

  test("a tampered Binary fails the SHA-1 check; data that is not base64 fails to decode", async () => {
    const record = (await attachmentToRecord(pdf(), { fileName: "r.pdf" })).resource;
    const binary = record.entry?.[1]?.resource;
    assert.equal(binary?.resourceType, "Binary");
    if (binary?.resourceType !== "Binary") return;
    binary.data = Buffer.from("%PDF-1.7 altered").toString("base64");
    await assert.rejects(extractAttachment(record), AttachmentHashMismatchError);
    binary.data = "not*base64!";
    await assert.rejects(extractAttachment(record), (e: unknown) => {
      assert.ok(e instanceof InvalidBase64Error);
      assert.equal(e.length, 11);
      assert.equal(e.shortMessage, "The attachment data (11 characters) is not valid base64.");
      return true;
    });
  });

  test("decodes base64Binary as R4 allows: line-wrapped, every length of padding", async () => {
    for (let n = 1; n <= 7; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => 250 - i * 37);
      const data = Buffer.from(bytes).toString("base64");
      const wrapped = data.replace(/(.{4})/g, "$1\n ");
      const lone: Bundle = {
        resourceType: "Bundle",
        type: "collection",
        entry: [{ resource: { resourceType: "Binary", contentType: "application/octet-stream", data: wrapped } }],
      };
      assert.deepEqual((await extractAttachment(lone))?.bytes, bytes, `${n} bytes`);
    }
  });

  test("inline data, a lone Binary, or nothing", async () => {
    const data = Buffer.from("hello").toString("base64");
    const inline: Bundle = {
      resourceType: "Bundle",
      type: "collection",
      entry: [
        {
          resource: {
            resourceType: "DocumentReference",
            status: "current",
            content: [{ attachment: { contentType: "text/plain", data } }],
          },
        },
      ],
    };
    assert.equal(new TextDecoder().decode((await extractAttachment(inline))?.bytes), "hello");
    const lone: Bundle = {
      resourceType: "Bundle",
      type: "collection",
      entry: [{ resource: { resourceType: "Binary", contentType: "text/plain", data } }],
    };
    assert.equal((await extractAttachment(lone))?.contentType, "text/plain");
    assert.equal(
      await extractAttachment({
        resourceType: "Bundle",
        type: "collection",
        entry: [{ resource: { resourceType: "Patient" } }],
      }),
      undefined,
    );
    // A Synthea-style note (inline text/plain) is an attachment too.
    assert.equal((await extractAttachment(patientBundle()))?.contentType, "text/plain; charset=utf-8");
  });
});

describe("recordDraftFromFile", () => {
  test("dispatches JSON to parse + validate + split, DICOM/PDF to attachments", async () => {
    const json = new TextEncoder().encode(JSON.stringify(patientBundle()));
    assert.equal((await recordDraftFromFile(json, { fileName: "patient.json" })).length, 3);
    assert.equal((await recordDraftFromFile(dicom(), { fileName: "a.bin" }))[0]?.category, RecordCategory.Imaging);
    assert.equal((await recordDraftFromFile(pdf(), { fileName: "a.json" }))[0]?.category, RecordCategory.Document);
    await assert.rejects(
      recordDraftFromFile(new TextEncoder().encode("hello"), { fileName: "a.txt" }),
      UnsupportedAttachmentError,
    );
    assert.equal(
      (await recordDraftFromFile(new TextEncoder().encode("hello"), { fileName: "a.txt", contentType: "text/plain" }))
        .length,
      1,
    );
    await assert.rejects(recordDraftFromFile(new Uint8Array(0), { fileName: "a.json" }), EmptyInputError);
    const invalid = new TextEncoder().encode('{"resourceType":"Patient","birthDate":"yesterday"}');
    await assert.rejects(recordDraftFromFile(invalid, { fileName: "p.json" }), FhirValidationError);
    await assert.rejects(recordDraftFromFile(json, { fileName: "p.json", maxJsonBytes: 100 }), InputTooLargeError);
  });
});
