/**
 * The public types and errors of the International Patient Summary: the builder's options, the
 * view that `summarizeInternationalPatientSummary` reads back, and the errors both throw. See
 * `../ips.ts` for the standard and the rules.
 *
 * @module
 */

import { MeridianError } from "../../errors.ts";

/** Options of `buildInternationalPatientSummary`. */
export interface InternationalPatientSummaryOptions {
  /** The document's time (`Composition.date`, `Bundle.timestamp`); default: now. Must be a valid Date. */
  now?: Date;
  /** Who or what produced the summary, as `Composition.author[0].display`; default `"Meridian"`. */
  author?: string;
}

/** What `summarizeInternationalPatientSummary` reads back from an IPS document. */
export interface InternationalPatientSummaryView {
  /** The Patient's name (`text`, else given names and family name), when the document has one. */
  patientName?: string;
  /** `Patient.birthDate`, when present. */
  birthDate?: string;
  /** Display text of each Allergies and Intolerances entry, in section order. */
  allergies: string[];
  /** Display text of each Medication Summary entry (the medication), in section order. */
  medications: string[];
  /** Display text of each Problem List entry, in section order. */
  problems: string[];
  /** The blood group from the Results section (e.g. `"Blood group A Rh(D) positive"`), when present. */
  bloodGroup?: string;
  /** `Composition.date` (else `Bundle.timestamp`), FHIR dateTime. */
  date: string;
}

/** Parameters of {@link PatientSummarySubjectError}. */
export interface PatientSummarySubjectErrorParameters {
  /** How many distinct Patients the input holds or its resources point at (0, or 2 and more). */
  patientCount: number;
  /** How many clinical resources point at a Patient other than the one in the input. */
  foreignResources?: number;
}

/**
 * The input of `buildInternationalPatientSummary` does not identify exactly one patient:
 * it holds no Patient, or several distinct Patients, or clinical resources whose
 * `subject`/`patient` points at another Patient. The message gives counts only.
 */
export class PatientSummarySubjectError extends MeridianError {
  override name = "PatientSummarySubjectError" as const;
  /** How many distinct Patients were found (0, or 2 and more). */
  readonly patientCount: number;
  /** How many clinical resources point at another Patient (0 when the input simply has 0 or several Patients). */
  readonly foreignResources: number;

  constructor({ patientCount, foreignResources = 0 }: PatientSummarySubjectErrorParameters) {
    super(
      patientCount === 0
        ? "The input holds no Patient; a patient summary needs exactly 1."
        : `The input concerns ${patientCount} distinct Patients; a patient summary needs exactly 1.`,
      {
        details:
          foreignResources > 0
            ? `${foreignResources} clinical resource${foreignResources === 1 ? "" : "s"} point at another Patient`
            : undefined,
        hint:
          patientCount === 0
            ? "Pass the patient's records together with their Patient resource (every Meridian record carries it)."
            : "Pass one patient's records only; records of different patients must never be merged into one summary.",
      },
    );
    this.patientCount = patientCount;
    this.foreignResources = foreignResources;
  }
}

/**
 * `summarizeInternationalPatientSummary` was given something that is not an IPS document (see
 * `isInternationalPatientSummary`).
 */
export class NotAPatientSummaryError extends MeridianError {
  override name = "NotAPatientSummaryError" as const;

  constructor() {
    super("The Bundle is not an International Patient Summary.", {
      details: "expected a document Bundle whose first entry is a Composition of type LOINC 60591-5",
      hint:
        "Build one with buildInternationalPatientSummary, or pass the summary document itself " +
        "rather than a record that wraps it.",
    });
  }
}

/** The errors `buildInternationalPatientSummary` throws. */
export type BuildInternationalPatientSummaryErrorType = PatientSummarySubjectError | RangeError;
