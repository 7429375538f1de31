"use client";

import { useQuery } from "@tanstack/react-query";
import { isAddressEqual, type Address } from "viem";
import { EMERGENCY_REASONS, type EmergencyAccessEntry } from "@meridian/sdk/chain";
import type { MeridianClient } from "@meridian/sdk";
import { formatTime } from "@/lib/format.ts";
import { useAction } from "@/lib/use-action.ts";
import { emergencyAccessesQueryOptions, staleAfter, useInvalidate } from "@/lib/queries.ts";
import { ErrorText } from "../error-text.tsx";
import { ProviderName } from "../provider-name.tsx";
import styles from "../consent/consent.module.css";

/** A reason code with its meaning, e.g. "ETREAT (Emergency treatment)". */
export function reasonLabel(reason: string): string {
  const meaning = (EMERGENCY_REASONS as Record<string, string>)[reason];
  return meaning ? `${reason} (${meaning})` : reason;
}

/** The emergency accesses to `patient`, newest first (shared query, also used by the audit log). */
export function useEmergencyAccesses(client: MeridianClient, patient: Address) {
  return useQuery(emergencyAccessesQueryOptions(client, { patient }));
}

/**
 * Emergency accesses first, as alerts above the rest of an audit log: who opened access, why,
 * until when. Shown to the patient and to its guardians.
 */
export function EmergencyAlerts({ client, patient }: { client: MeridianClient; patient: Address }) {
  const accesses = useEmergencyAccesses(client, patient);
  if (!accesses.data?.length) return null;
  return (
    <div role="alert" aria-label="Emergency accesses">
      {accesses.data.map((a) => (
        <p key={`${a.provider}-${a.blockNumber}`} className={styles.emergency} data-testid="emergency-alert">
          <ProviderName client={client} address={a.provider} /> opened emergency access — {a.reason} —{" "}
          {a.active ? "until" : "ended"} {formatTime(a.expiresAt)}
          {a.releasedBy ? ". The key was released." : ". No key released."}
        </p>
      ))}
    </div>
  );
}

/**
 * The emergency accesses to `patient` as a table, with "Release key" (the patient or a SHARE
 * AND VIEW guardian; `releaseBlocked` says why not otherwise) and "End access".
 */
export function EmergencyAccessList({
  client,
  patient,
  releaseBlocked,
}: {
  client: MeridianClient;
  patient: Address;
  releaseBlocked?: string;
}) {
  const invalidate = useInvalidate();
  const accesses = useEmergencyAccesses(client, patient);
  const refresh = () => invalidate(staleAfter.emergencyAccess(patient));
  const release = useAction(async (provider: Address) => {
    await client.releaseEmergencyKey({ patient, provider });
    await refresh();
  });
  const close = useAction(async (provider: Address) => {
    await client.closeEmergencyAccess({ patient, provider });
    await refresh();
  });
  const self = isAddressEqual(patient, client.address);
  const releasedBy = (a: EmergencyAccessEntry) => {
    if (!a.releasedBy) return <span className="muted">not released</span>;
    if (isAddressEqual(a.releasedBy, patient)) return self ? "you" : "the patient";
    if (isAddressEqual(a.releasedBy, client.address)) return "you";
    return (
      <>
        guardian <span className="mono">{a.releasedBy}</span>
      </>
    );
  };
  return (
    <>
      {accesses.data?.length === 0 ? <p className="muted">No provider has opened emergency access.</p> : null}
      {accesses.data?.length ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Provider</th>
                <th scope="col">Reason</th>
                <th scope="col">Opened</th>
                <th scope="col">Ends</th>
                <th scope="col">Status</th>
                <th scope="col">Key released by</th>
                <th scope="col">
                  <span className="muted">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {accesses.data.map((a) => (
                <tr key={`${a.provider}-${a.blockNumber}`} data-testid="emergency-row">
                  <td>
                    <ProviderName client={client} address={a.provider} department />
                  </td>
                  <td>{reasonLabel(a.reason)}</td>
                  <td>
                    {a.openedAt ? (
                      formatTime(a.openedAt)
                    ) : (
                      <span className="muted">block {a.blockNumber.toString()}</span>
                    )}
                  </td>
                  <td>{formatTime(a.expiresAt)}</td>
                  <td>{a.active ? <span className="bad">active</span> : <span className="muted">ended</span>}</td>
                  <td>{releasedBy(a)}</td>
                  <td>
                    {a.active ? (
                      <div className="row">
                        {!a.releasedBy ? (
                          <button
                            type="button"
                            disabled={release.pending || releaseBlocked !== undefined}
                            title={releaseBlocked}
                            onClick={() => void release.start(a.provider)}
                          >
                            {release.pending ? "Releasing…" : "Release key"}
                          </button>
                        ) : null}
                        <button
                          type="button"
                          className="danger"
                          disabled={close.pending}
                          onClick={() => void close.start(a.provider)}
                        >
                          End access
                        </button>
                      </div>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {releaseBlocked && accesses.data?.some((a) => a.active && !a.releasedBy) ? (
        <p className="muted">{releaseBlocked}</p>
      ) : null}
      <p className="muted">
        Releasing the key lets that provider open the emergency summary only, until the access ends. Ending the access
        stops it at once.
      </p>
      <ErrorText error={release.error ?? close.error} />
    </>
  );
}
