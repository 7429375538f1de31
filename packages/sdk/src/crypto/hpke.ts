/**
 * Wrapping keys (DEKs, category keys and KEK bundles) to a recipient's X25519 public key with HPKE
 * (RFC 9180) base mode, suite DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM
 * (KEM 0x0020, KDF 0x0001, AEAD 0x0002), using `@hpke/core` on WebCrypto.
 *
 * A wrapped key is `enc (32 bytes) || AES-256-GCM(key) (key + 16 bytes)`: 80 bytes for a DEK or a
 * generation-0 category key, 112 for a category key of a later generation, 336 or 624 for a KEK
 * bundle (the payloads are defined in `keyring.ts`). It is bound by HPKE `info` to its use
 * ({@link wrapInfo}): chain, contract, patient, grantee, scope, target and key epoch. It can only
 * be opened by that grantee, for that use.
 *
 * @module
 */

import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { concatBytes, encodeAbiParameters, hexToBytes } from "viem";
import type { Address, Hex } from "viem";
import { InvalidContextError, InvalidPublicKeyError, KeyUnwrapError, WrappedKeyFormatError } from "./errors.ts";
import { parsePublicKey } from "./keys.ts";
import type { UserKeys } from "./keys.ts";
import { assertAddress, assertInteger, assertKey, bufferSource, bytes32, KEY_BYTES, utf8 } from "./internal.ts";
import { KEY_PAYLOAD_BYTES } from "../keyring.ts";

/** Length in bytes of the HPKE encapsulated key `enc` (an X25519 public key). */
export const HPKE_ENC_BYTES = 32;
/** Length in bytes of a wrapped 32-byte key: `enc` (32) + ciphertext (32) + GCM tag (16). */
export const WRAPPED_KEY_BYTES = 80;
/** Bytes of a wrapped generation-0 KEK bundle (288 bytes, see `keyring.ts`): enc (32) || sealed bundle (304). */
export const WRAPPED_KEY_BUNDLE_BYTES = 336;
/** HPKE AEAD tag bytes (AES-256-GCM). */
const TAG_BYTES = 16;
/** Lengths of what may be wrapped: the key payloads of `keyring.ts` (`KEY_PAYLOAD_BYTES`). */
const WRAPPABLE_BYTES = KEY_PAYLOAD_BYTES;
/** Lengths of a wrapped key: each wrappable length plus `enc` and the tag (80, 112, 336, 624). */
export const WRAPPED_KEY_LENGTHS: readonly number[] = WRAPPABLE_BYTES.map((n) => HPKE_ENC_BYTES + n + TAG_BYTES);

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });

/** What a wrapped key grants: one record's DEK, one category's KEK, or an epoch's master KEK. */
export type WrapScope = "record" | "category" | "all";

const SCOPE_CODES: Record<WrapScope, number> = { record: 1, category: 2, all: 3 };

/** The use a wrapped key is bound to; encoded into HPKE `info` by {@link wrapInfo}. */
export interface WrapContext {
  /** EIP-155 chain id. */
  chainId: number;
  /** The Meridian contract the grant lives in. */
  contract: Address;
  /** The patient who owns the records. */
  patient: Address;
  /** The account the key is wrapped to. */
  grantee: Address;
  /** What the key covers. */
  scope: WrapScope;
  /**
   * 32-byte hex naming what is covered: the record id for `"record"`, the category code
   * left-padded to 32 bytes for `"category"` (`pad(toHex(category))`), zero for `"all"`.
   */
  target: Hex;
  /** The patient's key epoch the key belongs to (integer >= 0). */
  keyEpoch: number;
}

const WRAP_INFO_PREFIX = utf8("meridian/v1/wrap");

/**
 * Encodes a {@link WrapContext} as HPKE `info`: the 16 ASCII bytes `meridian/v1/wrap`
 * followed by `abi.encode(uint256 chainId, address contract, address patient, address grantee,
 * uint8 scope, bytes32 target, uint256 keyEpoch)` with scope codes record = 1, category = 2,
 * all = 3. Every field has a fixed width, so the encoding is unambiguous; 240 bytes in all.
 * Addresses are case-insensitive (checksummed or not gives the same bytes).
 *
 * @throws {InvalidContextError} when a field is malformed or out of range.
 */
export function wrapInfo(context: WrapContext): Uint8Array {
  const { chainId, contract, patient, grantee, scope, target, keyEpoch } = context;
  assertInteger("chainId", chainId, 1);
  assertAddress("contract", contract);
  assertAddress("patient", patient);
  assertAddress("grantee", grantee);
  const scopeCode = (SCOPE_CODES as Record<string, number | undefined>)[scope];
  if (scopeCode === undefined)
    throw new InvalidContextError(`scope must be "record", "category" or "all".`, {
      details: `scope: ${String(scope)}`,
    });
  bytes32("target", target);
  assertInteger("keyEpoch", keyEpoch, 0);
  const encoded = encodeAbiParameters(
    [
      { type: "uint256" },
      { type: "address" },
      { type: "address" },
      { type: "address" },
      { type: "uint8" },
      { type: "bytes32" },
      { type: "uint256" },
    ],
    [BigInt(chainId), contract, patient, grantee, scopeCode, target, BigInt(keyEpoch)],
  );
  return concatBytes([WRAP_INFO_PREFIX, hexToBytes(encoded)]);
}

/** Parameters of {@link wrapKey}. */
export interface WrapKeyParameters {
  /** The grantee's 32-byte X25519 public key (raw bytes or its on-chain `bytes32` hex). */
  recipientPublicKey: Hex | Uint8Array;
  /** The key to wrap: a DEK (32 bytes) or a key payload of `keyring.ts` (32, 64, 288 or 576 bytes). */
  key: Uint8Array;
  /** HPKE `info` binding the key to its use; build it with {@link wrapInfo}. */
  info: Uint8Array;
}

/**
 * Wraps a key to a recipient with HPKE base mode single-shot `Seal` (RFC 9180 §6.1).
 * Each call uses a fresh ephemeral key, so wrapping the same key twice gives different bytes.
 *
 * @returns `enc` (32) || sealed key (key + 16): {@link WRAPPED_KEY_BYTES} (80) bytes for a 32-byte key.
 * @throws {InvalidPublicKeyError} when the recipient key is not a 32-byte non-zero, usable X25519 key.
 * @throws {InvalidKeyLengthError} when `key` is not one of the payload lengths (32, 64, 288, 576 bytes).
 * @example
 * ```ts
 * const info = wrapInfo({ chainId, contract, patient, grantee, scope: "category", target: pad(toHex(2)), keyEpoch: 0 });
 * const wrapped = await wrapKey({ recipientPublicKey: granteeKeyBytes32, key: labKek, info });
 * ```
 */
export async function wrapKey(parameters: WrapKeyParameters): Promise<Uint8Array> {
  const { recipientPublicKey, key, info } = parameters;
  const publicKeyBytes = parsePublicKey(recipientPublicKey);
  if (!WRAPPABLE_BYTES.includes(key?.length)) assertKey("Key to wrap", key, KEY_BYTES);
  let sealed: { ct: ArrayBuffer; enc: ArrayBuffer };
  try {
    const publicKey = await suite.kem.deserializePublicKey(bufferSource(publicKeyBytes));
    sealed = await suite.seal({ recipientPublicKey: publicKey, info: bufferSource(info) }, bufferSource(key));
  } catch (cause) {
    // X25519 rejects low-order points (all-zero shared secret), RFC 9180 §7.1.4.
    throw new InvalidPublicKeyError("The recipient's encryption public key is not a usable X25519 key.", { cause });
  }
  const { ct, enc } = sealed;
  const out = new Uint8Array(HPKE_ENC_BYTES + key.length + TAG_BYTES);
  out.set(new Uint8Array(enc), 0);
  out.set(new Uint8Array(ct), HPKE_ENC_BYTES);
  return out;
}

/** Parameters of {@link unwrapKey}. */
export interface UnwrapKeyParameters {
  /** The grantee's keys (from `deriveUserKeys`). */
  recipient: UserKeys;
  /** The wrapped key from {@link wrapKey} (one of {@link WRAPPED_KEY_LENGTHS}). */
  wrapped: Uint8Array;
  /** The same `info` the key was wrapped with ({@link wrapInfo}). */
  info: Uint8Array;
}

/**
 * Opens a key wrapped by {@link wrapKey} (HPKE base mode single-shot `Open`, RFC 9180 §6.1).
 *
 * @returns the key (32, 64, 288 or 576 bytes; see `keyring.ts`).
 * @throws {WrappedKeyFormatError} (a {@link KeyUnwrapError}) when `wrapped` is not one of {@link WRAPPED_KEY_LENGTHS}.
 * @throws {KeyUnwrapError} when the key was wrapped to another account, with another `info`,
 *   or its bytes were changed.
 */
export async function unwrapKey(parameters: UnwrapKeyParameters): Promise<Uint8Array> {
  const { recipient, wrapped, info } = parameters;
  if (!(wrapped instanceof Uint8Array) || !WRAPPED_KEY_LENGTHS.includes(wrapped.length)) {
    throw new WrappedKeyFormatError(wrapped instanceof Uint8Array ? wrapped.length : 0, WRAPPED_KEY_LENGTHS);
  }
  const source = bufferSource(wrapped);
  let opened: ArrayBuffer;
  try {
    opened = await suite.open(
      { recipientKey: recipient.keyPair, enc: source.subarray(0, HPKE_ENC_BYTES), info: bufferSource(info) },
      source.subarray(HPKE_ENC_BYTES),
    );
  } catch (cause) {
    throw new KeyUnwrapError(undefined, { cause });
  }
  const key = new Uint8Array(opened);
  if (!WRAPPABLE_BYTES.includes(key.length))
    throw new KeyUnwrapError(
      `The unwrapped key is ${key.length} bytes; expected one of ${WRAPPABLE_BYTES.join(", ")} bytes.`,
    );
  return key;
}
