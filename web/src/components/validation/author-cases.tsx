"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { isAddressEqual, type Hex } from "viem";
import type { MeridianClient } from "@meridian/sdk";
import {
  decodeValidationConsent,
  drawValidators,
  replaceValidator,
  submitForValidation,
  ValidationStatus,
  ValidationVote,
} from "@meridian/sdk/chain";
import { shareValidationKeys } from "@meridian/sdk";
import { ErrorText } from "@/components/error-text.tsx";
import { ProviderName } from "@/components/provider-name.tsx";
import { formatTime } from "@/lib/format.ts";
import { useAction } from "@/lib/use-action.ts";
import { chainTimeQueryOptions, queryKeys, staleAfter, useInvalidate } from "@/lib/queries.ts";
import {
  validationCaseQueryOptions,
  validationSharesQueryOptions,
  validationSubmissionsQueryOptions,
} from "@/lib/queries-care.ts";
import { ValidationBadge } from "./status-badge.tsx";
import styles from "./validation.module.css";

/** Author: submit a diagnosis with the patient's consent text, then draw and share keys. */
export function AuthorCases({ client }: { client: MeridianClient }) {
  const invalidate = useInvalidate();
  const [text, setText] = useState("");
  const submissions = useQuery(validationSubmissionsQueryOptions(client.ctx, { author: client.address }));
  const submit = useAction(async () => {
    const consent = decodeValidationConsent(text);
    const r = await submitForValidation(client.ctx, { consent });
    setText("");
    await invalidate([queryKeys.validationSubmissions(client.address)]);
    return r;
  });
  return (
    <section className="card" aria-labelledby="author-title">
      <h2 id="author-title">Your diagnoses under peer validation</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit.start();
        }}
      >
        <label htmlFor="validation-consent">
          Patient&apos;s consent (the text the patient&apos;s page shows after &quot;Consent to peer validation&quot;)
        </label>
        <textarea
          id="validation-consent"
          className={styles.consent}
          rows={3}
          value={text}
          onChange={(e) => setText(e.target.value)}
          required
        />
        <p>
          <button type="submit" disabled={submit.pending || text.trim() === ""}>
            {submit.pending ? "Submitting…" : "Submit for validation"}
          </button>
        </p>
      </form>
      <ErrorText error={submit.error} />
      {submissions.data?.length === 0 ? <p className="muted">You have not submitted a diagnosis yet.</p> : null}
      {(submissions.data ?? []).map((s) => (
        <AuthorCase key={s.recordId} client={client} recordId={s.recordId} />
      ))}
    </section>
  );
}

function AuthorCase({ client, recordId }: { client: MeridianClient; recordId: Hex }) {
  const invalidate = useInvalidate();
  const c = useQuery(validationCaseQueryOptions(client.ctx, { recordId }));
  const shares = useQuery(validationSharesQueryOptions(client.ctx, { recordId }));
  const refresh = () => invalidate(staleAfter.validationCase(recordId));
  const draw = useAction(async () => {
    await drawValidators(client.ctx, { recordId });
    await refresh();
  });
  const share = useAction(async () => {
    await shareValidationKeys(client, recordId);
    await refresh();
  });
  const replace = useAction(async (validator: Hex) => {
    await replaceValidator(client.ctx, { recordId, validator });
    await refresh();
  });
  // the chain's clock decides deadlines (a local chain may run ahead of the wall clock)
  const chainTime = useQuery(chainTimeQueryOptions(client.ctx));
  const now = chainTime.data ?? 0;
  if (!c.data) return null;
  const seated = c.data.seats.filter((s) => BigInt(s.validator) !== 0n);
  const sharedWith = (validator: Hex) => (shares.data ?? []).some((s) => isAddressEqual(s.validator, validator));
  const missing = seated.filter((s) => !sharedWith(s.validator)).length;
  const open = c.data.status === ValidationStatus.Submitted || c.data.status === ValidationStatus.Pending;
  return (
    <article className={styles.case} data-testid="author-case" data-record-id={recordId}>
      <h3 className="mono" title={recordId}>
        Record {recordId.slice(0, 10)}… <ValidationBadge status={c.data.status} />
      </h3>
      <p>
        Submitted {formatTime(c.data.submittedAt)}; {c.data.approvals} approval{c.data.approvals === 1 ? "" : "s"},{" "}
        {c.data.rejections} rejection{c.data.rejections === 1 ? "" : "s"}
        {c.data.decidedAt ? `; decided ${formatTime(c.data.decidedAt)}` : ""}.
      </p>
      {seated.length > 0 ? (
        <ol className={styles.seats}>
          {seated.map((s) => (
            <li key={s.validator} data-testid="seat">
              <ProviderName client={client} address={s.validator} />:{" "}
              {s.vote === ValidationVote.Approve
                ? "approved"
                : s.vote === ValidationVote.Reject
                  ? "rejected"
                  : `not voted yet (until ${formatTime(s.deadline)})`}
              {sharedWith(s.validator) ? "" : " — key not shared yet"}
              {c.data.status === ValidationStatus.Pending && s.vote === ValidationVote.None && s.deadline < now ? (
                <>
                  {" "}
                  <button
                    type="button"
                    className="secondary"
                    onClick={() => void replace.start(s.validator)}
                    disabled={replace.pending}
                  >
                    Replace (deadline passed)
                  </button>
                </>
              ) : null}
            </li>
          ))}
        </ol>
      ) : null}
      {open && c.data.vacancies > 0 ? (
        <button type="button" onClick={() => void draw.start()} disabled={draw.pending}>
          {draw.pending ? "Drawing…" : c.data.vacancies === 4 ? "Draw the validators" : "Draw a replacement"}
        </button>
      ) : null}{" "}
      {c.data.status === ValidationStatus.Pending && missing > 0 ? (
        <button type="button" onClick={() => void share.start()} disabled={share.pending}>
          {share.pending ? "Sharing…" : `Share the record's key with ${missing} validator${missing === 1 ? "" : "s"}`}
        </button>
      ) : null}
      <ErrorText error={draw.error} />
      <ErrorText error={share.error} />
      <ErrorText error={replace.error} />
    </article>
  );
}
