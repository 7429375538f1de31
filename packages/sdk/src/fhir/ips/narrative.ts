/**
 * The Composition sections of the International Patient Summary, each with its generated
 * XHTML narrative (escaped plain text, never markup from the records) and, when empty, its
 * `emptyReason` (see `../ips.ts` "Empty sections"). Internal to `fhir/`.
 *
 * @module
 */

import type { AllergyIntolerance, CompositionSection, Condition, Observation } from "@medplum/fhirtypes";
import { LIST_EMPTY_REASON, LOINC, conceptText } from "../format.ts";
import { str } from "../json.ts";
import { resourceDate } from "../resources.ts";
import { ALLERGIES, MEDICATIONS, PROBLEMS, RESULTS_CODE, RESULTS_DISPLAY, RESULTS_TITLE } from "./codes.ts";
import type { SectionSpec } from "./codes.ts";
import type { MedicationUse } from "./labels.ts";
import type { Selected } from "./select.ts";

/** Text for XHTML: XML-invalid characters dropped, `& < > "` escaped. */
export function escapeXml(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- XML 1.0 (§2.2 Char) forbids these characters: they must be matched
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "")
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
  );
}

function xhtml(inner: string): string {
  return `<div xmlns="http://www.w3.org/1999/xhtml">${inner}</div>`;
}

function listNarrative(lines: readonly string[]): string {
  return xhtml(`<ul>${lines.map((l) => `<li>${escapeXml(l)}</li>`).join("")}</ul>`);
}

/** The document's fullUrl of a selected entry. */
export type EntryUrl = (s: Selected) => string;

function section(
  spec: SectionSpec,
  selected: readonly Selected[],
  anyRecords: boolean,
  narrative: (s: Selected) => string,
  urlOf: EntryUrl,
): CompositionSection {
  const out: CompositionSection = {
    title: spec.title,
    code: { coding: [{ system: LOINC, code: spec.code, display: spec.display }] },
  };
  if (selected.length > 0) {
    out.text = { status: "generated", div: listNarrative(selected.map(narrative)) };
    out.entry = selected.map((s) => ({ reference: urlOf(s) }));
  } else {
    const reason = anyRecords ? "nilknown" : "unavailable";
    out.text = {
      status: "generated",
      div: xhtml(`<p>${escapeXml(anyRecords ? spec.nilknown : spec.unavailable)}</p>`),
    };
    const display = reason === "nilknown" ? "Nil Known" : "Unavailable";
    out.emptyReason = { coding: [{ system: LIST_EMPTY_REASON, code: reason, display }] };
  }
  return out;
}

/** The selected entries of the three required sections, and whether the records held any of each kind. */
export interface RequiredSections {
  allergies: readonly Selected[];
  medications: readonly Selected[];
  problems: readonly Selected[];
  anyAllergies: boolean;
  anyMedications: boolean;
  anyConditions: boolean;
}

/**
 * Allergies (with "high criticality"), Medication Summary (with the first dosage text) and Problem List (with the onset
 * date).
 */
export function requiredSections(s: RequiredSections, urlOf: EntryUrl): CompositionSection[] {
  return [
    section(
      ALLERGIES,
      s.allergies,
      s.anyAllergies,
      (a) => {
        const allergy = a.item.resource as AllergyIntolerance;
        return allergy.criticality === "high" ? `${a.label} (high criticality)` : a.label;
      },
      urlOf,
    ),
    section(
      MEDICATIONS,
      s.medications,
      s.anyMedications,
      (m) => {
        const r = m.item.resource as MedicationUse;
        const text = r.resourceType === "MedicationRequest" ? r.dosageInstruction?.[0]?.text : r.dosage?.[0]?.text;
        const dosage = str(text)?.trim();
        return dosage ? `${m.label}: ${dosage}` : m.label;
      },
      urlOf,
    ),
    section(
      PROBLEMS,
      s.problems,
      s.anyConditions,
      (p) => {
        const onset = (p.item.resource as Condition).onsetDateTime;
        return onset ? `${p.label} (since ${onset.slice(0, 10)})` : p.label;
      },
      urlOf,
    ),
  ];
}

/** The Results section holding the blood group, e.g. "ABO and Rh group: A Rh(D) positive (2019-03-04)". */
export function resultsSection(bloodGroup: readonly Selected[], urlOf: EntryUrl): CompositionSection {
  const lines = bloodGroup.map((s) => {
    const o = s.item.resource as Observation;
    const when = resourceDate(o);
    return `${conceptText(o.code) ?? "Blood group"}: ${s.label}${when ? ` (${when.slice(0, 10)})` : ""}`;
  });
  return {
    title: RESULTS_TITLE,
    code: { coding: [{ system: LOINC, code: RESULTS_CODE, display: RESULTS_DISPLAY }] },
    text: { status: "generated", div: listNarrative(lines) },
    entry: bloodGroup.map((s) => ({ reference: urlOf(s) })),
  };
}
