/**
 * A record's attachment is downloaded under a safe name (audit issue 14, item 9): whoever wrote
 * the record chose its `Attachment.title` and `contentType`, so the extension comes only from the
 * allow-list of MIME types (`safeAttachmentFileName` in the SDK), never from the recorded name.
 * Records are written here through the SDK by the patient (dev account 21, funded by the test),
 * as a hostile provider with write consent could write them; the patient downloads them in
 * Chromium and the browser's suggested file name is checked, with the bytes.
 */
import { readFile } from "node:fs/promises";
import { expect, test, type Page } from "@playwright/test";
import type { Hex } from "viem";
import { RecordCategory } from "@meridian/sdk";
import { clientFor, fund, openSignedIn } from "./fixtures.ts";

test.describe.configure({ mode: "serial" });

const PATIENT = 21;
const text = (s: string) => new TextEncoder().encode(s);
const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** A FHIR R4 Bundle holding one DocumentReference whose attachment has this name, type and content. */
function documentRecord(title: string, contentType: string | undefined, bytes: Uint8Array): Uint8Array {
  const attachment = { ...(contentType ? { contentType } : {}), title, data: base64(bytes) };
  const resource = {
    resourceType: "DocumentReference",
    status: "current",
    description: title,
    content: [{ attachment }],
  };
  const entry = [{ fullUrl: `urn:uuid:${crypto.randomUUID()}`, resource }];
  return text(JSON.stringify({ resourceType: "Bundle", type: "collection", entry }));
}

const CASES = [
  {
    title: "lab-results.pdf.hta",
    contentType: "application/hta",
    body: "<script>alert(1)</script>",
    expected: "lab-results_pdf.bin",
  },
  { title: "scan.exe", contentType: "application/pdf", body: "%PDF-1.7\n%%EOF\n", expected: "scan.pdf" },
  { title: "..\\..\\Startup\\report.html", contentType: "text/html", body: "<h1>hi</h1>", expected: "report.bin" },
  { title: "notes.txt", contentType: undefined, body: "plain", expected: "notes.bin" },
] as const;

let records: { recordId: Hex; expected: string; body: string }[] = [];

test("seed: the patient's records hold attachments with hostile names and types", async ({ baseURL }) => {
  await fund(PATIENT);
  const patient = await clientFor(PATIENT, baseURL!);
  await patient.registerAsPatient();
  records = [];
  for (const c of CASES) {
    const plaintext = documentRecord(c.title, c.contentType, text(c.body));
    const { recordId } = await patient.addRecord({ plaintext, category: RecordCategory.Document });
    records.push({ recordId, expected: c.expected, body: c.body });
  }
});

async function download(page: Page, recordId: Hex) {
  await page.locator(`[data-record-id="${recordId}"]`).getByRole("button", { name: "Open" }).click();
  const opened = page.getByTestId("opened-record");
  await expect(page.getByTestId("verified")).toBeVisible();
  const button = opened.getByRole("button", { name: /^Download/ });
  const [file] = await Promise.all([page.waitForEvent("download"), button.click()]);
  await opened.getByRole("button", { name: "Close" }).click();
  return file;
}

test("a download's file name takes its extension from the MIME type, never from the record", async ({ browser }) => {
  const page = await openSignedIn(browser, PATIENT, "/patient");
  await expect(page.getByTestId("record-row")).toHaveCount(CASES.length);
  for (const { recordId, expected, body } of records) {
    const file = await download(page, recordId);
    expect(file.suggestedFilename()).toBe(expected);
    expect(file.suggestedFilename()).not.toMatch(/\.(hta|exe|html?|js|bat|cmd|scr|svg)$/i);
    expect(await readFile(await file.path())).toEqual(Buffer.from(body));
  }
});
