/**
 * Peer validation in Chromium, against the production build, a real Hardhat node and the app's
 * Helia node: a hospital writes two diagnoses for a patient (seeded through the SDK); the patient
 * consents on its page; the author submits both on /validation, draws 4 validators from the pool
 * and shares each record's key; the chosen hospitals open the record and vote on their own
 * /validation pages. One diagnosis is validated by 3 of its 4 validators, the other rejected, and
 * the patient sees both statuses. Dev accounts: 1 the regulator, 12 the author, 13 the patient,
 * 14-18 the pool's hospitals (14 joins from its page).
 */
import { expect, test, type Page } from "@playwright/test";
import path from "node:path";
import type { Address, Hex } from "viem";
import { getPatient } from "@meridian/sdk/chain";
import { getValidationCase, isInValidatorPool, joinValidatorPool, ValidationStatus } from "@meridian/sdk/chain";
import { RecordCategory } from "@meridian/sdk";
import type { MeridianClient } from "@meridian/sdk";
import { admittedHospital, clientFor, openSignedIn, screenshotDir } from "./fixtures.ts";

test.describe.configure({ mode: "serial" });

const AUTHOR = 12,
  PATIENT = 13;
const HOSPITALS = [14, 15, 16, 17, 18] as const;
const NAMES = [
  "Northgate Hospital",
  "Riverside Infirmary",
  "St Anne's Hospital",
  "Lakeside Medical Centre",
  "Hillcrest Hospital",
];
const bytes = (s: string) => new TextEncoder().encode(s);

const open = openSignedIn;

const hospital = admittedHospital;

const diagnosis = (text: string, code: string) =>
  JSON.stringify({
    resourceType: "Condition",
    clinicalStatus: {
      coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code: "active" }],
    },
    verificationStatus: {
      coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-ver-status", code: "provisional" }],
    },
    code: { coding: [{ system: "http://snomed.info/sct", code, display: text }], text },
    subject: { reference: "Patient/e2e-validation" },
    recordedDate: "2026-11-20",
  });

let author: MeridianClient;
let patient: MeridianClient;
const records: { validated?: Hex; rejected?: Hex } = {};
const consents: string[] = [];
/** The pool hospitals' addresses, lower case, in HOSPITALS order. */
const poolAddresses: string[] = [];

test("seed: a hospital writes two diagnoses for a patient; four hospitals are in the validator pool", async ({
  baseURL,
}) => {
  author = await hospital(AUTHOR, "Harbour General Hospital", "Cardiology", baseURL!);
  for (const [i, index] of HOSPITALS.entries()) {
    const h = await hospital(index, NAMES[i]!, "Internal medicine", baseURL!);
    poolAddresses.push(h.address.toLowerCase());
    if (i > 0 && !(await isInValidatorPool(h.ctx, h.address))) await joinValidatorPool(h.ctx);
  }
  patient = await clientFor(PATIENT, baseURL!);
  if (!(await getPatient(patient.ctx, patient.address)).registered) await patient.registerAsPatient();
  await patient.grant({
    grantee: author.address,
    scope: { kind: "category", category: RecordCategory.General },
    write: true,
  });
  records.validated = (
    await author.addRecord({
      plaintext: bytes(diagnosis("Atrial fibrillation", "49436004")),
      category: RecordCategory.General,
      patient: patient.address,
    })
  ).recordId;
  records.rejected = (
    await author.addRecord({
      plaintext: bytes(diagnosis("Community-acquired pneumonia", "385093006")),
      category: RecordCategory.General,
      patient: patient.address,
    })
  ).recordId;
});

test("a hospital joins the validator pool from its page", async ({ browser }) => {
  const page = await open(browser, HOSPITALS[0], "/validation");
  const pool = page.getByRole("region", { name: "Validator pool" });
  await expect(pool.getByTestId("pool-status")).toContainText("You are not in the pool.");
  await pool.getByRole("button", { name: "Join the pool" }).click();
  await expect(pool.getByTestId("pool-status")).toContainText("5 hospitals in the pool. You are in the pool.");
});

test("the patient consents to peer validation of each diagnosis on its own page", async ({ browser }) => {
  const page = await open(browser, PATIENT, "/patient");
  const card = page.getByRole("region", { name: "Peer validation of your diagnoses" });
  for (const recordId of [records.validated!, records.rejected!]) {
    const row = card.locator(`[data-record-id="${recordId}"]`);
    await expect(row).toContainText("Harbour General Hospital");
    await row.getByRole("button", { name: "Consent to peer validation" }).click();
    const text = row.getByTestId("validation-consent-text");
    await expect(text).toHaveValue(new RegExp(`^${recordId}:`));
    consents.push(await text.inputValue());
  }
});

test("the author submits both, draws 4 hospitals for each and shares each record's key with them", async ({
  browser,
}) => {
  const page = await open(browser, AUTHOR, "/validation");
  const card = page.getByRole("region", { name: "Your diagnoses under peer validation" });
  for (const consent of consents) {
    await card.getByLabel(/Patient's consent/).fill(consent);
    await card.getByRole("button", { name: "Submit for validation" }).click();
    await expect(card.getByLabel(/Patient's consent/)).toHaveValue("");
  }
  for (const recordId of [records.validated!, records.rejected!]) {
    const item = card.locator(`[data-testid="author-case"][data-record-id="${recordId}"]`);
    await expect(item.getByTestId("validation-status")).toHaveText("Pending: awaiting draw");
    await item.getByRole("button", { name: "Draw the validators" }).click();
    await expect(item.getByTestId("seat")).toHaveCount(4);
    await expect(item.getByTestId("validation-status")).toHaveText("Pending validation");
    await item.getByRole("button", { name: "Share the record's key with 4 validators" }).click();
    await expect(item.getByTestId("seat").filter({ hasText: "key not shared yet" })).toHaveCount(0);
    await expect(item).not.toContainText("Harbour General Hospital"); // never the author's own hospital
  }
  for (const recordId of [records.validated!, records.rejected!]) {
    const seats = (await getValidationCase(author.ctx, recordId)).seats.map((s) => s.validator.toLowerCase());
    expect(new Set(seats).size).toBe(4);
    for (const s of seats) expect(poolAddresses).toContain(s);
  }
});

test("3 of 4 chosen hospitals validate one diagnosis and 2 reject the other; the patient sees both statuses", async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const seatsOf = async (recordId: Hex) =>
    (await getValidationCase(author.ctx, recordId)).seats.map((s) => s.validator.toLowerCase() as Address);
  const [first, second] = [await seatsOf(records.validated!), await seatsOf(records.rejected!)];
  const pages = new Map<string, Page>();
  const pageOf = async (address: Address) => {
    let page = pages.get(address);
    if (!page) {
      page = await open(browser, HOSPITALS[poolAddresses.indexOf(address)]!, "/validation");
      await expect(page.getByRole("heading", { name: "Diagnoses to validate" })).toBeVisible();
      pages.set(address, page);
    }
    return page;
  };

  const vote = async (recordId: Hex, validator: Address, approve: boolean, comment: string) => {
    const page = await pageOf(validator);
    const item = page.locator(`[data-testid="validator-case"][data-record-id="${recordId}"]`);
    await item.getByLabel(/Comment/).fill(comment);
    await item.getByRole("button", { name: approve ? "Approve" : "Reject" }).click();
    await expect(item.getByTestId("my-vote")).toHaveText(approve ? "You approved it." : "You rejected it.");
    return { page, item };
  };

  // a validator opens the record it was drawn for: decrypted in its page with the shared key
  const reader = await pageOf(first[0]!);
  const readerCase = reader.locator(`[data-testid="validator-case"][data-record-id="${records.validated}"]`);
  await readerCase.getByRole("button", { name: "Open the record" }).click();
  await expect(readerCase.getByTestId("validator-record")).toContainText("Atrial fibrillation");
  await expect(readerCase.getByTestId("validator-record")).toContainText(
    "opened with the key its author shared for validation",
  );
  await readerCase.getByLabel(/Comment/).fill("ECG shows irregularly irregular rhythm, no P waves");
  await readerCase.scrollIntoViewIfNeeded();
  await readerCase.screenshot({ path: path.join(screenshotDir, "peer-validation.png") });

  // the first diagnosis: one rejection, then three approvals
  await vote(records.validated!, first[3]!, false, "Rate control not documented");
  await vote(records.validated!, first[0]!, true, "ECG shows irregularly irregular rhythm, no P waves");
  await vote(records.validated!, first[1]!, true, "Agree");
  const last = await vote(records.validated!, first[2]!, true, "Consistent with the Holter report");
  await expect(last.item.getByTestId("validation-status")).toHaveText("Validated");
  // the second: one approval, two rejections; the fourth validator can no longer vote
  await vote(records.rejected!, second[1]!, true, "Plausible");
  await vote(records.rejected!, second[0]!, false, "No consolidation on the chest X-ray");
  const decisive = await vote(records.rejected!, second[2]!, false, "CRP normal, no fever");
  await expect(decisive.item.getByTestId("validation-status")).toHaveText("Rejected");
  const fourth = (await pageOf(second[3]!)).locator(
    `[data-testid="validator-case"][data-record-id="${records.rejected}"]`,
  );
  await expect(fourth.getByTestId("validation-status")).toHaveText("Rejected");
  await expect(fourth.getByRole("button", { name: "Approve" })).toHaveCount(0);

  const validated = await getValidationCase(author.ctx, records.validated!);
  expect([validated.status, validated.approvals, validated.rejections]).toEqual([ValidationStatus.Validated, 3, 1]);
  const rejected = await getValidationCase(author.ctx, records.rejected!);
  expect([rejected.status, rejected.approvals, rejected.rejections]).toEqual([ValidationStatus.Rejected, 1, 2]);

  const patientPage = await open(browser, PATIENT, "/patient");
  const timeline = patientPage.getByRole("region", { name: "Your records" });
  await expect(timeline.locator(`[data-record-id="${records.validated}"]`).getByTestId("validation-status")).toHaveText(
    "Validated",
  );
  await expect(timeline.locator(`[data-record-id="${records.rejected}"]`).getByTestId("validation-status")).toHaveText(
    "Rejected",
  );
  const card = patientPage.getByRole("region", { name: "Peer validation of your diagnoses" });
  await expect(card.locator(`[data-record-id="${records.validated}"]`).getByTestId("validation-status")).toHaveText(
    "Validated",
  );
  await card.scrollIntoViewIfNeeded();
  await card.screenshot({ path: path.join(screenshotDir, "patient-validation.png") });
});
