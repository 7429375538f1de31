/**
 * Distinctive plaintext in FHIR R4 data that must never appear on chain or in IPFS: the strings
 * a privacy scan looks for in everything Meridian publishes. Browser-safe (web-standard APIs only).
 *
 * @module
 */

import type { Attachment, HumanName, Patient, Reference, Resource } from "@medplum/fhirtypes";
import { decodeBase64 } from "./base64.ts";
import { InvalidBase64Error } from "./errors.ts";

/** Options of {@link sensitiveStrings}. */
export interface SensitiveStringsOptions {
  /** Shortest string returned, in UTF-16 code units (default 6): shorter ones match by chance. */
  minLength?: number;
}

/** Shortest note snippet taken from clinical-note text (characters). */
const NOTE_SNIPPET_MIN = 24;
/** Longest note snippet (characters); longer lines are cut. */
const NOTE_SNIPPET_MAX = 64;
/** Snippets taken per note. */
const SNIPPETS_PER_NOTE = 3;

function nameStrings(name: HumanName): string[] {
  const given = (name.given ?? []).filter((g) => g.trim() !== "");
  const out = [...given, given.join(" ")];
  if (name.family) {
    out.push(name.family);
    if (given.length > 0) out.push(`${given.join(" ")} ${name.family}`, `${name.family}, ${given.join(" ")}`);
  }
  if (name.text) out.push(name.text);
  return out;
}

function patientStrings(p: Patient): string[] {
  const out: string[] = [];
  for (const name of p.name ?? []) out.push(...nameStrings(name));
  for (const id of p.identifier ?? []) if (id.value) out.push(id.value);
  for (const t of p.telecom ?? []) if (t.value) out.push(t.value);
  for (const a of p.address ?? []) {
    for (const line of a.line ?? []) out.push(line);
    if (a.text) out.push(a.text);
  }
  if (p.birthDate) out.push(p.birthDate);
  if (p.deceasedDateTime) out.push(p.deceasedDateTime);
  for (const c of p.contact ?? []) {
    if (c.name) out.push(...nameStrings(c.name));
    for (const t of c.telecom ?? []) if (t.value) out.push(t.value);
    for (const line of c.address?.line ?? []) out.push(line);
  }
  for (const e of p.extension ?? []) {
    // http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName
    if (e.url.endsWith("/patient-mothersMaidenName") && e.valueString) out.push(e.valueString);
  }
  return out;
}

function isPlainText(contentType: string | undefined): boolean {
  return contentType !== undefined && /^text\/plain\b/i.test(contentType.trim());
}

/** A few distinctive lines of a note: those naming the patient first, then the longest. */
function noteSnippets(text: string, nameTokens: readonly string[]): string[] {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim().replace(/\s+/g, " "))
    .filter((l) => l.length >= NOTE_SNIPPET_MIN);
  const score = (l: string): number =>
    (nameTokens.some((n) => l.includes(n)) ? 1_000_000 : 0) + (/\d/.test(l) ? 1000 : 0) + l.length;
  return [...new Set(lines)]
    .sort((a, b) => score(b) - score(a))
    .slice(0, SNIPPETS_PER_NOTE)
    .map((l) => l.slice(0, NOTE_SNIPPET_MAX));
}

/** The text of a `text/plain` attachment (UTF-8; invalid sequences become U+FFFD); `undefined` when its data is not base64. */
function attachmentText(a: Attachment): string | undefined {
  if (!a.data || !isPlainText(a.contentType)) return undefined;
  try {
    return new TextDecoder().decode(decodeBase64(a.data));
  } catch (error) {
    if (error instanceof InvalidBase64Error) return undefined; // nothing readable to scan for
    throw error;
  }
}

/** Collects every resource: the root, Bundle entries (nested too) and contained resources. */
function allResources(root: Resource): Resource[] {
  const out: Resource[] = [];
  const visit = (r: Resource, depth: number): void => {
    if (depth > 8) return;
    out.push(r);
    if (r.resourceType === "Bundle") for (const e of r.entry ?? []) if (e.resource) visit(e.resource, depth + 1);
    const contained = (r as { contained?: Resource[] }).contained;
    for (const c of contained ?? []) visit(c, depth + 1);
  };
  visit(root, 0);
  return out;
}

function subjectDisplays(r: Resource): string[] {
  const record = r as unknown as Record<string, unknown>;
  const out: string[] = [];
  for (const key of ["subject", "patient", "beneficiary"]) {
    const ref = record[key] as Reference | undefined;
    if (ref && typeof ref === "object" && typeof ref.display === "string") out.push(ref.display);
  }
  return out;
}

/**
 * Distinctive plaintext that must never appear on chain or in IPFS, for a privacy scan:
 *
 * - Patient (and Patient.contact): names (each family and given name, given names joined,
 *   "given family" and "family, given", `text`), identifier values (SSN, MRN, driver's licence,
 *   passport, ...), telecom values, address lines, birth date, deceased date, mother's maiden name;
 * - the `display` of `subject`/`patient`/`beneficiary` references (the patient's name);
 * - clinical notes: from `text/plain` base64 attachments (DocumentReference.content,
 *   DiagnosticReport.presentedForm, Binary; base64 per RFC 4648, decoded as UTF-8; data that
 *   is not base64 is skipped), up to 3 lines of 24+ characters each (cut at 64), preferring
 *   lines that name the patient.
 *
 * Coded display strings (Observation.code, Condition.code, ...) are public code-system text and
 * are not included; neither are narratives (`text.div`). Works on a single resource or a Bundle
 * (nested Bundles and contained resources included).
 *
 * @param resource - A resource or Bundle.
 * @param options - `minLength` (default 6).
 * @returns Deduplicated strings of at least `minLength` characters, in discovery order.
 * @example
 * ```ts
 * const needles = sensitiveStrings(bundle);
 * const leaked = needles.filter((s) => publishedText.includes(s));
 * ```
 */
export function sensitiveStrings(resource: Resource, options: SensitiveStringsOptions = {}): string[] {
  const minLength = options.minLength ?? 6;
  const resources = allResources(resource);
  const found: string[] = [];
  for (const r of resources) if (r.resourceType === "Patient") found.push(...patientStrings(r));
  for (const r of resources) found.push(...subjectDisplays(r));

  const nameTokens = resources
    .flatMap((r) =>
      r.resourceType === "Patient" ? (r.name ?? []).flatMap((n) => [...(n.given ?? []), n.family ?? ""]) : [],
    )
    .filter((t) => t.length >= 3);
  for (const r of resources) {
    const attachments: Attachment[] =
      r.resourceType === "DocumentReference"
        ? r.content.map((c) => c.attachment)
        : r.resourceType === "DiagnosticReport"
          ? (r.presentedForm ?? [])
          : r.resourceType === "Binary" && r.data
            ? [{ contentType: r.contentType, data: r.data }]
            : [];
    for (const a of attachments) {
      const text = attachmentText(a);
      if (text !== undefined) found.push(...noteSnippets(text, nameTokens));
    }
  }

  const out = new Set<string>();
  for (const s of found) {
    const trimmed = s.trim();
    if (trimmed.length >= minLength) out.add(trimmed);
  }
  return [...out];
}
