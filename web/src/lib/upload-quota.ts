/**
 * Per-account upload quotas for `/api/blobs`: bytes per rolling window and bytes in total,
 * persisted in a small JSON file beside the app's IPFS blocks (default
 * `<data dir>/upload-quota.json`, see `blob-store.ts`). Server side only; one process owns the file.
 *
 * File format: `{ "version": 1, "accounts": { "<lower-case address>": { "totalBytes": n,
 * "uploads": [[unixSeconds, bytes], …] } } }`; `uploads` keeps only the current window.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Address } from "viem";
import { positiveIntegerFromEnv } from "./rate-limit.ts";

/** An account's limits. */
export interface UploadQuotaLimits {
  /** Bytes an account may upload per window (`MERIDIAN_UPLOAD_QUOTA_WINDOW_BYTES`, default 512 MiB). */
  windowBytes: number;
  /** Length of the rolling window in seconds (`MERIDIAN_UPLOAD_QUOTA_WINDOW_SECONDS`, default 86,400: 24 h). */
  windowSeconds: number;
  /** Bytes an account may upload in total (`MERIDIAN_UPLOAD_QUOTA_TOTAL_BYTES`, default 4 GiB). */
  totalBytes: number;
}

/** The defaults: 512 MiB per 24 h, 4 GiB in total, per account. */
export const DEFAULT_UPLOAD_QUOTA_LIMITS: UploadQuotaLimits = {
  windowBytes: 512 * 1024 * 1024,
  windowSeconds: 86_400,
  totalBytes: 4 * 1024 * 1024 * 1024,
};

/**
 * The limits from the environment (see {@link UploadQuotaLimits}), defaults for unset variables.
 * @throws {Error} naming a variable that is set but not a positive whole number.
 */
export function uploadQuotaLimitsFromEnv(env: Record<string, string | undefined> = process.env): UploadQuotaLimits {
  const d = DEFAULT_UPLOAD_QUOTA_LIMITS;
  return {
    windowBytes: positiveIntegerFromEnv("MERIDIAN_UPLOAD_QUOTA_WINDOW_BYTES", d.windowBytes, env),
    windowSeconds: positiveIntegerFromEnv("MERIDIAN_UPLOAD_QUOTA_WINDOW_SECONDS", d.windowSeconds, env),
    totalBytes: positiveIntegerFromEnv("MERIDIAN_UPLOAD_QUOTA_TOTAL_BYTES", d.totalBytes, env),
  };
}

/** An upload would take `account` over a limit; HTTP 429. */
export class UploadQuotaExceededError extends Error {
  readonly account: Address;
  /** Which limit: the rolling window or the total. */
  readonly limit: "window" | "total";
  /**
   * Seconds until the upload would fit (window); undefined when it never will (total, or larger
   * than the window).
   */
  readonly retryAfterSeconds: number | undefined;
  readonly hint: string;
  constructor(
    account: Address,
    limit: "window" | "total",
    message: string,
    hint: string,
    retryAfterSeconds: number | undefined,
  ) {
    super(message);
    this.account = account;
    this.limit = limit;
    this.hint = hint;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Bytes held back for an upload in flight: commit once stored, release if it fails. */
export interface QuotaReservation {
  /** Charges the bytes to the account and writes the file. */
  commit(): Promise<void>;
  /** Gives the bytes back (the upload failed or stored nothing new). */
  release(): void;
}

interface AccountUsage {
  totalBytes: number;
  uploads: [number, number][];
}
interface QuotaFile {
  version: 1;
  accounts: Record<string, AccountUsage>;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Per-account upload quotas kept in a JSON file (see the module's comment). */
export class UploadQuota {
  readonly file: string;
  readonly limits: UploadQuotaLimits;
  #data: Promise<QuotaFile> | undefined;
  #pending = new Map<string, number>();
  #writes: Promise<void> = Promise.resolve();

  constructor(p: { file: string; limits?: UploadQuotaLimits }) {
    this.file = p.file;
    this.limits = p.limits ?? DEFAULT_UPLOAD_QUOTA_LIMITS;
  }

  #load(): Promise<QuotaFile> {
    this.#data ??= readFile(this.file, "utf8").then(
      (text) => {
        const parsed = JSON.parse(text) as QuotaFile;
        if (parsed?.version !== 1 || typeof parsed.accounts !== "object" || parsed.accounts === null)
          throw new Error(`${this.file} is not an upload quota file (version 1).`);
        return parsed;
      },
      (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return { version: 1, accounts: {} };
        throw error;
      },
    );
    return this.#data;
  }

  #usage(data: QuotaFile, key: string, nowSeconds: number): AccountUsage {
    const usage = data.accounts[key] ?? { totalBytes: 0, uploads: [] };
    usage.uploads = usage.uploads.filter(([at]) => at > nowSeconds - this.limits.windowSeconds);
    return usage;
  }

  /** `account`'s bytes used: in the current window and in total (without uploads in flight). */
  async usage(
    account: Address,
    nowSeconds = Math.floor(Date.now() / 1000),
  ): Promise<{ windowBytes: number; totalBytes: number }> {
    const usage = this.#usage(await this.#load(), account.toLowerCase(), nowSeconds);
    return { windowBytes: usage.uploads.reduce((sum, [, b]) => sum + b, 0), totalBytes: usage.totalBytes };
  }

  /**
   * Holds `bytes` of `account`'s quota for an upload in flight.
   * @throws {UploadQuotaExceededError} when the upload would take the account over a limit.
   */
  async reserve(
    account: Address,
    bytes: number,
    nowSeconds = Math.floor(Date.now() / 1000),
  ): Promise<QuotaReservation> {
    const data = await this.#load();
    const key = account.toLowerCase();
    const usage = this.#usage(data, key, nowSeconds);
    const pending = this.#pending.get(key) ?? 0;
    const { windowBytes, windowSeconds, totalBytes } = this.limits;
    if (usage.totalBytes + pending + bytes > totalBytes) {
      throw new UploadQuotaExceededError(
        account,
        "total",
        `Account ${account} has used its upload quota: ${mib(usage.totalBytes)} of ${mib(totalBytes)} in total.`,
        "Ask this server's operator to raise MERIDIAN_UPLOAD_QUOTA_TOTAL_BYTES, " +
          "or store records on your own IPFS node.",
        undefined,
      );
    }
    const used = usage.uploads.reduce((sum, [, b]) => sum + b, 0) + pending;
    if (used + bytes > windowBytes) {
      // when enough of the window's uploads age out for this one to fit
      let freed = 0;
      let retry: number | undefined;
      for (const [at, b] of usage.uploads) {
        freed += b;
        if (used - freed + bytes <= windowBytes) {
          retry = Math.max(1, at + windowSeconds - nowSeconds);
          break;
        }
      }
      throw new UploadQuotaExceededError(
        account,
        "window",
        `Account ${account} has uploaded ${mib(used)} in the last ${windowSeconds / 3600} h; this upload of ${mib(
          bytes,
        )} would pass the ${mib(windowBytes)} limit.`,
        retry === undefined
          ? "This upload is larger than the window allows; " +
              "ask the operator to raise MERIDIAN_UPLOAD_QUOTA_WINDOW_BYTES."
          : `Try again in ${Math.ceil(retry / 60)} minutes.`,
        retry,
      );
    }
    this.#pending.set(key, pending + bytes);
    let settled = false;
    const release = () => {
      if (settled) return;
      settled = true;
      const left = (this.#pending.get(key) ?? 0) - bytes;
      if (left > 0) this.#pending.set(key, left);
      else this.#pending.delete(key);
    };
    return {
      commit: async () => {
        if (settled) return;
        release();
        const fresh = this.#usage(data, key, nowSeconds);
        fresh.uploads.push([nowSeconds, bytes]);
        fresh.totalBytes += bytes;
        data.accounts[key] = fresh;
        await this.#save(data);
      },
      release,
    };
  }

  /** Writes the file (serialised, atomically: a temporary file renamed over it). */
  #save(data: QuotaFile): Promise<void> {
    const write = async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      const temporary = `${this.file}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(data), { mode: 0o600 });
      await rename(temporary, this.file);
    };
    this.#writes = this.#writes.then(write, write);
    return this.#writes;
  }
}
