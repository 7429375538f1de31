/**
 * `POST /api/blobs` (src/lib/blob-upload.ts) refusals against a real Hardhat/EDR chain (in
 * process) with the contracts deployed, a real Helia node on disk and real crypto. Each attack is
 * made as a raw HTTP request with what the attacker holds: no key, a key of an account that is not
 * registered, plaintext, a cut envelope, a captured signature. Accepted uploads, downloads, quotas
 * and rate limits are in `blob-upload-limits.test.ts`; the set-up is `blob-upload-fixture.ts`.
 *
 * Run: `node --test web/src/lib/blob-upload.test.ts`
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Hex } from "viem";
import { ENVELOPE_MAGIC, SEGMENT_ENVELOPE_BYTES, TAG_BYTES, ciphertextHash } from "@meridian/sdk/crypto";
import {
  blobUploadTypedData,
  encodeUploadAuthorization,
  MAX_UPLOAD_SESSION_SECONDS,
  uploadSessionTypedData,
  type UploadAuthorization,
} from "@meridian/sdk/storage";
import { testAccount } from "@meridian/sdk/testing";
import { handleBlobUpload } from "./blob-upload.ts";
import {
  authorizationFor,
  deployment,
  domain,
  envelopeOf,
  held,
  hospital,
  net,
  nextSerial,
  patient,
  post,
  refused,
  server,
  setUpBlobUploadFixture,
  stranger,
} from "./blob-upload-fixture.ts";

setUpBlobUploadFixture();

test("an unauthenticated upload is refused (401) and nothing is stored", async () => {
  const s = server();
  const envelope = await envelopeOf(300);
  await refused(await post(s, envelope), 401, "unauthorized");
  await refused(await post(s, envelope, { authorization: "Bearer x" }), 401, "unauthorized");
  await refused(await post(s, envelope, { authorization: "Meridian-Upload eyJ9" }), 401, "unauthorized");
  assert.equal(await held(envelope), false);
});

test("plaintext (a fake SSN in JSON) is refused even when signed by a registered patient", async () => {
  const s = server();
  const ssn = new TextEncoder().encode(
    JSON.stringify({
      resourceType: "Patient",
      name: [{ family: "Doe", given: ["Jane"] }],
      identifier: [{ system: "http://hl7.org/fhir/sid/us-ssn", value: "123-45-6789" }],
    }),
  );
  const body = await refused(
    await post(s, ssn, { authorization: await authorizationFor(patient, ssn) }),
    415,
    "not-an-envelope",
  );
  assert.match(String(body.hint), /Encrypt the record/);
  // the same text behind a well-formed envelope header (taken from a real envelope) is still refused
  const header = (await envelopeOf(0)).subarray(0, (await envelopeOf(0)).length - TAG_BYTES);
  const disguised = new Uint8Array([...header, ...ssn, ...new Uint8Array(TAG_BYTES)]);
  await refused(
    await post(s, disguised, { authorization: await authorizationFor(patient, disguised) }),
    415,
    "plaintext-suspected",
  );
  assert.equal(await held(ssn), false);
  assert.equal(await held(disguised), false);
});

test("an envelope with a wrong or oversized structure is refused", async () => {
  const s = server({ maxBytes: 3 * 1024 * 1024 });
  const good = await envelopeOf(1000);
  const cases: [string, Uint8Array][] = [
    ["unknown version", Uint8Array.from(good, (b, i) => (i === ENVELOPE_MAGIC.length ? 0xfe : b))],
    ["unknown flags", Uint8Array.from(good, (b, i) => (i === ENVELOPE_MAGIC.length + 1 ? 0x80 : b))],
    ["cut inside the first tag", good.subarray(0, good.length - 1000 - 1)],
    ["magic only", ENVELOPE_MAGIC],
  ];
  const two = await envelopeOf(SEGMENT_ENVELOPE_BYTES + 100);
  cases.push(["a second segment of only a tag", two.subarray(0, SEGMENT_ENVELOPE_BYTES + TAG_BYTES)]);
  for (const [what, bytes] of cases) {
    const body = await refused(
      await post(s, bytes, { authorization: await authorizationFor(patient, bytes) }),
      422,
      "malformed-envelope",
    );
    assert.ok(String(body.error).length > 10, what);
    assert.equal(await held(bytes), false, what);
  }
  // larger than the limit: refused from the declared length, and from the bytes when none is declared
  const big = await envelopeOf(3 * 1024 * 1024);
  await refused(await post(s, big, { authorization: await authorizationFor(patient, big) }), 413, "too-large");
  const auth = await authorizationFor(patient, good);
  const streamed = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(big);
      c.close();
    },
  });
  const response = await handleBlobUpload(
    s,
    new Request("http://meridian.test/api/blobs", {
      method: "POST",
      body: streamed,
      duplex: "half",
      headers: { "content-type": "application/octet-stream", authorization: auth },
    } as RequestInit),
  );
  await refused(response, 413, "too-large");
});

test("an unregistered signer is refused (403), and so is a suspended provider", async () => {
  const s = server();
  const envelope = await envelopeOf(500);
  const body = await refused(
    await post(s, envelope, { authorization: await authorizationFor(stranger, envelope) }),
    403,
    "not-registered",
  );
  assert.match(String(body.error), new RegExp(stranger.address));
  assert.equal(await held(envelope), false);
  assert.equal(
    (await post(s, envelope, { authorization: await authorizationFor(hospital, envelope) })).status,
    201,
    "an active provider may upload",
  );
  await net.setProviderStatus(hospital, "suspend");
  try {
    const other = await envelopeOf(501);
    await refused(
      await post(s, other, { authorization: await authorizationFor(hospital, other) }),
      403,
      "not-registered",
    );
  } finally {
    await net.setProviderStatus(hospital, "reinstate");
  }
});

test("a session or upload signature that is forged, stale, replayed or for other bytes is refused (401)", async () => {
  const s = server();
  const envelope = await envelopeOf(700);
  const auth = await authorizationFor(patient, envelope);
  const other = await envelopeOf(700);
  await refused(await post(s, other, { authorization: auth }), 401, "mismatch");
  assert.equal((await post(s, envelope, { authorization: auth })).status, 201);
  await refused(await post(s, envelope, { authorization: auth }), 401, "stale-upload"); // the same signature again

  // a session naming the registered patient but signed by a stranger
  const decoded = JSON.parse(Buffer.from(auth.split(" ")[1]!, "base64url").toString()) as UploadAuthorization;
  const now = Math.floor(Date.now() / 1000);
  const sessionKey = testAccount(40);
  const session = { account: patient.address, sessionKey: sessionKey.address, issuedAt: now, expiresAt: now + 3600 };
  const forgedSignature = await stranger.signTypedData(uploadSessionTypedData(domain(), session));
  const upload = async (bytes: Uint8Array, at = now) => {
    const unsigned = {
      ciphertextHash: await ciphertextHash(bytes),
      size: bytes.length,
      timestamp: at,
      nonce: `0x${"11".repeat(31)}${(nextSerial() % 256).toString(16).padStart(2, "0")}` as Hex,
    };
    return { ...unsigned, signature: await sessionKey.signTypedData(blobUploadTypedData(domain(), unsigned)) };
  };
  const forged = encodeUploadAuthorization({
    session: { ...session, signature: forgedSignature },
    upload: await upload(other),
  });
  await refused(await post(s, other, { authorization: forged }), 401, "bad-session-signature");
  // a session signed for another deployment's domain
  const elsewhere = await patient.signTypedData(
    uploadSessionTypedData({ chainId: 1, recordRegistry: deployment.recordRegistry }, session),
  );
  await refused(
    await post(s, other, {
      authorization: encodeUploadAuthorization({
        session: { ...session, signature: elsewhere },
        upload: await upload(other),
      }),
    }),
    401,
    "bad-session-signature",
  );
  // a session longer than 24 h, and an expired one
  for (const times of [
    { issuedAt: now, expiresAt: now + MAX_UPLOAD_SESSION_SECONDS + 1 },
    { issuedAt: now - 7200, expiresAt: now - 60 },
  ]) {
    const t = { ...session, ...times };
    const signature = await patient.signTypedData(uploadSessionTypedData(domain(), t));
    await refused(
      await post(s, other, {
        authorization: encodeUploadAuthorization({ session: { ...t, signature }, upload: await upload(other) }),
      }),
      401,
      "session-expired",
    );
  }
  // a valid session, but an upload signed an hour ago, and one signed by a key other than the session's
  const signature = await patient.signTypedData(uploadSessionTypedData(domain(), session));
  await refused(
    await post(s, other, {
      authorization: encodeUploadAuthorization({
        session: { ...session, signature },
        upload: await upload(other, now - 3600),
      }),
    }),
    401,
    "stale-upload",
  );
  const wrongKey = { ...(await upload(other)), signature: decoded.upload.signature };
  await refused(
    await post(s, other, {
      authorization: encodeUploadAuthorization({ session: { ...session, signature }, upload: wrongKey }),
    }),
    401,
    "bad-upload-signature",
  );
  assert.equal(await held(other), false);
});
