import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { ciphertextHash, ciphertextHashFromPieceDigests, PIECE_BYTES, pieceCount } from "./ciphertext-hash.ts";
import { SEGMENT_ENVELOPE_BYTES } from "./envelope.ts";
import { CHUNK_SIZE_BYTES } from "../storage/cid.ts";

/** The definition, written out with node:crypto: SHA-256 over the SHA-256 of each 1 MiB piece. */
function reference(bytes: Uint8Array): string {
  const list = createHash("sha256");
  let offset = 0;
  do {
    list.update(
      createHash("sha256")
        .update(bytes.subarray(offset, offset + 1_048_576))
        .digest(),
    );
    offset += 1_048_576;
  } while (offset < bytes.length);
  return `0x${list.digest("hex")}`;
}

describe("ciphertextHash (SHA-256 hash list over 1 MiB pieces)", () => {
  it("uses the envelope segment and the IPFS chunk as its piece", () => {
    assert.equal(PIECE_BYTES, 1_048_576);
    assert.equal(PIECE_BYTES, SEGMENT_ENVELOPE_BYTES);
    assert.equal(PIECE_BYTES, CHUNK_SIZE_BYTES);
    assert.deepEqual([0, 1, PIECE_BYTES, PIECE_BYTES + 1, 3 * PIECE_BYTES].map(pieceCount), [1, 1, 1, 2, 3]);
  });

  it("has a fixed value for the empty blob: SHA-256(SHA-256(''))", async () => {
    assert.equal(
      await ciphertextHash(new Uint8Array(0)),
      "0x5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456",
    );
  });

  it("matches the definition at and around piece boundaries", async () => {
    for (const size of [
      1,
      1000,
      PIECE_BYTES - 1,
      PIECE_BYTES,
      PIECE_BYTES + 1,
      2 * PIECE_BYTES,
      2 * PIECE_BYTES + 512 * 1024,
    ]) {
      const bytes = randomBytes(size);
      assert.equal(await ciphertextHash(bytes), reference(bytes), `${size} bytes`);
    }
  });

  it("changes with any flipped byte, and with appended bytes", async () => {
    const bytes = randomBytes(PIECE_BYTES + 100);
    const hash = await ciphertextHash(bytes);
    const flipped = Uint8Array.from(bytes);
    flipped[PIECE_BYTES + 50]! ^= 1;
    assert.notEqual(await ciphertextHash(flipped), hash);
    assert.notEqual(await ciphertextHash(Buffer.concat([bytes, new Uint8Array(1)])), hash);
  });

  it("is computed from the piece digests alone, and refuses malformed digests", async () => {
    const bytes = randomBytes(PIECE_BYTES + 7);
    const digests = [bytes.subarray(0, PIECE_BYTES), bytes.subarray(PIECE_BYTES)].map((piece) =>
      createHash("sha256").update(piece).digest(),
    );
    assert.equal(await ciphertextHashFromPieceDigests(digests), await ciphertextHash(bytes));
    await assert.rejects(ciphertextHashFromPieceDigests([]), RangeError);
    await assert.rejects(ciphertextHashFromPieceDigests([new Uint8Array(31)]), RangeError);
  });
});
