/**
 * Reading an International Patient Summary back: recognising one (from Meridian or another
 * producer) and listing what it says for the UI and the CLI, in the words of `labels.ts`.
 *
 * @module
 */

import type { Bundle, Composition, Observation, Resource } from "@medplum/fhirtypes";
import { LOINC, fhirTime, humanNameText } from "../format.ts";
import { str } from "../json.ts";
import { EntryIndex, resourceDate } from "../resources.ts";
import {
  ABO,
  ABO_RH,
  ALLERGIES_CODE,
  IPS_DOCUMENT_CODE,
  MEDICATIONS_CODE,
  PROBLEMS_CODE,
  RESULTS_CODE,
  RH,
} from "./codes.ts";
import { allergyLabel, conditionLabel, hasLoinc, medicationLabel, observationValue } from "./labels.ts";
import { NotAPatientSummaryError } from "./types.ts";
import type { InternationalPatientSummaryView } from "./types.ts";

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
  return (
    Array.isArray(coding) &&
    coding.some((c: unknown) => {
      const k = c as { system?: unknown; code?: unknown } | null;
      return k !== null && typeof k === "object" && k.system === LOINC && k.code === IPS_DOCUMENT_CODE;
    })
  );
}

/** The Results section's Observations with their panel members (`hasMember`), each once. */
function resultObservations(
  section: Resource[],
  resolve: (reference: string | undefined) => Resource | undefined,
): Observation[] {
  const observations: Observation[] = [];
  const queue = [...section];
  for (let n = 0; queue.length > 0 && n < 1000; n++) {
    const r = queue.shift() as Resource;
    if (r.resourceType !== "Observation" || observations.includes(r)) continue;
    observations.push(r);
    for (const m of r.hasMember ?? []) {
      const member = resolve(m.reference);
      if (member) queue.push(member);
    }
  }
  return observations;
}

/** The blood group of the Results section: the latest 882-1, else the latest 883-9 and 10331-7 joined by a space. */
function readBloodGroup(
  section: Resource[],
  resolve: (reference: string | undefined) => Resource | undefined,
): string | undefined {
  const observations = resultObservations(section, resolve);
  const latestValue = (code: string): string | undefined => {
    let best: { value: string; t: number } | undefined;
    for (const o of observations) {
      const value = hasLoinc(o.code, code) ? observationValue(o) : undefined;
      if (value === undefined) continue;
      const t = fhirTime(resourceDate(o)) ?? -Infinity;
      if (!best || t >= best.t) best = { value, t };
    }
    return best?.value;
  };
  return latestValue(ABO_RH) ?? str([latestValue(ABO), latestValue(RH)].filter((v) => v !== undefined).join(" "));
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
    allergies: sectionResources(ALLERGIES_CODE).flatMap((r) =>
      r.resourceType === "AllergyIntolerance" ? [allergyLabel(r)] : [],
    ),
    medications: sectionResources(MEDICATIONS_CODE).flatMap((r) =>
      r.resourceType === "MedicationRequest" || r.resourceType === "MedicationStatement"
        ? [medicationLabel(r, resolve)]
        : [],
    ),
    problems: sectionResources(PROBLEMS_CODE).flatMap((r) =>
      r.resourceType === "Condition" ? [conditionLabel(r)] : [],
    ),
    date: composition.date ?? bundle.timestamp ?? "",
  };

  const patient = resolve(composition.subject?.reference);
  if (patient?.resourceType === "Patient") {
    const name = humanNameText(patient.name);
    if (name !== undefined) view.patientName = name;
    if (patient.birthDate !== undefined) view.birthDate = patient.birthDate;
  }

  const bloodGroup = readBloodGroup(sectionResources(RESULTS_CODE), resolve);
  if (bloodGroup !== undefined) view.bloodGroup = bloodGroup;
  return view;
}
