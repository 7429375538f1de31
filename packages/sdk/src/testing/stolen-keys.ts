/**
 * Test kit: the attacker's side of key revocation. A grantee whose access ended still holds
 * every key it was ever handed: the payloads of its `GrantIssued` events (public logs) and of
 * the consent codes it was given, each unwrapped (HPKE, RFC 9180) with the keys its own wallet
 * derives. These helpers take that material exactly as the attacker would, then try it,
 * regressed to every older key epoch (`keyring.ts`), on a record's envelope fetched straight from
 * the store by CID: never through `MeridianClient.readRecord`, which already refuses.
 *
 * @module
 */
import { hexToBytes, type Address, type Hex } from "viem";
import { CID } from "multiformats/cid";
import type { MeridianClient } from "../client.ts";
import { encodeScope, getRecordAnchor, listGrantEvents } from "../chain/actions.ts";
import { decodeConsentCode } from "../chain/consent-codes.ts";
import type { MeridianContext } from "../chain/types.ts";
import type { RecordCategory } from "../categories.ts";
import { unwrapKey, wrapInfo } from "../crypto/hpke.ts";
import { openRecord } from "../crypto/envelope.ts";
import { grantKek } from "../keyring.ts";
import type { BlobStore } from "../storage/types.ts";

/**
 * A key the attacker holds, at the key epoch it was issued: a category key (the category's KEK
 * and, after key generation 0, its generation link) or the all-records bundle of nine.
 */
export type StolenKey =
  | { scope: "category"; category: RecordCategory; keyEpoch: number; payload: Uint8Array }
  | { scope: "all"; keyEpoch: number; payload: Uint8Array };

/**
 * Every category and all-records key `attacker` was granted by `patient`, from its own
 * `GrantIssued` events, unwrapped with its wallet-derived keys (key version 1). One-record
 * grants are skipped (they carry a single record's DEK, not a KEK).
 */
export async function stealGrantKeys(attacker: MeridianClient, patient: Address): Promise<StolenKey[]> {
  const { deployment } = attacker.ctx;
  const keys = await attacker.keys(1);
  const out: StolenKey[] = [];
  for (const g of await listGrantEvents(attacker.ctx, { patient, grantee: attacker.address })) {
    if (g.scope.kind === "record") continue;
    const info = wrapInfo({
      chainId: deployment.chainId,
      contract: deployment.recordRegistry,
      patient: g.patient,
      grantee: g.grantee,
      scope: g.scope.kind,
      target: encodeScope(g.scope).target,
      keyEpoch: g.keyEpoch,
    });
    const payload = await unwrapKey({ recipient: keys, wrapped: hexToBytes(g.wrappedKey), info });
    out.push(
      g.scope.kind === "all"
        ? { scope: "all", keyEpoch: g.keyEpoch, payload }
        : { scope: "category", category: g.scope.category, keyEpoch: g.keyEpoch, payload },
    );
  }
  return out;
}

/**
 * The key a consent code's text hands to `attacker` (its grantee), unwrapped with the attacker's
 * wallet-derived keys (key version 1), whether or not the code was ever redeemed.
 *
 * @throws {Error} when the code is for one record (it carries a DEK, not a KEK).
 */
export async function stealConsentCodeKey(attacker: MeridianClient, codeText: string): Promise<StolenKey> {
  const { code, wrappedKey } = decodeConsentCode(codeText);
  if (code.scope.kind === "record") throw new Error("a one-record consent code carries a DEK, not a KEK");
  const info = wrapInfo({
    chainId: code.chainId,
    contract: code.registry,
    patient: code.patient,
    grantee: code.grantee,
    scope: code.scope.kind,
    target: encodeScope(code.scope).target,
    keyEpoch: code.keyEpoch,
  });
  const payload = await unwrapKey({ recipient: await attacker.keys(1), wrapped: hexToBytes(wrappedKey), info });
  return code.scope.kind === "all"
    ? { scope: "all", keyEpoch: code.keyEpoch, payload }
    : { scope: "category", category: code.scope.category, keyEpoch: code.keyEpoch, payload };
}

/** Parameters of {@link openWithStolenKeys}. */
export interface OpenWithStolenKeysParameters {
  /** Reads the record's public anchor (CID, category, key epoch). */
  chain: MeridianContext;
  /** Where the envelope is fetched from, by CID. */
  store: BlobStore;
  stolen: readonly StolenKey[];
  recordId: Hex;
}

/**
 * Tries every stolen key, regressed to every epoch from its own down to 0 (regression never
 * reaches a newer one), on record `recordId`'s envelope, claiming both the regressed epoch and
 * the anchor's. Returns the plaintext (UTF-8) if any key opens it, else `undefined`.
 */
export async function openWithStolenKeys(p: OpenWithStolenKeysParameters): Promise<string | undefined> {
  const anchor = await getRecordAnchor(p.chain, p.recordId);
  const envelope = await p.store.get(CID.decode(hexToBytes(anchor.cid)).toString());
  const { chainId, recordRegistry: contract } = p.chain.deployment;
  for (const s of p.stolen) {
    if (s.scope === "category" && s.category !== anchor.category) continue;
    for (let epoch = s.keyEpoch; epoch >= 0; epoch--) {
      const payload = s.payload.slice();
      const kek = grantKek({ scope: s.scope, payload, grantEpoch: s.keyEpoch, category: anchor.category, epoch });
      for (const keyEpoch of new Set([epoch, anchor.keyEpoch])) {
        const context = { chainId, contract, patient: anchor.patient, category: anchor.category, keyEpoch };
        try {
          return new TextDecoder().decode(await openRecord({ envelope, key: { kek }, context }));
        } catch {
          // this key does not open it: try the next
        }
      }
    }
  }
  return undefined;
}
