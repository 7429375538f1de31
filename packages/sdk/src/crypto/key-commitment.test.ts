/**
 * Key commitment (envelope version 3): one envelope opens under one data key only. The attacks
 * are built as an author would build them (`testing/two-key-envelope.ts`): two DEKs of its
 * choice, one AES-GCM ciphertext that authenticates under both, a real AES-KW header.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  ENVELOPE_HEADER_BYTES,
  FIRST_SEGMENT_PLAINTEXT_BYTES,
  KEY_COMMITMENT_BYTES,
  openRecord,
  sealRecord,
  unwrapDek,
} from "./envelope.ts";
import type { EnvelopeContext } from "./envelope.ts";
import { DecryptionError, EnvelopeVersionError, KeyCommitmentError } from "./errors.ts";
import { PatientKeyring } from "../keyring.ts";
import {
  decryptWithGcmKeyOnly,
  forgeTwoKeyEnvelope,
  v3EncryptionKey,
  v3KeyCommitment,
} from "../testing/two-key-envelope.ts";

const context: EnvelopeContext = {
  chainId: 31337,
  contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  patient: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  category: 4,
  keyEpoch: 0,
};
const kek = await new PatientKeyring(crypto.getRandomValues(new Uint8Array(32))).categoryKek(4, 0);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const random = () => crypto.getRandomValues(new Uint8Array(32));
const FOR_PATIENT = '{"resourceType":"Condition","code":{"text":"dilated cardiomyopathy, implant ICD"}}';
const FOR_VALIDATORS = '{"resourceType":"Observation","code":{"text":"normal echocardiogram"}}';
const messages = [FOR_PATIENT, FOR_VALIDATORS] as const;
const isCommitmentError = (e: unknown) => {
  assert.ok(e instanceof KeyCommitmentError, `expected KeyCommitmentError, got ${String(e)}`);
  assert.ok(e instanceof DecryptionError);
  assert.match(e.shortMessage, /does not match the record's key commitment/);
  return true;
};

describe("key commitment: one envelope, one key, one plaintext", () => {
  it("a two-key envelope of version 2 showed patient and validators two records; it is now refused", async () => {
    const deks = [random(), random()] as const;
    const envelope = await forgeTwoKeyEnvelope({ version: 2, kek, context, deks, messages });
    // what a version-2 SDK did: AES-GCM under the DEK, AAD = header ‖ context; both authenticate
    const shownToPatient = text(await decryptWithGcmKeyOnly(envelope, deks[0], context));
    const shownToValidators = text(await decryptWithGcmKeyOnly(envelope, deks[1], context));
    assert.ok(shownToPatient.includes("dilated cardiomyopathy, implant ICD"));
    assert.ok(shownToValidators.includes("normal echocardiogram"));
    assert.ok(!shownToValidators.includes("cardiomyopathy"));
    // today's SDK refuses the old version on every path, saying why
    for (const key of [{ kek }, { dek: deks[0] }, { dek: deks[1] }]) {
      await assert.rejects(openRecord({ envelope, key, context }), (e: unknown) => {
        assert.ok(e instanceof EnvelopeVersionError);
        assert.equal(e.version, 2);
        assert.match(e.shortMessage, /version 2, written by an older Meridian/);
        assert.match(e.hint ?? "", /import the record again/);
        return true;
      });
    }
    await assert.rejects(unwrapDek(envelope, kek), EnvelopeVersionError);
  });

  it("a two-key envelope with a version-3 header opens only under its committed DEK", async () => {
    const deks = [random(), random()] as const;
    const envelope = await forgeTwoKeyEnvelope({ version: 3, kek, context, deks, messages });
    // without the commitment check the ciphertext would still authenticate under the second key
    const unchecked = await decryptWithGcmKeyOnly(envelope, v3EncryptionKey(deks[1]), context);
    assert.ok(text(unchecked).includes("normal echocardiogram"));
    // the patient's path (KEK) and the committed DEK open the one record
    assert.ok(text(await openRecord({ envelope, key: { kek }, context })).includes("dilated cardiomyopathy"));
    assert.ok(text(await openRecord({ envelope, key: { dek: deks[0] }, context })).includes("dilated cardiomyopathy"));
    assert.deepEqual(await unwrapDek(envelope, kek), deks[0]);
    // the DEK-only path (validator, emergency release, record grant) with the other key is refused
    await assert.rejects(openRecord({ envelope, key: { dek: deks[1] }, context }), isCommitmentError);
  });

  it("a header whose KEK-wrapped DEK is not the committed one is refused (KEK path, unwrapDek)", async () => {
    const deks = [random(), random()] as const;
    // the validators' DEK is committed, the patient's is wrapped: the patient's path must refuse
    const envelope = await forgeTwoKeyEnvelope({ version: 3, kek, context, deks, messages, wrapped: 0, committed: 1 });
    const unchecked = await decryptWithGcmKeyOnly(envelope, v3EncryptionKey(deks[0]), context);
    assert.ok(text(unchecked).includes("cardiomyopathy"));
    await assert.rejects(openRecord({ envelope, key: { kek }, context }), isCommitmentError);
    await assert.rejects(unwrapDek(envelope, kek), isCommitmentError); // so it can never be re-shared either
    await assert.rejects(openRecord({ envelope, key: { dek: deks[0] }, context }), isCommitmentError);
    // only the committed DEK opens it, to the one record it commits to
    const only = text(await openRecord({ envelope, key: { dek: deks[1] }, context }));
    assert.ok(only.includes("normal echocardiogram") && !only.includes("cardiomyopathy"));
  });

  it("a sealed record of one or more segments is refused under any DEK but its own, before decrypting", async () => {
    for (const size of [0, 100, FIRST_SEGMENT_PLAINTEXT_BYTES + 5]) {
      const plaintext = new Uint8Array(size).fill(0x41);
      const { envelope, dek } = await sealRecord({ plaintext, kek, context });
      assert.deepEqual(await openRecord({ envelope, key: { dek }, context }), plaintext);
      const flipped = new Uint8Array(dek);
      flipped[31]! ^= 1;
      for (const wrong of [random(), flipped, kek]) {
        const opened = openRecord({ envelope, key: { dek: wrong }, context });
        await assert.rejects(opened, isCommitmentError, `${size} bytes`);
      }
    }
  });

  it("stores the documented HKDF-SHA256 commitment of the DEK at bytes 53..85, inside the AAD", async () => {
    const { envelope, dek } = await sealRecord({ plaintext: new TextEncoder().encode("x"), kek, context });
    assert.equal(KEY_COMMITMENT_BYTES, 32);
    assert.equal(ENVELOPE_HEADER_BYTES, 85);
    const stored = envelope.subarray(53, 85);
    assert.deepEqual(stored, v3KeyCommitment(dek));
    const salt = new TextEncoder().encode("meridian/v3/envelope");
    const info = new TextEncoder().encode("meridian/v3/envelope/key-commitment");
    assert.deepEqual(stored, hkdf(sha256, dek, salt, info, 32));
    // the GCM key is derived under its own label, never the DEK itself or the commitment
    assert.notDeepEqual(v3EncryptionKey(dek), dek);
    assert.notDeepEqual(v3EncryptionKey(dek), stored);
    assert.equal(text(await decryptWithGcmKeyOnly(envelope, v3EncryptionKey(dek), context)), "x");
    await assert.rejects(decryptWithGcmKeyOnly(envelope, dek, context), "the raw DEK is not the GCM key");
    // the commitment is in the AAD: with it changed, even the right GCM key does not authenticate
    const swapped = new Uint8Array(envelope);
    swapped.set(v3KeyCommitment(random()), 53);
    await assert.rejects(decryptWithGcmKeyOnly(swapped, v3EncryptionKey(dek), context));
    await assert.rejects(openRecord({ envelope: swapped, key: { dek }, context }), isCommitmentError);
  });
});
