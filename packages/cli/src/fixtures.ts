/**
 * Small FHIR R4 fixtures the project writes itself, so the demo and tests run without
 * `../shared/data`: two synthetic patients (Synthea-shaped transaction Bundles with encounters,
 * LOINC lab Observations, a clinical note) and two tiny files (a PDF and a DICOM Part 10 file).
 * All names are invented for this fixture.
 *
 * @module
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Bundle, BundleEntry, Resource } from "@medplum/fhirtypes";
import { minimalDicom, minimalPdf } from "@meridian/sdk/fhir";

function uuid(n: number, p: number): string {
  return `00000000-0000-4000-8000-${String(p).padStart(4, "0")}${String(n).padStart(8, "0")}`;
}

function entry(resource: Resource): BundleEntry {
  return { fullUrl: `urn:uuid:${resource.id}`, resource, request: { method: "POST", url: resource.resourceType } };
}

function patientBundle(p: number, family: string, given: string, mrn: string): Bundle {
  const patient: Resource = {
    resourceType: "Patient",
    id: uuid(0, p),
    identifier: [{ system: "https://example.org/fixture-mrn", value: mrn }],
    name: [{ use: "official", family, given: [given] }],
    gender: p % 2 ? "female" : "male",
    birthDate: `19${60 + p}-0${p}-1${p}`,
    address: [{ line: [`${100 + p} Fixture Lane`], city: "Testville", country: "ZZ" }],
  };
  const entries: BundleEntry[] = [entry(patient)];
  const labs: [string, string, number, string][] = [
    ["2339-0", "Glucose [Mass/volume] in Blood", 95, "mg/dL"],
    ["2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", 180, "mg/dL"],
    ["4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", 5.6, "%"],
  ];
  for (let e = 1; e <= 3; e++) {
    const date = `2024-0${e}-1${p}T09:00:00Z`;
    const encounter: Resource = {
      resourceType: "Encounter",
      id: uuid(e * 100, p),
      status: "finished",
      class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" },
      type: [
        {
          coding: [
            {
              system: "http://snomed.info/sct",
              code: "162673000",
              display: "General examination of patient (procedure)",
            },
          ],
        },
      ],
      subject: { reference: `urn:uuid:${patient.id}` },
      period: { start: date, end: date },
    };
    entries.push(entry(encounter));
    labs.forEach(([code, display, value, unit], i) => {
      entries.push(
        entry({
          resourceType: "Observation",
          id: uuid(e * 100 + i + 1, p),
          status: "final",
          category: [
            { coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "laboratory" }] },
          ],
          code: { coding: [{ system: "http://loinc.org", code, display }] },
          subject: { reference: `urn:uuid:${patient.id}` },
          encounter: { reference: `urn:uuid:${encounter.id}` },
          effectiveDateTime: date,
          valueQuantity: { value: value + e, unit, system: "http://unitsofmeasure.org", code: unit },
        }),
      );
    });
    const note = `Fixture clinical note for ${given} ${family}, visit ${e}: patient reports feeling well; plan to repeat labs.`;
    entries.push(
      entry({
        resourceType: "DocumentReference",
        id: uuid(e * 100 + 50, p),
        status: "current",
        type: { coding: [{ system: "http://loinc.org", code: "34117-2", display: "History and physical note" }] },
        subject: { reference: `urn:uuid:${patient.id}` },
        date,
        content: [{ attachment: { contentType: "text/plain", data: Buffer.from(note).toString("base64") } }],
        context: { encounter: [{ reference: `urn:uuid:${encounter.id}` }] },
      }),
    );
  }
  return { resourceType: "Bundle", type: "transaction", entry: entries };
}

/** A minimal one-page PDF (about 600 bytes) that passes the SDK's PDF structure checks. */
export function fixturePdf(): Uint8Array {
  return minimalPdf("Fixture lab report");
}

/** A minimal DICOM Part 10 file (Secondary Capture, a 4x4 image) that passes the SDK's DICOM checks. */
export function fixtureDicom(): Uint8Array {
  return minimalDicom();
}

/**
 * Writes the fixtures under `directory` (`fhir/*.json`, `attachments/*.pdf|*.dcm`) and returns
 * the directory. Overwrites files of the same names.
 */
export async function writeFixtures(directory: string): Promise<string> {
  await mkdir(path.join(directory, "fhir"), { recursive: true });
  await mkdir(path.join(directory, "attachments"), { recursive: true });
  await writeFile(
    path.join(directory, "fhir", "fixture-patient-1.json"),
    JSON.stringify(patientBundle(1, "Quillfeather", "Ondine", "FX-1001"), null, 1),
  );
  await writeFile(
    path.join(directory, "fhir", "fixture-patient-2.json"),
    JSON.stringify(patientBundle(2, "Marrowby", "Tobiah", "FX-1002"), null, 1),
  );
  await writeFile(path.join(directory, "attachments", "fixture-report.pdf"), fixturePdf());
  await writeFile(path.join(directory, "attachments", "fixture-image.dcm"), fixtureDicom());
  return directory;
}
