/**
 * Choosing a record's {@link RecordCategory} from the FHIR R4 resources it holds. The category
 * is what a category-scoped grant covers, so the rules favour the most specific evidence: a
 * patient who shares "lab" must have shared every laboratory result.
 *
 * ## Evidence, per resource
 * The code tables are in `category-codes.ts`.
 * - **DiagnosticReport.category** and **Observation.category** codes of HL7 v2 table 0074 (all
 *   45 codes mapped: LAB, HM, CH, MB, MCB, SP, CP, BG, BLB, SR, TX, VR, IMM, PAT, URN, ... are
 *   Lab; RAD, CT, NMR, NMS, IMG, RUS, OUS, VUS, RX, XRC are Imaging; EC, CTH, CUS are Cardiac),
 *   FHIR observation-category codes (`laboratory`, `imaging`, `vital-signs`) and LOINC Part
 *   codes (LP7839-6 Pathology, LP29684-5 Radiology, LP29708-2 Cardiology).
 * - **LOINC class** of `code` (a curated table of LOINC codes by class: CHEM, HEM/BC, MICRO,
 *   ABXBACT, CYTO, PATH, PANEL, ... are Lab; RAD is Imaging; EKG/echo codes are Cardiac).
 * - For an Observation or DiagnosticReport with no category: a **`specimen`** (an in-vitro test),
 *   a LOINC **System axis** naming a specimen in the code's display ("... in Serum or Plasma",
 *   "Bld", "Urine"), or an Observation **value in a concentration unit** (mg/dL, mmol/L, U/L,
 *   10*9/L: LOINC properties MCnc/SCnc/CCnc/NCnc) makes it Lab.
 * - Observations that a Lab DiagnosticReport lists in `result`, or a Lab Observation lists in
 *   `hasMember` (a panel), are Lab too.
 *
 * ## Precedence (first rule that matches wins)
 * Context resources are ignored throughout: Patient, Encounter, Organization, Practitioner,
 * PractitionerRole, Location, HealthcareService, Endpoint, Medication, Substance, Claim,
 * ExplanationOfBenefit, Coverage, Provenance, AuditEvent and Binary (the content of a
 * DocumentReference). Resources inside a nested Bundle (a FHIR document) are counted too.
 *
 * 1. No clinical resource left, or a Composition (a FHIR document such as an International
 *    Patient Summary spans categories): **General**.
 * 2. **Imaging** if any: ImagingStudy; DiagnosticReport or Observation with imaging evidence or
 *    with `imagingStudy`; DocumentReference/Media with DICOM content (`application/dicom`, PS3.10).
 * 3. **Cardiac** if any: Observation with an ECG or cardiac LOINC code (11524-6 EKG study,
 *    8601-7, 8625-6, 8633-0, 8634-8, 8636-3, 10230-1 LVEF, ...), an IEEE 11073 MDC ECG code, or
 *    ECG waveform (`SampledData` with an ECG code/text); heart rate 8867-4 only when measured
 *    by ECG (method/device mentions ECG) or not filed as a vital sign; DiagnosticReport with
 *    cardiac evidence or an ECG code; Procedure of ECG or echocardiography; Condition with a
 *    cardiac SNOMED CT code (atrial fibrillation 49436004, heart failure 84114007, ...).
 * 4. **Lab** if laboratory resources (Lab Observations and DiagnosticReports, Specimens) are at
 *    least half of the clinical resources.
 * 5. **VitalSigns** if every clinical resource is a vital-signs Observation (category
 *    `vital-signs`, or a LOINC vital-sign code when there is no category).
 * 6. **Document** if every clinical resource is a DocumentReference, or a DiagnosticReport that
 *    is a note (`presentedForm` and no `result`, as Synthea writes clinical notes).
 * 7. **Medication** if every clinical resource is a MedicationRequest, MedicationAdministration,
 *    MedicationDispense or MedicationStatement.
 * 8. **Immunization** if every clinical resource is an Immunization (or its evaluation/recommendation).
 * 9. **Procedure** if every clinical resource is a Procedure.
 * 10. Otherwise **General**.
 *
 * @module
 */

import type { Attachment, CodeableConcept, Coding, DiagnosticReport, Observation, Resource } from "@medplum/fhirtypes";
import { RecordCategory } from "../categories.ts";
import {
  LOINC_PART_CATEGORY,
  OBSERVATION_CATEGORY_CATEGORY,
  SPECIMEN_TEXT,
  V2_0074_CATEGORY,
  VITAL_SIGN_LOINC,
  isConcentrationUnit,
  loincClassCategory,
} from "./category-codes.ts";
import { LOINC, MDC, OBSERVATION_CATEGORY, SNOMED, V2_0074 } from "./format.ts";

/** Resource types that give context (who, where, billing, provenance) but no category of their own. */
const CONTEXT_TYPES: ReadonlySet<string> = new Set([
  "Patient",
  "Encounter",
  "Organization",
  "Practitioner",
  "PractitionerRole",
  "Location",
  "HealthcareService",
  "Endpoint",
  "Medication",
  "Substance",
  "Claim",
  "ExplanationOfBenefit",
  "Coverage",
  "Provenance",
  "AuditEvent",
  "Binary",
  "Bundle",
]);

/** LOINC codes of ECG and cardiac-function observations. */
const CARDIAC_LOINC = new Set([
  "11524-6", // EKG study
  "8601-7", // EKG impression
  "18844-1", // EKG interpretation
  "8625-6", // P-R interval
  "8633-0", // QRS duration
  "8634-8", // Q-T interval
  "8636-3", // Q-T interval corrected
  "8632-2", // QRS axis
  "8626-4", // P wave axis
  "8638-9", // T wave axis
  "76282-3", // Heart rate.beat-to-beat by EKG
  "10230-1", // Left ventricular ejection fraction
  "18010-0", // Left ventricular ejection fraction by echo (older code)
  "34552-0", // Cardiac echo study
]);
const HEART_RATE: ReadonlySet<string> = new Set(["8867-4"]);

/** SNOMED CT codes of cardiac disorders and ECG/echo procedures. */
const CARDIAC_SNOMED = new Set([
  "49436004", // Atrial fibrillation
  "426749004", // Chronic atrial fibrillation
  "282825002", // Paroxysmal atrial fibrillation
  "5370000", // Atrial flutter
  "698247007", // Cardiac arrhythmia
  "84114007", // Heart failure
  "42343007", // Congestive heart failure
  "88805009", // Chronic congestive heart failure
  "22298006", // Myocardial infarction
  "399211009", // History of myocardial infarction
  "53741008", // Coronary arteriosclerosis / coronary heart disease
  "414545008", // Ischemic heart disease
  "410429000", // Cardiac arrest
  "429007001", // History of cardiac arrest
  "29303009", // Electrocardiographic procedure
  "268400002", // 12 lead electrocardiogram
  "40701008", // Echocardiography
  "433236007", // Transthoracic echocardiography
]);

const ECG_TEXT = /\b(ecg|ekg|electrocardiogra)/i;

function codings(concepts: CodeableConcept | CodeableConcept[] | undefined): Coding[] {
  if (!concepts) return [];
  const list = Array.isArray(concepts) ? concepts : [concepts];
  return list.flatMap((c) => c.coding ?? []);
}

function hasCode(
  concepts: CodeableConcept | CodeableConcept[] | undefined,
  system: string,
  codes: ReadonlySet<string>,
): boolean {
  return codings(concepts).some((c) => c.system === system && c.code !== undefined && codes.has(c.code));
}

function conceptText(concepts: CodeableConcept | CodeableConcept[] | undefined): string {
  if (!concepts) return "";
  const list = Array.isArray(concepts) ? concepts : [concepts];
  return list.map((c) => [c.text ?? "", ...(c.coding ?? []).map((k) => k.display ?? "")].join(" ")).join(" ");
}

/** Whether a coding's system is `system`, or absent (category codes are often sent without one). */
function inSystem(c: Coding, system: string): boolean {
  return c.system === undefined || c.system === system;
}

/**
 * The categories that `category` codes are evidence of (v2-0074, observation-category, LOINC
 * Part codes); codes of other systems are no evidence. `General` in the set means a known code
 * that names no category of ours (e.g. observation-category `survey`).
 */
function categoryEvidence(concepts: CodeableConcept | CodeableConcept[] | undefined): Set<RecordCategory> {
  const out = new Set<RecordCategory>();
  for (const c of codings(concepts)) {
    const code = c.code;
    if (code === undefined) continue;
    const found =
      (inSystem(c, V2_0074) ? V2_0074_CATEGORY[code] : undefined) ??
      (inSystem(c, OBSERVATION_CATEGORY) ? OBSERVATION_CATEGORY_CATEGORY[code] : undefined) ??
      (inSystem(c, LOINC) ? LOINC_PART_CATEGORY[code] : undefined);
    if (found !== undefined) out.add(found);
  }
  return out;
}

/** The categories the LOINC classes of `concept`'s codes are evidence of. */
function loincEvidence(concept: CodeableConcept | undefined): Set<RecordCategory> {
  const out = new Set<RecordCategory>();
  for (const c of codings(concept)) {
    const found = c.system === LOINC && c.code !== undefined ? loincClassCategory(c.code) : undefined;
    if (found !== undefined) out.add(found);
  }
  return out;
}

/** An Observation's known category codes (see {@link categoryEvidence}). */
function observationCategory(o: Observation): Set<RecordCategory> {
  return categoryEvidence(o.category);
}

/** Whether the code names an in-vitro test: a LOINC System axis (specimen) in its text. */
function namesSpecimen(concept: CodeableConcept | undefined): boolean {
  return SPECIMEN_TEXT.test(conceptText(concept));
}

/** Whether an Observation's value (or a component's) is a concentration per volume. */
function hasConcentrationValue(o: Observation): boolean {
  const quantities = [o.valueQuantity, ...(o.component ?? []).map((c) => c.valueQuantity)];
  return quantities.some((q) => q !== undefined && (isConcentrationUnit(q.code) || isConcentrationUnit(q.unit)));
}

function isEcgCode(concept: CodeableConcept | undefined): boolean {
  if (hasCode(concept, LOINC, CARDIAC_LOINC)) return true;
  // IEEE 11073 MDC: ECG partition codes (MDC_ECG_*), 131072..131839.
  if (codings(concept).some((c) => c.system === MDC && Number(c.code) >= 131072 && Number(c.code) <= 131839))
    return true;
  return ECG_TEXT.test(conceptText(concept));
}

function isCardiacObservation(o: Observation): boolean {
  if (observationCategory(o).has(RecordCategory.Cardiac) || isEcgCode(o.code)) return true;
  if (hasCode(o.code, LOINC, HEART_RATE)) {
    const byEcg = ECG_TEXT.test(conceptText(o.method)) || ECG_TEXT.test(o.device?.display ?? "");
    if (byEcg || !observationCategory(o).has(RecordCategory.VitalSigns)) return true;
  }
  const waveform =
    o.valueSampledData !== undefined || (o.component ?? []).some((c) => c.valueSampledData !== undefined);
  if (waveform && (o.component ?? []).some((c) => isEcgCode(c.code))) return true;
  return false;
}

function isCardiacReport(r: DiagnosticReport): boolean {
  if (categoryEvidence(r.category).has(RecordCategory.Cardiac)) return true;
  return isEcgCode(r.code);
}

/** Specific (non-General) categories among `evidence`. */
function specific(evidence: Set<RecordCategory>): Set<RecordCategory> {
  evidence.delete(RecordCategory.General);
  return evidence;
}

function isImagingReport(r: DiagnosticReport): boolean {
  if (r.imagingStudy?.length) return true;
  const evidence = specific(categoryEvidence(r.category));
  if (evidence.size > 0) return evidence.has(RecordCategory.Imaging);
  return loincEvidence(r.code).has(RecordCategory.Imaging);
}

function isLabReport(r: DiagnosticReport): boolean {
  const evidence = specific(categoryEvidence(r.category));
  if (evidence.size > 0) return evidence.has(RecordCategory.Lab);
  if (loincEvidence(r.code).has(RecordCategory.Lab)) return true;
  return (r.specimen?.length ?? 0) > 0 || namesSpecimen(r.code);
}

function isNoteReport(r: DiagnosticReport): boolean {
  return (r.presentedForm?.length ?? 0) > 0 && !r.result?.length;
}

function isDicom(attachment: Attachment | undefined): boolean {
  return attachment?.contentType?.toLowerCase().startsWith("application/dicom") ?? false;
}

function isLabObservation(o: Observation): boolean {
  const category = observationCategory(o);
  if (category.size > 0) return category.has(RecordCategory.Lab);
  const byCode = loincEvidence(o.code);
  if (byCode.size > 0) return byCode.has(RecordCategory.Lab);
  if (hasCode(o.code, LOINC, VITAL_SIGN_LOINC)) return false;
  return o.specimen !== undefined || namesSpecimen(o.code) || hasConcentrationValue(o);
}

function isImagingObservation(o: Observation): boolean {
  const category = observationCategory(o);
  if (category.size > 0) return category.has(RecordCategory.Imaging);
  return loincEvidence(o.code).has(RecordCategory.Imaging);
}

function isVitalObservation(o: Observation): boolean {
  const category = observationCategory(o);
  if (category.size > 0) return category.has(RecordCategory.VitalSigns);
  return hasCode(o.code, LOINC, VITAL_SIGN_LOINC);
}

/** Resources of nested Bundles (FHIR documents) flattened in, context resources dropped. */
function clinicalResources(resources: readonly Resource[]): Resource[] {
  const out: Resource[] = [];
  const visit = (r: Resource, depth: number): void => {
    if (r.resourceType === "Bundle" && depth < 4) {
      for (const e of r.entry ?? []) if (e.resource) visit(e.resource, depth + 1);
    }
    if (!CONTEXT_TYPES.has(r.resourceType)) out.push(r);
  };
  for (const r of resources) visit(r, 0);
  return out;
}

function isImagingEvidence(r: Resource): boolean {
  switch (r.resourceType) {
    case "ImagingStudy":
      return true;
    case "DiagnosticReport":
      return isImagingReport(r);
    case "Observation":
      return isImagingObservation(r);
    case "DocumentReference":
      return r.content.some((c) => isDicom(c.attachment));
    case "Media":
      return isDicom(r.content);
    default:
      return false;
  }
}

function isCardiacEvidence(r: Resource): boolean {
  switch (r.resourceType) {
    case "Observation":
      return isCardiacObservation(r);
    case "DiagnosticReport":
      return isCardiacReport(r);
    case "Procedure":
      return hasCode(r.code, SNOMED, CARDIAC_SNOMED) || ECG_TEXT.test(conceptText(r.code));
    case "Condition":
      return hasCode(r.code, SNOMED, CARDIAC_SNOMED);
    default:
      return false;
  }
}

function isLab(r: Resource): boolean {
  if (r.resourceType === "Observation") return isLabObservation(r);
  if (r.resourceType === "DiagnosticReport") return isLabReport(r);
  return r.resourceType === "Specimen";
}

/** Lookup key of a reference: `urn:uuid:...` as is, else its last `Type/id` segments. */
function referenceKey(reference: string): string {
  if (reference.startsWith("urn:uuid:")) return reference.toLowerCase();
  return reference.split("/").slice(-2).join("/");
}

/**
 * The laboratory resources among `clinical`: those with lab evidence of their own, plus the
 * Observations without a category that a laboratory DiagnosticReport lists in `result` or a
 * laboratory Observation lists in `hasMember` (transitively, within the record).
 */
function laboratoryResources(clinical: readonly Resource[]): Set<Resource> {
  const labs = new Set(clinical.filter(isLab));
  const byKey = new Map<string, Resource>();
  for (const r of clinical) {
    if (r.id === undefined) continue;
    byKey.set(`${r.resourceType}/${r.id}`, r);
    byKey.set(`urn:uuid:${r.id.toLowerCase()}`, r);
  }
  const queue = [...labs];
  while (queue.length > 0) {
    const r = queue.pop() as Resource;
    const linked =
      r.resourceType === "DiagnosticReport" ? r.result : r.resourceType === "Observation" ? r.hasMember : undefined;
    for (const ref of linked ?? []) {
      const target = ref.reference === undefined ? undefined : byKey.get(referenceKey(ref.reference));
      if (target?.resourceType !== "Observation" || labs.has(target) || observationCategory(target).size > 0) continue;
      labs.add(target);
      queue.push(target);
    }
  }
  return labs;
}

const MEDICATION_TYPES = new Set([
  "MedicationRequest",
  "MedicationAdministration",
  "MedicationDispense",
  "MedicationStatement",
]);
const IMMUNIZATION_TYPES = new Set(["Immunization", "ImmunizationEvaluation", "ImmunizationRecommendation"]);

/**
 * The category of a record holding `resources` (FHIR R4 4.0.1), by the precedence documented
 * in this module: Imaging, Cardiac, Lab (at least half), then all-of-one-kind categories
 * (VitalSigns, Document, Medication, Immunization, Procedure), else General.
 *
 * @param resources - The record's resources; context resources (Patient, Encounter, Claim, ...)
 *   are ignored and nested Bundles are looked into.
 * @returns A {@link RecordCategory} code (1..9). Never throws.
 * @example
 * ```ts
 * categorizeResources([encounter, glucoseObservation, lipidReport]) === RecordCategory.Lab
 * ```
 */
export function categorizeResources(resources: readonly Resource[]): RecordCategory {
  const clinical = clinicalResources(resources);
  if (clinical.length === 0 || clinical.some((r) => r.resourceType === "Composition")) return RecordCategory.General;
  if (clinical.some(isImagingEvidence)) return RecordCategory.Imaging;
  if (clinical.some(isCardiacEvidence)) return RecordCategory.Cardiac;
  const labs = laboratoryResources(clinical).size;
  if (labs * 2 >= clinical.length) return RecordCategory.Lab;
  const all = (test: (r: Resource) => boolean): boolean => clinical.every(test);
  if (all((r) => r.resourceType === "Observation" && isVitalObservation(r))) return RecordCategory.VitalSigns;
  if (
    all((r) => r.resourceType === "DocumentReference" || (r.resourceType === "DiagnosticReport" && isNoteReport(r)))
  ) {
    return RecordCategory.Document;
  }
  if (all((r) => MEDICATION_TYPES.has(r.resourceType))) return RecordCategory.Medication;
  if (all((r) => IMMUNIZATION_TYPES.has(r.resourceType))) return RecordCategory.Immunization;
  if (all((r) => r.resourceType === "Procedure")) return RecordCategory.Procedure;
  return RecordCategory.General;
}
