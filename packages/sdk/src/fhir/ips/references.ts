/**
 * Makes a copied resource self-contained within the International Patient Summary: references
 * to document entries point at their `urn:uuid:` fullUrl; the others are cut, keeping a display
 * (see `../ips.ts` "Self-contained"). Internal to `fhir/`.
 *
 * @module
 */

import type { Reference, Resource } from "@medplum/fhirtypes";
import { str } from "../json.ts";
import { referenceKey } from "../resources.ts";

/** What a reference becomes: a document entry's fullUrl, or cut (with the target's type when known). */
export type Rewrite = (reference: string) => { url: string } | { type: string | undefined };

/** Top-level reference elements that are required (1..1) in the resources a summary holds: never dropped. */
const REQUIRED_REFERENCES = new Set(["subject", "patient", "medicationReference"]);

function isReference(value: unknown): value is Reference & { reference: string } {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    typeof (value as { reference?: unknown }).reference === "string"
  );
}

/**
 * Points references at document entries (`rewrite` gives the new fullUrl) and cuts the others
 * (see the module comment). Returns false when the Reference should be removed.
 */
function fixReference(ref: Reference & { reference: string }, rewrite: Rewrite, removable: boolean): boolean {
  const reference = ref.reference;
  if (reference.startsWith("#")) return true; // contained: travels with the resource
  const result = rewrite(reference);
  if ("url" in result) {
    ref.reference = result.url;
    return true;
  }
  delete (ref as Reference).reference;
  if (str(ref.display) !== undefined || ref.identifier !== undefined) return true;
  if (removable) return false;
  const type =
    ref.type ??
    result.type ??
    /(?:^|\/)([A-Z][A-Za-z]+)\/[^/?]+$/.exec(referenceKey(reference) ?? "")?.[1] ??
    /^([A-Z][A-Za-z]+)\?/.exec(reference)?.[1];
  ref.display = `${type ?? "Resource"} not included in this summary`;
  return true;
}

function rewriteNested(value: unknown, rewrite: Rewrite, depth: number): void {
  if (depth > 64 || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    for (const v of value) rewriteNested(v, rewrite, depth + 1);
    return;
  }
  if (isReference(value)) fixReference(value, rewrite, false);
  for (const child of Object.values(value)) if (typeof child === "object") rewriteNested(child, rewrite, depth + 1);
}

/** Rewrites, in place, every reference of a copied resource (see {@link fixReference}). */
export function rewriteReferences(resource: Resource, rewrite: Rewrite): void {
  const r = resource as unknown as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    const value = r[key];
    const removable = key !== "contained" && !REQUIRED_REFERENCES.has(key);
    if (isReference(value)) {
      if (!fixReference(value, rewrite, removable)) delete r[key];
      else rewriteNested(value.identifier, rewrite, 1);
    } else if (Array.isArray(value) && value.some(isReference)) {
      const kept = value.filter((v) => !isReference(v) || fixReference(v, rewrite, removable));
      for (const v of kept) rewriteNested(isReference(v) ? v.identifier : v, rewrite, 1);
      if (kept.length === 0) delete r[key];
      else r[key] = kept;
    } else rewriteNested(value, rewrite, 1);
  }
}
