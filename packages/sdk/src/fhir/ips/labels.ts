/**
 * What an International Patient Summary entry reads as, in its narrative and in
 * `summarizeInternationalPatientSummary`: the same words as the record view, through
 * `../format.ts`. Internal to `fhir/`.
 *
 * @module
 */

import type {
  AllergyIntolerance,
  CodeableConcept,
  Condition,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Resource,
} from "@medplum/fhirtypes";
import { LOINC, conceptText, quantityText } from "../format.ts";
import { str } from "../json.ts";

/** A medication entry of the summary. */
export type MedicationUse = MedicationRequest | MedicationStatement;

/** Finds a resource by literal reference (in the summary's input, or in the document). */
export type ResolveReference = (reference: string) => Resource | undefined;

/** The allergy's substance, else its first reaction's substance. */
export function allergyLabel(allergy: AllergyIntolerance): string {
  return (
    conceptText(allergy.code) ??
    conceptText(allergy.reaction?.find((r) => r.substance)?.substance) ??
    "Allergy or intolerance (substance not coded)"
  );
}

/** The condition's code. */
export function conditionLabel(condition: Condition): string {
  return conceptText(condition.code) ?? "Condition (not coded)";
}

/** The medication's concept: inline, or from the referenced Medication (contained or resolved with `resolve`). */
export function medicationConcept(use: MedicationUse, resolve: ResolveReference): CodeableConcept | undefined {
  if (use.medicationCodeableConcept) return use.medicationCodeableConcept;
  const ref = use.medicationReference?.reference;
  if (ref === undefined) return undefined;
  const target = ref.startsWith("#") ? use.contained?.find((c) => `#${c.id ?? ""}` === ref) : resolve(ref);
  return target?.resourceType === "Medication" ? target.code : undefined;
}

/** The medication's code, else the reference's display. */
export function medicationLabel(use: MedicationUse, resolve: ResolveReference): string {
  return (
    conceptText(medicationConcept(use, resolve)) ??
    str(use.medicationReference?.display)?.trim() ??
    "Medication (not coded)"
  );
}

/** The value of an Observation as text (coded, string, or quantity). */
export function observationValue(observation: Observation): string | undefined {
  if (observation.valueCodeableConcept) return conceptText(observation.valueCodeableConcept);
  if (observation.valueString !== undefined) return str(observation.valueString)?.trim();
  return quantityText(observation.valueQuantity);
}

/** Whether a concept has the LOINC `code`. */
export function hasLoinc(concept: CodeableConcept | undefined, code: string): boolean {
  return concept?.coding?.some((c) => c.system === LOINC && c.code === code) ?? false;
}
