/**
 * Key-epoch actions: who holds the keys of a patient's current key epoch, moving to a new epoch
 * so that those whose access ended cannot open what is written next (docs/keys.md, section 4),
 * and re-keying the grantees and guardians who still may. viem-style: `doThing(client, parameters)`.
 *
 * @module
 */
import { getAddress, isAddressEqual, type Address, type Hex } from "viem";
import { getPatient } from "../chain/actions.ts";
import { getGrant, issueGrant, listGrantEvents, type GrantEvent } from "../chain/grants.ts";
import { appointGuardian, listGuardianships, type GuardianLevelCode, type Guardianship } from "../chain/guardians.ts";
import {
  checkKeyHolders,
  consentCodeHolders,
  findRetiredKeyHolders,
  KEY_HOLDER_END_MARGIN_SECONDS,
  keyHolderClock,
  openKeyEpoch,
  RetiredKeyEpochError,
  type EpochKeyHolder,
  type FindRetiredKeyHoldersReturnType,
} from "../chain/key-epoch.ts";
import type { TransactionResult } from "../chain/types.ts";
import type { ConsentCodeLedgerEntry } from "../consent-code-ledger.ts";
import type { MeridianAccount } from "../account.ts";
import { wrapGuardianBundle, wrapScopeKey } from "../share-keys.ts";
import { NotRegisteredError, type ChainErrorType } from "./errors.ts";

/**
 * How long (milliseconds) a client trusts the list of a patient's current-epoch keyholders it
 * found with log queries before it queries again; in between, each write re-checks the known
 * holders with calls only ({@link checkKeyHolders}).
 */
export const KEY_HOLDER_RESCAN_MS = 30_000;

/** Per patient (checksummed): the keyholders of epoch `keyEpoch`, found by log queries at `scannedAt` (ms). */
type KeyHolderScans = Map<Address, { keyEpoch: number; holders: EpochKeyHolder[]; scannedAt: number }>;

/** {@link KeyHolderScans} per client. */
const keyHolderScans = new WeakMap<MeridianAccount, KeyHolderScans>();

function scansOf(client: MeridianAccount): KeyHolderScans {
  let scans = keyHolderScans.get(client);
  if (!scans) {
    scans = new Map();
    keyHolderScans.set(client, scans);
  }
  return scans;
}

/** Forgets `client`'s cached keyholders of `patient`, so the next check scans the logs again. */
function forgetKeyHolders(client: MeridianAccount, patient: Address): void {
  scansOf(client).delete(getAddress(patient));
}

/** Whether `patient` is `client`'s own account (so it acts as the patient, not as a guardian). */
export function isSelf(client: MeridianAccount, patient: Address | undefined): boolean {
  return patient === undefined || isAddressEqual(patient, client.address);
}

/** A re-issued grant or a re-keyed guardian, as sent by {@link reissueAfterEpochChange}. */
export type ReissuedKey = TransactionResult & { grantId?: Hex };

/** Parameters of {@link getSealableKeyEpoch}. */
export interface GetSealableKeyEpochParameters {
  /** The patient the record is for. */
  patient: Address;
  /** The patient's current key epoch, as just read. */
  keyEpoch: number;
}
/** The key epoch a new record may be sealed under. */
export type GetSealableKeyEpochReturnType = number;
/** Errors {@link getSealableKeyEpoch} throws. */
export type GetSealableKeyEpochErrorType = RetiredKeyEpochError | ChainErrorType;

/**
 * The key epoch a new record of `patient` may be sealed under: `keyEpoch` (the current one) when
 * every keyholder of it may still read. Otherwise, as the patient, first moves to a new epoch
 * and re-issues the live grants ({@link rotateKeyEpoch}); as any other writer, throws. The
 * keyholders are found with log queries at most once per {@link KEY_HOLDER_RESCAN_MS} (or after
 * the epoch changes) and re-checked with calls before every record, so a bulk import does not
 * scan the logs per record.
 *
 * @throws {RetiredKeyEpochError} when a provider would seal under keys someone whose access ended holds.
 * @example
 * ```ts
 * const keyEpoch = await getSealableKeyEpoch(client, { patient, keyEpoch: (await getPatient(client.ctx, patient)).keyEpoch });
 * ```
 */
export async function getSealableKeyEpoch(
  client: MeridianAccount,
  { patient, keyEpoch }: GetSealableKeyEpochParameters,
): Promise<GetSealableKeyEpochReturnType> {
  let check = await checkCachedKeyHolders(client, patient, keyEpoch);
  if (check.retired.length === 0) return check.keyEpoch;
  if (!isSelf(client, patient)) throw new RetiredKeyEpochError(check);
  await rotateKeyEpoch(client, {});
  check = await checkCachedKeyHolders(client, patient);
  if (check.retired.length > 0) throw new RetiredKeyEpochError(check); // e.g. the epoch could not advance
  return check.keyEpoch;
}

/**
 * {@link checkKeyHolders} over the cached keyholders of epoch `keyEpoch`, or
 * {@link findRetiredKeyHolders} when the cache is older, of another epoch, or `keyEpoch` is absent.
 */
async function checkCachedKeyHolders(
  client: MeridianAccount,
  patient: Address,
  keyEpoch?: number,
): Promise<FindRetiredKeyHoldersReturnType> {
  const scans = scansOf(client);
  const key = getAddress(patient);
  const cached = scans.get(key);
  const fresh = cached !== undefined && performance.now() - cached.scannedAt < KEY_HOLDER_RESCAN_MS;
  // consent codes this client made hold keys off chain: read the ledger afresh for every check
  const consentCodes = isSelf(client, patient) ? await client.consentCodes.list() : [];
  let found: FindRetiredKeyHoldersReturnType;
  if (fresh && keyEpoch !== undefined && cached.keyEpoch === keyEpoch) {
    const holders = [...cached.holders, ...consentCodeHolders(client.ctx, patient, keyEpoch, consentCodes)];
    found = await checkKeyHolders(client.ctx, { patient, keyEpoch, holders });
  } else {
    const scannedAt = performance.now();
    found = await findRetiredKeyHolders(client.ctx, { patient, consentCodes });
    const holders = [...found.live, ...found.retired.map(({ reason: _, ...h }) => h)].filter(
      (h) => h.kind !== "consent-code",
    ); // read from the ledger at every check instead
    scans.set(key, { keyEpoch: found.keyEpoch, holders, scannedAt });
  }
  if (consentCodes.length > 0) await pruneConsentCodes(client, found);
  return found;
}

/**
 * Drops the ledger entries of this patient that hold no key of the current epoch any more: made
 * at an older epoch, or redeemed (each is now a grant, found by the next log scan, which is
 * therefore made at the next check).
 */
async function pruneConsentCodes(client: MeridianAccount, check: FindRetiredKeyHoldersReturnType): Promise<void> {
  const redeemed = new Set(check.redeemedConsentCodes);
  if (redeemed.size > 0) forgetKeyHolders(client, check.patient);
  const { chainId, recordRegistry } = client.ctx.deployment;
  const mine = (e: ConsentCodeLedgerEntry) =>
    e.chainId === chainId && isAddressEqual(e.registry, recordRegistry) && isAddressEqual(e.patient, check.patient);
  const spent = (e: ConsentCodeLedgerEntry) =>
    e.keyEpoch < check.keyEpoch || (e.keyEpoch === check.keyEpoch && redeemed.has(e.nonce));
  await client.consentCodes.prune((e) => mine(e) && spent(e));
}

/** Parameters of {@link getRetiredKeyHolders}. */
export interface GetRetiredKeyHoldersParameters {
  /** The patient (default: the account itself). */
  patient?: Address | undefined;
}
/** The current epoch's live and retired keyholders (`findRetiredKeyHolders`). */
export type GetRetiredKeyHoldersReturnType = FindRetiredKeyHoldersReturnType;
/** Errors {@link getRetiredKeyHolders} throws (and the ledger's storage error). */
export type GetRetiredKeyHoldersErrorType = ChainErrorType;

/**
 * Who holds the keys of `patient`'s (default: the account's) current key epoch and who of them
 * may no longer read (grant expired, provider suspended or removed; for the account itself, also
 * a consent code in its ledger that was never redeemed or was cancelled): while any may not,
 * `addRecord` rotates first (as the patient) or refuses (as a provider). Always queries the
 * chain afresh.
 *
 * @example
 * ```ts
 * const { retired } = await getRetiredKeyHolders(patient, {});
 * ```
 */
export async function getRetiredKeyHolders(
  client: MeridianAccount,
  p: GetRetiredKeyHoldersParameters = {},
): Promise<GetRetiredKeyHoldersReturnType> {
  const consentCodes = isSelf(client, p.patient) ? await client.consentCodes.list() : [];
  const found = await findRetiredKeyHolders(client.ctx, { patient: p.patient ?? client.address, consentCodes });
  if (consentCodes.length > 0) await pruneConsentCodes(client, found);
  return found;
}

/** Parameters of {@link rotateKeyEpoch}. */
export interface RotateKeyEpochParameters {
  /** The patient (default: the account itself; else the account acts as its SHARE AND VIEW guardian). */
  patient?: Address | undefined;
}
/** The epoch advance and, as the patient, the re-issued grants and re-keyed guardians. */
export interface RotateKeyEpochReturnType {
  advance: TransactionResult & { keyEpoch: number };
  reissued: ReissuedKey[];
}
/** Errors {@link rotateKeyEpoch} throws (`RecordRegistryNotGuardian` as a `ContractRevertedError`). */
export type RotateKeyEpochErrorType = ChainErrorType;

/**
 * Moves `patient` (default: the account) to a new key epoch without revoking anything
 * (`RecordRegistry.openKeyEpoch`, ~29.7k gas), so no earlier keyholder can open what is written
 * next. As the patient, then re-issues every live category/all grant and re-keys its guardians
 * at the new epoch ({@link reissueAfterEpochChange}, one transaction each); a SHARE AND VIEW
 * guardian (with `patient`) sends only the advance, and the patient's app re-issues the rest.
 *
 * @example
 * ```ts
 * const { advance, reissued } = await rotateKeyEpoch(patient, {});
 * ```
 */
export async function rotateKeyEpoch(
  client: MeridianAccount,
  p: RotateKeyEpochParameters = {},
): Promise<RotateKeyEpochReturnType> {
  const patient = p.patient ?? client.address;
  forgetKeyHolders(client, patient);
  const advance = await openKeyEpoch(client.ctx, { patient });
  return { advance, reissued: isSelf(client, p.patient) ? await reissueAfterEpochChange(client) : [] };
}

/** Parameters of {@link reissueAfterEpochChange}: none. */
export type ReissueAfterEpochChangeParameters = Record<string, never>;
/** What was sent: one grant re-issue or guardian re-key per transaction, in that order. */
export type ReissueAfterEpochChangeReturnType = ReissuedKey[];
/** Errors {@link reissueAfterEpochChange} throws. */
export type ReissueAfterEpochChangeErrorType = ChainErrorType;

/**
 * Patient: re-issues every live category/all grant and re-keys every guardian whose key is of
 * an older epoch than the current one, one transaction each (after a revocation, a guardian's
 * removal, or a revocation made by a guardian).
 *
 * @example
 * ```ts
 * const sent = await reissueAfterEpochChange(patient); // [] when everyone is current
 * ```
 */
export async function reissueAfterEpochChange(
  client: MeridianAccount,
  _parameters: ReissueAfterEpochChangeParameters = {},
): Promise<ReissueAfterEpochChangeReturnType> {
  forgetKeyHolders(client, client.address);
  const { keyEpoch, grants, guardians } = await getStaleKeyHolders(client);
  const reissued: ReissuedKey[] = [];
  for (const g of grants) {
    const wrappedKey = await wrapScopeKey(client, { grantee: g.grantee, scope: g.scope, keyEpoch });
    reissued.push(
      await issueGrant(client.ctx, {
        grantee: g.grantee,
        scope: g.scope,
        write: g.write,
        expiresAt: g.expiresAt,
        wrappedKey,
      }),
    );
  }
  for (const g of guardians) reissued.push(await rekeyGuardian(client, { guardian: g.guardian, level: g.level }));
  return reissued;
}

/** Parameters of {@link rekeyGuardian}. */
export interface RekeyGuardianParameters {
  /** The guardian (a registered account: its patient key receives the bundle). */
  guardian: Address;
  /** The level it acts at (`GuardianLevel`: 1 VIEW, 2 SHARE AND VIEW). */
  level: GuardianLevelCode;
}
/** The appointment transaction and the key epoch of the bundle it carries. */
export type RekeyGuardianReturnType = TransactionResult & { keyEpoch: number };
/** Errors {@link rekeyGuardian} throws. */
export type RekeyGuardianErrorType = NotRegisteredError | ChainErrorType;

/**
 * Patient: appoints `guardian` at `level` with the KEK bundle of the current key epoch sealed to
 * its registered key (`RecordRegistry.appointGuardian`): a first appointment, a change of level,
 * or a re-key after the epoch moved on.
 *
 * @throws {NotRegisteredError} when the guardian has no Meridian account (no registered key).
 * @example
 * ```ts
 * await rekeyGuardian(patient, { guardian, level: GuardianLevel.View });
 * ```
 */
export async function rekeyGuardian(
  client: MeridianAccount,
  p: RekeyGuardianParameters,
): Promise<RekeyGuardianReturnType> {
  const [me, guardian] = await Promise.all([
    getPatient(client.ctx, client.address),
    getPatient(client.ctx, p.guardian),
  ]);
  if (!guardian.registered) {
    throw new NotRegisteredError("The guardian has no Meridian account yet.", {
      details: p.guardian,
      hint: "Ask them to register (`meridian register`, or Register in the app): it publishes the key their guardian key is wrapped to.",
    });
  }
  const wrappedKey = await wrapGuardianBundle(client, {
    guardian: p.guardian,
    encryptionKey: guardian.encryptionKey,
    keyEpoch: me.keyEpoch,
  });
  return appointGuardian(client.ctx, { guardian: p.guardian, level: p.level, wrappedKey });
}

/** Parameters of {@link getStaleKeyHolders}: none. */
export type GetStaleKeyHoldersParameters = Record<string, never>;
/** The current key epoch and who holds only older keys: grants (with current write and expiry) and guardians. */
export interface GetStaleKeyHoldersReturnType {
  keyEpoch: number;
  grants: GrantEvent[];
  guardians: Guardianship[];
}
/** Errors {@link getStaleKeyHolders} throws. */
export type GetStaleKeyHoldersErrorType = ChainErrorType;

/**
 * Patient: who holds keys of an older key epoch than the current one and should be re-keyed
 * ({@link reissueAfterEpochChange}): live category/all grants (with their current write and
 * expiry) and guardians. Non-empty after a revocation or removal made outside this client,
 * e.g. by a SHARE AND VIEW guardian; until then those providers cannot write new records.
 * Grants whose grantee is no longer an active provider, or that end within
 * {@link KEY_HOLDER_END_MARGIN_SECONDS}, are left out: they would get keys they may not use.
 *
 * @example
 * ```ts
 * const { grants, guardians } = await getStaleKeyHolders(patient);
 * ```
 */
export async function getStaleKeyHolders(
  client: MeridianAccount,
  _parameters: GetStaleKeyHoldersParameters = {},
): Promise<GetStaleKeyHoldersReturnType> {
  const me = client.address;
  const [{ keyEpoch }, block] = await Promise.all([
    getPatient(client.ctx, me),
    client.ctx.publicClient.getBlock({ blockTag: "latest" }),
  ]);
  const endsBy = keyHolderClock(block.timestamp) + KEY_HOLDER_END_MARGIN_SECONDS;
  const latest = new Map<Hex, GrantEvent>();
  for (const g of await listGrantEvents(client.ctx, { patient: me })) latest.set(g.grantId, g);
  const grants: GrantEvent[] = [];
  for (const g of latest.values()) {
    if (g.scope.kind === "record" || g.keyEpoch >= keyEpoch) continue;
    const state = await getGrant(client.ctx, { patient: me, grantee: g.grantee, scope: g.scope });
    // `active` also requires the grantee to be an active provider (isGrantActive)
    const lasts = state.expiresAt === 0 || state.expiresAt > endsBy;
    if (state.active && lasts) grants.push({ ...g, write: state.write, expiresAt: state.expiresAt });
  }
  const guardians = (await listGuardianships(client.ctx, { patient: me })).filter((g) => g.keyEpoch < keyEpoch);
  return { keyEpoch, grants, guardians };
}
