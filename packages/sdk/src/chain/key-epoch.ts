/**
 * Who holds the keys of a patient's current key epoch, and whether each of them may still read.
 *
 * Every category or all-records grant carries the KEK of the epoch it was issued at (in its
 * `GrantIssued` event, HPKE-wrapped to the grantee), and every guardian appointment the bundle
 * of all nine KEKs; key regression lets each derive the older epochs' KEKs, never a newer one
 * (docs/keys.md). Revoking such a grant or removing a guardian advances the epoch on chain, but
 * a grant's expiry and a provider's suspension or removal by the regulator change no key: the
 * grantee keeps the KEK, and envelopes are public by CID. So before every record is sealed, the
 * writer checks that every keyholder of the current epoch may still read
 * ({@link findRetiredKeyHolders}); a patient then advances the epoch (`openKeyEpoch`) and
 * re-issues the live grants, and a provider with write consent is refused
 * ({@link RetiredKeyEpochError}). The chain does not enforce it, because the keyholders of an
 * epoch are per patient: a suspension would have to touch every patient who granted to the
 * provider (a loop), and an expiry-only check would need a third storage slot per patient read by
 * every anchor.
 *
 * A consent code carries its epoch's KEK (or KEK bundle) to its grantee off chain, before any grant
 * exists: the patient's client records each code it makes in its consent-code ledger
 * (`consent-code-ledger.ts`) and passes the entries here; an entry of the current epoch is a
 * keyholder, retired once its deadline passed unredeemed or it was cancelled.
 *
 * Record grants, emergency key releases and peer-validation shares carry one record's DEK, not a
 * KEK: they are not keyholders of an epoch.
 *
 * @module
 */
import { isAddressEqual, parseEventLogs, type Address, type Hex } from "viem";
import { categoryName } from "../categories.ts";
import { MeridianError } from "../errors.ts";
import { providerRegistryAbi, recordRegistryAbi } from "../generated/contracts.ts";
import type { ConsentCodeLedgerEntry } from "../consent-code-ledger.ts";
import { read, result, write } from "./contract.ts";
import { decodeScope, encodeScope, grantIdOfIssued } from "./grants.ts";
import { eventsNamed, isPatientEvent, walkPatientEvents } from "./event-walk.ts";
import { toMeridianError } from "./errors.ts";
import { ProviderStatus, type GrantScope, type MeridianContext, type TransactionResult } from "./types.ts";

/**
 * A grant or appointment that ends within this many seconds of the check counts as ended: the
 * record being sealed is anchored a few blocks later, when it may already have ended.
 */
export const KEY_HOLDER_END_MARGIN_SECONDS = 30;

/**
 * The time (unix seconds) a keyholder is judged at: the later of the block's time and this
 * machine's clock. An idle chain that mines only on demand (a local node) keeps an old latest
 * block, while the record's anchoring block gets the current time; a clock that runs ahead only
 * ends grants earlier, never later.
 */
export function keyHolderClock(blockTimestamp: bigint): number {
  return Math.max(Number(blockTimestamp), Math.floor(Date.now() / 1000));
}

/** Why a keyholder of the current epoch may no longer read. */
export type KeyHolderEnd =
  | "expired" // its grant's `expiresAt` passed (or passes within the margin)
  | "revoked" // revoked without a new epoch (only at the largest epoch)
  | "suspended" // the regulator suspended the provider
  | "removed" // the regulator removed the provider
  | "not-a-provider" // no longer (or never) an admitted provider
  | "guardian-removed" // a guardian removed at the largest epoch, which could not advance
  | "code-unredeemed" // a consent code's deadline passed (or passes within the margin) unredeemed
  | "code-cancelled"; // the patient cancelled a consent code (its key was already handed over)

/** A holder of the current epoch's KEKs: a category or all-records grantee, or a guardian. */
export type EpochKeyHolder =
  | {
      kind: "grant";
      grantee: Address;
      grantId: Hex;
      /** A category or all-records scope (record scopes carry a DEK and hold no epoch key). */
      scope: Exclude<GrantScope, { kind: "record" }>;
      /** Unix seconds the grant ends (latest issue); 0 means no expiry. */
      expiresAt: number;
    }
  | { kind: "guardian"; guardian: Address }
  | {
      /** A consent code from the patient's ledger, made at this epoch, that carried its key. */
      kind: "consent-code";
      grantee: Address;
      scope: Exclude<GrantScope, { kind: "record" }>;
      /** The code's nonce (`consentNonceUsed(patient, nonce)`). */
      nonce: bigint;
      /** Unix seconds after which the code can no longer be redeemed. */
      deadline: number;
    };

/** A keyholder of the current epoch that may no longer read, and why. */
export type RetiredKeyHolder = EpochKeyHolder & { reason: KeyHolderEnd };

/** Parameters of {@link findRetiredKeyHolders}. */
export interface FindRetiredKeyHoldersParameters {
  patient: Address;
  /**
   * The patient's consent-code ledger (`consent-code-ledger.ts`): entries of this chain,
   * registry and patient at the current epoch become keyholders; others are ignored.
   */
  consentCodes?: readonly ConsentCodeLedgerEntry[];
}

/** Result of {@link findRetiredKeyHolders} and {@link checkKeyHolders}. */
export interface FindRetiredKeyHoldersReturnType {
  patient: Address;
  /** The patient's current key epoch, which these holders hold the KEKs of. */
  keyEpoch: number;
  /** The block the check read (every read is at this block). */
  blockNumber: bigint;
  /** The time the holders were judged at, unix seconds ({@link keyHolderClock}). */
  checkedAt: number;
  /** Holders that may still read. */
  live: EpochKeyHolder[];
  /** Holders that may no longer read: while any exists, nothing may be sealed at `keyEpoch`. */
  retired: RetiredKeyHolder[];
  /**
   * Nonces of consent-code holders found redeemed: each is now a grant (judged as one here, and
   * found by the next `GrantIssued` scan), so its ledger entry may be dropped.
   */
  redeemedConsentCodes: bigint[];
}

/** Errors of {@link findRetiredKeyHolders}: chain errors, as `MeridianError`s. */
export type FindRetiredKeyHoldersErrorType = MeridianError;

/**
 * The keyholders of `patient`'s current key epoch (every `GrantIssued` with a category or
 * all-records scope at that epoch, consent-code redemptions and guardian grants included, and
 * every `GuardianAppointed` at that epoch, and every consent code of `consentCodes` made at that
 * epoch), each judged at the latest block ({@link checkKeyHolders}). Two log queries, then two
 * calls per grant, one per guardian and one per consent code.
 *
 * @example
 * ```ts
 * const { keyEpoch, retired } = await findRetiredKeyHolders(ctx, { patient });
 * if (retired.length > 0) console.log(`epoch ${keyEpoch} must not seal new records`);
 * ```
 */
export async function findRetiredKeyHolders(
  ctx: MeridianContext,
  p: FindRetiredKeyHoldersParameters,
): Promise<FindRetiredKeyHoldersReturnType> {
  try {
    // The patient's event walk, at one block (the latest), and the patient's entry at that block.
    const walk = await walkPatientEvents(ctx, { patient: p.patient });
    const blockNumber = walk.blockNumber;
    const mine = walk.logs.filter((l) => isPatientEvent(l, p.patient));
    const patient = await read(ctx, {
      address: ctx.deployment.recordRegistry,
      abi: recordRegistryAbi,
      functionName: "getPatient",
      args: [p.patient],
      blockNumber,
    });
    const grantLogs = eventsNamed(mine, "GrantIssued");
    const guardianLogs = eventsNamed(mine, "GuardianAppointed");
    const holders = new Map<string, EpochKeyHolder>();
    for (const l of grantLogs) {
      const scope = decodeScope(l.args.scope, l.args.target);
      if (scope.kind === "record" || l.args.keyEpoch !== patient.keyEpoch) continue;
      const grantId = grantIdOfIssued(l.args);
      holders.set(grantId, {
        kind: "grant",
        grantee: l.args.grantee,
        grantId,
        scope,
        expiresAt: Number(l.args.expiresAt),
      });
    }
    for (const l of guardianLogs) {
      if (l.args.keyEpoch === patient.keyEpoch)
        holders.set(`guardian/${l.args.guardian}`, { kind: "guardian", guardian: l.args.guardian });
    }
    for (const h of consentCodeHolders(ctx, p.patient, patient.keyEpoch, p.consentCodes ?? [])) {
      holders.set(`code/${h.nonce}`, h);
    }
    return await checkKeyHolders(ctx, {
      patient: p.patient,
      keyEpoch: patient.keyEpoch,
      holders: [...holders.values()],
      blockNumber,
    });
  } catch (error) {
    throw toMeridianError(error);
  }
}

/**
 * The entries of a consent-code ledger that hold keys of `patient`'s epoch `keyEpoch` on this
 * deployment, as keyholders for {@link checkKeyHolders}.
 */
export function consentCodeHolders(
  ctx: MeridianContext,
  patient: Address,
  keyEpoch: number,
  entries: readonly ConsentCodeLedgerEntry[],
): Extract<EpochKeyHolder, { kind: "consent-code" }>[] {
  return entries
    .filter(
      (e) =>
        e.chainId === ctx.deployment.chainId &&
        isAddressEqual(e.registry, ctx.deployment.recordRegistry) &&
        isAddressEqual(e.patient, patient) &&
        e.keyEpoch === keyEpoch,
    )
    .map((e) => ({ kind: "consent-code", grantee: e.grantee, scope: e.scope, nonce: e.nonce, deadline: e.deadline }));
}

/** Parameters of {@link checkKeyHolders}. */
export interface CheckKeyHoldersParameters {
  patient: Address;
  /** The key epoch `holders` hold the KEKs of. */
  keyEpoch: number;
  holders: readonly EpochKeyHolder[];
  /** The block to judge at (default: the latest). */
  blockNumber?: bigint;
}

/**
 * Judges known keyholders of `patient`'s epoch `keyEpoch` at one block, without any log query:
 * a grant is live while it is not revoked, its `expiresAt` (read again from storage) is more than
 * {@link KEY_HOLDER_END_MARGIN_SECONDS} after {@link keyHolderClock}, and its grantee is an active
 * provider; a guardian while it is still appointed; a consent code while it is unused and its
 * deadline is more than the margin away, and once redeemed, as the grant it became (a cancelled
 * code is retired at once: its key was handed over). Redeemed and cancelled codes are told apart
 * by one `ConsentCodeCancelled` log query, made only when a code's nonce is used.
 * {@link findRetiredKeyHolders} finds the holders; a writer that cached them calls this before
 * each record instead.
 */
export async function checkKeyHolders(
  ctx: MeridianContext,
  p: CheckKeyHoldersParameters,
): Promise<FindRetiredKeyHoldersReturnType> {
  try {
    const block = await ctx.publicClient.getBlock(
      p.blockNumber === undefined ? { blockTag: "latest" } : { blockNumber: p.blockNumber },
    );
    const blockNumber = block.number;
    const now = keyHolderClock(block.timestamp);
    const registry = ctx.deployment.recordRegistry;
    const codes = p.holders.filter((h) => h.kind === "consent-code");
    const used = new Set<bigint>();
    await Promise.all(
      codes.map(async (h) => {
        const isUsed = await read(ctx, {
          address: registry,
          abi: recordRegistryAbi,
          functionName: "consentNonceUsed",
          args: [p.patient, h.nonce],
          blockNumber,
        });
        if (isUsed) used.add(h.nonce);
      }),
    );
    const cancelled = new Set<bigint>();
    if (used.size > 0) {
      const { logs } = await walkPatientEvents(ctx, { patient: p.patient, blockNumber });
      for (const l of eventsNamed(logs, "ConsentCodeCancelled"))
        if (isAddressEqual(l.args.patient, p.patient) && used.has(l.args.nonce)) cancelled.add(l.args.nonce);
    }
    const redeemedConsentCodes = [...used].filter((n) => !cancelled.has(n));
    const judged = await Promise.all(
      p.holders.map(async (h): Promise<KeyHolderEnd | undefined> => {
        if (h.kind === "consent-code") {
          if (cancelled.has(h.nonce)) return "code-cancelled";
          if (!used.has(h.nonce)) {
            return h.deadline <= now + KEY_HOLDER_END_MARGIN_SECONDS ? "code-unredeemed" : undefined;
          }
          // redeemed: a grant now, judged as one below
        }
        if (h.kind === "guardian") {
          const level = await read(ctx, {
            address: registry,
            abi: recordRegistryAbi,
            functionName: "guardianLevel",
            args: [p.patient, h.guardian],
            blockNumber,
          });
          return level === 0 ? "guardian-removed" : undefined;
        }
        const { scope, target } = encodeScope(h.scope);
        const [g, status] = await Promise.all([
          read(ctx, {
            address: registry,
            abi: recordRegistryAbi,
            functionName: "getGrant",
            args: [p.patient, h.grantee, scope, target],
            blockNumber,
          }),
          read(ctx, {
            address: ctx.deployment.providerRegistry,
            abi: providerRegistryAbi,
            functionName: "statusOf",
            args: [h.grantee],
            blockNumber,
          }),
        ]);
        if (g.revokedAt !== 0) return "revoked";
        if (g.expiresAt !== 0 && g.expiresAt <= now + KEY_HOLDER_END_MARGIN_SECONDS) return "expired";
        if (status === ProviderStatus.Suspended) return "suspended";
        if (status === ProviderStatus.Removed) return "removed";
        if (status !== ProviderStatus.Active) return "not-a-provider";
        return undefined;
      }),
    );
    const live: EpochKeyHolder[] = [];
    const retired: RetiredKeyHolder[] = [];
    p.holders.forEach((h, i) => {
      const reason = judged[i];
      if (reason) retired.push({ ...h, reason });
      else live.push(h);
    });
    return {
      patient: p.patient,
      keyEpoch: p.keyEpoch,
      blockNumber,
      checkedAt: now,
      live,
      retired,
      redeemedConsentCodes,
    };
  } catch (error) {
    throw toMeridianError(error);
  }
}

/**
 * Advances `patient`'s key epoch without revoking anything (`RecordRegistry.openKeyEpoch`), as
 * the patient or its SHARE AND VIEW guardian; returns the new epoch. Gas: ~29.7k (one storage
 * write to a warm patient slot, one event). Reverts `RecordRegistryUnknownPatient`
 * or `RecordRegistryNotGuardian` (as `ContractRevertedError`); at the largest epoch, 2^30 - 1, the
 * epoch stays and the returned `keyEpoch` is unchanged.
 * Live category/all grantees and guardians need re-issued keys afterwards
 * (`MeridianClient.reissueAfterEpochChange`).
 */
export async function openKeyEpoch(
  ctx: MeridianContext,
  p: { patient: Address },
): Promise<TransactionResult & { keyEpoch: number }> {
  const receipt = await write(ctx, "open a new key epoch", {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "openKeyEpoch",
    args: [p.patient],
  });
  const [log] = parseEventLogs({ abi: recordRegistryAbi, logs: receipt.logs, eventName: "KeyEpochAdvanced" });
  if (!log) throw new MeridianError(`The transaction ${receipt.transactionHash} emitted no KeyEpochAdvanced event.`);
  return { ...result(receipt), keyEpoch: log.args.keyEpoch };
}

/** Plain words for a {@link KeyHolderEnd}. */
export function describeKeyHolderEnd(holder: RetiredKeyHolder): string {
  if (holder.kind === "consent-code") {
    const what = holder.scope.kind === "all" ? "all records" : `${categoryName(holder.scope.category)} records`;
    return holder.reason === "code-cancelled"
      ? `a consent code for ${holder.grantee} (${what}) was cancelled after its key was handed over`
      : `a consent code for ${holder.grantee} (${what}) was never redeemed`;
  }
  const who = holder.kind === "grant" ? `grantee ${holder.grantee}` : `former guardian ${holder.guardian}`;
  const why: Record<KeyHolderEnd, string> = {
    expired: "its grant expired",
    revoked: "its grant was revoked",
    suspended: "the regulator suspended it",
    removed: "the regulator removed it",
    "not-a-provider": "it is not an admitted provider",
    "guardian-removed": "it is no longer a guardian",
    "code-unredeemed": "its consent code was never redeemed",
    "code-cancelled": "its consent code was cancelled",
  };
  return `${who} (${why[holder.reason]})`;
}

/**
 * A record would be sealed under keys that a grantee whose access has ended still holds (its
 * grant expired, or the regulator suspended or removed it, or a consent code carried them and was
 * never redeemed), and this writer cannot move the
 * patient to new keys: only the patient (or its SHARE AND VIEW guardian) can. Thrown before
 * anything is encrypted or stored.
 */
export class RetiredKeyEpochError extends MeridianError {
  override name = "RetiredKeyEpochError" as const;
  /** The retired keyholders found. */
  readonly retired: RetiredKeyHolder[];
  constructor(p: { patient: Address; keyEpoch: number; retired: RetiredKeyHolder[] }) {
    super(
      "The patient's current keys were shared with a grantee whose access has ended (or with a consent code " +
        "that was never redeemed), " +
        "so a new record must not be sealed under them.",
      {
        details: `patient ${p.patient}, key epoch ${p.keyEpoch}: ${p.retired.map(describeKeyHolderEnd).join("; ")}`,
        hint:
          'Ask the patient to open Meridian (the patient page offers "Update keys") or run `meridian rekey`, ' +
          "which moves their records to new keys and re-issues your grant; then add the record again.",
      },
    );
    this.retired = p.retired;
  }
}
