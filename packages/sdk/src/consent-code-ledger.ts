/**
 * The consent-code ledger: the consent codes a patient's client made, kept by that client.
 *
 * A consent code (`chain/consent.ts`) carries the KEK (category scope) or KEK bundle (all-records
 * scope) of the patient's key epoch, HPKE-wrapped to its grantee, *before* any grant exists on
 * chain. If it is never redeemed (its deadline passes, or the patient cancels it), the grantee
 * holds that epoch's keys with no access and no trace on chain. So the patient's client records
 * every such code here (grantee, nonce, scope, key epoch, deadline; never key material), and the
 * write check (`chain/key-epoch.ts`) counts an entry of the current epoch as a keyholder: live
 * while the code may still be redeemed, retired once its deadline passed unredeemed or it was
 * cancelled (docs/keys.md, section 4). A code made on another device is not in this client's
 * ledger; `meridian rekey --new-epoch` covers that case.
 *
 * One-record codes carry a record's DEK, not an epoch key: they are not recorded.
 *
 * @module
 */
import { getAddress, isAddressEqual, type Address } from "viem";
import type { GrantScope } from "./chain/types.ts";

/** A consent code this client made, as recorded in a {@link ConsentCodeLedger}. No key material. */
export interface ConsentCodeLedgerEntry {
  chainId: number;
  /** The `RecordRegistry` the code is for. */
  registry: Address;
  patient: Address;
  grantee: Address;
  /** The code's random 256-bit nonce (`consentNonceUsed(patient, nonce)` on chain). */
  nonce: bigint;
  /** A category or all-records scope (one-record codes hold no epoch key and are not recorded). */
  scope: Exclude<GrantScope, { kind: "record" }>;
  /** The key epoch whose KEK (or KEK bundle) the code carries. */
  keyEpoch: number;
  /** Unix seconds after which the code can no longer be redeemed. */
  deadline: number;
}

/**
 * Where a client keeps its {@link ConsentCodeLedgerEntry} list. Implementations: in memory
 * ({@link createMemoryConsentCodeLedger}, the default), a JSON text store
 * ({@link createTextConsentCodeLedger}: the CLI's `<data-dir>/consent-codes.json`, mode 0600,
 * and the web app's `localStorage`). Methods may throw storage errors; `add` must not return
 * before the entry is kept.
 */
export interface ConsentCodeLedger {
  /** Every entry kept (any chain, registry or patient; callers filter). */
  list(): Promise<ConsentCodeLedgerEntry[]>;
  /** Keeps `entry` (replacing one with the same chain, registry, patient and nonce). */
  add(entry: ConsentCodeLedgerEntry): Promise<void>;
  /** Drops every entry for which `drop` returns true. */
  prune(drop: (entry: ConsentCodeLedgerEntry) => boolean): Promise<void>;
}

const sameCode = (a: ConsentCodeLedgerEntry, b: ConsentCodeLedgerEntry) =>
  a.chainId === b.chainId &&
  a.nonce === b.nonce &&
  isAddressEqual(a.registry, b.registry) &&
  isAddressEqual(a.patient, b.patient);

/** A {@link ConsentCodeLedger} in memory: lost when the process or page ends. */
export function createMemoryConsentCodeLedger(): ConsentCodeLedger {
  let entries: ConsentCodeLedgerEntry[] = [];
  return {
    list: () => Promise.resolve(entries.map((e) => ({ ...e }))),
    add: (entry) => {
      entries = [...entries.filter((e) => !sameCode(e, entry)), { ...entry }];
      return Promise.resolve();
    },
    prune: (drop) => {
      entries = entries.filter((e) => !drop(e));
      return Promise.resolve();
    },
  };
}

/** Where a {@link createTextConsentCodeLedger} keeps its JSON text. */
export interface TextStorage {
  /** The text last written, or `undefined` when none. */
  read(): Promise<string | undefined> | string | undefined;
  write(text: string): Promise<void> | void;
}

/** Serializes ledger entries as JSON (nonces as decimal strings). */
export function serializeConsentCodeLedger(entries: readonly ConsentCodeLedgerEntry[]): string {
  return (
    JSON.stringify({ version: 1, codes: entries.map((e) => ({ ...e, nonce: e.nonce.toString() })) }, null, 2) + "\n"
  );
}

/**
 * Reads what {@link serializeConsentCodeLedger} wrote; entries that are not well formed are
 * dropped (a damaged file must not stop writes).
 */
export function parseConsentCodeLedger(text: string | undefined): ConsentCodeLedgerEntry[] {
  if (!text) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return [];
  }
  const codes = (raw as { codes?: unknown }).codes;
  if (!Array.isArray(codes)) return [];
  const out: ConsentCodeLedgerEntry[] = [];
  for (const c of codes as Record<string, unknown>[]) {
    try {
      const scope = c.scope as { kind?: unknown; category?: unknown };
      const parsedScope: ConsentCodeLedgerEntry["scope"] | undefined =
        scope?.kind === "all"
          ? { kind: "all" }
          : scope?.kind === "category" && Number.isInteger(scope.category)
            ? { kind: "category", category: scope.category as never }
            : undefined;
      if (!parsedScope || typeof c.nonce !== "string" || !/^\d{1,78}$/.test(c.nonce)) continue;
      if (![c.chainId, c.keyEpoch, c.deadline].every(Number.isSafeInteger)) continue;
      out.push({
        chainId: c.chainId as number,
        registry: getAddress(c.registry as string),
        patient: getAddress(c.patient as string),
        grantee: getAddress(c.grantee as string),
        nonce: BigInt(c.nonce),
        scope: parsedScope,
        keyEpoch: c.keyEpoch as number,
        deadline: c.deadline as number,
      });
    } catch {
      // not an address: skip the entry
    }
  }
  return out;
}

/**
 * A {@link ConsentCodeLedger} kept as JSON text ({@link serializeConsentCodeLedger}) in `storage`:
 * every change reads the text, changes it and writes it back. Two processes changing it at the
 * same instant may lose one's change.
 */
export function createTextConsentCodeLedger(storage: TextStorage): ConsentCodeLedger {
  const load = async () => parseConsentCodeLedger(await storage.read());
  return {
    list: load,
    add: async (entry) => {
      const entries = (await load()).filter((e) => !sameCode(e, entry));
      await storage.write(serializeConsentCodeLedger([...entries, entry]));
    },
    prune: async (drop) => {
      const entries = await load();
      const kept = entries.filter((e) => !drop(e));
      if (kept.length !== entries.length) await storage.write(serializeConsentCodeLedger(kept));
    },
  };
}
