/**
 * View model of a decrypted FHIR R4 record, for showing it to a person (the web app's record
 * page, and any other client, so every screen reads a record the same way).
 *
 * {@link buildRecordView} turns one record (parsed JSON: a `Bundle`, possibly holding a nested
 * `document` Bundle, or a single resource) into plain-text sections: patient summary,
 * encounters, conditions, medications, allergies, immunizations, procedures, lab results,
 * vital signs, diagnostic reports and downloadable documents. `labTrends` (`lab-trends.ts`) gathers the
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
 *   `"2019-03-04T09:12:00-05:00"`); `formatFhirDate` (`../format.ts`) makes them shorter for display.
 * - Lists are sorted newest first (by their main date); undated items come last, in record order.
 *
 * @module
 */

import type { Attachment, Binary, DiagnosticReport, Resource } from "@medplum/fhirtypes";
import { NotFhirRecordError } from "../errors.ts";
import { fhirTime } from "../format.ts";
import { isObject, list, str } from "../json.ts";
import { binaryDocument, docRefDocuments, documentView, reportView } from "./documents.ts";
import { ReferenceIndex, collectEntries, isResource } from "./entries.ts";
import { isPanelOnly, observationKind, observationView } from "./observations.ts";
import {
  allergyView,
  conditionView,
  encounterView,
  immunizationView,
  medicationView,
  patientSummary,
  procedureView,
} from "./sections.ts";
import type { BuildRecordViewOptions, FhirRecordView } from "./types.ts";

/** A `DiagnosticReport.presentedForm`, listed after the DocumentReferences' files. */
interface ReportForm {
  form: Attachment;
  report: DiagnosticReport;
  title: string | undefined;
  date: string | undefined;
}

/** The view under construction, with what is listed once every resource has been seen. */
interface Builder {
  view: FhirRecordView;
  index: ReferenceIndex;
  now: Date;
  usedBinaries: Set<Resource>;
  reportForms: ReportForm[];
  binaries: Binary[];
}

function emptyView(): FhirRecordView {
  return {
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
}

function countOther(view: FhirRecordView, type: string): void {
  view.other[type] = (view.other[type] ?? 0) + 1;
}

/** Adds one resource to its section (or counts it in `other`). */
function addResource(b: Builder, resource: Resource): void {
  const { view, index } = b;
  switch (resource.resourceType) {
    case "Patient":
      if (view.patient === undefined) view.patient = patientSummary(resource, b.now);
      else countOther(view, "Patient");
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
      if (isPanelOnly(obs, resource)) countOther(view, "Observation");
      else view[observationKind(obs)].push(obs);
      break;
    }
    case "DiagnosticReport": {
      const report = reportView(resource, index);
      view.reports.push(report);
      for (const form of list(resource.presentedForm).filter(isObject)) {
        b.reportForms.push({ form, report: resource, title: report.display, date: report.date });
      }
      break;
    }
    case "DocumentReference":
      view.documents.push(...docRefDocuments(resource, index, b.usedBinaries));
      break;
    case "Binary":
      b.binaries.push(resource);
      break;
    default:
      countOther(view, resource.resourceType);
  }
}

/** Lists the reports' files (skipping copies of a file already listed), then the Binaries nothing points to. */
function addRemainingDocuments(b: Builder): void {
  const { view } = b;
  const seenData = new Set(view.documents.map((d) => d.base64).filter((d) => d !== undefined));
  for (const { form, report, title, date } of b.reportForms) {
    const doc = documentView(form, "DiagnosticReport", str(form.title) ?? title, date, b.index, report, b.usedBinaries);
    if (doc.base64 !== undefined && seenData.has(doc.base64)) continue;
    if (doc.base64 !== undefined) seenData.add(doc.base64);
    view.documents.push(doc);
  }
  for (const binary of b.binaries) if (!b.usedBinaries.has(binary)) view.documents.push(binaryDocument(binary));
}

/** Sorts newest first by `date`; undated items last; stable. */
function newestFirst<T>(items: T[], date: (item: T) => string | undefined): T[] {
  const keyed = items.map((item, i) => ({ item, i, key: fhirTime(date(item)) }));
  keyed.sort((a, b) => {
    if (a.key === undefined || b.key === undefined) {
      return a.key === b.key ? a.i - b.i : a.key === undefined ? 1 : -1;
    }
    return b.key - a.key || a.i - b.i;
  });
  return keyed.map((k) => k.item);
}

function sortNewestFirst(view: FhirRecordView): void {
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
}

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
  const entries = collectEntries(record);
  const b: Builder = {
    view: emptyView(),
    index: new ReferenceIndex(entries),
    now: options.now ?? new Date(),
    usedBinaries: new Set(),
    reportForms: [],
    binaries: [],
  };
  for (const { resource } of entries) addResource(b, resource);
  addRemainingDocuments(b);
  sortNewestFirst(b.view);
  return b.view;
}
