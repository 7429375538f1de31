/**
 * The server side of {@link createHttpStore}: a Fetch-API handler (`Request` → `Response`)
 * over any {@link BlobStore}, used by the web app's `/api/blobs` route handlers. It accepts
 * only Meridian record envelopes (magic `MRD1`), so plaintext can never be stored through it
 * by mistake, and it caps the body size.
 *
 * Routes (relative to the endpoint's base path):
 * - `POST /` → `201 { cid, ciphertextHash, size }`; `413` over `maxBytes`; `415` when the body is not an envelope.
 * - `GET /{cid}` → `200` bytes (`application/octet-stream`, immutable); `404` when absent; `400` for a bad CID.
 * - `HEAD /{cid}` → `200` or `404`.
 * Errors are JSON `{ error, hint? }`.
 *
 * @module
 */

import { ENVELOPE_MAGIC } from "../crypto/envelope.ts";
import { MeridianError } from "../errors.ts";
import { concatChunks } from "./cid.ts";
import { BlockNotFoundError, InvalidCidError } from "./errors.ts";
import type { BlobStore } from "./types.ts";

/** Default largest blob accepted: 64 MiB (67,108,864 bytes). */
export const DEFAULT_MAX_BLOB_BYTES = 64 * 1024 * 1024;

/** Parameters of {@link handleBlobRequest}. */
export interface HandleBlobRequestParameters {
  /** Where blobs are kept. */
  store: BlobStore;
  /** The incoming request. */
  request: Request;
  /** The CID path segment for `GET`/`HEAD` (undefined for `POST`). */
  cid?: string | undefined;
  /** Largest body accepted, in bytes (default {@link DEFAULT_MAX_BLOB_BYTES}). */
  maxBytes?: number;
}

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "cache-control": "no-store" } });

// Storage errors carry only CIDs and byte counts in their details: safe to return.
const errorBody = (error: unknown): { error: string; details?: string; hint?: string } =>
  error instanceof MeridianError
    ? { error: error.shortMessage, ...(error.details ? { details: error.details } : {}), ...(error.hint ? { hint: error.hint } : {}) }
    : { error: "Internal error." };

/** Reads at most `maxBytes` of the body; returns null when it is longer. */
async function readBody(request: Request, maxBytes: number): Promise<Uint8Array | null> {
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

/**
 * Answers one blob request. Never throws: every failure is a JSON error response.
 *
 * @example
 * ```ts
 * // app/api/blobs/route.ts
 * export const POST = (request: Request) => handleBlobRequest({ store, request });
 * ```
 */
export async function handleBlobRequest(parameters: HandleBlobRequestParameters): Promise<Response> {
  const { store, request, cid } = parameters;
  const maxBytes = parameters.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
  try {
    if (request.method === "POST" && cid === undefined) {
      const bytes = await readBody(request, maxBytes);
      if (bytes === null) return json(413, { error: `The blob is larger than ${maxBytes} bytes.`, hint: "Split the upload into smaller records." });
      if (bytes.length < ENVELOPE_MAGIC.length + 1 || !ENVELOPE_MAGIC.every((b, i) => bytes[i] === b)) {
        return json(415, { error: "Only Meridian record envelopes (MRD1) are accepted.", hint: "Encrypt the record in the client before uploading; this server never stores plaintext." });
      }
      return json(201, await store.put(bytes));
    }
    if ((request.method === "GET" || request.method === "HEAD") && cid !== undefined) {
      if (request.method === "HEAD") return new Response(null, { status: (await store.has(cid)) ? 200 : 404 });
      const bytes = await store.get(cid, { signal: request.signal });
      return new Response(bytes as Uint8Array<ArrayBuffer>, {
        status: 200,
        headers: { "content-type": "application/octet-stream", "content-length": String(bytes.length), "cache-control": "public, max-age=31536000, immutable" },
      });
    }
    return json(405, { error: `${request.method} is not supported here.` });
  } catch (error) {
    if (error instanceof InvalidCidError) return json(400, errorBody(error));
    if (error instanceof BlockNotFoundError) return json(404, errorBody(error));
    return json(500, errorBody(error));
  }
}
