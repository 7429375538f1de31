/**
 * The demo's records: every draft encrypted, stored and anchored by its patient, then a provider
 * granted all records of every patient reads each one back and compares it byte for byte.
 *
 * @module
 */
import type { Address, Hex } from "viem";
import { categoryName, MeridianError, type MeridianClient, type RecordCategory } from "@meridian/sdk";
import type { RecordDraft } from "@meridian/sdk/fhir";
import { createProgress } from "../output.ts";
import type { AttachmentInput, PatientInput } from "./inputs.ts";
import { DEMO_PROVIDERS, type DemoNetwork } from "./network.ts";
import type { DemoImportSummary, DemoLog, DemoRoundTrip } from "./report.ts";

/** A record the demo imported, and the SHA-256 of its plaintext to compare reads against. */
export interface ImportedRecord {
  recordId: Hex;
  patient: Address;
  category: RecordCategory;
  /** SHA-256 of the plaintext, hex. */
  sha256: string;
  /** Plaintext bytes. */
  bytes: number;
  title: string;
}

/** What {@link importRecords} did. */
export interface DemoImport {
  records: ImportedRecord[];
  /** The report's part: records, plaintext bytes and records per category. */
  imported: Pick<DemoImportSummary, "records" | "bytes" | "byCategory">;
  /** Wall time of the import; time spent encrypting and storing in IPFS; all in seconds. */
  seconds: number;
  encryptSeconds: number;
  storeSeconds: number;
}

/** What {@link readBack} found. */
export interface DemoReadBack {
  roundTrip: DemoRoundTrip;
  /** Wall time of the provider's reads, in seconds. */
  seconds: number;
}

/** SHA-256 of `bytes`, hex. */
export async function sha256(bytes: Uint8Array): Promise<string> {
  return Buffer.from(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)).toString("hex");
}

/** A plaintext record as the demo imports it: the draft's FHIR resource as JSON, UTF-8. */
export function plaintextOf(draft: RecordDraft): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(draft.resource));
}

/**
 * Imports every patient bundle's drafts as that patient's records, and the attachments spread
 * over the patients in turn; checks that every draft was imported.
 */
export async function importRecords(
  run: DemoLog,
  network: DemoNetwork,
  patients: readonly PatientInput[],
  attachments: readonly AttachmentInput[],
): Promise<DemoImport> {
  const records: ImportedRecord[] = [];
  const work: { client: MeridianClient; draft: RecordDraft }[] = [];
  const clients = network.patients;
  patients.forEach((p, i) => p.drafts.forEach((draft) => work.push({ client: clients[i]!, draft })));
  attachments.forEach((a, i) =>
    a.drafts.forEach((draft) => work.push({ client: clients[i % clients.length]!, draft })),
  );
  const bar = createProgress("import", work.length);
  const started = performance.now();
  let bytes = 0,
    encryptMs = 0,
    storeMs = 0;
  const errors: string[] = [];
  for (const { client: c, draft } of work) {
    const plaintext = plaintextOf(draft);
    try {
      const r = await c.addRecord({ plaintext, category: draft.category });
      run.gas("anchor record", r.gasUsed);
      encryptMs += r.timings.encryptMs;
      storeMs += r.timings.storeMs;
      bytes += plaintext.length;
      records.push({
        recordId: r.recordId,
        patient: c.address,
        category: draft.category,
        sha256: await sha256(plaintext),
        bytes: plaintext.length,
        title: draft.title,
      });
    } catch (error) {
      errors.push(error instanceof MeridianError ? error.shortMessage : String(error));
    }
    bar.increment();
  }
  bar.stop();
  const seconds = (performance.now() - started) / 1000;
  const failed = errors.length ? `; errors: ${errors.slice(0, 3).join("; ")}` : "";
  run.check(
    "import",
    errors.length === 0 && records.length === work.length,
    `${records.length}/${work.length} records encrypted, stored and anchored${failed}`,
    work.length,
  );
  const byCategory: Record<string, number> = {};
  for (const r of records) byCategory[categoryName(r.category)] = (byCategory[categoryName(r.category)] ?? 0) + 1;
  return {
    records,
    imported: { records: records.length, bytes, byCategory },
    seconds,
    encryptSeconds: encryptMs / 1000,
    storeSeconds: storeMs / 1000,
  };
}

/**
 * Grants the hospital all records of every patient; the hospital reads, verifies and decrypts
 * every record and compares it with what was imported; each patient reads their first record
 * back with their own keys.
 */
export async function readBack(
  run: DemoLog,
  network: DemoNetwork,
  records: readonly ImportedRecord[],
): Promise<DemoReadBack> {
  const { hospital, patients } = network;
  for (const p of patients) {
    run.gas("grant (all records)", (await p.grant({ grantee: hospital.address, scope: { kind: "all" } })).gasUsed);
  }
  const bar = createProgress("read", records.length);
  const started = performance.now();
  let identical = 0;
  const failures: string[] = [];
  for (const r of records) {
    try {
      const { plaintext } = await hospital.readRecord(r.recordId);
      if ((await sha256(plaintext)) === r.sha256) identical++;
      else failures.push(`${r.recordId}: bytes differ`);
    } catch (error) {
      failures.push(`${r.recordId}: ${error instanceof MeridianError ? error.shortMessage : String(error)}`);
    }
    bar.increment();
  }
  bar.stop();
  const seconds = (performance.now() - started) / 1000;
  const failed = failures.length ? `; ${failures.slice(0, 3).join("; ")}` : "";
  run.check(
    "provider round trip",
    identical === records.length,
    `${identical}/${records.length} records read by ${DEMO_PROVIDERS[0][0]} are byte-identical to the source${failed}`,
    records.length,
  );

  let ownOk = 0;
  for (const p of patients) {
    const first = records.find((r) => r.patient === p.address);
    if (first && (await sha256((await p.readRecord(first.recordId)).plaintext)) === first.sha256) ownOk++;
  }
  run.check(
    "patient reads own records",
    ownOk === patients.length,
    `${ownOk}/${patients.length} patients decrypted their first record with their own keys`,
    patients.length,
  );
  return { roundTrip: { read: records.length, identical, failures: failures.slice(0, 20) }, seconds };
}
