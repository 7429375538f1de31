/**
 * Meridian's FHIR R4 (4.0.1) module: parse and validate patient data, split it into records,
 * categorise them, wrap DICOM/PDF files as records and list sensitive strings for privacy scans.
 *
 * @module
 */

export { parseFhirJson, DEFAULT_MAX_JSON_BYTES } from "./parse.ts";
export type { ParseFhirJsonOptions, ParseFhirJsonErrorType } from "./parse.ts";
export { validateFhirResource, fhirValidationIssues, loadFhirDefinitions, MAX_BASE64_BINARY_BYTES } from "./validate.ts";
export type { FhirDefinitionsLoadTimes, ValidateFhirResourceErrorType } from "./validate.ts";
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
} from "./attachment.ts";
export type {
  AttachmentToRecordOptions,
  AttachmentToRecordErrorType,
  ExtractedAttachment,
  RecordDraftFromFileOptions,
} from "./attachment.ts";
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
  MAX_ISSUES_IN_MESSAGE,
} from "./errors.ts";
export type { FhirValidationIssue } from "./errors.ts";
