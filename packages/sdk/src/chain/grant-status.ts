/**
 * Which grants are live and which have ended, and why: the grant walk behind a provider's
 * "Patients who shared with you" list ({@link listSharedWithMe}), so a screen never builds it by
 * hand from raw `GrantIssued` events (which include every revoked, expired and superseded issue).
 *
 * A grant (one id per patient, grantee, scope and target; `grantIdOf`) is live exactly when the
 * contract's `isGrantActive` would say so: issued, not revoked, not expired, and its grantee an
 * active provider. Its latest `GrantIssued` event gives the scope and wrapped key; the stored
 * grant (`getGrant`) gives the times; the provider registry gives the grantee's status.
 *
 * @module
 */
import { getAddress, type Address, type Hex } from "viem";
import type { MeridianError } from "../errors.ts";
import { recordRegistryAbi } from "../generated/contracts.ts";
import { read } from "./contract.ts";
import { getProvider, type ProviderInfo } from "./actions.ts";
import { encodeScope, listGrantEvents, type GrantEvent } from "./grants.ts";
import { toMeridianError } from "./errors.ts";
import { ProviderStatus, type MeridianContext } from "./types.ts";

/**
 * Why a grant no longer works: the patient (or a guardian) `revoked` it, it `expired`, or its
 * grantee is no longer an active provider (`grantee-suspended`, which a reinstatement undoes, or
 * `grantee-removed`, which is final).
 */
export type GrantEndReason = "revoked" | "expired" | "grantee-suspended" | "grantee-removed";

/** A grant as of its latest issue: the latest `GrantIssued` event plus the stored issue time. */
export interface GrantStatus extends GrantEvent {
  /** Unix time (seconds) of the latest issue (`Grant.issuedAt`). */
  issuedAt: number;
}

/** A grant that no longer works, with why and since when. */
export interface EndedGrant extends GrantStatus {
  /** Why it ended; when several apply, the first of revoked, expired, grantee status. */
  reason: GrantEndReason;
  /**
   * Unix time (seconds) it ended: the revocation time, the expiry time, or when the grantee's
   * registry status last changed (suspension or removal).
   */
  endedAt: number;
}

/** Parameters of {@link listGrantStatuses}: the grants of one patient, of one grantee, or both. */
export interface ListGrantStatusesParameters {
  patient?: Address;
  grantee?: Address;
}

/** What {@link listGrantStatuses} and {@link listSharedWithMe} return. */
export interface ListGrantStatusesReturnType {
  /** Grants that work now, oldest latest issue first. */
  live: GrantStatus[];
  /** Grants that ended, most recently ended first. */
  ended: EndedGrant[];
  /** The chain time (Unix seconds, the latest block's timestamp) the statuses were judged at. */
  asOf: number;
}

/** The errors {@link listGrantStatuses} and {@link listSharedWithMe} throw. */
export type ListGrantStatusesErrorType = MeridianError;

/**
 * Sorts the grants matching `filter` into live and ended ones: the latest issue per grant id
 * (a re-issue after a revocation or expiry makes the grant live again, at its new terms), judged
 * at the latest block's time. Reads the grants' events (`listGrantEvents`), one `getGrant` per grant id, one
 * `getProvider` per grantee and the latest block, so it grows with the number of grants.
 *
 * @param ctx - The chain context (no wallet needed).
 * @param filter - `patient` and/or `grantee`.
 * @returns Live and ended grants and the chain time they were judged at.
 * @throws {@link MeridianError} (an RPC or contract failure, in plain words).
 * @example
 * ```ts
 * const { live, ended } = await listGrantStatuses(ctx, { patient });
 * ```
 */
export async function listGrantStatuses(
  ctx: MeridianContext,
  filter: ListGrantStatusesParameters,
): Promise<ListGrantStatusesReturnType> {
  const events = await listGrantEvents(ctx, filter);
  const latest = new Map<Hex, GrantEvent>();
  for (const e of events) {
    latest.delete(e.grantId); // re-insert: the map's order becomes that of the latest issues
    latest.set(e.grantId, e);
  }
  try {
    const [block, states, providers] = await Promise.all([
      ctx.publicClient.getBlock({ blockTag: "latest" }),
      Promise.all(
        [...latest.values()].map((e) => {
          const { scope, target } = encodeScope(e.scope);
          return read(ctx, {
            address: ctx.deployment.recordRegistry,
            abi: recordRegistryAbi,
            functionName: "getGrant",
            args: [e.patient, e.grantee, scope, target],
          });
        }),
      ),
      providersOf(
        ctx,
        [...latest.values()].map((e) => e.grantee),
      ),
    ]);
    const now = Number(block.timestamp);
    const live: GrantStatus[] = [];
    const ended: EndedGrant[] = [];
    [...latest.values()].forEach((event, i) => {
      const state = states[i]!;
      const grant: GrantStatus = {
        ...event,
        write: state.write,
        expiresAt: Number(state.expiresAt),
        keyEpoch: state.keyEpoch,
        issuedAt: Number(state.issuedAt),
      };
      const provider = providers.get(getAddress(event.grantee));
      const end = endOf(Number(state.revokedAt), grant.expiresAt, provider, now);
      if (end === undefined) live.push(grant);
      else ended.push({ ...grant, ...end });
    });
    ended.sort((a, b) => b.endedAt - a.endedAt);
    return { live, ended, asOf: now };
  } catch (error) {
    throw toMeridianError(error);
  }
}

/**
 * Provider: the grants patients gave `grantee`, split into live ones (what it may open now) and
 * ended ones (revoked, expired, or ended by the grantee's own suspension or removal), each at
 * its latest issue. See {@link listGrantStatuses}.
 *
 * @param ctx - The chain context.
 * @param parameters - `grantee`: the provider's address.
 * @returns `{ live, ended, asOf }`.
 * @throws {@link MeridianError} on an RPC or contract failure.
 * @example
 * ```ts
 * const { live, ended } = await listSharedWithMe(client.ctx, { grantee: client.address });
 * for (const g of ended) console.log(g.patient, g.reason, new Date(g.endedAt * 1000));
 * ```
 */
export function listSharedWithMe(
  ctx: MeridianContext,
  parameters: { grantee: Address },
): Promise<ListGrantStatusesReturnType> {
  return listGrantStatuses(ctx, { grantee: parameters.grantee });
}

/** The registry entries of `grantees`, one read per distinct address, keyed by checksummed address. */
async function providersOf(ctx: MeridianContext, grantees: Address[]): Promise<Map<Address, ProviderInfo>> {
  const unique = [...new Set(grantees.map((g) => getAddress(g)))];
  const infos = await Promise.all(unique.map((g) => getProvider(ctx, g)));
  return new Map(infos.map((p) => [getAddress(p.address), p]));
}

/** Why and when a grant ended, or `undefined` while it works (the contract's `isGrantActive`). */
function endOf(
  revokedAt: number,
  expiresAt: number,
  provider: ProviderInfo | undefined,
  now: number,
): { reason: GrantEndReason; endedAt: number } | undefined {
  if (revokedAt !== 0) return { reason: "revoked", endedAt: revokedAt };
  if (expiresAt !== 0 && expiresAt <= now) return { reason: "expired", endedAt: expiresAt };
  const since = provider?.statusChangedAt ?? 0;
  if (provider?.status === ProviderStatus.Suspended) return { reason: "grantee-suspended", endedAt: since };
  if (provider?.status !== ProviderStatus.Active) return { reason: "grantee-removed", endedAt: since };
  return undefined;
}
