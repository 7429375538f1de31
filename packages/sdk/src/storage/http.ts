/**
 * A {@link BlobStore} that talks to a Meridian blob endpoint over HTTP (the web app's
 * `/api/blobs`, which keeps the blobs in its Helia node). Works in browsers and Node (global
 * `fetch`). The server is not trusted: `put` computes the CID and ciphertext hash of the bytes
 * locally and refuses an answer that differs, and `get` verifies the bytes against the CID.
 *
 * Endpoint contract:
 * - `POST {baseUrl}` with the blob as `application/octet-stream` and, when the store has an
 *   {@link UploadAuthorizer}, `Authorization: Meridian-Upload …` (see `upload-auth.ts`: one wallet
 *   signature opens an upload session, a session key signs each upload) → `201 { cid, ciphertextHash, size }`;
 *   a refusal is JSON `{ error, code, hint? }` with 401, 403, 413, 415, 422 or 429
 * - `GET {baseUrl}/{cid}` → the bytes, or `404`
 * - `HEAD {baseUrl}/{cid}` → `200` or `404`
 *
 * @module
 */

import { bufferSource } from "../crypto/internal.ts";
import { computeBlobIdentity, joinBlob, parseBlobCid, verifyBlob } from "./cid.ts";
import type { BlobBytes } from "./cid.ts";
import { BlockNotFoundError, CidMismatchError, StorageUnavailableError, UploadRefusedError } from "./errors.ts";
import type { BlobStore, BlobStoreOptions, StoredBlob } from "./types.ts";
import type { UploadAuthorizer } from "./upload-auth.ts";

/** Parameters of {@link createHttpStore}. */
export interface CreateHttpStoreParameters {
  /** Absolute or page-relative URL of the blob endpoint, e.g. `/api/blobs`. */
  baseUrl: string;
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
  /**
   * Signs each upload for a registered account (`createUploadAuthorizer` in `upload-auth.ts`);
   * required by the web app's `/api/blobs`. Without it uploads are sent unsigned.
   */
  authorizer?: UploadAuthorizer | undefined;
}

/**
 * Returns a {@link BlobStore} with `kind: "http"` over the endpoint at `baseUrl`.
 *
 * @throws {StorageUnavailableError} from every method when the endpoint cannot be reached or
 *   answers with an error (the message carries the server's error text).
 * @throws {UploadRefusedError} from `put` when the server refuses the upload (401, 403, 413, 415,
 *   422, 429), with the server's message, code and hint.
 * @throws {CidMismatchError} from `put` when the server's CID or SHA-256 is not the one the
 *   bytes have, and from `get` when the bytes received do not match the CID.
 * @throws {BlockNotFoundError} from `get` when the server does not hold the blob.
 * @example
 * ```ts
 * const store = createHttpStore({ baseUrl: "/api/blobs" });
 * const { cid, ciphertextHash } = await store.put(envelope);
 * ```
 */
export function createHttpStore(parameters: CreateHttpStoreParameters): BlobStore {
  const base = parameters.baseUrl.replace(/\/+$/, "");
  const doFetch = parameters.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));

  const request = async (url: string, init: RequestInit, what: string): Promise<Response> => {
    try {
      return await doFetch(url, init);
    } catch (cause) {
      if (init.signal?.aborted) throw cause;
      throw new StorageUnavailableError(`Cannot reach the blob endpoint to ${what}.`, {
        details: url,
        hint: "Check that the Meridian web server is running.",
        cause,
      });
    }
  };
  const failure = async (response: Response, what: string): Promise<never> => {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = (await response.json()) as { error?: string };
      if (typeof body.error === "string") message = body.error;
    } catch {
      // not JSON: keep the status line
    }
    throw new StorageUnavailableError(`The blob endpoint refused to ${what}.`, { details: message });
  };

  type Refusal = { error?: string; code: string; hint?: string; details?: string };
  const refusal = async (response: Response): Promise<Refusal> => {
    try {
      const body = (await response.json()) as Record<string, unknown>;
      const text = (k: string) => (typeof body[k] === "string" ? { [k]: body[k] } : {});
      const code = typeof body.code === "string" ? body.code : "unknown";
      return { code, ...text("error"), ...text("hint"), ...text("details") };
    } catch {
      return { code: "unknown" };
    }
  };

  return {
    kind: "http",

    async put(blob: BlobBytes, options: BlobStoreOptions = {}): Promise<StoredBlob> {
      const bytes = joinBlob(blob);
      const identity = await computeBlobIdentity(bytes);
      const send = async () => {
        const headers: Record<string, string> = { "content-type": "application/octet-stream" };
        const { authorizer } = parameters;
        if (authorizer)
          headers.authorization = await authorizer.authorize({
            ciphertextHash: identity.ciphertextHash,
            size: bytes.length,
          });
        const init = {
          method: "POST",
          body: bufferSource(bytes),
          headers,
          ...(options.signal ? { signal: options.signal } : {}),
        };
        return request(base, init, `store ${bytes.length} bytes`);
      };
      let response = await send();
      const expired = response.status === 401 && (await refusal(response.clone())).code === "session-expired";
      if (expired && parameters.authorizer) {
        parameters.authorizer.reset(); // the server's clock ended the session early: open a new one, once
        response = await send();
      }
      if (response.status !== 201 && response.status !== 200) {
        if ([401, 403, 413, 415, 422, 429].includes(response.status)) {
          const r = await refusal(response);
          const message = r.error ?? `The blob endpoint refused to store ${bytes.length} bytes (${response.status}).`;
          throw new UploadRefusedError(response.status, r.code, message, { hint: r.hint, details: r.details });
        }
        return failure(response, `store ${bytes.length} bytes`);
      }
      const answer = (await response.json()) as Partial<StoredBlob>;
      const expected = identity.cid.toString();
      const { ciphertextHash } = identity;
      if (answer.cid !== expected || answer.ciphertextHash !== ciphertextHash || answer.size !== bytes.length) {
        throw new CidMismatchError(String(answer.cid), {
          details: `the server answered ${JSON.stringify(answer)}; the bytes sent have CID ${expected} and ciphertext hash ${ciphertextHash}`,
        });
      }
      return { cid: expected, ciphertextHash, size: bytes.length };
    },

    async get(cid: string, options: BlobStoreOptions = {}): Promise<Uint8Array> {
      const parsed = parseBlobCid(cid);
      const response = await request(
        `${base}/${parsed.toString()}`,
        { method: "GET", ...(options.signal ? { signal: options.signal } : {}) },
        `read ${parsed.toString()}`,
      );
      if (response.status === 404)
        throw new BlockNotFoundError(parsed.toString(), { details: "the server does not hold this blob" });
      if (!response.ok) return failure(response, `read ${parsed.toString()}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      await verifyBlob(parsed, bytes);
      return bytes;
    },

    async has(cid: string): Promise<boolean> {
      const parsed = parseBlobCid(cid);
      const response = await request(
        `${base}/${parsed.toString()}`,
        { method: "HEAD" },
        `look up ${parsed.toString()}`,
      );
      if (response.status === 404) return false;
      if (!response.ok) return failure(response, `look up ${parsed.toString()}`);
      return true;
    },

    async close(): Promise<void> {},
  };
}
