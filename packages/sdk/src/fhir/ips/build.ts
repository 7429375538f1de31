/**
 * The International Patient Summary builder: selects the entries (`select.ts`), gives every
 * entry a `urn:uuid:` fullUrl, copies the resources with their references rewritten
 * (`references.ts`) and writes the Composition (`narrative.ts`). See `../ips.ts` for the rules.
 *
 * @module
 */

import type { Bundle, BundleEntry, Composition, Resource } from "@medplum/fhirtypes";
import { LOINC, URI_SYSTEM } from "../format.ts";
import { str } from "../json.ts";
import { IPS_DOCUMENT_CODE } from "./codes.ts";
import { Corpus, UUID } from "./corpus.ts";
import type { Item } from "./corpus.ts";
import { requiredSections, resultsSection } from "./narrative.ts";
import type { RequiredSections } from "./narrative.ts";
import { rewriteReferences } from "./references.ts";
import {
  findPatient,
  referencedMedications,
  resourcesAbout,
  selectAllergies,
  selectBloodGroup,
  selectMedications,
  selectProblems,
} from "./select.ts";
import type { PatientOfInput, Selected } from "./select.ts";
import type { InternationalPatientSummaryOptions } from "./types.ts";

/** The fullUrls of one document: each unique, a resource's own UUID when it has one. */
class DocumentUrls {
  readonly #used = new Set<string>();
  /** identity → fullUrl of the entries in the document. */
  readonly included = new Map<string, string>();

  /** A new `urn:uuid:`. */
  fresh(): string {
    let url: string;
    do url = `urn:uuid:${crypto.randomUUID()}`;
    while (this.#used.has(url));
    this.#used.add(url);
    return url;
  }

  /** Includes `item`: its own `urn:uuid:` fullUrl (or UUID id) when free, else a new one. */
  include(item: Item): string {
    const candidates = [
      item.fullUrl,
      item.resource.id && UUID.test(item.resource.id) ? `urn:uuid:${item.resource.id}` : undefined,
    ];
    let url: string | undefined;
    for (const c of candidates) {
      if (c && /^urn:uuid:[0-9a-f-]{36}$/i.test(c) && UUID.test(c.slice(9)) && !this.#used.has(c.toLowerCase())) {
        url = c.toLowerCase();
        this.#used.add(url);
        break;
      }
    }
    url ??= this.fresh();
    this.included.set(item.identity, url);
    return url;
  }

  urlOf(item: Item): string {
    return this.included.get(item.identity) as string;
  }
}

/** A copy of `item` for the document, its references pointing at document entries or cut. */
function copyEntry(item: Item, corpus: Corpus, urls: DocumentUrls): BundleEntry {
  const resource = structuredClone(item.resource);
  if (resource.resourceType === "Patient") delete resource.link;
  rewriteReferences(resource, (reference) => {
    const target = corpus.resolveCanonical(reference, item.scope);
    const url = target && urls.included.get(target.identity);
    if (url) return { url };
    return { type: target?.resource.resourceType };
  });
  return { fullUrl: urls.urlOf(item), resource };
}

/** The entries of every section, and the resources of the document after the Patient, in order. */
interface Selection extends RequiredSections {
  bloodGroup: Selected[];
  /** Allergies, medications, the Medications they reference, problems, blood group. */
  ordered: Item[];
}

function selectEntries(corpus: Corpus, patient: PatientOfInput): Selection {
  const mine = resourcesAbout(corpus, patient);
  const ofType = (...types: string[]): Item[] => mine.filter((i) => types.includes(i.resource.resourceType));
  const allAllergies = ofType("AllergyIntolerance");
  const allMedicationUses = ofType("MedicationRequest", "MedicationStatement");
  const allConditions = ofType("Condition");
  const allergies = selectAllergies(allAllergies);
  const medications = selectMedications(corpus, allMedicationUses);
  const problems = selectProblems(allConditions);
  const bloodGroup = selectBloodGroup(mine);
  const ordered = [
    ...[...allergies, ...medications].map((s) => s.item),
    ...referencedMedications(corpus, medications),
    ...[...problems, ...bloodGroup].map((s) => s.item),
  ];
  return {
    allergies,
    medications,
    problems,
    bloodGroup,
    ordered,
    anyAllergies: allAllergies.length > 0,
    anyMedications: allMedicationUses.length > 0,
    anyConditions: allConditions.length > 0,
  };
}

/**
 * Builds an HL7 FHIR International Patient Summary (IPS IG 1.1 structure, FHIR R4 4.0.1) from a
 * patient's records, for emergency access. See the module comment for exactly what each section
 * holds, how duplicates and references are handled and how empty sections read.
 *
 * Shape of the result: a Bundle of type `document` with `identifier` (`urn:ietf:rfc:3986`,
 * a new `urn:uuid:`) and `timestamp`; entries, each with a `urn:uuid:` `fullUrl`:
 * 1. the `Composition`: `status` final, `type` LOINC 60591-5 "Patient summary Document",
 *    `subject` the Patient, `date` = `options.now`, `author` `[{ display: options.author }]`,
 *    `title` "International Patient Summary", sections Allergies and Intolerances (48765-2),
 *    Medication Summary (10160-0), Problem List (11450-4) and, when a blood group is known,
 *    Results (30954-2); each section has a generated XHTML narrative listing its entries;
 * 2. the Patient;
 * 3. the section entries in section order, then the Medications they reference.
 *
 * @param resources - The patient's data: resources and/or Bundles (Synthea transaction Bundles,
 *   Meridian records as `collection` Bundles, nested document Bundles), in any mix. Several
 *   copies of the same Patient (same `id`, or equal content) count as one.
 * @param options - `now` (document time, default now) and `author` (display, default "Meridian").
 * @returns A new document Bundle; the input is not modified and shares no objects with it.
 * @throws {@link PatientSummarySubjectError} when the input holds no Patient, several distinct
 *   Patients, or an allergy, condition, medication or observation about another Patient.
 * @throws `RangeError` when `options.now` is an invalid Date.
 * @example
 * ```ts
 * const resources = records.map((r) => r.resource);
 * const ips = buildInternationalPatientSummary(resources, { author: "Meridian emergency access" });
 * validateFhirResource(ips);
 * ```
 */
export function buildInternationalPatientSummary(
  resources: readonly Resource[] | readonly Bundle[],
  options: InternationalPatientSummaryOptions = {},
): Bundle {
  const now = (options.now ?? new Date()).toISOString();
  const corpus = new Corpus(resources);
  const patient = findPatient(corpus);
  const selection = selectEntries(corpus, patient);

  const urls = new DocumentUrls();
  const compositionUrl = urls.fresh();
  const patientUrl = urls.include(patient.patient);
  for (const [identity, p] of patient.patientOf) if (p === patient.patient) urls.included.set(identity, patientUrl);
  for (const item of selection.ordered) urls.include(item);

  const urlOf = (s: { item: Item }): string => urls.urlOf(s.item);
  const sections = requiredSections(selection, urlOf);
  if (selection.bloodGroup.length > 0) sections.push(resultsSection(selection.bloodGroup, urlOf));
  const composition: Composition = {
    resourceType: "Composition",
    id: compositionUrl.slice(9),
    identifier: { system: URI_SYSTEM, value: urls.fresh() },
    status: "final",
    type: { coding: [{ system: LOINC, code: IPS_DOCUMENT_CODE, display: "Patient summary Document" }] },
    subject: { reference: patientUrl },
    date: now,
    author: [{ display: str(options.author)?.trim() ?? "Meridian" }],
    title: "International Patient Summary",
    section: sections,
  };
  const entries = [patient.patient, ...selection.ordered].map((item) => copyEntry(item, corpus, urls));
  return {
    resourceType: "Bundle",
    identifier: { system: URI_SYSTEM, value: urls.fresh() },
    type: "document",
    timestamp: now,
    entry: [{ fullUrl: compositionUrl, resource: composition }, ...entries],
  };
}
