"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { Address } from "viem";
import { GuardianLevel, type Guardianship } from "@meridian/sdk/chain";
import type { MeridianClient } from "@meridian/sdk";
import { useAction } from "@/lib/use-action.ts";
import { queryKeys, useInvalidate, wardsQueryOptions } from "@/lib/queries.ts";
import { ErrorText } from "../error-text.tsx";
import { EmergencyAccessList } from "../emergency/accesses.tsx";
import { AuditLog, RequestInbox } from "../patient/sharing.tsx";
import { RecordTimeline } from "../patient/records.tsx";
import { LEVEL_NAMES } from "./guardians.tsx";

const VIEW_ONLY =
  "You are a View guardian of this patient: only the patient or a Share and view guardian can decide requests and release the emergency key.";

/**
 * Guardian: the patients this account guards, at which level, and for the chosen one its
 * pending requests, emergency accesses, audit log (emergency first) and records; "Step down".
 */
export function Wards({ client }: { client: MeridianClient }) {
  const wards = useQuery(wardsQueryOptions(client));
  const [chosen, setChosen] = useState<Address | undefined>(undefined);
  const ward = wards.data?.find((w) => w.patient === chosen) ?? wards.data?.[0];
  return (
    <>
      <section className="card" aria-labelledby="wards-title">
        <h2 id="wards-title">Patients you are guardian of</h2>
        {wards.isPending ? <p role="status">Loading…</p> : null}
        <ErrorText error={wards.error ? { message: wards.error.message } : undefined} />
        {wards.data?.length === 0 ? (
          <p className="muted">
            Nobody has appointed this account as guardian. A patient appoints you from their page with your address.
          </p>
        ) : null}
        {wards.data?.length ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Patient</th>
                  <th scope="col">Your level</th>
                  <th scope="col">
                    <span className="muted">Action</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {wards.data.map((w) => (
                  <tr key={w.patient} data-testid="ward-row" aria-current={w === ward ? "true" : undefined}>
                    <td className="mono">{w.patient}</td>
                    <td>{LEVEL_NAMES[w.level]}</td>
                    <td>
                      <button
                        type="button"
                        className="secondary"
                        disabled={w === ward}
                        onClick={() => setChosen(w.patient)}
                      >
                        {w === ward ? "Shown below" : "Show"}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      {ward ? <Ward key={ward.patient} client={client} ward={ward} /> : null}
    </>
  );
}

function Ward({ client, ward }: { client: MeridianClient; ward: Guardianship }) {
  const invalidate = useInvalidate();
  const canShare = ward.level === GuardianLevel.ShareAndView;
  const stepDown = useAction(async () => {
    await client.stepDownAsGuardian(ward.patient);
    await invalidate([queryKeys.wards(client.address)]);
  });
  return (
    <>
      <h2>
        Acting for <span className="mono">{ward.patient}</span> ({LEVEL_NAMES[ward.level]})
      </h2>
      <RequestInbox client={client} patient={ward.patient} {...(canShare ? {} : { blocked: VIEW_ONLY })} />
      <section className="card" aria-labelledby="ward-emergency-title">
        <h2 id="ward-emergency-title">Emergency accesses</h2>
        <EmergencyAccessList
          client={client}
          patient={ward.patient}
          {...(canShare ? {} : { releaseBlocked: VIEW_ONLY })}
        />
      </section>
      <AuditLog client={client} patient={ward.patient} />
      <RecordTimeline client={client} patient={ward.patient} title="The patient's records" />
      <section className="card" aria-labelledby="step-down-title">
        <h2 id="step-down-title">Step down</h2>
        <p className="muted">
          You stop being this patient&apos;s guardian at once; the patient&apos;s app re-keys its records so your key
          opens nothing new.
        </p>
        <button type="button" className="danger" disabled={stepDown.pending} onClick={() => void stepDown.start()}>
          {stepDown.pending ? "Stepping down…" : "Step down"}
        </button>
        <ErrorText error={stepDown.error} />
      </section>
    </>
  );
}
