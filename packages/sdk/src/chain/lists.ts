/**
 * The lists a screen shows, as actions: a patient's grants (who may read, and which grants lapsed),
 * the patients who share with a provider (grouped by patient), and the access requests still
 * waiting for a patient's decision (to a patient, or from a provider). Each one reads events and
 * storage in a few batched calls, so a screen never combines `listGrantEvents`, `getGrant` and
 * `getProvider` by hand.
 *
 * All three grow with what they list (the events, then one or two reads per item and one
 * `getProvider` per distinct provider): directory views, not something to call per block. A
 * patient's lists read the patient's event walk (one `eth_getLogs` per block of the patient's
 * events, whatever the chain's length); a provider's, ranged reads (docs/event-reads.md).
 *
 * @module
 */
import { getAddress, hexToString, isAddressEqual, type Address, type Hex } from "viem";
import type { MeridianError } from "../errors.ts";
import { recordRegistryAbi } from "../generated/contracts.ts";
import { getProvider, type ProviderInfo } from "./actions.ts";
import { read } from "./contract.ts";
import { toMeridianError } from "./errors.ts";
import { eventsNamed, walkPatientEvents } from "./event-walk.ts";
import { getLogsInRanges } from "./logs.ts";
import { decodeScope, type PendingRequest } from "./grants.ts";
import { listGrantStatuses, type EndedGrant, type GrantEndReason, type GrantStatus } from "./grant-status.ts";
import { RequestStatus, type MeridianContext } from "./types.ts";

/** Registry entries of `providers` (each address read once), keyed by checksummed address. */
async function providerEntries(
  ctx: MeridianContext,
  providers: readonly Address[],
): Promise<Map<Address, ProviderInfo>> {
  const unique = [...new Set(providers.map((p) => getAddress(p)))];
  const infos = await Promise.all(unique.map((p) => getProvider(ctx, p)));
  return new Map(unique.map((p, i) => [p, infos[i]!]));
}

// ------------------------------------------------------------ patient grants

/** Parameters of {@link listPatientGrants}. */
export interface ListPatientGrantsParameters {
  /** The patient whose grants to list. */
  patient: Address;
}

/** One grant a patient gave and has not revoked, as the patient's "who can read" table shows it. */
export interface PatientGrant extends GrantStatus {
  /** The grantee's provider registry entry (name, department, kind, status). */
  provider: ProviderInfo;
  /** Whether the grant works now (the contract's `isGrantActive` at {@link ListPatientGrantsReturnType.asOf}). */
  active: boolean;
  /**
   * Why an inactive grant stopped working (it `expired`, or its grantee was suspended or removed)
   * and since when (Unix seconds); absent while `active`.
   */
  lapsed?: { reason: Exclude<GrantEndReason, "revoked">; endedAt: number };
}

/** What {@link listPatientGrants} returns. */
export interface ListPatientGrantsReturnType {
  /** The patient's unrevoked grants at their latest issue, oldest latest issue first. */
  grants: PatientGrant[];
  /** The chain time (Unix seconds, the latest block's timestamp) `active` was judged at. */
  asOf: number;
}

/** The errors {@link listPatientGrants} throws. */
export type ListPatientGrantsErrorType = MeridianError;

/**
 * Patient: every grant `patient` gave and has not revoked, at its latest issue, with the
 * grantee's registry entry and whether it works now. A grant that expired or whose grantee is
 * suspended or removed stays listed (inactive, with why): the patient may still revoke it, and a
 * reinstatement revives it. Revoked grants are left out. Built on {@link listGrantStatuses}.
 *
 * @param ctx - The chain context (no wallet needed).
 * @param parameters - `patient`: the patient's address.
 * @returns `{ grants, asOf }`.
 * @throws {@link MeridianError} on an RPC or contract failure, in plain words.
 * @example
 * ```ts
 * const { grants } = await listPatientGrants(ctx, { patient });
 * for (const g of grants) console.log(g.provider.name, g.scope, g.active ? "active" : g.lapsed?.reason);
 * ```
 */
export async function listPatientGrants(
  ctx: MeridianContext,
  parameters: ListPatientGrantsParameters,
): Promise<ListPatientGrantsReturnType> {
  const { live, ended, asOf } = await listGrantStatuses(ctx, { patient: parameters.patient });
  type Lapsed = EndedGrant & { reason: Exclude<GrantEndReason, "revoked"> };
  const lapsed = ended.filter((g): g is Lapsed => g.reason !== "revoked");
  try {
    const providers = await providerEntries(
      ctx,
      [...live, ...lapsed].map((g) => g.grantee),
    );
    const entry = (g: GrantStatus): ProviderInfo => providers.get(getAddress(g.grantee))!;
    const grants: PatientGrant[] = [
      ...live.map((g) => ({ ...g, provider: entry(g), active: true })),
      ...lapsed.map(({ reason, endedAt, ...g }) => ({
        ...g,
        provider: entry(g),
        active: false,
        lapsed: { reason, endedAt },
      })),
    ];
    grants.sort((a, b) => (a.blockNumber < b.blockNumber ? -1 : a.blockNumber > b.blockNumber ? 1 : 0));
    return { grants, asOf };
  } catch (error) {
    throw toMeridianError(error);
  }
}

// ---------------------------------------------------------- sharing patients

/** Parameters of {@link listSharingPatients}. */
export interface ListSharingPatientsParameters {
  /** The provider (grantee) whose patients to list. */
  grantee: Address;
}

/** One patient who shares with the grantee now, with the live grants it gave. */
export interface SharingPatient {
  /** The patient's address (checksummed). */
  patient: Address;
  /** The patient's live grants to the grantee, oldest latest issue first (at least one). */
  grants: GrantStatus[];
  /** Whether any of them also lets the grantee anchor records for the patient (write consent). */
  write: boolean;
}

/** What {@link listSharingPatients} returns. */
export interface ListSharingPatientsReturnType {
  /** Patients with at least one live grant to the grantee, in the order of their oldest such grant. */
  patients: SharingPatient[];
  /** The grantee's grants that ended (revoked, expired, or by its own suspension or removal), most recent first. */
  ended: EndedGrant[];
  /** The chain time (Unix seconds) the grants were judged at. */
  asOf: number;
}

/** The errors {@link listSharingPatients} throws. */
export type ListSharingPatientsErrorType = MeridianError;

/**
 * Provider: the patients who share with `grantee` now, each with its live grants (what the
 * provider may open), and the grants that ended. {@link listSharedWithMe}, grouped by patient.
 *
 * @param ctx - The chain context (no wallet needed).
 * @param parameters - `grantee`: the provider's address.
 * @returns `{ patients, ended, asOf }`.
 * @throws {@link MeridianError} on an RPC or contract failure, in plain words.
 * @example
 * ```ts
 * const { patients } = await listSharingPatients(ctx, { grantee: provider });
 * for (const p of patients) console.log(p.patient, p.grants.length, p.write);
 * ```
 */
export async function listSharingPatients(
  ctx: MeridianContext,
  parameters: ListSharingPatientsParameters,
): Promise<ListSharingPatientsReturnType> {
  const { live, ended, asOf } = await listGrantStatuses(ctx, { grantee: parameters.grantee });
  const byPatient = new Map<Address, SharingPatient>();
  for (const grant of live) {
    const patient = getAddress(grant.patient);
    const entry = byPatient.get(patient) ?? { patient, grants: [], write: false };
    entry.grants.push(grant);
    entry.write ||= grant.write;
    byPatient.set(patient, entry);
  }
  return { patients: [...byPatient.values()], ended, asOf };
}

// ---------------------------------------------------------- pending requests

/**
 * Parameters of {@link listPendingAccessRequests}: the requests to one patient (its inbox), from
 * one provider (its outbox), or both. With neither, every pending request on the network.
 */
export interface ListPendingAccessRequestsParameters {
  /** Only requests to this patient. */
  patient?: Address | undefined;
  /** Only requests from this provider. */
  requester?: Address | undefined;
}

/** A pending access request with the requester's registry entry. */
export interface PendingAccessRequest extends PendingRequest {
  /** Unix time (seconds) of the request (`AccessRequest.requestedAt`). */
  requestedAt: number;
  /** The requester's provider registry entry (name, department, kind, status). */
  provider: ProviderInfo;
}

/** What {@link listPendingAccessRequests} returns: the pending requests, oldest first. */
export type ListPendingAccessRequestsReturnType = PendingAccessRequest[];

/** The errors {@link listPendingAccessRequests} throws. */
export type ListPendingAccessRequestsErrorType = MeridianError;

/**
 * The access requests still waiting for the patient's decision (`getRequest` status
 * `RequestStatus.Pending`), at the terms of their latest `AccessRequested` event, with the
 * requester's registry entry. Approved and denied requests are left out; a request made again
 * after a decision is pending again. Durations are in seconds; `purpose` is the purpose-of-use
 * code the provider sent (HL7 v3 PurposeOfUse, e.g. `TREAT`).
 *
 * @param ctx - The chain context (no wallet needed).
 * @param parameters - `patient` (a patient's inbox) and/or `requester` (a provider's outbox).
 * @returns The pending requests, oldest first.
 * @throws {@link MeridianError} on an RPC or contract failure, in plain words.
 * @example
 * ```ts
 * const inbox = await listPendingAccessRequests(ctx, { patient });
 * const outbox = await listPendingAccessRequests(ctx, { requester: provider });
 * ```
 */
export async function listPendingAccessRequests(
  ctx: MeridianContext,
  parameters: ListPendingAccessRequestsParameters,
): Promise<ListPendingAccessRequestsReturnType> {
  const { patient, requester } = parameters;
  const logs =
    patient !== undefined
      ? eventsNamed((await walkPatientEvents(ctx, { patient })).logs, "AccessRequested").filter(
          (l) =>
            isAddressEqual(l.args.patient, patient) &&
            (requester === undefined || isAddressEqual(l.args.requester, requester)),
        )
      : await getLogsInRanges(ctx.publicClient, {
          fromBlock: ctx.deployment.deployedAtBlock,
          query: (range) =>
            ctx.publicClient.getContractEvents({
              address: ctx.deployment.recordRegistry,
              abi: recordRegistryAbi,
              eventName: "AccessRequested",
              args: { requester },
              strict: true,
              ...range,
            }),
        });
  try {
    const latest = new Map<Hex, (typeof logs)[number]>();
    for (const log of logs) {
      latest.delete(log.args.requestId); // re-insert: the map's order becomes that of the latest requests
      latest.set(log.args.requestId, log);
    }
    const candidates = [...latest.values()];
    const stored = await Promise.all(
      candidates.map((l) =>
        read(ctx, {
          address: ctx.deployment.recordRegistry,
          abi: recordRegistryAbi,
          functionName: "getRequest",
          args: [l.args.patient, l.args.requester, l.args.scope, l.args.target],
        }),
      ),
    );
    const pending = candidates.flatMap((l, i) => {
      const request = stored[i]!;
      return request.status === RequestStatus.Pending ? [{ log: l, requestedAt: Number(request.requestedAt) }] : [];
    });
    const providers = await providerEntries(
      ctx,
      pending.map(({ log }) => log.args.requester),
    );
    return pending.map(({ log, requestedAt }) => ({
      patient: log.args.patient,
      requester: log.args.requester,
      requestId: log.args.requestId,
      scope: decodeScope(log.args.scope, log.args.target),
      write: log.args.write,
      durationSeconds: Number(log.args.duration),
      purpose: hexToString(log.args.purpose).replace(/\0+$/, ""),
      blockNumber: log.blockNumber,
      requestedAt,
      provider: providers.get(getAddress(log.args.requester))!,
    }));
  } catch (error) {
    throw toMeridianError(error);
  }
}
