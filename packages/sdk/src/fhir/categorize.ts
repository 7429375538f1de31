/**
 * Choosing a record's {@link RecordCategory} from the FHIR R4 resources it holds. The category
 * is what a category-scoped grant covers, so the rules favour the most specific evidence.
 *
 * ## Precedence (first rule that matches wins)
 * Context resources are ignored throughout: Patient, Encounter, Organization, Practitioner,
 * PractitionerRole, Location, HealthcareService, Endpoint, Medication, Substance, Claim,
 * ExplanationOfBenefit, Coverage, Provenance, AuditEvent and Binary (the content of a
 * DocumentReference). Resources inside a nested Bundle (a FHIR document) are counted too.
 *
 * 1. No clinical resource left, or a Composition (a FHIR document such as an International
 *    Patient Summary spans categories): **General**.
 * 2. **Imaging** if any: ImagingStudy; DiagnosticReport with an imaging category (HL7 v2-0074
 *    RAD, CT, NMR, NMS, RUS, OUS, VUS, RX, XRC; LOINC LP29684-5 Radiology) or with `imagingStudy`;
 *    DocumentReference/Media with DICOM content (`application/dicom`, DICOM PS3.10).
 * 3. **Cardiac** if any: Observation with an ECG or cardiac LOINC code (11524-6 EKG study,
 *    8601-7, 8625-6, 8633-0, 8634-8, 8636-3, 10230-1 LVEF, ...), an IEEE 11073 MDC ECG code, or
 *    ECG waveform (`SampledData` with an ECG code/text); heart rate 8867-4 only when measured
 *    by ECG (method/device mentions ECG) or not filed as a vital sign; DiagnosticReport with a
 *    cardiology category (v2-0074 EC, CUS, CTH; LOINC LP29708-2) or an ECG code; Procedure of
 *    ECG or echocardiography; Condition with a cardiac SNOMED CT code (atrial fibrillation
 *    49436004, heart failure 84114007/88805009/42343007, myocardial infarction 22298006, ...).
 * 4. **Lab** if laboratory resources are at least half of the clinical resources: Observation
 *    with category `laboratory` (or, without a category, a common LOINC lab code such as glucose
 *    2339-0 or hemoglobin 718-7), DiagnosticReport with a lab category (v2-0074 LAB, HM, CH, MB,
 *    PAT, SP, ...; LOINC LP7839-6 Pathology) or a LOINC lab panel code (lipid 57698-3, CBC
 *    58410-2, ...), and Specimen.
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

import type {
  Attachment,
  CodeableConcept,
  Coding,
  Condition,
  DiagnosticReport,
  DocumentReference,
  Observation,
  Procedure,
  Resource,
} from "@medplum/fhirtypes";
import { RecordCategory } from "../categories.ts";

const LOINC = "http://loinc.org";
const SNOMED = "http://snomed.info/sct";
const MDC = "urn:oid:2.16.840.1.113883.6.24";
const V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074";

/** Resource types that give context (who, where, billing, provenance) but no category of their own. */
const CONTEXT_TYPES: ReadonlySet<string> = new Set([
  "Patient", "Encounter", "Organization", "Practitioner", "PractitionerRole", "Location", "HealthcareService",
  "Endpoint", "Medication", "Substance", "Claim", "ExplanationOfBenefit", "Coverage", "Provenance", "AuditEvent",
  "Binary", "Bundle",
]);

const V2_IMAGING = new Set(["RAD", "CT", "NMR", "NMS", "RUS", "OUS", "VUS", "RX", "XRC"]);
const V2_CARDIAC = new Set(["EC", "CUS", "CTH"]);
const V2_LAB = new Set([
  "LAB", "BG", "BLB", "CG", "CH", "CP", "GE", "HM", "IMM", "MB", "MCB", "MYC", "OSL", "PAT", "SP", "SR", "TX", "URN", "VR",
]);
const LOINC_RADIOLOGY = "LP29684-5";
const LOINC_CARDIOLOGY = "LP29708-2";
const LOINC_PATHOLOGY = "LP7839-6";

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

/** Common LOINC laboratory codes, for Observations that carry no category. */
const LAB_LOINC = new Set([
  "2339-0", "2345-7", "15074-8", // glucose
  "4548-4", // HbA1c
  "2093-3", "35200-5", // cholesterol
  "2085-9", // HDL
  "18262-6", "13457-7", "2089-1", // LDL
  "2571-8", "35217-9", "3043-7", // triglycerides
  "718-7", "789-8", "4544-3", "787-2", "785-6", "786-4", "777-3", "6690-2", "788-0", "21000-5", "32623-1", // CBC
  "2160-0", "38483-4", "33914-3", "3094-0", "6299-2", // renal
  "2951-2", "2823-3", "2075-0", "2028-9", "17861-6", "49765-1", // electrolytes
  "1742-6", "1920-8", "6768-6", "1975-2", "2885-2", "1751-7", // liver
  "5902-2", "6301-6", "3016-3", "3024-7", // coagulation, thyroid
  "20570-8", "26464-8", "26515-7", // hematocrit, leukocytes, platelets
]);
/** LOINC lab panel codes (DiagnosticReport.code or panel Observation.code). */
const LAB_PANEL_LOINC = new Set([
  "57698-3", "24331-1", // lipid panel
  "58410-2", "57021-8", "57782-5", // CBC
  "24323-8", // comprehensive metabolic panel
  "51990-0", "24320-4", // basic metabolic panel
  "24362-6", // renal function panel
  "24325-3", // hepatic function panel
  "24356-8", // urinalysis complete
  "5778-6", "5767-9", "5811-5", "5804-0", "5794-3", "25428-4", "20454-5", "33903-6", "5802-4", "5799-2", // urinalysis
]);
/** LOINC vital-sign codes (FHIR R4 vital signs profile), for Observations that carry no category. */
const VITAL_LOINC = new Set([
  "85353-1", "9279-1", "8867-4", "2708-6", "59408-5", "8310-5", "8302-2", "9843-4", "29463-7", "39156-5",
  "85354-9", "8480-6", "8462-4", "8287-5", "3141-9", "8306-3", "77606-2", "59576-9", "8289-1",
]);

const ECG_TEXT = /\b(ecg|ekg|electrocardiogra)/i;

function codings(concepts: CodeableConcept | CodeableConcept[] | undefined): Coding[] {
  if (!concepts) return [];
  const list = Array.isArray(concepts) ? concepts : [concepts];
  return list.flatMap((c) => c.coding ?? []);
}

function hasCode(concepts: CodeableConcept | CodeableConcept[] | undefined, system: string, codes: ReadonlySet<string>): boolean {
  return codings(concepts).some((c) => c.system === system && c.code !== undefined && codes.has(c.code));
}

function conceptText(concepts: CodeableConcept | CodeableConcept[] | undefined): string {
  if (!concepts) return "";
  const list = Array.isArray(concepts) ? concepts : [concepts];
  return list.map((c) => [c.text ?? "", ...(c.coding ?? []).map((k) => k.display ?? "")].join(" ")).join(" ");
}

function observationCategory(o: Observation): Set<string> {
  return new Set(codings(o.category).map((c) => c.code ?? ""));
}

function isEcgCode(concept: CodeableConcept | undefined): boolean {
  if (hasCode(concept, LOINC, CARDIAC_LOINC)) return true;
  // IEEE 11073 MDC: ECG partition codes (MDC_ECG_*), 131072..131839.
  if (codings(concept).some((c) => c.system === MDC && Number(c.code) >= 131072 && Number(c.code) <= 131839)) return true;
  return ECG_TEXT.test(conceptText(concept));
}

function isCardiacObservation(o: Observation): boolean {
  if (isEcgCode(o.code)) return true;
  if (hasCode(o.code, LOINC, HEART_RATE)) {
    const byEcg = ECG_TEXT.test(conceptText(o.method)) || ECG_TEXT.test(o.device?.display ?? "");
    if (byEcg || !observationCategory(o).has("vital-signs")) return true;
  }
  const waveform = o.valueSampledData !== undefined || (o.component ?? []).some((c) => c.valueSampledData !== undefined);
  if (waveform && (o.component ?? []).some((c) => isEcgCode(c.code))) return true;
  return false;
}

function isCardiacReport(r: DiagnosticReport): boolean {
  if (hasCode(r.category, V2_0074, V2_CARDIAC)) return true;
  if (codings(r.category).some((c) => c.code === LOINC_CARDIOLOGY)) return true;
  return isEcgCode(r.code);
}

function isImagingReport(r: DiagnosticReport): boolean {
  if (r.imagingStudy?.length) return true;
  if (hasCode(r.category, V2_0074, V2_IMAGING)) return true;
  return codings(r.category).some((c) => c.code === LOINC_RADIOLOGY || c.code === "imaging");
}

function isLabReport(r: DiagnosticReport): boolean {
  if (hasCode(r.category, V2_0074, V2_LAB)) return true;
  if (codings(r.category).some((c) => c.code === LOINC_PATHOLOGY || c.code === "laboratory")) return true;
  return hasCode(r.code, LOINC, LAB_PANEL_LOINC);
}

function isNoteReport(r: DiagnosticReport): boolean {
  return (r.presentedForm?.length ?? 0) > 0 && !(r.result?.length);
}

function isDicom(attachment: Attachment | undefined): boolean {
  return attachment?.contentType?.toLowerCase().startsWith("application/dicom") ?? false;
}

function isLabObservation(o: Observation): boolean {
  const category = observationCategory(o);
  if (category.has("laboratory")) return true;
  if (category.size > 0) return false;
  return hasCode(o.code, LOINC, LAB_LOINC) || hasCode(o.code, LOINC, LAB_PANEL_LOINC);
}

function isVitalObservation(o: Observation): boolean {
  const category = observationCategory(o);
  if (category.size > 0) return category.has("vital-signs");
  return hasCode(o.code, LOINC, VITAL_LOINC);
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
    case "DocumentReference":
      return (r as DocumentReference).content.some((c) => isDicom(c.attachment));
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
      return hasCode((r as Procedure).code, SNOMED, CARDIAC_SNOMED) || ECG_TEXT.test(conceptText((r as Procedure).code));
    case "Condition":
      return hasCode((r as Condition).code, SNOMED, CARDIAC_SNOMED);
    default:
      return false;
  }
}

function isLab(r: Resource): boolean {
  if (r.resourceType === "Observation") return isLabObservation(r);
  if (r.resourceType === "DiagnosticReport") return isLabReport(r);
  return r.resourceType === "Specimen";
}

const MEDICATION_TYPES = new Set(["MedicationRequest", "MedicationAdministration", "MedicationDispense", "MedicationStatement"]);
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
  const labs = clinical.filter(isLab).length;
  if (labs * 2 >= clinical.length) return RecordCategory.Lab;
  const all = (test: (r: Resource) => boolean): boolean => clinical.every(test);
  if (all((r) => r.resourceType === "Observation" && isVitalObservation(r))) return RecordCategory.VitalSigns;
  if (all((r) => r.resourceType === "DocumentReference" || (r.resourceType === "DiagnosticReport" && isNoteReport(r)))) {
    return RecordCategory.Document;
  }
  if (all((r) => MEDICATION_TYPES.has(r.resourceType))) return RecordCategory.Medication;
  if (all((r) => IMMUNIZATION_TYPES.has(r.resourceType))) return RecordCategory.Immunization;
  if (all((r) => r.resourceType === "Procedure")) return RecordCategory.Procedure;
  return RecordCategory.General;
}
