/**
 * The fog relay: store and forward between edge devices and a provider's medical server under
 * poor connectivity. It verifies the device and edge signatures, writes every message to a
 * durable queue before it acknowledges it, drops duplicates by message id (the window's
 * EIP-712 digest), and delivers in queue order, signing a `FogForward` over each, retrying with
 * exponential backoff while the server is unreachable (messages arriving meanwhile are queued
 * and do not cut a backoff short). A restart resumes from the queue.
 *
 * @module
 */
import type { LocalAccount } from "viem";
import { QueueWriteError } from "./errors.ts";
import { DurableQueue } from "./queue.ts";
import type { QueueStats } from "./queue.ts";
import { signForward, verifyFindings } from "./messages.ts";
import type { MonitoringDomain, SignedFindings, SignedForward } from "./messages.ts";

/** What the receiver said about one delivery. */
export type DeliveryOutcome = { status: "delivered"; detail: string } | { status: "rejected"; reason: string };

/** Sends a forward to the medical server; throws when it could not be reached (then it is retried). */
export type Deliver = (forward: SignedForward) => Promise<DeliveryOutcome>;

/** Options of {@link FogRelay}. */
export interface FogRelayOptions {
  /** The relay's key (a registered `Fog` device of each patient it serves). */
  account: LocalAccount;
  domain: MonitoringDomain;
  /** SQLite file of the durable queue. */
  queueFile: string;
  deliver: Deliver;
  /** First retry delay (milliseconds, default 200); doubles per failure up to `maxRetryMs`. */
  minRetryMs?: number;
  /** Longest retry delay (milliseconds, default 5,000). */
  maxRetryMs?: number;
  /** Called on each refusal, delivery or retry (for logs and progress); must not throw. */
  onEvent?: (event: FogEvent) => void;
}

/** Something the relay did. */
export type FogEvent =
  | { kind: "queued"; seq: number; id: string }
  | { kind: "duplicate"; id: string }
  | { kind: "refused"; error: Error }
  | { kind: "delivered"; seq: number; id: string; detail: string }
  | { kind: "rejected"; seq: number; id: string; reason: string }
  | { kind: "retry"; seq: number; attempt: number; error: string; delayMs: number };

/** See the module documentation. */
export class FogRelay {
  readonly queue: DurableQueue;
  readonly #o: FogRelayOptions;
  #running = false;
  /** Ends the current wait (an idle wait or a retry backoff). */
  #wake: (() => void) | undefined;
  /** True while the loop waits for work: only then does a new message wake it (a backoff is waited out). */
  #idle = false;
  #loop: Promise<void> | undefined;

  constructor(options: FogRelayOptions) {
    this.#o = options;
    this.queue = new DurableQueue(options.queueFile);
  }

  /** The relay's address. */
  get address() {
    return this.#o.account.address;
  }

  /**
   * Verifies edge findings (both signatures) and queues them durably. Resolves once the message
   * is on disk: only then may the transport acknowledge it.
   *
   * @throws `MalformedMessageError` or `ForgedSignatureError` (the message is refused and not
   *   queued: acknowledge it), or {@link QueueWriteError} when the queue could not be written
   *   (do not acknowledge it: it must be delivered again).
   */
  async accept(message: unknown): Promise<{ seq: number; duplicate: boolean }> {
    let digest: string;
    try {
      ({ windowDigest: digest } = await verifyFindings(this.#o.domain, message));
    } catch (error) {
      this.#o.onEvent?.({ kind: "refused", error: error as Error });
      throw error;
    }
    let r: { seq: number; duplicate: boolean };
    try {
      r = this.queue.enqueue(digest, JSON.stringify(message));
    } catch (cause) {
      throw new QueueWriteError(
        "The fog relay could not write a message to its durable queue; it was not acknowledged.",
        { cause, details: `window ${digest}: ${(cause as Error).message}` },
      );
    }
    this.#o.onEvent?.(r.duplicate ? { kind: "duplicate", id: digest } : { kind: "queued", seq: r.seq, id: digest });
    if (this.#idle) this.#wake?.();
    return r;
  }

  /** Starts delivering queued messages in order (idempotent). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops delivering after the current attempt and closes the queue. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    this.queue.close();
  }

  /** Counts of queued, delivered, rejected and duplicate messages. */
  stats(): QueueStats {
    return this.queue.stats();
  }

  /** Resolves when nothing is left to deliver (or the relay stops). */
  async drained(pollMs = 20): Promise<void> {
    while (this.#running && this.queue.head()) await new Promise((r) => setTimeout(r, pollMs));
  }

  async #sleep(ms: number) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  async #run() {
    const min = this.#o.minRetryMs ?? 200,
      max = this.#o.maxRetryMs ?? 5_000;
    let failures = 0;
    while (this.#running) {
      const head = this.queue.head();
      if (!head) {
        this.#idle = true;
        await this.#sleep(1_000);
        this.#idle = false;
        continue;
      }
      const findings = JSON.parse(head.body) as SignedFindings;
      const forward = await signForward(this.#o.domain, this.#o.account, findings, {
        receivedAt: head.receivedAt,
        queueSequence: head.seq,
      });
      let outcome: DeliveryOutcome;
      try {
        outcome = await this.#o.deliver(forward);
      } catch (error) {
        const delayMs = Math.min(max, min * 2 ** failures++);
        const message = error instanceof Error ? error.message : String(error);
        this.queue.attempted(head.seq, message);
        this.#o.onEvent?.({ kind: "retry", seq: head.seq, attempt: head.attempts + 1, error: message, delayMs });
        await this.#sleep(delayMs);
        continue;
      }
      failures = 0;
      if (outcome.status === "delivered") {
        this.queue.settle(head.seq, "delivered", outcome.detail);
        this.#o.onEvent?.({ kind: "delivered", seq: head.seq, id: head.id, detail: outcome.detail });
      } else {
        this.queue.settle(head.seq, "rejected", outcome.reason);
        this.#o.onEvent?.({ kind: "rejected", seq: head.seq, id: head.id, reason: outcome.reason });
      }
    }
  }
}

/**
 * A {@link Deliver} that POSTs the forward as JSON to `url` (the medical server's
 * `/ecg/forwards`): 2xx is delivered, 4xx other than 408 and 429 is a permanent refusal, any
 * other answer or a network error is retried.
 */
export function httpDeliver(url: string, timeoutMs = 30_000): Deliver {
  return async (forward) => {
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(forward),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      // fetch says only "fetch failed"; the reason (ECONNREFUSED, a timeout, …) is its cause
      const cause = (error as Error).cause as (Error & { code?: string }) | undefined;
      throw new Error(`medical server unreachable: ${cause?.code ?? cause?.message ?? (error as Error).message}`, {
        cause: error,
      });
    }
    const text = await response.text();
    if (response.ok) return { status: "delivered", detail: text };
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429)
      return { status: "rejected", reason: text };
    throw new Error(`medical server answered ${response.status}`);
  };
}
