"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { MeridianClient } from "@meridian/sdk";
import { useAction } from "@/lib/use-action.ts";
import { emergencySummaryQueryOptions, staleAfter, useInvalidate } from "@/lib/queries.ts";
import { ErrorText } from "../error-text.tsx";
import { EmergencyAccessList } from "./accesses.tsx";
import { EmergencySummaryRecord } from "./ips-summary.tsx";

/**
 * Patient: "Emergency summary". Builds an HL7 International Patient Summary from the patient's
 * own records (decrypted here), stores it as a new record and names it the emergency summary;
 * shows the current one and every emergency access, with "Release key" and "End access".
 */
export function EmergencySummaryCard({ client }: { client: MeridianClient }) {
  const invalidate = useInvalidate();
  const patient = client.address;
  const summaryId = useQuery(emergencySummaryQueryOptions(client));
  const [progress, setProgress] = useState<{ done: number; total: number } | undefined>(undefined);
  const [show, setShow] = useState(false);
  const create = useAction(async () => {
    setProgress({ done: 0, total: 0 });
    const made = await client.createEmergencySummary({ onProgress: (done, total) => setProgress({ done, total }) });
    await invalidate(staleAfter.emergencySummary(patient));
    setShow(true);
    return made;
  });
  return (
    <section className="card" aria-labelledby="emergency-title">
      <h2 id="emergency-title">Emergency summary</h2>
      <p className="muted">
        If you cannot consent, a hospital may open emergency access to one record only: a short summary of your
        allergies, medications, problems and blood group. The access is on chain before anything is shared, lasts at
        most 24 hours, and is shown first in your audit log. The key is released by you or a guardian with &ldquo;Share
        and view&rdquo;.
      </p>
      <div className="row">
        <button type="button" onClick={() => void create.start()} disabled={create.pending}>
          {create.pending
            ? "Creating…"
            : summaryId.data
              ? "Create a new emergency summary"
              : "Create emergency summary"}
        </button>
        {summaryId.data ? (
          <button type="button" className="secondary" onClick={() => setShow(!show)} aria-expanded={show}>
            {show ? "Hide summary" : "Show summary"}
          </button>
        ) : null}
      </div>
      {create.pending && progress ? (
        <div aria-live="polite" data-testid="summary-progress">
          <p>
            {progress.total === 0
              ? "Reading your records…"
              : progress.done < progress.total
                ? `Reading record ${progress.done + 1} of ${progress.total}…`
                : "Encrypting and anchoring the summary (two transactions)…"}
          </p>
          <progress max={Math.max(progress.total, 1)} value={progress.done} aria-label="Records read" />
        </div>
      ) : null}
      {create.result ? (
        <p className="ok" role="status">
          Emergency summary created from your records and named on chain.
        </p>
      ) : null}
      <ErrorText error={create.error} />
      {summaryId.data === undefined && !summaryId.isPending ? (
        <p className="muted" data-testid="no-summary">
          You have no emergency summary yet.
        </p>
      ) : null}
      {summaryId.data && show ? <EmergencySummaryRecord client={client} recordId={summaryId.data} /> : null}
      <h3>Emergency accesses</h3>
      <EmergencyAccessList client={client} patient={patient} />
    </section>
  );
}
