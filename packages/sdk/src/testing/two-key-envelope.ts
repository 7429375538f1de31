/**
 * Test support: the attack that key commitment stops, built the way an attacker builds it. An
 * author who chooses two data keys can make one AES-GCM ciphertext that authenticates under both
 * ("invisible salamanders", Dodis, Grubbs, Ristenpart and Woodage, CRYPTO 2018; the multi-key
 * collisions of Len, Grubbs and Ristenpart, "Partitioning Oracle Attacks", USENIX Security 2021):
 * GCM's tag is `GHASH_H(A, C) ⊕ E_K(J0)` with `H = E_K(0¹²⁸)`, linear in each ciphertext block, so
 * one free block solves `tag(K1) = tag(K2)` in GF(2¹²⁸). The ciphertext's other blocks are chosen
 * so that key 1 shows `messages[0]` and key 2 shows `messages[1]` (each among random-looking
 * blocks). Nothing here calls the SDK's open path: AES comes from `node:crypto`, HKDF from
 * `@noble/hashes`, the field arithmetic is NIST SP 800-38D Algorithm 1, and the version-3 key
 * derivation is recomputed from its documentation in `crypto/envelope.ts`.
 *
 * Node-only (uses `node:crypto`); never imported by the SDK, the CLI or the web app.
 *
 * @module
 */
import { createCipheriv } from "node:crypto";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { encodeEnvelopeContext, type EnvelopeContext } from "../crypto/envelope.ts";

const BLOCK = 16;
/** The GCM reduction polynomial x¹²⁸ + x⁷ + x² + x + 1 in GCM's reflected bit order. */
const R = 0xe1n << 120n;
const MASK = (1n << 128n) - 1n;

/** Product in GF(2¹²⁸) with GCM's bit order (NIST SP 800-38D §6.3, Algorithm 1). */
export function gfMultiply(x: bigint, y: bigint): bigint {
  let z = 0n;
  let v = y;
  for (let i = 127n; i >= 0n; i--) {
    if ((x >> i) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
  }
  return z;
}

function gfPower(x: bigint, exponent: bigint): bigint {
  let result = 1n << 127n; // the field's 1 in GCM's bit order
  let base = x;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = gfMultiply(result, base);
    base = gfMultiply(base, base);
  }
  return result;
}

/** Inverse in GF(2¹²⁸): x^(2¹²⁸ − 2). */
function gfInverse(x: bigint): bigint {
  if (x === 0n) throw new RangeError("0 has no inverse");
  return gfPower(x, MASK - 1n);
}

const toBigInt = (block: Uint8Array): bigint => BigInt(`0x${Buffer.from(block).toString("hex").padStart(32, "0")}`);
const toBlock = (x: bigint): Uint8Array => Uint8Array.from(Buffer.from(x.toString(16).padStart(32, "0"), "hex"));

/** AES-256 of one block (the block cipher alone, as GCM uses it). */
function aesBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  const cipher = createCipheriv("aes-256-ecb", key, null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(block), cipher.final()]));
}

/** GCM's counter block for a 96-bit nonce: nonce ‖ uint32be(counter). */
function counterBlock(nonce: Uint8Array, counter: number): Uint8Array {
  const block = new Uint8Array(BLOCK);
  block.set(nonce, 0);
  new DataView(block.buffer).setUint32(12, counter, false);
  return block;
}

function blocksOf(bytes: Uint8Array): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < bytes.length; i += BLOCK) {
    const block = new Uint8Array(BLOCK);
    block.set(bytes.subarray(i, i + BLOCK));
    out.push(toBigInt(block));
  }
  return out;
}

function ghash(h: bigint, blocks: readonly bigint[]): bigint {
  let y = 0n;
  for (const x of blocks) y = gfMultiply(y ^ x, h);
  return y;
}

/** Parameters of {@link forgeTwoKeyCiphertext}. */
export interface ForgeTwoKeyCiphertextParameters {
  /** The two 32-byte AES-256-GCM keys the ciphertext must authenticate under. */
  keys: readonly [Uint8Array, Uint8Array];
  /** The 12-byte GCM nonce. */
  nonce: Uint8Array;
  /** The additional data both readers will use. */
  aad: Uint8Array;
  /** What key 1 and key 2 are to show (each padded with spaces to whole 16-byte blocks). */
  messages: readonly [Uint8Array, Uint8Array];
}

/**
 * One AES-GCM ciphertext ‖ 16-byte tag that authenticates under both keys: blocks that decrypt
 * to `messages[0]` under key 1, one solved block, then blocks that decrypt to `messages[1]`
 * under key 2. Throws if the solution does not verify (it always does unless H1^p = H2^p).
 */
export function forgeTwoKeyCiphertext(p: ForgeTwoKeyCiphertextParameters): Uint8Array {
  const [k1, k2] = p.keys;
  const pad = (m: Uint8Array) => {
    const out = new Uint8Array(Math.ceil(m.length / BLOCK) * BLOCK).fill(0x20);
    out.set(m);
    return out;
  };
  const [m1, m2] = [pad(p.messages[0]), pad(p.messages[1])];
  const first = m1.length / BLOCK; // index of the free block
  const ciphertext = new Uint8Array(m1.length + BLOCK + m2.length);
  const keystream = (key: Uint8Array, index: number) => aesBlock(key, counterBlock(p.nonce, index + 2));
  for (let i = 0; i < first; i++) {
    const ks = keystream(k1, i);
    for (let j = 0; j < BLOCK; j++) ciphertext[i * BLOCK + j] = m1[i * BLOCK + j]! ^ ks[j]!;
  }
  for (let i = 0; i < m2.length / BLOCK; i++) {
    const index = first + 1 + i;
    const ks = keystream(k2, index);
    for (let j = 0; j < BLOCK; j++) ciphertext[index * BLOCK + j] = m2[i * BLOCK + j]! ^ ks[j]!;
  }
  const aadBlocks = blocksOf(p.aad);
  const lengths = (BigInt(p.aad.length * 8) << 64n) | BigInt(ciphertext.length * 8);
  const ghashInput = () => [...aadBlocks, ...blocksOf(ciphertext), lengths];
  const [h1, h2] = [toBigInt(aesBlock(k1, new Uint8Array(BLOCK))), toBigInt(aesBlock(k2, new Uint8Array(BLOCK)))];
  const [e1, e2] = [toBigInt(aesBlock(k1, counterBlock(p.nonce, 1))), toBigInt(aesBlock(k2, counterBlock(p.nonce, 1)))];
  // With the free block at 0: tag_k = S_k ⊕ E_k(J0) ⊕ C_f·H_k^power. Equal tags give C_f.
  const power = BigInt(ghashInput().length - aadBlocks.length - first);
  const rhs = ghash(h1, ghashInput()) ^ ghash(h2, ghashInput()) ^ e1 ^ e2;
  ciphertext.set(toBlock(gfMultiply(rhs, gfInverse(gfPower(h1, power) ^ gfPower(h2, power)))), first * BLOCK);
  const tag1 = ghash(h1, ghashInput()) ^ e1;
  if (tag1 !== (ghash(h2, ghashInput()) ^ e2)) throw new Error("two-key forgery did not verify");
  const out = new Uint8Array(ciphertext.length + BLOCK);
  out.set(ciphertext);
  out.set(toBlock(tag1), ciphertext.length);
  return out;
}

const utf8 = (text: string) => new TextEncoder().encode(text);

/** The version-3 AES-GCM key of a DEK, recomputed from `crypto/envelope.ts`'s documentation. */
export function v3EncryptionKey(dek: Uint8Array): Uint8Array {
  return hkdf(sha256, dek, utf8("meridian/v3/envelope"), utf8("meridian/v3/envelope/aes-256-gcm-key"), 32);
}

/** The version-3 key commitment of a DEK, recomputed from `crypto/envelope.ts`'s documentation. */
export function v3KeyCommitment(dek: Uint8Array): Uint8Array {
  return hkdf(sha256, dek, utf8("meridian/v3/envelope"), utf8("meridian/v3/envelope/key-commitment"), 32);
}

/** Parameters of {@link forgeTwoKeyEnvelope}. */
export interface ForgeTwoKeyEnvelopeParameters {
  /** 2: the old layout (53-byte header, the DEK is the GCM key); 3: today's (85 bytes, with commitment). */
  version: 2 | 3;
  /** The category KEK the author holds (through its write grant). */
  kek: Uint8Array;
  context: EnvelopeContext;
  /** The two data keys the attacker chose. */
  deks: readonly [Uint8Array, Uint8Array];
  /** What DEK 1 and DEK 2 are to show. */
  messages: readonly [string, string];
  /** Which DEK goes into the header wrapped under the KEK (what the patient opens); default 0. */
  wrapped?: 0 | 1;
  /** Version 3: which DEK's commitment goes into the header; default 0. */
  committed?: 0 | 1;
}

/** Header length of an envelope of `version`. */
export const headerBytesOf = (version: 2 | 3): number => (version === 2 ? 53 : 85);

/**
 * A one-segment envelope, in the layout of `version`, whose ciphertext authenticates under both
 * DEKs' GCM keys. The header is real (AES-KW with WebCrypto, random nonce prefix).
 */
export async function forgeTwoKeyEnvelope(p: ForgeTwoKeyEnvelopeParameters): Promise<Uint8Array> {
  const header = new Uint8Array(headerBytesOf(p.version));
  header.set(utf8("MRD1"), 0);
  header[4] = p.version;
  const kekKey = await crypto.subtle.importKey("raw", new Uint8Array(p.kek), "AES-KW", false, ["wrapKey"]);
  const toWrap = new Uint8Array(p.deks[p.wrapped ?? 0]);
  const wrappedDek = await crypto.subtle.importKey("raw", toWrap, "AES-GCM", true, ["encrypt"]);
  header.set(new Uint8Array(await crypto.subtle.wrapKey("raw", wrappedDek, kekKey, "AES-KW")), 6);
  crypto.getRandomValues(header.subarray(46, 53));
  if (p.version === 3) header.set(v3KeyCommitment(p.deks[p.committed ?? 0]), 53);
  const gcmKey = (dek: Uint8Array) => (p.version === 2 ? dek : v3EncryptionKey(dek));
  const body = forgeTwoKeyCiphertext({
    keys: [gcmKey(p.deks[0]), gcmKey(p.deks[1])],
    nonce: segmentNonce(header),
    aad: aadOf(header, p.context),
    messages: [utf8(p.messages[0]), utf8(p.messages[1])],
  });
  const envelope = new Uint8Array(header.length + body.length);
  envelope.set(header);
  envelope.set(body, header.length);
  return envelope;
}

/** The nonce of a one-segment envelope: prefix (bytes 46..53) ‖ uint32be(0) ‖ last = 1. */
function segmentNonce(header: Uint8Array): Uint8Array {
  const nonce = new Uint8Array(12);
  nonce.set(header.subarray(46, 53));
  nonce[11] = 1;
  return nonce;
}

function aadOf(header: Uint8Array, context: EnvelopeContext): Uint8Array {
  const context_ = encodeEnvelopeContext(context);
  const aad = new Uint8Array(header.length + context_.length);
  aad.set(header);
  aad.set(context_, header.length);
  return aad;
}

/**
 * Decrypts a one-segment envelope with a raw AES-GCM key and WebCrypto, skipping every check but
 * GCM's own: how a version-2 SDK opened an envelope with a DEK, and, for version 3, what a
 * reader would get without the key-commitment check. Rejects when GCM does not authenticate.
 */
export async function decryptWithGcmKeyOnly(
  envelope: Uint8Array,
  gcmKey: Uint8Array,
  context: EnvelopeContext,
): Promise<Uint8Array> {
  const header = envelope.subarray(0, headerBytesOf(envelope[4] === 2 ? 2 : 3));
  const key = await crypto.subtle.importKey("raw", new Uint8Array(gcmKey), "AES-GCM", false, ["decrypt"]);
  const plaintext = await crypto.subtle.decrypt(
    {
      name: "AES-GCM",
      iv: new Uint8Array(segmentNonce(header)),
      additionalData: new Uint8Array(aadOf(header, context)),
      tagLength: 128,
    },
    key,
    new Uint8Array(envelope.subarray(header.length)),
  );
  return new Uint8Array(plaintext);
}
