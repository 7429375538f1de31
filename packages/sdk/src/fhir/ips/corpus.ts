/**
 * The input of the International Patient Summary builder as one corpus of resources: copies
 * of one resource across records counted once, and references resolved across records.
 * Internal to `fhir/`.
 *
 * @module
 */

import type { Bundle, BundleEntry, Resource } from "@medplum/fhirtypes";
import { fhirTime } from "../format.ts";
import { EntryIndex } from "../resources.ts";

/** One resource of the input, with where it came from. */
export interface Item {
  resource: Resource;
  fullUrl: string | undefined;
  /** Which Bundle the resource came from (references resolve there first); 0 for loose resources. */
  scope: number;
  /** Same resource across copies: `Type/id`, else its fullUrl, else unique. */
  identity: string;
}

/** A UUID (RFC 9562), any case. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The summary's input: every resource of every Bundle (nested documents read as their
 * entries), each copy of one resource reduced to the latest, and references resolved in the
 * Bundle they were written in first, then anywhere in the input.
 */
export class Corpus {
  readonly items: Item[] = [];
  /** The kept copy for each identity (latest `meta.lastUpdated`, else the last seen). */
  readonly canonical = new Map<string, Item>();
  readonly #scopes = new Map<number, { index: EntryIndex; items: Item[] }>();
  #global: EntryIndex | undefined;
  #nextScope = 1;
  #anonymous = 0;

  constructor(inputs: readonly Resource[]) {
    for (const resource of inputs) {
      if (resource.resourceType === "Bundle") this.#addBundle(resource, 0);
      // A loose resource with a UUID id answers to `urn:uuid:<id>`, as it would in a Bundle.
      else
        this.#add(
          resource,
          resource.id && UUID.test(resource.id) ? `urn:uuid:${resource.id.toLowerCase()}` : undefined,
          0,
        );
    }
    for (const item of this.items) {
      const kept = this.canonical.get(item.identity);
      if (!kept || !isOlder(item.resource, kept.resource)) this.canonical.set(item.identity, item);
    }
    for (const [scope, items] of groupBy(this.items, (i) => i.scope)) {
      this.#scopes.set(scope, { index: new EntryIndex(items.map(toEntry)), items });
    }
    this.#global = new EntryIndex(this.items.map(toEntry));
  }

  #addBundle(bundle: Bundle, depth: number): void {
    const scope = this.#nextScope++;
    for (const entry of bundle.entry ?? []) {
      const r = entry.resource;
      if (!r) continue;
      // A nested Bundle (a document kept whole inside a record) is read as its entries.
      if (r.resourceType === "Bundle" && depth < 4) this.#addBundle(r, depth + 1);
      else this.#add(r, entry.fullUrl, scope);
    }
  }

  #add(resource: Resource, fullUrl: string | undefined, scope: number): void {
    const identity = resource.id
      ? `${resource.resourceType}/${resource.id}`
      : fullUrl
        ? `url ${fullUrl}`
        : `anonymous ${this.#anonymous++}`;
    this.items.push({ resource, fullUrl, scope, identity });
  }

  /** The item `reference` points at: in the same Bundle first, then anywhere in the input. */
  resolve(reference: string, scope: number): Item | undefined {
    const local = this.#scopes.get(scope);
    const i = local?.index.resolve(reference);
    if (local && i !== undefined) return local.items[i];
    const g = this.#global?.resolve(reference);
    return g === undefined ? undefined : this.items[g];
  }

  /** Like {@link resolve}, returning the kept copy. */
  resolveCanonical(reference: string, scope: number): Item | undefined {
    const item = this.resolve(reference, scope);
    return item && this.canonical.get(item.identity);
  }
}

function toEntry(item: Item): BundleEntry {
  return item.fullUrl === undefined ? { resource: item.resource } : { fullUrl: item.fullUrl, resource: item.resource };
}

function groupBy<T, K>(values: readonly T[], key: (value: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const v of values) {
    const k = key(v);
    const list = groups.get(k);
    if (list) list.push(v);
    else groups.set(k, [v]);
  }
  return groups;
}

/** Whether `a` is an older version than `b` (by `meta.lastUpdated`; unknown counts as not older). */
function isOlder(a: Resource, b: Resource): boolean {
  const ta = fhirTime(a.meta?.lastUpdated);
  const tb = fhirTime(b.meta?.lastUpdated);
  return ta !== undefined && tb !== undefined && ta < tb;
}

/** The resource without `meta`, as JSON: two copies of one Patient compare equal. */
export function contentKey(resource: Resource): string {
  const { meta: _meta, ...rest } = resource;
  return JSON.stringify(rest);
}
