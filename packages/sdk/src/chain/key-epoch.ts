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
 * Record grants, emergency key releases and peer-validation shares carry one record's DEK, not a
 * KEK: they are not keyholders of an epoch.
 *
 * @module
 */
import { parseEventLogs, type Address, type Hex } from "viem";
import { MeridianError } from "../errors.ts";
import { providerRegistryAbi, recordRegistryAbi } from "../generated/contracts.ts";
import { decodeScope, encodeScope, result, write } from "./actions.ts";
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
  | "guardian-removed"; // a guardian removed at the largest epoch, which could not advance

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
  | { kind: "guardian"; guardian: Address };

/** A keyholder of the current epoch that may no longer read, and why. */
export type RetiredKeyHolder = EpochKeyHolder & { reason: KeyHolderEnd };

/** Parameters of {@link findRetiredKeyHolders}. */
export interface FindRetiredKeyHoldersParameters {
  patient: Address;
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
}

/** Errors of {@link findRetiredKeyHolders}: chain errors, as `MeridianError`s. */
export type FindRetiredKeyHoldersErrorType = MeridianError;

/**
 * The keyholders of `patient`'s current key epoch (every `GrantIssued` with a category or
 * all-records scope at that epoch, consent-code redemptions and guardian grants included, and
 * every `GuardianAppointed` at that epoch), each judged at the latest block
 * ({@link checkKeyHolders}). Two log queries, then two calls per grant and one per guardian.
 *
 * @example
 * ```ts
 * const { keyEpoch, retired } = await findRetiredKeyHolders(ctx, { patient });
 * if (retired.length > 0) console.log(`epoch ${keyEpoch} must not seal new records`);
 * ```
 */
export async function findRetiredKeyHolders(
  ctx: MeridianContext,
  p: FindRetiredKeyHoldersParameters
): Promise<FindRetiredKeyHoldersReturnType> {
  try {
    const { number: blockNumber } = await ctx.publicClient.getBlock({ blockTag: "latest" });
    const registry = ctx.deployment.recordRegistry;
    const range = { fromBlock: ctx.deployment.deployedAtBlock, toBlock: blockNumber, strict: true } as const;
    const [patient, grantLogs, guardianLogs] = await Promise.all([
      ctx.publicClient.readContract({
        address: registry,
        abi: recordRegistryAbi,
        functionName: "getPatient",
        args: [p.patient],
        blockNumber,
      }),
      ctx.publicClient.getContractEvents({
        address: registry,
        abi: recordRegistryAbi,
        eventName: "GrantIssued",
        args: { patient: p.patient },
        ...range,
      }),
      ctx.publicClient.getContractEvents({
        address: registry,
        abi: recordRegistryAbi,
        eventName: "GuardianAppointed",
        args: { patient: p.patient },
        ...range,
      }),
    ]);
    const holders = new Map<string, EpochKeyHolder>();
    for (const l of grantLogs) {
      const scope = decodeScope(l.args.scope, l.args.target);
      if (scope.kind === "record" || l.args.keyEpoch !== patient.keyEpoch) continue;
      holders.set(l.args.grantId, {
        kind: "grant",
        grantee: l.args.grantee,
        grantId: l.args.grantId,
        scope,
        expiresAt: Number(l.args.expiresAt),
      });
    }
    for (const l of guardianLogs) {
      if (l.args.keyEpoch === patient.keyEpoch)
        holders.set(`guardian/${l.args.guardian}`, { kind: "guardian", guardian: l.args.guardian });
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
 * provider; a guardian
 * while it is still appointed. {@link findRetiredKeyHolders} finds the holders; a writer that
 * cached them calls this before each record instead.
 */
export async function checkKeyHolders(
  ctx: MeridianContext,
  p: CheckKeyHoldersParameters
): Promise<FindRetiredKeyHoldersReturnType> {
  try {
    const block = await ctx.publicClient.getBlock(
      p.blockNumber === undefined ? { blockTag: "latest" } : { blockNumber: p.blockNumber }
    );
    const blockNumber = block.number;
    const now = keyHolderClock(block.timestamp);
    const registry = ctx.deployment.recordRegistry;
    const judged = await Promise.all(
      p.holders.map(async (h): Promise<KeyHolderEnd | undefined> => {
        if (h.kind === "guardian") {
          const level = await ctx.publicClient.readContract({
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
          ctx.publicClient.readContract({
            address: registry,
            abi: recordRegistryAbi,
            functionName: "getGrant",
            args: [p.patient, h.grantee, scope, target],
            blockNumber,
          }),
          ctx.publicClient.readContract({
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
      })
    );
    const live: EpochKeyHolder[] = [];
    const retired: RetiredKeyHolder[] = [];
    p.holders.forEach((h, i) => {
      const reason = judged[i];
      if (reason) retired.push({ ...h, reason });
      else live.push(h);
    });
    return { patient: p.patient, keyEpoch: p.keyEpoch, blockNumber, checkedAt: now, live, retired };
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
  p: { patient: Address }
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
  const who = holder.kind === "grant" ? `grantee ${holder.grantee}` : `former guardian ${holder.guardian}`;
  const why: Record<KeyHolderEnd, string> = {
    expired: "its grant expired",
    revoked: "its grant was revoked",
    suspended: "the regulator suspended it",
    removed: "the regulator removed it",
    "not-a-provider": "it is not an admitted provider",
    "guardian-removed": "it is no longer a guardian",
  };
  return `${who} (${why[holder.reason]})`;
}

/**
 * A record would be sealed under keys that a grantee whose access has ended still holds (its
 * grant expired, or the regulator suspended or removed it), and this writer cannot move the
 * patient to new keys: only the patient (or its SHARE AND VIEW guardian) can. Thrown before
 * anything is encrypted or stored.
 */
export class RetiredKeyEpochError extends MeridianError {
  override name = "RetiredKeyEpochError" as const;
  /** The retired keyholders found. */
  readonly retired: RetiredKeyHolder[];
  constructor(p: { patient: Address; keyEpoch: number; retired: RetiredKeyHolder[] }) {
    super(
      "The patient's current keys were shared with a grantee whose access has ended, " +
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
