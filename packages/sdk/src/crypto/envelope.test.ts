import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { bytesToHex } from "viem";
import {
  ENVELOPE_HEADER_BYTES,
  ENVELOPE_OVERHEAD_BYTES,
  encryptRecord,
  encryptRecordParts,
  envelopeSize,
  FIRST_SEGMENT_PLAINTEXT_BYTES,
  openRecord,
  releaseRecordParts,
  SEGMENT_ENVELOPE_BYTES,
  SEGMENT_PLAINTEXT_BYTES,
  segmentCount,
  sealRecord,
  sha256Hex,
  unwrapDek,
} from "./envelope.ts";
import type { EnvelopeContext } from "./envelope.ts";
import { PatientKeyring } from "../keyring.ts";
import {
  DecryptionError,
  EnvelopeFormatError,
  EnvelopeVersionError,
  InvalidContextError,
  InvalidKeyLengthError,
} from "./errors.ts";

const context: EnvelopeContext = {
  chainId: 31337,
  contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  patient: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  category: 2,
  keyEpoch: 0,
};
const rootSecret = crypto.getRandomValues(new Uint8Array(32));
const kek = await new PatientKeyring(rootSecret).categoryKek(2, 0);
const plaintext = new TextEncoder().encode(
  JSON.stringify({ resourceType: "Observation", status: "final", valueQuantity: { value: 5.4, unit: "mmol/L" } }),
);

describe("sealRecord / openRecord", () => {
  it("round-trips with the KEK and with the DEK", async () => {
    const { envelope, dek, ciphertextHash } = await sealRecord({ plaintext, kek, context });
    assert.equal(envelope.length, plaintext.length + ENVELOPE_OVERHEAD_BYTES);
    assert.equal(ENVELOPE_HEADER_BYTES, 85);
    assert.equal(new TextDecoder().decode(envelope.subarray(0, 4)), "MRD1");
    assert.equal(envelope[4], 3);
    assert.equal(dek.length, 32);
    // one piece: the hash list is SHA-256 of the envelope's SHA-256
    assert.equal(
      ciphertextHash,
      `0x${createHash("sha256").update(createHash("sha256").update(envelope).digest()).digest("hex")}`,
    );
    assert.deepEqual(await openRecord({ envelope, key: { kek }, context }), plaintext);
    assert.deepEqual(await openRecord({ envelope, key: { dek }, context }), plaintext);
    assert.deepEqual(await unwrapDek(envelope, kek), dek);
  });

  it("contains no plaintext and uses a fresh DEK and IV per record", async () => {
    const a = await sealRecord({ plaintext, kek, context });
    const b = await sealRecord({ plaintext, kek, context });
    assert.notDeepEqual(a.dek, b.dek);
    assert.notEqual(a.ciphertextHash, b.ciphertextHash);
    assert.ok(!Buffer.from(a.envelope).includes(Buffer.from("Observation")));
    assert.ok(!Buffer.from(a.envelope).includes(Buffer.from(a.dek)));
  });

  it("handles empty plaintexts and every segment boundary", async () => {
    const P0 = FIRST_SEGMENT_PLAINTEXT_BYTES;
    const P = SEGMENT_PLAINTEXT_BYTES;
    const cases: [number, number][] = [
      [0, 1],
      [1, 1],
      [P0 - 1, 1],
      [P0, 1],
      [P0 + 1, 2],
      [P0 + P, 2],
      [P0 + P + 1, 3],
      [3 * 1024 * 1024 + 7, 4],
    ];
    for (const [size, segments] of cases) {
      const data = new Uint8Array(size).map((_, i) => i * 31);
      const { envelope } = await sealRecord({ plaintext: data, kek, context });
      assert.equal(segmentCount(size), segments, `${size} bytes`);
      assert.equal(envelope.length, envelopeSize(size));
      assert.equal(envelope.length, ENVELOPE_HEADER_BYTES + size + 16 * segments);
      assert.deepEqual(await openRecord({ envelope, key: { kek }, context }), data, `${size} bytes`);
    }
    // header + segment 0, and each full later segment, are exactly one 1 MiB IPFS chunk
    assert.equal(envelopeSize(P0), SEGMENT_ENVELOPE_BYTES);
    assert.equal(envelopeSize(P0 + P), 2 * SEGMENT_ENVELOPE_BYTES);
  });

  it("refuses reordered, dropped and truncated segments (STREAM nonces)", async () => {
    const data = new Uint8Array(FIRST_SEGMENT_PLAINTEXT_BYTES + 2 * SEGMENT_PLAINTEXT_BYTES).map((_, i) => i % 251);
    const { envelope } = await sealRecord({ plaintext: data, kek, context });
    const M = SEGMENT_ENVELOPE_BYTES;
    assert.equal(envelope.length, 3 * M);
    // segments 1 and 2 swapped
    const swapped = new Uint8Array(envelope);
    swapped.set(envelope.subarray(2 * M, 3 * M), M);
    swapped.set(envelope.subarray(M, 2 * M), 2 * M);
    await assert.rejects(openRecord({ envelope: swapped, key: { kek }, context }), DecryptionError);
    // cut at a segment boundary: segment 1 now looks last but was not sealed as last
    await assert.rejects(openRecord({ envelope: envelope.subarray(0, 2 * M), key: { kek }, context }), DecryptionError);
    // segment 2 dropped and segment 1 duplicated in its place
    const duplicated = new Uint8Array(envelope);
    duplicated.set(envelope.subarray(M, 2 * M), 2 * M);
    await assert.rejects(openRecord({ envelope: duplicated, key: { kek }, context }), DecryptionError);
    // a last segment too short to hold its tag
    await assert.rejects(
      openRecord({ envelope: envelope.subarray(0, 2 * M + 10), key: { kek }, context }),
      /last segment has 10 bytes/,
    );
    assert.deepEqual(await openRecord({ envelope, key: { kek }, context }), data);
  });

  it("refuses another patient, category, epoch, chain or contract (AAD)", async () => {
    const { envelope, dek } = await sealRecord({ plaintext, kek, context });
    const variants: EnvelopeContext[] = [
      { ...context, patient: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" },
      { ...context, patient: "0x70997970c51812dc3a010c7d01b50e0d17dc79c9" },
      { ...context, category: 3 },
      { ...context, keyEpoch: 1 },
      { ...context, chainId: 1 },
      { ...context, contract: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512" },
    ];
    for (const variant of variants) {
      // With the DEK the AES-KW layer is skipped, so this isolates the AAD binding.
      await assert.rejects(openRecord({ envelope, key: { dek }, context: variant }), DecryptionError);
      await assert.rejects(openRecord({ envelope, key: { kek }, context: variant }), DecryptionError);
    }
    // addresses are case-insensitive: any letter case (even a wrong checksum) names the same patient
    const anyCase = {
      ...context,
      patient: context.patient.toUpperCase().replace("0X", "0x") as `0x${string}`,
      contract: context.contract.toLowerCase() as `0x${string}`,
    };
    assert.deepEqual(await openRecord({ envelope, key: { dek }, context: anyCase }), plaintext);
  });

  it("refuses the wrong KEK (other category or epoch) and a wrong DEK", async () => {
    const { envelope } = await sealRecord({ plaintext, kek, context });
    const otherCategory = await new PatientKeyring(rootSecret).categoryKek(3, 0);
    const otherEpoch = await new PatientKeyring(rootSecret).categoryKek(2, 1);
    for (const wrong of [otherCategory, otherEpoch]) {
      await assert.rejects(openRecord({ envelope, key: { kek: wrong }, context }), (e: unknown) => {
        assert.ok(e instanceof DecryptionError);
        assert.match(e.shortMessage, /AES-KW integrity check failed/);
        return true;
      });
      await assert.rejects(unwrapDek(envelope, wrong), DecryptionError);
    }
    await assert.rejects(openRecord({ envelope, key: { dek: new Uint8Array(32) }, context }), DecryptionError);
  });

  it("refuses any tampered byte and never returns garbage", async () => {
    const { envelope } = await sealRecord({ plaintext, kek, context });
    // Wrapped DEK, nonce prefix, key commitment, ciphertext body and tag.
    for (const index of [6, 45, 46, 52, 53, 60, 84, 85, 92, envelope.length - 17, envelope.length - 1]) {
      const tampered = new Uint8Array(envelope);
      tampered[index]! ^= 0x80;
      await assert.rejects(openRecord({ envelope: tampered, key: { kek }, context }), DecryptionError, `byte ${index}`);
    }
  });

  it("reports malformed envelopes as EnvelopeFormatError", async () => {
    const { envelope } = await sealRecord({ plaintext, kek, context });
    await assert.rejects(
      openRecord({ envelope: envelope.subarray(0, ENVELOPE_OVERHEAD_BYTES - 1), key: { kek }, context }),
      (e: unknown) => {
        assert.ok(e instanceof EnvelopeFormatError);
        assert.equal(e.shortMessage, "The record envelope is truncated: 100 bytes, shorter than the 101-byte minimum.");
        return true;
      },
    );
    await assert.rejects(
      openRecord({ envelope: new TextEncoder().encode('{"resourceType":"Patient"}'), key: { kek }, context }),
      /no MRD1 magic/,
    );
    for (const version of [1, 2, 4]) {
      const other = new Uint8Array(envelope);
      other[4] = version;
      await assert.rejects(openRecord({ envelope: other, key: { kek }, context }), (e: unknown) => {
        assert.ok(e instanceof EnvelopeVersionError && e instanceof EnvelopeFormatError);
        assert.equal(e.version, version);
        assert.match(e.shortMessage, new RegExp(`envelope is version ${version}[,;]`));
        return true;
      });
    }
    const flagged = new Uint8Array(envelope);
    flagged[5] = 1;
    await assert.rejects(openRecord({ envelope: flagged, key: { kek }, context }), /unknown flags 0x01/);
    await assert.rejects(openRecord({ envelope: new Uint8Array(0), key: { kek }, context }), EnvelopeFormatError);
  });

  it("validates keys and context", async () => {
    await assert.rejects(sealRecord({ plaintext, kek: new Uint8Array(31), context }), InvalidKeyLengthError);
    await assert.rejects(sealRecord({ plaintext, kek, context: { ...context, category: 0 } }), InvalidContextError);
    const { envelope } = await sealRecord({ plaintext, kek, context });
    await assert.rejects(openRecord({ envelope, key: { dek: new Uint8Array(16) }, context }), InvalidKeyLengthError);
  });

  it("keeps key bytes and plaintext out of error messages", async () => {
    const { envelope } = await sealRecord({ plaintext, kek, context });
    const wrong = new Uint8Array(32).fill(0xab);
    const error = await openRecord({ envelope, key: { kek: wrong }, context }).catch((e: unknown) => e as Error);
    assert.ok(error instanceof DecryptionError);
    assert.ok(!error.message.includes(bytesToHex(wrong).slice(2, 18)));
    assert.ok(!error.message.includes("Observation"));
  });
});

describe("encryptRecordParts / releaseRecordParts", () => {
  it("gives the envelope in parts: header, then one part per segment, each piece 1 MiB", async () => {
    const big = new Uint8Array(FIRST_SEGMENT_PLAINTEXT_BYTES + SEGMENT_PLAINTEXT_BYTES + 10).fill(7);
    const { parts, size, dek } = await encryptRecordParts({ plaintext: big, kek, context });
    assert.deepEqual(
      parts.map((p) => p.length),
      [ENVELOPE_HEADER_BYTES, SEGMENT_ENVELOPE_BYTES - ENVELOPE_HEADER_BYTES, SEGMENT_ENVELOPE_BYTES, 10 + 16],
    );
    assert.equal(size, envelopeSize(big.length));
    const envelope = new Uint8Array(size);
    let offset = 0;
    for (const part of parts) {
      envelope.set(part, offset);
      offset += part.length;
    }
    assert.deepEqual(await openRecord({ envelope, key: { dek }, context }), big);
    assert.deepEqual(await openRecord({ envelope, key: { kek }, context }), big);
    // encryptRecord joins the same layout
    assert.equal((await encryptRecord({ plaintext: big, kek, context })).envelope.length, size);
    releaseRecordParts(parts);
    assert.deepEqual(
      parts.map((p) => p.length),
      [ENVELOPE_HEADER_BYTES, 0, 0, 10 + 16],
    ); // only whole buffers of 64 KiB or more are freed
  });

  it("never frees a part that is a view into a larger buffer", () => {
    const shared = new Uint8Array(200_000);
    const parts = [shared.subarray(0, 100_000), shared.subarray(100_000)];
    releaseRecordParts(parts);
    assert.equal(shared.length, 200_000);
    assert.equal(parts[0]!.length, 100_000);
  });
});

describe("sha256Hex", () => {
  it("matches the SHA-256 test vector", async () => {
    assert.equal(
      await sha256Hex(new TextEncoder().encode("abc")),
      "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });
});

describe("parseEnvelopeStructure (what a server checks without a key)", () => {
  it("reads a sealed envelope's layout and refuses plaintext and cut envelopes", async () => {
    const { parseEnvelopeStructure, ENVELOPE_VERSION, TAG_BYTES } = await import("./envelope.ts");
    const kek = new Uint8Array(32).fill(3);
    for (const size of [0, 100, FIRST_SEGMENT_PLAINTEXT_BYTES + 1]) {
      const { envelope } = await sealRecord({ plaintext: new Uint8Array(size), kek, context });
      const s = parseEnvelopeStructure(envelope);
      const expected = {
        version: ENVELOPE_VERSION,
        headerBytes: ENVELOPE_HEADER_BYTES,
        segmentCount: segmentCount(size),
        plaintextBytes: size,
      };
      assert.deepEqual(s, expected);
      assert.equal(envelopeSize(s.plaintextBytes), envelope.length);
    }
    const plaintext = new Uint8Array(FIRST_SEGMENT_PLAINTEXT_BYTES + 1);
    const { envelope } = await sealRecord({ plaintext, kek, context });
    const cut = (end: number) => () => parseEnvelopeStructure(envelope.subarray(0, end));
    assert.throws(() => parseEnvelopeStructure(new TextEncoder().encode('{"ssn":"123-45-6789"}')), EnvelopeFormatError);
    assert.throws(cut(SEGMENT_ENVELOPE_BYTES + TAG_BYTES), EnvelopeFormatError);
    assert.throws(cut(ENVELOPE_HEADER_BYTES + TAG_BYTES - 1), EnvelopeFormatError);
  });
});
