/**
 * View model of a decrypted FHIR R4 record, for showing it to a person.
 *
 * {@link buildRecordView} turns one record (parsed JSON: a `Bundle`, possibly holding a nested
 * `document` Bundle, or a single resource) into plain-text sections: patient summary,
 * encounters, conditions, medications, allergies, immunizations, procedures, lab results,
 * vital signs, diagnostic reports and downloadable documents. {@link labTrends} gathers the
 * time series of common lab values across many records.
 *
 * Rules that hold for every function here:
 * - Pure: no React, no DOM, no Node APIs; the input is never mutated.
 * - Every string in the output is plain text taken from a text element of a resource (or
 *   built from codes and numbers). FHIR narrative (`text.div`, XHTML) is never read.
 * - The input is untrusted: a value of the wrong JSON type is treated as absent, so a
 *   field typed `string` really holds a string.
 * - Dates are FHIR `date`/`dateTime`/`instant` strings (ISO 8601) exactly as written in the
 *   resource, with their own precision and offset (e.g. `"2019-03-04"`,
 *   `"2019-03-04T09:12:00-05:00"`); {@link formatFhirDate} makes them shorter for display.
 * - Lists are sorted newest first (by their main date); undated items come last, in record order.
 *
 * @module
 */

import { RecordCategory } from "@meridian/sdk";
import type {
  AllergyIntolerance,
  Attachment,
  Binary,
  Bundle,
  CodeableConcept,
  Condition,
  DiagnosticReport,
  DocumentReference,
  Dosage,
  Encounter,
  HumanName,
  Immunization,
  MedicationRequest,
  MedicationStatement,
  Observation,
  ObservationComponent,
  ObservationReferenceRange,
  Patient,
  Procedure,
  Quantity,
  Reference,
  Resource,
} from "@medplum/fhirtypes";

// ---------------------------------------------------------------------------------------------
// View model types
// ---------------------------------------------------------------------------------------------

/** Who the record is about (from the first `Patient` in the record). Identifiers are left out. */
export interface PatientSummary {
  /** Display name: `HumanName.text`, else given names, family name and suffixes (prefixes such as "Mr." dropped). */
  name: string | undefined;
  /** Administrative gender code: `"male"`, `"female"`, `"other"` or `"unknown"`. */
  gender: string | undefined;
  /** Birth date as written (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`). */
  birthDate: string | undefined;
  /** Age in whole years on `options.now`, or at death for a deceased patient with a date; only for a full `YYYY-MM-DD` birth date. */
  age: number | undefined;
  /** Whether the patient is recorded as deceased (`deceasedBoolean` or `deceasedDateTime`). */
  deceased: boolean;
  /** `deceasedDateTime`, when given. */
  deceasedDate: string | undefined;
  /** City of the home address (else the first address). */
  city: string | undefined;
  /** State or province of that address. */
  state: string | undefined;
  /** Country of that address (as written, often an ISO 3166 code such as `"US"`). */
  country: string | undefined;
}

/** One `Encounter`. */
export interface EncounterView {
  /** The encounter type (`type` text), e.g. "General examination of patient". */
  type: string | undefined;
  /** The encounter class in words, e.g. "Ambulatory" for v3 ActCode `AMB`. */
  class: string | undefined;
  /** Status code, e.g. `"finished"`. */
  status: string | undefined;
  /** `period.start` as written (ISO 8601). */
  start: string | undefined;
  /** `period.end` as written (ISO 8601). */
  end: string | undefined;
  /** Reasons: `reasonCode` texts and the labels of `reasonReference` targets. */
  reasons: string[];
  /** The organization (`serviceProvider`): its name when in the record, else the reference's display. */
  organization: string | undefined;
  /** Participating practitioners' names (or reference displays). */
  practitioners: string[];
  /** The first location's name (or reference display). */
  location: string | undefined;
}

/** One `Condition` (problem or diagnosis). */
export interface ConditionView {
  /** The condition (`code` text), e.g. "Hypertension". */
  display: string;
  /** Clinical status code, e.g. `"active"`, `"resolved"`. */
  clinicalStatus: string | undefined;
  /** Verification status code, e.g. `"confirmed"`. */
  verificationStatus: string | undefined;
  /** Onset: a date (ISO 8601), a period start, an age (e.g. "52 years") or free text. */
  onset: string | undefined;
  /** Abatement, in the same forms as `onset`; `undefined` while the condition lasts. */
  abatement: string | undefined;
}

/** One `MedicationRequest` (prescription) or `MedicationStatement`. */
export interface MedicationView {
  /** `"request"` for MedicationRequest, `"statement"` for MedicationStatement. */
  kind: "request" | "statement";
  /** The medication: the code text, else the referenced `Medication`'s code, else the reference's display. */
  medication: string;
  /** Status code, e.g. `"active"`, `"stopped"`. */
  status: string | undefined;
  /** Request: `authoredOn`; statement: the effective date or `dateAsserted`. ISO 8601. */
  authoredOn: string | undefined;
  /** Dosage: each `Dosage.text`, else built from dose, timing and "as needed" (e.g. "1 tablet, 2 times per day"); joined with "; ". */
  dosage: string | undefined;
  /** Reasons: `reasonCode` texts and the labels of `reasonReference` targets. */
  reasons: string[];
}

/** One reaction of an {@link AllergyView}. */
export interface AllergyReactionView {
  /** What happened, e.g. ["Hives"]. */
  manifestations: string[];
  /** `"mild"`, `"moderate"` or `"severe"`. */
  severity: string | undefined;
}

/** One `AllergyIntolerance`. */
export interface AllergyView {
  /** The substance (`code` text), e.g. "Peanut". */
  substance: string;
  /** `"low"`, `"high"` or `"unable-to-assess"`. */
  criticality: string | undefined;
  /** Clinical status code, e.g. `"active"`. */
  clinicalStatus: string | undefined;
  /** `"allergy"` or `"intolerance"`. */
  type: string | undefined;
  /** Categories: `"food"`, `"medication"`, `"environment"`, `"biologic"`. */
  categories: string[];
  /** `recordedDate`, else `onsetDateTime` (ISO 8601). */
  recordedDate: string | undefined;
  /** Reactions, in record order. */
  reactions: AllergyReactionView[];
}

/** One `Immunization`. */
export interface ImmunizationView {
  /** The vaccine (`vaccineCode` text). */
  vaccine: string;
  /** `occurrenceDateTime` (ISO 8601) or `occurrenceString`. */
  date: string | undefined;
  /** Status code, e.g. `"completed"`. */
  status: string | undefined;
}

/** One `Procedure`. */
export interface ProcedureView {
  /** The procedure (`code` text). */
  display: string;
  /** `performedDateTime` or `performedPeriod.start` (ISO 8601), or `performedString`. */
  date: string | undefined;
  /** `performedPeriod.end` (ISO 8601). */
  end: string | undefined;
  /** Status code, e.g. `"completed"`. */
  status: string | undefined;
}

/** One limit of a {@link ReferenceRangeView}. */
export interface RangeLimit {
  /** The number. */
  value: number;
  /** Unit as shown (`Quantity.unit`, else its code). */
  unit: string | undefined;
}

/** The reference ("normal") range of a value. */
export interface ReferenceRangeView {
  /** Lower limit (inclusive). */
  low: RangeLimit | undefined;
  /** Upper limit (inclusive). */
  high: RangeLimit | undefined;
  /** Text for display: `referenceRange.text`, else built from the limits, e.g. "3.1–6.2 mmol/l", "≥ 40 mg/dL", "≤ 200 mg/dL". */
  text: string;
}

/** A measured value: an `Observation` or one of its components. */
export interface MeasuredValue {
  /** What was measured (`code` text), e.g. "Glucose". */
  display: string;
  /** The LOINC code (a `code.coding` with system `http://loinc.org`), e.g. `"2339-0"`. */
  loinc: string | undefined;
  /** Numeric value (`valueQuantity.value` or `valueInteger`). */
  value: number | undefined;
  /** `valueQuantity.comparator` (`"<"`, `"<="`, `">="`, `">"`): the true value lies beyond `value`. */
  comparator: string | undefined;
  /** Unit as shown: `valueQuantity.unit`, else its code, e.g. `"mg/dL"`. */
  unit: string | undefined;
  /** UCUM code of the unit, when the quantity's system is `http://unitsofmeasure.org`, e.g. `"mm[Hg]"`. */
  ucum: string | undefined;
  /** A non-numeric value as text (coded value, string, boolean as "Yes"/"No", range, ratio, time, period, sampled data summary), or the `dataAbsentReason`. */
  valueText: string | undefined;
  /** Interpretation in words, e.g. "High"; texts joined with ", ". */
  interpretation: string | undefined;
  /** The first reference range without a `type` or of type `normal`. */
  referenceRange: ReferenceRangeView | undefined;
  /**
   * Whether `value` lies outside `referenceRange` (limits inclusive). `undefined` when that
   * cannot be told: no numeric value, a `comparator`, no numeric limit, or units that differ.
   * For an observation with components: `true` when any component is out of range, else
   * `false` when some component was checked, else from the observation's own value.
   */
  outOfRange: boolean | undefined;
  /** Which side: `"low"` below the lower limit, `"high"` above the upper limit; `undefined` when not out of range. */
  rangeFlag: "low" | "high" | undefined;
}

/** One `Observation` (a lab value, a vital sign or another observation). */
export interface ObservationView extends MeasuredValue {
  /** `effectiveDateTime`, `effectiveInstant`, `effectivePeriod.start` or `issued` (ISO 8601). */
  date: string | undefined;
  /** Status code, e.g. `"final"`. */
  status: string | undefined;
  /** Category codes, e.g. `["laboratory"]`. */
  categories: string[];
  /** Components (e.g. systolic and diastolic blood pressure), in record order. */
  components: MeasuredValue[];
}

/** One `DiagnosticReport`. */
export interface DiagnosticReportView {
  /** The report (`code` text), e.g. "Lipid Panel". */
  display: string;
  /** `effectiveDateTime`, `effectivePeriod.start` or `issued` (ISO 8601). */
  date: string | undefined;
  /** Status code, e.g. `"final"`. */
  status: string | undefined;
  /** Category texts, e.g. ["Laboratory"]. */
  categories: string[];
  /** `conclusion`, else the `conclusionCode` texts joined with "; ". */
  conclusion: string | undefined;
  /** Labels of the `result` Observations (their code text when in the record, else the reference's display). */
  results: string[];
}

/** Where a {@link DocumentView} came from. */
export type DocumentSource = "DocumentReference" | "DiagnosticReport" | "Binary";

/** A file the person can download: an attachment of a DocumentReference or DiagnosticReport, or a Binary. */
export interface DocumentView {
  /** Title: `DocumentReference.description`, the attachment title, the document type, or the report's name. */
  title: string;
  /** The original file name (`Attachment.title`), when recorded. Untrusted: sanitise before using it as a file name. */
  fileName: string | undefined;
  /** MIME type as recorded, e.g. `"application/pdf"`, `"application/dicom"`, `"text/plain; charset=utf-8"`. Untrusted. */
  contentType: string | undefined;
  /** Size in bytes: of the base64 `data` when present, else `Attachment.size`. */
  size: number | undefined;
  /** `Attachment.creation`, else the DocumentReference's date (ISO 8601). */
  created: string | undefined;
  /** The file's bytes, base64-encoded (the same string as in the record; not copied): inline `Attachment.data`, or `Binary.data` of the Binary entry that `Attachment.url` points to. */
  base64: string | undefined;
  /** `Attachment.url` when the bytes are not in the record (an external location). Untrusted: show as text, never fetch blindly. */
  url: string | undefined;
  /** The resource type that holds the attachment. */
  source: DocumentSource;
}

/**
 * The view model of one record: every section is present (possibly empty).
 *
 * `other` counts, by resource type, the resources that have no section of their own
 * (e.g. `{ Claim: 3, Organization: 1 }`), including Observation panels that only group other
 * Observations (`hasMember`, no value) and Patients after the first. The first Patient and the
 * Binary entries shown as documents are not counted; nested Bundles count their entries.
 */
export interface FhirRecordView {
  /** The first Patient in the record. */
  patient: PatientSummary | undefined;
  encounters: EncounterView[];
  conditions: ConditionView[];
  medications: MedicationView[];
  allergies: AllergyView[];
  immunizations: ImmunizationView[];
  procedures: ProcedureView[];
  /** Observations with category `laboratory`, or with no category that is not a known vital sign. */
  labs: ObservationView[];
  /** Observations with category `vital-signs` or a LOINC vital-sign code (heart rate, blood pressure, weight, ...). */
  vitals: ObservationView[];
  /** Other observations: surveys, social history, exams, imaging, ... */
  otherObservations: ObservationView[];
  reports: DiagnosticReportView[];
  documents: DocumentView[];
  /** Resources without a section, counted by resource type. */
  other: Record<string, number>;
}

/** Options of {@link buildRecordView}. */
export interface BuildRecordViewOptions {
  /** The date for {@link PatientSummary.age}; default: now. */
  now?: Date;
}

/**
 * Thrown by {@link buildRecordView} when the input is not a FHIR resource (not an object with
 * a string `resourceType`).
 */
export class NotFhirRecordError extends Error {
  override name = "NotFhirRecordError" as const;

  constructor() {
    super("The record is not a FHIR resource: expected a JSON object with a resourceType.");
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers over untrusted JSON
// ---------------------------------------------------------------------------------------------

/** A string, or `undefined` for anything else (including ""). */
function str(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** A finite number, or `undefined`. */
function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** The array, or `[]` for anything else. */
function list<T>(value: T[] | undefined): T[] {
  return Array.isArray(value) ? value : [];
}

/** Whether untrusted JSON is a (non-array) object. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether a typed FHIR element really is an object in the (untrusted) JSON. */
function isObject<T extends object>(value: T | null | undefined): value is T {
  return isRecord(value);
}

function unique(values: (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== undefined))];
}

/** SNOMED CT semantic tags dropped from displays, e.g. "Check up (procedure)" → "Check up". */
const SEMANTIC_TAG = /\s+\((procedure|finding|situation|disorder|regime\/therapy|observable entity|qualifier value|physical object|substance|product)\)$/;

/** Text of a CodeableConcept: `text`, else the first coding display, else the first code. */
function conceptText(concept: CodeableConcept | undefined): string | undefined {
  if (!isObject(concept)) return undefined;
  const codings = list(concept.coding).filter(isObject);
  const label = str(concept.text) ?? codings.map((c) => str(c.display)).find((d) => d !== undefined) ?? codings.map((c) => str(c.code)).find((c) => c !== undefined);
  return label?.replace(SEMANTIC_TAG, "");
}

/** The first code of a CodeableConcept (e.g. `clinicalStatus` → `"active"`). */
function conceptCode(concept: CodeableConcept | undefined): string | undefined {
  if (!isObject(concept)) return undefined;
  return list(concept.coding).filter(isObject).map((c) => str(c.code)).find((c) => c !== undefined) ?? str(concept.text);
}

const LOINC = "http://loinc.org";
const UCUM = "http://unitsofmeasure.org";

function loincCode(concept: CodeableConcept | undefined): string | undefined {
  if (!isObject(concept)) return undefined;
  return list(concept.coding).filter(isObject).find((c) => c.system === LOINC && str(c.code) !== undefined)?.code;
}

/** A person's name: `text`, else given names, family name and suffixes (with prefixes such as "Dr." when `withPrefix`). */
function humanName(names: HumanName[] | undefined, withPrefix = false): string | undefined {
  const all = list(names).filter(isObject);
  const name = all.find((n) => n.use === "official") ?? all.find((n) => n.use !== "old") ?? all[0];
  if (name === undefined) return undefined;
  const text = str(name.text);
  if (text !== undefined) return text;
  const prefixes = withPrefix ? list(name.prefix).map(str) : [];
  const parts = [...prefixes, ...list(name.given).map(str), str(name.family), ...list(name.suffix).map(str)];
  const joined = parts.filter((p) => p !== undefined).join(" ");
  return joined === "" ? undefined : joined;
}

/** Start (else end) of a Period-shaped value. */
function periodStart(value: unknown): string | undefined {
  return isRecord(value) ? (str(value["start"]) ?? str(value["end"])) : undefined;
}

function periodEnd(value: unknown): string | undefined {
  return isRecord(value) ? str(value["end"]) : undefined;
}

function quantityUnit(q: Quantity | undefined): string | undefined {
  return isObject(q) ? (str(q.unit) ?? str(q.code)) : undefined;
}

function quantityText(q: Quantity | undefined): string | undefined {
  if (!isObject(q)) return undefined;
  const value = num(q.value);
  if (value === undefined) return undefined;
  const unit = quantityUnit(q);
  return `${str(q.comparator) ?? ""}${value}${unit === undefined ? "" : ` ${unit}`}`;
}

/** Milliseconds since the epoch for sorting; partial dates (`YYYY`, `YYYY-MM`) count as their first day. */
function dateKey(date: string | undefined): number | undefined {
  if (date === undefined) return undefined;
  const full = /^\d{4}$/.test(date) ? `${date}-01-01` : /^\d{4}-\d{2}$/.test(date) ? `${date}-01` : date;
  const t = Date.parse(full);
  return Number.isNaN(t) ? undefined : t;
}

/** Sorts newest first by `date`; undated items last; stable. */
function newestFirst<T>(items: T[], date: (item: T) => string | undefined): T[] {
  const keyed = items.map((item, i) => ({ item, i, key: dateKey(date(item)) }));
  keyed.sort((a, b) => {
    if (a.key === undefined || b.key === undefined) return a.key === b.key ? a.i - b.i : a.key === undefined ? 1 : -1;
    return b.key - a.key || a.i - b.i;
  });
  return keyed.map((k) => k.item);
}

/** Decoded size of base64 text in bytes, without decoding it. */
function base64ByteLength(base64: string): number {
  const clean = /\s/.test(base64) ? base64.replace(/\s+/g, "") : base64;
  const padding = clean.endsWith("==") ? 2 : clean.endsWith("=") ? 1 : 0;
  return Math.max(0, Math.floor((clean.length * 3) / 4) - padding);
}

// ---------------------------------------------------------------------------------------------
// Resources of a record and references between them
// ---------------------------------------------------------------------------------------------

interface Entry {
  fullUrl: string | undefined;
  resource: Resource;
}

const MAX_BUNDLE_DEPTH = 4;

function isResource(value: unknown): value is Resource {
  return isRecord(value) && typeof value["resourceType"] === "string";
}

/** The resources of a record, flattening nested Bundles (e.g. a `document` Bundle inside a `collection`). */
function collectEntries(input: Resource, out: Entry[] = [], fullUrl: string | undefined = undefined, depth = 0): Entry[] {
  if (input.resourceType === "Bundle" && depth < MAX_BUNDLE_DEPTH) {
    for (const entry of list((input as Bundle).entry)) {
      if (isObject(entry) && isResource(entry.resource)) collectEntries(entry.resource, out, str(entry.fullUrl), depth + 1);
    }
  } else {
    out.push({ fullUrl, resource: input });
  }
  return out;
}

const TYPE_ID_TAIL = /([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})$/;

/** Looks resources up by reference: `fullUrl`, `Type/id`, the `Type/id` tail of an absolute URL, and `#id` for contained resources. */
class ReferenceIndex {
  readonly #byKey = new Map<string, Resource>();

  constructor(entries: readonly Entry[]) {
    for (const { fullUrl, resource } of entries) {
      const keys = [fullUrl, fullUrl ? TYPE_ID_TAIL.exec(fullUrl)?.[1] : undefined, str(resource.id) ? `${resource.resourceType}/${resource.id}` : undefined];
      for (const key of keys) if (key !== undefined && !this.#byKey.has(key)) this.#byKey.set(key, resource);
    }
  }

  resolve(reference: Reference | undefined, owner?: Resource): Resource | undefined {
    const ref = isObject(reference) ? str(reference.reference) : undefined;
    if (ref === undefined || ref.includes("?")) return undefined;
    if (ref.startsWith("#")) {
      const contained = owner && "contained" in owner ? list(owner.contained as Resource[] | undefined) : [];
      return contained.find((r) => isResource(r) && r.id === ref.slice(1));
    }
    const key = ref.replace(/\/_history\/[^/]+$/, "");
    const direct = this.#byKey.get(key);
    if (direct !== undefined) return direct;
    const tail = TYPE_ID_TAIL.exec(key)?.[1];
    return tail === undefined ? undefined : this.#byKey.get(tail);
  }

  /** A label for the target: its name or code text when it is in the record, else the reference's `display`. */
  label(reference: Reference | undefined, owner?: Resource): string | undefined {
    if (!isObject(reference)) return undefined;
    const target = this.resolve(reference, owner);
    return (target === undefined ? undefined : resourceLabel(target)) ?? str(reference.display);
  }
}

/** A short label for a referenced resource. */
function resourceLabel(resource: Resource): string | undefined {
  switch (resource.resourceType) {
    case "Patient":
      return humanName(resource.name);
    case "Practitioner":
    case "RelatedPerson":
      return humanName(resource.name, true);
    case "Organization":
    case "Location":
    case "HealthcareService":
      return str(resource.name);
    case "PractitionerRole":
      return str(resource.practitioner?.display) ?? str(resource.organization?.display);
    case "Medication":
    case "Condition":
    case "Observation":
    case "Procedure":
    case "DiagnosticReport":
      return conceptText(resource.code);
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

function ageInYears(birthDate: string, at: string): number | undefined {
  const b = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  const a = /^(\d{4})-(\d{2})-(\d{2})/.exec(at);
  if (!b || !a) return undefined;
  const [by, bm, bd] = [Number(b[1]), Number(b[2]), Number(b[3])];
  const [ay, am, ad] = [Number(a[1]), Number(a[2]), Number(a[3])];
  const age = ay - by - (am < bm || (am === bm && ad < bd) ? 1 : 0);
  return age >= 0 ? age : undefined;
}

function patientSummary(patient: Patient, now: Date): PatientSummary {
  const birthDate = str(patient.birthDate);
  const deceasedDate = str(patient.deceasedDateTime);
  const deceased = deceasedDate !== undefined || patient.deceasedBoolean === true;
  const addresses = list(patient.address).filter(isObject);
  const address = addresses.find((a) => a.use === "home") ?? addresses[0];
  const at = deceasedDate ?? (deceased ? undefined : now.toISOString());
  return {
    name: humanName(patient.name),
    gender: str(patient.gender),
    birthDate,
    age: birthDate !== undefined && at !== undefined ? ageInYears(birthDate, at) : undefined,
    deceased,
    deceasedDate,
    city: str(address?.city),
    state: str(address?.state),
    country: str(address?.country),
  };
}

/** v3 ActCode encounter classes in words. */
const ENCOUNTER_CLASS: Readonly<Record<string, string>> = {
  AMB: "Ambulatory",
  EMER: "Emergency",
  FLD: "Field",
  HH: "Home health",
  IMP: "Inpatient",
  ACUTE: "Inpatient acute",
  NONAC: "Inpatient non-acute",
  OBSENC: "Observation",
  PRENC: "Pre-admission",
  SS: "Short stay",
  VR: "Virtual",
};

function reasons(codes: CodeableConcept[] | undefined, refs: Reference[] | undefined, index: ReferenceIndex, owner: Resource): string[] {
  return unique([...list(codes).map(conceptText), ...list(refs).map((r) => index.label(r, owner))]);
}

function encounterView(e: Encounter, index: ReferenceIndex): EncounterView {
  const cls = isObject(e.class) ? (str(e.class.display) ?? ENCOUNTER_CLASS[str(e.class.code) ?? ""] ?? str(e.class.code)) : undefined;
  return {
    type: list(e.type).map(conceptText).find((t) => t !== undefined),
    class: cls,
    status: str(e.status),
    start: periodStart(e.period),
    end: periodEnd(e.period),
    reasons: reasons(e.reasonCode, e.reasonReference, index, e),
    organization: index.label(e.serviceProvider, e),
    practitioners: unique(list(e.participant).filter(isObject).map((p) => index.label(p.individual, e))),
    location: list(e.location).filter(isObject).map((l) => index.label(l.location, e)).find((l) => l !== undefined),
  };
}

/** `onset[x]` / `abatement[x]` of a Condition as text. */
function conditionTime(c: Record<string, unknown>, prefix: "onset" | "abatement"): string | undefined {
  const age = c[`${prefix}Age`] as Quantity | undefined;
  const range = c[`${prefix}Range`];
  return (
    str(c[`${prefix}DateTime`]) ??
    periodStart(c[`${prefix}Period`]) ??
    quantityText(age) ??
    (isRecord(range) ? rangeText(range as { low?: Quantity; high?: Quantity }) : undefined) ??
    str(c[`${prefix}String`]) ??
    (c[`${prefix}Boolean`] === true ? "Yes" : undefined)
  );
}

function conditionView(c: Condition): ConditionView {
  const record = c as unknown as Record<string, unknown>;
  return {
    display: conceptText(c.code) ?? "Condition",
    clinicalStatus: conceptCode(c.clinicalStatus),
    verificationStatus: conceptCode(c.verificationStatus),
    onset: conditionTime(record, "onset"),
    abatement: conditionTime(record, "abatement"),
  };
}

const PERIOD_UNIT: Readonly<Record<string, string>> = { s: "second", min: "minute", h: "hour", d: "day", wk: "week", mo: "month", a: "year" };

/** One Dosage in words: its `text`, else dose, timing and "as needed". */
function dosageText(d: Dosage): string | undefined {
  const text = str(d.text);
  if (text !== undefined) return text;
  const parts: string[] = [];
  const dose = list(d.doseAndRate).filter(isObject).map((r) => r.doseQuantity).find(isObject);
  const doseValue = num(dose?.value);
  if (doseValue !== undefined) {
    const unit = quantityUnit(dose);
    parts.push(unit === undefined ? `dose ${doseValue}` : `${doseValue} ${unit}`);
  }
  const repeat = isObject(d.timing) && isObject(d.timing.repeat) ? d.timing.repeat : undefined;
  const frequency = num(repeat?.frequency);
  const period = num(repeat?.period);
  const unit = PERIOD_UNIT[str(repeat?.periodUnit) ?? ""];
  if (frequency !== undefined && period !== undefined && unit !== undefined) {
    const times = `${frequency} ${frequency === 1 ? "time" : "times"}`;
    parts.push(period === 1 ? `${times} per ${unit}` : `${times} every ${period} ${unit}s`);
  } else {
    const timing = isObject(d.timing) ? conceptText(d.timing.code) : undefined;
    if (timing !== undefined) parts.push(timing);
  }
  if (d.asNeededBoolean === true) parts.push("as needed");
  else if (isObject(d.asNeededCodeableConcept)) parts.push(`as needed for ${conceptText(d.asNeededCodeableConcept) ?? "symptoms"}`);
  const route = conceptText(d.route);
  if (route !== undefined) parts.push(route);
  return parts.length === 0 ? undefined : parts.join(", ");
}

function medicationView(m: MedicationRequest | MedicationStatement, index: ReferenceIndex): MedicationView {
  const medication = conceptText(m.medicationCodeableConcept) ?? index.label(m.medicationReference, m) ?? "Medication";
  const dosages = m.resourceType === "MedicationRequest" ? m.dosageInstruction : m.dosage;
  const dosage = list(dosages).filter(isObject).map(dosageText).filter((t) => t !== undefined);
  const authoredOn =
    m.resourceType === "MedicationRequest"
      ? str(m.authoredOn)
      : (str(m.effectiveDateTime) ?? periodStart(m.effectivePeriod) ?? str(m.dateAsserted));
  return {
    kind: m.resourceType === "MedicationRequest" ? "request" : "statement",
    medication,
    status: str(m.status),
    authoredOn,
    dosage: dosage.length === 0 ? undefined : dosage.join("; "),
    reasons: reasons(m.reasonCode, m.reasonReference, index, m),
  };
}

function allergyView(a: AllergyIntolerance): AllergyView {
  const reactions = list(a.reaction).filter(isObject);
  return {
    substance: conceptText(a.code) ?? reactions.map((r) => conceptText(r.substance)).find((s) => s !== undefined) ?? "Allergy",
    criticality: str(a.criticality),
    clinicalStatus: conceptCode(a.clinicalStatus),
    type: str(a.type),
    categories: unique(list(a.category).map(str)),
    recordedDate: str(a.recordedDate) ?? str(a.onsetDateTime),
    reactions: reactions.map((r) => ({ manifestations: unique(list(r.manifestation).map(conceptText)), severity: str(r.severity) })),
  };
}

function immunizationView(i: Immunization): ImmunizationView {
  return { vaccine: conceptText(i.vaccineCode) ?? "Vaccine", date: str(i.occurrenceDateTime) ?? str(i.occurrenceString), status: str(i.status) };
}

function procedureView(p: Procedure): ProcedureView {
  return {
    display: conceptText(p.code) ?? "Procedure",
    date: str(p.performedDateTime) ?? periodStart(p.performedPeriod) ?? str(p.performedString),
    end: periodEnd(p.performedPeriod),
    status: str(p.status),
  };
}

// ---------------------------------------------------------------------------------------------
// Observations
// ---------------------------------------------------------------------------------------------

/** LOINC codes of vital signs (FHIR R4 vital signs profile and common extras). */
const VITAL_SIGN_LOINC: ReadonlySet<string> = new Set([
  "85353-1", "9279-1", "8867-4", "2708-6", "59408-5", "8310-5", "8302-2", "9843-4", "29463-7", "39156-5",
  "85354-9", "8480-6", "8462-4", "8287-5", "72514-3", "8478-0", "3141-9", "8306-3", "77606-2", "59576-9", "8289-1",
]);

/** v3 ObservationInterpretation codes in words (used when a coding has no display). */
const INTERPRETATION: Readonly<Record<string, string>> = {
  N: "Normal", A: "Abnormal", AA: "Critical abnormal", H: "High", HH: "Critical high", HU: "Very high",
  L: "Low", LL: "Critical low", LU: "Very low", POS: "Positive", NEG: "Negative", DET: "Detected", ND: "Not detected",
};

function interpretationText(concepts: CodeableConcept[] | undefined): string | undefined {
  const texts = unique(
    list(concepts).filter(isObject).map((c) => {
      const coding = list(c.coding).filter(isObject);
      return str(c.text) ?? coding.map((k) => str(k.display)).find((d) => d !== undefined) ?? coding.map((k) => INTERPRETATION[str(k.code) ?? ""] ?? str(k.code)).find((d) => d !== undefined);
    }),
  );
  return texts.length === 0 ? undefined : texts.join(", ");
}

function rangeLimit(q: Quantity | undefined): RangeLimit | undefined {
  const value = isObject(q) ? num(q.value) : undefined;
  return value === undefined ? undefined : { value, unit: quantityUnit(q) };
}

function rangeText(range: { low?: Quantity; high?: Quantity }): string | undefined {
  const low = rangeLimit(range.low);
  const high = rangeLimit(range.high);
  const unit = (l: RangeLimit) => (l.unit === undefined ? "" : ` ${l.unit}`);
  if (low && high) return low.unit === high.unit ? `${low.value}–${high.value}${unit(high)}` : `${low.value}${unit(low)} – ${high.value}${unit(high)}`;
  if (low) return `≥ ${low.value}${unit(low)}`;
  if (high) return `≤ ${high.value}${unit(high)}`;
  return undefined;
}

function referenceRangeView(ranges: ObservationReferenceRange[] | undefined): ReferenceRangeView | undefined {
  const all = list(ranges).filter(isObject);
  const normal = all.find((r) => r.type === undefined || conceptCode(r.type) === "normal") ?? all[0];
  if (normal === undefined) return undefined;
  const text = str(normal.text) ?? rangeText(normal);
  if (text === undefined) return undefined;
  return { low: rangeLimit(normal.low), high: rangeLimit(normal.high), text };
}

/** The unit key for comparisons: UCUM code when coded, else the unit text. */
function unitKey(q: Quantity | undefined): string | undefined {
  if (!isObject(q)) return undefined;
  return (q.system === UCUM ? str(q.code) : undefined) ?? str(q.unit)?.toLowerCase() ?? str(q.code);
}

/** `low`/`high`/`within` for a value against its range, or `undefined` when it cannot be told. */
function rangeCheck(q: Quantity | undefined, value: number | undefined, range: ObservationReferenceRange | undefined): "low" | "high" | "within" | undefined {
  if (value === undefined || !isObject(q) || str(q.comparator) !== undefined || !isObject(range)) return undefined;
  const sameUnit = (limit: Quantity | undefined): boolean => {
    const a = unitKey(q);
    const b = unitKey(limit);
    if (b === undefined || a === undefined) return b === undefined;
    if (a === b) return true;
    // A UCUM code on one side and a unit text on the other: compare the texts case-insensitively.
    return (str(q.unit) ?? str(q.code))?.toLowerCase() === (str(limit?.unit) ?? str(limit?.code))?.toLowerCase();
  };
  const low = isObject(range.low) ? num(range.low.value) : undefined;
  const high = isObject(range.high) ? num(range.high.value) : undefined;
  if (low === undefined && high === undefined) return undefined;
  if ((low !== undefined && !sameUnit(range.low)) || (high !== undefined && !sameUnit(range.high))) return undefined;
  if (low !== undefined && value < low) return "low";
  if (high !== undefined && value > high) return "high";
  return "within";
}

type ValueCarrier = Observation | ObservationComponent;

function valueText(o: ValueCarrier): string | undefined {
  if (typeof o.valueBoolean === "boolean") return o.valueBoolean ? "Yes" : "No";
  const sampled = o.valueSampledData;
  return (
    conceptText(o.valueCodeableConcept) ??
    str(o.valueString) ??
    (isObject(o.valueRange) ? rangeText(o.valueRange) : undefined) ??
    (isObject(o.valueRatio) && quantityText(o.valueRatio.numerator) && quantityText(o.valueRatio.denominator)
      ? `${quantityText(o.valueRatio.numerator)} / ${quantityText(o.valueRatio.denominator)}`
      : undefined) ??
    str(o.valueDateTime) ??
    str(o.valueTime) ??
    (isObject(o.valuePeriod) ? [periodStart(o.valuePeriod), periodEnd(o.valuePeriod)].filter((p) => p !== undefined).join(" – ") || undefined : undefined) ??
    (isObject(sampled) ? `Waveform (${str(sampled.data)?.trim().split(/\s+/).length ?? 0} samples)` : undefined) ??
    (isObject(o.dataAbsentReason) ? `No value: ${conceptText(o.dataAbsentReason) ?? "unknown"}` : undefined)
  );
}

function measuredValue(o: ValueCarrier): MeasuredValue {
  const q = isObject(o.valueQuantity) ? o.valueQuantity : undefined;
  const value = num(q?.value) ?? num(o.valueInteger);
  const ranges = list(o.referenceRange).filter(isObject);
  const rawRange = ranges.find((r) => r.type === undefined || conceptCode(r.type) === "normal") ?? ranges[0];
  const check = rangeCheck(q ?? (value !== undefined ? {} : undefined), value, rawRange);
  return {
    display: conceptText(o.code) ?? "Observation",
    loinc: loincCode(o.code),
    value,
    comparator: str(q?.comparator),
    unit: quantityUnit(q),
    ucum: q?.system === UCUM ? str(q.code) : undefined,
    valueText: value === undefined ? valueText(o) : undefined,
    interpretation: interpretationText(o.interpretation),
    referenceRange: referenceRangeView(o.referenceRange),
    outOfRange: check === undefined ? undefined : check !== "within",
    rangeFlag: check === "low" || check === "high" ? check : undefined,
  };
}

function observationView(o: Observation): ObservationView {
  const own = measuredValue(o);
  const components = list(o.component).filter(isObject).map(measuredValue);
  const checked = components.filter((c) => c.outOfRange !== undefined);
  const outOfRange = checked.length === 0 ? own.outOfRange : checked.some((c) => c.outOfRange);
  const flags = new Set(checked.map((c) => c.rangeFlag).filter((f) => f !== undefined));
  const rangeFlag = checked.length === 0 ? own.rangeFlag : flags.size === 1 ? [...flags][0] : undefined;
  return {
    ...own,
    outOfRange,
    rangeFlag,
    date: str(o.effectiveDateTime) ?? str(o.effectiveInstant) ?? periodStart(o.effectivePeriod) ?? str(o.issued),
    status: str(o.status),
    categories: unique(list(o.category).flatMap((c) => (isObject(c) ? list(c.coding).filter(isObject).map((k) => str(k.code)) : []))),
    components,
  };
}

/** Whether an Observation only groups others (a panel with `hasMember` and no value of its own). */
function isPanelOnly(view: ObservationView, o: Observation): boolean {
  return list(o.hasMember).length > 0 && view.value === undefined && view.valueText === undefined && view.components.length === 0;
}

type ObservationKind = "labs" | "vitals" | "otherObservations";

function observationKind(view: ObservationView): ObservationKind {
  if (view.categories.some((c) => c === "vital-signs" || c === "vital-sign")) return "vitals";
  if (view.categories.includes("laboratory")) return "labs";
  if (view.loinc !== undefined && VITAL_SIGN_LOINC.has(view.loinc)) return "vitals";
  return view.categories.length === 0 ? "labs" : "otherObservations";
}

// ---------------------------------------------------------------------------------------------
// Reports and documents
// ---------------------------------------------------------------------------------------------

function reportView(r: DiagnosticReport, index: ReferenceIndex): DiagnosticReportView {
  const codes = unique(list(r.conclusionCode).map(conceptText));
  return {
    display: conceptText(r.code) ?? "Report",
    date: str(r.effectiveDateTime) ?? periodStart(r.effectivePeriod) ?? str(r.issued),
    status: str(r.status),
    categories: unique(list(r.category).map(conceptText)),
    conclusion: str(r.conclusion) ?? (codes.length === 0 ? undefined : codes.join("; ")),
    results: list(r.result).map((ref) => index.label(ref, r)).filter((l) => l !== undefined),
  };
}

function documentView(
  attachment: Attachment,
  source: DocumentSource,
  title: string | undefined,
  date: string | undefined,
  index: ReferenceIndex,
  owner: Resource,
  usedBinaries: Set<Resource>,
): DocumentView {
  const inline = str(attachment.data);
  const url = str(attachment.url);
  const target = inline === undefined && url !== undefined ? index.resolve({ reference: url }, owner) : undefined;
  const binary = target?.resourceType === "Binary" ? (target as Binary) : undefined;
  if (binary !== undefined) usedBinaries.add(binary);
  const base64 = inline ?? str(binary?.data);
  return {
    title: title ?? str(attachment.title) ?? "Document",
    fileName: str(attachment.title),
    contentType: str(attachment.contentType) ?? str(binary?.contentType),
    size: base64 !== undefined ? base64ByteLength(base64) : num(attachment.size),
    created: str(attachment.creation) ?? date,
    base64,
    url: base64 === undefined ? url : undefined,
    source,
  };
}

function docRefDocuments(d: DocumentReference, index: ReferenceIndex, used: Set<Resource>): DocumentView[] {
  const title = str(d.description) ?? conceptText(d.type);
  const date = str(d.date) ?? periodStart(d.context?.period);
  return list(d.content)
    .filter((c) => isObject(c) && isObject(c.attachment))
    .map((c) => documentView(c.attachment, "DocumentReference", title ?? str(c.attachment.title), date, index, d, used));
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * Builds the view model of one decrypted record.
 *
 * Accepts a FHIR R4 `Bundle` of any type (entries of nested Bundles, such as a `document`
 * Bundle inside a `collection`, are flattened up to 4 levels) or a single resource. References
 * between resources of the record (`fullUrl`, `Type/id`, contained `#id`) are resolved for
 * display; conditional and external references fall back to `Reference.display`.
 *
 * Documents come from every `DocumentReference.content.attachment`, every
 * `DiagnosticReport.presentedForm`, and every `Binary` that no attachment points to. A
 * DiagnosticReport attachment whose base64 is identical to one already listed is not listed
 * again (Synthea stores each clinical note in both).
 *
 * @param record - Parsed JSON of the decrypted record (untrusted).
 * @param options - `now` for the patient's age (default: the current time).
 * @returns The view; every section present, each sorted newest first.
 * @throws {@link NotFhirRecordError} when `record` is not an object with a string `resourceType`.
 * @example
 * ```ts
 * const view = buildRecordView(JSON.parse(plaintext));
 * for (const lab of view.labs) console.log(lab.display, lab.value, lab.unit, lab.outOfRange ? lab.rangeFlag : "");
 * ```
 */
export function buildRecordView(record: unknown, options: BuildRecordViewOptions = {}): FhirRecordView {
  if (!isResource(record)) throw new NotFhirRecordError();
  const now = options.now ?? new Date();
  const entries = collectEntries(record);
  const index = new ReferenceIndex(entries);
  const view: FhirRecordView = {
    patient: undefined,
    encounters: [],
    conditions: [],
    medications: [],
    allergies: [],
    immunizations: [],
    procedures: [],
    labs: [],
    vitals: [],
    otherObservations: [],
    reports: [],
    documents: [],
    other: {},
  };
  const countOther = (type: string): void => {
    view.other[type] = (view.other[type] ?? 0) + 1;
  };
  const usedBinaries = new Set<Resource>();
  const reportForms: { form: Attachment; report: DiagnosticReport; title: string | undefined; date: string | undefined }[] = [];
  const binaries: Binary[] = [];

  for (const { resource } of entries) {
    switch (resource.resourceType) {
      case "Patient":
        if (view.patient === undefined) view.patient = patientSummary(resource, now);
        else countOther("Patient");
        break;
      case "Encounter":
        view.encounters.push(encounterView(resource, index));
        break;
      case "Condition":
        view.conditions.push(conditionView(resource));
        break;
      case "MedicationRequest":
      case "MedicationStatement":
        view.medications.push(medicationView(resource, index));
        break;
      case "AllergyIntolerance":
        view.allergies.push(allergyView(resource));
        break;
      case "Immunization":
        view.immunizations.push(immunizationView(resource));
        break;
      case "Procedure":
        view.procedures.push(procedureView(resource));
        break;
      case "Observation": {
        const obs = observationView(resource);
        if (isPanelOnly(obs, resource)) countOther("Observation");
        else view[observationKind(obs)].push(obs);
        break;
      }
      case "DiagnosticReport": {
        const report = reportView(resource, index);
        view.reports.push(report);
        for (const form of list(resource.presentedForm).filter(isObject)) reportForms.push({ form, report: resource, title: report.display, date: report.date });
        break;
      }
      case "DocumentReference":
        view.documents.push(...docRefDocuments(resource, index, usedBinaries));
        break;
      case "Binary":
        binaries.push(resource);
        break;
      default:
        countOther(resource.resourceType);
    }
  }

  const seenData = new Set(view.documents.map((d) => d.base64).filter((b) => b !== undefined));
  for (const { form, report, title, date } of reportForms) {
    const doc = documentView(form, "DiagnosticReport", str(form.title) ?? title, date, index, report, usedBinaries);
    if (doc.base64 !== undefined && seenData.has(doc.base64)) continue;
    if (doc.base64 !== undefined) seenData.add(doc.base64);
    view.documents.push(doc);
  }
  for (const binary of binaries) {
    if (usedBinaries.has(binary)) continue;
    const base64 = str(binary.data);
    view.documents.push({
      title: "File",
      fileName: undefined,
      contentType: str(binary.contentType),
      size: base64 === undefined ? undefined : base64ByteLength(base64),
      created: str(binary.meta?.lastUpdated),
      base64,
      url: undefined,
      source: "Binary",
    });
  }

  view.encounters = newestFirst(view.encounters, (e) => e.start);
  view.conditions = newestFirst(view.conditions, (c) => c.onset);
  view.medications = newestFirst(view.medications, (m) => m.authoredOn);
  view.allergies = newestFirst(view.allergies, (a) => a.recordedDate);
  view.immunizations = newestFirst(view.immunizations, (i) => i.date);
  view.procedures = newestFirst(view.procedures, (p) => p.date);
  view.labs = newestFirst(view.labs, (o) => o.date);
  view.vitals = newestFirst(view.vitals, (o) => o.date);
  view.otherObservations = newestFirst(view.otherObservations, (o) => o.date);
  view.reports = newestFirst(view.reports, (r) => r.date);
  view.documents = newestFirst(view.documents, (d) => d.created);
  return view;
}

/** The analytes {@link labTrends} follows. */
export type LabAnalyte = "glucose" | "hba1c" | "cholesterol" | "hdl" | "ldl" | "triglycerides" | "hemoglobin";

/** The analytes {@link labTrends} follows: key, label and the LOINC codes that count for it, in display order. */
export const LAB_TREND_ANALYTES: readonly { code: LabAnalyte; label: string; loinc: readonly string[] }[] = [
  { code: "glucose", label: "Glucose", loinc: ["2339-0", "2345-7"] },
  { code: "hba1c", label: "HbA1c", loinc: ["4548-4"] },
  { code: "cholesterol", label: "Total cholesterol", loinc: ["2093-3"] },
  { code: "hdl", label: "HDL cholesterol", loinc: ["2085-9"] },
  { code: "ldl", label: "LDL cholesterol", loinc: ["18262-6", "2089-1"] },
  { code: "triglycerides", label: "Triglycerides", loinc: ["2571-8"] },
  { code: "hemoglobin", label: "Haemoglobin", loinc: ["718-7"] },
];

/** One point of a {@link LabTrend}. */
export interface LabTrendPoint {
  /** The observation's effective date (ISO 8601, as written). */
  date: string;
  /** The value, in the series' `unit`. */
  value: number;
}

/** The time series of one analyte across records. */
export interface LabTrend {
  /** Analyte key, e.g. `"hba1c"`. */
  code: LabAnalyte;
  /** Label for display, e.g. "HbA1c". */
  label: string;
  /** The LOINC codes that count for this analyte, e.g. `["2339-0", "2345-7"]` for glucose. */
  loinc: readonly string[];
  /** Unit of every point as shown (`Quantity.unit`, else its UCUM code), e.g. `"mg/dL"`, `"%"`. */
  unit: string;
  /** Points sorted by date, oldest first (at least one). */
  points: LabTrendPoint[];
  /** Points left out because their unit differs from the unit of the series' earliest point. */
  skippedUnits: number;
}

const ANALYTE_BY_LOINC: ReadonlyMap<string, (typeof LAB_TREND_ANALYTES)[number]> = new Map(
  LAB_TREND_ANALYTES.flatMap((a) => a.loinc.map((code) => [code, a] as const)),
);

/** The record categories whose records can hold the analytes {@link labTrends} charts: lab, general and vital signs. */
export const LAB_TREND_CATEGORIES: readonly RecordCategory[] = [RecordCategory.Lab, RecordCategory.General, RecordCategory.VitalSigns];

/**
 * Time series of glucose (LOINC 2339-0, 2345-7), HbA1c (4548-4), total cholesterol (2093-3),
 * HDL (2085-9), LDL (18262-6, 2089-1), triglycerides (2571-8) and haemoglobin (718-7) across
 * many records.
 *
 * A point is an Observation with one of these LOINC codes, a numeric `valueQuantity` without
 * comparator and an effective date (`effectiveDateTime`, `effectiveInstant`,
 * `effectivePeriod.start`, else `issued`). The same Observation (`Observation/id`) found in
 * several records counts once. Within a series the unit of the earliest point wins (compared
 * by UCUM code, else unit text); points in another unit are skipped and counted in
 * `skippedUnits` (no unit conversion is attempted). Inputs that are not FHIR resources are
 * ignored.
 *
 * @param records - Parsed JSON of decrypted records (untrusted), as for {@link buildRecordView}.
 * @returns One series per analyte with at least one point, in {@link LAB_TREND_ANALYTES} order.
 * @example
 * ```ts
 * const trends = labTrends(records.map((r) => JSON.parse(r.plaintext)));
 * // [{ code: "hba1c", label: "HbA1c", unit: "%", points: [{ date: "2012-05-01", value: 6.1 }, ...], ... }]
 * ```
 */
export function labTrends(records: readonly unknown[]): LabTrend[] {
  const raw = new Map<LabAnalyte, { date: string; key: number; value: number; unitKey: string | undefined; unit: string | undefined; order: number }[]>();
  const seen = new Set<string>();
  let order = 0;
  for (const record of records) {
    if (!isResource(record)) continue;
    for (const { resource } of collectEntries(record)) {
      if (resource.resourceType !== "Observation") continue;
      const loinc = loincCode(resource.code);
      const analyte = loinc === undefined ? undefined : ANALYTE_BY_LOINC.get(loinc);
      const q = isObject(resource.valueQuantity) ? resource.valueQuantity : undefined;
      const value = num(q?.value);
      const date = str(resource.effectiveDateTime) ?? str(resource.effectiveInstant) ?? periodStart(resource.effectivePeriod) ?? str(resource.issued);
      const key = dateKey(date);
      if (analyte === undefined || value === undefined || str(q?.comparator) !== undefined || date === undefined || key === undefined) continue;
      const id = str(resource.id);
      if (id !== undefined) {
        if (seen.has(id)) continue;
        seen.add(id);
      }
      const points = raw.get(analyte.code) ?? [];
      points.push({ date, key, value, unitKey: unitKey(q), unit: quantityUnit(q), order: order++ });
      raw.set(analyte.code, points);
    }
  }
  const trends: LabTrend[] = [];
  for (const analyte of LAB_TREND_ANALYTES) {
    const points = raw.get(analyte.code);
    if (points === undefined || points.length === 0) continue;
    points.sort((a, b) => a.key - b.key || a.order - b.order);
    const first = points[0];
    if (first === undefined) continue;
    const kept = points.filter((p) => p.unitKey === first.unitKey);
    trends.push({
      code: analyte.code,
      label: analyte.label,
      loinc: analyte.loinc,
      unit: first.unit ?? "",
      points: kept.map(({ date, value }) => ({ date, value })),
      skippedUnits: points.length - kept.length,
    });
  }
  return trends;
}

/**
 * Shortens a FHIR date for display, without converting time zones: `YYYY`, `YYYY-MM` and
 * `YYYY-MM-DD` stay as they are; a dateTime becomes `YYYY-MM-DD hh:mm` in the offset it was
 * written in. Anything else is returned unchanged.
 *
 * @param date - A FHIR `date`, `dateTime` or `instant` (ISO 8601).
 * @returns Plain text, e.g. `"2019-03-04 09:12"` for `"2019-03-04T09:12:00-05:00"`.
 */
export function formatFhirDate(date: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(date);
  return m ? `${m[1]} ${m[2]}` : date;
}

/**
 * A measured number for display, without spurious digits: values of magnitude 1 or more are
 * rounded to 3 decimals, smaller ones to 3 significant digits. No grouping separators.
 *
 * @param value - A finite number, e.g. `92.91796756238654`.
 * @returns E.g. `"92.918"`, `"6.3"`, `"0.00531"`, `"-1.5"`.
 */
export function formatNumber(value: number): string {
  const rounded = Math.abs(value) >= 1 ? Math.round(value * 1000) / 1000 : Number(value.toPrecision(3));
  return String(rounded);
}

/**
 * A byte count in words with decimal (SI) prefixes.
 *
 * @param bytes - Size in bytes (non-negative).
 * @returns E.g. `"512 B"`, `"1.2 kB"`, `"3.9 MB"`.
 */
export function formatByteSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB"];
  let value = bytes / 1000;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[i]}`;
}
