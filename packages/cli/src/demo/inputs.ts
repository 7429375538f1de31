/**
 * The demo's first step: read the input folder, parse and validate every FHIR bundle, DICOM and
 * PDF file, and split them into record drafts, before anything touches the chain.
 *
 * @module
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { MeridianError } from "@meridian/sdk";
import {
  isReferenceDataBundle,
  parseFhirJson,
  recordDraftFromFile,
  sensitiveStrings,
  type RecordDraft,
} from "@meridian/sdk/fhir";
import { log } from "../output.ts";
import type { DemoImportSummary, DemoLog, DemoStageSpeed, SkippedFile } from "./report.ts";

/** One patient bundle: its record drafts, and the plaintext strings the privacy scan looks for. */
export interface PatientInput {
  /** The file, relative to the input folder. */
  file: string;
  drafts: RecordDraft[];
  /** Distinctive strings of the bundle (names, identifiers, addresses, note text); never printed. */
  secrets: string[];
}

/** One DICOM or PDF file, as record drafts. */
export interface AttachmentInput {
  file: string;
  drafts: RecordDraft[];
}

/** What {@link readInputs} found. */
export interface DemoInputs {
  /** Patient bundles, fewest records first, at most `maxPatients`. */
  patients: PatientInput[];
  attachments: AttachmentInput[];
  /** The report's part: attachments, input bytes and skipped files. */
  imported: Pick<DemoImportSummary, "attachments" | "inputBytes" | "skipped">;
  /** Parsing, validating and splitting, over the input bytes. */
  speed: DemoStageSpeed;
}

/** Every `.json`, `.dcm` and `.pdf` file under `dir`, depth first, in name order. */
async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (/\.(json|dcm|pdf)$/i.test(entry.name)) yield full;
  }
}

/**
 * Reads every file under `input`: a FHIR Bundle with one Patient is a patient bundle, DICOM and
 * PDF files are attachments; reference data and other resources are skipped, and so is a file
 * that does not parse or validate (with the reason).
 *
 * @param maxPatients - Keep at most this many patient bundles (the smallest).
 */
export async function readInputs(input: string, maxPatients: number | undefined): Promise<DemoInputs> {
  log(`Reading FHIR bundles and attachments from ${input}`);
  const patients: PatientInput[] = [];
  const attachments: AttachmentInput[] = [];
  const skipped: SkippedFile[] = [];
  const t0 = performance.now();
  let inputBytes = 0;
  for await (const file of walk(input)) {
    const bytes = new Uint8Array(await readFile(file));
    const rel = path.relative(input, file);
    try {
      if (/\.json$/i.test(file)) {
        const resource = parseFhirJson(bytes, { source: rel });
        if (resource.resourceType === "Bundle" && isReferenceDataBundle(resource)) {
          skipped.push({ file: rel, reason: "reference data (Organizations/Practitioners), not a patient record" });
          continue;
        }
        const isPatientBundle =
          resource.resourceType === "Bundle" &&
          (resource.entry ?? []).filter((e) => e.resource?.resourceType === "Patient").length === 1;
        if (!isPatientBundle) {
          skipped.push({ file: rel, reason: `a ${resource.resourceType} that is not a patient bundle` });
          continue;
        }
        const drafts = await recordDraftFromFile(bytes, { fileName: rel });
        patients.push({ file: rel, drafts, secrets: sensitiveStrings(resource) });
      } else {
        attachments.push({ file: rel, drafts: await recordDraftFromFile(bytes, { fileName: path.basename(file) }) });
      }
      inputBytes += bytes.length;
    } catch (error) {
      skipped.push({ file: rel, reason: error instanceof MeridianError ? error.shortMessage : String(error) });
    }
  }
  patients.sort((a, b) => a.drafts.length - b.drafts.length);
  if (maxPatients !== undefined) patients.splice(maxPatients);
  const seconds = (performance.now() - t0) / 1000;
  log(
    `${patients.length} patient bundles, ${attachments.length} attachments, ${skipped.length} files skipped ` +
      `(parse + validate + split: ${seconds.toFixed(1)} s)`,
  );
  return {
    patients,
    attachments,
    imported: { attachments: attachments.length, inputBytes, skipped },
    speed: { seconds, MBps: inputBytes / 1e6 / seconds },
  };
}

/**
 * Checks `inputs`: at least one patient bundle (else the run stops, saying what to pass) and no
 * file that failed to parse or validate.
 *
 * @returns whether the run can go on.
 */
export function checkInputs(run: DemoLog, input: string, inputs: DemoInputs): boolean {
  const { patients, attachments, imported } = inputs;
  if (patients.length === 0) {
    run.stop(
      "inputs",
      `nothing to import: ${input} holds no patient bundle (a FHIR Bundle with one Patient resource); ` +
        `found ${attachments.length} DICOM/PDF files and ${imported.skipped.length} other files`,
      "Pass --input with a folder that holds at least one patient bundle (Synthea or IPS); " +
        "DICOM and PDF files beside them are filed under those patients.",
    );
    return false;
  }
  run.check(
    "inputs",
    true,
    `${patients.length} patient bundles and ${attachments.length} attachments validated as FHIR R4`,
    patients.length,
  );
  const invalid = imported.skipped.filter((s) => !/reference data|not a patient bundle/.test(s.reason));
  const detail = invalid.length
    ? invalid.map((s) => `${s.file}: ${s.reason}`).join("; ")
    : "every file parsed and validated";
  run.check("no invalid input", invalid.length === 0, detail);
  return true;
}
