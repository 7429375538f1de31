/**
 * The record's ciphertext hash, anchored on chain beside its CID: a SHA-256 hash list over the
 * envelope's 1 MiB pieces.
 *
 * ```text
 * piece_i         = envelope[i · 1 MiB, (i + 1) · 1 MiB)      i = 0 .. n − 1, n = max(1, ⌈len / 1 MiB⌉)
 * ciphertextHash  = SHA-256( SHA-256(piece_0) ‖ SHA-256(piece_1) ‖ … ‖ SHA-256(piece_{n−1}) )
 * ```
 *
 * An empty envelope is one empty piece. The pieces are the envelope's 1 MiB segments (see
 * `envelope.ts`) and the raw leaves of its IPFS DAG (see `storage/cid.ts`), so a store derives the
 * hash from the leaf digests it computes for the CID anyway: every byte is hashed once, and the
 * pieces can be hashed in parallel. The construction is the one of Dropbox's `content_hash`
 * (4 MiB blocks) and of BitTorrent v1's piece hashes. With fixed-size pieces it is collision
 * resistant whenever SHA-256 is: equal hash lists of equal length mean equal pieces, and the
 * list's length (32·n bytes) fixes n. It does not depend on IPFS's DAG layout, so it still
 * identifies the bytes if they are re-imported with other chunking.
 *
 * Browser-safe: WebCrypto for the pieces; the short hash list is hashed synchronously with
 * `@noble/hashes` (32 bytes per MiB, so a WebCrypto round trip to its thread pool would cost
 * more than the hash itself).
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "viem";
import type { Hex } from "viem";
import { bufferSource } from "./internal.ts";

/** Size in bytes of a hashed piece: 1 MiB (1,048,576), the envelope segment and the IPFS chunk size. */
export const PIECE_BYTES = 1_048_576;

/** Number of pieces of a `size`-byte blob: `max(1, ⌈size / 1 MiB⌉)`. */
export function pieceCount(size: number): number {
  return Math.max(1, Math.ceil(size / PIECE_BYTES));
}

/**
 * The ciphertext hash from the SHA-256 digests of the pieces, in order (32 bytes each).
 *
 * @returns `0x` + 64 lower-case hex characters.
 * @throws {RangeError} (as a rejected promise) when no digest is given or one is not 32 bytes.
 */
export function ciphertextHashFromPieceDigests(digests: readonly Uint8Array[]): Promise<Hex> {
  // The hashing is synchronous; the executor turns a RangeError into a rejection, as callers await it.
  return new Promise((resolve) => resolve(hashPieceDigests(digests)));
}

function hashPieceDigests(digests: readonly Uint8Array[]): Hex {
  if (digests.length === 0)
    throw new RangeError("A ciphertext hash needs at least one piece digest (an empty blob is one empty piece).");
  const list = new Uint8Array(32 * digests.length);
  digests.forEach((digest, index) => {
    if (!(digest instanceof Uint8Array) || digest.length !== 32)
      throw new RangeError(`Piece digest ${index} is not 32 bytes.`);
    list.set(digest, 32 * index);
  });
  return bytesToHex(sha256(list));
}

/**
 * The ciphertext hash of `bytes` (any length): its 1 MiB pieces are hashed in parallel on
 * WebCrypto, then the list of their digests.
 *
 * @returns `0x` + 64 lower-case hex characters.
 * @example `await ciphertextHash(new Uint8Array())` → SHA-256(SHA-256("")) = `0x5df6e0e2…9456`
 */
export async function ciphertextHash(bytes: Uint8Array): Promise<Hex> {
  const source = bufferSource(bytes);
  const digests = await Promise.all(
    Array.from(
      { length: pieceCount(source.length) },
      async (_, index) =>
        new Uint8Array(
          await crypto.subtle.digest("SHA-256", source.subarray(index * PIECE_BYTES, (index + 1) * PIECE_BYTES)),
        ),
    ),
  );
  return ciphertextHashFromPieceDigests(digests);
}
