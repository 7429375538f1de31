/**
 * Splitting a patient's FHIR R4 (4.0.1) data into records: one record per Encounter, plus one
 * general record. Each record is a stand-alone `collection` Bundle that is encrypted, stored and
 * granted on its own.
 *
 * ## Rules for `transaction` and `batch` Bundles (Synthea exports)
 * - The Bundle must hold exactly one Patient, else {@link NotAPatientBundleError}.
 * - **Encounter records**: each Encounter gets a record with every resource tied to it through
 *   an encounter-context element: `encounter` (Observation, DiagnosticReport, Procedure,
 *   Condition, MedicationRequest, Immunization, CarePlan, CareTeam, ImagingStudy, ...),
 *   `context` (MedicationAdministration, MedicationDispense, ChargeItem), `context.encounter`
 *   (DocumentReference) and `item.encounter` (Claim, ExplanationOfBenefit). When a resource
 *   names several encounters, the first one wins.
 * - Then, repeatedly: a resource not yet tied (Goal, Provenance, a result Observation without
 *   `encounter`, ...) joins an encounter's record when the references between it and tied
 *   resources lead to exactly that one encounter. A Provenance whose targets span many
 *   encounters stays general.
 * - **General record**: the Patient and everything not tied (AllergyIntolerance, Goal,
 *   Device, Organization, Practitioner, Provenance, ...).
 * - Every record also carries the Patient (first entry) and the Organization, Practitioner,
 *   PractitionerRole, Location, HealthcareService, Endpoint, Medication and Substance entries
 *   that its resources reference (transitively), so in-Bundle references to them resolve.
 *   Clinical resources of other encounters are not copied in (a grant on one record must not
 *   reveal another encounter's data), so such references stay unresolved inside the record.
 * - Entries keep their `fullUrl`; `request`, `response` and `search` are dropped (a
 *   `collection` Bundle must not have them: R4 invariant bdl-3). Entries without a resource
 *   (e.g. DELETE requests) are skipped.
 *
 * ## Other inputs
 * - `collection` and `searchset` Bundles: one record with all resources.
 * - `document` Bundles (Composition first, e.g. the IPS): one record whose `collection` Bundle
 *   holds the document Bundle unchanged as its single entry, so the document stays whole.
 * - `history`, `transaction-response`, `batch-response`: {@link UnsupportedBundleTypeError}.
 * - Any other resource: one record holding it (see {@link splitResource}).
 *
 * Records share resource objects with the input (nothing is copied); clone before mutating.
 *
 * @module
 */

import type { Bundle, BundleEntry, Encounter, Patient, Resource } from "@medplum/fhirtypes";
import type { RecordCategory } from "../categories.ts";
import { categorizeResources } from "./categorize.ts";
import { NotAPatientBundleError, UnsupportedBundleTypeError } from "./errors.ts";
import {
  EntryIndex,
  conceptLabel,
  countResources,
  forEachReference,
  latestDate,
  resourceDate,
  resourceLabel,
} from "./resources.ts";

/** One record ready to be encrypted and stored. */
export interface RecordDraft {
  /** Category code (1..9) for category-scoped grants; see `categorizeResources`. */
  category: RecordCategory;
  /**
   * Human title, e.g. `"Encounter 2019-03-04: General examination of patient"`. May contain
   * clinical text: keep it local (encrypted with the record), never on chain or in IPFS metadata.
   */
  title: string;
  /** Clinical date of the record, ISO 8601 (FHIR `dateTime`, e.g. `"2019-03-04T09:12:00-05:00"` or `"2019-03-04"`). */
  date: string;
  /** The record: a FHIR R4 Bundle of type `collection`. */
  resource: Bundle;
  /** Resources in `resource` (entries; a nested document Bundle counts its entries instead). */
  resourceCount: number;
}

/** Options of {@link splitBundle} and {@link splitResource}. */
export interface SplitBundleOptions {
  /** Label of the input (file name) for error details. */
  source?: string;
}

/** The errors {@link splitBundle} throws. */
export type SplitBundleErrorType = NotAPatientBundleError | UnsupportedBundleTypeError;

/** Resource types copied into every record that references them (shared, non-clinical context). */
const SUPPORT_TYPES: ReadonlySet<string> = new Set([
  "Organization",
  "Practitioner",
  "PractitionerRole",
  "Location",
  "HealthcareService",
  "Endpoint",
  "Medication",
  "Substance",
]);

/** Resource types found in the Synthea reference bundles (hospitalInformation*, practitionerInformation*). */
const REFERENCE_DATA_TYPES: ReadonlySet<string> = new Set([
  "Organization",
  "Location",
  "Practitioner",
  "PractitionerRole",
  "HealthcareService",
  "Endpoint",
]);

/**
 * Whether `bundle` is reference data rather than a patient record: a Bundle with at least one
 * entry, no Patient, whose resources are all Organization, Location, Practitioner,
 * PractitionerRole, HealthcareService or Endpoint (the Synthea-HIV `hospitalInformation*.json`
 * and `practitionerInformation*.json` `batch` Bundles).
 *
 * @param bundle - Any FHIR R4 Bundle.
 * @returns `true` for reference data. Never throws.
 */
export function isReferenceDataBundle(bundle: Bundle): boolean {
  const resources = (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
  return resources.length > 0 && resources.every((r) => REFERENCE_DATA_TYPES.has(r.resourceType));
}

/**
 * Turns any FHIR resource into record drafts: Bundles go through {@link splitBundle}; any
 * other resource becomes one record holding it alone.
 *
 * @param resource - A parsed (and ideally validated) FHIR R4 resource.
 * @param options - `source` for error details.
 * @returns At least one draft.
 * @throws {@link NotAPatientBundleError} and {@link UnsupportedBundleTypeError} (see {@link splitBundle}).
 * @example
 * ```ts
 * const drafts = splitResource(parseFhirJson(bytes));
 * ```
 */
export function splitResource(resource: Resource, options: SplitBundleOptions = {}): RecordDraft[] {
  if (resource.resourceType === "Bundle") return splitBundle(resource, options);
  const record = collection([{ ...fullUrlOf(resource), resource }]);
  const date = resourceDate(resource) ?? nowIso();
  return [
    {
      category: categorizeResources([resource]),
      title: `${resource.resourceType} ${day(date)}: ${resourceLabel(resource)}`,
      date,
      resource: record,
      resourceCount: 1,
    },
  ];
}

/**
 * Splits a FHIR R4 Bundle into records by the rules in this module's comment: per-Encounter
 * records plus one general record for `transaction`/`batch` patient Bundles; one record for
 * `collection`, `searchset` and `document` Bundles.
 *
 * Every entry with a resource appears in at least one record (support resources and the
 * Patient in several). Order: the general record first, then encounters in Bundle order.
 *
 * @param bundle - The Bundle, e.g. a Synthea patient export.
 * @param options - `source` for error details.
 * @returns The record drafts (`resource.type` is always `"collection"`).
 * @throws {@link NotAPatientBundleError} when a `transaction`/`batch` Bundle does not hold exactly one Patient (including reference data, see {@link isReferenceDataBundle}).
 * @throws {@link UnsupportedBundleTypeError} for `history`, `transaction-response` and `batch-response` Bundles.
 * @example
 * ```ts
 * for (const draft of splitBundle(bundle)) console.log(categoryName(draft.category), draft.title);
 * ```
 */
export function splitBundle(bundle: Bundle, options: SplitBundleOptions = {}): RecordDraft[] {
  const { source } = options;
  switch (bundle.type) {
    case "transaction":
    case "batch":
      return splitPatientBundle(bundle, source);
    case "collection":
    case "searchset":
      return [wholeBundleRecord(bundle, false)];
    case "document":
      return [wholeBundleRecord(bundle, true)];
    default:
      throw new UnsupportedBundleTypeError({ bundleType: String(bundle.type), source });
  }
}

function nowIso(): string {
  return new Date().toISOString();
}

function day(date: string): string {
  return date.slice(0, 10);
}

function fullUrlOf(resource: Resource): { fullUrl?: string } {
  return resource.id && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(resource.id)
    ? { fullUrl: `urn:uuid:${resource.id.toLowerCase()}` }
    : {};
}

function collection(entry: BundleEntry[]): Bundle {
  return { resourceType: "Bundle", type: "collection", entry };
}

/** A copy of the entry with only `fullUrl` and `resource` (no request/response/search). */
function cleanEntry(entry: BundleEntry): BundleEntry {
  const out: BundleEntry = {};
  if (entry.fullUrl !== undefined) out.fullUrl = entry.fullUrl;
  if (entry.resource !== undefined) out.resource = entry.resource;
  return out;
}

function wholeBundleRecord(bundle: Bundle, document: boolean): RecordDraft {
  const resources = (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
  const record = document
    ? collection([{ ...fullUrlOf(bundle), resource: bundle }])
    : collection((bundle.entry ?? []).filter((e) => e.resource).map(cleanEntry));
  const date = bundle.timestamp ?? latestDate(resources.map(resourceDate)) ?? nowIso();
  const first = resources.find((r) => r.resourceType !== "Patient") ?? resources[0];
  const composition = resources.find((r) => r.resourceType === "Composition");
  const label =
    composition?.resourceType === "Composition" ? composition.title : first ? resourceLabel(first) : "empty";
  return {
    category: categorizeResources(resources),
    title: `${document ? "Document" : "Collection"} ${day(date)}: ${label}`,
    date,
    resource: record,
    resourceCount: countResources(record),
  };
}

/** Reference strings that tie a resource to its encounter, most specific first. */
function encounterReferences(resource: Resource): string[] {
  const r = resource as unknown as Record<string, unknown>;
  const refs: string[] = [];
  const take = (value: unknown): void => {
    for (const v of Array.isArray(value) ? value : [value]) {
      const ref = (v as { reference?: unknown } | null | undefined)?.reference;
      if (typeof ref === "string") refs.push(ref);
    }
  };
  take(r["encounter"]);
  const context = r["context"];
  if (context && typeof context === "object" && !Array.isArray(context)) {
    take(context);
    take((context as { encounter?: unknown }).encounter);
  }
  const items = r["item"];
  if (Array.isArray(items)) for (const item of items) take((item as { encounter?: unknown } | null)?.encounter);
  return refs;
}

function splitPatientBundle(bundle: Bundle, source: string | undefined): RecordDraft[] {
  const entries = (bundle.entry ?? []).filter(
    (e): e is BundleEntry & { resource: Resource } => e.resource !== undefined,
  );
  const patients = entries.filter((e) => e.resource.resourceType === "Patient");
  if (patients.length !== 1) {
    throw new NotAPatientBundleError({
      patientCount: patients.length,
      bundleType: String(bundle.type),
      referenceData: isReferenceDataBundle(bundle),
      source,
    });
  }
  const index = new EntryIndex(entries);
  const patientIndex = entries.indexOf(patients[0] as BundleEntry & { resource: Resource });
  const n = entries.length;

  // owner[i]: index of the Encounter entry that entry i belongs to, -1 for general.
  const owner = new Array<number>(n).fill(-1);
  const encounters: number[] = [];
  const isSupport = (i: number): boolean =>
    SUPPORT_TYPES.has((entries[i] as BundleEntry & { resource: Resource }).resource.resourceType);
  entries.forEach((e, i) => {
    if (e.resource.resourceType === "Encounter") {
      owner[i] = i;
      encounters.push(i);
    }
  });

  // Outgoing references between entries (resolved to entry indices).
  const outgoing: number[][] = entries.map((e) => {
    const targets = new Set<number>();
    forEachReference(e.resource, (ref) => {
      const t = index.resolve(ref);
      if (t !== undefined) targets.add(t);
    });
    return [...targets];
  });

  // Pass 1: encounter-context elements.
  entries.forEach((e, i) => {
    if (owner[i] !== -1 || i === patientIndex || isSupport(i)) return;
    for (const ref of encounterReferences(e.resource)) {
      const t = index.resolve(ref);
      if (t !== undefined && entries[t]?.resource.resourceType === "Encounter") {
        owner[i] = t;
        return;
      }
    }
  });

  // Pass 2: untied clinical resources linked (either direction) to exactly one encounter's resources.
  const incoming: number[][] = entries.map(() => []);
  outgoing.forEach((targets, i) => {
    for (const t of targets) incoming[t]?.push(i);
  });
  for (let round = 0; round < 4; round++) {
    let changed = false;
    entries.forEach((_, i) => {
      if (owner[i] !== -1 || i === patientIndex || isSupport(i)) return;
      const linked = new Set<number>();
      for (const j of [...(outgoing[i] ?? []), ...(incoming[i] ?? [])]) {
        const o = owner[j] ?? -1;
        if (o !== -1 && j !== patientIndex && !isSupport(j)) linked.add(o);
      }
      if (linked.size === 1) {
        owner[i] = [...linked][0] as number;
        changed = true;
      }
    });
    if (!changed) break;
  }

  // Members of each record, then support closure.
  const members = new Map<number, Set<number>>();
  members.set(-1, new Set());
  for (const enc of encounters) members.set(enc, new Set());
  entries.forEach((_, i) => {
    if (i === patientIndex) return;
    members.get(owner[i] ?? -1)?.add(i);
  });
  const withSupport = (set: Set<number>): Set<number> => {
    const queue = [...set];
    while (queue.length > 0) {
      const i = queue.pop() as number;
      for (const t of outgoing[i] ?? []) {
        if (isSupport(t) && !set.has(t)) {
          set.add(t);
          queue.push(t);
        }
      }
    }
    return set;
  };

  const toRecord = (set: Set<number>): Bundle => {
    const ordered = [patientIndex, ...[...set].filter((i) => i !== patientIndex).sort((a, b) => a - b)];
    return collection(ordered.map((i) => cleanEntry(entries[i] as BundleEntry)));
  };
  const resourcesOf = (set: Set<number>): Resource[] =>
    [...set].map((i) => (entries[i] as BundleEntry & { resource: Resource }).resource);

  const drafts: RecordDraft[] = [];
  const patient = (patients[0] as BundleEntry & { resource: Patient }).resource;

  // General record.
  const general = withSupport(members.get(-1) as Set<number>);
  general.add(patientIndex);
  withSupport(general);
  const generalRecord = toRecord(general);
  const generalDate =
    latestDate(entries.map((e) => resourceDate(e.resource))) ??
    bundle.timestamp ??
    patient.meta?.lastUpdated ??
    nowIso();
  drafts.push({
    category: categorizeResources(resourcesOf(general)),
    title: `Patient ${day(generalDate)}: data not tied to an encounter`,
    date: generalDate,
    resource: generalRecord,
    resourceCount: countResources(generalRecord),
  });

  for (const enc of encounters) {
    const set = members.get(enc) as Set<number>;
    set.add(enc);
    withSupport(set);
    const encounter = (entries[enc] as BundleEntry & { resource: Encounter }).resource;
    const date = resourceDate(encounter) ?? generalDate;
    const label = conceptLabel(encounter.type) ?? encounter.class?.display ?? encounter.class?.code ?? "encounter";
    const record = toRecord(set);
    drafts.push({
      category: categorizeResources(resourcesOf(set)),
      title: `Encounter ${day(date)}: ${label}`,
      date,
      resource: record,
      resourceCount: countResources(record),
    });
  }
  return drafts;
}
