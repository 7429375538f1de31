import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EmptyInputError, FhirParseError, InputTooLargeError, NotFhirError } from "./errors.ts";
import { DEFAULT_MAX_JSON_BYTES, locateJsonError, parseFhirJson } from "./parse.ts";
import { patientBundle } from "../testing/fhir-fixtures.ts";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("parseFhirJson", () => {
  test("parses a valid Bundle from bytes and from a string", () => {
    const json = JSON.stringify(patientBundle());
    const fromBytes = parseFhirJson(bytes(json));
    const fromString = parseFhirJson(json);
    assert.equal(fromBytes.resourceType, "Bundle");
    assert.deepEqual(fromBytes, fromString);
  });

  test("ignores a UTF-8 byte order mark", () => {
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('{"resourceType":"Patient"}')]);
    assert.equal(parseFhirJson(withBom).resourceType, "Patient");
    assert.equal(parseFhirJson('\uFEFF{"resourceType":"Patient"}').resourceType, "Patient");
  });

  test("empty input: EmptyInputError", () => {
    for (const input of [new Uint8Array(0), "", bytes("  \n\t "), " \r\n"]) {
      assert.throws(
        () => parseFhirJson(input, { source: "empty.json" }),
        (e: unknown) => {
          assert.ok(e instanceof EmptyInputError);
          assert.equal(e.name, "EmptyInputError");
          assert.equal(e.shortMessage, "The input is empty.");
          assert.match(e.message, /source: empty\.json/);
          return true;
        },
      );
    }
  });

  test("oversized input: InputTooLargeError with bytes and limit", () => {
    const json = '{"resourceType":"Patient","id":"abcdefghijklmnop"}';
    assert.throws(
      () => parseFhirJson(bytes(json), { maxBytes: 20 }),
      (e: unknown) => {
        assert.ok(e instanceof InputTooLargeError);
        assert.equal(e.bytes, json.length);
        assert.equal(e.limit, 20);
        assert.equal(e.shortMessage, `The input is too large: ${json.length} bytes, the limit is 20 bytes.`);
        return true;
      },
    );
    // Strings are measured in UTF-8 bytes: 10 "é" are 20 bytes.
    assert.throws(
      () => parseFhirJson(`{"resourceType":"Patient","x":"${"é".repeat(10)}"}`, { maxBytes: 40 }),
      InputTooLargeError,
    );
    assert.equal(DEFAULT_MAX_JSON_BYTES, 32 * 1024 * 1024);
  });

  test("malformed JSON: FhirParseError with line and column, never quoting the input", () => {
    const secret = "Zanzibar123 Quuxley456";
    const text = `{\n  "resourceType": "Patient",\n  "name": [{"text": "${secret}"}],\n  oops\n}`;
    assert.throws(
      () => parseFhirJson(text, { source: "p.json" }),
      (e: unknown) => {
        assert.ok(e instanceof FhirParseError);
        assert.equal(e.line, 4);
        assert.equal(e.column, 3);
        assert.equal(e.reason, "expected a double-quoted property name");
        assert.equal(
          e.shortMessage,
          "The input is not valid JSON: expected a double-quoted property name at line 4, column 3.",
        );
        assert.equal(e.cause, undefined);
        assert.ok(!e.message.includes(secret));
        return true;
      },
    );
  });

  test("locateJsonError finds common mistakes", () => {
    assert.deepEqual(locateJsonError('{"a": }'), { reason: "unexpected character", position: 6, line: 1, column: 7 });
    assert.equal(locateJsonError("[1,2,]").reason, "unexpected character");
    assert.equal(locateJsonError('{"a":1').reason, "unexpected end of input");
    assert.equal(locateJsonError('{"a":1}}').reason, "unexpected data after the JSON value");
    assert.equal(locateJsonError('{"a":"x').reason, "unterminated string");
    assert.equal(locateJsonError('{"a":01}').reason, "expected ',' or '}'");
    assert.equal(locateJsonError('{"a" 1}').reason, "expected ':' after a property name");
    assert.equal(locateJsonError("[".repeat(100000)).reason, "unexpected end of input");
  });

  test("invalid UTF-8: FhirParseError", () => {
    assert.throws(
      () => parseFhirJson(new Uint8Array([0x7b, 0xff, 0x7d])),
      (e: unknown) => {
        assert.ok(e instanceof FhirParseError);
        assert.equal(e.reason, "the bytes are not valid UTF-8");
        return true;
      },
    );
  });

  test("JSON that is not FHIR: NotFhirError", () => {
    const cases: [string, string][] = [
      ["[1, 2]", "it is an array"],
      ["42", "it is a number"],
      ['"text"', "it is a string"],
      ["null", "it is null"],
      ['{"name": "x"}', 'the object has no "resourceType"'],
      ['{"resourceType": 7}', '"resourceType" is not a string'],
      ['{"resourceType": "not a type"}', '"resourceType" is not a resource type name'],
    ];
    for (const [json, reason] of cases) {
      assert.throws(
        () => parseFhirJson(json),
        (e: unknown) => {
          assert.ok(e instanceof NotFhirError, json);
          assert.equal(e.reason, reason);
          assert.equal(e.shortMessage, `The input is JSON but not a FHIR resource: ${reason}.`);
          return true;
        },
      );
    }
  });
});
