/**
 * Wrapping 32-byte keys (KEKs and DEKs) to a recipient's X25519 public key with HPKE
 * (RFC 9180) base mode, suite DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM
 * (KEM 0x0020, KDF 0x0001, AEAD 0x0002), using `@hpke/core` on WebCrypto.
 *
 * A wrapped key is `enc (32 bytes) || AES-256-GCM(key) (32 + 16 bytes)` = 80 bytes, and is
 * bound by HPKE `info` to its use ({@link wrapInfo}): chain, contract, patient, grantee,
 * scope, target and key epoch. It can only be opened by that grantee, for that use.
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

/** Length in bytes of the HPKE encapsulated key `enc` (an X25519 public key). */
export const HPKE_ENC_BYTES = 32;
/** Length in bytes of a wrapped 32-byte key: `enc` (32) + ciphertext (32) + GCM tag (16). */
export const WRAPPED_KEY_BYTES = 80;
/** Bytes of a wrapped all-categories KEK bundle (288 bytes, see `keyring.ts`): enc (32) || sealed bundle (304). */
export const WRAPPED_KEY_BUNDLE_BYTES = 336;
/** Lengths of what may be wrapped: one 32-byte key, or a 288-byte bundle of nine KEKs. */
const WRAPPABLE_BYTES = [KEY_BYTES, 288] as const;
/** HPKE AEAD tag bytes (AES-256-GCM). */
const TAG_BYTES = 16;

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
  if (scopeCode === undefined) throw new InvalidContextError(`scope must be "record", "category" or "all".`, { details: `scope: ${String(scope)}` });
  bytes32("target", target);
  assertInteger("keyEpoch", keyEpoch, 0);
  const encoded = encodeAbiParameters(
    [
      { type: "uint256" }, { type: "address" }, { type: "address" }, { type: "address" },
      { type: "uint8" }, { type: "bytes32" }, { type: "uint256" },
    ],
    [BigInt(chainId), contract, patient, grantee, scopeCode, target, BigInt(keyEpoch)],
  );
  return concatBytes([WRAP_INFO_PREFIX, hexToBytes(encoded)]);
}

/** Parameters of {@link wrapKey}. */
export interface WrapKeyParameters {
  /** The grantee's 32-byte X25519 public key (raw bytes or its on-chain `bytes32` hex). */
  recipientPublicKey: Hex | Uint8Array;
  /** The 32-byte key to wrap (a KEK or a DEK). */
  key: Uint8Array;
  /** HPKE `info` binding the key to its use; build it with {@link wrapInfo}. */
  info: Uint8Array;
}

/**
 * Wraps a 32-byte key to a recipient with HPKE base mode single-shot `Seal` (RFC 9180 §6.1).
 * Each call uses a fresh ephemeral key, so wrapping the same key twice gives different bytes.
 *
 * @returns {@link WRAPPED_KEY_BYTES} (80) bytes: `enc` (32) || sealed key (48).
 * @throws {InvalidPublicKeyError} when the recipient key is not a 32-byte non-zero, usable X25519 key.
 * @throws {InvalidKeyLengthError} when `key` is not 32 bytes.
 * @example
 * ```ts
 * const info = wrapInfo({ chainId, contract, patient, grantee, scope: "category", target: pad(toHex(2)), keyEpoch: 0 });
 * const wrapped = await wrapKey({ recipientPublicKey: granteeKeyBytes32, key: labKek, info });
 * ```
 */
export async function wrapKey(parameters: WrapKeyParameters): Promise<Uint8Array> {
  const { recipientPublicKey, key, info } = parameters;
  const publicKeyBytes = parsePublicKey(recipientPublicKey);
  if (!(WRAPPABLE_BYTES as readonly number[]).includes(key?.length)) assertKey("Key to wrap", key, KEY_BYTES);
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
  /** The 80-byte wrapped key from {@link wrapKey}. */
  wrapped: Uint8Array;
  /** The same `info` the key was wrapped with ({@link wrapInfo}). */
  info: Uint8Array;
}

/**
 * Opens a key wrapped by {@link wrapKey} (HPKE base mode single-shot `Open`, RFC 9180 §6.1).
 *
 * @returns the 32-byte key.
 * @throws {WrappedKeyFormatError} (a {@link KeyUnwrapError}) when `wrapped` is not 80 bytes.
 * @throws {KeyUnwrapError} when the key was wrapped to another account, with another `info`,
 *   or its bytes were changed.
 */
export async function unwrapKey(parameters: UnwrapKeyParameters): Promise<Uint8Array> {
  const { recipient, wrapped, info } = parameters;
  if (!(wrapped instanceof Uint8Array) || (wrapped.length !== WRAPPED_KEY_BYTES && wrapped.length !== WRAPPED_KEY_BUNDLE_BYTES)) {
    throw new WrappedKeyFormatError(wrapped instanceof Uint8Array ? wrapped.length : 0, WRAPPED_KEY_BYTES);
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
  if (!(WRAPPABLE_BYTES as readonly number[]).includes(key.length)) throw new KeyUnwrapError(`The unwrapped key is ${key.length} bytes; expected ${KEY_BYTES} bytes.`);
  return key;
}
