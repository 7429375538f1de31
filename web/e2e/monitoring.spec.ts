/**
 * Remote monitoring in the browser: a patient's ECG goes device → edge → fog → medical server
 * on the Node side (real MQTT broker, real CNN, real signatures, anchored on the e2e chain
 * through the app's own blob API), then the monitoring provider's clinician reviews the flagged
 * windows in Chromium (waveform with the model's beat classes) and signs the final diagnosis
 * from the wallet; the chain shows the session closed with it, and the patient opens it.
 * Accounts: 1 regulator, 10 the monitoring provider, 11 the patient, 8 a stranger. Uses MIT-BIH
 * record 208 when ../shared/data is present, else the project's synthetic record.
 */
import { expect, test, type Page } from "@playwright/test";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { DiagnosticReport } from "@medplum/fhirtypes";
import { admitProvider, canWrite } from "@meridian/sdk/chain";
import { RecordCategory } from "@meridian/sdk";
import { createDevicePairingOffer } from "@meridian/sdk/chain";
import { DeviceRole, DeviceStatus, getDevice, getMonitoringProvider, getSession } from "@meridian/sdk/chain";
import { ProviderKind } from "@meridian/sdk/chain";
import { MITDB_DIR, mitdbPresent, readWfdbRecord } from "@meridian/ecg/wfdb";
import { syntheticRecord } from "@meridian/ecg/testing";
import { readWindowBundle, enrolMonitoring, runMonitoring } from "@meridian/monitoring";
import type { MonitoringRun } from "@meridian/monitoring";
import { clientFor, contextFor, openSignedIn, screenshotDir } from "./fixtures.ts";
import { devAccount } from "./wallet.ts";

test.describe.configure({ mode: "serial" });

const REGULATOR = 1,
  MONITORING_PROVIDER = 10,
  PATIENT = 11,
  STRANGER = 8;
const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });

const open = openSignedIn;

let run: MonitoringRun;

test("30 s of ECG stream through device, edge, fog and medical server onto the chain", async ({
  baseURL,
}, testInfo) => {
  const regulator = await contextFor(REGULATOR);
  const provider = await clientFor(MONITORING_PROVIDER, baseURL!);
  const patient = await clientFor(PATIENT, baseURL!);
  await admitProvider(regulator, {
    provider: provider.address,
    kind: ProviderKind.Hospital,
    name: "Heartline Monitoring",
    department: "Cardiac physiology",
  });
  await provider.publishProviderKey();
  await patient.registerAsPatient();
  const kit = {
    sensor: privateKeyToAccount(generatePrivateKey()),
    edge: privateKeyToAccount(generatePrivateKey()),
    fog: privateKeyToAccount(generatePrivateKey()),
  };
  await enrolMonitoring({ patient, provider, kit });
  const record = mitdbPresent() ? await readWfdbRecord(MITDB_DIR, "208") : syntheticRecord({ durationSeconds: 30 });
  if (!mitdbPresent())
    testInfo.annotations.push({
      type: "note",
      description: "../shared/data absent: streaming the project's synthetic record",
    });
  const stateDir = testInfo.outputPath("monitoring");
  await mkdir(stateDir, { recursive: true });
  run = await runMonitoring({
    record,
    patient: patient.address,
    provider,
    kit,
    stateDir,
    windowSeconds: 10,
    endSample: 30 * 360,
  });
  expect(run.refused).toEqual([]);
  expect(run.anchored).toHaveLength(3);
  expect(run.anchored.some((a) => a.flagged)).toBe(true);
});

test("the clinician reviews a flagged window's waveform and beat classes and signs the diagnosis on chain", async ({
  browser,
  baseURL,
}) => {
  const page = await open(browser, MONITORING_PROVIDER, "/monitoring");
  const row = page.getByTestId("session-row");
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId("session-status")).toHaveText("Open, awaiting diagnosis");
  await row.getByRole("button", { name: "Review" }).click();

  // the first flagged window, read on the Node side with the patient's own key for comparison
  const flagged = run.anchored.find((a) => a.flagged)!;
  const patient = await clientFor(PATIENT, baseURL!);
  const expected = readWindowBundle(
    JSON.parse(new TextDecoder().decode((await patient.readRecord(flagged.recordId)).plaintext)),
  );
  const windows = page.getByTestId("window-button");
  await expect(windows).toHaveCount(run.anchored.filter((a) => a.flagged).length);
  await windows.first().click();
  const strip = page.getByTestId("ecg-strip");
  await expect(strip).toBeVisible();
  const counts = (["N", "S", "V", "F", "Q"] as const)
    .filter((c) => expected.classCounts[c] > 0)
    .map((c) => `${expected.classCounts[c]} ${c}`)
    .join(", ");
  await expect(strip.locator("figcaption")).toContainText(`Lead ${expected.lead}`);
  await expect(strip.locator("figcaption")).toContainText(`beats: ${counts}.`);
  await expect(strip.locator("svg .recharts-line path").first()).toBeVisible();
  await expect(strip.locator(".recharts-reference-line")).toHaveCount(expected.beats.length);
  await expect(page.getByTestId("edge-findings")).toContainText("Awaiting clinician review");
  await strip.getByText(/Every beat/).click();
  await expect(strip.getByTestId("beat-table").locator("tbody tr")).toHaveCount(expected.beats.length);
  await shot(page, "monitoring-review");

  // sign: findings, conclusion, two wallet transactions
  await page.getByLabel("Sinus rhythm").check();
  await page.getByLabel("Premature ventricular contractions").check();
  const conclusion =
    "Sinus rhythm with frequent premature ventricular contractions; no sustained arrhythmia. Review in clinic.";
  await page.getByLabel("Conclusion").fill(conclusion);
  await page.getByRole("button", { name: "Sign diagnosis" }).click();
  await expect(page.getByTestId("diagnosis-signed")).toBeVisible({ timeout: 60_000 });
  await expect(row.getByTestId("session-status")).toHaveText("Diagnosis signed");

  const session = await getSession(patient.ctx, run.sessionId!);
  expect(session.open).toBe(false);
  expect(session.diagnosisRecordId).toBeDefined();
  const report = JSON.parse(
    new TextDecoder().decode((await patient.readRecord(session.diagnosisRecordId!)).plaintext),
  ) as DiagnosticReport;
  expect(report.status).toBe("final");
  expect(report.conclusion).toBe(conclusion);
  expect(report.conclusionCode?.map((c) => c.coding?.[0]?.code).sort()).toEqual(["426783006", "427172004"]);
  expect(report.result?.map((r) => r.identifier?.value)).toEqual([expected.windowDigest]);
  await page.getByRole("button", { name: "Open the diagnosis" }).click();
  await expect(page.getByTestId("opened-record")).toContainText(conclusion);
});

test("the patient sees the ECG windows with their waveform, their devices and the diagnosis; pairs a device and revokes it; a stranger is refused the review page", async ({
  browser,
  baseURL,
}) => {
  const page = await open(browser, PATIENT, "/patient");
  const row = page.locator(`[data-record-id="${run.anchored[0]!.recordId}"]`);
  await row.getByRole("button", { name: "Open" }).click();
  await expect(page.getByTestId("opened-record").getByTestId("ecg-strip")).toBeVisible();
  await shot(page, "patient-ecg-window");

  const monitoring = page.getByTestId("remote-monitoring");
  await expect(monitoring.getByTestId("monitoring-provider")).toContainText("Heartline Monitoring");
  await expect(monitoring.getByTestId("device-row")).toHaveCount(3);
  await expect(monitoring.getByTestId("my-session")).toContainText("diagnosis signed");
  // a new sensor pairs: the device makes the offer with its own key; the patient pastes it
  const patient = await clientFor(PATIENT, baseURL!);
  const sensor = privateKeyToAccount(generatePrivateKey());
  const offer = await createDevicePairingOffer(patient.ctx.deployment, sensor, {
    patient: patient.address,
    role: DeviceRole.Sensor,
  });
  await monitoring.getByLabel(/Pair a device/).fill(JSON.stringify({ ...offer, role: DeviceRole.Fog }));
  await monitoring.getByRole("button", { name: "Register device" }).click();
  await expect(monitoring.getByRole("alert")).toContainText("not signed by the device");
  await monitoring.getByLabel(/Pair a device/).fill(JSON.stringify(offer));
  await monitoring.getByRole("button", { name: "Register device" }).click();
  const added = monitoring.getByTestId("device-row").filter({ hasText: sensor.address });
  await expect(added.getByTestId("device-status")).toHaveText("Active");
  await monitoring.screenshot({ path: path.join(screenshotDir, "patient-monitoring.png") });
  await added.getByRole("button", { name: "Revoke" }).click();
  await expect(added.getByTestId("device-status")).toContainText("Revoked");
  expect((await getDevice(patient.ctx, patient.address, sensor.address)).status).toBe(DeviceStatus.Revoked);

  // stop monitoring, withdraw the Cardiac consent, then name the provider again: the consent is granted first
  await monitoring.getByRole("button", { name: "Stop monitoring" }).click();
  await expect(monitoring.getByLabel("Provider address")).toBeVisible();
  expect(await getMonitoringProvider(patient.ctx, patient.address)).toBeUndefined();
  await page
    .getByTestId("grant-row")
    .filter({ hasText: "Heartline Monitoring" })
    .getByRole("button", { name: "Revoke" })
    .click();
  await expect(page.getByTestId("grant-row").filter({ hasText: "Heartline Monitoring" })).toHaveCount(0);
  await monitoring.getByLabel("Provider address").fill(devAccount(MONITORING_PROVIDER).address);
  await monitoring.getByRole("button", { name: "Name as monitoring provider" }).click();
  await expect(monitoring.getByTestId("monitoring-provider")).toContainText("Heartline Monitoring");
  expect(
    await canWrite(patient.ctx, devAccount(MONITORING_PROVIDER).address, patient.address, RecordCategory.Cardiac),
  ).toBe(true);

  const stranger = await open(browser, STRANGER, "/monitoring");
  await expect(stranger.getByTestId("provider-refused")).toContainText("not an admitted provider");
});
