/**
 * Per-account storage quota of a node: bytes an account may add (uploads and pins) per rolling
 * 24 hours, kept in `<dataDir>/node-quota.json` (written to a temporary file and renamed, so a
 * node killed mid-write keeps the previous file). One node process owns the file.
 *
 * Format: `{ "version": 1, "accounts": { "<lower-case address>": [[unixSeconds, bytes], …] } }`.
 *
 * @module
 */

import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Address } from "viem";

/** The rolling window of a quota: 24 hours, in seconds. */
export const QUOTA_WINDOW_SECONDS = 86_400;

/** An addition would take `account` over its quota (HTTP 429, spec reason `INSUFFICIENT_FUNDS`). */
export class QuotaExceededError extends Error {
  override name = "QuotaExceededError" as const;
  readonly account: Address;
  readonly usedBytes: number;
  readonly limitBytes: number;
  readonly bytes: number;
  constructor(account: Address, usedBytes: number, limitBytes: number, bytes: number) {
    super(
      `Account ${account} has added ${usedBytes} bytes to this node in the last 24 h; ` +
        `${bytes} more would pass its quota of ${limitBytes} bytes.`,
    );
    this.account = account;
    this.usedBytes = usedBytes;
    this.limitBytes = limitBytes;
    this.bytes = bytes;
  }
}

/** Bytes held for an addition in flight: commit once stored, release if it fails. */
export interface QuotaReservation {
  commit(): Promise<void>;
  release(): void;
}

interface QuotaFile {
  version: 1;
  accounts: Record<string, [number, number][]>;
}

/** The per-account daily quota; see the module's comment. */
export class DailyQuota {
  #data: Promise<QuotaFile> | undefined;
  #pending = new Map<string, number>();
  #writes: Promise<void> = Promise.resolve();

  readonly file: string;
  readonly limitBytes: number;
  constructor(file: string, limitBytes: number) {
    this.file = file;
    this.limitBytes = limitBytes;
  }

  #load(): Promise<QuotaFile> {
    this.#data ??= readFile(this.file, "utf8").then(
      (text) => {
        const parsed = JSON.parse(text) as QuotaFile;
        if (parsed?.version !== 1 || typeof parsed.accounts !== "object" || parsed.accounts === null)
          throw new Error(`${this.file} is not a node quota file (version 1); move it away and restart.`);
        return parsed;
      },
      (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return { version: 1 as const, accounts: {} };
        throw error;
      },
    );
    return this.#data;
  }

  /**
   * Holds `bytes` of `account`'s quota.
   * @throws {QuotaExceededError} when the account's last 24 h plus this would pass the limit.
   */
  async reserve(account: Address, bytes: number, now = Math.floor(Date.now() / 1000)): Promise<QuotaReservation> {
    const data = await this.#load();
    const key = account.toLowerCase();
    const recent = (data.accounts[key] ?? []).filter(([at]) => at > now - QUOTA_WINDOW_SECONDS);
    const pending = this.#pending.get(key) ?? 0;
    const used = recent.reduce((sum, [, b]) => sum + b, 0) + pending;
    if (used + bytes > this.limitBytes) throw new QuotaExceededError(account, used, this.limitBytes, bytes);
    this.#pending.set(key, pending + bytes);
    let settled = false;
    const release = (): void => {
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
        const fresh = (data.accounts[key] ?? []).filter(([at]) => at > now - QUOTA_WINDOW_SECONDS);
        fresh.push([now, bytes]);
        data.accounts[key] = fresh;
        await this.#save(data);
      },
      release,
    };
  }

  /** Writes the file (serialised; a temporary file renamed over it). */
  #save(data: QuotaFile): Promise<void> {
    const write = async (): Promise<void> => {
      await mkdir(path.dirname(this.file), { recursive: true });
      const temporary = `${this.file}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(data), { mode: 0o600 });
      await rename(temporary, this.file);
    };
    this.#writes = this.#writes.then(write, write);
    return this.#writes;
  }
}
