/**
 * Internal helpers shared by the crypto modules (not re-exported from `crypto/index.ts`):
 * WebCrypto HKDF-SHA256, byte-view conversion and context validation.
 *
 * @module
 */

import { isAddress, isHex, hexToBytes } from "viem";
import type { Address } from "viem";
import { InvalidContextError, InvalidKeyLengthError } from "./errors.ts";

/** Length in bytes of every symmetric key Meridian uses (root secret, KEKs, DEKs). */
export const KEY_BYTES = 32;

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

/**
 * Returns a view WebCrypto accepts (`ArrayBufferView<ArrayBuffer>`). No copy unless the
 * bytes live in a `SharedArrayBuffer`.
 */
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/**
 * HKDF-SHA256 (RFC 5869) with WebCrypto: extract with `salt` (empty salt = 32 zero bytes, as
 * RFC 5869 §2.2 specifies), expand with `info` to `length` bytes.
 */
export async function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length = KEY_BYTES,
): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey("raw", bufferSource(ikm), "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: bufferSource(salt), info: bufferSource(info) },
    key,
    length * 8,
  );
  return new Uint8Array(bits);
}

/** Throws {@link InvalidKeyLengthError} unless `key` is a Uint8Array of `expected` bytes. */
export function assertKey(what: string, key: unknown, expected = KEY_BYTES): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array))
    throw new InvalidKeyLengthError(what, 0, expected, { details: "the value is not a Uint8Array" });
  if (key.length !== expected) throw new InvalidKeyLengthError(what, key.length, expected);
}

/** Throws {@link InvalidContextError} unless `value` is an address (any letter case). */
export function assertAddress(field: string, value: unknown): asserts value is Address {
  if (typeof value !== "string" || !isAddress(value, { strict: false })) {
    throw new InvalidContextError(`${field} is not a 20-byte hex address.`, { details: `${field}: ${String(value)}` });
  }
}

/** Throws {@link InvalidContextError} unless `value` is a safe integer in `[min, max]`. */
export function assertInteger(
  field: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): asserts value is number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidContextError(`${field} must be an integer from ${min} to ${max}.`, {
      details: `${field}: ${String(value)}`,
    });
  }
}

/** A category code as used in key derivation and envelopes: an on-chain uint8, never 0 (`None`). */
export function assertCategory(value: unknown): asserts value is number {
  assertInteger("category", value, 1, 255);
}

/** Throws {@link InvalidContextError} unless `value` is 0x-prefixed hex of exactly 32 bytes; returns the bytes. */
export function bytes32(field: string, value: unknown): Uint8Array {
  if (typeof value !== "string" || !isHex(value, { strict: true }) || value.length !== 66) {
    throw new InvalidContextError(`${field} must be 32 bytes of 0x-prefixed hex.`, {
      details: `${field}: ${String(value)}`,
    });
  }
  return hexToBytes(value);
}

/**
 * Whether `a` and `b` hold the same bytes, in time that depends only on their lengths (not on
 * where they first differ), for comparing secret-derived values such as key commitments.
 */
export function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
