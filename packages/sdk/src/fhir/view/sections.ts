/**
 * The record view's sections other than observations and documents: the patient summary,
 * encounters, conditions, medications, allergies, immunizations and procedures. Each function
 * turns one resource (untrusted JSON) into its view. Internal to `fhir/`.
 *
 * @module
 */

import type {
  AllergyIntolerance,
  CodeableConcept,
  Condition,
  Dosage,
  Encounter,
  Immunization,
  MedicationRequest,
  MedicationStatement,
  Patient,
  Procedure,
  Quantity,
  Reference,
  Resource,
} from "@medplum/fhirtypes";
import {
  ageInYears,
  conceptCode,
  conceptText,
  humanNameText,
  periodEnd,
  periodStart,
  quantityText,
  quantityUnit,
} from "../format.ts";
import { isObject, isRecord, list, num, str, unique } from "../json.ts";
import type { ReferenceIndex } from "./entries.ts";
import { rangeText } from "./observations.ts";
import type {
  AllergyView,
  ConditionView,
  EncounterView,
  ImmunizationView,
  MedicationView,
  PatientSummary,
  ProcedureView,
} from "./types.ts";

export function patientSummary(patient: Patient, now: Date): PatientSummary {
  const birthDate = str(patient.birthDate);
  const deceasedDate = str(patient.deceasedDateTime);
  const deceased = deceasedDate !== undefined || patient.deceasedBoolean === true;
  const addresses = list(patient.address).filter(isObject);
  const address = addresses.find((a) => a.use === "home") ?? addresses[0];
  const at = deceasedDate ?? (deceased ? undefined : now.toISOString());
  return {
    name: humanNameText(patient.name),
    gender: str(patient.gender),
    birthDate,
    age: birthDate !== undefined && at !== undefined ? ageInYears(birthDate, at) : undefined,
    deceased,
    deceasedDate,
    city: str(address?.city),
    state: str(address?.state),
    country: str(address?.country),
  };
}

/** v3 ActCode encounter classes in words. */
const ENCOUNTER_CLASS: Readonly<Record<string, string>> = {
  AMB: "Ambulatory",
  EMER: "Emergency",
  FLD: "Field",
  HH: "Home health",
  IMP: "Inpatient",
  ACUTE: "Inpatient acute",
  NONAC: "Inpatient non-acute",
  OBSENC: "Observation",
  PRENC: "Pre-admission",
  SS: "Short stay",
  VR: "Virtual",
};

function reasons(
  codes: CodeableConcept[] | undefined,
  refs: Reference[] | undefined,
  index: ReferenceIndex,
  owner: Resource,
): string[] {
  return unique([...list(codes).map(conceptText), ...list(refs).map((r) => index.label(r, owner))]);
}

export function encounterView(e: Encounter, index: ReferenceIndex): EncounterView {
  const cls = isObject(e.class)
    ? (str(e.class.display) ?? ENCOUNTER_CLASS[str(e.class.code) ?? ""] ?? str(e.class.code))
    : undefined;
  return {
    type: list(e.type)
      .map(conceptText)
      .find((t) => t !== undefined),
    class: cls,
    status: str(e.status),
    start: periodStart(e.period),
    end: periodEnd(e.period),
    reasons: reasons(e.reasonCode, e.reasonReference, index, e),
    organization: index.label(e.serviceProvider, e),
    practitioners: unique(
      list(e.participant)
        .filter(isObject)
        .map((p) => index.label(p.individual, e)),
    ),
    location: list(e.location)
      .filter(isObject)
      .map((l) => index.label(l.location, e))
      .find((l) => l !== undefined),
  };
}

/** `onset[x]` / `abatement[x]` of a Condition as text. */
function conditionTime(c: Record<string, unknown>, prefix: "onset" | "abatement"): string | undefined {
  const age = c[`${prefix}Age`] as Quantity | undefined;
  const range = c[`${prefix}Range`];
  return (
    str(c[`${prefix}DateTime`]) ??
    periodStart(c[`${prefix}Period`]) ??
    quantityText(age) ??
    (isRecord(range) ? rangeText(range) : undefined) ??
    str(c[`${prefix}String`]) ??
    (c[`${prefix}Boolean`] === true ? "Yes" : undefined)
  );
}

export function conditionView(c: Condition): ConditionView {
  const record = c as unknown as Record<string, unknown>;
  return {
    display: conceptText(c.code) ?? "Condition",
    clinicalStatus: conceptCode(c.clinicalStatus),
    verificationStatus: conceptCode(c.verificationStatus),
    onset: conditionTime(record, "onset"),
    abatement: conditionTime(record, "abatement"),
  };
}

const PERIOD_UNIT: Readonly<Record<string, string>> = {
  s: "second",
  min: "minute",
  h: "hour",
  d: "day",
  wk: "week",
  mo: "month",
  a: "year",
};

/** One Dosage in words: its `text`, else dose, timing and "as needed". */
function dosageText(d: Dosage): string | undefined {
  const text = str(d.text);
  if (text !== undefined) return text;
  const parts: string[] = [];
  const dose = list(d.doseAndRate)
    .filter(isObject)
    .map((r) => r.doseQuantity)
    .find(isObject);
  const doseValue = num(dose?.value);
  if (doseValue !== undefined) {
    const unit = quantityUnit(dose);
    parts.push(unit === undefined ? `dose ${doseValue}` : `${doseValue} ${unit}`);
  }
  const repeat = isObject(d.timing) && isObject(d.timing.repeat) ? d.timing.repeat : undefined;
  const frequency = num(repeat?.frequency);
  const period = num(repeat?.period);
  const unit = PERIOD_UNIT[str(repeat?.periodUnit) ?? ""];
  if (frequency !== undefined && period !== undefined && unit !== undefined) {
    const times = `${frequency} ${frequency === 1 ? "time" : "times"}`;
    parts.push(period === 1 ? `${times} per ${unit}` : `${times} every ${period} ${unit}s`);
  } else {
    const timing = isObject(d.timing) ? conceptText(d.timing.code) : undefined;
    if (timing !== undefined) parts.push(timing);
  }
  if (d.asNeededBoolean === true) parts.push("as needed");
  else if (isObject(d.asNeededCodeableConcept))
    parts.push(`as needed for ${conceptText(d.asNeededCodeableConcept) ?? "symptoms"}`);
  const route = conceptText(d.route);
  if (route !== undefined) parts.push(route);
  return parts.length === 0 ? undefined : parts.join(", ");
}

export function medicationView(m: MedicationRequest | MedicationStatement, index: ReferenceIndex): MedicationView {
  const medication = conceptText(m.medicationCodeableConcept) ?? index.label(m.medicationReference, m) ?? "Medication";
  const dosages = m.resourceType === "MedicationRequest" ? m.dosageInstruction : m.dosage;
  const dosage = list(dosages)
    .filter(isObject)
    .map(dosageText)
    .filter((t) => t !== undefined);
  const authoredOn =
    m.resourceType === "MedicationRequest"
      ? str(m.authoredOn)
      : (str(m.effectiveDateTime) ?? periodStart(m.effectivePeriod) ?? str(m.dateAsserted));
  return {
    kind: m.resourceType === "MedicationRequest" ? "request" : "statement",
    medication,
    status: str(m.status),
    authoredOn,
    dosage: dosage.length === 0 ? undefined : dosage.join("; "),
    reasons: reasons(m.reasonCode, m.reasonReference, index, m),
  };
}

export function allergyView(a: AllergyIntolerance): AllergyView {
  const reactions = list(a.reaction).filter(isObject);
  return {
    substance:
      conceptText(a.code) ?? reactions.map((r) => conceptText(r.substance)).find((s) => s !== undefined) ?? "Allergy",
    criticality: str(a.criticality),
    clinicalStatus: conceptCode(a.clinicalStatus),
    type: str(a.type),
    categories: unique(list(a.category).map(str)),
    recordedDate: str(a.recordedDate) ?? str(a.onsetDateTime),
    reactions: reactions.map((r) => ({
      manifestations: unique(list(r.manifestation).map(conceptText)),
      severity: str(r.severity),
    })),
  };
}

export function immunizationView(i: Immunization): ImmunizationView {
  return {
    vaccine: conceptText(i.vaccineCode) ?? "Vaccine",
    date: str(i.occurrenceDateTime) ?? str(i.occurrenceString),
    status: str(i.status),
  };
}

export function procedureView(p: Procedure): ProcedureView {
  return {
    display: conceptText(p.code) ?? "Procedure",
    date: str(p.performedDateTime) ?? periodStart(p.performedPeriod) ?? str(p.performedString),
    end: periodEnd(p.performedPeriod),
    status: str(p.status),
  };
}
