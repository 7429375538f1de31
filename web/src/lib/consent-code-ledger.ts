import type { Address } from "viem";
import { createMemoryConsentCodeLedger, createTextConsentCodeLedger, type ConsentCodeLedger } from "@meridian/sdk";

/**
 * The `localStorage` key of a patient's consent-code ledger in this browser, one per chain,
 * `RecordRegistry` and patient address (lower case).
 */
export function consentCodeLedgerKey(p: { chainId: number; registry: Address; patient: Address }): string {
  return `meridian:consent-codes:${p.chainId}:${p.registry.toLowerCase()}:${p.patient.toLowerCase()}`;
}

/**
 * The patient's consent-code ledger in this browser's `localStorage` (grantee, nonce, scope, key
 * epoch and deadline of each code made here; no key material), so the write check and the
 * "Keys to update" notice see a code that was never redeemed. Codes made in another browser are
 * not in it (docs/consent.md). Falls back to memory when `localStorage` is unavailable.
 */
export function browserConsentCodeLedger(p: {
  chainId: number;
  registry: Address;
  patient: Address;
}): ConsentCodeLedger {
  let storage: Storage;
  try {
    storage = window.localStorage;
  } catch {
    return createMemoryConsentCodeLedger();
  }
  const key = consentCodeLedgerKey(p);
  return createTextConsentCodeLedger({
    read: () => storage.getItem(key) ?? undefined,
    write: (text) => storage.setItem(key, text),
  });
}
