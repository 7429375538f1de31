/**
 * Per-client limits for the app's server routes (`/api/blobs`, `/api/consent-codes`): who the
 * client is ({@link clientAddress}) and how many failed requests it may make
 * ({@link FailureLimiter}). Server side only; state lives in this process.
 */

/**
 * The client's address as the request carries it: the last entry of `X-Forwarded-For`, which
 * `next start` sets to the socket's address when the request has none, and a reverse proxy
 * appends. Behind a proxy that sets the header (recommended in production) it is the client's
 * address; on a bare `next start` a client that sends its own header chooses its key, so
 * per-client limits there only slow a naive flood. Limits by account and by patient do not
 * depend on it. `"unknown"` when absent.
 */
export function clientAddress(request: Request): string {
  const forwarded = request.headers.get("x-forwarded-for") ?? "";
  const last = forwarded
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .at(-1);
  return last ? last.slice(0, 64) : "unknown";
}

/** Parameters of {@link FailureLimiter}. */
export interface FailureLimiterParameters {
  /** Failed requests a client may make per window (default 20). */
  maxFailures?: number;
  /** Length of the window in seconds (default 60). */
  windowSeconds?: number;
  /** Clients tracked at once; the oldest is forgotten beyond this (default 10,000). */
  maxClients?: number;
}

/**
 * Counts failed requests per client in fixed windows; a client over its budget is refused
 * (HTTP 429) until its window ends, whatever it sends. Successful requests are not counted.
 */
export class FailureLimiter {
  readonly maxFailures: number;
  readonly windowSeconds: number;
  readonly #maxClients: number;
  readonly #clients = new Map<string, { startMs: number; count: number }>();

  constructor(p: FailureLimiterParameters = {}) {
    this.maxFailures = p.maxFailures ?? 20;
    this.windowSeconds = p.windowSeconds ?? 60;
    this.#maxClients = p.maxClients ?? 10_000;
  }

  /** Seconds until `client` may try again (0: now). */
  retryAfter(client: string, nowMs = Date.now()): number {
    const entry = this.#clients.get(client);
    if (!entry || nowMs >= entry.startMs + this.windowSeconds * 1000) return 0;
    return entry.count >= this.maxFailures ? Math.ceil((entry.startMs + this.windowSeconds * 1000 - nowMs) / 1000) : 0;
  }

  /** Counts one failed request of `client`. */
  fail(client: string, nowMs = Date.now()): void {
    let entry = this.#clients.get(client);
    if (!entry || nowMs >= entry.startMs + this.windowSeconds * 1000) {
      this.#clients.delete(client);
      entry = { startMs: nowMs, count: 0 };
      this.#clients.set(client, entry);
      if (this.#clients.size > this.#maxClients) this.#clients.delete(this.#clients.keys().next().value!);
    }
    entry.count++;
  }
}

/**
 * A positive integer from environment variable `name`, or `fallback` when unset.
 * @throws {Error} naming the variable when it is set but not a positive integer.
 */
export function positiveIntegerFromEnv(
  name: string,
  fallback: number,
  env: Record<string, string | undefined> = process.env,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive whole number, not "${raw}"; unset it to use ${fallback}.`);
  return value;
}
