/**
 * The web app across two hospitals (issue 16, item 5): one chain, hospital A's and hospital B's
 * Meridian node, and two app servers, A (the one every spec uses) and B (`E2E_PORT_B`), each with
 * its own IPFS folder and its own node first in `MERIDIAN_NODES` (the stack script starts them all:
 * `--nodes --second-port`). A patient (dev account 24) uploads a FHIR bundle through A's app in
 * Chromium and grants a hospital (25); the hospital, signed in on B's app, opens a lab record and
 * the values it shows are those of the source bundle. Each upload was pinned on both nodes before
 * A answered it; B never held the record itself. Then B's server finds a blob that only the node
 * an admitted lab (26) runs (started here) and published in the `ProviderRegistry` holds.
 * Accounts 24-26 are funded here.
 */
import path from "node:path";
import { readdir, readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { CID } from "multiformats/cid";
import { hexToBytes } from "viem";
import type { Bundle, Observation } from "@medplum/fhirtypes";
import { formatNumber } from "@meridian/sdk/fhir/browser";
import { setNodeEndpoints } from "@meridian/sdk/chain";
import { sealRecord } from "@meridian/sdk/crypto";
import { createNodeClient, createUploadAuthorizer } from "@meridian/sdk/storage";
import { createTempDir } from "@meridian/sdk/testing";
import { startMeridianNode } from "@meridian/node";
import { writeFixtures } from "../../packages/cli/src/fixtures.ts";
import { admittedHospital, clientFor, contextFor, e2eStack, fund, openSignedIn, type E2eStack } from "./fixtures.ts";

test.describe.configure({ mode: "serial" });

const PATIENT = 24,
  HOSPITAL_B = 25,
  LAB = 26;

let stack: E2eStack;
let appA: string, appB: string;

test.beforeAll(async () => {
  stack = await e2eStack();
  [appA, appB] = stack.apps.map((a) => a.url) as [string, string];
  expect(stack.nodes, "the stack runs hospital A's and B's node (--nodes)").toHaveLength(2);
  expect(stack.apps[1]!.nodes[0], "hospital B's app names its own node first").toBe(stack.nodes[1]);
});

/** How many block files a Helia folder holds (0 when it was never written). */
async function blocksIn(ipfsDir: string): Promise<number> {
  const blocks = path.join(ipfsDir, "blocks");
  if (!existsSync(blocks)) return 0;
  return (await readdir(blocks, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
}

/** The bundle's lab Observations by id: what the record shows must be these values. */
function labsOf(bundle: Bundle): Map<string, Observation> {
  const labs = new Map<string, Observation>();
  for (const entry of bundle.entry ?? []) {
    const r = entry.resource;
    if (r?.resourceType === "Observation" && r.id && r.valueQuantity?.value !== undefined) labs.set(r.id, r);
  }
  return labs;
}

test("a patient uploads through hospital A's app; a provider on hospital B's app opens it with the source's values", async ({
  browser,
}, testInfo) => {
  await fund(PATIENT);
  await fund(HOSPITAL_B);
  const source = path.join(await writeFixtures(testInfo.outputPath("fixtures")), "fhir", "fixture-patient-1.json");
  const bundle = JSON.parse(await readFile(source, "utf8")) as Bundle;
  const sourceLabs = labsOf(bundle);
  const hospitalB = await admittedHospital(HOSPITAL_B, "Riverside Hospital", "Cardiology", appB);

  // the patient, in the browser, on hospital A's app
  const patientPage = await openSignedIn(browser, PATIENT, `${appA}/patient`);
  await patientPage.getByRole("button", { name: "Register" }).click();
  await expect(patientPage.getByRole("heading", { name: "Add records" })).toBeVisible();
  await patientPage.getByLabel("Choose files").setInputFiles([source]);
  await expect(patientPage.getByTestId("upload-progress")).toContainText(
    /fixture-patient-1\.json: (\d+) of \1 records/,
    {
      timeout: 60_000,
    },
  );
  const patient = await clientFor(PATIENT, appB); // reads through hospital B's server
  const anchors = await patient.listRecords();
  expect(anchors.length).toBeGreaterThan(0);
  await patient.grant({ grantee: hospitalB.address, scope: { kind: "all" } });

  // every envelope is on both hospitals' nodes (pinned before A answered the upload), none in B's own store
  for (const anchor of anchors) {
    const cid = CID.decode(hexToBytes(anchor.cid)).toString();
    for (const node of stack.nodes) {
      const block = await fetch(`${node}/ipfs/${cid}?format=raw`);
      expect(block.status, `${cid} on ${node}`).toBe(200);
    }
  }
  expect(await blocksIn(stack.apps[1]!.ipfsDir), "blocks in hospital B's own store").toBe(0);

  // a lab record of the bundle, found with the patient's own keys through B's server
  let target: { recordId: `0x${string}`; labs: Observation[] } | undefined;
  for (const anchor of anchors) {
    const record = JSON.parse(new TextDecoder().decode((await patient.readRecord(anchor.recordId)).plaintext)) as {
      entry?: { resource?: { id?: string } }[];
      id?: string;
    };
    const ids = (record.entry ?? []).map((e) => e.resource?.id).concat(record.id);
    const labs = ids.flatMap((id) => (id && sourceLabs.has(id) ? [sourceLabs.get(id)!] : []));
    if (labs.length > 0) {
      target = { recordId: anchor.recordId, labs };
      break;
    }
  }
  expect(target, "a record holding the bundle's lab Observations").toBeDefined();

  // the provider, in the browser, on hospital B's app
  const providerPage = await openSignedIn(browser, HOSPITAL_B, `${appB}/provider`);
  const shared = providerPage.getByTestId("shared-patient").filter({ hasText: patient.address });
  await shared.getByRole("button", { name: "Show records" }).click();
  await providerPage.locator(`[data-record-id="${target!.recordId}"]`).getByRole("button", { name: "Open" }).click();
  await expect(providerPage.getByTestId("verified")).toContainText("all-records grant");
  const opened = providerPage.getByTestId("opened-record");
  for (const lab of target!.labs) {
    await expect(opened).toContainText(formatNumber(lab.valueQuantity!.value!));
    await expect(opened).toContainText(lab.valueQuantity!.unit!);
  }
});

test("hospital B's app finds a blob that only a node published in the ProviderRegistry holds", async ({
  baseURL,
}, testInfo) => {
  await fund(LAB);
  const lab = await admittedHospital(LAB, "Hillside Laboratory", "Clinical chemistry", appA);
  const temp = await createTempDir("e2e-lab-node", testInfo.outputPath());
  const ctx = await contextFor(LAB);
  const node = await startMeridianNode({
    dataDir: temp.path,
    listen: { host: "127.0.0.1", port: 0 },
    publicClient: ctx.publicClient,
    deployment: ctx.deployment,
    repairIntervalSeconds: 0,
    log: () => {},
  });
  try {
    await setNodeEndpoints(ctx, { endpoints: [node.url] });
    // the lab stores an envelope on its own node only (neither app, nor either hospital's node)
    const domain = { chainId: ctx.deployment.chainId, recordRegistry: ctx.deployment.recordRegistry };
    const authorizer = createUploadAuthorizer({ walletClient: ctx.walletClient!, domain });
    const envelope = (
      await sealRecord({
        plaintext: new TextEncoder().encode(`{"resourceType":"Basic","id":"${crypto.randomUUID()}"}`),
        kek: crypto.getRandomValues(new Uint8Array(32)),
        context: { chainId: 31337, contract: domain.recordRegistry, patient: lab.address, category: 2, keyEpoch: 0 },
      })
    ).envelope;
    const { cid } = await createNodeClient({ url: node.url, authorizer }).upload(envelope);
    for (const url of stack.nodes) expect((await fetch(`${url}/ipfs/${cid}?format=raw`)).status).toBe(404);
    // hospital B's server: not in its store, not on its nodes, found through the registry and verified
    const answer = await fetch(`${appB}/api/blobs/${cid}`);
    expect(answer.status).toBe(200);
    expect(new Uint8Array(await answer.arrayBuffer())).toEqual(envelope);
    expect(baseURL).toBe(appA);
  } finally {
    await node.stop();
    await temp.remove();
  }
});
