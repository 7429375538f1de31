/**
 * Parsing FHIR R4 JSON (https://hl7.org/fhir/R4/json.html) from bytes or text, with size
 * limits and error messages that locate a problem without quoting the input.
 *
 * @module
 */

import type { Resource } from "@medplum/fhirtypes";
import { EmptyInputError, FhirParseError, InputTooLargeError, NotFhirError } from "./errors.ts";

/** Default limit of {@link parseFhirJson}: 32 MiB. */
export const DEFAULT_MAX_JSON_BYTES = 32 * 1024 * 1024;

/** Options of {@link parseFhirJson}. */
export interface ParseFhirJsonOptions {
  /** Label of the input (usually the file name), shown in error details. */
  source?: string;
  /** Largest accepted input in bytes (UTF-8). Default {@link DEFAULT_MAX_JSON_BYTES} (32 MiB). */
  maxBytes?: number;
}

/** The errors {@link parseFhirJson} throws. */
export type ParseFhirJsonErrorType = EmptyInputError | InputTooLargeError | FhirParseError | NotFhirError;

const RESOURCE_TYPE = /^[A-Z][A-Za-z]{1,63}$/;

/**
 * Parses one FHIR resource from JSON bytes (UTF-8, a leading BOM is ignored) or text.
 *
 * Only the JSON shape is checked here: an object whose `resourceType` is a string that looks
 * like a resource type name. Conformance to FHIR R4 is `validateFhirResource`'s job.
 *
 * @param input - UTF-8 bytes or a string holding one JSON value.
 * @param options - `source` (file name for messages) and `maxBytes` (default 32 MiB).
 * @returns The resource, typed as `@medplum/fhirtypes` `Resource` (narrow on `resourceType`).
 * @throws {@link EmptyInputError} when the input is 0 bytes or only whitespace.
 * @throws {@link InputTooLargeError} when the input exceeds `maxBytes`.
 * @throws {@link FhirParseError} when the input is not UTF-8 or not well-formed JSON (with line and column).
 * @throws {@link NotFhirError} when the JSON is an array, a primitive, or an object without a string `resourceType`.
 * @example
 * ```ts
 * const resource = parseFhirJson(await readFile("patient.json"), { source: "patient.json" });
 * if (resource.resourceType === "Bundle") console.log(resource.entry?.length);
 * ```
 */
export function parseFhirJson(input: Uint8Array | string, options: ParseFhirJsonOptions = {}): Resource {
  const { source } = options;
  const limit = options.maxBytes ?? DEFAULT_MAX_JSON_BYTES;
  const text = decodeInput(input, limit, source);
  if (text.trim() === "") throw new EmptyInputError({ source });

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The engine's SyntaxError quotes the input, so it is not kept; locate the error ourselves.
    const located = locateJsonError(text);
    throw new FhirParseError({ ...located, source });
  }

  if (value === null || typeof value !== "object") {
    throw new NotFhirError({ reason: value === null ? "it is null" : `it is a ${typeof value}`, source });
  }
  if (Array.isArray(value)) throw new NotFhirError({ reason: "it is an array", source });
  const resourceType: unknown = (value as { resourceType?: unknown }).resourceType;
  if (resourceType === undefined) throw new NotFhirError({ reason: 'the object has no "resourceType"', source });
  if (typeof resourceType !== "string") throw new NotFhirError({ reason: '"resourceType" is not a string', source });
  if (!RESOURCE_TYPE.test(resourceType)) {
    throw new NotFhirError({ reason: '"resourceType" is not a resource type name', source });
  }
  return value as Resource;
}

function decodeInput(input: Uint8Array | string, limit: number, source: string | undefined): string {
  if (typeof input === "string") {
    // Each UTF-16 unit is 1..3 UTF-8 bytes: only count exactly when the bounds do not decide.
    if (input.length > limit) throw new InputTooLargeError({ bytes: input.length, limit, source });
    if (input.length * 3 > limit) {
      const bytes = new TextEncoder().encode(input).length;
      if (bytes > limit) throw new InputTooLargeError({ bytes, limit, source });
    }
    if (input.length === 0) throw new EmptyInputError({ source });
    return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  }
  if (input.length === 0) throw new EmptyInputError({ source });
  if (input.length > limit) throw new InputTooLargeError({ bytes: input.length, limit, source });
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(input);
  } catch {
    throw new FhirParseError({ reason: "the bytes are not valid UTF-8", source });
  }
}

/** Where and why JSON text is malformed. */
interface JsonErrorLocation {
  reason: string;
  position: number;
  line: number;
  column: number;
}

/**
 * Finds the first syntax error in text that `JSON.parse` rejected (RFC 8259 grammar), without
 * recursion so deep nesting cannot overflow the stack.
 */
export function locateJsonError(text: string): JsonErrorLocation {
  let i = 0;
  const n = text.length;
  // Stack of open containers: "{" or "[".
  const stack: ("{" | "[")[] = [];
  // What the scanner expects next.
  let expect: "value" | "key" | "colon" | "after-value" | "end" = "value";
  let firstInContainer = false;

  const at = (reason: string, position: number): JsonErrorLocation => {
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < position && k < n; k++) {
      if (text.charCodeAt(k) === 10) {
        line++;
        lineStart = k + 1;
      }
    }
    return { reason, position, line, column: position - lineStart + 1 };
  };
  const skipWs = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  /** Scans a string starting at the quote; returns an error or undefined. */
  const scanString = (): JsonErrorLocation | undefined => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return at("control character in a string", i);
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === undefined) return at("unterminated string", n);
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return at("bad \\u escape in a string", i);
          i += 6;
        } else if ('"\\/bfnrt'.includes(e)) i += 2;
        else return at("bad escape in a string", i);
      } else i++;
    }
    return at("unterminated string", n);
  };
  const scanNumber = (): JsonErrorLocation | undefined => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === "-" || m[0] === "") return at("bad number", i);
    i += m[0].length;
    return undefined;
  };

  for (;;) {
    skipWs();
    if (i >= n) {
      return expect === "end" ? at("unknown syntax error", n) : at("unexpected end of input", n);
    }
    const ch = text[i] as string;
    switch (expect) {
      case "end":
        return at("unexpected data after the JSON value", i);
      case "colon":
        if (ch !== ":") return at("expected ':' after a property name", i);
        i++;
        expect = "value";
        continue;
      case "key":
        if (ch === "}" && firstInContainer) {
          i++;
          stack.pop();
          expect = stack.length === 0 ? "end" : "after-value";
          continue;
        }
        if (ch !== '"') return at("expected a double-quoted property name", i);
        {
          const err = scanString();
          if (err) return err;
        }
        expect = "colon";
        continue;
      case "after-value": {
        const top = stack[stack.length - 1];
        if (ch === ",") {
          i++;
          expect = top === "{" ? "key" : "value";
          firstInContainer = false;
          continue;
        }
        if ((ch === "}" && top === "{") || (ch === "]" && top === "[")) {
          i++;
          stack.pop();
          expect = stack.length === 0 ? "end" : "after-value";
          continue;
        }
        return at(top === "{" ? "expected ',' or '}'" : "expected ',' or ']'", i);
      }
      case "value": {
        if (ch === "]" && firstInContainer && stack[stack.length - 1] === "[") {
          i++;
          stack.pop();
          expect = stack.length === 0 ? "end" : "after-value";
          continue;
        }
        let err: JsonErrorLocation | undefined;
        if (ch === "{" || ch === "[") {
          stack.push(ch);
          i++;
          expect = ch === "{" ? "key" : "value";
          firstInContainer = true;
          continue;
        }
        firstInContainer = false;
        if (ch === '"') err = scanString();
        else if (ch === "-" || (ch >= "0" && ch <= "9")) err = scanNumber();
        else if (text.startsWith("true", i)) i += 4;
        else if (text.startsWith("false", i)) i += 5;
        else if (text.startsWith("null", i)) i += 4;
        else err = at("unexpected character", i);
        if (err) return err;
        expect = stack.length === 0 ? "end" : "after-value";
        continue;
      }
    }
  }
}
