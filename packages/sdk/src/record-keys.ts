/**
 * Which key opens this record, in one place. A record's envelope opens with its DEK, or with the
 * KEK of its patient, category and key epoch, which unwraps the DEK from the header
 * (`crypto/envelope.ts`). An account holds one of those keys in exactly one of these ways,
 * tried in this order by {@link resolveRecordKey}:
 *
 * 1. **patient**: its own key ring derives the KEK (`keyring.ts`).
 * 2. **grant** (the grantee's walk): the newest `GrantIssued` to it that covers the record: a
 *    one-record grant carries the DEK; a category or all-records grant issued at a key epoch at
 *    or after the record's carries a KEK (or KEK bundle), regressed to the record's epoch (key
 *    regression). Unwrapped (HPKE, RFC 9180) with the grantee key version current when the grant
 *    was issued.
 * 3. **guardian**: the KEK bundle of its appointment, regressed to the record's epoch.
 * 4. **emergency**: the DEK the patient (or a guardian) released to it for its open emergency access.
 * 5. **validation**: the DEK the record's author shared with it as a seated validator
 *    (`PeerValidation`), bound to that contract.
 *
 * The same walks serve the write and share paths: {@link writeKek} (the KEK a writer seals new
 * records with), {@link authorDataKey} (the DEK an author re-shares with validators) and
 * {@link kekSource} (the patient's or a guardian's KEKs, from which `share-keys.ts` seals a
 * scope's key to a grantee or guardian). Every unwrapped intermediate is zeroed after use; keys
 * returned are the caller's to zero.
 *
 * @module
 */
import { hexToBytes, isAddressEqual, toHex, type Address, type Hex } from "viem";
import { ALL_CATEGORIES, categoryName, type RecordCategory } from "./categories.ts";
import {
  categoryKeyFromBundle,
  encodeKekBundle,
  grantKek,
  regressCategoryKey,
  type CategoryKey,
  type KeyEpochError,
} from "./keyring.ts";
import { unwrapKey, wrapInfo } from "./crypto/hpke.ts";
import { unwrapDek, type RecordKey } from "./crypto/envelope.ts";
import type { DecryptionError, KeyUnwrapError } from "./crypto/errors.ts";
import type { RecordAnchor } from "./chain/actions.ts";
import { encodeScope, listGrantEvents, type GrantEvent } from "./chain/grants.ts";
import { listEmergencyKeyReleases } from "./chain/emergency-access.ts";
import { listGuardianships, type Guardianship } from "./chain/guardians.ts";
import { isValidatorOf, listValidationKeyShares } from "./chain/peer-validation.ts";
import type { MeridianDeployment } from "./chain/types.ts";
import type { MeridianAccount } from "./account.ts";
import { fetchRecordEnvelope } from "./actions/envelopes.ts";
import { AccessDeniedError, MissingKeyError, type ChainErrorType } from "./actions/errors.ts";

/** How an account holds the key of a record: which of the module's five paths found it. */
export type RecordKeyPath =
  "patient" | "record-grant" | "category-grant" | "all-grant" | "guardian" | "emergency" | "validation";

/** Parameters of {@link resolveRecordKey}. */
export interface ResolveRecordKeyParameters {
  /** The record's anchor (`getRecordAnchor`). */
  anchor: RecordAnchor;
}

/** A key that opens the record (`{ kek }` or `{ dek }`, 32 bytes each, the caller's to zero) and its path. */
export interface ResolveRecordKeyReturnType {
  key: RecordKey;
  via: RecordKeyPath;
}

/** Errors {@link resolveRecordKey} throws. */
export type ResolveRecordKeyErrorType =
  MissingKeyError | KeyEpochError | KeyUnwrapError | DecryptionError | ChainErrorType;

/**
 * The key that opens record `anchor` for `client`'s account, by the first path that holds one
 * (module docs: patient, grant, guardian, emergency release, validator share). It checks key
 * possession only; whether the chain lets the account read now (`canRead`) is the caller's check.
 *
 * @throws {MissingKeyError} when no path yields a key (e.g. the grant that covered it was
 *   revoked, or a validator's author has not shared it yet).
 * @throws {KeyEpochError} when a guardian key or grant is older than the record.
 * @example
 * ```ts
 * const { key, via } = await resolveRecordKey(client, { anchor });
 * const plaintext = await openRecord({ envelope, key, context }); // via: "category-grant"
 * ```
 */
export async function resolveRecordKey(
  client: MeridianAccount,
  { anchor }: ResolveRecordKeyParameters,
): Promise<ResolveRecordKeyReturnType> {
  const me = client.address;
  if (isAddressEqual(anchor.patient, me)) {
    return {
      key: { kek: await (await client.keyring()).categoryKek(anchor.category, anchor.keyEpoch) },
      via: "patient",
    };
  }
  // the usual path first (a grantee), then the rarer ones: guardian, emergency access, validator
  const granted = await grantedRecordKey(client, anchor);
  if (granted) return granted;
  const [appointment] = await listGuardianships(client.ctx, { patient: anchor.patient, guardian: me });
  if (appointment) {
    const { kek, link } = await guardianKekSource(client, appointment).categoryKey(anchor.category, anchor.keyEpoch);
    link?.fill(0);
    return { key: { kek }, via: "guardian" };
  }
  const releases = await listEmergencyKeyReleases(client.ctx, { provider: me, patient: anchor.patient });
  const release = releases.find((r) => r.recordId.toLowerCase() === anchor.recordId.toLowerCase());
  if (release) {
    const info = recordWrapInfo(client.ctx.deployment, { patient: anchor.patient, grantee: me, anchor });
    const recipient = await client.keysAtBlock(release.blockNumber);
    return {
      key: { dek: await unwrapKey({ recipient, wrapped: hexToBytes(release.wrappedKey), info }) },
      via: "emergency",
    };
  }
  // a validator chosen for the record reads with the key its author shared (peer validation)
  if (
    BigInt(client.ctx.deployment.peerValidation ?? 0) !== 0n &&
    (await isValidatorOf(client.ctx, anchor.recordId, me))
  ) {
    return { key: { dek: await validatorDataKey(client, anchor) }, via: "validation" };
  }
  throw new MissingKeyError("You may read this record, but no key shared with you opens it.", {
    hint: "Ask the patient to re-issue your grant.",
  });
}

/**
 * The grantee's walk: the key of the newest grant to `client`'s account that covers `anchor`
 * (a one-record grant's DEK, or a category/all grant's KEK regressed to the record's epoch),
 * or `undefined` when none does.
 */
async function grantedRecordKey(
  client: MeridianAccount,
  anchor: RecordAnchor,
): Promise<ResolveRecordKeyReturnType | undefined> {
  const grants = (await listGrantEvents(client.ctx, { patient: anchor.patient, grantee: client.address })).reverse();
  for (const g of grants) {
    if (g.scope.kind === "record" && g.scope.recordId.toLowerCase() === anchor.recordId.toLowerCase()) {
      return { key: { dek: await unwrapGrantKey(client, g) }, via: "record-grant" };
    }
    if (g.keyEpoch < anchor.keyEpoch) continue;
    if ((g.scope.kind === "category" && g.scope.category === anchor.category) || g.scope.kind === "all") {
      const kek = await kekFromGrant(client, g, anchor.category, anchor.keyEpoch);
      return { key: { kek }, via: g.scope.kind === "all" ? "all-grant" : "category-grant" };
    }
  }
  return undefined;
}

/**
 * The DEK of record `anchor` as its author (a provider) holds it: through the patient's grant of
 * that record, of its category or of all records (the write grant it was anchored under, or a
 * later one), unwrapped from the envelope's header when the grant carries a KEK. For re-sharing
 * one record (peer validation).
 *
 * @throws {MissingKeyError} when no grant of this account opens it.
 */
export async function authorDataKey(client: MeridianAccount, anchor: RecordAnchor): Promise<Uint8Array> {
  const granted = await grantedRecordKey(client, anchor);
  if (!granted) {
    throw new MissingKeyError("You hold no key of this record to share with its validators.", {
      details: `record ${anchor.recordId}`,
      hint: "The patient's grant that covered it was revoked: ask the patient to grant you the record again.",
    });
  }
  if ("dek" in granted.key) return granted.key.dek;
  const { kek } = granted.key;
  try {
    return await unwrapDek(await fetchRecordEnvelope(client, { anchor }), kek);
  } finally {
    kek.fill(0);
  }
}

/**
 * HPKE `info` of a record key shared for validation: `wrapInfo` with `contract` = the
 * deployment's `PeerValidation`, `grantee` = the validator, scope `"record"`, target = the
 * record id and the record's key epoch. Such a wrap opens nothing else.
 */
export function validationWrapInfo(
  deployment: Pick<MeridianDeployment, "chainId" | "peerValidation">,
  p: { patient: Address; validator: Address; recordId: Hex; keyEpoch: number },
): Uint8Array {
  return wrapInfo({
    chainId: deployment.chainId,
    contract: deployment.peerValidation,
    patient: p.patient,
    grantee: p.validator,
    scope: "record",
    target: p.recordId,
    keyEpoch: p.keyEpoch,
  });
}

/**
 * The DEK of record `anchor` its author shared with `client`'s account as a validator (the newest
 * share), unwrapped with the provider key version current at the share's block. Does not check
 * the seat: the caller does (`isValidatorOf`).
 *
 * @throws {MissingKeyError} when the author has not shared the key with this account yet.
 */
export async function validatorDataKey(client: MeridianAccount, anchor: RecordAnchor): Promise<Uint8Array> {
  const me = client.address;
  const [share] = (await listValidationKeyShares(client.ctx, { recordId: anchor.recordId, validator: me })).reverse();
  if (!share) {
    throw new MissingKeyError("The author has not shared this record's key with you yet.", {
      details: `record ${anchor.recordId}`,
      hint: "Ask the author to run `meridian validation share-keys`.",
    });
  }
  const info = validationWrapInfo(client.ctx.deployment, {
    patient: anchor.patient,
    validator: me,
    recordId: anchor.recordId,
    keyEpoch: anchor.keyEpoch,
  });
  return unwrapKey({
    recipient: await client.keysAtBlock(share.blockNumber),
    wrapped: hexToBytes(share.wrappedKey),
    info,
  });
}

/**
 * The KEK `client`'s account seals new `category` records of `patient` with at `keyEpoch`: its
 * own, as the patient; else the one its newest write grant of that exact epoch carries.
 *
 * @throws {MissingKeyError} when it holds no write grant of the current epoch (revoked since).
 */
export async function writeKek(
  client: MeridianAccount,
  patient: Address,
  category: RecordCategory,
  keyEpoch: number,
): Promise<Uint8Array> {
  if (isAddressEqual(patient, client.address)) return (await client.keyring()).categoryKek(category, keyEpoch);
  const grants = (await listGrantEvents(client.ctx, { patient, grantee: client.address })).reverse();
  for (const g of grants) {
    if (!g.write || g.keyEpoch !== keyEpoch) continue;
    if ((g.scope.kind === "category" && g.scope.category === category) || g.scope.kind === "all") {
      return kekFromGrant(client, g, category, keyEpoch);
    }
  }
  throw new MissingKeyError(
    `You hold no ${categoryName(category)} key of the patient's current key epoch (${keyEpoch}).`,
    {
      hint: "The patient revoked a grant since yours was issued: ask them to re-issue your write grant.",
    },
  );
}

/** Unwraps the key a grant carries (DEK, category key or KEK bundle) with the grantee key version it was wrapped to. */
export async function unwrapGrantKey(client: MeridianAccount, g: GrantEvent): Promise<Uint8Array> {
  const keys = await client.keysAtBlock(g.blockNumber);
  const { target } = encodeScope(g.scope);
  const { chainId, recordRegistry } = client.ctx.deployment;
  const info = wrapInfo({
    chainId,
    contract: recordRegistry,
    patient: g.patient,
    grantee: g.grantee,
    scope: g.scope.kind,
    target,
    keyEpoch: g.keyEpoch,
  });
  return unwrapKey({ recipient: keys, wrapped: hexToBytes(g.wrappedKey), info });
}

/**
 * The KEK of (`category`, `epoch`) from a category or all-records grant `g` issued at an epoch
 * >= `epoch` (its payload: `keyring.ts`); the unwrapped payload is zeroed after use.
 */
async function kekFromGrant(
  client: MeridianAccount,
  g: GrantEvent,
  category: RecordCategory,
  epoch: number,
): Promise<Uint8Array> {
  if (g.scope.kind === "record") throw new MissingKeyError("A one-record grant carries no KEK.");
  const payload = await unwrapGrantKey(client, g);
  try {
    return grantKek({ scope: g.scope.kind, payload, grantEpoch: g.keyEpoch, category, epoch });
  } finally {
    payload.fill(0);
  }
}

/** HPKE `info` of a one-record key wrapped by `RecordRegistry` (a record grant or an emergency release). */
function recordWrapInfo(
  deployment: MeridianDeployment,
  p: { patient: Address; grantee: Address; anchor: RecordAnchor },
): Uint8Array {
  const { chainId, recordRegistry } = deployment;
  return wrapInfo({
    chainId,
    contract: recordRegistry,
    patient: p.patient,
    grantee: p.grantee,
    scope: "record",
    target: p.anchor.recordId,
    keyEpoch: p.anchor.keyEpoch,
  });
}

// ------------------------------------------------------------ KEK sources

/** Where a patient's KEKs come from: the patient's own key ring, or a guardian's KEK bundle. */
export interface KekSource {
  /** The category key (KEK and generation link) of (`category`, `epoch`); the caller zeroes it. */
  categoryKey(category: RecordCategory, epoch: number): Promise<CategoryKey>;
  /** The nine category keys of `epoch` as a KEK bundle (`encodeKekBundle`); the caller zeroes it. */
  kekBundle(epoch: number): Promise<Uint8Array>;
}

/**
 * The KEKs of `patient` that `client`'s account holds: its own key ring, or (as a guardian) the
 * KEK bundle of its latest appointment, which opens epochs up to the one it was wrapped at.
 *
 * @throws {AccessDeniedError} when the account is neither the patient nor its guardian.
 */
export async function kekSource(client: MeridianAccount, patient: Address): Promise<KekSource> {
  if (isAddressEqual(patient, client.address)) return client.keyring();
  const [appointment] = await listGuardianships(client.ctx, { patient, guardian: client.address });
  if (!appointment) {
    throw new AccessDeniedError("You are not a guardian of this patient.", {
      details: patient,
      hint: "Only the patient, or a guardian the patient appointed, can do this.",
    });
  }
  return guardianKekSource(client, appointment);
}

/**
 * The keys a guardian appointment carries: its bundle (wrapped like an all-records grant to the
 * guardian's patient key, unwrapped on first use), regressed to any epoch up to the one it was
 * wrapped at.
 */
function guardianKekSource(client: MeridianAccount, appointment: Guardianship): KekSource {
  let bundle: Promise<Uint8Array> | undefined;
  const key = async (category: RecordCategory, epoch: number): Promise<CategoryKey> => {
    if (epoch > appointment.keyEpoch) {
      throw new MissingKeyError(
        `Your guardian key is of key epoch ${appointment.keyEpoch}; the patient's records are now at ${epoch}.`,
        { hint: "The patient (or its app) must re-key you: appoint you again at your level." },
      );
    }
    bundle ??= unwrapGuardianBundle(client, appointment);
    return regressCategoryKey(categoryKeyFromBundle(await bundle, category, appointment.keyEpoch), epoch);
  };
  return {
    categoryKey: key,
    kekBundle: async (epoch) => {
      const keys: CategoryKey[] = [];
      for (const c of ALL_CATEGORIES) keys.push(await key(c, epoch));
      return encodeKekBundle(keys);
    },
  };
}

/**
 * HPKE `info` of a guardian's KEK bundle: an all-records wrap (`wrapInfo`, scope "all", zero
 * target) to the guardian at the appointment's key epoch.
 */
export function guardianWrapInfo(
  deployment: MeridianDeployment,
  p: { patient: Address; guardian: Address; keyEpoch: number },
): Uint8Array {
  const { chainId, recordRegistry } = deployment;
  return wrapInfo({
    chainId,
    contract: recordRegistry,
    patient: p.patient,
    grantee: p.guardian,
    scope: "all",
    target: toHex(0, { size: 32 }),
    keyEpoch: p.keyEpoch,
  });
}

/** Opens the KEK bundle of a guardian appointment with the guardian's patient key (version 1). */
async function unwrapGuardianBundle(client: MeridianAccount, g: Guardianship): Promise<Uint8Array> {
  const info = guardianWrapInfo(client.ctx.deployment, {
    patient: g.patient,
    guardian: g.guardian,
    keyEpoch: g.keyEpoch,
  });
  return unwrapKey({ recipient: await client.keys(1), wrapped: hexToBytes(g.wrappedKey), info });
}
