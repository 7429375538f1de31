/**
 * The record envelope stored on IPFS: everything in it is ciphertext or random. A record is
 * encrypted as a sequence of AES-256-GCM segments (the online-AE construction STREAM of
 * Hoang, Reyhanitabar, Rogaway and Vizár, CRYPTO 2015, with the segment and nonce layout of
 * Tink's AES-GCM-HKDF streaming AEAD), so large records are encrypted and decrypted segment by
 * segment, in parallel, and each stored 1 MiB IPFS chunk holds exactly one segment.
 *
 * ```text
 * offset  size  field
 *      0     4  magic "MRD1" (0x4d 0x52 0x44 0x31)
 *      4     1  version 0x03
 *      5     1  flags (0x00; no flags are defined in version 3)
 *      6    40  DEK wrapped under the category KEK with AES-KW (RFC 3394)
 *     46     7  nonce prefix (random)
 *     53    32  key commitment of the DEK (see below)
 *     85   ...  segment 0, segment 1, ... each = AES-256-GCM(K_enc, nonce_i, AAD, plaintext_i) || 16-byte tag
 * ```
 *
 * **Key commitment.** AES-GCM is not key-committing: whoever knows two keys can make one
 * ciphertext that authenticates under both ("invisible salamanders", Dodis, Grubbs, Ristenpart
 * and Woodage, CRYPTO 2018; partitioning oracles, Len, Grubbs and Ristenpart, USENIX Security
 * 2021), so one anchored envelope could show the patient (KEK path) one record and a validator
 * (given only a DEK) another. Version 3 derives two independent values from the DEK with
 * HKDF-SHA256 (RFC 5869) under distinct labels:
 *
 * ```text
 * K_enc      = HKDF-SHA256(IKM = DEK, salt = "meridian/v3/envelope", info = "meridian/v3/envelope/aes-256-gcm-key", 32)
 * commitment = HKDF-SHA256(IKM = DEK, salt = "meridian/v3/envelope", info = "meridian/v3/envelope/key-commitment", 32)
 * ```
 *
 * K_enc is the AES-256-GCM key; the commitment is stored in the header (and so authenticated as
 * part of the AAD). Every open recomputes the commitment from the DEK in hand (unwrapped with the
 * KEK, or given as a DEK) and compares it in constant time before decrypting anything: an
 * envelope opens under one DEK only, since a second DEK with the same commitment is an HMAC-SHA256
 * collision. This is the generic key-commitment fix of Albertini, Duong, Gueron, Kölbl, Luykx and
 * Schmieg, "How to Abuse and Fix Authenticated Encryption Without Key Commitment" (USENIX Security
 * 2022: a commitment derived from the key under its own label, beside an encryption key derived
 * under another), as used by the AWS Encryption SDK's committing message format; cf.
 * Bellare and Hoang's CTX and UtC (EUROCRYPT 2022). Version 1 and 2 envelopes had no commitment
 * and are refused ({@link EnvelopeVersionError}).
 *
 * Plaintext segment 0 holds up to {@link FIRST_SEGMENT_PLAINTEXT_BYTES} (1,048,475) bytes and
 * every later segment up to {@link SEGMENT_PLAINTEXT_BYTES} (1,048,560), so header + segment 0
 * and every later full segment are exactly 1 MiB of envelope. Only the last segment may be
 * shorter; an empty record is one empty last segment. The segment count follows from the
 * envelope length, so it is not stored.
 *
 * nonce_i = nonce prefix (7 bytes) || uint32 big-endian i || 0x01 for the last segment, else 0x00.
 * Reordering, dropping, duplicating or truncating segments therefore fails authentication.
 *
 * AAD (the same for every segment) = header bytes (0..85) || `"meridian/v1/envelope"` ||
 * `abi.encode(uint256 chainId, address contract, address patient, uint8 category, uint256 keyEpoch)`,
 * so an envelope cannot be passed off as another patient's, category's, epoch's, chain's or
 * contract's. Each record gets a fresh random 32-byte DEK. Bulk work runs on WebCrypto (native
 * AES-GCM and SHA-256), and so does HKDF: on the KEK path the DEK is unwrapped straight into a
 * non-extractable HKDF key and never exists as bytes. The module needs no Node-only API and
 * works in browsers.
 *
 * @module
 */

import { bytesToHex, encodeAbiParameters, hexToBytes } from "viem";
import type { Address, Hex } from "viem";
import { DecryptionError, EnvelopeFormatError, EnvelopeVersionError, KeyCommitmentError } from "./errors.ts";
import { ciphertextHash } from "./ciphertext-hash.ts";
import {
  assertAddress, assertCategory, assertInteger, assertKey, bufferSource, equalConstantTime, KEY_BYTES, utf8,
} from "./internal.ts";

/** The 4 magic bytes that start every envelope: ASCII `MRD1`. */
export const ENVELOPE_MAGIC: Uint8Array = utf8("MRD1");
/**
 * The envelope format version this SDK writes and reads: 3 (segments with a key commitment).
 * Versions 1 (unsegmented) and 2 (no key commitment) were pre-release formats and are refused.
 */
export const ENVELOPE_VERSION = 3;
/** Length in bytes of an AES-KW (RFC 3394) wrapped 32-byte DEK. */
export const WRAPPED_DEK_BYTES = 40;
/** Length in bytes of the random nonce prefix in the header. */
export const NONCE_PREFIX_BYTES = 7;
/** Length in bytes of the key commitment in the header (HKDF-SHA256 of the DEK, see the module docs). */
export const KEY_COMMITMENT_BYTES = 32;
/** Length in bytes of the AES-GCM authentication tag of each segment. */
export const TAG_BYTES = 16;
/**
 * Length in bytes of the envelope header: magic (4) + version (1) + flags (1) + wrapped DEK (40)
 * + nonce prefix (7) + key commitment (32) = 85.
 */
export const ENVELOPE_HEADER_BYTES = 85;
/** Bytes of envelope per full segment (and of header + segment 0): 1 MiB, the IPFS chunk size of `storage/cid.ts`. */
export const SEGMENT_ENVELOPE_BYTES = 1_048_576;
/** Plaintext bytes of a full segment after the first: 1 MiB − 16 = 1,048,560. */
export const SEGMENT_PLAINTEXT_BYTES = SEGMENT_ENVELOPE_BYTES - TAG_BYTES;
/** Plaintext bytes of a full first segment: 1 MiB − 85 − 16 = 1,048,475 (header + segment 0 = one 1 MiB chunk). */
export const FIRST_SEGMENT_PLAINTEXT_BYTES = SEGMENT_ENVELOPE_BYTES - ENVELOPE_HEADER_BYTES - TAG_BYTES;
/** Envelope size minus plaintext size for a one-segment record (≤ 1,048,475 bytes): header 85 + tag 16 = 101 bytes. */
export const ENVELOPE_OVERHEAD_BYTES = ENVELOPE_HEADER_BYTES + TAG_BYTES;

const OFFSET_VERSION = 4;
const OFFSET_FLAGS = 5;
const OFFSET_WRAPPED_DEK = 6;
const OFFSET_NONCE_PREFIX = OFFSET_WRAPPED_DEK + WRAPPED_DEK_BYTES;
const OFFSET_KEY_COMMITMENT = OFFSET_NONCE_PREFIX + NONCE_PREFIX_BYTES;
const NONCE_BYTES = 12;

const KDF_SALT = utf8("meridian/v3/envelope");
const KDF_INFO_ENCRYPTION_KEY = utf8("meridian/v3/envelope/aes-256-gcm-key");
const KDF_INFO_KEY_COMMITMENT = utf8("meridian/v3/envelope/key-commitment");

/** Number of segments of a `plaintextBytes`-byte record (≥ 1). */
export function segmentCount(plaintextBytes: number): number {
  return plaintextBytes <= FIRST_SEGMENT_PLAINTEXT_BYTES ? 1 : 1 + Math.ceil((plaintextBytes - FIRST_SEGMENT_PLAINTEXT_BYTES) / SEGMENT_PLAINTEXT_BYTES);
}

/** Envelope size in bytes of a `plaintextBytes`-byte record: 85 + plaintext + 16 per segment. */
export function envelopeSize(plaintextBytes: number): number {
  return ENVELOPE_HEADER_BYTES + plaintextBytes + TAG_BYTES * segmentCount(plaintextBytes);
}

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
      [BigInt(chainId), contract.toLowerCase() as Address, patient.toLowerCase() as Address, category, BigInt(keyEpoch)],
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
  /** The envelope bytes to store on IPFS: {@link envelopeSize} bytes (plaintext + 101 up to 1,048,475 bytes). */
  envelope: Uint8Array;
  /** The record's fresh 32-byte data key; share it (HPKE-wrapped) for a one-record grant. Secret. */
  dek: Uint8Array;
  /** The envelope's ciphertext hash (SHA-256 hash list over its 1 MiB pieces, see `ciphertext-hash.ts`), `0x` + 64 hex; registered on chain as the record's integrity hash. */
  ciphertextHash: Hex;
}

/**
 * Encrypts a record into an envelope: from a fresh random DEK, HKDF-SHA256 derives the
 * AES-256-GCM key that encrypts the plaintext in segments (NIST SP 800-38D, 96-bit STREAM
 * nonces, 128-bit tags) and the key commitment stored in the header; the DEK is wrapped under the
 * KEK with AES-KW (RFC 3394), and the envelope's ciphertext hash is computed (SHA-256 hash list
 * over 1 MiB pieces, `ciphertext-hash.ts`).
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
  return { envelope, dek, ciphertextHash: await ciphertextHash(envelope) };
}

/**
 * {@link sealRecord} without the ciphertext hash: returns the envelope and its DEK, for a caller
 * whose storage hashes the envelope as it writes it (`BlobStore.put` returns the hash). Same
 * errors as {@link sealRecord}. {@link encryptRecordParts} gives the same envelope without
 * joining it into one buffer.
 */
export async function encryptRecord(parameters: SealRecordParameters): Promise<Omit<SealRecordReturnType, "ciphertextHash">> {
  const { parts, size, dek } = await encryptRecordParts(parameters);
  const envelope = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    envelope.set(part, offset);
    offset += part.length;
    release(part.buffer as ArrayBuffer); // each part is a whole buffer of its own, no longer needed
  }
  return { envelope, dek };
}

/** Result of {@link encryptRecordParts}. */
export interface EncryptRecordPartsReturnType {
  /**
   * The envelope as consecutive parts: the 85-byte header, then each segment's ciphertext || tag
   * in order. Joined, they are the envelope of {@link encryptRecord}; the header and segment 0
   * make the first 1 MiB piece and every later segment is one piece, so a store can write and
   * hash them as IPFS leaves without copying them into one buffer (`BlobStore.put` takes parts).
   */
  parts: Uint8Array[];
  /** The envelope's size in bytes ({@link envelopeSize} of the plaintext). */
  size: number;
  /** The record's fresh 32-byte data key. Secret. */
  dek: Uint8Array;
}

/**
 * Encrypts a record like {@link encryptRecord} and returns its envelope in parts (header, then
 * one part per AES-256-GCM segment), saving the copy into one buffer: for a 10 MiB record that
 * copy of fresh memory costs as much as the encryption. Same errors as {@link sealRecord}.
 */
export async function encryptRecordParts(parameters: SealRecordParameters): Promise<EncryptRecordPartsReturnType> {
  const { plaintext, kek, context } = parameters;
  assertKey("KEK", kek);
  if (!(plaintext instanceof Uint8Array)) throw new EnvelopeFormatError("The record plaintext is not a Uint8Array.");
  const contextBytes = encodeEnvelopeContext(context);
  const dek = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  const [kekKey, wrappable, derived] = await Promise.all([
    crypto.subtle.importKey("raw", bufferSource(kek), "AES-KW", false, ["wrapKey"]),
    // AES-KW wraps only extractable keys; this one is used for nothing but the wrap
    crypto.subtle.importKey("raw", dek, "AES-GCM", true, ["encrypt"]),
    importHkdfKey(dek).then((key) => recordKeys(key, "encrypt")),
  ]);
  const header = new Uint8Array(ENVELOPE_HEADER_BYTES);
  header.set(ENVELOPE_MAGIC, 0);
  header[OFFSET_VERSION] = ENVELOPE_VERSION;
  header[OFFSET_FLAGS] = 0;
  header.set(new Uint8Array(await crypto.subtle.wrapKey("raw", wrappable, kekKey, "AES-KW")), OFFSET_WRAPPED_DEK);
  crypto.getRandomValues(header.subarray(OFFSET_NONCE_PREFIX, OFFSET_KEY_COMMITMENT));
  header.set(derived.commitment, OFFSET_KEY_COMMITMENT);
  const dekKey = derived.encryptionKey;
  const aad = additionalData(header, contextBytes);
  const source = bufferSource(plaintext);

  // Every segment is encrypted at once: WebCrypto runs them on its thread pool in parallel.
  const count = segmentCount(source.length);
  const segments = await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const start = index === 0 ? 0 : FIRST_SEGMENT_PLAINTEXT_BYTES + (index - 1) * SEGMENT_PLAINTEXT_BYTES;
      const end = Math.min(source.length, index === 0 ? FIRST_SEGMENT_PLAINTEXT_BYTES : start + SEGMENT_PLAINTEXT_BYTES);
      const ciphertext = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv: segmentNonce(header, index, index === count - 1), additionalData: aad, tagLength: TAG_BYTES * 8 },
        dekKey,
        source.subarray(start, end),
      );
      return new Uint8Array(ciphertext);
    }),
  );
  return { parts: [header, ...segments], size: ENVELOPE_HEADER_BYTES + source.length + TAG_BYTES * count, dek };
}

/**
 * Frees an envelope's parts (from {@link encryptRecordParts}) now, once they are stored, instead
 * of at the next garbage collection: each part that is a whole buffer of 64 KiB or more is
 * detached (`ArrayBuffer.prototype.transfer`), so its memory is reused by the next record while it
 * is still mapped (`npm run bench:floor` seals records back to back both ways). Detached parts
 * read as empty afterwards.
 */
export function releaseRecordParts(parts: readonly Uint8Array[]): void {
  for (const part of parts) {
    if (part.byteOffset === 0 && part.byteLength === part.buffer.byteLength && part.buffer instanceof ArrayBuffer) release(part.buffer);
  }
}

/** STREAM nonce of segment `index`: prefix (7) || uint32be(index) || last flag (1). */
function segmentNonce(header: Uint8Array, index: number, last: boolean): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(NONCE_BYTES);
  nonce.set(header.subarray(OFFSET_NONCE_PREFIX, OFFSET_KEY_COMMITMENT), 0);
  new DataView(nonce.buffer).setUint32(NONCE_PREFIX_BYTES, index, false);
  nonce[NONCE_BYTES - 1] = last ? 1 : 0;
  return nonce;
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

/** The two values a DEK yields (module docs): the AES-256-GCM key and the header's key commitment. */
interface RecordKeys {
  /** K_enc, non-extractable, for `usage` only. */
  encryptionKey: CryptoKey;
  /** The 32-byte key commitment. */
  commitment: Uint8Array;
}

/** A DEK's bytes as a non-extractable WebCrypto HKDF key. */
function importHkdfKey(dek: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", dek, "HKDF", false, ["deriveBits", "deriveKey"]);
}

/** Derives {@link RecordKeys} from a DEK held as a WebCrypto HKDF key (HKDF-SHA256, RFC 5869, two labels). */
async function recordKeys(dek: CryptoKey, usage: "encrypt" | "decrypt"): Promise<RecordKeys> {
  const params = (info: Uint8Array<ArrayBuffer>) => ({ name: "HKDF", hash: "SHA-256", salt: KDF_SALT, info });
  const [encryptionKey, commitment] = await Promise.all([
    crypto.subtle.deriveKey(params(KDF_INFO_ENCRYPTION_KEY), dek, { name: "AES-GCM", length: 256 }, false, [usage]),
    crypto.subtle.deriveBits(params(KDF_INFO_KEY_COMMITMENT), dek, KEY_COMMITMENT_BYTES * 8),
  ]);
  return { encryptionKey, commitment: new Uint8Array(commitment) };
}

/**
 * The AES-GCM key that opens `parsed`, from the DEK in hand (as an HKDF key), once the DEK's
 * commitment matched the header's (constant-time compare); throws {@link KeyCommitmentError}
 * before anything is decrypted otherwise. `via` names the key's origin for the error's details.
 */
async function committedDecryptionKey(parsed: ParsedEnvelope, dek: CryptoKey, via: string): Promise<CryptoKey> {
  const { encryptionKey, commitment } = await recordKeys(dek, "decrypt");
  assertCommitted(parsed, commitment, via);
  return encryptionKey;
}

function assertCommitted(parsed: ParsedEnvelope, commitment: Uint8Array, via: string): void {
  if (!equalConstantTime(commitment, parsed.commitment)) {
    throw new KeyCommitmentError(undefined, { details: `${via}; nothing was decrypted` });
  }
}

interface ParsedEnvelope {
  header: Uint8Array<ArrayBuffer>;
  wrappedDek: Uint8Array<ArrayBuffer>;
  /** The header's 32-byte key commitment. */
  commitment: Uint8Array<ArrayBuffer>;
  /** Ciphertext || tag of each segment, in order. */
  segments: Uint8Array<ArrayBuffer>[];
}

function parseEnvelope(envelope: Uint8Array): ParsedEnvelope {
  if (!(envelope instanceof Uint8Array)) throw new EnvelopeFormatError("The record envelope is not a Uint8Array.");
  const bytes = bufferSource(envelope);
  if (bytes.length < ENVELOPE_MAGIC.length || !ENVELOPE_MAGIC.every((b, i) => bytes[i] === b)) {
    throw new EnvelopeFormatError("These bytes are not a Meridian record envelope (no MRD1 magic).", { details: `length: ${bytes.length} bytes` });
  }
  if (bytes.length > OFFSET_VERSION && bytes[OFFSET_VERSION] !== ENVELOPE_VERSION) {
    const details = `length: ${bytes.length} bytes`;
    throw new EnvelopeVersionError(bytes[OFFSET_VERSION]!, ENVELOPE_VERSION, { details });
  }
  if (bytes.length < ENVELOPE_OVERHEAD_BYTES) {
    throw new EnvelopeFormatError(`The record envelope is truncated: ${bytes.length} bytes, shorter than the ${ENVELOPE_OVERHEAD_BYTES}-byte minimum.`);
  }
  if (bytes[OFFSET_FLAGS] !== 0) {
    throw new EnvelopeFormatError(`The record envelope has unknown flags 0x${bytes[OFFSET_FLAGS]!.toString(16).padStart(2, "0")}.`);
  }
  const segments: Uint8Array<ArrayBuffer>[] = [];
  for (let offset = ENVELOPE_HEADER_BYTES, size = SEGMENT_ENVELOPE_BYTES - ENVELOPE_HEADER_BYTES; offset < bytes.length; offset += size, size = SEGMENT_ENVELOPE_BYTES) {
    segments.push(bytes.subarray(offset, Math.min(bytes.length, offset + size)));
  }
  if (segments.at(-1)!.length < TAG_BYTES || (segments.length > 1 && segments.at(-1)!.length === TAG_BYTES)) {
    throw new EnvelopeFormatError(`The record envelope is truncated: its last segment has ${segments.at(-1)!.length} bytes.`);
  }
  return {
    header: bytes.subarray(0, ENVELOPE_HEADER_BYTES),
    wrappedDek: bytes.subarray(OFFSET_WRAPPED_DEK, OFFSET_NONCE_PREFIX),
    commitment: bytes.subarray(OFFSET_KEY_COMMITMENT, ENVELOPE_HEADER_BYTES),
    segments,
  };
}

/** An envelope's layout as {@link parseEnvelopeStructure} reads it from the bytes alone (no key needed). */
export interface EnvelopeStructure {
  /** The format version byte ({@link ENVELOPE_VERSION}). */
  version: number;
  /** Length of the header in bytes ({@link ENVELOPE_HEADER_BYTES}). */
  headerBytes: number;
  /** Number of AES-256-GCM segments (≥ 1). */
  segmentCount: number;
  /** Plaintext bytes the segments hold: envelope length − header − {@link TAG_BYTES} per segment. */
  plaintextBytes: number;
}

/**
 * Checks that `envelope` is structurally a record envelope this SDK reads, without any key:
 * magic, version, flags, header length, and a segment layout consistent with its length (every
 * segment but the last full, the last one holding at least its tag, and more than its tag when
 * there are several). It cannot tell ciphertext from other bytes in that shape; only a key can.
 * Used by servers that accept envelopes (the web app's `/api/blobs`) so they never store or
 * serve anything else.
 *
 * @returns the envelope's {@link EnvelopeStructure}; `envelopeSize(plaintextBytes)` equals its length.
 * @throws {EnvelopeFormatError} naming the first check that fails (not an envelope, unsupported
 *   version, unknown flags, truncated header or segment).
 * @example
 * ```ts
 * const { plaintextBytes } = parseEnvelopeStructure(bytes); // throws on plaintext or a cut envelope
 * ```
 */
export function parseEnvelopeStructure(envelope: Uint8Array): EnvelopeStructure {
  const { header, segments } = parseEnvelope(envelope);
  return {
    version: header[OFFSET_VERSION]!,
    headerBytes: header.length,
    segmentCount: segments.length,
    plaintextBytes: envelope.length - header.length - TAG_BYTES * segments.length,
  };
}

/**
 * Unwraps the header's DEK with the KEK (AES-KW): as a non-extractable HKDF key for opening, or
 * as raw bytes (an extractable AES-GCM key, only ever exported) for re-sharing.
 */
async function unwrapDekKey(wrapped: Uint8Array<ArrayBuffer>, kek: Uint8Array, as: "HKDF" | "raw"): Promise<CryptoKey> {
  assertKey("KEK", kek);
  const kekKey = await crypto.subtle.importKey("raw", bufferSource(kek), "AES-KW", false, ["unwrapKey"]);
  try {
    return as === "HKDF"
      ? await crypto.subtle.unwrapKey("raw", wrapped, kekKey, "AES-KW", "HKDF", false, ["deriveBits", "deriveKey"])
      : await crypto.subtle.unwrapKey("raw", wrapped, kekKey, "AES-KW", "AES-GCM", true, ["decrypt"]);
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
 * Decrypts an envelope made by {@link sealRecord}. Whichever key is given, the DEK it yields (the
 * header's, unwrapped with `{ kek }`, or `{ dek }` itself) must match the header's key commitment
 * before anything is decrypted; then every segment must authenticate. Never returns
 * unauthenticated bytes, and never a plaintext under a key other than the one the record was
 * sealed with.
 *
 * @returns the plaintext.
 * @throws {EnvelopeVersionError} (an {@link EnvelopeFormatError}) when the envelope is of version 1
 *   or 2 (pre-release, no key commitment: import the record again) or of a newer version.
 * @throws {EnvelopeFormatError} when the bytes are not an envelope or are truncated.
 * @throws {KeyCommitmentError} (a {@link DecryptionError}) when the DEK is not the one the header
 *   commits to: a wrong DEK, or a header whose wrapped DEK and commitment disagree.
 * @throws {DecryptionError} when the KEK or context is wrong or any byte was altered.
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
    dekKey = await committedDecryptionKey(parsed, await importHkdfKey(bufferSource(key.dek)), "the DEK given");
  } else {
    const dek = await unwrapDekKey(parsed.wrappedDek, key.kek, "HKDF");
    dekKey = await committedDecryptionKey(parsed, dek, "the DEK unwrapped from the header with the KEK");
  }
  const aad = additionalData(parsed.header, contextBytes);
  const { segments } = parsed;
  try {
    // All segments are decrypted at once (WebCrypto's thread pool), then joined in order.
    const parts = await Promise.all(
      segments.map(async (segment, index) =>
        crypto.subtle.decrypt(
          { name: "AES-GCM", iv: segmentNonce(parsed.header, index, index === segments.length - 1), additionalData: aad, tagLength: TAG_BYTES * 8 },
          dekKey,
          segment,
        ),
      ),
    );
    if (parts.length === 1) return new Uint8Array(parts[0]!);
    const plaintext = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
    let offset = 0;
    for (const part of parts) {
      plaintext.set(new Uint8Array(part), offset);
      offset += part.byteLength;
      release(part);
    }
    return plaintext;
  } catch (cause) {
    throw new DecryptionError(undefined, { cause });
  }
}

/**
 * Recovers a record's 32-byte DEK from its envelope with the KEK (AES-KW, RFC 3394), to
 * re-share that one record (a one-record grant, a validation share, an emergency release).
 * Checks the wrapped DEK (AES-KW integrity) and that it is the DEK the header commits to, so
 * only the key that opens the envelope is ever shared; it does not decrypt the segments.
 *
 * @throws {EnvelopeVersionError} when the envelope is not of version 3.
 * @throws {EnvelopeFormatError} when the bytes are not an envelope or are truncated.
 * @throws {KeyCommitmentError} when the wrapped DEK is not the one the header commits to.
 * @throws {DecryptionError} when the KEK does not match.
 * @throws {InvalidKeyLengthError} when `kek` is not 32 bytes.
 */
export async function unwrapDek(envelope: Uint8Array, kek: Uint8Array): Promise<Uint8Array> {
  const parsed = parseEnvelope(envelope);
  const unwrapped = await unwrapDekKey(parsed.wrappedDek, kek, "raw");
  const dek = new Uint8Array(await crypto.subtle.exportKey("raw", unwrapped));
  const { commitment } = await recordKeys(await importHkdfKey(dek), "decrypt");
  assertCommitted(parsed, commitment, "the DEK unwrapped from the header with the KEK");
  return dek;
}
