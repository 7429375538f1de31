/**
 * The server side of `createHttpStore` (`http.ts`): Fetch-API pieces (`Request` → `Response`) over any
 * {@link BlobStore}, used by the web app's `/api/blobs` route handlers.
 *
 * - {@link handleBlobRequest} answers `GET /{cid}` (`200` bytes, immutable; `404` when absent;
 *   `400` for a bad CID; `422` when the stored bytes are not a well-formed envelope, which are
 *   never served) and `HEAD /{cid}` (`200` or `404`). It refuses `POST` (405): an upload must be
 *   authorised, which the web app's upload handler does (`web/src/lib/blob-upload.ts`, with
 *   `upload-auth.ts`) before it calls {@link readBlobBody} and {@link checkEnvelopeBytes}.
 * - {@link checkEnvelopeBytes} refuses anything but a well-formed record envelope
 *   (`parseEnvelopeStructure` in `crypto/envelope.ts`) whose bytes after the header look like
 *   ciphertext.
 * Errors are JSON `{ error, code, hint?, details? }`.
 *
 * @module
 */

import { EnvelopeFormatError } from "../crypto/errors.ts";
import { ENVELOPE_MAGIC, envelopeSize, parseEnvelopeStructure, type EnvelopeStructure } from "../crypto/envelope.ts";
import { MeridianError } from "../errors.ts";
import { MAX_ATTACHMENT_BYTES } from "../fhir/attachment.ts";
import { concatChunks } from "./cid.ts";
import { BlockNotFoundError, InvalidCidError } from "./errors.ts";
import type { BlobStore } from "./types.ts";

/**
 * Largest record plaintext the app makes, in bytes: a file of {@link MAX_ATTACHMENT_BYTES} (64 MiB)
 * base64-encoded in its FHIR `Binary`, plus 64 KiB for the `DocumentReference` and `Bundle` JSON
 * around it (89,544,024 bytes). FHIR JSON records are smaller (at most 32 MiB of input).
 */
export const MAX_RECORD_PLAINTEXT_BYTES = 4 * Math.ceil(MAX_ATTACHMENT_BYTES / 3) + 64 * 1024;
/**
 * Largest blob accepted by default, in bytes: the envelope of a {@link MAX_RECORD_PLAINTEXT_BYTES}
 * record (`envelopeSize`: 89,545,485 bytes, about 85.4 MiB).
 */
export const DEFAULT_MAX_BLOB_BYTES = envelopeSize(MAX_RECORD_PLAINTEXT_BYTES);

/** Parameters of {@link handleBlobRequest}. */
export interface HandleBlobRequestParameters {
  /** Where blobs are kept. */
  store: BlobStore;
  /** The incoming request. */
  request: Request;
  /** The CID path segment for `GET`/`HEAD`. */
  cid?: string | undefined;
}

/** A JSON response `body` with `status`, never cached; `extra` headers are added (e.g. `retry-after`). */
export const jsonResponse = (status: number, body: unknown, extra: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...extra },
  });
const json = jsonResponse;

// Storage errors carry only CIDs and byte counts in their details: safe to return.
const errorBody = (error: unknown): { error: string; details?: string; hint?: string } =>
  error instanceof MeridianError
    ? {
        error: error.shortMessage,
        ...(error.details ? { details: error.details } : {}),
        ...(error.hint ? { hint: error.hint } : {}),
      }
    : { error: "Internal error." };

/**
 * Reads a request body of at most `maxBytes` bytes (the declared `content-length` is checked
 * first, then the bytes as they stream in, so a longer body is never buffered whole).
 * @returns the bytes, or null when the body is longer than `maxBytes`.
 */
export async function readBlobBody(request: Request, maxBytes: number): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) return null;
  if (!request.body) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      return null;
    }
    parts.push(value);
  }
  return concatChunks(parts, total);
}

/** Why {@link checkEnvelopeBytes} refused: HTTP status, error code and plain words. */
export interface EnvelopeRefusal {
  /** 415 when the bytes are not an envelope at all (or read as plaintext); 422 when its structure is wrong. */
  status: 415 | 422;
  code: "not-an-envelope" | "plaintext-suspected" | "malformed-envelope";
  error: string;
  hint: string;
  details?: string;
}

/**
 * At most this chance that {@link checkEnvelopeBytes} refuses real ciphertext as plaintext:
 * 2⁻⁴⁰ per envelope (Hoeffding's bound on the count of bytes ≥ 0x80, which is n/2 on average for
 * AES-GCM output and 0 for ASCII text such as FHIR JSON).
 */
export const PLAINTEXT_FALSE_ALARM_LOG2 = -40;

/**
 * Checks that `bytes` are a well-formed record envelope (`parseEnvelopeStructure`: magic, version,
 * flags, header, segment layout consistent with the length) and that what follows the header
 * looks like ciphertext rather than text: among its n bytes, at least n/2 − √(n·40·ln2/2) must be
 * ≥ 0x80 ({@link PLAINTEXT_FALSE_ALARM_LOG2}); plain ASCII of 56 bytes or more is refused. This
 * cannot prove the bytes are ciphertext (nothing but a key can); it stops an envelope header put
 * in front of readable text. Accountability for uploads comes from their authorisation.
 *
 * @returns undefined when accepted, else the {@link EnvelopeRefusal}.
 */
export function checkEnvelopeBytes(bytes: Uint8Array): EnvelopeRefusal | undefined {
  let structure: EnvelopeStructure;
  try {
    structure = parseEnvelopeStructure(bytes);
  } catch (error) {
    if (!(error instanceof EnvelopeFormatError)) throw error;
    const magic = bytes.length >= ENVELOPE_MAGIC.length && ENVELOPE_MAGIC.every((b, i) => bytes[i] === b);
    return magic
      ? {
          status: 422,
          code: "malformed-envelope",
          error: error.shortMessage,
          hint: error.hint ?? "Encrypt the record again with the current Meridian SDK and upload the new envelope.",
          ...(error.details ? { details: error.details } : {}),
        }
      : {
          status: 415,
          code: "not-an-envelope",
          error: "Only Meridian record envelopes are accepted.",
          hint:
            "Encrypt the record in the client (the Meridian app or SDK) before uploading; " +
            "this server never stores plaintext.",
          details: `${bytes.length} bytes without the envelope's magic`,
        };
  }
  const body = bytes.subarray(structure.headerBytes);
  let high = 0;
  for (let i = 0; i < body.length; i++) high += body[i]! >>> 7;
  const slack = Math.sqrt((body.length * -PLAINTEXT_FALSE_ALARM_LOG2 * Math.LN2) / 2);
  if (high < body.length / 2 - slack) {
    return {
      status: 415,
      code: "plaintext-suspected",
      error: "The envelope's segments read as plaintext, not ciphertext.",
      hint: "Encrypt the record with the Meridian SDK (sealRecord) before uploading.",
      details: `${high} of ${body.length} bytes after the header are ≥ 0x80; ciphertext has about half`,
    };
  }
  return undefined;
}

/**
 * Answers one `GET`/`HEAD` blob request; refuses `POST` (405: uploads need the authorising
 * handler of the web app). Never throws: every failure is a JSON error response. `GET` serves
 * only bytes that pass {@link checkEnvelopeBytes} (otherwise 422), so nothing but envelopes
 * leaves the server even if something else was stored.
 *
 * @example
 * ```ts
 * // app/api/blobs/[cid]/route.ts
 * export const GET = async (request: Request, { params }) =>
 *   handleBlobRequest({ store, request, cid: (await params).cid });
 * ```
 */
export async function handleBlobRequest(parameters: HandleBlobRequestParameters): Promise<Response> {
  const { store, request, cid } = parameters;
  try {
    if ((request.method === "GET" || request.method === "HEAD") && cid !== undefined) {
      if (request.method === "HEAD") return new Response(null, { status: (await store.has(cid)) ? 200 : 404 });
      const bytes = await store.get(cid, { signal: request.signal });
      const refusal = checkEnvelopeBytes(bytes);
      if (refusal)
        return json(422, {
          ...refusal,
          error: `The blob ${cid} is not a well-formed Meridian envelope, so it is not served.`,
          details: refusal.error,
          hint: "Ask whoever anchored this CID to upload the record again.",
        });
      return new Response(bytes as Uint8Array<ArrayBuffer>, {
        status: 200,
        headers: {
          "content-type": "application/octet-stream",
          "content-length": String(bytes.length),
          "cache-control": "public, max-age=31536000, immutable",
        },
      });
    }
    if (request.method === "POST")
      return json(405, {
        error: "This handler does not accept uploads.",
        code: "method-not-allowed",
        hint: "Upload through an endpoint that authorises uploads (the web app's /api/blobs).",
      });
    return json(405, { error: `${request.method} is not supported here.`, code: "method-not-allowed" });
  } catch (error) {
    if (error instanceof InvalidCidError) return json(400, { ...errorBody(error), code: "invalid-cid" });
    if (error instanceof BlockNotFoundError) return json(404, { ...errorBody(error), code: "not-found" });
    return json(500, { ...errorBody(error), code: "internal" });
  }
}
