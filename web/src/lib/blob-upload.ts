/**
 * `POST /api/blobs`: stores one record envelope, only when a registered account authorised it.
 *
 * In order, each refusal a JSON `{ error, code, hint?, details? }`:
 * 1. a client with too many failed requests this minute → 429 `too-many-failures`;
 * 2. no valid `Authorization: Meridian-Upload …` (an upload session signed by the account's wallet
 *    and an upload signed by the session key, `@meridian/sdk/storage/upload-auth.ts`) → 401;
 * 3. a body (declared or signed) over the size limit → 413 `too-large`;
 * 4. an account that is neither a registered patient (`RecordRegistry.getPatient`) nor an active
 *    provider (`ProviderRegistry.isActive`) → 403 `not-registered`;
 * 5. over the account's quota → 429 `quota-exceeded`, naming the account;
 * 6. not a well-formed envelope, or plaintext behind an envelope header → 415 / 422;
 * 7. a signature over other bytes than those received, or a replayed one → 401;
 * 8. with Meridian nodes (`uploadStore`), fewer of them confirming the pin than required → 503
 *    `replication-failed`, naming each node that failed and why (the client anchors nothing);
 * then `201 { cid, ciphertextHash, size }`, only once the bytes are stored (and pinned on the
 * required nodes). Steps 1-5 run before the body is read.
 * Server side only; `app/api/blobs/route.ts` wires it to the app's store, chain and quota file.
 */
import type { Address } from "viem";
import { getPatient, getProvider } from "@meridian/sdk/chain";
import { ProviderStatus, type MeridianContext } from "@meridian/sdk/chain";
import { computeBlobIdentity } from "@meridian/sdk/storage";
import { checkEnvelopeBytes, jsonResponse, readBlobBody } from "@meridian/sdk/storage";
import type { BlobStore } from "@meridian/sdk/storage";
import {
  decodeUploadAuthorization,
  MAX_UPLOAD_SESSION_SECONDS,
  UPLOAD_SIGNATURE_MAX_AGE_SECONDS,
  UploadAuthorizationError,
  verifyBlobUpload,
  verifyUploadSession,
  type UploadAuthorization,
} from "@meridian/sdk/storage";
import { ReplicationError } from "@meridian/sdk/storage";
import { BlobStoreConfigError } from "./blob-store-config.ts";
import { clientAddress, type FailureLimiter } from "./rate-limit.ts";
import { UploadQuotaExceededError, type QuotaReservation, type UploadQuota } from "./upload-quota.ts";

/** What {@link handleBlobUpload} works with. */
export interface BlobUploadServer {
  /** The server's own store: whether it already held the bytes decides the quota charge. */
  store: BlobStore;
  /**
   * The store the upload is written through (default `store`): the app's replicated store over
   * its Meridian nodes, given the uploader's `Authorization` header (`header`, verified) to pass
   * on. Its `put` resolves only once the bytes are stored durably enough to anchor.
   */
  uploadStore?: (header: string, authorization: UploadAuthorization) => Promise<BlobStore>;
  /** The chain and deployment the app is configured for (reads only). */
  chain: MeridianContext;
  quota: UploadQuota;
  /** Failed requests per client. */
  failures: FailureLimiter;
  /** Largest envelope accepted, in bytes (`DEFAULT_MAX_BLOB_BYTES`: the largest record the app makes). */
  maxBytes: number;
  /** The clock, milliseconds (default `Date.now`). */
  now?: () => number;
}

/** Verified sessions (key → until when, unix seconds) and seen upload nonces (→ until when), in this process. */
const sessions = new Map<string, number>();
const nonces = new Map<string, number>();
const CACHE_LIMIT = 50_000;

class Refusal extends Error {
  readonly status: number;
  readonly body: Record<string, string>;
  constructor(status: number, body: Record<string, string>) {
    super(body.error);
    this.status = status;
    this.body = body;
  }
}

function remember(map: Map<string, number>, key: string, until: number, now: number) {
  if (map.size >= CACHE_LIMIT) for (const [k, at] of map) if (at <= now) map.delete(k);
  if (map.size >= CACHE_LIMIT) map.delete(map.keys().next().value!);
  map.set(key, until);
}

/** Which role lets `account` upload, or a 403 refusal naming it. */
async function uploaderRole(chain: MeridianContext, account: Address): Promise<"patient" | "provider"> {
  if ((await getPatient(chain, account)).registered) return "patient";
  if ((await getProvider(chain, account)).status === ProviderStatus.Active) return "provider";
  throw new Refusal(403, {
    error:
      `Account ${account} may not upload: ` +
      "it is neither a registered patient nor an active provider on this network.",
    code: "not-registered",
    hint:
      "Register as a patient in the app first (one transaction), " +
      "or ask the regulator to admit (or reinstate) your organisation.",
  });
}

/** Answers one upload request (see the module's comment). Never throws. */
export async function handleBlobUpload(server: BlobUploadServer, request: Request): Promise<Response> {
  const nowMs = (server.now ?? Date.now)();
  const now = Math.floor(nowMs / 1000);
  const client = clientAddress(request);
  const wait = server.failures.retryAfter(client, nowMs);
  if (wait > 0) {
    return jsonResponse(
      429,
      {
        error: "Too many failed requests from this client.",
        code: "too-many-failures",
        hint: `Wait ${wait} seconds, then upload with a valid authorisation.`,
      },
      { "retry-after": String(wait) },
    );
  }
  let authenticated = false;
  let reservation: QuotaReservation | undefined;
  try {
    if (!/^application\/octet-stream\b/i.test(request.headers.get("content-type") ?? "")) {
      throw new Refusal(415, {
        error: "Send the envelope as application/octet-stream.",
        code: "unsupported-media-type",
        hint: "Upload through the Meridian app or SDK (createHttpStore).",
      });
    }
    const header = request.headers.get("authorization");
    const auth = decodeUploadAuthorization(header);
    const declared = Number(request.headers.get("content-length") ?? "0");
    if (declared > server.maxBytes || auth.upload.size > server.maxBytes)
      throw tooLarge(server.maxBytes, Math.max(declared, auth.upload.size));
    await verifySession(server, auth, now);
    await uploaderRole(server.chain, auth.session.account);
    authenticated = true;
    reservation = await server.quota.reserve(auth.session.account, auth.upload.size, now);

    const bytes = await readBlobBody(request, server.maxBytes);
    if (bytes === null) throw tooLarge(server.maxBytes);
    const refusal = checkEnvelopeBytes(bytes);
    if (refusal) {
      const { status, ...body } = refusal;
      throw new Refusal(status, body);
    }
    const identity = await computeBlobIdentity(bytes);
    await verifyBlobUpload({
      domain: domainOf(server.chain),
      authorization: auth,
      ciphertextHash: identity.ciphertextHash,
      size: bytes.length,
      now,
    });
    const seen = nonces;
    const nonceKey = `${auth.session.sessionKey}:${auth.upload.nonce}`.toLowerCase();
    if ((seen.get(nonceKey) ?? 0) > now)
      throw new UploadAuthorizationError(
        "stale-upload",
        "This upload signature was already used.",
        "Sign each upload afresh (the app and SDK do).",
      );
    remember(seen, nonceKey, now + 2 * UPLOAD_SIGNATURE_MAX_AGE_SECONDS, now);

    const existed = await server.store.has(identity.cid.toString());
    const target = server.uploadStore ? await server.uploadStore(header!, auth) : server.store;
    const stored = await target.put(bytes);
    if (existed)
      reservation.release(); // the same bytes were already held: nothing new to charge
    else await reservation.commit();
    reservation = undefined;
    return jsonResponse(201, { cid: stored.cid, ciphertextHash: stored.ciphertextHash, size: stored.size });
  } catch (error) {
    reservation?.release();
    const response = refusalResponse(error);
    if (!authenticated || response.status === 401) server.failures.fail(client, nowMs);
    return response;
  }
}

const domainOf = (chain: MeridianContext) => ({
  chainId: chain.deployment.chainId,
  recordRegistry: chain.deployment.recordRegistry,
});

const tooLarge = (limit: number, size?: number) =>
  new Refusal(413, {
    error: `The envelope is larger than this server's limit of ${limit} bytes${size ? ` (${size} bytes)` : ""}.`,
    code: "too-large",
    hint: "Split the upload into smaller records; the app's largest record (a 64 MiB file) fits.",
  });

async function verifySession(server: BlobUploadServer, auth: UploadAuthorization, now: number): Promise<void> {
  const s = auth.session;
  const { chainId, recordRegistry } = server.chain.deployment;
  const key = [chainId, recordRegistry, s.account, s.sessionKey, s.issuedAt, s.expiresAt, s.signature]
    .join(":")
    .toLowerCase();
  const verified = sessions;
  const until = verified.get(key);
  if (until !== undefined && until > now) return;
  await verifyUploadSession({
    publicClient: server.chain.publicClient,
    domain: domainOf(server.chain),
    session: s,
    now,
  });
  remember(verified, key, Math.min(s.expiresAt, now + MAX_UPLOAD_SESSION_SECONDS), now);
}

function refusalResponse(error: unknown): Response {
  if (error instanceof Refusal) return jsonResponse(error.status, error.body);
  if (error instanceof ReplicationError) {
    return jsonResponse(503, {
      error: error.shortMessage,
      code: "replication-failed",
      hint: error.hint ?? "Try again in a moment; if it keeps failing, ask the hospital to check its Meridian nodes.",
      ...(error.details ? { details: error.details } : {}),
    });
  }
  if (error instanceof BlobStoreConfigError) {
    console.error("[api/blobs] storage settings:", error.message);
    return jsonResponse(503, {
      error: "This app's storage settings are wrong, so it cannot store records.",
      code: "storage-misconfigured",
      hint: "Ask the app's operator to fix MERIDIAN_NODES / MERIDIAN_REPLICAS (the server's log says how).",
    });
  }
  if (error instanceof UploadAuthorizationError) {
    return jsonResponse(401, {
      error: error.shortMessage,
      code: error.reason === "missing" || error.reason === "malformed" ? "unauthorized" : error.reason,
      ...(error.hint ? { hint: error.hint } : {}),
      ...(error.details ? { details: error.details } : {}),
    });
  }
  if (error instanceof UploadQuotaExceededError) {
    return jsonResponse(
      429,
      { error: error.message, code: "quota-exceeded", account: error.account, limit: error.limit, hint: error.hint },
      error.retryAfterSeconds === undefined ? {} : { "retry-after": String(error.retryAfterSeconds) },
    );
  }
  console.error("[api/blobs] upload failed:", error instanceof Error ? error.message : String(error));
  return jsonResponse(500, {
    error: "The server could not store the envelope.",
    code: "internal",
    hint: "Try again; if it keeps failing, check the server's log.",
  });
}
