/**
 * The view model of a decrypted FHIR R4 record (what `buildRecordView` returns): plain
 * text and numbers, ready to show to a person. See `record-view.ts` for the rules every field
 * follows.
 *
 * @module
 */

/** Who the record is about (from the first `Patient` in the record). Identifiers are left out. */
export interface PatientSummary {
  /** Display name: `HumanName.text`, else given names, family name and suffixes (prefixes such as "Mr." dropped). */
  name: string | undefined;
  /** Administrative gender code: `"male"`, `"female"`, `"other"` or `"unknown"`. */
  gender: string | undefined;
  /** Birth date as written (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`). */
  birthDate: string | undefined;
  /**
   * Age in whole years on `options.now`, or at death for a deceased patient with a date; only for a full `YYYY-MM-DD`
   * birth date.
   */
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
  /**
   * Dosage: each `Dosage.text`, else built from dose, timing and "as needed" (e.g. "1 tablet, 2 times per day"); joined
   * with "; ".
   */
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
  /**
   * Text for display: `referenceRange.text`, else built from the limits, e.g. "3.1–6.2 mmol/l", "≥ 40 mg/dL", "≤ 200
   * mg/dL".
   */
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
  /**
   * A non-numeric value as text (coded value, string, boolean as "Yes"/"No", range, ratio, time, period, sampled data
   * summary), or the `dataAbsentReason`.
   */
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
  /**
   * MIME type as recorded, e.g. `"application/pdf"`, `"application/dicom"`, `"text/plain; charset=utf-8"`. Untrusted.
   */
  contentType: string | undefined;
  /** Size in bytes: of the base64 `data` when present, else `Attachment.size`. */
  size: number | undefined;
  /** `Attachment.creation`, else the DocumentReference's date (ISO 8601). */
  created: string | undefined;
  /**
   * The file's bytes, base64-encoded (the same string as in the record; not copied): inline `Attachment.data`, or
   * `Binary.data` of the Binary entry that `Attachment.url` points to.
   */
  base64: string | undefined;
  /**
   * `Attachment.url` when the bytes are not in the record (an external location). Untrusted: show as text, never fetch
   * blindly.
   */
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

/** Options of `buildRecordView`. */
export interface BuildRecordViewOptions {
  /** The date for {@link PatientSummary.age}; default: now. */
  now?: Date;
}
