/**
 * The web app's data layer: typed query keys and TanStack Query options over SDK actions, paired
 * as wagmi pairs `getBalanceQueryKey` with `getBalanceQueryOptions`. A component reads with
 * `useQuery(liveThingQueryOptions(context, parameters))` and, after a write, invalidates what the
 * write made stale by key prefix ({@link staleAfter}, {@link useInvalidate}); no component spells a
 * key or an invalidation list by hand.
 *
 * Keys are arrays whose first element names the list and whose next elements narrow it (patient,
 * record id): invalidating a shorter prefix (`queryKeys.records()`) invalidates every narrower one.
 * Options taking an optional context or address skip the query (`skipToken`) until both are known.
 *
 * The options of peer-validation and remote-monitoring queries are in `queries-care.ts` (their
 * keys are here, with the others).
 *
 * @module
 */
import { queryOptions, skipToken, useQueryClient, type QueryClient, type QueryKey } from "@tanstack/react-query";
import { useCallback } from "react";
import type { Address, Hex } from "viem";
import {
  consentNonceUsed,
  getPatient,
  getProvider,
  isRegulator,
  listPatientGrants,
  listPendingAccessRequests,
  listProviders,
  listSharingPatients,
  type MeridianContext,
} from "@meridian/sdk/chain";
import type { MeridianClient } from "@meridian/sdk";
import { publicKeyToBytes32 } from "@meridian/sdk/crypto";

// ---------------------------------------------------------------------------- keys

/** Query keys of everything the app reads, by list. Shorter keys are prefixes of longer ones. */
export const queryKeys = {
  /** A provider's registry entry. */
  provider: (provider: Address | undefined) => ["provider", provider] as const,
  /** Every admitted provider (the regulator's table). */
  providers: () => ["providers"] as const,
  /** Whether `account` holds the regulator role. */
  isRegulator: (account: Address | undefined) => ["is-regulator", account] as const,
  /** Which roles `account` has (the home page). */
  roles: (account: Address | undefined) => ["roles", account] as const,
  /** A patient's registry entry. */
  patient: (patient: Address | undefined) => ["patient", patient] as const,
  /** The public key `provider`'s wallet derives for key version `version`. */
  providerKey: (provider: Address, version: number) => ["my-key", provider, version] as const,
  /** A patient's unrevoked grants. */
  grants: (patient: Address) => ["grants", patient] as const,
  /** Access requests waiting for a patient. */
  requests: (patient: Address) => ["requests", patient] as const,
  /** A patient's audit trail. */
  audit: (patient: Address) => ["audit", patient] as const,
  /** The patients who share with `grantee`. */
  shared: (grantee: Address) => ["shared", grantee] as const,
  /** A patient's record anchors; without a patient, every patient's (a prefix). */
  records: (patient?: Address) => (patient ? (["records", patient] as const) : (["records"] as const)),
  /** One record as `reader` opened it (fetched, verified, decrypted). */
  record: (reader: Address, recordId: Hex) => ["record", reader, recordId] as const,
  /** A patient's guardians. */
  guardians: (patient: Address) => ["guardians", patient] as const,
  /** The patients `guardian` guards. */
  wards: (guardian: Address) => ["wards", guardian] as const,
  /** Keyholders of a patient's older key epoch; without a patient, every patient's (a prefix). */
  staleKeys: (patient?: Address) => (patient ? (["stale-keys", patient] as const) : (["stale-keys"] as const)),
  /** Keyholders whose access ended but who hold the current epoch's keys (under `staleKeys(patient)`). */
  retiredKeys: (patient: Address) => ["stale-keys", patient, "retired"] as const,
  /** A patient's emergency summary record id. */
  emergencySummary: (patient: Address) => ["emergency-summary", patient] as const,
  /** The emergency accesses to a patient. */
  emergencyAccesses: (patient: Address) => ["emergency", patient] as const,
  /** The emergency accesses `provider` opened. */
  myEmergencyAccesses: (provider: Address) => ["my-emergency", provider] as const,
  /** Whether a consent code's nonce was used (redeemed or cancelled). */
  consentUsed: (patient: Address, nonce: bigint) => ["consent-used", patient, nonce.toString()] as const,
  /** The latest block's timestamp. */
  chainTime: () => ["chain-time"] as const,
  /** The last blocks, for the metrics page. */
  metricBlocks: () => ["metric-blocks"] as const,

  /** A patient's chosen monitoring provider. */
  monitoringProvider: (patient: Address) => ["monitoring-provider", patient] as const,
  /** A patient's monitoring devices. */
  devices: (patient: Address) => ["devices", patient] as const,
  /** A patient's monitoring sessions. */
  patientSessions: (patient: Address) => ["my-sessions", patient] as const,
  /** The monitoring sessions a provider opened; without a provider, every provider's (a prefix). */
  providerSessions: (provider?: Address) =>
    provider ? (["monitoring-sessions", provider] as const) : (["monitoring-sessions"] as const),
  /** The window records of one monitoring session. */
  sessionRecords: (sessionId: Hex) => ["session-records", sessionId] as const,
  /** One ECG window record as `reader` opened it. */
  ecgWindow: (reader: Address, recordId: Hex) => ["ecg-window", reader, recordId] as const,

  /** The cases `validator` was drawn to check. */
  validatorAssignments: (validator: Address) => ["validation-assigned", validator] as const,
  /** One peer-validation case. */
  validationCase: (recordId: Hex) => ["validation-case", recordId] as const,
  /** A case's record as `validator` opened it. */
  validatorRecord: (validator: Address, recordId: Hex) => ["validator-record", validator, recordId] as const,
  /** The validation statuses of these records; without ids, of any records (a prefix). */
  validationStatuses: (recordIds: readonly Hex[] = []) => ["validation-statuses", ...recordIds] as const,
  /** The validator pool's members. */
  validatorPool: () => ["validator-pool"] as const,
  /** The diagnoses `author` submitted for validation. */
  validationSubmissions: (author: Address) => ["validation-submissions", author] as const,
  /** The validation key shares of one case. */
  validationShares: (recordId: Hex) => ["validation-shares", recordId] as const,
} as const;

// -------------------------------------------------------------------- invalidation

/**
 * What a write makes stale, as lists of key prefixes for {@link invalidateQueries}. One entry per
 * kind of write, so components that make the same kind of write refresh the same lists.
 */
export const staleAfter = {
  /** A grant issued or revoked, or a request approved or denied. */
  sharing: (patient: Address): QueryKey[] => [
    queryKeys.grants(patient),
    queryKeys.requests(patient),
    queryKeys.audit(patient),
  ],
  /**
   * The patient's keys moved or were handed on: a key epoch advanced (with the grants and
   * guardians re-keyed), a guardian appointed or removed.
   */
  keys: (patient: Address): QueryKey[] => [
    queryKeys.staleKeys(patient),
    queryKeys.guardians(patient),
    queryKeys.grants(patient),
    queryKeys.audit(patient),
  ],
  /** Records anchored (by anyone, for any patient): a write may also have moved a patient to new keys. */
  upload: (): QueryKey[] => [queryKeys.records(), queryKeys.staleKeys()],
  /** A new emergency summary stored and named. */
  emergencySummary: (patient: Address): QueryKey[] => [
    queryKeys.emergencySummary(patient),
    queryKeys.records(patient),
    queryKeys.audit(patient),
  ],
  /** An emergency key released or an emergency access ended. */
  emergencyAccess: (patient: Address): QueryKey[] => [queryKeys.emergencyAccesses(patient), queryKeys.audit(patient)],
  /** The patient's monitoring set-up changed: provider chosen or cleared, device registered or revoked. */
  monitoring: (patient: Address): QueryKey[] => [
    queryKeys.monitoringProvider(patient),
    queryKeys.devices(patient),
    queryKeys.patientSessions(patient),
    queryKeys.grants(patient),
    queryKeys.audit(patient),
  ],
  /** A peer-validation case moved on: submitted, drawn, keys shared, a validator replaced or a vote cast. */
  validationCase: (recordId: Hex): QueryKey[] => [
    queryKeys.validationCase(recordId),
    queryKeys.validationShares(recordId),
    queryKeys.validationStatuses(),
  ],
} as const;

/** Invalidates (marks stale and refetches if shown) every query under each key prefix in `keys`. */
export async function invalidateQueries(queryClient: QueryClient, keys: readonly QueryKey[]): Promise<void> {
  await Promise.all(keys.map((queryKey) => queryClient.invalidateQueries({ queryKey })));
}

/** {@link invalidateQueries} bound to the app's query client, for a component's write actions. */
export function useInvalidate(): (keys: readonly QueryKey[]) => Promise<void> {
  const queryClient = useQueryClient();
  return useCallback((keys: readonly QueryKey[]) => invalidateQueries(queryClient, keys), [queryClient]);
}

// ------------------------------------------------------------ registry and roles

/** A provider's registry entry (`getProvider`; status `ProviderStatus.None` when never admitted). */
export function providerQueryOptions(ctx: MeridianContext | undefined, p: { provider: Address | undefined }) {
  const { provider } = p;
  return queryOptions({
    queryKey: queryKeys.provider(provider),
    queryFn: ctx && provider ? () => getProvider(ctx, provider) : skipToken,
  });
}

/** Every provider ever admitted, with its current entry, oldest first (`listProviders`). */
export function providersQueryOptions(ctx: MeridianContext | undefined) {
  return queryOptions({ queryKey: queryKeys.providers(), queryFn: ctx ? () => listProviders(ctx) : skipToken });
}

/** Whether `account` holds the regulator role (`isRegulator`). */
export function isRegulatorQueryOptions(ctx: MeridianContext | undefined, p: { account: Address | undefined }) {
  const { account } = p;
  return queryOptions({
    queryKey: queryKeys.isRegulator(account),
    queryFn: ctx && account ? () => isRegulator(ctx, account) : skipToken,
  });
}

/** Which roles `account` has: registered patient, provider status code, regulator. */
export function rolesQueryOptions(ctx: MeridianContext | undefined, p: { account: Address | undefined }) {
  const { account } = p;
  return queryOptions({
    queryKey: queryKeys.roles(account),
    queryFn:
      ctx && account
        ? async () => {
            const [patient, provider, regulator] = await Promise.all([
              getPatient(ctx, account),
              getProvider(ctx, account),
              isRegulator(ctx, account),
            ]);
            return { patient: patient.registered, provider: provider.status, regulator };
          }
        : skipToken,
  });
}

/** A patient's registry entry (`getPatient`; `registered` false before registration). */
export function patientQueryOptions(ctx: MeridianContext | undefined, p: { patient: Address | undefined }) {
  const { patient } = p;
  return queryOptions({
    queryKey: queryKeys.patient(patient),
    queryFn: ctx && patient ? () => getPatient(ctx, patient) : skipToken,
  });
}

/**
 * The X25519 public key (32 bytes, hex) the connected provider's wallet derives for key version
 * `version`; compare it with the registry's to tell whether the published key is this wallet's.
 */
export function providerKeyQueryOptions(client: MeridianClient, p: { version: number }) {
  return queryOptions({
    queryKey: queryKeys.providerKey(client.address, p.version),
    queryFn: async () => publicKeyToBytes32((await client.keys(p.version)).publicKey),
  });
}

// ----------------------------------------------------------------------- sharing

/** A patient's unrevoked grants with their grantees' entries (`listPatientGrants`). */
export function patientGrantsQueryOptions(ctx: MeridianContext, p: { patient: Address }) {
  return queryOptions({ queryKey: queryKeys.grants(p.patient), queryFn: () => listPatientGrants(ctx, p) });
}

/** The access requests waiting for `patient`, with the requesters' entries (`listPendingAccessRequests`). */
export function pendingRequestsQueryOptions(ctx: MeridianContext, p: { patient: Address }) {
  return queryOptions({ queryKey: queryKeys.requests(p.patient), queryFn: () => listPendingAccessRequests(ctx, p) });
}

/** The patients who share with `grantee` now, and the grants that ended (`listSharingPatients`). */
export function sharingPatientsQueryOptions(ctx: MeridianContext, p: { grantee: Address }) {
  return queryOptions({ queryKey: queryKeys.shared(p.grantee), queryFn: () => listSharingPatients(ctx, p) });
}

/** A patient's audit trail, oldest first (`MeridianClient.audit`). */
export function auditQueryOptions(client: MeridianClient, p: { patient: Address }) {
  return queryOptions({ queryKey: queryKeys.audit(p.patient), queryFn: () => client.audit(p.patient) });
}

/** Whether a consent code's nonce was used: redeemed by the provider or cancelled (`consentNonceUsed`). */
export function consentUsedQueryOptions(ctx: MeridianContext, p: { patient: Address; nonce: bigint }) {
  return queryOptions({
    queryKey: queryKeys.consentUsed(p.patient, p.nonce),
    queryFn: () => consentNonceUsed(ctx, p.patient, p.nonce),
  });
}

// ----------------------------------------------------------------------- records

/** A patient's record anchors, oldest first (`MeridianClient.listRecords`). */
export function recordsQueryOptions(client: MeridianClient, p: { patient: Address }) {
  return queryOptions({ queryKey: queryKeys.records(p.patient), queryFn: () => client.listRecords(p.patient) });
}

/**
 * One record fetched, verified against its anchor and decrypted in this page
 * (`MeridianClient.readRecord`). Never refetched (a record does not change) and not retried (a
 * refusal is an answer, not a glitch).
 */
export function recordQueryOptions(client: MeridianClient, p: { recordId: Hex }) {
  return queryOptions({
    queryKey: queryKeys.record(client.address, p.recordId),
    queryFn: () => client.readRecord(p.recordId),
    retry: false,
    staleTime: Infinity,
  });
}

// --------------------------------------------------------- guardians and keys

/** The connected patient's guardians (`MeridianClient.guardians`). */
export function guardiansQueryOptions(client: MeridianClient) {
  return queryOptions({ queryKey: queryKeys.guardians(client.address), queryFn: () => client.guardians() });
}

/** The patients the connected account guards (`MeridianClient.wards`). */
export function wardsQueryOptions(client: MeridianClient) {
  return queryOptions({ queryKey: queryKeys.wards(client.address), queryFn: () => client.wards() });
}

/** The connected patient's grants and guardians holding an older key epoch (`staleKeyHolders`). */
export function staleKeyHoldersQueryOptions(client: MeridianClient) {
  return queryOptions({ queryKey: queryKeys.staleKeys(client.address), queryFn: () => client.staleKeyHolders() });
}

/** Keyholders whose access ended but who hold the current epoch's keys (`retiredKeyHolders`). */
export function retiredKeyHoldersQueryOptions(client: MeridianClient) {
  return queryOptions({ queryKey: queryKeys.retiredKeys(client.address), queryFn: () => client.retiredKeyHolders() });
}

// --------------------------------------------------------------------- emergency

/** The connected patient's emergency summary record id (`MeridianClient.emergencySummary`). */
export function emergencySummaryQueryOptions(client: MeridianClient) {
  return queryOptions({
    queryKey: queryKeys.emergencySummary(client.address),
    queryFn: () => client.emergencySummary(),
  });
}

/** The emergency accesses to `patient`, newest first, refreshed every 10 s (`emergencyAccesses`). */
export function emergencyAccessesQueryOptions(client: MeridianClient, p: { patient: Address }) {
  return queryOptions({
    queryKey: queryKeys.emergencyAccesses(p.patient),
    queryFn: () => client.emergencyAccesses(p.patient),
    refetchInterval: 10_000,
  });
}

/**
 * The emergency accesses the connected provider opened (`myEmergencyAccesses`); while one waits
 * for its key, refreshed every 3 s.
 */
export function myEmergencyAccessesQueryOptions(client: MeridianClient) {
  return queryOptions({
    queryKey: queryKeys.myEmergencyAccesses(client.address),
    queryFn: () => client.myEmergencyAccesses(),
    refetchInterval: (q) => (q.state.data?.some((a) => a.active && !a.releasedBy) ? 3000 : false),
  });
}

// ------------------------------------------------------------------------- chain

/**
 * The chain's clock: the latest block's timestamp (Unix seconds), refreshed every 30 s. Deadlines
 * are judged by it, not by the wall clock (a local chain may run ahead).
 */
export function chainTimeQueryOptions(ctx: MeridianContext) {
  return queryOptions({
    queryKey: queryKeys.chainTime(),
    queryFn: async () => Number((await ctx.publicClient.getBlock()).timestamp),
    refetchInterval: 30_000,
  });
}

/** One block on the metrics page: number, time (Unix seconds), transactions, gas used (gas units). */
export interface MetricBlock {
  number: number;
  timestamp: number;
  txs: number;
  gasUsed: number;
}

/** The last `count` blocks (oldest first), refreshed every 5 s. */
export function metricBlocksQueryOptions(ctx: MeridianContext | undefined, p: { count: number }) {
  return queryOptions({
    queryKey: queryKeys.metricBlocks(),
    refetchInterval: 5_000,
    queryFn: ctx
      ? async (): Promise<MetricBlock[]> => {
          const client = ctx.publicClient;
          const latest = await client.getBlockNumber();
          const count = BigInt(p.count);
          const from = latest > count ? latest - count + 1n : 0n;
          const numbers = Array.from({ length: Number(latest - from + 1n) }, (_, i) => from + BigInt(i));
          const list = await Promise.all(numbers.map((n) => client.getBlock({ blockNumber: n })));
          return list.map((b) => ({
            number: Number(b.number),
            timestamp: Number(b.timestamp),
            txs: b.transactions.length,
            gasUsed: Number(b.gasUsed),
          }));
        }
      : skipToken,
  });
}
