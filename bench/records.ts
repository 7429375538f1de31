/**
 * Part 3 of `npm run bench`: records/s and MB/s of the full import (encrypt, store, anchor) and
 * read (verify, decrypt) of real FHIR records through the client (the shared Synthea corpus when
 * present, else the project's fixtures).
 */
import { readFile } from "node:fs/promises";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { parseEther, type Account, type Hex } from "viem";
import { createMeridianClient, type MeridianClient } from "@meridian/sdk";
import type { BlobStore } from "@meridian/sdk/storage";
import { recordDraftFromFile, isReferenceDataBundle, parseFhirJson, type RecordDraft } from "@meridian/sdk/fhir";
import { testAccount as account, type TestChain } from "@meridian/sdk/testing";
import { writeFixtures } from "../packages/cli/src/fixtures.ts";
import { log } from "./harness.ts";

/** Wall-clock time and throughput of one pass over the records (1 MB = 10^6 bytes of FHIR JSON). */
export interface RecordsPass {
  seconds: number;
  recordsPerSecond: number;
  MBps: number;
}

/** What {@link measureFhirRecords} measured. */
export interface FhirRecordsResult {
  /** The directory the records came from, relative to the repository root. */
  source: string;
  /** Records imported and read. */
  records: number;
  /** Their FHIR JSON (the plaintext), in bytes. */
  bytes: number;
  /** The patient adding every record (encrypt, store, anchor). */
  import: RecordsPass;
  /** The hospital reading every record (fetch, verify, decrypt) with an all-records grant. */
  read: RecordsPass;
}

/** Where {@link measureFhirRecords} runs. */
export interface MeasureFhirRecordsParameters {
  /** The bench's chain; development account 300 becomes the patient. */
  edr: TestChain;
  /** The Helia store both clients use. */
  store: BlobStore;
  /** A scratch directory, where the fixtures are written when the shared corpus is absent. */
  storeDir: string;
  /** The hospital, an admitted provider, that reads the records. */
  hospital: Account;
  /** The repository root. */
  root: string;
}

/** The FHIR records the bench imports: {@link loadFhirDrafts}. */
export interface FhirDrafts {
  /** The directory they came from (absolute). */
  source: string;
  /** One record draft per resource, in file order. */
  drafts: RecordDraft[];
}

/**
 * Up to 8 files' worth of FHIR records: the shared Synthea corpus when present, else the
 * project's fixtures written into `<scratchDir>/fixtures`. Reference-data bundles are left out.
 */
export async function loadFhirDrafts(root: string, scratchDir: string): Promise<FhirDrafts> {
  const shared = path.resolve(root, "../shared/data/fhir/synthea/smart-on-fhir-r4");
  let source = shared;
  if (!existsSync(shared)) source = path.join(await writeFixtures(path.join(scratchDir, "fixtures")), "fhir");
  const drafts: RecordDraft[] = [];
  for (const f of readdirSync(source)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .slice(0, 8)) {
    const bytes = new Uint8Array(await readFile(path.join(source, f)));
    const res = parseFhirJson(bytes);
    if (res.resourceType === "Bundle" && isReferenceDataBundle(res)) continue;
    drafts.push(...(await recordDraftFromFile(bytes, { fileName: f })));
  }
  return { source, drafts };
}

/** What {@link importDrafts} did: the records anchored, their FHIR JSON in bytes, and the wall-clock seconds. */
export interface ImportedDrafts {
  ids: Hex[];
  bytes: number;
  seconds: number;
}

/** Adds every draft as a record of `patient` (encrypt, store through its store, anchor), one after another. */
export async function importDrafts(patient: MeridianClient, drafts: readonly RecordDraft[]): Promise<ImportedDrafts> {
  let bytes = 0;
  const ids: Hex[] = [];
  const t = performance.now();
  for (const d of drafts) {
    const pt = new TextEncoder().encode(JSON.stringify(d.resource));
    bytes += pt.length;
    ids.push((await patient.addRecord({ plaintext: pt, category: d.category })).recordId);
  }
  return { ids, bytes, seconds: (performance.now() - t) / 1000 };
}

/** Wall-clock seconds, records/s and MB/s of one pass over `records` records of `bytes` bytes. */
export const recordsPass = (records: number, bytes: number, seconds: number): RecordsPass => ({
  seconds,
  recordsPerSecond: records / seconds,
  MBps: bytes / 1e6 / seconds,
});

/**
 * Imports up to 8 files' worth of FHIR records as a new patient and reads them back as
 * `hospital`; returns the figures and the hospital's client (its provider key rotated), which the
 * monitoring part reuses.
 */
export async function measureFhirRecords({
  edr,
  store,
  storeDir,
  hospital,
  root,
}: MeasureFhirRecordsParameters): Promise<{ records: FhirRecordsResult; hospitalClient: MeridianClient }> {
  log("throughput: full import and read of FHIR records through the client");
  const { source, drafts } = await loadFhirDrafts(root, storeDir);
  const patientClient = createMeridianClient({ ...edr.as(300), store });
  const hospitalClient = createMeridianClient({ ...edr.as(hospital), store });
  await edr.fund(account(300).address, parseEther("10"));
  await patientClient.registerAsPatient();
  await hospitalClient.rotateProviderKey(); // the gas run gave it a random key (version 1); publish its derived version 2
  const { ids, bytes, seconds: importS } = await importDrafts(patientClient, drafts);
  await patientClient.grant({ grantee: hospital.address, scope: { kind: "all" } });
  const t = performance.now();
  for (const id of ids) await hospitalClient.readRecord(id);
  const readS = (performance.now() - t) / 1000;
  const records: FhirRecordsResult = {
    source: path.relative(root, source),
    records: ids.length,
    bytes,
    import: recordsPass(ids.length, bytes, importS),
    read: recordsPass(ids.length, bytes, readS),
  };
  return { records, hospitalClient };
}
