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
 * | Medication Summary (required) | 10160-0 | MedicationRequest, MedicationStatement (+ their Medication) |
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
 * ## Where the code is
 * `ips/build.ts` (the builder), `ips/select.ts` (what goes in), `ips/references.ts`
 * (self-contained), `ips/narrative.ts` (sections and narratives), `ips/read.ts` (reading back),
 * `ips/labels.ts` (entry labels, in the words of `format.ts`), `ips/corpus.ts` (the input),
 * `ips/codes.ts` (LOINC and status codes), `ips/types.ts` (options, view, errors).
 *
 * @module
 */

export { buildInternationalPatientSummary } from "./ips/build.ts";
export { isInternationalPatientSummary, summarizeInternationalPatientSummary } from "./ips/read.ts";
export { NotAPatientSummaryError, PatientSummarySubjectError } from "./ips/types.ts";
export type {
  BuildInternationalPatientSummaryErrorType,
  InternationalPatientSummaryOptions,
  InternationalPatientSummaryView,
  PatientSummarySubjectErrorParameters,
} from "./ips/types.ts";
