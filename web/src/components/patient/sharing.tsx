"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { Address, Hex } from "viem";
import { getGrant, getProvider, listGrantEvents, type GrantEvent, type PendingRequest } from "@meridian/sdk/chain";
import type { MeridianClient } from "@meridian/sdk";
import { formatScope, formatTime } from "@/lib/format.ts";
import { useAction } from "@/lib/use-action.ts";
import { ErrorText } from "../error-text.tsx";
import { EmergencyAlerts } from "../emergency/accesses.tsx";

/** Seconds from a `<input type="date">` value (end of that day, local time), or 0 for none. */
function expiryFromDate(value: string): number {
  if (!value) return 0;
  return Math.floor(new Date(`${value}T23:59:59`).getTime() / 1000);
}

/** The patient's live grants (who, scope, write, until when) with revoke. */
export function Grants({ client, patient }: { client: MeridianClient; patient: Address }) {
  const queryClient = useQueryClient();
  const grants = useQuery({
    queryKey: ["grants", patient],
    queryFn: async () => {
      const events = await listGrantEvents(client.ctx, { patient });
      const latest = new Map<Hex, GrantEvent>();
      for (const e of events) latest.set(e.grantId, e);
      const rows = await Promise.all(
        [...latest.values()].map(async (e) => {
          const [state, provider] = await Promise.all([getGrant(client.ctx, { patient, grantee: e.grantee, scope: e.scope }), getProvider(client.ctx, e.grantee)]);
          return { event: e, state, provider };
        }),
      );
      return rows.filter((r) => r.state.revokedAt === 0);
    },
  });
  const revoke = useAction(async (grantee: Address, scope: GrantEvent["scope"]) => {
    await client.revoke({ grantee, scope });
    await queryClient.invalidateQueries({ queryKey: ["grants", patient] });
    await queryClient.invalidateQueries({ queryKey: ["audit", patient] });
  });
  return (
    <section className="card" aria-labelledby="grants-title">
      <h2 id="grants-title">Who can read your records</h2>
      {grants.data?.length === 0 ? <p className="muted">Nobody: you have not shared anything.</p> : null}
      <div className="table-wrap">
        <table>
          <thead><tr><th scope="col">Provider</th><th scope="col">Scope</th><th scope="col">Write</th><th scope="col">Until</th><th scope="col">Status</th><th scope="col"><span className="muted">Action</span></th></tr></thead>
          <tbody>
            {(grants.data ?? []).map(({ event, state, provider }) => (
              <tr key={event.grantId} data-testid="grant-row">
                <td>{provider.name || <span className="mono">{event.grantee}</span>}</td>
                <td>{formatScope(event.scope)}</td>
                <td>{state.write ? "yes" : "no"}</td>
                <td>{state.expiresAt ? formatTime(state.expiresAt) : "no expiry"}</td>
                <td>{state.active ? <span className="ok">active</span> : <span className="warn">inactive</span>}</td>
                <td><button type="button" className="danger" disabled={revoke.pending} onClick={() => void revoke.start(event.grantee, event.scope)}>Revoke</button></td>
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
export function RequestInbox({ client, patient, blocked }: { client: MeridianClient; patient: Address; blocked?: string }) {
  const queryClient = useQueryClient();
  const requests = useQuery({ queryKey: ["requests", patient], queryFn: () => client.pendingRequests(patient) });
  const refresh = async () => {
    await Promise.all(["requests", "grants", "audit"].map((k) => queryClient.invalidateQueries({ queryKey: [k, patient] })));
  };
  return (
    <section className="card" aria-labelledby="requests-title">
      <h2 id="requests-title">Access requests</h2>
      {requests.data?.length === 0 ? <p className="muted">No requests waiting.</p> : null}
      {(requests.data ?? []).map((r) => (
        <RequestItem key={r.requestId} client={client} patient={patient} request={r} onDone={refresh} blocked={blocked} />
      ))}
      {blocked && requests.data?.length ? <p className="muted" data-testid="requests-blocked">{blocked}</p> : null}
    </section>
  );
}

function RequestItem({ client, patient, request, onDone, blocked }: { client: MeridianClient; patient: Address; request: PendingRequest; onDone: () => Promise<void>; blocked: string | undefined }) {
  const provider = useQuery({ queryKey: ["provider", request.requester], queryFn: () => getProvider(client.ctx, request.requester) });
  const defaultDays = Math.max(1, Math.round(request.durationSeconds / 86_400));
  const [until, setUntil] = useState(() => new Date(Date.now() + defaultDays * 86_400_000).toISOString().slice(0, 10));
  const approve = useAction(async () => {
    await client.approveRequest({ patient, requester: request.requester, scope: request.scope, write: request.write, expiresAt: expiryFromDate(until) });
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
        <strong>{provider.data?.name || request.requester}</strong>
        {provider.data?.department ? ` (${provider.data.department})` : ""} asks to {request.write ? "read and add to" : "read"} <strong>{formatScope(request.scope)}</strong> for {defaultDays} days.
      </p>
      {request.purpose ? <p>Purpose: {request.purpose}</p> : null}
      <div className="row">
        <label htmlFor={id}>Access until</label>
        <input id={id} type="date" value={until} min={new Date().toISOString().slice(0, 10)} onChange={(e) => setUntil(e.target.value)} />
        <button type="button" disabled={approve.pending || deny.pending || blocked !== undefined} title={blocked} onClick={() => void approve.start()}>Approve</button>
        <button type="button" className="secondary" disabled={approve.pending || deny.pending || blocked !== undefined} title={blocked} onClick={() => void deny.start()}>Deny</button>
      </div>
      <ErrorText error={approve.error ?? deny.error} />
    </div>
  );
}

/**
 * Every event that concerns the patient, newest first: records, grants, revocations, requests,
 * guardians' actions; emergency accesses come first, as alerts above the table.
 */
export function AuditLog({ client, patient }: { client: MeridianClient; patient: Address }) {
  const audit = useQuery({ queryKey: ["audit", patient], queryFn: () => client.audit(patient) });
  return (
    <section className="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <EmergencyAlerts client={client} patient={patient} />
      <div className="table-wrap">
        <table>
          <thead><tr><th scope="col">Block</th><th scope="col">Event</th><th scope="col">Who</th></tr></thead>
          <tbody>
            {[...(audit.data ?? [])].reverse().map((e) => (
              <tr key={`${e.transactionHash}-${e.logIndex}`} data-testid="audit-row">
                <td>{e.blockNumber.toString()}</td>
                <td>{e.event}</td>
                <td className="mono">{String(e.args.guardian ?? e.args.grantee ?? e.args.requester ?? e.args.provider ?? e.args.author ?? "")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
