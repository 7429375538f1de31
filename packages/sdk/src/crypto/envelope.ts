/**
 * The record envelope stored on IPFS: everything in it is ciphertext or random.
 *
 * ```text
 * offset  size  field
 *      0     4  magic "MRD1" (0x4d 0x52 0x44 0x31)
 *      4     1  version 0x01
 *      5     1  flags (0x00; no flags are defined in version 1)
 *      6    40  DEK wrapped under the category KEK with AES-KW (RFC 3394)
 *     46    12  AES-GCM IV (random)
 *     58   n+16 AES-256-GCM(DEK, IV, AAD, plaintext) || 16-byte tag (NIST SP 800-38D)
 * ```
 *
 * AAD = header bytes (0..58) || `"meridian/v1/envelope"` || `abi.encode(uint256 chainId,
 * address contract, address patient, uint8 category, uint256 keyEpoch)`, so an envelope
 * cannot be passed off as another patient's, category's, epoch's, chain's or contract's.
 * Each record gets a fresh random 32-byte DEK. Bulk work runs on WebCrypto (native AES-GCM
 * and SHA-256); the module needs no Node-only API and works in browsers.
 *
 * @module
 */

import { bytesToHex, encodeAbiParameters, hexToBytes } from "viem";
import type { Address, Hex } from "viem";
import { DecryptionError, EnvelopeFormatError } from "./errors.ts";
import { assertAddress, assertCategory, assertInteger, assertKey, bufferSource, KEY_BYTES, utf8 } from "./internal.ts";

/** The 4 magic bytes that start every envelope: ASCII `MRD1`. */
export const ENVELOPE_MAGIC: Uint8Array = utf8("MRD1");
/** The envelope format version this SDK writes and reads. */
export const ENVELOPE_VERSION = 1;
/** Length in bytes of an AES-KW (RFC 3394) wrapped 32-byte DEK. */
export const WRAPPED_DEK_BYTES = 40;
/** Length in bytes of the AES-GCM IV (96 bits, NIST SP 800-38D §8.2.2 random construction). */
export const IV_BYTES = 12;
/** Length in bytes of the AES-GCM authentication tag. */
export const TAG_BYTES = 16;
/** Length in bytes of the envelope header: magic (4) + version (1) + flags (1) + wrapped DEK (40) + IV (12) = 58. */
export const ENVELOPE_HEADER_BYTES = 58;
/** Envelope size minus plaintext size: header (58) + tag (16) = 74 bytes. */
export const ENVELOPE_OVERHEAD_BYTES = ENVELOPE_HEADER_BYTES + TAG_BYTES;

const OFFSET_VERSION = 4;
const OFFSET_FLAGS = 5;
const OFFSET_WRAPPED_DEK = 6;
const OFFSET_IV = OFFSET_WRAPPED_DEK + WRAPPED_DEK_BYTES;

/** Whose record an envelope is; bound into the AES-GCM AAD. */
export interface EnvelopeContext {
  /** EIP-155 chain id. */
  chainId: number;
  /** The Meridian contract the record is registered in. */
  contract: Address;
  /** The patient who owns the record. */
  patient: Address;
  /** The record's category code (1..255; see `categories.ts`). */
  category: number;
  /** The patient's key epoch the record was sealed in (integer >= 0). */
  keyEpoch: number;
}

const CONTEXT_PREFIX = utf8("meridian/v1/envelope");

/**
 * Encodes an {@link EnvelopeContext} for the AAD: `"meridian/v1/envelope"` (20 bytes) ||
 * `abi.encode(uint256 chainId, address contract, address patient, uint8 category, uint256 keyEpoch)`
 * (160 bytes). Addresses are case-insensitive.
 *
 * @throws {InvalidContextError} when a field is malformed or out of range.
 */
export function encodeEnvelopeContext(context: EnvelopeContext): Uint8Array {
  const { chainId, contract, patient, category, keyEpoch } = context;
  assertInteger("chainId", chainId, 1);
  assertAddress("contract", contract);
  assertAddress("patient", patient);
  assertCategory(category);
  assertInteger("keyEpoch", keyEpoch, 0);
  const encoded = hexToBytes(
    encodeAbiParameters(
      [{ type: "uint256" }, { type: "address" }, { type: "address" }, { type: "uint8" }, { type: "uint256" }],
      [BigInt(chainId), contract, patient, category, BigInt(keyEpoch)],
    ),
  );
  const out = new Uint8Array(CONTEXT_PREFIX.length + encoded.length);
  out.set(CONTEXT_PREFIX, 0);
  out.set(encoded, CONTEXT_PREFIX.length);
  return out;
}

function additionalData(header: Uint8Array, contextBytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const aad = new Uint8Array(ENVELOPE_HEADER_BYTES + contextBytes.length);
  aad.set(header.subarray(0, ENVELOPE_HEADER_BYTES), 0);
  aad.set(contextBytes, ENVELOPE_HEADER_BYTES);
  return aad;
}

/**
 * SHA-256 of `bytes` (WebCrypto) as `0x` + 64 lower-case hex characters.
 *
 * @example `await sha256Hex(new Uint8Array())` → `0xe3b0c442…b855`
 */
export async function sha256Hex(bytes: Uint8Array): Promise<Hex> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bufferSource(bytes))));
}

/** Parameters of {@link sealRecord}. */
export interface SealRecordParameters {
  /** The record bytes (any length, including 0). */
  plaintext: Uint8Array;
  /** The 32-byte category KEK of the record's category and epoch (`PatientKeyring.categoryKek` in `keyring.ts`). */
  kek: Uint8Array;
  /** Whose record this is; must be given again, identical, to open it. */
  context: EnvelopeContext;
}

/** Result of {@link sealRecord}. */
export interface SealRecordReturnType {
  /** The envelope bytes to store on IPFS: plaintext length + {@link ENVELOPE_OVERHEAD_BYTES}. */
  envelope: Uint8Array;
  /** The record's fresh 32-byte data key; share it (HPKE-wrapped) for a one-record grant. Secret. */
  dek: Uint8Array;
  /** SHA-256 of the whole envelope, `0x` + 64 hex; registered on chain as the record's integrity hash. */
  ciphertextHash: Hex;
}

/**
 * Encrypts a record into an envelope: a fresh random DEK encrypts the plaintext with
 * AES-256-GCM (NIST SP 800-38D, 96-bit random IV, 128-bit tag), the DEK is wrapped under the
 * KEK with AES-KW (RFC 3394), and the envelope is hashed with SHA-256.
 *
 * @throws {InvalidKeyLengthError} when `kek` is not 32 bytes.
 * @throws {InvalidContextError} when a context field is malformed.
 * @example
 * ```ts
 * const kek = await new PatientKeyring(keys.rootSecret).categoryKek(RecordCategory.Lab, 0);
 * const { envelope, ciphertextHash } = await sealRecord({ plaintext, kek, context });
 * ```
 */
export async function sealRecord(parameters: SealRecordParameters): Promise<SealRecordReturnType> {
  const { envelope, dek } = await encryptRecord(parameters);
  return { envelope, dek, ciphertextHash: await sha256Hex(envelope) };
}

/**
 * {@link sealRecord} without the SHA-256: returns the envelope and its DEK, so a caller can hash
 * the envelope (on WebCrypto's thread pool) while it is being written to storage. Same errors
 * as {@link sealRecord}.
 */
export async function encryptRecord(parameters: SealRecordParameters): Promise<Omit<SealRecordReturnType, "ciphertextHash">> {
  const { plaintext, kek, context } = parameters;
  assertKey("KEK", kek);
  const contextBytes = encodeEnvelopeContext(context);
  const dek = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  const [kekKey, dekKey] = await Promise.all([
    crypto.subtle.importKey("raw", bufferSource(kek), "AES-KW", false, ["wrapKey"]),
    crypto.subtle.importKey("raw", dek, "AES-GCM", true, ["encrypt"]),
  ]);
  const wrappedDek = new Uint8Array(await crypto.subtle.wrapKey("raw", dekKey, kekKey, "AES-KW"));

  // One allocation for the whole envelope; the header is written in place.
  const envelope = new Uint8Array(ENVELOPE_HEADER_BYTES + plaintext.length + TAG_BYTES);
  envelope.set(ENVELOPE_MAGIC, 0);
  envelope[OFFSET_VERSION] = ENVELOPE_VERSION;
  envelope[OFFSET_FLAGS] = 0;
  envelope.set(wrappedDek, OFFSET_WRAPPED_DEK);
  const iv = envelope.subarray(OFFSET_IV, ENVELOPE_HEADER_BYTES);
  crypto.getRandomValues(iv);

  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv: new Uint8Array(iv), additionalData: additionalData(envelope, contextBytes), tagLength: TAG_BYTES * 8 },
    dekKey,
    bufferSource(plaintext),
  );
  envelope.set(new Uint8Array(ciphertext), ENVELOPE_HEADER_BYTES);
  release(ciphertext);
  return { envelope, dek };
}

/**
 * Frees a large temporary buffer now instead of at the next GC by detaching it
 * (`ArrayBuffer.prototype.transfer`, ES2024). For multi-megabyte records this keeps V8 from
 * running a full mark-compact every few seals, roughly halving median seal time at 10 MiB.
 */
function release(buffer: ArrayBuffer): void {
  const transferable = buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  if (buffer.byteLength >= 65_536 && typeof transferable.transfer === "function") transferable.transfer(0);
}

interface ParsedEnvelope {
  wrappedDek: Uint8Array<ArrayBuffer>;
  iv: Uint8Array<ArrayBuffer>;
  ciphertext: Uint8Array<ArrayBuffer>;
  bytes: Uint8Array<ArrayBuffer>;
}

function parseEnvelope(envelope: Uint8Array): ParsedEnvelope {
  if (!(envelope instanceof Uint8Array)) throw new EnvelopeFormatError("The record envelope is not a Uint8Array.");
  const bytes = bufferSource(envelope);
  if (bytes.length < ENVELOPE_MAGIC.length || !ENVELOPE_MAGIC.every((b, i) => bytes[i] === b)) {
    throw new EnvelopeFormatError("These bytes are not a Meridian record envelope (no MRD1 magic).", { details: `length: ${bytes.length} bytes` });
  }
  if (bytes.length >= OFFSET_FLAGS && bytes[OFFSET_VERSION] !== ENVELOPE_VERSION) {
    throw new EnvelopeFormatError(`Unsupported record envelope version ${bytes[OFFSET_VERSION]}; this SDK reads version ${ENVELOPE_VERSION}.`);
  }
  if (bytes.length < ENVELOPE_OVERHEAD_BYTES) {
    throw new EnvelopeFormatError(`The record envelope is truncated: ${bytes.length} bytes, shorter than the ${ENVELOPE_OVERHEAD_BYTES}-byte minimum.`);
  }
  if (bytes[OFFSET_FLAGS] !== 0) {
    throw new EnvelopeFormatError(`The record envelope has unknown flags 0x${bytes[OFFSET_FLAGS]!.toString(16).padStart(2, "0")}.`);
  }
  return {
    wrappedDek: bytes.subarray(OFFSET_WRAPPED_DEK, OFFSET_IV),
    iv: bytes.subarray(OFFSET_IV, ENVELOPE_HEADER_BYTES),
    ciphertext: bytes.subarray(ENVELOPE_HEADER_BYTES),
    bytes,
  };
}

async function unwrapDekKey(wrappedDek: Uint8Array<ArrayBuffer>, kek: Uint8Array, extractable: boolean): Promise<CryptoKey> {
  assertKey("KEK", kek);
  const kekKey = await crypto.subtle.importKey("raw", bufferSource(kek), "AES-KW", false, ["unwrapKey"]);
  try {
    return await crypto.subtle.unwrapKey("raw", wrappedDek, kekKey, "AES-KW", "AES-GCM", extractable, ["decrypt"]);
  } catch (cause) {
    throw new DecryptionError("The KEK does not open this record's data key (AES-KW integrity check failed).", {
      details: "wrong category, wrong key epoch, another patient's key, or altered envelope header",
      cause,
    });
  }
}

/** The key that opens an envelope: the category (or derived) KEK, or the record's own DEK. */
export type RecordKey = { kek: Uint8Array } | { dek: Uint8Array };

/** Parameters of {@link openRecord}. */
export interface OpenRecordParameters {
  /** The envelope bytes from IPFS. */
  envelope: Uint8Array;
  /** `{ kek }` (32-byte category KEK) or `{ dek }` (32-byte record DEK from a one-record grant). */
  key: RecordKey;
  /** The same context the record was sealed with. */
  context: EnvelopeContext;
}

/**
 * Decrypts an envelope made by {@link sealRecord}. Never returns unauthenticated bytes.
 *
 * @returns the plaintext.
 * @throws {EnvelopeFormatError} when the bytes are not a version-1 envelope or are truncated.
 * @throws {DecryptionError} when the key or context is wrong or any byte was altered.
 * @throws {InvalidKeyLengthError} when the key is not 32 bytes.
 * @throws {InvalidContextError} when a context field is malformed.
 */
export async function openRecord(parameters: OpenRecordParameters): Promise<Uint8Array> {
  const { envelope, key, context } = parameters;
  const parsed = parseEnvelope(envelope);
  const contextBytes = encodeEnvelopeContext(context);
  let dekKey: CryptoKey;
  if ("dek" in key) {
    assertKey("DEK", key.dek);
    dekKey = await crypto.subtle.importKey("raw", bufferSource(key.dek), "AES-GCM", false, ["decrypt"]);
  } else {
    dekKey = await unwrapDekKey(parsed.wrappedDek, key.kek, false);
  }
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: parsed.iv, additionalData: additionalData(parsed.bytes, contextBytes), tagLength: TAG_BYTES * 8 },
      dekKey,
      parsed.ciphertext,
    );
    return new Uint8Array(plaintext);
  } catch (cause) {
    throw new DecryptionError(undefined, { cause });
  }
}

/**
 * Recovers a record's 32-byte DEK from its envelope with the KEK (AES-KW, RFC 3394), to
 * re-share that one record. Authenticates only the wrapped DEK, not the whole envelope.
 *
 * @throws {EnvelopeFormatError} when the bytes are not a version-1 envelope.
 * @throws {DecryptionError} when the KEK does not match.
 * @throws {InvalidKeyLengthError} when `kek` is not 32 bytes.
 */
export async function unwrapDek(envelope: Uint8Array, kek: Uint8Array): Promise<Uint8Array> {
  const parsed = parseEnvelope(envelope);
  const dekKey = await unwrapDekKey(parsed.wrappedDek, kek, true);
  return new Uint8Array(await crypto.subtle.exportKey("raw", dekKey));
}
