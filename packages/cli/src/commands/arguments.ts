/**
 * Parsing and checking what the user typed (addresses, record ids, categories, scopes, expiries,
 * whole numbers), shared by the command modules. Each parser throws a {@link ConfigurationError}
 * that says what is wrong and what to type instead, before any transaction is sent.
 *
 * @module
 */
import type { Command } from "commander";
import { isAddress, type Address, type Hex } from "viem";
import { parseCategory, type RecordCategory } from "@meridian/sdk";
import type { GrantScope } from "@meridian/sdk/chain";
import { ConfigurationError } from "../env.ts";

/** The options {@link scopeOptions} adds: `--record ID`, `--category NAME`, `--all`. */
export interface ScopeOptions {
  record?: string;
  category?: string;
  all?: boolean;
}

/**
 * `value` as a whole number from `min` up.
 *
 * @param option - The option's name, for messages (e.g. `--max-patients`).
 * @throws {ConfigurationError} when `value` is not a whole number of at most 15 digits, or is below `min`.
 */
export function wholeNumber(value: string, option: string, min = 1): number {
  if (!/^\d{1,15}$/.test(value.trim()) || Number(value) < min) {
    throw new ConfigurationError(`${option} must be a whole number from ${min} up.`, {
      details: JSON.stringify(value),
      hint: `Pass ${option} ${Math.max(min, 1) * 5}, for example.`,
    });
  }
  return Number(value);
}

/**
 * `value` as an Ethereum address (any letter case).
 *
 * @param what - What the address names, for messages (e.g. `provider`, `--council`).
 * @throws {ConfigurationError} when `value` is not a 0x-prefixed 40-hex-digit address.
 */
export function address(value: string, what: string): Address {
  if (!isAddress(value)) {
    throw new ConfigurationError(`${what} is not an Ethereum address.`, {
      details: value,
      hint: "Use a 0x-prefixed 40-hex-digit address.",
    });
  }
  return value;
}

/**
 * `value` as a record id (32 bytes).
 *
 * @throws {ConfigurationError} when `value` is not 0x followed by 64 hex digits.
 */
export function recordId(value: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw new ConfigurationError("A record id is 0x followed by 64 hex digits.", {
      details: value,
      hint: "List ids with `meridian list`.",
    });
  }
  return value as Hex;
}

/**
 * `value` as a record category (`lab`, `vital-signs`, …).
 *
 * @throws {ConfigurationError} when `value` names no category.
 */
export function category(value: string): RecordCategory {
  const c = parseCategory(value);
  if (c === undefined) {
    throw new ConfigurationError(`Unknown category "${value}".`, {
      hint: "Use general, lab, vital-signs, cardiac, imaging, document, medication, immunization or procedure.",
    });
  }
  return c;
}

/** Adds `--record <id>`, `--category <name>` and `--all` to `cmd`; read them with {@link scopeOf}. */
export function scopeOptions(cmd: Command): Command {
  return cmd
    .option("--record <id>", "one record")
    .option("--category <name>", "one category")
    .option("--all", "all records");
}

/**
 * `--record ID`, `--category NAME` or `--all` as a grant scope.
 *
 * @throws {ConfigurationError} unless exactly one of them is given, or when the id or category is malformed.
 */
export function scopeOf(o: ScopeOptions): GrantScope {
  const given = [o.record, o.category, o.all].filter((x) => x !== undefined && x !== false).length;
  if (given !== 1) throw new ConfigurationError("Give exactly one of --record ID, --category NAME or --all.");
  if (o.record) return { kind: "record", recordId: recordId(o.record) };
  if (o.category) return { kind: "category", category: category(o.category) };
  return { kind: "all" };
}

/** Seconds of a duration `30s`, `30m`, `12h` or `7d`; `undefined` when `value` is not one. */
function durationSeconds(value: string): number | undefined {
  const m = /^(\d{1,9})([smhd])$/.exec(value.trim());
  return m ? Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "s" | "m" | "h" | "d"] : undefined;
}

/** What `--expires` accepts, for hints. */
const EXPIRY_FORMS = "Give a duration such as 30m, 12h or 7d, or a future date such as 2030-01-31";

/**
 * `--expires` as a Unix time in seconds (0: no expiry): a duration from now (`30m`, `12h`, `7d`)
 * or a date. Refuses a zero duration and a date that has passed, before any transaction (the
 * contract would revert with `RecordRegistryInvalidExpiry`).
 *
 * @throws {ConfigurationError} when `--expires` is neither a duration nor a date, is 0 or is in the past.
 */
export function expiry(o: { expires?: string }): number {
  if (o.expires === undefined) return 0;
  const fix = { hint: `${EXPIRY_FORMS}; leave out --expires for no expiry.` };
  const now = Math.floor(Date.now() / 1000);
  const seconds = durationSeconds(o.expires);
  if (seconds !== undefined) {
    if (seconds <= 0) {
      throw new ConfigurationError(
        `--expires ${o.expires} would end the grant at once; a duration must be longer than 0.`,
        fix,
      );
    }
    return now + seconds;
  }
  const t = Date.parse(o.expires);
  if (Number.isNaN(t)) {
    throw new ConfigurationError(`--expires "${o.expires}" is neither a duration (30m, 12h, 7d) nor a date.`, fix);
  }
  if (Math.floor(t / 1000) <= now) throw new ConfigurationError(`--expires ${o.expires} is in the past.`, fix);
  return Math.floor(t / 1000);
}
