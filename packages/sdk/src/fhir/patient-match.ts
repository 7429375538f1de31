/**
 * Does a file's Patient resource describe the same person as the patient's earlier records?
 * A patient who uploads someone else's bundle would put two people's data under one address,
 * and every provider they share with would read both as theirs; the upload asks first.
 *
 * ## Scoring rule
 * Each field compares to `same`, `differs` or `unknown` (missing on either side):
 * - **identifier**: for every identifier `system` both resources carry, the two share at least
 *   one `value` (`same`) or none (`differs`: same system, different value). Systems only one
 *   side has are not compared (a new hospital adds a new MRN system).
 * - **birthDate**: equal at the precision both give (`1974` matches `1974-12-25`), else `differs`.
 * - **name**: `same` when the two share a family name and a given name (case, accents and
 *   punctuation ignored), `differs` when they share neither, `partial` when they share one of the
 *   two (a married name, a twin).
 *
 * The candidate **matches** when no identifier differs and either an identifier is the same, or
 * neither birth date nor name differs (a `partial` name with an equal birth date matches; with
 * a different or unknown birth date it does not). So a different identifier in a shared system
 * is always a mismatch, a shared identifier outweighs a changed name, and without identifiers
 * the birth date and the name must agree.
 *
 * Only the names of the differing fields are reported, never their values. Browser-safe.
 *
 * @module
 */

import type { HumanName, Patient, Resource } from "@medplum/fhirtypes";

/** A field of Patient that {@link comparePatients} compares. */
export type PatientField = "identifier" | "birthDate" | "name";

/** Result of {@link comparePatients}. */
export interface PatientComparison {
  /** Whether the candidate is taken to be the same person (see the module's scoring rule). */
  match: boolean;
  /** Fields that differ (`name` also when only partly the same and the rule says mismatch). */
  differing: PatientField[];
  /** Identifier systems whose values differ (system URIs only, no values). */
  identifierSystems: string[];
  /** Whether an identifier (same system, same value) is shared. */
  sharedIdentifier: boolean;
}

/**
 * Every Patient resource in `resource` (itself, or the entries of a Bundle, nested Bundles
 * such as FHIR documents included, up to 4 levels).
 *
 * @param resource - A record, usually a `collection` Bundle.
 * @returns The Patient resources, in order.
 */
export function patientsIn(resource: Resource): Patient[] {
  const out: Patient[] = [];
  const visit = (r: Resource, depth: number): void => {
    if (r.resourceType === "Patient") out.push(r);
    if (r.resourceType === "Bundle" && depth < 4)
      for (const e of r.entry ?? []) if (e.resource) visit(e.resource, depth + 1);
  };
  visit(resource, 0);
  return out;
}

/** Lower case, accents and punctuation removed, for comparing names. */
function fold(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

function nameParts(names: readonly HumanName[] | undefined): { family: Set<string>; given: Set<string> } {
  const family = new Set<string>();
  const given = new Set<string>();
  for (const n of names ?? []) {
    if (n.use === "old") continue;
    for (const f of fold(n.family ?? "").split(" ")) if (f) family.add(f);
    for (const g of n.given ?? []) for (const part of fold(g).split(" ")) if (part) given.add(part);
    if (!n.family && !n.given?.length && n.text) {
      const words = fold(n.text).split(" ").filter(Boolean);
      if (words.length > 0) family.add(words[words.length - 1] as string);
      for (const w of words.slice(0, -1)) given.add(w);
    }
  }
  return { family, given };
}

const overlaps = (a: Set<string>, b: Set<string>): boolean => [...a].some((x) => b.has(x));

/**
 * Compares a candidate Patient (from a file) with a reference Patient (from the patient's
 * earlier records) by the module's scoring rule.
 *
 * @param candidate - The file's Patient.
 * @param reference - The Patient of the earlier records.
 * @returns Whether they match, and which fields differ (names only). Never throws.
 * @example
 * ```ts
 * comparePatients(filePatient, earlierPatient).differing; // e.g. ["identifier", "birthDate"]
 * ```
 */
export function comparePatients(candidate: Patient, reference: Patient): PatientComparison {
  const differing: PatientField[] = [];
  const identifierSystems: string[] = [];
  let sharedIdentifier = false;
  const bySystem = (p: Patient): Map<string, Set<string>> => {
    const map = new Map<string, Set<string>>();
    for (const id of p.identifier ?? []) {
      if (!id.system || !id.value) continue;
      const values = map.get(id.system) ?? new Set<string>();
      values.add(id.value.trim());
      map.set(id.system, values);
    }
    return map;
  };
  const mine = bySystem(reference);
  for (const [system, values] of bySystem(candidate)) {
    const earlier = mine.get(system);
    if (!earlier) continue;
    if (overlaps(values, earlier)) sharedIdentifier = true;
    else identifierSystems.push(system);
  }
  if (identifierSystems.length > 0) differing.push("identifier");

  let birthDate: "same" | "differs" | "unknown" = "unknown";
  if (candidate.birthDate && reference.birthDate) {
    const n = Math.min(candidate.birthDate.length, reference.birthDate.length);
    birthDate = candidate.birthDate.slice(0, n) === reference.birthDate.slice(0, n) ? "same" : "differs";
  }
  if (birthDate === "differs") differing.push("birthDate");

  let name: "same" | "partial" | "differs" | "unknown" = "unknown";
  const a = nameParts(candidate.name);
  const b = nameParts(reference.name);
  if ((a.family.size > 0 || a.given.size > 0) && (b.family.size > 0 || b.given.size > 0)) {
    const family = overlaps(a.family, b.family);
    const given = overlaps(a.given, b.given);
    name = family && given ? "same" : family || given ? "partial" : "differs";
  }

  let match: boolean;
  if (identifierSystems.length > 0) match = false;
  else if (sharedIdentifier) match = true;
  else match = birthDate !== "differs" && name !== "differs" && (name !== "partial" || birthDate === "same");
  if (!match && (name === "differs" || name === "partial")) differing.push("name");
  return { match, differing, identifierSystems, sharedIdentifier };
}
