"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { isAddressEqual, type Hex } from "viem";
import type { MeridianClient } from "@meridian/sdk";
import { castValidationVote, ValidationStatus, ValidationVote } from "@meridian/sdk/chain";
import { ErrorText } from "@/components/error-text.tsx";
import { FhirRecord } from "@/components/fhir-record.tsx";
import { ProviderName } from "@/components/provider-name.tsx";
import { describeError } from "@/lib/meridian.tsx";
import { categoryLabel, formatTime } from "@/lib/format.ts";
import { useAction } from "@/lib/use-action.ts";
import { staleAfter, useInvalidate } from "@/lib/queries.ts";
import {
  validationCaseQueryOptions,
  validatorAssignmentsQueryOptions,
  validatorRecordQueryOptions,
} from "@/lib/queries-care.ts";
import { ValidationBadge } from "./status-badge.tsx";
import styles from "./validation.module.css";

/** Validator: the diagnoses this hospital was drawn to check; open one, then approve or reject it. */
export function ValidatorCases({ client }: { client: MeridianClient }) {
  const assigned = useQuery(validatorAssignmentsQueryOptions(client.ctx, { validator: client.address }));
  return (
    <section className="card" aria-labelledby="assigned-title">
      <h2 id="assigned-title">Diagnoses to validate</h2>
      <p className="muted">
        You were drawn at random to check these diagnoses of other hospitals. Open the record (its author shared the key
        with you, with the patient&apos;s consent), then approve or reject it before your deadline. Your comment stays
        here: only its hash goes on chain.
      </p>
      <ErrorText error={assigned.error ? describeError(assigned.error) : undefined} />
      {assigned.data?.length === 0 ? <p className="muted">You have not been drawn for any diagnosis yet.</p> : null}
      {(assigned.data ?? []).map((recordId) => (
        <ValidatorCase key={recordId} client={client} recordId={recordId} />
      ))}
    </section>
  );
}

function ValidatorCase({ client, recordId }: { client: MeridianClient; recordId: Hex }) {
  const invalidate = useInvalidate();
  const c = useQuery(validationCaseQueryOptions(client.ctx, { recordId }));
  const [opened, setOpened] = useState(false);
  const [comment, setComment] = useState("");
  const record = useQuery({ ...validatorRecordQueryOptions(client, { recordId }), enabled: opened });
  const vote = useAction(async (approve: boolean) => {
    const r = await castValidationVote(client.ctx, {
      recordId,
      approve,
      ...(comment.trim() ? { comment: comment.trim() } : {}),
    });
    await invalidate(staleAfter.validationCase(recordId));
    return r;
  });
  if (!c.data) return null;
  const seat = c.data.seats.find((s) => isAddressEqual(s.validator, client.address));
  return (
    <article className={styles.case} data-testid="validator-case" data-record-id={recordId}>
      <h3 className="mono" title={recordId}>
        Record {recordId.slice(0, 10)}… <ValidationBadge status={c.data.status} />
      </h3>
      <p>
        Written by <ProviderName client={client} address={c.data.author} department />; {c.data.approvals} approval
        {c.data.approvals === 1 ? "" : "s"} and {c.data.rejections} rejection{c.data.rejections === 1 ? "" : "s"} so
        far.{" "}
        {!seat ? (
          "You were replaced in this case."
        ) : seat.vote !== ValidationVote.None ? (
          <span data-testid="my-vote">You {seat.vote === ValidationVote.Approve ? "approved" : "rejected"} it.</span>
        ) : (
          `Your deadline: ${formatTime(seat.deadline)}.`
        )}
      </p>
      {seat ? (
        <button type="button" className="secondary" onClick={() => setOpened((o) => !o)}>
          {opened ? "Close the record" : "Open the record"}
        </button>
      ) : null}
      {opened ? (
        <div data-testid="validator-record">
          {record.isPending ? <p role="status">Fetching, verifying and decrypting…</p> : null}
          <ErrorText error={record.error ? describeError(record.error) : undefined} />
          {record.data ? (
            <>
              <p className="muted">
                Verified against its CID and the hash anchored on chain; opened with the key its author shared for
                validation. {categoryLabel(record.data.anchor.category)}, {formatTime(record.data.anchor.anchoredAt)}.
              </p>
              <FhirRecord plaintext={record.data.plaintext} />
            </>
          ) : null}
        </div>
      ) : null}
      {seat && seat.vote === ValidationVote.None && c.data.status === ValidationStatus.Pending ? (
        <form onSubmit={(e) => e.preventDefault()}>
          <label htmlFor={`comment-${recordId}`}>Comment (kept off chain; its hash is recorded)</label>
          <textarea
            id={`comment-${recordId}`}
            className={styles.consent}
            rows={2}
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            maxLength={2000}
          />
          <p>
            <button type="button" onClick={() => void vote.start(true)} disabled={vote.pending}>
              Approve
            </button>{" "}
            <button type="button" className="secondary" onClick={() => void vote.start(false)} disabled={vote.pending}>
              Reject
            </button>
          </p>
        </form>
      ) : null}
      <ErrorText error={vote.error} />
    </article>
  );
}
