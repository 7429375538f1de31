/**
 * The International Patient Summary (IPS): a short FHIR R4 document that holds what an
 * emergency clinician needs first (allergies, current medication, current problems and the
 * blood group). Meridian builds it from a patient's records for emergency ("break-glass")
 * access: when the patient cannot consent, the ER provider opens only this summary.
 *
 * ## Standard
 * The document follows the structure of the HL7 FHIR International Patient Summary
 * Implementation Guide 1.1 (http://hl7.org/fhir/uv/ips/) on FHIR R4 (4.0.1): a `document`
 * Bundle whose first entry is a `Composition` of type LOINC 60591-5 "Patient summary Document",
 * with the IPS sections coded in LOINC:
 *
 * | section | LOINC | entries |
 * |---|---|---|
 * | Allergies and Intolerances (required) | 48765-2 | AllergyIntolerance |
 * | Medication Summary (required) | 10160-0 | MedicationRequest, MedicationStatement (+ the Medication they reference) |
 * | Problem List (required) | 11450-4 | Condition |
 * | Results (only when a blood group is known) | 30954-2 | Observation (blood group) |
 *
 * The output is checked against base FHIR R4 (Bundle rules bdl-9/10/11, Composition cmp-1/2,
 * narrative, references) by Meridian's validator. It does not claim the IPS profiles in
 * `meta.profile`: those add rules on the source data (e.g. `Patient.birthDate`, coded
 * medications) that records from other systems do not always meet.
 *
 * ## What goes in
 * - **Allergies**: every AllergyIntolerance except `clinicalStatus` inactive/resolved and
 *   `verificationStatus` refuted/entered-in-error. Explicit "no known allergy" records are kept
 *   as entries, as the IPS examples do.
 * - **Medications**: MedicationRequest with `status` active (and not `doNotPerform`), and
 *   MedicationStatement with `status` active. A `medicationReference` is resolved: the
 *   Medication joins the document (a contained one stays contained); an inline
 *   `medicationCodeableConcept` is kept as is.
 * - **Problems**: Conditions whose `clinicalStatus` is active, recurrence or relapse (a
 *   Condition without `clinicalStatus` counts when it has no `abatement[x]`), except
 *   `verificationStatus` refuted/entered-in-error. Remission, inactive and resolved do not count.
 * - **Blood group**: the latest Observation (status final, amended or corrected, with a value)
 *   coded LOINC 882-1 "ABO and Rh group"; when there is none, the latest 883-9 "ABO group" and
 *   the latest 10331-7 "Rh type".
 * - **Deduplication**: per section, one entry per code (first coding with system and code,
 *   else the text), the latest by clinical date (onset, authoredOn, effective, recordedDate...;
 *   on a tie the later input wins). Synthea repeats a condition at each encounter.
 * - **Order** within a section: latest first, then by display text.
 * - Only resources about the Patient count: one whose `subject`/`patient` points at another
 *   Patient (in the input or not) makes the build fail, see {@link PatientSummarySubjectError};
 *   one about a Group, Device or Location is left out.
 *
 * ## Self-contained
 * Every entry has a `urn:uuid:` `fullUrl` (the resource's own UUID id when it has one, else a
 * new one) and every reference between entries is rewritten to it. References to anything not
 * in the summary (encounters, practitioners, organizations, conditional references) are cut:
 * the `display` (and `identifier`) is kept when present; otherwise a top-level reference
 * element is dropped (e.g. `Condition.encounter`), and a nested one keeps only a display saying
 * it is not included, so required elements stay present. `Patient.link` is dropped. The input
 * is never modified: the document holds copies.
 *
 * ## Empty sections
 * A required section with no entry carries `emptyReason` from
 * http://terminology.hl7.org/CodeSystem/list-empty-reason and says so in its narrative:
 * - `nilknown` when the records hold resources of that kind but none is current (all
 *   allergies inactive, all prescriptions stopped, all conditions resolved): "No known allergies
 *   (no current allergy or intolerance in the records).";
 * - `unavailable` when the records hold none at all: "No allergy information available (the
 *   records hold no allergy or intolerance record)." The HL7 definition of `nilknown` is a
 *   clinician's positive statement, "not a default position asserted by a computer system in
 *   the lack of other information", so a summary built from no data must not claim it.
 *
 * @module
 */

import type {
  AllergyIntolerance,
  Bundle,
  BundleEntry,
  CodeableConcept,
  Composition,
  CompositionSection,
  Condition,
  HumanName,
  Medication,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Patient,
  Reference,
  Resource,
} from "@medplum/fhirtypes";
import { MeridianError } from "../errors.ts";
import { EntryIndex, referenceKey, resourceDate } from "./resources.ts";

const LOINC = "http://loinc.org";
const LIST_EMPTY_REASON = "http://terminology.hl7.org/CodeSystem/list-empty-reason";
const URI_SYSTEM = "urn:ietf:rfc:3986";

/** LOINC code of the IPS Composition type, "Patient summary Document". */
const IPS_DOCUMENT_CODE = "60591-5";
const ALLERGIES_CODE = "48765-2";
const MEDICATIONS_CODE = "10160-0";
const PROBLEMS_CODE = "11450-4";
const RESULTS_CODE = "30954-2";
/** LOINC: ABO and Rh group (882-1), ABO group (883-9), Rh type (10331-7). */
const ABO_RH = "882-1";
const ABO = "883-9";
const RH = "10331-7";

/** Options of {@link buildInternationalPatientSummary}. */
export interface InternationalPatientSummaryOptions {
  /** The document's time (`Composition.date`, `Bundle.timestamp`); default: now. Must be a valid Date. */
  now?: Date;
  /** Who or what produced the summary, as `Composition.author[0].display`; default `"Meridian"`. */
  author?: string;
}

/** What {@link summarizeInternationalPatientSummary} reads back from an IPS document. */
export interface InternationalPatientSummaryView {
  /** The Patient's name (`text`, else given names and family name), when the document has one. */
  patientName?: string;
  /** `Patient.birthDate`, when present. */
  birthDate?: string;
  /** Display text of each Allergies and Intolerances entry, in section order. */
  allergies: string[];
  /** Display text of each Medication Summary entry (the medication), in section order. */
  medications: string[];
  /** Display text of each Problem List entry, in section order. */
  problems: string[];
  /** The blood group from the Results section (e.g. `"Blood group A Rh(D) positive"`), when present. */
  bloodGroup?: string;
  /** `Composition.date` (else `Bundle.timestamp`), FHIR dateTime. */
  date: string;
}

/** Parameters of {@link PatientSummarySubjectError}. */
export interface PatientSummarySubjectErrorParameters {
  /** How many distinct Patients the input holds or its resources point at (0, or 2 and more). */
  patientCount: number;
  /** How many clinical resources point at a Patient other than the one in the input. */
  foreignResources?: number;
}

/**
 * The input of {@link buildInternationalPatientSummary} does not identify exactly one patient:
 * it holds no Patient, or several distinct Patients, or clinical resources whose
 * `subject`/`patient` points at another Patient. The message gives counts only.
 */
export class PatientSummarySubjectError extends MeridianError {
  override name = "PatientSummarySubjectError" as const;
  /** How many distinct Patients were found (0, or 2 and more). */
  readonly patientCount: number;
  /** How many clinical resources point at another Patient (0 when the input simply has 0 or several Patients). */
  readonly foreignResources: number;

  constructor({ patientCount, foreignResources = 0 }: PatientSummarySubjectErrorParameters) {
    super(
      patientCount === 0
        ? "The input holds no Patient; a patient summary needs exactly 1."
        : `The input concerns ${patientCount} distinct Patients; a patient summary needs exactly 1.`,
      {
        details: foreignResources > 0 ? `${foreignResources} clinical resource${foreignResources === 1 ? "" : "s"} point at another Patient` : undefined,
        hint:
          patientCount === 0
            ? "Pass the patient's records together with their Patient resource (every Meridian record carries it)."
            : "Pass one patient's records only; records of different patients must never be merged into one summary.",
      },
    );
    this.patientCount = patientCount;
    this.foreignResources = foreignResources;
  }
}

/** {@link summarizeInternationalPatientSummary} was given something that is not an IPS document (see {@link isInternationalPatientSummary}). */
export class NotAPatientSummaryError extends MeridianError {
  override name = "NotAPatientSummaryError" as const;

  constructor() {
    super("The Bundle is not an International Patient Summary.", {
      details: "expected a document Bundle whose first entry is a Composition of type LOINC 60591-5",
      hint: "Build one with buildInternationalPatientSummary, or pass the summary document itself rather than a record that wraps it.",
    });
  }
}

/** The errors {@link buildInternationalPatientSummary} throws. */
export type BuildInternationalPatientSummaryErrorType = PatientSummarySubjectError | RangeError;

// ---------------------------------------------------------------------------------------------
// Labels (shared by the builder's narrative and the view, so both say the same thing)

/** SNOMED CT semantic tags dropped from display strings ("Asthma (disorder)" -> "Asthma"). */
const SEMANTIC_TAG =
  /\s+\((?:disorder|finding|procedure|situation|substance|medicinal product|medicinal product form|clinical drug|product|physical object|organism|morphologic abnormality|event|observable entity|qualifier value|regime\/therapy|body structure|environment|person|record artifact)\)$/;

function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** `text`, else the first coding's display, else its code; without a SNOMED CT semantic tag. */
function conceptText(concept: CodeableConcept | undefined): string | undefined {
  if (!concept) return undefined;
  const label =
    nonEmpty(concept.text) ??
    nonEmpty(concept.coding?.find((c) => nonEmpty(c.display))?.display) ??
    nonEmpty(concept.coding?.find((c) => nonEmpty(c.code))?.code);
  return label?.replace(SEMANTIC_TAG, "");
}

function allergyLabel(allergy: AllergyIntolerance): string {
  return (
    conceptText(allergy.code) ??
    conceptText(allergy.reaction?.find((r) => r.substance)?.substance) ??
    "Allergy or intolerance (substance not coded)"
  );
}

function conditionLabel(condition: Condition): string {
  return conceptText(condition.code) ?? "Condition (not coded)";
}

type MedicationUse = MedicationRequest | MedicationStatement;

/** The medication's concept: inline, or from the referenced Medication (contained or resolved with `resolve`). */
function medicationConcept(use: MedicationUse, resolve: (reference: string) => Resource | undefined): CodeableConcept | undefined {
  if (use.medicationCodeableConcept) return use.medicationCodeableConcept;
  const ref = use.medicationReference?.reference;
  if (ref === undefined) return undefined;
  const target = ref.startsWith("#") ? use.contained?.find((c) => `#${c.id ?? ""}` === ref) : resolve(ref);
  return target?.resourceType === "Medication" ? target.code : undefined;
}

function medicationLabel(use: MedicationUse, resolve: (reference: string) => Resource | undefined): string {
  return conceptText(medicationConcept(use, resolve)) ?? nonEmpty(use.medicationReference?.display) ?? "Medication (not coded)";
}

/** The value of an Observation as text (coded, string, or quantity). */
function observationValue(observation: Observation): string | undefined {
  if (observation.valueCodeableConcept) return conceptText(observation.valueCodeableConcept);
  if (observation.valueString !== undefined) return nonEmpty(observation.valueString);
  const q = observation.valueQuantity;
  if (q?.value !== undefined) return `${q.value}${q.unit ? ` ${q.unit}` : ""}`;
  return undefined;
}

function hasLoinc(concept: CodeableConcept | undefined, code: string): boolean {
  return concept?.coding?.some((c) => c.system === LOINC && c.code === code) ?? false;
}

function patientName(patient: Patient): string | undefined {
  const names = patient.name ?? [];
  const name: HumanName | undefined = names.find((n) => n.use === "official") ?? names.find((n) => n.use !== "old") ?? names[0];
  if (!name) return undefined;
  return nonEmpty(name.text) ?? nonEmpty([...(name.given ?? []), name.family ?? ""].filter((p) => p !== "").join(" "));
}

// ---------------------------------------------------------------------------------------------
// Input collection and reference resolution

interface Item {
  resource: Resource;
  fullUrl: string | undefined;
  /** Which Bundle the resource came from (references resolve there first); 0 for loose resources. */
  scope: number;
  /** Same resource across copies: `Type/id`, else its fullUrl, else unique. */
  identity: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class Corpus {
  readonly items: Item[] = [];
  /** The kept copy for each identity (latest `meta.lastUpdated`, else the last seen). */
  readonly canonical = new Map<string, Item>();
  readonly #scopes = new Map<number, { index: EntryIndex; items: Item[] }>();
  #global: EntryIndex | undefined;
  #nextScope = 1;
  #anonymous = 0;

  constructor(inputs: readonly Resource[]) {
    for (const resource of inputs) {
      if (resource.resourceType === "Bundle") this.#addBundle(resource, 0);
      // A loose resource with a UUID id answers to `urn:uuid:<id>`, as it would in a Bundle.
      else this.#add(resource, resource.id && UUID.test(resource.id) ? `urn:uuid:${resource.id.toLowerCase()}` : undefined, 0);
    }
    for (const item of this.items) {
      const kept = this.canonical.get(item.identity);
      if (!kept || !isOlder(item.resource, kept.resource)) this.canonical.set(item.identity, item);
    }
    for (const [scope, items] of groupBy(this.items, (i) => i.scope)) {
      this.#scopes.set(scope, { index: new EntryIndex(items.map(toEntry)), items });
    }
    this.#global = new EntryIndex(this.items.map(toEntry));
  }

  #addBundle(bundle: Bundle, depth: number): void {
    const scope = this.#nextScope++;
    for (const entry of bundle.entry ?? []) {
      const r = entry.resource;
      if (!r) continue;
      // A nested Bundle (a document kept whole inside a record) is read as its entries.
      if (r.resourceType === "Bundle" && depth < 4) this.#addBundle(r, depth + 1);
      else this.#add(r, entry.fullUrl, scope);
    }
  }

  #add(resource: Resource, fullUrl: string | undefined, scope: number): void {
    const identity = resource.id
      ? `${resource.resourceType}/${resource.id}`
      : fullUrl
        ? `url ${fullUrl}`
        : `anonymous ${this.#anonymous++}`;
    this.items.push({ resource, fullUrl, scope, identity });
  }

  /** The item `reference` points at: in the same Bundle first, then anywhere in the input. */
  resolve(reference: string, scope: number): Item | undefined {
    const local = this.#scopes.get(scope);
    const i = local?.index.resolve(reference);
    if (local && i !== undefined) return local.items[i];
    const g = this.#global?.resolve(reference);
    return g === undefined ? undefined : this.items[g];
  }

  /** Like {@link resolve}, returning the kept copy. */
  resolveCanonical(reference: string, scope: number): Item | undefined {
    const item = this.resolve(reference, scope);
    return item && this.canonical.get(item.identity);
  }
}

function toEntry(item: Item): BundleEntry {
  return item.fullUrl === undefined ? { resource: item.resource } : { fullUrl: item.fullUrl, resource: item.resource };
}

function groupBy<T, K>(values: readonly T[], key: (value: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const v of values) {
    const k = key(v);
    const list = groups.get(k);
    if (list) list.push(v);
    else groups.set(k, [v]);
  }
  return groups;
}

/** Whether `a` is an older version than `b` (by `meta.lastUpdated`; unknown counts as not older). */
function isOlder(a: Resource, b: Resource): boolean {
  const ta = time(a.meta?.lastUpdated);
  const tb = time(b.meta?.lastUpdated);
  return ta !== undefined && tb !== undefined && ta < tb;
}

/** Milliseconds of a FHIR date/dateTime/instant (partial dates count from their start), or undefined. */
function time(date: string | undefined): number | undefined {
  if (date === undefined) return undefined;
  const t = Date.parse(date.length === 4 ? `${date}-01-01` : date.length === 7 ? `${date}-01` : date);
  return Number.isNaN(t) ? undefined : t;
}

/** The resource without `meta`, as JSON: two copies of one Patient compare equal. */
function contentKey(resource: Resource): string {
  const { meta: _meta, ...rest } = resource as Resource & { meta?: unknown };
  return JSON.stringify(rest);
}

// ---------------------------------------------------------------------------------------------
// Selection

const INACTIVE_ALLERGY = new Set(["inactive", "resolved"]);
const ACTIVE_CONDITION = new Set(["active", "recurrence", "relapse"]);
const EXCLUDED_VERIFICATION = new Set(["refuted", "entered-in-error"]);
const FINAL_OBSERVATION = new Set(["final", "amended", "corrected"]);
/** Reference targets other than a Patient that `subject` may name. */
const NON_PATIENT_SUBJECT = /(^|\/)(Group|Device|Location|Organization|Practitioner|Medication|Substance|Procedure|PlanDefinition)\/[^/]+$/;

function codes(concept: CodeableConcept | undefined): string[] {
  return (concept?.coding ?? []).flatMap((c) => (c.code ? [c.code] : []));
}

function hasCode(concept: CodeableConcept | undefined, wanted: ReadonlySet<string>): boolean {
  return codes(concept).some((c) => wanted.has(c));
}

/** Dedup key of a concept: the first coding with system and code, else its text. */
function conceptKey(concept: CodeableConcept | undefined): string | undefined {
  const coding = concept?.coding?.find((c) => c.system && c.code);
  if (coding) return `${coding.system}|${coding.code}`;
  const text = conceptText(concept);
  return text === undefined ? undefined : `text ${text.toLowerCase()}`;
}

/** The reference naming whom a clinical resource is about. */
function subjectOf(resource: Resource): Reference | undefined {
  switch (resource.resourceType) {
    case "AllergyIntolerance":
      return resource.patient;
    case "Condition":
    case "MedicationRequest":
    case "MedicationStatement":
    case "Observation":
      return resource.subject;
    default:
      return undefined;
  }
}

interface Selected {
  item: Item;
  label: string;
  date: number | undefined;
}

/** Keeps the latest item per key (later input wins ties); items without a key are all kept. Sorted latest first, then by label. */
function latestPerKey(candidates: readonly Selected[], key: (s: Selected) => string | undefined): Selected[] {
  const byKey = new Map<string, Selected>();
  const unkeyed: Selected[] = [];
  for (const s of candidates) {
    const k = key(s);
    if (k === undefined) {
      unkeyed.push(s);
      continue;
    }
    const kept = byKey.get(k);
    if (!kept || (s.date ?? -Infinity) >= (kept.date ?? -Infinity)) byKey.set(k, s);
  }
  return [...byKey.values(), ...unkeyed].sort(
    (a, b) => (b.date ?? -Infinity) - (a.date ?? -Infinity) || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0),
  );
}

// ---------------------------------------------------------------------------------------------
// Narrative

function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function xhtml(inner: string): string {
  return `<div xmlns="http://www.w3.org/1999/xhtml">${inner}</div>`;
}

function listNarrative(lines: readonly string[]): string {
  return xhtml(`<ul>${lines.map((l) => `<li>${escapeXml(l)}</li>`).join("")}</ul>`);
}

// ---------------------------------------------------------------------------------------------
// Builder

interface SectionSpec {
  title: string;
  code: string;
  display: string;
  /** Narrative of an empty section, per empty reason. */
  nilknown: string;
  unavailable: string;
}

const ALLERGIES: SectionSpec = {
  title: "Allergies and Intolerances",
  code: ALLERGIES_CODE,
  display: "Allergies and adverse reactions Document",
  nilknown: "No known allergies (no current allergy or intolerance in the records).",
  unavailable: "No allergy information available (the records hold no allergy or intolerance record).",
};
const MEDICATIONS: SectionSpec = {
  title: "Medication Summary",
  code: MEDICATIONS_CODE,
  display: "History of Medication use Narrative",
  nilknown: "No known current medications (no active prescription or medication statement in the records).",
  unavailable: "No medication information available (the records hold no prescription or medication statement).",
};
const PROBLEMS: SectionSpec = {
  title: "Problem List",
  code: PROBLEMS_CODE,
  display: "Problem list - Reported",
  nilknown: "No known current problems (no active condition in the records).",
  unavailable: "No problem information available (the records hold no condition).",
};
const RESULTS_TITLE = "Results";
const RESULTS_DISPLAY = "Relevant diagnostic tests/laboratory data Narrative";

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
 * const ips = buildInternationalPatientSummary(records.map((r) => r.resource), { author: "Meridian emergency access" });
 * validateFhirResource(ips);
 * ```
 */
export function buildInternationalPatientSummary(
  resources: readonly Resource[] | readonly Bundle[],
  options: InternationalPatientSummaryOptions = {},
): Bundle {
  const now = (options.now ?? new Date()).toISOString();
  const corpus = new Corpus(resources);

  // Exactly one distinct Patient.
  const patients: Item[] = [];
  const patientOf = new Map<string, Item>(); // identity -> the Patient it is a copy of
  for (const item of corpus.canonical.values()) {
    if (item.resource.resourceType !== "Patient") continue;
    const key = contentKey(item.resource);
    const same = patients.find((p) => contentKey(p.resource) === key);
    if (same) patientOf.set(item.identity, same);
    else {
      patients.push(item);
      patientOf.set(item.identity, item);
    }
  }
  if (patients.length !== 1) throw new PatientSummarySubjectError({ patientCount: patients.length });
  const patientItem = patients[0] as Item;
  const patient = patientItem.resource as Patient;

  // Whom each clinical resource is about.
  const foreign = new Set<string>();
  let foreignResources = 0;
  const aboutPatient = (item: Item): boolean => {
    const ref = subjectOf(item.resource);
    const reference = ref?.reference;
    if (reference === undefined) return true; // no literal reference: nothing says it is someone else
    const target = reference.startsWith("#") ? undefined : corpus.resolveCanonical(reference, item.scope);
    if (target) {
      if (target.resource.resourceType !== "Patient") return false; // a Group, Device, ...
      if (patientOf.get(target.identity) === patientItem) return true;
      foreign.add(target.identity);
      foreignResources++;
      return false;
    }
    if ((ref?.type !== undefined && ref.type !== "Patient") || NON_PATIENT_SUBJECT.test(referenceKey(reference) ?? reference)) return false;
    foreign.add(referenceKey(reference) ?? reference);
    foreignResources++;
    return false;
  };

  const clinical = [...corpus.canonical.values()].filter((i) =>
    ["AllergyIntolerance", "Condition", "MedicationRequest", "MedicationStatement", "Observation"].includes(i.resource.resourceType),
  );
  const mine = clinical.filter(aboutPatient);
  if (foreign.size > 0) throw new PatientSummarySubjectError({ patientCount: 1 + foreign.size, foreignResources });

  const resolveResource = (scope: number) => (reference: string): Resource | undefined => corpus.resolveCanonical(reference, scope)?.resource;
  const dateOf = (r: Resource): number | undefined => time(resourceDate(r));

  // Allergies.
  const allAllergies = mine.filter((i) => i.resource.resourceType === "AllergyIntolerance");
  const allergies = latestPerKey(
    allAllergies
      .filter((i) => {
        const a = i.resource as AllergyIntolerance;
        return !hasCode(a.clinicalStatus, INACTIVE_ALLERGY) && !hasCode(a.verificationStatus, EXCLUDED_VERIFICATION);
      })
      .map((item) => ({ item, label: allergyLabel(item.resource as AllergyIntolerance), date: dateOf(item.resource) })),
    (s) => conceptKey((s.item.resource as AllergyIntolerance).code),
  );

  // Medications.
  const allMedicationUses = mine.filter((i) => i.resource.resourceType === "MedicationRequest" || i.resource.resourceType === "MedicationStatement");
  const medications = latestPerKey(
    allMedicationUses
      .filter((i) => {
        const r = i.resource as MedicationUse;
        return r.resourceType === "MedicationRequest" ? r.status === "active" && r.doNotPerform !== true : r.status === "active";
      })
      .map((item) => ({ item, label: medicationLabel(item.resource as MedicationUse, resolveResource(item.scope)), date: dateOf(item.resource) })),
    (s) => conceptKey(medicationConcept(s.item.resource as MedicationUse, resolveResource(s.item.scope))) ?? `label ${s.label.toLowerCase()}`,
  );

  // Problems.
  const allConditions = mine.filter((i) => i.resource.resourceType === "Condition");
  const problems = latestPerKey(
    allConditions
      .filter((i) => {
        const c = i.resource as Condition;
        if (hasCode(c.verificationStatus, EXCLUDED_VERIFICATION)) return false;
        if (codes(c.clinicalStatus).length > 0) return hasCode(c.clinicalStatus, ACTIVE_CONDITION);
        const abated = Object.keys(c).some((k) => k.startsWith("abatement"));
        return !abated;
      })
      .map((item) => ({ item, label: conditionLabel(item.resource as Condition), date: dateOf(item.resource) })),
    (s) => conceptKey((s.item.resource as Condition).code),
  );

  // Blood group.
  const latestWith = (code: string): Selected | undefined =>
    latestPerKey(
      mine
        .filter((i) => {
          const o = i.resource;
          return o.resourceType === "Observation" && FINAL_OBSERVATION.has(o.status) && hasLoinc(o.code, code) && observationValue(o) !== undefined;
        })
        .map((item) => ({ item, label: observationValue(item.resource as Observation) as string, date: dateOf(item.resource) })),
      () => code,
    )[0];
  const combined = latestWith(ABO_RH);
  const bloodGroup = combined ? [combined] : [latestWith(ABO), latestWith(RH)].filter((s): s is Selected => s !== undefined);

  // Referenced Medications (not contained ones: those travel inside their resource).
  const medicationItems: Item[] = [];
  for (const s of medications) {
    const ref = (s.item.resource as MedicationUse).medicationReference?.reference;
    if (ref === undefined || ref.startsWith("#")) continue;
    const target = corpus.resolveCanonical(ref, s.item.scope);
    if (target?.resource.resourceType === "Medication" && !medicationItems.includes(target)) medicationItems.push(target);
  }

  // fullUrls for everything in the document.
  const used = new Set<string>();
  const fresh = (): string => {
    let url: string;
    do url = `urn:uuid:${crypto.randomUUID()}`;
    while (used.has(url));
    used.add(url);
    return url;
  };
  const urlFor = (item: Item): string => {
    const candidates = [item.fullUrl, item.resource.id && UUID.test(item.resource.id) ? `urn:uuid:${item.resource.id}` : undefined];
    for (const c of candidates) {
      if (c && /^urn:uuid:[0-9a-f-]{36}$/i.test(c) && UUID.test(c.slice(9)) && !used.has(c.toLowerCase())) {
        used.add(c.toLowerCase());
        return c.toLowerCase();
      }
    }
    return fresh();
  };
  const compositionUrl = fresh();
  const included = new Map<string, string>(); // identity -> fullUrl
  const patientUrl = urlFor(patientItem);
  for (const [identity, p] of patientOf) if (p === patientItem) included.set(identity, patientUrl);
  const ordered: Item[] = [...allergies, ...medications].map((s) => s.item);
  ordered.push(...medicationItems, ...problems.map((s) => s.item), ...bloodGroup.map((s) => s.item));
  for (const item of ordered) included.set(item.identity, urlFor(item));

  const copy = (item: Item): BundleEntry => {
    const resource = structuredClone(item.resource);
    if (resource.resourceType === "Patient") delete resource.link;
    rewriteReferences(resource, (reference) => {
      const target = corpus.resolveCanonical(reference, item.scope);
      const url = target && included.get(target.identity);
      if (url) return { url };
      return { type: target?.resource.resourceType };
    });
    return { fullUrl: included.get(item.identity) as string, resource };
  };

  const section = (spec: SectionSpec, selected: readonly Selected[], anyRecords: boolean, narrative: (s: Selected) => string): CompositionSection => {
    const out: CompositionSection = {
      title: spec.title,
      code: { coding: [{ system: LOINC, code: spec.code, display: spec.display }] },
    };
    if (selected.length > 0) {
      out.text = { status: "generated", div: listNarrative(selected.map(narrative)) };
      out.entry = selected.map((s) => ({ reference: included.get(s.item.identity) as string }));
    } else {
      const reason = anyRecords ? "nilknown" : "unavailable";
      out.text = { status: "generated", div: xhtml(`<p>${escapeXml(anyRecords ? spec.nilknown : spec.unavailable)}</p>`) };
      out.emptyReason = { coding: [{ system: LIST_EMPTY_REASON, code: reason, display: reason === "nilknown" ? "Nil Known" : "Unavailable" }] };
    }
    return out;
  };

  const sections: CompositionSection[] = [
    section(ALLERGIES, allergies, allAllergies.length > 0, (s) => {
      const a = s.item.resource as AllergyIntolerance;
      return a.criticality === "high" ? `${s.label} (high criticality)` : s.label;
    }),
    section(MEDICATIONS, medications, allMedicationUses.length > 0, (s) => {
      const r = s.item.resource as MedicationUse;
      const dosage = nonEmpty(r.resourceType === "MedicationRequest" ? r.dosageInstruction?.[0]?.text : r.dosage?.[0]?.text);
      return dosage ? `${s.label}: ${dosage}` : s.label;
    }),
    section(PROBLEMS, problems, allConditions.length > 0, (s) => {
      const onset = (s.item.resource as Condition).onsetDateTime;
      return onset ? `${s.label} (since ${onset.slice(0, 10)})` : s.label;
    }),
  ];
  if (bloodGroup.length > 0) {
    sections.push({
      title: RESULTS_TITLE,
      code: { coding: [{ system: LOINC, code: RESULTS_CODE, display: RESULTS_DISPLAY }] },
      text: {
        status: "generated",
        div: listNarrative(
          bloodGroup.map((s) => {
            const o = s.item.resource as Observation;
            const when = resourceDate(o);
            return `${conceptText(o.code) ?? "Blood group"}: ${s.label}${when ? ` (${when.slice(0, 10)})` : ""}`;
          }),
        ),
      },
      entry: bloodGroup.map((s) => ({ reference: included.get(s.item.identity) as string })),
    });
  }

  const composition: Composition = {
    resourceType: "Composition",
    id: compositionUrl.slice(9),
    identifier: { system: URI_SYSTEM, value: fresh() },
    status: "final",
    type: { coding: [{ system: LOINC, code: IPS_DOCUMENT_CODE, display: "Patient summary Document" }] },
    subject: { reference: patientUrl },
    date: now,
    author: [{ display: nonEmpty(options.author) ?? "Meridian" }],
    title: "International Patient Summary",
    section: sections,
  };

  return {
    resourceType: "Bundle",
    identifier: { system: URI_SYSTEM, value: fresh() },
    type: "document",
    timestamp: now,
    entry: [{ fullUrl: compositionUrl, resource: composition }, copy(patientItem), ...ordered.map(copy)],
  };
}

type Rewrite = (reference: string) => { url: string } | { type: string | undefined };

/** Top-level reference elements that are required (1..1) in the resources a summary holds: never dropped. */
const REQUIRED_REFERENCES = new Set(["subject", "patient", "medicationReference"]);

function isReference(value: unknown): value is Reference & { reference: string } {
  return value !== null && typeof value === "object" && !Array.isArray(value) && typeof (value as { reference?: unknown }).reference === "string";
}

/**
 * Points references at document entries (`rewrite` gives the new fullUrl) and cuts the others
 * (see the module comment). Returns false when the Reference should be removed.
 */
function fixReference(ref: Reference & { reference: string }, rewrite: Rewrite, removable: boolean): boolean {
  const reference = ref.reference;
  if (reference.startsWith("#")) return true; // contained: travels with the resource
  const result = rewrite(reference);
  if ("url" in result) {
    ref.reference = result.url;
    return true;
  }
  delete (ref as Reference).reference;
  if (nonEmpty(ref.display) !== undefined || ref.identifier !== undefined) return true;
  if (removable) return false;
  const type = ref.type ?? result.type ?? /(?:^|\/)([A-Z][A-Za-z]+)\/[^/?]+$/.exec(referenceKey(reference) ?? "")?.[1] ?? /^([A-Z][A-Za-z]+)\?/.exec(reference)?.[1];
  ref.display = `${type ?? "Resource"} not included in this summary`;
  return true;
}

function rewriteNested(value: unknown, rewrite: Rewrite, depth: number): void {
  if (depth > 64 || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    for (const v of value) rewriteNested(v, rewrite, depth + 1);
    return;
  }
  if (isReference(value)) fixReference(value, rewrite, false);
  for (const child of Object.values(value)) if (typeof child === "object") rewriteNested(child, rewrite, depth + 1);
}

function rewriteReferences(resource: Resource, rewrite: Rewrite): void {
  const r = resource as unknown as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    const value = r[key];
    const removable = key !== "contained" && !REQUIRED_REFERENCES.has(key);
    if (isReference(value)) {
      if (!fixReference(value, rewrite, removable)) delete r[key];
      else rewriteNested(value.identifier, rewrite, 1);
    } else if (Array.isArray(value) && value.some(isReference)) {
      const kept = value.filter((v) => !isReference(v) || fixReference(v, rewrite, removable));
      for (const v of kept) rewriteNested(isReference(v) ? v.identifier : v, rewrite, 1);
      if (kept.length === 0) delete r[key];
      else r[key] = kept;
    } else rewriteNested(value, rewrite, 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading back

/**
 * Whether `bundle` is an International Patient Summary document: a FHIR `Bundle` of type
 * `document` whose first entry is a `Composition` typed LOINC 60591-5 "Patient summary
 * Document" (HL7 IPS IG; bdl-11). Recognises summaries from other producers too (e.g. the HL7
 * IPS examples). Checks the shape only, not FHIR validity.
 *
 * @param bundle - Anything (parsed JSON).
 * @returns `true` for an IPS document. Never throws.
 * @example
 * ```ts
 * if (isInternationalPatientSummary(resource)) showSummary(summarizeInternationalPatientSummary(resource));
 * ```
 */
export function isInternationalPatientSummary(bundle: unknown): bundle is Bundle {
  if (bundle === null || typeof bundle !== "object") return false;
  const b = bundle as { resourceType?: unknown; type?: unknown; entry?: unknown };
  if (b.resourceType !== "Bundle" || b.type !== "document" || !Array.isArray(b.entry)) return false;
  const first: unknown = (b.entry[0] as { resource?: unknown } | undefined)?.resource;
  if (first === null || typeof first !== "object") return false;
  const composition = first as { resourceType?: unknown; type?: { coding?: unknown } };
  if (composition.resourceType !== "Composition") return false;
  const coding = composition.type?.coding;
  return Array.isArray(coding) && coding.some((c: unknown) => {
    const k = c as { system?: unknown; code?: unknown } | null;
    return k !== null && typeof k === "object" && k.system === LOINC && k.code === IPS_DOCUMENT_CODE;
  });
}

/**
 * Reads an IPS document (built by {@link buildInternationalPatientSummary} or by another
 * producer) into a small view model for the UI and the CLI. Sections are found by their LOINC
 * code, entries by their references within the Bundle; each list holds the entries' display
 * texts (code `text`, else the first coding's display without its SNOMED CT semantic tag) in
 * section order. The blood group is read from the Results section (including panel members,
 * `hasMember`): LOINC 882-1, else 883-9 and 10331-7 joined by a space.
 *
 * @param bundle - An IPS document Bundle.
 * @returns `{ patientName?, birthDate?, allergies, medications, problems, bloodGroup?, date }`;
 *   an absent or empty section gives an empty list.
 * @throws {@link NotAPatientSummaryError} when `bundle` is not an IPS document ({@link isInternationalPatientSummary}).
 * @example
 * ```ts
 * const { allergies, bloodGroup } = summarizeInternationalPatientSummary(ips);
 * ```
 */
export function summarizeInternationalPatientSummary(bundle: Bundle): InternationalPatientSummaryView {
  if (!isInternationalPatientSummary(bundle)) throw new NotAPatientSummaryError();
  const entries = bundle.entry ?? [];
  const composition = entries[0]?.resource as Composition;
  const index = new EntryIndex(entries);
  const resolve = (reference: string | undefined): Resource | undefined => {
    const i = index.resolve(reference);
    return i === undefined ? undefined : entries[i]?.resource;
  };
  const sectionResources = (code: string): Resource[] => {
    const found = composition.section?.find((s) => hasLoinc(s.code, code));
    return (found?.entry ?? []).flatMap((e) => {
      const r = resolve(e.reference);
      return r ? [r] : [];
    });
  };

  const view: InternationalPatientSummaryView = {
    allergies: sectionResources(ALLERGIES_CODE).flatMap((r) => (r.resourceType === "AllergyIntolerance" ? [allergyLabel(r)] : [])),
    medications: sectionResources(MEDICATIONS_CODE).flatMap((r) =>
      r.resourceType === "MedicationRequest" || r.resourceType === "MedicationStatement" ? [medicationLabel(r, resolve)] : [],
    ),
    problems: sectionResources(PROBLEMS_CODE).flatMap((r) => (r.resourceType === "Condition" ? [conditionLabel(r)] : [])),
    date: composition.date ?? bundle.timestamp ?? "",
  };

  const patient = resolve(composition.subject?.reference);
  if (patient?.resourceType === "Patient") {
    const name = patientName(patient);
    if (name !== undefined) view.patientName = name;
    if (patient.birthDate !== undefined) view.birthDate = patient.birthDate;
  }

  // Results, with panel members.
  const observations: Observation[] = [];
  const queue = sectionResources(RESULTS_CODE);
  for (let n = 0; queue.length > 0 && n < 1000; n++) {
    const r = queue.shift() as Resource;
    if (r.resourceType !== "Observation" || observations.includes(r)) continue;
    observations.push(r);
    for (const m of r.hasMember ?? []) {
      const member = resolve(m.reference);
      if (member) queue.push(member);
    }
  }
  const latestValue = (code: string): string | undefined => {
    let best: { value: string; t: number } | undefined;
    for (const o of observations) {
      const value = hasLoinc(o.code, code) ? observationValue(o) : undefined;
      if (value === undefined) continue;
      const t = time(resourceDate(o)) ?? -Infinity;
      if (!best || t >= best.t) best = { value, t };
    }
    return best?.value;
  };
  const bloodGroup = latestValue(ABO_RH) ?? nonEmpty([latestValue(ABO), latestValue(RH)].filter((v) => v !== undefined).join(" "));
  if (bloodGroup !== undefined) view.bloodGroup = bloodGroup;
  return view;
}
