"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { Address } from "viem";
import type { AuditEntry, GrantScope, PendingAccessRequest } from "@meridian/sdk/chain";
import type { MeridianClient } from "@meridian/sdk";
import { formatScope, formatTime } from "@/lib/format.ts";
import {
  auditQueryOptions,
  patientGrantsQueryOptions,
  pendingRequestsQueryOptions,
  staleAfter,
  useInvalidate,
} from "@/lib/queries.ts";
import { useAction } from "@/lib/use-action.ts";
import { ErrorText } from "../error-text.tsx";
import { EmergencyAlerts } from "../emergency/accesses.tsx";

/** Seconds from a `<input type="date">` value (end of that day, local time), or 0 for none. */
function expiryFromDate(value: string): number {
  if (!value) return 0;
  return Math.floor(new Date(`${value}T23:59:59`).getTime() / 1000);
}

/** The patient's unrevoked grants (who, scope, write, until when, active or not) with revoke. */
export function Grants({ client, patient }: { client: MeridianClient; patient: Address }) {
  const invalidate = useInvalidate();
  const grants = useQuery(patientGrantsQueryOptions(client.ctx, { patient }));
  const revoke = useAction(async (grantee: Address, scope: GrantScope) => {
    await client.revoke({ grantee, scope });
    await invalidate(staleAfter.sharing(patient));
  });
  return (
    <section className="card" aria-labelledby="grants-title">
      <h2 id="grants-title">Who can read your records</h2>
      {grants.data?.grants.length === 0 ? <p className="muted">Nobody: you have not shared anything.</p> : null}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Scope</th>
              <th scope="col">Write</th>
              <th scope="col">Until</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="muted">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(grants.data?.grants ?? []).map((grant) => (
              <tr key={grant.grantId} data-testid="grant-row">
                <td>{grant.provider.name || <span className="mono">{grant.grantee}</span>}</td>
                <td>{formatScope(grant.scope)}</td>
                <td>{grant.write ? "yes" : "no"}</td>
                <td>{grant.expiresAt ? formatTime(grant.expiresAt) : "no expiry"}</td>
                <td>{grant.active ? <span className="ok">active</span> : <span className="warn">inactive</span>}</td>
                <td>
                  <button
                    type="button"
                    className="danger"
                    disabled={revoke.pending}
                    onClick={() => void revoke.start(grant.grantee, grant.scope)}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ErrorText error={revoke.error} />
    </section>
  );
}

/**
 * Access requests waiting for the patient: approve with an expiry, or deny. A guardian sees its
 * ward's requests (`patient` is the ward); `blocked` says why it may not decide them (a View guardian).
 */
export function RequestInbox({
  client,
  patient,
  blocked,
}: {
  client: MeridianClient;
  patient: Address;
  blocked?: string;
}) {
  const invalidate = useInvalidate();
  const requests = useQuery(pendingRequestsQueryOptions(client.ctx, { patient }));
  const refresh = () => invalidate(staleAfter.sharing(patient));
  return (
    <section className="card" aria-labelledby="requests-title">
      <h2 id="requests-title">Access requests</h2>
      {requests.data?.length === 0 ? <p className="muted">No requests waiting.</p> : null}
      {(requests.data ?? []).map((r) => (
        <RequestItem
          key={r.requestId}
          client={client}
          patient={patient}
          request={r}
          onDone={refresh}
          blocked={blocked}
        />
      ))}
      {blocked && requests.data?.length ? (
        <p className="muted" data-testid="requests-blocked">
          {blocked}
        </p>
      ) : null}
    </section>
  );
}

function RequestItem({
  client,
  patient,
  request,
  onDone,
  blocked,
}: {
  client: MeridianClient;
  patient: Address;
  request: PendingAccessRequest;
  onDone: () => Promise<void>;
  blocked: string | undefined;
}) {
  const { provider } = request;
  const defaultDays = Math.max(1, Math.round(request.durationSeconds / 86_400));
  const [until, setUntil] = useState(() => new Date(Date.now() + defaultDays * 86_400_000).toISOString().slice(0, 10));
  const approve = useAction(async () => {
    await client.approveRequest({
      patient,
      requester: request.requester,
      scope: request.scope,
      write: request.write,
      expiresAt: expiryFromDate(until),
    });
    await onDone();
  });
  const deny = useAction(async () => {
    await client.denyRequest({ patient, requester: request.requester, scope: request.scope });
    await onDone();
  });
  const id = `until-${request.requestId.slice(2, 10)}`;
  return (
    <div className="card" data-testid="request">
      <p>
        <strong>{provider.name || request.requester}</strong>
        {provider.department ? ` (${provider.department})` : ""} asks to {request.write ? "read and add to" : "read"}{" "}
        <strong>{formatScope(request.scope)}</strong> for {defaultDays} days.
      </p>
      {request.purpose ? <p>Purpose: {request.purpose}</p> : null}
      <div className="row">
        <label htmlFor={id}>Access until</label>
        <input
          id={id}
          type="date"
          value={until}
          min={new Date().toISOString().slice(0, 10)}
          onChange={(e) => setUntil(e.target.value)}
        />
        <button
          type="button"
          disabled={approve.pending || deny.pending || blocked !== undefined}
          title={blocked}
          onClick={() => void approve.start()}
        >
          Approve
        </button>
        <button
          type="button"
          className="secondary"
          disabled={approve.pending || deny.pending || blocked !== undefined}
          title={blocked}
          onClick={() => void deny.start()}
        >
          Deny
        </button>
      </div>
      <ErrorText error={approve.error ?? deny.error} />
    </div>
  );
}

/** Who acted in an audit entry: the guardian, grantee, requester, provider or author it names. */
function actorOf(entry: AuditEntry): string {
  const { guardian, grantee, requester, provider, author } = entry.args;
  return [guardian, grantee, requester, provider, author].find((v): v is string => typeof v === "string") ?? "";
}

/**
 * Every event that concerns the patient, newest first: records, grants, revocations, requests,
 * guardians' actions; emergency accesses come first, as alerts above the table.
 */
export function AuditLog({ client, patient }: { client: MeridianClient; patient: Address }) {
  const audit = useQuery(auditQueryOptions(client, { patient }));
  return (
    <section className="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <EmergencyAlerts client={client} patient={patient} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Block</th>
              <th scope="col">Event</th>
              <th scope="col">Who</th>
            </tr>
          </thead>
          <tbody>
            {[...(audit.data ?? [])].reverse().map((e) => (
              <tr key={`${e.transactionHash}-${e.logIndex}`} data-testid="audit-row">
                <td>{e.blockNumber.toString()}</td>
                <td>{e.event}</td>
                <td className="mono">{actorOf(e)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
