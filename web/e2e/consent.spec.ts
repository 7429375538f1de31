/**
 * Consent codes, guardians and emergency access in Chromium, against the production build, a
 * real Hardhat node and the app's Helia node. Each test seeds what it needs through the SDK
 * (idempotently, so any test runs alone) and drives the roles' own pages. Dev accounts: 1 the
 * regulator, 2 a hospital, 9 an emergency department, 3 and 4 patients, 19 a guardian. Account 9
 * is a provider, never a registered patient: meridian.spec.ts asks it as "an unregistered patient".
 */
import { expect, test, type Page } from "@playwright/test";
import path from "node:path";
import { getAddress, type Address } from "viem";
import { getPatient } from "@meridian/sdk/chain";
import {
  consentCodeHash,
  decodeConsentCode,
  getGuardianLevel,
  GuardianLevel,
  shortConsentCode,
} from "@meridian/sdk/chain";
import { RecordCategory } from "@meridian/sdk";
import type { MeridianClient } from "@meridian/sdk";
import { admittedHospital, clientFor, openSignedIn, screenshotDir } from "./fixtures.ts";
import { readQrCodes } from "./qr.ts";

const HOSPITAL = 2,
  WARD = 3,
  PATIENT = 4,
  EMERGENCY = 9,
  GUARDIAN = 19;
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

const open = openSignedIn;

const providerClient = admittedHospital;

/** A registered account (a patient, or a guardian: a guardian's key is wrapped to its registered key). */
async function registeredClient(index: number, baseURL: string): Promise<MeridianClient> {
  const client = await clientFor(index, baseURL);
  if (!(await getPatient(client.ctx, client.address)).registered) await client.registerAsPatient();
  return client;
}

async function appointShareAndView(patient: MeridianClient, guardian: Address) {
  if ((await getGuardianLevel(patient.ctx, patient.address, guardian)) !== GuardianLevel.ShareAndView)
    await patient.appointGuardian({ guardian, level: GuardianLevel.ShareAndView });
}

/** On the guardian page, shows `patient` (the first ward is shown by default). */
async function showWard(page: Page, patient: Address) {
  const row = page.getByTestId("ward-row").filter({ hasText: patient });
  await expect(row).toBeVisible();
  const show = row.getByRole("button", { name: "Show", exact: true });
  if (await show.isVisible()) await show.click();
  await expect(page.getByRole("heading", { name: new RegExp(`Acting for ${patient}`) })).toBeVisible();
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: false });

test("consent by code: the patient shows a code, the provider types the short code, submits and reads the record", async ({
  browser,
  baseURL,
}) => {
  const hospital = await providerClient(HOSPITAL, "St Mary's Hospital", "Cardiology", baseURL!);
  const patient = await registeredClient(PATIENT, baseURL!);
  const observation = {
    resourceType: "Observation",
    status: "final",
    code: { text: "Fasting glucose" },
    valueQuantity: { value: 6.4, unit: "mmol/L" },
    effectiveDateTime: "2026-11-01",
  };
  const record = await patient.addRecord({
    plaintext: bytes(JSON.stringify(observation)),
    category: RecordCategory.Lab,
  });

  const patientPage = await open(browser, PATIENT, "/patient");
  const card = patientPage.getByRole("region", { name: "Consent by code" });
  await card.getByLabel("Provider address").fill(hospital.address);
  await card.getByLabel("What to share").selectOption({ label: "Lab records" });
  await card.getByRole("button", { name: "Create code" }).click();
  const shortCode = card.getByTestId("short-code");
  await expect(shortCode).toHaveText(/^[A-Z2-7]{5}-[A-Z2-7]{5}$/);
  const qr = card.getByTestId("consent-qr");
  await expect(qr).toBeVisible();
  // the QR code as Chromium drew it encodes the whole code: the text shown under "Show the code as
  // text", the patient's signed consent for this provider and scope, whose digest is the short code
  const scanned = await readQrCodes(await qr.screenshot());
  expect(scanned).toHaveLength(1);
  const codeText = scanned[0]!;
  expect(codeText).toMatch(/^MERIDIAN-CONSENT:1:[A-Z2-7]+$/);
  await expect(card.getByTestId("code-text")).toHaveText(codeText);
  const { code } = decodeConsentCode(codeText);
  expect(code).toMatchObject({
    chainId: patient.ctx.deployment.chainId,
    registry: getAddress(patient.ctx.deployment.recordRegistry),
    patient: patient.address,
    grantee: hospital.address,
    scope: { kind: "category", category: RecordCategory.Lab },
    write: false,
  });
  await expect(shortCode).toHaveText(shortConsentCode(consentCodeHash(code)));
  await expect(card.getByTestId("code-countdown")).toContainText(/Use within [45]:\d\d/);
  await card.scrollIntoViewIfNeeded();
  await card.screenshot({ path: path.join(screenshotDir, "consent-code.png") });

  const providerPage = await open(browser, HOSPITAL, "/provider");
  const redeem = providerPage.getByRole("region", { name: "Redeem consent code" });
  await redeem.getByLabel("Consent code").fill((await shortCode.textContent())!);
  await redeem.getByRole("button", { name: "Check code" }).click();
  await expect(redeem.getByTestId("code-valid")).toBeVisible();
  await expect(redeem.getByTestId("code-check")).toContainText(patient.address);
  await expect(redeem.getByTestId("code-check")).toContainText("Lab records, read");
  await redeem.getByRole("button", { name: "Submit" }).click();
  await expect(redeem.getByTestId("code-redeemed")).toBeVisible();
  await expect(card.getByTestId("code-used")).toBeVisible(); // the patient's page sees it used on chain

  await providerPage
    .getByTestId("shared-patient")
    .filter({ hasText: patient.address })
    .getByRole("button", { name: "Show records" })
    .click();
  await providerPage.locator(`[data-record-id="${record.recordId}"]`).getByRole("button", { name: "Open" }).click();
  await expect(providerPage.getByTestId("verified")).toContainText("a category grant");
  const opened = providerPage.getByTestId("opened-record");
  await expect(opened).toContainText("Fasting glucose");
  await expect(opened).toContainText("6.4");
  await expect(opened).toContainText("mmol/L");

  // the code works once: typed again, it is refused in plain words before any gas
  await redeem.getByRole("button", { name: "Check code" }).click();
  await expect(redeem.getByTestId("code-refused")).toContainText("already used or cancelled");
});

test("a Share and view guardian approves a provider's request for the patient; the patient's audit log names the guardian", async ({
  browser,
  baseURL,
}) => {
  const er = await providerClient(EMERGENCY, "City General", "Emergency", baseURL!);
  const patient = await registeredClient(WARD, baseURL!);
  const guardian = await registeredClient(GUARDIAN, baseURL!);
  const note = await patient.addRecord({
    plaintext: bytes('{"resourceType":"Condition","code":{"text":"Type 2 diabetes"}}'),
    category: RecordCategory.Document,
  });
  await appointShareAndView(patient, guardian.address);
  await er.requestAccess({
    patient: patient.address,
    scope: { kind: "category", category: RecordCategory.Document },
    purpose: "Admission review",
  });

  const page = await open(browser, GUARDIAN, "/guardian");
  await showWard(page, patient.address);
  await expect(page.getByTestId("ward-row").filter({ hasText: patient.address })).toContainText("Share and view");
  const request = page.getByTestId("request").filter({ hasText: "City General" });
  await expect(request).toContainText("Admission review");
  await shot(page, "guardian");
  await request.getByRole("button", { name: "Approve" }).click();
  await expect(request).toHaveCount(0);

  expect(text((await er.readRecord(note.recordId)).plaintext)).toContain("Type 2 diabetes");
  const patientPage = await open(browser, WARD, "/patient");
  const acted = patientPage
    .getByRole("region", { name: "Audit log" })
    .getByTestId("audit-row")
    .filter({ hasText: "GuardianActed" });
  await expect(acted.first()).toContainText(guardian.address);

  // the guardian revokes: the key epoch moves on, and the patient's page asks to update the keys
  await guardian.revoke({
    patient: patient.address,
    grantee: er.address,
    scope: { kind: "category", category: RecordCategory.Document },
  });
  const again = await open(browser, WARD, "/patient");
  const notice = again.getByTestId("stale-keys");
  await expect(notice).toContainText("guardian(s)");
  await notice.getByRole("button", { name: "Update keys" }).click();
  await expect(again.getByText(/Keys updated/)).toBeVisible();
  expect((await patient.staleKeyHolders()).guardians).toEqual([]);
});

test("an ended grant holds the current keys: the patient page warns, Update keys moves on", async ({
  browser,
  baseURL,
}) => {
  const er = await providerClient(EMERGENCY, "City General", "Emergency", baseURL!);
  const patient = await registeredClient(PATIENT, baseURL!);
  const block = await patient.ctx.publicClient.getBlock({ blockTag: "latest" });
  // ends within the writer's 30-second margin (chain/key-epoch.ts): it counts as ended already
  const scope = { kind: "category", category: RecordCategory.Procedure } as const;
  await patient.grant({ grantee: er.address, scope, expiresAt: Number(block.timestamp) + 33 });
  await expect.poll(async () => (await patient.retiredKeyHolders()).retired.length, { timeout: 20_000 }).toBe(1);
  const { keyEpoch } = await getPatient(patient.ctx, patient.address);

  const page = await open(browser, PATIENT, "/patient");
  const notice = page.getByTestId("stale-keys");
  await expect(notice.getByTestId("retired-keys")).toContainText("whose access ended");
  await notice.getByRole("button", { name: "Update keys" }).click();
  await expect(page.getByText(/Keys updated/)).toBeVisible();
  expect((await getPatient(patient.ctx, patient.address)).keyEpoch).toBe(keyEpoch + 1);
  expect((await patient.retiredKeyHolders()).retired).toEqual([]);
});

test("emergency access: on chain first in the patient's audit log, key released by the guardian, the provider reads the allergy", async ({
  browser,
  baseURL,
}) => {
  const er = await providerClient(EMERGENCY, "City General", "Emergency", baseURL!);
  const patient = await registeredClient(PATIENT, baseURL!);
  const guardian = await registeredClient(GUARDIAN, baseURL!);
  await appointShareAndView(patient, guardian.address);
  const ref = { reference: "Patient/e2e-consent-patient" };
  const fixture = {
    resourceType: "Bundle",
    type: "collection",
    entry: [
      {
        resource: {
          resourceType: "Patient",
          id: "e2e-consent-patient",
          name: [{ given: ["Alex"], family: "Example" }],
          birthDate: "1980-04-02",
        },
      },
      {
        resource: {
          resourceType: "AllergyIntolerance",
          id: "a1",
          clinicalStatus: {
            coding: [{ system: "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", code: "active" }],
          },
          code: { text: "Penicillin G" },
          patient: ref,
        },
      },
      {
        resource: {
          resourceType: "Condition",
          id: "c1",
          clinicalStatus: {
            coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code: "active" }],
          },
          code: { text: "Asthma" },
          subject: ref,
        },
      },
      {
        resource: {
          resourceType: "MedicationStatement",
          id: "m1",
          status: "active",
          medicationCodeableConcept: { text: "Salbutamol inhaler" },
          subject: ref,
        },
      },
    ],
  };
  await patient.addRecord({ plaintext: bytes(JSON.stringify(fixture)), category: RecordCategory.General });
  await patient.createEmergencySummary();
  for (const a of await patient.emergencyAccesses())
    if (a.active && a.provider === er.address)
      await er.closeEmergencyAccess({ patient: patient.address, provider: er.address });

  const providerPage = await open(browser, EMERGENCY, "/provider");
  const emergency = providerPage.getByRole("region", { name: "Emergency access" });
  await emergency.getByLabel("Patient's address").fill(patient.address);
  await emergency.getByLabel("Reason", { exact: true }).selectOption("ETREAT");
  await expect(emergency.getByLabel(/Duration/)).toHaveValue("4");
  await emergency.getByLabel(/I understand/).check();
  await emergency.getByRole("button", { name: "Open emergency access" }).click();
  await expect(emergency.getByRole("status")).toContainText("Emergency access open until");
  const mine = emergency.getByTestId("my-emergency-row").filter({ hasText: patient.address });
  await expect(mine).toContainText("waiting for the key");

  const patientPage = await open(browser, PATIENT, "/patient");
  const audit = patientPage.getByRole("region", { name: "Audit log" });
  const alert = audit.getByTestId("emergency-alert").first();
  await expect(alert).toContainText(/City General opened emergency access — ETREAT — until .+/);
  // first: above every other entry of the log
  expect(
    await alert.evaluate((el) =>
      Boolean(
        el.compareDocumentPosition(el.closest("section")!.querySelector("table")!) & Node.DOCUMENT_POSITION_FOLLOWING,
      ),
    ),
  ).toBe(true);
  await audit.scrollIntoViewIfNeeded();
  await audit.screenshot({ path: path.join(screenshotDir, "emergency-access.png") });

  const guardianPage = await open(browser, GUARDIAN, "/guardian");
  await showWard(guardianPage, patient.address);
  await expect(
    guardianPage.getByRole("region", { name: "Audit log" }).getByTestId("emergency-alert").first(),
  ).toContainText("City General opened emergency access");
  const row = guardianPage
    .getByRole("region", { name: "Emergency accesses" })
    .getByTestId("emergency-row")
    .filter({ hasText: "City General" })
    .first();
  await row.getByRole("button", { name: "Release key" }).click();
  await expect(row).toContainText(/Key released|you/);
  await expect(row.getByRole("button", { name: "Release key" })).toHaveCount(0);

  await expect(mine).toContainText("key released", { timeout: 15_000 }); // the provider's page polls while it waits
  await mine.getByRole("button", { name: "Open summary" }).click();
  const summary = providerPage.getByTestId("emergency-summary");
  await expect(summary.getByTestId("ips-allergies")).toContainText("Penicillin G");
  await expect(summary.getByTestId("ips-medications")).toContainText("Salbutamol inhaler");
  await expect(summary.getByTestId("ips-problems")).toContainText("Asthma");
});
