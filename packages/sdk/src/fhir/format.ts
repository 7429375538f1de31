/**
 * How Meridian writes FHIR R4 data types as plain text, in one place: the record view
 * (`view/`), the International Patient Summary (`ips/`), record titles (`split.ts`) and the
 * categoriser (`categorize.ts`) all read codes, names and quantities through this module, so
 * one medication or condition reads the same on every screen. After Medplum's
 * `@medplum/core` `format.ts` (one small formatter per data type), whose `formatHumanName`,
 * `formatQuantity` and `calculateAge` do the work here.
 *
 * Every function takes untrusted JSON: a value of the wrong JSON type reads as absent. Output is
 * plain text (never HTML); dates stay as written, with their own precision and offset.
 *
 * Medplum formatters not used, and why: `formatCodeableConcept` joins every coding ("Asthma
 * (disorder), Asthma"), where a display needs one; `formatDate`/`formatDateTime`/`formatPeriod`
 * convert to the viewer's time zone and locale, where a record shows the time as written (and a
 * server-rendered page must match its client); `formatRange` writes ">= 40" and "3.1 - 6.2",
 * where the view writes "≥ 40" and "3.1–6.2"; `formatTiming` adds locale-dependent times of day.
 *
 * @module
 */

import { calculateAge, formatHumanName, formatQuantity } from "@medplum/core";
import type { CodeableConcept, HumanName, Quantity } from "@medplum/fhirtypes";
import { isObject, isRecord, list, num, str } from "./json.ts";

// ---------------------------------------------------------------------------------------------
// Code systems

/** LOINC, `http://loinc.org`. */
export const LOINC = "http://loinc.org";
/** SNOMED CT, `http://snomed.info/sct`. */
export const SNOMED = "http://snomed.info/sct";
/** UCUM units, `http://unitsofmeasure.org`. */
export const UCUM = "http://unitsofmeasure.org";
/** ISO/IEEE 11073 MDC (medical device communication) codes. */
export const MDC = "urn:oid:2.16.840.1.113883.6.24";
/** HL7 v2 table 0074, diagnostic service section (the R4 `DiagnosticReport.category` code system). */
export const V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074";
/** FHIR R4 observation-category codes. */
export const OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category";
/** Why a list (or a Composition section) is empty: `nilknown`, `unavailable`, .... */
export const LIST_EMPTY_REASON = "http://terminology.hl7.org/CodeSystem/list-empty-reason";
/** The identifier system of URIs (RFC 3986), e.g. for a `urn:uuid:` identifier. */
export const URI_SYSTEM = "urn:ietf:rfc:3986";

// ---------------------------------------------------------------------------------------------
// SNOMED CT semantic tags

/**
 * The semantic tags of the SNOMED CT International Edition (SNOMED CT Editorial Guide,
 * "Semantic tags"), one per line of the hierarchies: the part in parentheses at the end of a
 * fully specified name, e.g. "Asthma (disorder)". Displays drop them ({@link stripSemanticTag}).
 */
export const SNOMED_SEMANTIC_TAGS: readonly string[] = [
  // Clinical finding, procedure, situation, event, observable entity
  "disorder",
  "finding",
  "procedure",
  "regime/therapy",
  "situation",
  "event",
  "observable entity",
  // Body structure, organism, substance, specimen, physical object and force
  "body structure",
  "morphologic abnormality",
  "cell",
  "cell structure",
  "organism",
  "substance",
  "specimen",
  "physical object",
  "physical force",
  // Pharmaceutical / biologic product
  "product",
  "medicinal product",
  "medicinal product form",
  "clinical drug",
  // Qualifier value
  "qualifier value",
  "administration method",
  "basic dose form",
  "disposition",
  "dose form",
  "intended site",
  "number",
  "product name",
  "release characteristic",
  "role",
  "state of matter",
  "transformation",
  "supplier",
  "unit of presentation",
  // Environment, social context, record artifact, staging and scales
  "environment",
  "environment / location",
  "geographic location",
  "social concept",
  "ethnic group",
  "life style",
  "occupation",
  "person",
  "racial group",
  "religion/philosophy",
  "record artifact",
  "assessment scale",
  "staging scale",
  "tumor staging",
  // Model component and special concepts
  "attribute",
  "core metadata concept",
  "foundation metadata concept",
  "link assertion",
  "linkage concept",
  "namespace concept",
  "OWL metadata concept",
  "inactive concept",
  "navigational concept",
];

const SEMANTIC_TAG = new RegExp(
  String.raw`\s+\((?:${SNOMED_SEMANTIC_TAGS.map((t) => t.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|")})\)$`,
);

/**
 * A display without its SNOMED CT semantic tag: "Asthma (disorder)" → "Asthma". Only the tags
 * of {@link SNOMED_SEMANTIC_TAGS}, only at the end; other parentheses stay ("Insulin (human)").
 *
 * @param label - A display string, e.g. a `Coding.display` or `CodeableConcept.text`.
 * @returns The label, trimmed, without the tag.
 */
export function stripSemanticTag(label: string): string {
  return label.trim().replace(SEMANTIC_TAG, "");
}

// ---------------------------------------------------------------------------------------------
// Codes

/**
 * The display of a CodeableConcept: `text`, else the first coding's `display`, else the first
 * coding's `code`, trimmed and without a SNOMED CT semantic tag.
 *
 * @param concept - A CodeableConcept (untrusted JSON).
 * @returns E.g. `"Hypertension"` for SNOMED CT 38341003 "Hypertension (disorder)"; `undefined`
 *   when the concept holds no text, display or code.
 */
export function conceptText(concept: CodeableConcept | undefined): string | undefined {
  if (!isObject(concept)) return undefined;
  const codings = list(concept.coding).filter(isObject);
  const label =
    str(concept.text) ??
    codings.map((c) => str(c.display)).find((d) => d !== undefined) ??
    codings.map((c) => str(c.code)).find((c) => c !== undefined);
  return label === undefined ? undefined : stripSemanticTag(label);
}

/**
 * The first code of a CodeableConcept (e.g. `clinicalStatus` → `"active"`), else its `text`.
 *
 * @param concept - A CodeableConcept (untrusted JSON).
 */
export function conceptCode(concept: CodeableConcept | undefined): string | undefined {
  if (!isObject(concept)) return undefined;
  const code = list(concept.coding)
    .filter(isObject)
    .map((c) => str(c.code))
    .find((c) => c !== undefined);
  return code ?? str(concept.text);
}

/**
 * The first code of a CodeableConcept in one code system.
 *
 * @param concept - A CodeableConcept (untrusted JSON).
 * @param system - The code system URL, e.g. {@link LOINC}.
 * @returns E.g. `"2339-0"` for a glucose Observation's `code` and {@link LOINC}.
 */
export function codeInSystem(concept: CodeableConcept | undefined, system: string): string | undefined {
  if (!isObject(concept)) return undefined;
  return list(concept.coding)
    .filter(isObject)
    .map((c) => (c.system === system ? str(c.code) : undefined))
    .find((c) => c !== undefined);
}

// ---------------------------------------------------------------------------------------------
// Names

/** Options of {@link humanNameText}. */
export interface HumanNameTextOptions {
  /** Keep prefixes such as "Dr." (for practitioners); default `false` (patients). */
  prefix?: boolean;
}

/**
 * A person's name from `Patient.name`/`Practitioner.name`: the `official` name, else the first
 * that is not `old`, else the first; its `text`, else given names, family name and suffixes
 * (Medplum's `formatHumanName`), with prefixes only when asked.
 *
 * @param names - The HumanName list (untrusted JSON).
 * @param options - `prefix`: keep prefixes such as "Dr." (default `false`).
 * @returns E.g. `"Ada M. Lovelace"`; `undefined` when no name part is a string.
 */
export function humanNameText(names: HumanName[] | undefined, options: HumanNameTextOptions = {}): string | undefined {
  const all = list(names).filter(isObject);
  const name = all.find((n) => n.use === "official") ?? all.find((n) => n.use !== "old") ?? all[0];
  if (name === undefined) return undefined;
  const text = str(name.text);
  if (text !== undefined) return text.trim();
  const strings = (values: string[] | undefined): string[] => list(values).flatMap((v) => str(v) ?? []);
  const family = str(name.family);
  const clean: HumanName = { prefix: strings(name.prefix), given: strings(name.given), suffix: strings(name.suffix) };
  if (family !== undefined) clean.family = family;
  return str(formatHumanName(clean, { prefix: options.prefix === true }));
}

// ---------------------------------------------------------------------------------------------
// Quantities

/**
 * The unit of a Quantity as shown: `unit`, else its `code`.
 *
 * @param q - A Quantity (untrusted JSON).
 * @returns E.g. `"mg/dL"`.
 */
export function quantityUnit(q: Quantity | undefined): string | undefined {
  return isObject(q) ? (str(q.unit) ?? str(q.code)) : undefined;
}

/**
 * A Quantity as text with Medplum's `formatQuantity`: comparator, value and unit
 * ({@link quantityUnit}).
 *
 * @param q - A Quantity (untrusted JSON).
 * @returns E.g. `"52 years"`, `"< 5 mg/dL"`, `"6.1%"`; `undefined` without a numeric value.
 */
export function quantityText(q: Quantity | undefined): string | undefined {
  if (!isObject(q)) return undefined;
  const value = num(q.value);
  if (value === undefined) return undefined;
  const clean: Quantity = { value };
  const comparator = str(q.comparator);
  const unit = quantityUnit(q);
  if (comparator !== undefined) clean.comparator = comparator as NonNullable<Quantity["comparator"]>;
  if (unit !== undefined) clean.unit = unit;
  return formatQuantity(clean);
}

// ---------------------------------------------------------------------------------------------
// Dates and numbers

/** The `start` (else `end`) of a Period-shaped value (untrusted JSON), as written. */
export function periodStart(value: unknown): string | undefined {
  return isRecord(value) ? (str(value["start"]) ?? str(value["end"])) : undefined;
}

/** The `end` of a Period-shaped value (untrusted JSON), as written. */
export function periodEnd(value: unknown): string | undefined {
  return isRecord(value) ? str(value["end"]) : undefined;
}

/**
 * Milliseconds since the epoch of a FHIR `date`, `dateTime` or `instant`, for sorting and
 * comparing; partial dates (`YYYY`, `YYYY-MM`) count as their first day.
 *
 * @param date - ISO 8601 as written in a resource.
 * @returns `undefined` for a missing or unparseable date.
 */
export function fhirTime(date: string | undefined): number | undefined {
  if (typeof date !== "string") return undefined;
  const full = /^\d{4}$/.test(date) ? `${date}-01-01` : /^\d{4}-\d{2}$/.test(date) ? `${date}-01` : date;
  const t = Date.parse(full);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Age in whole years (Medplum's `calculateAge`) between a full birth date and the calendar
 * date of `at` as written (no time-zone conversion).
 *
 * @param birthDate - `YYYY-MM-DD`; a partial date (`YYYY`, `YYYY-MM`) gives `undefined`.
 * @param at - A FHIR `date`/`dateTime`, e.g. the date of death or now as ISO 8601.
 * @returns Whole years, or `undefined` when either date is partial, invalid or `at` is before birth.
 */
export function ageInYears(birthDate: string, at: string): number | undefined {
  const day = /^(\d{4}-\d{2}-\d{2})/.exec(at)?.[1];
  if (!/^\d{4}-\d{2}-\d{2}$/.test(birthDate) || day === undefined) return undefined;
  const { years } = calculateAge(birthDate, day);
  return Number.isInteger(years) && years >= 0 ? years : undefined;
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
