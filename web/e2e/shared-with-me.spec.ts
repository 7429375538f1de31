/**
 * The provider's list of patients who shared with it shows only live grants and says when and
 * why the others ended (audit issue 14, item 11; the SDK's `listSharedWithMe`). A patient (dev
 * account 23) grants a hospital (22) all records, a Lab grant that expires in a few seconds, and a
 * Document grant it revokes; the hospital's page lists the patient with "All records" only and,
 * under "Ended", the expired and the revoked grant with their dates. Re-issuing the Document
 * grant brings it back to the live list. Accounts 22 and 23 are funded by the test.
 */
import { expect, test } from "@playwright/test";
import { RecordCategory } from "@meridian/sdk";
import { admittedHospital, clientFor, fund, mineUntilAfter, openSignedIn } from "./fixtures.ts";

test.describe.configure({ mode: "serial" });

const HOSPITAL = 22,
  PATIENT = 23;
const lab = { kind: "category", category: RecordCategory.Lab } as const;
const documents = { kind: "category", category: RecordCategory.Document } as const;

test("the provider sees only live grants; revoked and expired ones are under Ended", async ({ browser, baseURL }) => {
  await fund(HOSPITAL);
  await fund(PATIENT);
  const hospital = await admittedHospital(HOSPITAL, "Lakeside Hospital", "Oncology", baseURL!);
  const patient = await clientFor(PATIENT, baseURL!);
  await patient.registerAsPatient();
  await patient.grant({ grantee: hospital.address, scope: documents });
  await patient.revoke({ grantee: hospital.address, scope: documents });
  await patient.grant({ grantee: hospital.address, scope: { kind: "all" } });
  const now = Number((await patient.ctx.publicClient.getBlock()).timestamp);
  await patient.grant({ grantee: hospital.address, scope: lab, expiresAt: now + 3 });
  await mineUntilAfter(now + 3);

  const page = await openSignedIn(browser, HOSPITAL, "/provider");
  const live = page.getByTestId("shared-patient").filter({ hasText: patient.address });
  await expect(live).toHaveCount(1);
  await expect(live).toContainText("All records");
  await expect(live).not.toContainText("Lab records");
  await expect(live).not.toContainText("Document records");
  const ended = page.getByTestId("ended-grants");
  await expect(ended.locator("summary")).toHaveText("Ended (2)");
  await ended.locator("summary").click();
  const expired = page.getByTestId("ended-grant").filter({ hasText: "Lab records" });
  await expect(expired).toContainText(patient.address);
  await expect(expired).toContainText(/ended on .+: expired$/);
  const revoked = page.getByTestId("ended-grant").filter({ hasText: "Document records" });
  await expect(revoked).toContainText(/ended on .+: revoked$/);

  // re-issued: live again, and no longer among the ended grants
  await patient.grant({ grantee: hospital.address, scope: documents });
  await page.reload();
  await page.getByRole("button", { name: "Sign to create my key" }).click();
  await expect(live).toContainText("All records; Document records");
  await expect(page.getByTestId("ended-grants").locator("summary")).toHaveText("Ended (1)");
  await expect(page.getByTestId("ended-grant")).toHaveCount(1);
  await expect(page.getByTestId("ended-grant")).toContainText("Lab records");
});
