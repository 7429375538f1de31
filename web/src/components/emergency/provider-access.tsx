"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { isAddress, type Hex } from "viem";
import { EMERGENCY_REASONS, MAX_EMERGENCY_ACCESS_SECONDS } from "@meridian/sdk/chain";
import type { MeridianClient } from "@meridian/sdk";
import { formatTime } from "@/lib/format.ts";
import { useAction } from "@/lib/use-action.ts";
import { myEmergencyAccessesQueryOptions, queryKeys, useInvalidate } from "@/lib/queries.ts";
import { ErrorText } from "../error-text.tsx";
import { reasonLabel } from "./accesses.tsx";
import { EmergencySummaryRecord } from "./ips-summary.tsx";

const MAX_HOURS = MAX_EMERGENCY_ACCESS_SECONDS / 3600;

/**
 * Provider: "Emergency access". Opens time-boxed access to a patient's emergency summary with a
 * reason code (on chain, seen first by the patient and its guardians), lists this provider's
 * accesses, and once the patient or a guardian released the key, opens the summary.
 */
export function EmergencyAccess({ client }: { client: MeridianClient }) {
  const invalidate = useInvalidate();
  const [patient, setPatient] = useState("");
  const [reason, setReason] = useState<string>("ETREAT");
  const [hours, setHours] = useState(4);
  const [confirmed, setConfirmed] = useState(false);
  const [opened, setOpened] = useState<Hex | undefined>(undefined);
  // while an access waits for its key, looks again every few seconds
  const mine = useQuery(myEmergencyAccessesQueryOptions(client));
  const open = useAction(async () => {
    if (!isAddress(patient)) throw new Error("The patient address is not a valid 0x address.");
    if (!(hours > 0 && hours <= MAX_HOURS))
      throw new Error(`The duration must be more than 0 and at most ${MAX_HOURS} hours.`);
    if (!confirmed) throw new Error("Confirm that you understand the access is logged and shown to the patient first.");
    const result = await client.openEmergencyAccess({ patient, reason, durationSeconds: Math.round(hours * 3600) });
    setConfirmed(false);
    await invalidate([queryKeys.myEmergencyAccesses(client.address)]);
    return result;
  });
  const close = useAction(async (p: Hex) => {
    await client.closeEmergencyAccess({ patient: p, provider: client.address });
    await invalidate([queryKeys.myEmergencyAccesses(client.address)]);
  });
  return (
    <section className="card" aria-labelledby="emergency-access-title">
      <h2 id="emergency-access-title">Emergency access</h2>
      <p className="muted">
        When a patient cannot consent, open access to their emergency summary only (allergies, medications, problems,
        blood group). The summary opens once the patient or one of their guardians releases its key.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void open.start();
        }}
      >
        <label htmlFor="emergency-patient">Patient&apos;s address</label>
        <input
          id="emergency-patient"
          value={patient}
          onChange={(e) => setPatient(e.target.value.trim())}
          placeholder="0x…"
          size={44}
          required
        />
        <label htmlFor="emergency-reason">Reason</label>
        <select id="emergency-reason" value={reason} onChange={(e) => setReason(e.target.value)}>
          {Object.entries(EMERGENCY_REASONS).map(([code, words]) => (
            <option key={code} value={code}>
              {code}: {words}
            </option>
          ))}
        </select>
        <label htmlFor="emergency-hours">Duration (hours, at most {MAX_HOURS})</label>
        <input
          id="emergency-hours"
          type="number"
          min={0.25}
          max={MAX_HOURS}
          step={0.25}
          value={hours}
          onChange={(e) => setHours(Number(e.target.value))}
          required
        />
        <label>
          <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} required /> I
          understand that this access is recorded on chain under my account with its reason, and that the patient and
          their guardians see it first in their audit log.
        </label>
        <p>
          <button type="submit" className="danger" disabled={open.pending || !confirmed}>
            {open.pending ? "Opening…" : "Open emergency access"}
          </button>
        </p>
      </form>
      {open.result ? (
        <p className="ok" role="status">
          Emergency access open until {formatTime(open.result.expiresAt)}. Waiting for the patient or a guardian to
          release the key.
        </p>
      ) : null}
      <ErrorText error={open.error} />
      {mine.data?.length ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Patient</th>
                <th scope="col">Reason</th>
                <th scope="col">Ends</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="muted">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {mine.data.map((a) => (
                <tr key={`${a.patient}-${a.blockNumber}`} data-testid="my-emergency-row">
                  <td className="mono">{a.patient}</td>
                  <td>{reasonLabel(a.reason)}</td>
                  <td>{formatTime(a.expiresAt)}</td>
                  <td>
                    {!a.active ? (
                      <span className="muted">ended</span>
                    ) : a.releasedBy ? (
                      <span className="ok">key released</span>
                    ) : (
                      <span className="warn">waiting for the key</span>
                    )}
                  </td>
                  <td>
                    {a.active ? (
                      <div className="row">
                        {a.releasedBy ? (
                          <button type="button" onClick={() => setOpened(a.recordId)}>
                            Open summary
                          </button>
                        ) : null}
                        <button
                          type="button"
                          className="secondary"
                          disabled={close.pending}
                          onClick={() => void close.start(a.patient)}
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
      <ErrorText error={close.error} />
      {opened ? (
        <section className="card" aria-labelledby="emergency-summary-title" data-testid="emergency-summary">
          <div className="row" style={{ justifyContent: "space-between" }}>
            <h3 id="emergency-summary-title">Emergency summary</h3>
            <button type="button" className="secondary" onClick={() => setOpened(undefined)}>
              Close
            </button>
          </div>
          <EmergencySummaryRecord client={client} recordId={opened} />
        </section>
      ) : null}
    </section>
  );
}
