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
 * This module holds the format: the header, its constants, the key commitment, the AAD context
 * and parsing; `envelope.ts` seals and opens envelopes segment by segment.
 *
 * @module
 */

import { encodeAbiParameters, hexToBytes } from "viem";
import type { Address } from "viem";
import { EnvelopeFormatError, EnvelopeVersionError, KeyCommitmentError } from "./errors.ts";
import { assertAddress, assertCategory, assertInteger, bufferSource, equalConstantTime, utf8 } from "./internal.ts";

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

export const OFFSET_VERSION = 4;
export const OFFSET_FLAGS = 5;
export const OFFSET_WRAPPED_DEK = 6;
export const OFFSET_NONCE_PREFIX = OFFSET_WRAPPED_DEK + WRAPPED_DEK_BYTES;
export const OFFSET_KEY_COMMITMENT = OFFSET_NONCE_PREFIX + NONCE_PREFIX_BYTES;
export const NONCE_BYTES = 12;

const KDF_SALT = utf8("meridian/v3/envelope");
const KDF_INFO_ENCRYPTION_KEY = utf8("meridian/v3/envelope/aes-256-gcm-key");
const KDF_INFO_KEY_COMMITMENT = utf8("meridian/v3/envelope/key-commitment");

/** Number of segments of a `plaintextBytes`-byte record (≥ 1). */
export function segmentCount(plaintextBytes: number): number {
  return plaintextBytes <= FIRST_SEGMENT_PLAINTEXT_BYTES
    ? 1
    : 1 + Math.ceil((plaintextBytes - FIRST_SEGMENT_PLAINTEXT_BYTES) / SEGMENT_PLAINTEXT_BYTES);
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
      [
        BigInt(chainId),
        contract.toLowerCase() as Address,
        patient.toLowerCase() as Address,
        category,
        BigInt(keyEpoch),
      ],
    ),
  );
  const out = new Uint8Array(CONTEXT_PREFIX.length + encoded.length);
  out.set(CONTEXT_PREFIX, 0);
  out.set(encoded, CONTEXT_PREFIX.length);
  return out;
}

export function additionalData(header: Uint8Array, contextBytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const aad = new Uint8Array(ENVELOPE_HEADER_BYTES + contextBytes.length);
  aad.set(header.subarray(0, ENVELOPE_HEADER_BYTES), 0);
  aad.set(contextBytes, ENVELOPE_HEADER_BYTES);
  return aad;
}

/** STREAM nonce of segment `index`: prefix (7) || uint32be(index) || last flag (1). */
export function segmentNonce(header: Uint8Array, index: number, last: boolean): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(NONCE_BYTES);
  nonce.set(header.subarray(OFFSET_NONCE_PREFIX, OFFSET_KEY_COMMITMENT), 0);
  new DataView(nonce.buffer).setUint32(NONCE_PREFIX_BYTES, index, false);
  nonce[NONCE_BYTES - 1] = last ? 1 : 0;
  return nonce;
}

/** The two values a DEK yields (module docs): the AES-256-GCM key and the header's key commitment. */
export interface RecordKeys {
  /** K_enc, non-extractable, for `usage` only. */
  encryptionKey: CryptoKey;
  /** The 32-byte key commitment. */
  commitment: Uint8Array;
}

/** A DEK's bytes as a non-extractable WebCrypto HKDF key. */
export function importHkdfKey(dek: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", dek, "HKDF", false, ["deriveBits", "deriveKey"]);
}

/** Derives {@link RecordKeys} from a DEK held as a WebCrypto HKDF key (HKDF-SHA256, RFC 5869, two labels). */
export async function recordKeys(dek: CryptoKey, usage: "encrypt" | "decrypt"): Promise<RecordKeys> {
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
export async function committedDecryptionKey(parsed: ParsedEnvelope, dek: CryptoKey, via: string): Promise<CryptoKey> {
  const { encryptionKey, commitment } = await recordKeys(dek, "decrypt");
  assertCommitted(parsed, commitment, via);
  return encryptionKey;
}

export function assertCommitted(parsed: ParsedEnvelope, commitment: Uint8Array, via: string): void {
  if (!equalConstantTime(commitment, parsed.commitment)) {
    throw new KeyCommitmentError(undefined, { details: `${via}; nothing was decrypted` });
  }
}

export interface ParsedEnvelope {
  header: Uint8Array<ArrayBuffer>;
  wrappedDek: Uint8Array<ArrayBuffer>;
  /** The header's 32-byte key commitment. */
  commitment: Uint8Array<ArrayBuffer>;
  /** Ciphertext || tag of each segment, in order. */
  segments: Uint8Array<ArrayBuffer>[];
}

export function parseEnvelope(envelope: Uint8Array): ParsedEnvelope {
  if (!(envelope instanceof Uint8Array)) throw new EnvelopeFormatError("The record envelope is not a Uint8Array.");
  const bytes = bufferSource(envelope);
  if (bytes.length < ENVELOPE_MAGIC.length || !ENVELOPE_MAGIC.every((b, i) => bytes[i] === b)) {
    throw new EnvelopeFormatError("These bytes are not a Meridian record envelope (no MRD1 magic).", {
      details: `length: ${bytes.length} bytes`,
    });
  }
  if (bytes.length > OFFSET_VERSION && bytes[OFFSET_VERSION] !== ENVELOPE_VERSION) {
    const details = `length: ${bytes.length} bytes`;
    throw new EnvelopeVersionError(bytes[OFFSET_VERSION]!, ENVELOPE_VERSION, { details });
  }
  if (bytes.length < ENVELOPE_OVERHEAD_BYTES) {
    throw new EnvelopeFormatError(
      `The record envelope is truncated: ${bytes.length} bytes, shorter than the ${ENVELOPE_OVERHEAD_BYTES}-byte minimum.`,
    );
  }
  if (bytes[OFFSET_FLAGS] !== 0) {
    throw new EnvelopeFormatError(
      `The record envelope has unknown flags 0x${bytes[OFFSET_FLAGS]!.toString(16).padStart(2, "0")}.`,
    );
  }
  const segments: Uint8Array<ArrayBuffer>[] = [];
  for (
    let offset = ENVELOPE_HEADER_BYTES, size = SEGMENT_ENVELOPE_BYTES - ENVELOPE_HEADER_BYTES;
    offset < bytes.length;
    offset += size, size = SEGMENT_ENVELOPE_BYTES
  ) {
    segments.push(bytes.subarray(offset, Math.min(bytes.length, offset + size)));
  }
  if (segments.at(-1)!.length < TAG_BYTES || (segments.length > 1 && segments.at(-1)!.length === TAG_BYTES)) {
    throw new EnvelopeFormatError(
      `The record envelope is truncated: its last segment has ${segments.at(-1)!.length} bytes.`,
    );
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
