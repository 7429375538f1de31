/**
 * `POST /blobs`: an authorised upload, the contract of the web app's `/api/blobs`
 * (`createHttpStore` with an upload authorizer is its client): `Authorization: Meridian-Upload …`
 * (`upload-auth.ts`: a session the account's wallet signed, and this upload signed by the
 * session key), the envelope as `application/octet-stream`, `201 { cid, ciphertextHash, size }`.
 * Refusals are JSON `{ error, code, hint?, details? }`: 415 (not octet-stream, not an envelope),
 * 401 (authorisation missing, forged, expired, replayed or for other bytes), 413 (over
 * `maxBlobBytes`), 403 `not-registered` (neither a registered patient nor an active provider),
 * 429 `quota-exceeded`, 422 (malformed envelope). The blob is stored (blocks renamed into place)
 * and pinned for the uploader before the 201 is sent, so an acknowledged upload survives a crash.
 *
 * @module
 */

import {
  checkEnvelopeBytes,
  computeBlobIdentity,
  decodeUploadAuthorization,
  jsonResponse,
  readBlobBody,
  UploadAuthorizationError,
  verifyBlobUpload,
} from "@meridian/sdk/storage";
import { Refusal } from "./auth.ts";
import { QuotaExceededError, type QuotaReservation } from "./quota.ts";
import type { RouteContext } from "./context.ts";

const tooLarge = (limit: number, size: number) =>
  jsonResponse(413, {
    error: `The envelope (${size} bytes) is larger than this node's limit of ${limit} bytes.`,
    code: "too-large",
    hint: "Split the upload into smaller records, or store it on a node with a larger --max-blob-bytes.",
  });

/** Answers one upload (see the module's comment). Never throws. */
export async function handleUpload(context: RouteContext, request: Request): Promise<Response> {
  const now = Math.floor(Date.now() / 1000);
  const limit = context.uploads.maxBlobBytes;
  let reservation: QuotaReservation | undefined;
  try {
    if (!/^application\/octet-stream\b/i.test(request.headers.get("content-type") ?? "")) {
      return jsonResponse(415, {
        error: "Send the envelope as application/octet-stream.",
        code: "unsupported-media-type",
        hint: "Upload through the Meridian SDK (createNodeClient or createHttpStore).",
      });
    }
    const auth = decodeUploadAuthorization(request.headers.get("authorization"));
    const declared = Number(request.headers.get("content-length") ?? "0");
    if (declared > limit || auth.upload.size > limit) return tooLarge(limit, Math.max(declared, auth.upload.size));
    await context.access.verifySession(auth, now);
    await context.access.requireMember(auth.session.account, now);
    reservation = await context.pins.reserveQuota(auth.session.account, auth.upload.size);

    const bytes = await readBlobBody(request, limit);
    if (bytes === null) return tooLarge(limit, declared);
    const refusal = checkEnvelopeBytes(bytes);
    if (refusal) {
      const { status, ...body } = refusal;
      return jsonResponse(status, body);
    }
    const identity = await computeBlobIdentity(bytes);
    await verifyBlobUpload({
      domain: context.access.domain,
      authorization: auth,
      ciphertextHash: identity.ciphertextHash,
      size: bytes.length,
      now,
    });
    context.access.useNonce(auth, now);
    const stored = await context.store.put(bytes);
    await context.pins.recordUpload(auth.session.account, stored.cid, stored.size);
    await reservation.commit();
    reservation = undefined;
    return jsonResponse(201, { cid: stored.cid, ciphertextHash: stored.ciphertextHash, size: stored.size });
  } catch (error) {
    reservation?.release();
    if (error instanceof UploadAuthorizationError) {
      return jsonResponse(401, {
        error: error.shortMessage,
        code: error.reason === "missing" || error.reason === "malformed" ? "unauthorized" : error.reason,
        ...(error.hint ? { hint: error.hint } : {}),
        ...(error.details ? { details: error.details } : {}),
      });
    }
    if (error instanceof Refusal)
      return jsonResponse(error.status, {
        error: error.details,
        code: error.status === 403 ? "not-registered" : error.reason.toLowerCase(),
        ...(error.hint ? { hint: error.hint } : {}),
      });
    if (error instanceof QuotaExceededError)
      return jsonResponse(429, {
        error: error.message,
        code: "quota-exceeded",
        hint: "Wait until older uploads leave the 24-hour window, or store on another node.",
      });
    context.log(`upload failed: ${error instanceof Error ? error.message : String(error)}`);
    return jsonResponse(500, {
      error: "The node could not store the envelope.",
      code: "internal",
      hint: "Try again; if it keeps failing, check the node's log.",
    });
  }
}
