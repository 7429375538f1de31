/**
 * The dApp end to end in Chromium, against the production build, a real Hardhat node and the
 * app's real Helia node. Each role has its own browser context and test wallet (dev accounts:
 * 1 regulator, 5 hospital, 6 clinic, 7 patient, 8 a stranger). Tests run in order and build on
 * each other. Screenshots of each main screen go to docs/screenshots/.
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import path from "node:path";
import { writeFixtures } from "../../packages/cli/src/fixtures.ts";
import { buildRecordView, formatNumber, LAB_TREND_CATEGORIES, labTrends } from "@meridian/sdk/fhir/browser";
import { clientFor, screenshotDir, smallestSyntheaBundle } from "./fixtures.ts";
import { devAccount, injectWallet, type TestWallet } from "./wallet.ts";

test.describe.configure({ mode: "serial" });

const REGULATOR = 1,
  HOSPITAL = 5,
  CLINIC = 6,
  PATIENT = 7,
  STRANGER = 8;

async function open(browser: Browser, index: number, url: string): Promise<{ page: Page; wallet: TestWallet }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") console.log(`[browser ${index}] ${m.text()}`);
  });
  page.on("pageerror", (e) => console.log(`[browser ${index}] ${e.message}`));
  const wallet = await injectWallet(page, index);
  await page.goto(url);
  await page.getByRole("button", { name: /Connect Meridian Test Wallet/ }).click();
  await expect(page.getByTestId("account")).toBeVisible();
  return { page, wallet };
}

async function unlock(page: Page) {
  await page.getByRole("button", { name: "Sign to create my key" }).click();
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });

test("the regulator admits a hospital and a clinic, then suspends the clinic", async ({ browser }) => {
  const { page } = await open(browser, REGULATOR, "/regulator");
  for (const [index, name, kind] of [
    [HOSPITAL, "General Hospital", "1"],
    [CLINIC, "Harbour Clinic", "2"],
  ] as const) {
    await page.getByLabel("Provider account").fill(devAccount(index).address);
    await page.getByLabel("Name").fill(name);
    await page.getByLabel("Kind").selectOption(kind);
    await page.getByLabel("Department or specialty").fill("Cardiology");
    await page.getByRole("button", { name: "Admit" }).click();
    await expect(page.getByTestId("provider-row").filter({ hasText: name })).toContainText("Active");
  }
  const clinic = page.getByTestId("provider-row").filter({ hasText: "Harbour Clinic" });
  await clinic.getByRole("button", { name: "Suspend" }).click();
  await expect(clinic.getByTestId("provider-row-status")).toContainText("Suspended");
  await expect(page.locator("body")).not.toContainText(/resourceType|Observation/);
  await shot(page, "regulator");
});

test("onboarding: a patient signs the key request twice (a deterministic wallet) and registers in one transaction", async ({
  browser,
}) => {
  const { page, wallet } = await open(browser, PATIENT, "/patient");
  await expect(page.getByText("Meridian key derivation")).toBeVisible();
  await shot(page, "onboarding");
  await unlock(page);
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByRole("heading", { name: "Add records" })).toBeVisible();
  // the key request twice (before anything is registered, the SDK checks that the wallet signs
  // deterministically: a wallet that does not would get another key each session), one transaction
  expect(wallet.signatures).toBe(3);
});

test("the patient uploads a Synthea bundle and a PDF, and opens them", async ({ browser }, testInfo) => {
  const bundle = smallestSyntheaBundle();
  const fixtures = await writeFixtures(testInfo.outputPath("fixtures"));
  const files = [
    bundle ?? path.join(fixtures, "fhir", "fixture-patient-1.json"),
    path.join(fixtures, "attachments", "fixture-report.pdf"),
  ];
  if (!bundle)
    testInfo.annotations.push({
      type: "note",
      description: "../shared/data absent: using the project's own FHIR fixture",
    });
  const { page } = await open(browser, PATIENT, "/patient");
  await unlock(page);
  await page.getByLabel("Choose files").setInputFiles(files);
  await expect(page.getByTestId("upload-progress")).toContainText(/fixture-report\.pdf: 1 of 1 records added/, {
    timeout: 90_000,
  });
  const rows = page.getByTestId("record-row");
  await expect(rows.first()).toBeVisible();
  await shot(page, "patient-timeline");
  await page.getByLabel("Category").selectOption({ label: "Document" });
  await rows.first().getByRole("button", { name: "Open" }).click();
  await expect(page.getByTestId("verified")).toBeVisible();
  await expect(page.getByTestId("opened-record")).toContainText("fixture-report.pdf");
  await page.getByLabel("Category").selectOption({ label: "All" });
  await page.getByTestId("opened-record").getByRole("button", { name: "Close" }).click();
  await page.getByTestId("record-row").last().getByRole("button", { name: "Open" }).click();
  await expect(page.getByTestId("verified")).toBeVisible();
  await shot(page, "patient-record");

  // the same PDF again: the page asks before storing a second copy, and stores nothing on "Don't store"
  const before = await page.getByTestId("record-row").count();
  await page.getByLabel("Choose files").setInputFiles([files[1]!]);
  const confirm = page.getByRole("alertdialog");
  await expect(confirm).toContainText("1 record of this file is already stored", { timeout: 60_000 });
  await confirm.getByRole("button", { name: "Don't store" }).click();
  await expect(page.getByTestId("upload-skipped")).toContainText("fixture-report.pdf");
  await expect(page.getByTestId("record-row")).toHaveCount(before);
});

test("a provider requests access, the patient approves with an expiry, the provider reads matching values", async ({
  browser,
  baseURL,
}) => {
  const provider = await open(browser, HOSPITAL, "/provider");
  await unlock(provider.page);
  await provider.page.getByRole("button", { name: "Publish key" }).click();
  await expect(provider.page.getByTestId("key-status")).toHaveText("published, version 1");
  await provider.page.getByLabel("Patient address").fill(devAccount(PATIENT).address);
  await provider.page.getByLabel("Purpose").fill("Cardiology referral");
  await provider.page.getByRole("button", { name: "Send request" }).click();
  await expect(provider.page.getByText("Request sent")).toBeVisible();

  const patient = await open(browser, PATIENT, "/patient");
  await unlock(patient.page);
  const request = patient.page.getByTestId("request");
  await expect(request).toContainText("General Hospital");
  const until = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
  await request.getByLabel("Access until").fill(until);
  await shot(patient.page, "patient-request");
  await request.getByRole("button", { name: "Approve" }).click();
  await expect(patient.page.getByTestId("grant-row").filter({ hasText: "General Hospital" })).toContainText(
    "All records",
  );

  // Find, on the Node side with the patient's own keys, a record with a measured value.
  const patientClient = await clientFor(PATIENT, baseURL!);
  let target: { recordId: `0x${string}`; value: string; unit: string } | undefined;
  for (const anchor of (await patientClient.listRecords()).reverse()) {
    const view = buildRecordView(
      JSON.parse(new TextDecoder().decode((await patientClient.readRecord(anchor.recordId)).plaintext)),
    );
    const observation = [...view.labs, ...view.vitals].find((o) => o.value !== undefined && o.unit);
    if (observation) {
      target = { recordId: anchor.recordId, value: formatNumber(observation.value!), unit: observation.unit! };
      break;
    }
  }
  expect(target, "a record with a measured observation").toBeDefined();

  await provider.page.reload();
  await unlock(provider.page);
  await provider.page.getByTestId("shared-patient").getByRole("button", { name: "Show records" }).click();
  await provider.page.locator(`[data-record-id="${target!.recordId}"]`).getByRole("button", { name: "Open" }).click();
  const opened = provider.page.getByTestId("opened-record");
  await expect(provider.page.getByTestId("verified")).toContainText("all-records grant");
  await expect(opened).toContainText(target!.value);
  await expect(opened).toContainText(target!.unit);
  await shot(provider.page, "provider-record");
});

test("the provider rotates its key and still opens what was shared under the old one", async ({ browser }) => {
  const provider = await open(browser, HOSPITAL, "/provider");
  await unlock(provider.page);
  await expect(provider.page.getByTestId("key-status")).toHaveText("published, version 1");
  await provider.page.getByText("Rotate your encryption key").click();
  await provider.page.getByRole("button", { name: "Rotate key" }).click();
  await expect(provider.page.getByText("Key rotated: version 2 is published.")).toBeVisible();
  await expect(provider.page.getByTestId("key-status")).toHaveText("published, version 2");
  await shot(provider.page, "provider-key-rotation");
  // a new session: the all-records grant was wrapped to key 1, which the wallet derives again
  await provider.page.reload();
  await unlock(provider.page);
  await expect(provider.page.getByTestId("key-status")).toHaveText("published, version 2");
  await provider.page.getByTestId("shared-patient").getByRole("button", { name: "Show records" }).click();
  await provider.page.getByTestId("record-row").first().getByRole("button", { name: "Open" }).click();
  await expect(provider.page.getByTestId("verified")).toContainText("all-records grant");
});

test("after the patient revokes, the provider is refused", async ({ browser, baseURL }) => {
  const patient = await open(browser, PATIENT, "/patient");
  await unlock(patient.page);
  await patient.page
    .getByTestId("grant-row")
    .filter({ hasText: "General Hospital" })
    .getByRole("button", { name: "Revoke" })
    .click();
  await expect(patient.page.getByTestId("grant-row").filter({ hasText: "General Hospital" })).toHaveCount(0);
  await shot(patient.page, "patient-grants");

  // the provider's list no longer offers the patient, and says the grant ended and why
  const provider = await open(browser, HOSPITAL, "/provider");
  await unlock(provider.page);
  const patientAddress = devAccount(PATIENT).address;
  await expect(provider.page.getByTestId("ended-grants")).toBeVisible();
  await expect(provider.page.getByTestId("shared-patient").filter({ hasText: patientAddress })).toHaveCount(0);
  await provider.page.getByTestId("ended-grants").locator("summary").click();
  const ended = provider.page.getByTestId("ended-grant").filter({ hasText: patientAddress });
  await expect(ended).toContainText(/All records, ended on .+: revoked$/);
  // and opening a record with what the provider's wallet holds is refused
  const hospital = await clientFor(HOSPITAL, baseURL!);
  const [latest] = (await hospital.listRecords(devAccount(PATIENT).address)).reverse();
  await expect(hospital.readRecord(latest!.recordId)).rejects.toThrow(/access|grant|not allowed|cannot/i);
});

test("an unregistered account and a suspended provider are refused with clear messages", async ({ browser }) => {
  const stranger = await open(browser, STRANGER, "/provider");
  await unlock(stranger.page);
  await expect(stranger.page.getByTestId("provider-refused")).toContainText("not an admitted provider");
  const suspended = await open(browser, CLINIC, "/provider");
  await unlock(suspended.page);
  await expect(suspended.page.getByTestId("provider-refused")).toContainText("suspended");
  await shot(suspended.page, "provider-suspended");
});

test("a transaction rejected in the wallet leaves the app usable", async ({ browser }) => {
  const { page, wallet } = await open(browser, STRANGER, "/patient");
  await unlock(page);
  // arm the rejection only once the key is derived (two signatures), so it hits the transaction
  await expect(page.getByRole("button", { name: "Register" })).toBeVisible();
  wallet.rejectNext();
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.locator(".alert")).toContainText("You declined the request in your wallet");
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByRole("heading", { name: "Add records" })).toBeVisible();
});

test("the metrics page shows throughput and this browser's transactions", async ({ browser }) => {
  const { page } = await open(browser, REGULATOR, "/metrics");
  await expect(page.getByTestId("tps")).toContainText("transactions per second");
  await shot(page, "metrics");
});

test("the patient's page works at phone width without sideways scrolling", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await injectWallet(page, PATIENT);
  await page.goto("/patient");
  await page.getByRole("button", { name: /Connect Meridian Test Wallet/ }).click();
  await unlock(page);
  await expect(page.getByTestId("record-row").first()).toBeVisible();
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(1);
  await shot(page, "patient-phone");
});

test("a contract's refusal reads in plain words; the patient denies a request and charts lab trends", async ({
  browser,
  baseURL,
}) => {
  const provider = await open(browser, HOSPITAL, "/provider");
  await unlock(provider.page);
  // asking an account that never registered as a patient: the simulation reverts with the contract's custom error
  await provider.page.getByLabel("Patient address").fill(devAccount(9).address);
  await provider.page.getByLabel("Purpose").fill("Referral");
  await provider.page.getByRole("button", { name: "Send request" }).click();
  const refusal = provider.page.getByRole("alert").filter({ hasText: "This patient is not registered" });
  await expect(refusal).toBeVisible();
  await expect(provider.page.getByText(/execution reverted/i)).toHaveCount(0);
  await provider.page.getByLabel("Patient address").fill(devAccount(PATIENT).address);
  await provider.page.getByLabel("Purpose").fill("Second opinion");
  await provider.page.getByRole("button", { name: "Send request" }).click();
  await expect(provider.page.getByText("Request sent")).toBeVisible();

  const patient = await open(browser, PATIENT, "/patient");
  await unlock(patient.page);
  const request = patient.page.getByTestId("request").filter({ hasText: "General Hospital" });
  await expect(request).toContainText("Second opinion");
  await request.getByRole("button", { name: "Deny" }).click();
  await expect(request).toHaveCount(0);

  // the charts show exactly the analytes the patient's own records hold (computed here in Node)
  const patientClient = await clientFor(PATIENT, baseURL!);
  const records: unknown[] = [];
  for (const anchor of await patientClient.listRecords()) {
    if (LAB_TREND_CATEGORIES.includes(anchor.category))
      records.push(JSON.parse(new TextDecoder().decode((await patientClient.readRecord(anchor.recordId)).plaintext)));
  }
  const expected = labTrends(records);
  await patient.page.getByRole("button", { name: "Show lab trends" }).click();
  const trends = patient.page.locator("section", { has: patient.page.getByRole("heading", { name: "Lab trends" }) });
  if (expected.length === 0) {
    await expect(trends).toContainText("No glucose");
  } else {
    await expect(trends.locator("figure")).toHaveCount(expected.length);
    await expect(trends.locator("figure").first()).toContainText(expected[0]!.label);
  }
  await shot(patient.page, "patient-lab-trends");
});

test("account and network changes in the wallet are followed without a reload", async ({ browser }) => {
  const { page, wallet } = await open(browser, PATIENT, "/patient");
  await unlock(page);
  await expect(page.getByTestId("record-row").first()).toBeVisible();
  await page.evaluate(() => {
    (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
  });
  // another account: the patient's key is dropped and the new account is asked for its own
  await wallet.switchAccount(HOSPITAL);
  await expect(page.getByTestId("account")).toHaveAttribute("title", devAccount(HOSPITAL).address);
  await expect(page.getByRole("button", { name: "Sign to create my key" })).toBeVisible();
  await expect(page.getByTestId("record-row")).toHaveCount(0);
  // another network: the app says so, and switches back on request
  await wallet.switchChain(1);
  await expect(page.getByText(/wallet is on another network/)).toBeVisible();
  await page.getByRole("button", { name: /Wrong network: switch to/ }).click();
  await expect(page.getByRole("button", { name: "Sign to create my key" })).toBeVisible();
  // back to the patient: one signature and the records are there again, in the same document
  await wallet.switchAccount(PATIENT);
  await unlock(page);
  await expect(page.getByTestId("record-row").first()).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
});
