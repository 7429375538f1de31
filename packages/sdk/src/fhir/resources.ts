/**
 * Small helpers over FHIR R4 resources shared by the module: reference keys, reference
 * walking, clinical dates and display labels. Internal to `fhir/` (not re-exported).
 *
 * @module
 */

import type { Bundle, BundleEntry, CodeableConcept, Resource } from "@medplum/fhirtypes";
import { conceptText, fhirTime, periodStart } from "./format.ts";
import { str } from "./json.ts";

/**
 * The keys by which other entries can reference `entry` (FHIR R4 Bundle §2.36.4.1 "Resolving
 * references in Bundles"): its `fullUrl`, `Type/id`, and the `Type/id` tail of an absolute fullUrl.
 */
export function entryKeys(entry: BundleEntry): string[] {
  const keys: string[] = [];
  if (entry.fullUrl) {
    keys.push(entry.fullUrl);
    const tail = /([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})$/.exec(entry.fullUrl);
    if (tail?.[1] && tail[1] !== entry.fullUrl) keys.push(tail[1]);
  }
  const r = entry.resource;
  if (r?.id) keys.push(`${r.resourceType}/${r.id}`);
  return keys;
}

/** Normalises a literal reference for lookup: drops `/_history/n`; `undefined` for contained (`#`) and conditional (`?`) references. */
export function referenceKey(reference: string): string | undefined {
  if (reference.startsWith("#") || reference.includes("?")) return undefined;
  const withoutHistory = reference.replace(/\/_history\/[^/]+$/, "");
  return withoutHistory;
}

/** Calls `visit` with every `reference` string found in Reference-shaped objects under `value` (contained resources included). */
export function forEachReference(value: unknown, visit: (reference: string) => void, depth = 0): void {
  if (depth > 64 || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    for (const item of value) forEachReference(item, visit, depth + 1);
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    if (key === "reference" && typeof child === "string") visit(child);
    else if (typeof child === "object") forEachReference(child, visit, depth + 1);
  }
}

/** Looks up entries by reference within one Bundle. */
export class EntryIndex {
  readonly #byKey = new Map<string, number>();

  constructor(entries: readonly BundleEntry[]) {
    entries.forEach((entry, i) => {
      for (const key of entryKeys(entry)) if (!this.#byKey.has(key)) this.#byKey.set(key, i);
    });
  }

  /** The index of the entry `reference` points to, or `undefined` when it is not in the Bundle. */
  resolve(reference: string | undefined): number | undefined {
    if (reference === undefined) return undefined;
    const key = referenceKey(reference);
    if (key === undefined) return undefined;
    const direct = this.#byKey.get(key);
    if (direct !== undefined) return direct;
    const tail = /([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})$/.exec(key)?.[1];
    return tail === undefined ? undefined : this.#byKey.get(tail);
  }
}

type Dated = Record<string, unknown>;

/**
 * The clinically relevant date of a resource (ISO 8601 / FHIR `dateTime`, as written in the
 * resource), or `undefined`: effective/occurrence/performed/onset times, `period.start`,
 * `authoredOn`, `recordedDate`, `dateTime` (Consent), `dateAsserted`, `issued`, `date`, `started`, `created`, `meta.lastUpdated`.
 */
export function resourceDate(resource: Resource): string | undefined {
  const r = resource as unknown as Dated;
  return (
    str(r["effectiveDateTime"]) ??
    str(r["effectiveInstant"]) ??
    periodStart(r["effectivePeriod"]) ??
    str(r["occurrenceDateTime"]) ??
    periodStart(r["occurrencePeriod"]) ??
    str(r["performedDateTime"]) ??
    periodStart(r["performedPeriod"]) ??
    str(r["onsetDateTime"]) ??
    periodStart(r["onsetPeriod"]) ??
    periodStart(r["period"]) ??
    periodStart(r["billablePeriod"]) ??
    str(r["authoredOn"]) ??
    str(r["recordedDate"]) ??
    str(r["dateTime"]) ??
    str(r["dateAsserted"]) ??
    str(r["issued"]) ??
    str(r["date"]) ??
    str(r["started"]) ??
    str(r["recorded"]) ??
    str(r["created"]) ??
    str(r["timestamp"]) ??
    str((r["meta"] as { lastUpdated?: unknown } | undefined)?.lastUpdated)
  );
}

/** The latest of ISO 8601 dates (compared by their instant when parseable, else as text). */
export function latestDate(dates: Iterable<string | undefined>): string | undefined {
  let best: string | undefined;
  let bestTime = -Infinity;
  for (const d of dates) {
    if (d === undefined) continue;
    const time = fhirTime(d) ?? -Infinity;
    if (best === undefined || time > bestTime) {
      best = d;
      bestTime = time;
    }
  }
  return best;
}

/**
 * The display of the first CodeableConcept that has one (`format.ts` {@link conceptText}: `text`,
 * else a coding's display, else its code, without a SNOMED CT semantic tag).
 */
export function conceptLabel(concept: CodeableConcept | CodeableConcept[] | undefined): string | undefined {
  const list = concept === undefined ? [] : Array.isArray(concept) ? concept : [concept];
  return list.map(conceptText).find((label) => label !== undefined);
}

/** A short label for a resource: its code/type text, else its resource type. */
export function resourceLabel(resource: Resource): string {
  const r = resource as unknown as Record<string, unknown>;
  const concept = (r["code"] ?? r["type"] ?? r["vaccineCode"] ?? r["medicationCodeableConcept"] ?? r["category"]) as
    CodeableConcept | CodeableConcept[] | undefined;
  const fromConcept = typeof concept === "object" ? conceptLabel(concept) : undefined;
  return fromConcept ?? str(r["title"]) ?? str(r["description"]) ?? resource.resourceType;
}

/** Counts resources in a Bundle, counting a nested Bundle's entries instead of the nested Bundle itself. */
export function countResources(bundle: Bundle, depth = 0): number {
  let n = 0;
  for (const e of bundle.entry ?? []) {
    if (!e.resource) continue;
    n += e.resource.resourceType === "Bundle" && depth < 4 ? countResources(e.resource, depth + 1) : 1;
  }
  return n;
}
