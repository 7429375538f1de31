/**
 * The codes of the International Patient Summary (HL7 IPS IG 1.1 on FHIR R4): the document and
 * section LOINC codes, each section's title and empty-section narratives, and the status codes
 * that decide what is current. Internal to `fhir/`.
 *
 * @module
 */

/** LOINC code of the IPS Composition type, "Patient summary Document". */
export const IPS_DOCUMENT_CODE = "60591-5";
/** LOINC: Allergies and adverse reactions Document. */
export const ALLERGIES_CODE = "48765-2";
/** LOINC: History of Medication use Narrative. */
export const MEDICATIONS_CODE = "10160-0";
/** LOINC: Problem list - Reported. */
export const PROBLEMS_CODE = "11450-4";
/** LOINC: Relevant diagnostic tests/laboratory data Narrative. */
export const RESULTS_CODE = "30954-2";
/** LOINC: ABO and Rh group. */
export const ABO_RH = "882-1";
/** LOINC: ABO group. */
export const ABO = "883-9";
/** LOINC: Rh type. */
export const RH = "10331-7";

/** A Composition section: its title and LOINC code, and what it says when empty. */
export interface SectionSpec {
  title: string;
  code: string;
  display: string;
  /** Narrative of an empty section whose records hold nothing current (`nilknown`). */
  nilknown: string;
  /** Narrative of an empty section whose records hold nothing of the kind (`unavailable`). */
  unavailable: string;
}

/** The Allergies and Intolerances section (required). */
export const ALLERGIES: SectionSpec = {
  title: "Allergies and Intolerances",
  code: ALLERGIES_CODE,
  display: "Allergies and adverse reactions Document",
  nilknown: "No known allergies (no current allergy or intolerance in the records).",
  unavailable: "No allergy information available (the records hold no allergy or intolerance record).",
};
/** The Medication Summary section (required). */
export const MEDICATIONS: SectionSpec = {
  title: "Medication Summary",
  code: MEDICATIONS_CODE,
  display: "History of Medication use Narrative",
  nilknown: "No known current medications (no active prescription or medication statement in the records).",
  unavailable: "No medication information available (the records hold no prescription or medication statement).",
};
/** The Problem List section (required). */
export const PROBLEMS: SectionSpec = {
  title: "Problem List",
  code: PROBLEMS_CODE,
  display: "Problem list - Reported",
  nilknown: "No known current problems (no active condition in the records).",
  unavailable: "No problem information available (the records hold no condition).",
};
/** Title of the Results section (only when a blood group is known). */
export const RESULTS_TITLE = "Results";
/** Display of the Results section's LOINC code. */
export const RESULTS_DISPLAY = "Relevant diagnostic tests/laboratory data Narrative";

/** AllergyIntolerance clinical status codes that leave an allergy out. */
export const INACTIVE_ALLERGY: ReadonlySet<string> = new Set(["inactive", "resolved"]);
/** Condition clinical status codes that put a condition in. */
export const ACTIVE_CONDITION: ReadonlySet<string> = new Set(["active", "recurrence", "relapse"]);
/** Verification status codes that leave an allergy or condition out. */
export const EXCLUDED_VERIFICATION: ReadonlySet<string> = new Set(["refuted", "entered-in-error"]);
/** Observation statuses whose value counts. */
export const FINAL_OBSERVATION: ReadonlySet<string> = new Set(["final", "amended", "corrected"]);
/** Reference targets other than a Patient that `subject` may name. */
export const NON_PATIENT_SUBJECT =
  /(^|\/)(Group|Device|Location|Organization|Practitioner|Medication|Substance|Procedure|PlanDefinition)\/[^/]+$/;
