/**
 * The resources of one decrypted record and the references between them, for the record view
 * and the lab trends: nested Bundles are flattened, and references (`fullUrl`, `Type/id`,
 * contained `#id`) resolve to a resource of the record, else to the reference's `display`.
 * Internal to `fhir/`.
 *
 * @module
 */

import type { Reference, Resource } from "@medplum/fhirtypes";
import { conceptText, humanNameText } from "../format.ts";
import { isObject, isRecord, list, str } from "../json.ts";

/** One resource of a record, with the `fullUrl` of its Bundle entry. */
export interface Entry {
  /** `Bundle.entry.fullUrl`, when the resource came from a Bundle entry that had one. */
  fullUrl: string | undefined;
  /** The resource (untrusted JSON). */
  resource: Resource;
}

const MAX_BUNDLE_DEPTH = 4;

/** Whether untrusted JSON is a FHIR resource: an object with a string `resourceType`. */
export function isResource(value: unknown): value is Resource {
  return isRecord(value) && typeof value["resourceType"] === "string";
}

/**
 * The resources of a record, flattening nested Bundles (e.g. a `document` Bundle inside a
 * `collection`) up to 4 levels.
 */
export function collectEntries(input: Resource, out: Entry[] = [], fullUrl?: string, depth = 0): Entry[] {
  if (input.resourceType === "Bundle" && depth < MAX_BUNDLE_DEPTH) {
    for (const entry of list(input.entry)) {
      if (isObject(entry) && isResource(entry.resource)) {
        collectEntries(entry.resource, out, str(entry.fullUrl), depth + 1);
      }
    }
  } else {
    out.push({ fullUrl, resource: input });
  }
  return out;
}
const TYPE_ID_TAIL = /([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})$/;

/**
 * Looks resources up by reference: `fullUrl`, `Type/id`, the `Type/id` tail of an absolute URL, and `#id` for contained
 * resources.
 */
export class ReferenceIndex {
  readonly #byKey = new Map<string, Resource>();

  constructor(entries: readonly Entry[]) {
    for (const { fullUrl, resource } of entries) {
      const keys = [
        fullUrl,
        fullUrl ? TYPE_ID_TAIL.exec(fullUrl)?.[1] : undefined,
        str(resource.id) ? `${resource.resourceType}/${resource.id}` : undefined,
      ];
      for (const key of keys) if (key !== undefined && !this.#byKey.has(key)) this.#byKey.set(key, resource);
    }
  }

  resolve(reference: Reference | undefined, owner?: Resource): Resource | undefined {
    const ref = isObject(reference) ? str(reference.reference) : undefined;
    if (ref === undefined || ref.includes("?")) return undefined;
    if (ref.startsWith("#")) {
      const contained = owner && "contained" in owner ? list(owner.contained as Resource[] | undefined) : [];
      return contained.find((r) => isResource(r) && r.id === ref.slice(1));
    }
    const key = ref.replace(/\/_history\/[^/]+$/, "");
    const direct = this.#byKey.get(key);
    if (direct !== undefined) return direct;
    const tail = TYPE_ID_TAIL.exec(key)?.[1];
    return tail === undefined ? undefined : this.#byKey.get(tail);
  }

  /** A label for the target: its name or code text when it is in the record, else the reference's `display`. */
  label(reference: Reference | undefined, owner?: Resource): string | undefined {
    if (!isObject(reference)) return undefined;
    const target = this.resolve(reference, owner);
    return (target === undefined ? undefined : targetLabel(target)) ?? str(reference.display);
  }
}

/** A short label for a referenced resource. */
export function targetLabel(resource: Resource): string | undefined {
  switch (resource.resourceType) {
    case "Patient":
      return humanNameText(resource.name);
    case "Practitioner":
    case "RelatedPerson":
      return humanNameText(resource.name, { prefix: true });
    case "Organization":
    case "Location":
    case "HealthcareService":
      return str(resource.name);
    case "PractitionerRole":
      return str(resource.practitioner?.display) ?? str(resource.organization?.display);
    case "Medication":
    case "Condition":
    case "Observation":
    case "Procedure":
    case "DiagnosticReport":
      return conceptText(resource.code);
    default:
      return undefined;
  }
}
