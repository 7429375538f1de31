"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { Hex } from "viem";
import type { MeridianClient } from "@meridian/sdk";
import { ProviderStatus } from "@meridian/sdk/chain";
import { ErrorText } from "@/components/error-text.tsx";
import { Gate } from "@/components/gate.tsx";
import { SessionReview } from "@/components/monitoring/session-review.tsx";
import { describeError, useMeridian } from "@/lib/meridian.tsx";
import { formatTime } from "@/lib/format.ts";
import { providerStatusLabel } from "@/lib/labels.ts";
import { providerQueryOptions } from "@/lib/queries.ts";
import { providerSessionsQueryOptions } from "@/lib/queries-care.ts";

export default function MonitoringPage() {
  const { client } = useMeridian();
  return (
    <>
      <h1>Remote monitoring</h1>
      <Gate audience="provider">{client ? <Sessions client={client} /> : null}</Gate>
    </>
  );
}

/** The sessions this provider opened, newest first; one selected for review. */
function Sessions({ client }: { client: MeridianClient }) {
  const me = useQuery(providerQueryOptions(client.ctx, { provider: client.address }));
  const sessions = useQuery(providerSessionsQueryOptions(client.ctx, { provider: client.address }));
  const [selected, setSelected] = useState<Hex | undefined>(undefined);
  if (me.data && me.data.status !== ProviderStatus.Active) {
    return (
      <p className="alert" role="alert" data-testid="provider-refused">
        {me.data.status === ProviderStatus.None
          ? "This account is not an admitted provider."
          : `Your access is ${providerStatusLabel(me.data.status).toLowerCase()}.`}{" "}
        Only an active monitoring provider reviews sessions.
      </p>
    );
  }
  const session = sessions.data?.find((s) => s.sessionId === selected);
  return (
    <>
      <section className="card" aria-labelledby="sessions-title">
        <h2 id="sessions-title">Monitoring sessions</h2>
        <p className="muted">
          Your medical server opens a session when a patient who named you as their monitoring provider starts
          streaming. Each ECG window arrives signed by the patient&apos;s sensor, edge device and fog relay, and is
          stored as an encrypted Cardiac record; windows with an abnormal rhythm or beat are flagged for you.
        </p>
        <ErrorText error={sessions.error ? describeError(sessions.error) : undefined} />
        {sessions.data?.length === 0 ? (
          <p>No sessions yet. A patient names you as their monitoring provider from their own wallet.</p>
        ) : null}
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Patient</th>
                <th scope="col">Opened</th>
                <th scope="col">Windows</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="muted">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(sessions.data ?? []).map((s) => (
                <tr key={s.sessionId} data-testid="session-row">
                  <td className="mono">{s.patient}</td>
                  <td>{formatTime(s.openedAt)}</td>
                  <td>{s.recordCount}</td>
                  <td data-testid="session-status">
                    {s.open ? "Open, awaiting diagnosis" : s.diagnosisRecordId ? "Diagnosis signed" : "Closed"}
                  </td>
                  <td>
                    <button
                      type="button"
                      className="secondary"
                      onClick={() => setSelected(s.sessionId)}
                      aria-pressed={selected === s.sessionId}
                    >
                      Review
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      {session ? <SessionReview key={session.sessionId} client={client} session={session} /> : null}
    </>
  );
}
