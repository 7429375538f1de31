/**
 * Query options of remote monitoring and peer validation, over SDK actions; their keys and what
 * their writes make stale are in `queries.ts` ({@link queryKeys}, {@link staleAfter}).
 *
 * @module
 */
import { queryOptions, skipToken } from "@tanstack/react-query";
import type { Address, Hex } from "viem";
import {
  getMonitoringProvider,
  getProvider,
  getValidationCase,
  getValidationStatuses,
  getValidatorPool,
  listDevices,
  listSessionRecords,
  listSessions,
  listValidationKeyShares,
  listValidationSubmissions,
  listValidatorAssignments,
  PeerValidationMissingError,
  type MeridianContext,
  type ValidationStatusCode,
} from "@meridian/sdk/chain";
import { readRecordAsValidator, type MeridianClient } from "@meridian/sdk";
import { readWindowBundle } from "@meridian/monitoring/browser";
import { queryKeys } from "./queries.ts";

// ------------------------------------------------------------------ monitoring

/** A patient's monitoring provider and its registry entry, or `null` when none is chosen. */
export function monitoringProviderQueryOptions(ctx: MeridianContext, p: { patient: Address }) {
  return queryOptions({
    queryKey: queryKeys.monitoringProvider(p.patient),
    queryFn: async () => {
      const address = await getMonitoringProvider(ctx, p.patient);
      return address ? { address, entry: await getProvider(ctx, address) } : null;
    },
  });
}

/** A patient's registered monitoring devices (`listDevices`). */
export function devicesQueryOptions(ctx: MeridianContext, p: { patient: Address }) {
  return queryOptions({ queryKey: queryKeys.devices(p.patient), queryFn: () => listDevices(ctx, p.patient) });
}

/** A patient's monitoring sessions, newest first (`listSessions`). */
export function patientSessionsQueryOptions(ctx: MeridianContext, p: { patient: Address }) {
  return queryOptions({
    queryKey: queryKeys.patientSessions(p.patient),
    queryFn: async () => (await listSessions(ctx, { patient: p.patient })).reverse(),
  });
}

/** The sessions `provider` opened, newest first, refreshed every 15 s (`listSessions`). */
export function providerSessionsQueryOptions(ctx: MeridianContext, p: { provider: Address }) {
  return queryOptions({
    queryKey: queryKeys.providerSessions(p.provider),
    queryFn: async () => (await listSessions(ctx, { provider: p.provider })).reverse(),
    refetchInterval: 15_000,
  });
}

/** The window records linked to one session (`listSessionRecords`). */
export function sessionRecordsQueryOptions(ctx: MeridianContext, p: { sessionId: Hex }) {
  return queryOptions({
    queryKey: queryKeys.sessionRecords(p.sessionId),
    queryFn: () => listSessionRecords(ctx, p.sessionId),
  });
}

/** One ECG window record, read (fetched, verified, decrypted) and parsed for drawing; never refetched. */
export function ecgWindowQueryOptions(client: MeridianClient, p: { recordId: Hex }) {
  return queryOptions({
    queryKey: queryKeys.ecgWindow(client.address, p.recordId),
    queryFn: async () => {
      const { plaintext } = await client.readRecord(p.recordId);
      return readWindowBundle(JSON.parse(new TextDecoder().decode(plaintext)));
    },
    retry: false,
    staleTime: Infinity,
  });
}

// ----------------------------------------------------------------- validation

/** The cases `validator` was drawn to check, newest first, refreshed every 10 s. */
export function validatorAssignmentsQueryOptions(ctx: MeridianContext, p: { validator: Address }) {
  return queryOptions({
    queryKey: queryKeys.validatorAssignments(p.validator),
    queryFn: async () => (await listValidatorAssignments(ctx, p.validator)).reverse(),
    refetchInterval: 10_000,
  });
}

/** One peer-validation case (status, seats, votes), refreshed every 10 s (`getValidationCase`). */
export function validationCaseQueryOptions(ctx: MeridianContext, p: { recordId: Hex }) {
  return queryOptions({
    queryKey: queryKeys.validationCase(p.recordId),
    queryFn: () => getValidationCase(ctx, p.recordId),
    refetchInterval: 10_000,
  });
}

/** A case's record as the connected validator opens it (`readRecordAsValidator`); never refetched. */
export function validatorRecordQueryOptions(client: MeridianClient, p: { recordId: Hex }) {
  return queryOptions({
    queryKey: queryKeys.validatorRecord(client.address, p.recordId),
    queryFn: () => readRecordAsValidator(client, p.recordId),
    retry: false,
    staleTime: Infinity,
  });
}

/**
 * The peer-validation status of each record (one `statusOf` read each, refreshed every 15 s), by
 * lower-case record id; empty when the deployment has no PeerValidation contract.
 */
export function validationStatusesQueryOptions(ctx: MeridianContext | undefined, p: { recordIds: readonly Hex[] }) {
  const { recordIds } = p;
  return queryOptions({
    queryKey: queryKeys.validationStatuses(recordIds),
    refetchInterval: 15_000,
    queryFn:
      ctx && recordIds.length > 0
        ? async () => {
            try {
              const statuses = await getValidationStatuses(ctx, recordIds);
              return new Map(recordIds.map((id, i) => [id.toLowerCase(), statuses[i]!] as const));
            } catch (error) {
              if (error instanceof PeerValidationMissingError) return new Map<string, ValidationStatusCode>();
              throw error;
            }
          }
        : skipToken,
  });
}

/** The validator pool's members (`getValidatorPool`). */
export function validatorPoolQueryOptions(ctx: MeridianContext) {
  return queryOptions({ queryKey: queryKeys.validatorPool(), queryFn: () => getValidatorPool(ctx) });
}

/** The diagnoses `author` submitted for validation, newest first (`listValidationSubmissions`). */
export function validationSubmissionsQueryOptions(ctx: MeridianContext, p: { author: Address }) {
  return queryOptions({
    queryKey: queryKeys.validationSubmissions(p.author),
    queryFn: async () => (await listValidationSubmissions(ctx, { author: p.author })).reverse(),
  });
}

/** The validators a case's key was shared with (`listValidationKeyShares`). */
export function validationSharesQueryOptions(ctx: MeridianContext, p: { recordId: Hex }) {
  return queryOptions({
    queryKey: queryKeys.validationShares(p.recordId),
    queryFn: () => listValidationKeyShares(ctx, { recordId: p.recordId }),
  });
}
