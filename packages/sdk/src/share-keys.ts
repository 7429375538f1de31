/**
 * Sealing a patient's keys for someone else: the key a grant, approval, consent code or
 * emergency release carries ({@link scopeKey}, sealed by {@link wrapScopeKey} with HPKE, RFC 9180,
 * to an active provider's published key) and the KEK bundle a guardian appointment carries
 * ({@link wrapGuardianBundle}). The keys come from the account's own key ring or, acting as a
 * guardian, from its appointment's bundle (`kekSource` in `record-keys.ts`).
 *
 * @module
 */
import { bytesToHex, isAddressEqual, type Address, type Hex } from "viem";
import { encodeCategoryKey } from "./keyring.ts";
import { wrapInfo, wrapKey } from "./crypto/hpke.ts";
import { unwrapDek } from "./crypto/envelope.ts";
import { getProvider, getRecordAnchor } from "./chain/actions.ts";
import { encodeScope } from "./chain/grants.ts";
import { ProviderStatus, type GrantScope } from "./chain/types.ts";
import type { MeridianAccount } from "./account.ts";
import { fetchRecordEnvelope } from "./actions/envelopes.ts";
import { AccessDeniedError, NotRegisteredError } from "./actions/errors.ts";
import { guardianWrapInfo, kekSource } from "./record-keys.ts";

/**
 * The key a grant over `scope` of `patient` carries at key epoch `keyEpoch`: a category key, a
 * KEK bundle, or a record's DEK (unwrapped from its envelope). The caller zeroes it.
 *
 * @throws {AccessDeniedError} when the account is neither the patient nor its guardian, or the
 *   record is another patient's.
 */
export async function scopeKey(
  client: MeridianAccount,
  patient: Address,
  scope: GrantScope,
  keyEpoch: number,
): Promise<Uint8Array> {
  const source = await kekSource(client, patient);
  switch (scope.kind) {
    case "category": {
      const key = await source.categoryKey(scope.category, keyEpoch);
      const payload = encodeCategoryKey(key);
      key.kek.fill(0);
      key.link?.fill(0);
      return payload;
    }
    case "all":
      return source.kekBundle(keyEpoch);
    case "record": {
      const anchor = await getRecordAnchor(client.ctx, scope.recordId);
      if (!isAddressEqual(anchor.patient, patient)) {
        throw new AccessDeniedError("Only the record's patient (or its guardian) can share it.", {
          details: scope.recordId,
        });
      }
      const { kek, link } = await source.categoryKey(anchor.category, anchor.keyEpoch);
      link?.fill(0);
      try {
        return await unwrapDek(await fetchRecordEnvelope(client, { anchor }), kek);
      } finally {
        kek.fill(0);
      }
    }
  }
}

/**
 * An active provider's published X25519 encryption key (32 bytes, hex).
 *
 * @throws {AccessDeniedError} when `grantee` is not an active provider.
 * @throws {NotRegisteredError} when it has published no key.
 */
export async function providerEncryptionKey(client: MeridianAccount, grantee: Address): Promise<Hex> {
  const provider = await getProvider(client.ctx, grantee);
  if (provider.status !== ProviderStatus.Active) {
    throw new AccessDeniedError("The grantee is not an active provider.", {
      details: grantee,
      hint: "Check the address; the regulator admits providers.",
    });
  }
  if (BigInt(provider.encryptionKey) === 0n) {
    throw new NotRegisteredError("The provider has not published an encryption key yet.", {
      details: grantee,
      hint: "Ask the provider to run `meridian provider publish-key`.",
    });
  }
  return provider.encryptionKey;
}

/** Parameters of {@link wrapScopeKey}. */
export interface WrapScopeKeyParameters {
  /** The provider the key is sealed to (must be active, with a published key). */
  grantee: Address;
  /** What the grant covers. */
  scope: GrantScope;
  /** The patient's key epoch the key is of (and the wrap is bound to). */
  keyEpoch: number;
  /** Whose key it is (default: the account itself; else the account acts as its guardian). */
  patient?: Address | undefined;
}

/**
 * The key of `scope` ({@link scopeKey}) sealed with HPKE (RFC 9180) to `grantee`'s published key,
 * bound by `info` to the chain, `RecordRegistry`, patient, grantee, scope and key epoch: the
 * `wrappedKey` of a grant, an approval, a consent code or an emergency release. The unwrapped key
 * is zeroed after sealing.
 *
 * @throws {AccessDeniedError} / {@link NotRegisteredError} when the grantee cannot receive keys.
 */
export async function wrapScopeKey(client: MeridianAccount, p: WrapScopeKeyParameters): Promise<Hex> {
  const patient = p.patient ?? client.address;
  const recipientPublicKey = await providerEncryptionKey(client, p.grantee);
  const { target } = encodeScope(p.scope);
  const { chainId, recordRegistry } = client.ctx.deployment;
  const info = wrapInfo({
    chainId,
    contract: recordRegistry,
    patient,
    grantee: p.grantee,
    scope: p.scope.kind,
    target,
    keyEpoch: p.keyEpoch,
  });
  const key = await scopeKey(client, patient, p.scope, p.keyEpoch);
  try {
    return bytesToHex(await wrapKey({ recipientPublicKey, key, info }));
  } finally {
    key.fill(0); // a DEK or a key payload of keyring.ts, ours to clear
  }
}

/**
 * The patient's KEK bundle of `keyEpoch` sealed with HPKE to `guardian`'s registered patient key
 * (`encryptionKey`, 32 bytes hex): the `wrappedKey` of a guardian appointment. The bundle is
 * zeroed after sealing.
 */
export async function wrapGuardianBundle(
  client: MeridianAccount,
  p: { guardian: Address; encryptionKey: Hex; keyEpoch: number },
): Promise<Hex> {
  const info = guardianWrapInfo(client.ctx.deployment, {
    patient: client.address,
    guardian: p.guardian,
    keyEpoch: p.keyEpoch,
  });
  const bundle = await (await client.keyring()).kekBundle(p.keyEpoch);
  try {
    return bytesToHex(await wrapKey({ recipientPublicKey: p.encryptionKey, key: bundle, info }));
  } finally {
    bundle.fill(0);
  }
}
