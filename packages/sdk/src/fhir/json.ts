/**
 * Guards over untrusted JSON: a value of the wrong JSON type reads as absent, so a field typed
 * `string` really holds a string. Used wherever decrypted records are read for display.
 * Internal to `fhir/` (not re-exported).
 *
 * @module
 */

/** A string that is not blank, or `undefined` for anything else (including `""` and `"  "`). */
export function str(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** A finite number, or `undefined`. */
export function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** The array, or `[]` for anything else. */
export function list<T>(value: T[] | undefined): T[] {
  return Array.isArray(value) ? value : [];
}

/** Whether untrusted JSON is a (non-array) object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether a typed FHIR element really is an object in the (untrusted) JSON. */
export function isObject<T extends object>(value: T | null | undefined): value is T {
  return isRecord(value);
}

/** The defined values, each once, in first-seen order. */
export function unique(values: (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== undefined))];
}
