/**
 * What goes into each section of the International Patient Summary (see `../ips.ts` "What goes
 * in"): the one Patient, the resources about them, and per section the current entries, one
 * per code, latest first. Internal to `fhir/`.
 *
 * @module
 */

import type { AllergyIntolerance, CodeableConcept, Condition, Reference, Resource } from "@medplum/fhirtypes";
import { conceptText, fhirTime } from "../format.ts";
import { referenceKey, resourceDate } from "../resources.ts";
import {
  ABO,
  ABO_RH,
  ACTIVE_CONDITION,
  EXCLUDED_VERIFICATION,
  FINAL_OBSERVATION,
  INACTIVE_ALLERGY,
  NON_PATIENT_SUBJECT,
  RH,
} from "./codes.ts";
import type { Corpus, Item } from "./corpus.ts";
import { contentKey } from "./corpus.ts";
import {
  allergyLabel,
  conditionLabel,
  hasLoinc,
  medicationConcept,
  medicationLabel,
  observationValue,
} from "./labels.ts";
import type { MedicationUse, ResolveReference } from "./labels.ts";
import { PatientSummarySubjectError } from "./types.ts";

/** An entry chosen for a section, with its label and clinical date (ms). */
export interface Selected {
  item: Item;
  label: string;
  date: number | undefined;
}

/** The one Patient of the input and the copies of it (identity → the Patient it is a copy of). */
export interface PatientOfInput {
  patient: Item;
  patientOf: Map<string, Item>;
}

/** The one distinct Patient of the input; copies (same id, or equal content) count as one. */
export function findPatient(corpus: Corpus): PatientOfInput {
  const patients: Item[] = [];
  const patientOf = new Map<string, Item>();
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
  const [patient] = patients;
  if (patients.length !== 1 || patient === undefined) {
    throw new PatientSummarySubjectError({ patientCount: patients.length });
  }
  return { patient, patientOf };
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

const CLINICAL_TYPES: ReadonlySet<string> = new Set([
  "AllergyIntolerance",
  "Condition",
  "MedicationRequest",
  "MedicationStatement",
  "Observation",
]);

/**
 * The clinical resources about the Patient. Those about a Group, Device, ... are left out.
 *
 * @throws {@link PatientSummarySubjectError} when one points at another Patient.
 */
export function resourcesAbout(corpus: Corpus, { patient, patientOf }: PatientOfInput): Item[] {
  const foreign = new Set<string>();
  let foreignResources = 0;
  const aboutPatient = (item: Item): boolean => {
    const ref = subjectOf(item.resource);
    const reference = ref?.reference;
    if (reference === undefined) return true; // no literal reference: nothing says it is someone else
    const target = reference.startsWith("#") ? undefined : corpus.resolveCanonical(reference, item.scope);
    if (target) {
      if (target.resource.resourceType !== "Patient") return false; // a Group, Device, ...
      if (patientOf.get(target.identity) === patient) return true;
      foreign.add(target.identity);
      foreignResources++;
      return false;
    }
    const key = referenceKey(reference) ?? reference;
    if ((ref?.type !== undefined && ref.type !== "Patient") || NON_PATIENT_SUBJECT.test(key)) return false;
    foreign.add(key);
    foreignResources++;
    return false;
  };
  const mine = [...corpus.canonical.values()].filter(
    (i) => CLINICAL_TYPES.has(i.resource.resourceType) && aboutPatient(i),
  );
  if (foreign.size > 0) throw new PatientSummarySubjectError({ patientCount: 1 + foreign.size, foreignResources });
  return mine;
}

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

/**
 * Keeps the latest item per key (later input wins ties); items without a key are all kept. Sorted latest first, then by
 * label.
 */
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

const dateOf = (r: Resource): number | undefined => fhirTime(resourceDate(r));

/** Resolves references from an item's own Bundle first, to the kept copy. */
export function resolverFor(corpus: Corpus, item: Item): ResolveReference {
  return (reference) => corpus.resolveCanonical(reference, item.scope)?.resource;
}

/** Current allergies: not inactive/resolved, not refuted/entered-in-error. */
export function selectAllergies(all: readonly Item[]): Selected[] {
  const current = all.filter((i) => {
    const a = i.resource as AllergyIntolerance;
    return !hasCode(a.clinicalStatus, INACTIVE_ALLERGY) && !hasCode(a.verificationStatus, EXCLUDED_VERIFICATION);
  });
  return latestPerKey(
    current.map((item) => ({
      item,
      label: allergyLabel(item.resource as AllergyIntolerance),
      date: dateOf(item.resource),
    })),
    (s) => conceptKey((s.item.resource as AllergyIntolerance).code),
  );
}

/** Current medications: active requests (not `doNotPerform`) and active statements. */
export function selectMedications(corpus: Corpus, all: readonly Item[]): Selected[] {
  const current = all.filter((i) => {
    const r = i.resource as MedicationUse;
    return r.resourceType === "MedicationRequest"
      ? r.status === "active" && r.doNotPerform !== true
      : r.status === "active";
  });
  return latestPerKey(
    current.map((item) => ({
      item,
      label: medicationLabel(item.resource as MedicationUse, resolverFor(corpus, item)),
      date: dateOf(item.resource),
    })),
    (s) =>
      conceptKey(medicationConcept(s.item.resource as MedicationUse, resolverFor(corpus, s.item))) ??
      `label ${s.label.toLowerCase()}`,
  );
}

/** Current problems: active, recurrence or relapse (or no status and no abatement); not refuted. */
export function selectProblems(all: readonly Item[]): Selected[] {
  const current = all.filter((i) => {
    const c = i.resource as Condition;
    if (hasCode(c.verificationStatus, EXCLUDED_VERIFICATION)) return false;
    if (codes(c.clinicalStatus).length > 0) return hasCode(c.clinicalStatus, ACTIVE_CONDITION);
    return !Object.keys(c).some((k) => k.startsWith("abatement"));
  });
  return latestPerKey(
    current.map((item) => ({ item, label: conditionLabel(item.resource as Condition), date: dateOf(item.resource) })),
    (s) => conceptKey((s.item.resource as Condition).code),
  );
}

/** The latest final "ABO and Rh group", else the latest "ABO group" and "Rh type". */
export function selectBloodGroup(mine: readonly Item[]): Selected[] {
  const latestWith = (code: string): Selected | undefined =>
    latestPerKey(
      mine.flatMap((item) => {
        const o = item.resource;
        if (o.resourceType !== "Observation" || !FINAL_OBSERVATION.has(o.status) || !hasLoinc(o.code, code)) return [];
        const label = observationValue(o);
        return label === undefined ? [] : [{ item, label, date: dateOf(o) }];
      }),
      () => code,
    )[0];
  const combined = latestWith(ABO_RH);
  return combined ? [combined] : [latestWith(ABO), latestWith(RH)].filter((s): s is Selected => s !== undefined);
}

/** The Medications the selected medication entries reference (contained ones travel inside their resource). */
export function referencedMedications(corpus: Corpus, medications: readonly Selected[]): Item[] {
  const out: Item[] = [];
  for (const s of medications) {
    const ref = (s.item.resource as MedicationUse).medicationReference?.reference;
    if (ref === undefined || ref.startsWith("#")) continue;
    const target = corpus.resolveCanonical(ref, s.item.scope);
    if (target?.resource.resourceType === "Medication" && !out.includes(target)) out.push(target);
  }
  return out;
}
