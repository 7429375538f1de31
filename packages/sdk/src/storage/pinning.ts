/**
 * A client of the IPFS Pinning Service API v1.0.0
 * (https://ipfs.github.io/pinning-services-api-spec/, OpenAPI `ipfs-pinning-service.yaml`), as a
 * Meridian node serves it and as hosted pinning services do: `POST /pins`, `GET /pins`,
 * `GET|POST|DELETE /pins/{requestid}`, `Authorization: Bearer <access token>`, errors
 * `{ "error": { "reason": "UPPER_SNAKE", "details": "…" } }`. Browser-safe (global `fetch`).
 *
 * @module
 */

import { MeridianError } from "../errors.ts";

/** Status of a pin request (spec `Status`): `queued` → `pinning` → `pinned` or `failed`. */
export type PinStatusValue = "queued" | "pinning" | "pinned" | "failed";

/** A pin object (spec `Pin`). */
export interface Pin {
  /** The CID to pin (for Meridian: a blob's CIDv1). */
  cid: string;
  /** Optional name, up to 255 characters. */
  name?: string;
  /** Multiaddrs (with `/p2p/<peer id>`) the service should fetch the DAG from; at most 20. */
  origins?: string[];
  /** Free-form string metadata, at most 1,000 entries. */
  meta?: Record<string, string>;
}

/** A pin request's state (spec `PinStatus`). */
export interface PinStatus {
  /** The service's id of this request. */
  requestid: string;
  status: PinStatusValue;
  /** When the request was received, ISO 8601 (RFC 3339) UTC. */
  created: string;
  pin: Pin;
  /** Multiaddrs of the service's own peers, for the client to connect to (may be empty). */
  delegates: string[];
  /** Extra facts; a Meridian node sets `status_details` (why a pin failed) and `size` (bytes). */
  info?: Record<string, string>;
}

/** A page of pin requests (spec `PinResults`). */
export interface PinResults {
  /** How many requests match the query in total. */
  count: number;
  results: PinStatus[];
}

/** Filters of {@link PinningClient.listPins} (spec `GET /pins` query). */
export interface ListPinsParameters {
  cid?: string[];
  name?: string;
  match?: "exact" | "iexact" | "partial" | "ipartial";
  status?: PinStatusValue[];
  /** Only requests created before this time. */
  before?: Date;
  /** Only requests created after this time. */
  after?: Date;
  /** 1 to 1,000 (the spec's default is 10). */
  limit?: number;
  meta?: Record<string, string>;
}

/**
 * A pinning service refused, failed or could not be reached. `status` is the HTTP status (0 when
 * there was no answer), `reason` the spec error's `reason` (e.g. `UNAUTHORIZED`,
 * `INSUFFICIENT_FUNDS`, `NOT_FOUND`), or one of this client's: `NODE_UNREACHABLE`,
 * `PIN_FAILED` (the request ended `failed`), `PIN_TIMEOUT` (not `pinned` in time),
 * `BAD_RESPONSE` (the answer is not the spec's shape).
 */
export class PinningServiceError extends MeridianError {
  override name = "PinningServiceError" as const;
  /** HTTP status, 0 when there was no answer. */
  readonly status: number;
  /** The spec's (or this client's) reason code. */
  readonly reason: string;
  /** The node's base URL. */
  readonly url: string;
  constructor(
    url: string,
    status: number,
    reason: string,
    shortMessage: string,
    parameters: { details?: string | undefined; hint?: string; cause?: unknown } = {},
  ) {
    super(shortMessage, {
      hint:
        parameters.hint ??
        "Check the node's URL and your access token; if the node refused, its details say why (another node can pin).",
      details: [`node ${url}`, parameters.details].filter(Boolean).join("; "),
      cause: parameters.cause,
    });
    this.status = status;
    this.reason = reason;
    this.url = url;
  }
}

/** Parameters of {@link createPinningClient}. */
export interface CreatePinningClientParameters {
  /** The service's base URL (a Meridian node's `http(s)://host:port`); `/pins` is appended. */
  url: string;
  /**
   * The bearer access token (for a Meridian node: `createPinningAccessToken`), or a function that
   * returns one (called per request, e.g. to renew it).
   */
  accessToken: string | (() => string | Promise<string>);
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
}

/** Options of {@link PinningClient.waitForPin}. */
export interface WaitForPinOptions {
  /** Give up after this many milliseconds (default 120,000). */
  timeoutMs?: number;
  /** Aborts the wait; it then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** First polling interval in milliseconds (default 100, doubling up to 2,000). */
  intervalMs?: number;
}

/** A Pinning Service API client: see {@link createPinningClient}. */
export interface PinningClient {
  /** The service's base URL, without a trailing slash. */
  readonly url: string;
  /** `POST /pins`: asks the service to pin `pin` (202). */
  addPin(pin: Pin, options?: { signal?: AbortSignal }): Promise<PinStatus>;
  /** `GET /pins/{requestid}`. */
  getPin(requestid: string, options?: { signal?: AbortSignal }): Promise<PinStatus>;
  /** `GET /pins` with the spec's filters (the service lists only the caller's requests). */
  listPins(parameters?: ListPinsParameters, options?: { signal?: AbortSignal }): Promise<PinResults>;
  /** `POST /pins/{requestid}`: replaces a request with a new pin (202). */
  replacePin(requestid: string, pin: Pin, options?: { signal?: AbortSignal }): Promise<PinStatus>;
  /** `DELETE /pins/{requestid}` (202). */
  removePin(requestid: string, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Polls `GET /pins/{requestid}` until the request is `pinned` and returns its status.
   * @throws {PinningServiceError} `PIN_FAILED` (with the node's `status_details`) when it ends
   *   `failed`, `PIN_TIMEOUT` after `timeoutMs`, or any error of {@link PinningClient.getPin}.
   */
  waitForPin(requestid: string, options?: WaitForPinOptions): Promise<PinStatus>;
}

const STATUSES: readonly string[] = ["queued", "pinning", "pinned", "failed"];

/** Whether `value` has the spec's `PinStatus` shape (the fields this client relies on). */
function isPinStatus(value: unknown): value is PinStatus {
  const v = value as Partial<PinStatus> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.requestid === "string" &&
    typeof v.status === "string" &&
    STATUSES.includes(v.status) &&
    typeof v.created === "string" &&
    typeof v.pin === "object" &&
    v.pin !== null &&
    typeof v.pin.cid === "string" &&
    Array.isArray(v.delegates)
  );
}

/** The query string of `GET /pins` for `p` (arrays comma-separated, `meta` as JSON, per the spec). */
function listQuery(p: ListPinsParameters): string {
  const q = new URLSearchParams();
  if (p.cid?.length) q.set("cid", p.cid.join(","));
  if (p.name !== undefined) q.set("name", p.name);
  if (p.match !== undefined) q.set("match", p.match);
  if (p.status?.length) q.set("status", p.status.join(","));
  if (p.before) q.set("before", p.before.toISOString());
  if (p.after) q.set("after", p.after.toISOString());
  if (p.limit !== undefined) q.set("limit", String(p.limit));
  if (p.meta) q.set("meta", JSON.stringify(p.meta));
  const text = q.toString();
  return text ? `?${text}` : "";
}

/**
 * Returns a {@link PinningClient} for the service at `url`.
 *
 * @throws {PinningServiceError} from every method: the service's refusal (its status, `reason`
 *   and `details`: 400 `BAD_REQUEST`, 401 `UNAUTHORIZED`, 403 `FORBIDDEN`, 404 `NOT_FOUND`, 409,
 *   413, 429 `INSUFFICIENT_FUNDS`, …), `NODE_UNREACHABLE` when it cannot be reached, `BAD_RESPONSE`
 *   when the answer is not the spec's shape.
 * @example
 * ```ts
 * const pins = createPinningClient({ url: "http://127.0.0.1:4100", accessToken });
 * const request = await pins.addPin({ cid, origins: otherNode.multiaddrs });
 * await pins.waitForPin(request.requestid, { timeoutMs: 30_000 });
 * ```
 */
export function createPinningClient(parameters: CreatePinningClientParameters): PinningClient {
  const url = parameters.url.replace(/\/+$/, "");
  const doFetch = parameters.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const token = async (): Promise<string> =>
    typeof parameters.accessToken === "function" ? parameters.accessToken() : parameters.accessToken;

  const call = async (method: string, path: string, body: unknown, signal: AbortSignal | undefined) => {
    const headers: Record<string, string> = { authorization: `Bearer ${await token()}`, accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await doFetch(`${url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (cause) {
      if (signal?.aborted) throw cause;
      throw new PinningServiceError(url, 0, "NODE_UNREACHABLE", `Cannot reach the pinning service at ${url}.`, {
        hint: "Check that the node is running and reachable at that URL; another node can pin meanwhile.",
        cause,
      });
    }
    if (response.ok) return response;
    let reason = `HTTP_${response.status}`;
    let details: string | undefined;
    try {
      const error = ((await response.json()) as { error?: { reason?: unknown; details?: unknown } }).error;
      if (typeof error?.reason === "string") reason = error.reason;
      if (typeof error?.details === "string") details = error.details;
    } catch {
      // not the spec's JSON: keep the status
    }
    throw new PinningServiceError(
      url,
      response.status,
      reason,
      `The pinning service refused ${method} ${path.split("?")[0]} (${response.status} ${reason}).`,
      { details },
    );
  };

  const status = async (response: Response): Promise<PinStatus> => {
    const value: unknown = await response.json().catch(() => undefined);
    if (!isPinStatus(value)) {
      throw new PinningServiceError(
        url,
        response.status,
        "BAD_RESPONSE",
        "The pinning service's answer is not a PinStatus.",
      );
    }
    return value;
  };
  const path = (requestid: string) => `/pins/${encodeURIComponent(requestid)}`;

  const client: PinningClient = {
    url,
    addPin: async (pin, options = {}) => status(await call("POST", "/pins", pin, options.signal)),
    getPin: async (requestid, options = {}) => status(await call("GET", path(requestid), undefined, options.signal)),
    async listPins(p = {}, options = {}) {
      const response = await call("GET", `/pins${listQuery(p)}`, undefined, options.signal);
      const value = (await response.json().catch(() => undefined)) as Partial<PinResults> | undefined;
      if (typeof value?.count !== "number" || !Array.isArray(value.results) || !value.results.every(isPinStatus)) {
        throw new PinningServiceError(
          url,
          response.status,
          "BAD_RESPONSE",
          "The pinning service's answer is not PinResults.",
        );
      }
      return { count: value.count, results: value.results };
    },
    replacePin: async (requestid, pin, options = {}) =>
      status(await call("POST", path(requestid), pin, options.signal)),
    async removePin(requestid, options = {}) {
      await call("DELETE", path(requestid), undefined, options.signal);
    },
    async waitForPin(requestid, options = {}) {
      const { timeoutMs = 120_000, signal } = options;
      const deadline = Date.now() + timeoutMs;
      let interval = options.intervalMs ?? 100;
      for (;;) {
        signal?.throwIfAborted();
        const current = await client.getPin(requestid, signal ? { signal } : {});
        if (current.status === "pinned") return current;
        if (current.status === "failed") {
          throw new PinningServiceError(url, 200, "PIN_FAILED", `The node could not pin ${current.pin.cid}.`, {
            details: current.info?.status_details ?? "no reason given",
            hint: "Another node can pin it; check that the bytes are a Meridian envelope within the node's limits.",
          });
        }
        if (Date.now() >= deadline) {
          throw new PinningServiceError(
            url,
            0,
            "PIN_TIMEOUT",
            `The node did not pin ${current.pin.cid} in ${timeoutMs} ms.`,
            {
              details: `request ${requestid} is still ${current.status}`,
              hint: "Check that the origins are reachable from the node, or wait longer (timeoutMs).",
            },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(interval, Math.max(0, deadline - Date.now()))));
        interval = Math.min(2 * interval, 2_000);
      }
    },
  };
  return client;
}
