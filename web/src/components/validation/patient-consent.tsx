"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { isAddressEqual, type Hex } from "viem";
import type { MeridianClient } from "@meridian/sdk";
import {
  encodeValidationConsent,
  signValidationConsent,
  DEFAULT_VALIDATION_CONSENT_SECONDS,
} from "@meridian/sdk/chain";
import { ErrorText } from "@/components/error-text.tsx";
import { ProviderName } from "@/components/provider-name.tsx";
import { categoryLabel, formatTime } from "@/lib/format.ts";
import { useAction } from "@/lib/use-action.ts";
import { recordsQueryOptions } from "@/lib/queries.ts";
import { useValidationStatuses, ValidationBadge } from "./status-badge.tsx";
import styles from "./validation.module.css";

/**
 * Patient: the records providers wrote for you, with their peer-validation status, and a
 * "Consent to peer validation" action per record. Consenting signs (free, no transaction) that the
 * record's author may share its key with 4 hospitals drawn at random to check the diagnosis; the
 * page shows the consent as text for you to give the author.
 */
export function PeerValidationConsent({ client }: { client: MeridianClient }) {
  const records = useQuery(recordsQueryOptions(client, { patient: client.address }));
  const byProviders = (records.data ?? [])
    .filter((r) => !isAddressEqual(r.author, client.address))
    .sort((a, b) => b.anchoredAt - a.anchoredAt);
  const statuses = useValidationStatuses(
    client.ctx,
    byProviders.map((r) => r.recordId),
  );
  const [consents, setConsents] = useState<Record<string, string>>({});
  const sign = useAction(async (recordId: Hex, author: Hex) => {
    const signed = await signValidationConsent(client.ctx, { recordId, author });
    setConsents((c) => ({ ...c, [recordId]: encodeValidationConsent(signed) }));
  });
  return (
    <section className="card" aria-labelledby="peer-validation-title">
      <h2 id="peer-validation-title">Peer validation of your diagnoses</h2>
      <p className="muted">
        A provider can ask four other hospitals, drawn at random and never from its own, to check a diagnosis it wrote
        for you. They can read that record only if you consent; three approvals validate it, two rejections reject it.
        Consenting costs nothing; give the text to the provider. It is valid for{" "}
        {DEFAULT_VALIDATION_CONSENT_SECONDS / 86_400} days.
      </p>
      {byProviders.length === 0 ? <p className="muted">No provider has written a record for you yet.</p> : null}
      <ul>
        {byProviders.map((r) => (
          <li key={r.recordId} data-testid="validation-record" data-record-id={r.recordId}>
            {categoryLabel(r.category)} record of {formatTime(r.anchoredAt)} by{" "}
            <ProviderName client={client} address={r.author} />{" "}
            <span className="mono" title={r.recordId}>
              {r.recordId.slice(0, 10)}…
            </span>{" "}
            <ValidationBadge status={statuses.get(r.recordId.toLowerCase())} />{" "}
            {statuses.get(r.recordId.toLowerCase()) ? null : (
              <button
                type="button"
                className="secondary"
                onClick={() => void sign.start(r.recordId, r.author)}
                disabled={sign.pending}
              >
                Consent to peer validation
              </button>
            )}
            {consents[r.recordId] ? (
              <>
                <label htmlFor={`consent-${r.recordId}`}>Your consent: give this text to the provider</label>
                <textarea
                  id={`consent-${r.recordId}`}
                  className={styles.consent}
                  readOnly
                  rows={3}
                  value={consents[r.recordId]}
                  data-testid="validation-consent-text"
                  onFocus={(e) => e.currentTarget.select()}
                />
              </>
            ) : null}
          </li>
        ))}
      </ul>
      <ErrorText error={sign.error} />
    </section>
  );
}
