/**
 * Sealing and opening record envelopes (format: `envelope-header.ts`): a record is encrypted as a
 * sequence of AES-256-GCM segments (the online-AE construction STREAM of Hoang, Reyhanitabar,
 * Rogaway and Vizár, CRYPTO 2015, with the segment and nonce layout of Tink's AES-GCM-HKDF
 * streaming AEAD), so large records are encrypted and decrypted segment by segment, in parallel,
 * and each stored 1 MiB IPFS chunk holds exactly one segment. Every open checks the key
 * commitment before decrypting anything. Bulk work runs on WebCrypto; no Node-only API.
 *
 * @module
 */

import { bytesToHex, type Hex } from "viem";
import { DecryptionError, EnvelopeFormatError } from "./errors.ts";
import { ciphertextHash } from "./ciphertext-hash.ts";
import { assertKey, bufferSource, KEY_BYTES } from "./internal.ts";
import {
  additionalData,
  assertCommitted,
  committedDecryptionKey,
  encodeEnvelopeContext,
  ENVELOPE_HEADER_BYTES,
  ENVELOPE_MAGIC,
  ENVELOPE_VERSION,
  FIRST_SEGMENT_PLAINTEXT_BYTES,
  importHkdfKey,
  OFFSET_FLAGS,
  OFFSET_KEY_COMMITMENT,
  OFFSET_NONCE_PREFIX,
  OFFSET_VERSION,
  OFFSET_WRAPPED_DEK,
  parseEnvelope,
  recordKeys,
  SEGMENT_PLAINTEXT_BYTES,
  segmentCount,
  segmentNonce,
  TAG_BYTES,
  type EnvelopeContext,
} from "./envelope-header.ts";

export {
  ENVELOPE_MAGIC,
  ENVELOPE_VERSION,
  WRAPPED_DEK_BYTES,
  NONCE_PREFIX_BYTES,
  KEY_COMMITMENT_BYTES,
  TAG_BYTES,
  ENVELOPE_HEADER_BYTES,
  SEGMENT_ENVELOPE_BYTES,
  SEGMENT_PLAINTEXT_BYTES,
  FIRST_SEGMENT_PLAINTEXT_BYTES,
  ENVELOPE_OVERHEAD_BYTES,
  segmentCount,
  envelopeSize,
  encodeEnvelopeContext,
  parseEnvelopeStructure,
} from "./envelope-header.ts";
export type { EnvelopeContext, EnvelopeStructure } from "./envelope-header.ts";

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
export async function encryptRecord(
  parameters: SealRecordParameters,
): Promise<Omit<SealRecordReturnType, "ciphertextHash">> {
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
      const end = Math.min(
        source.length,
        index === 0 ? FIRST_SEGMENT_PLAINTEXT_BYTES : start + SEGMENT_PLAINTEXT_BYTES,
      );
      const ciphertext = await crypto.subtle.encrypt(
        {
          name: "AES-GCM",
          iv: segmentNonce(header, index, index === count - 1),
          additionalData: aad,
          tagLength: TAG_BYTES * 8,
        },
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
    if (part.byteOffset === 0 && part.byteLength === part.buffer.byteLength && part.buffer instanceof ArrayBuffer)
      release(part.buffer);
  }
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
          {
            name: "AES-GCM",
            iv: segmentNonce(parsed.header, index, index === segments.length - 1),
            additionalData: aad,
            tagLength: TAG_BYTES * 8,
          },
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
