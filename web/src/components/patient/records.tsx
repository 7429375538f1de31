"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { isAddressEqual, type Hex } from "viem";
import { RecordCategory } from "@meridian/sdk";
import { categoryLabel } from "@/lib/format.ts";
import type { RecordAnchor } from "@meridian/sdk/chain";
import type { MeridianClient } from "@meridian/sdk";
import { formatTime } from "@/lib/format.ts";
import { useAction } from "@/lib/use-action.ts";
import { recordsQueryOptions } from "@/lib/queries.ts";
import { ErrorText } from "../error-text.tsx";
import { OpenedRecord } from "../opened-record.tsx";
import { useValidationStatuses, ValidationBadge } from "../validation/status-badge.tsx";
import type { ValidationStatusCode } from "@meridian/sdk/chain";

/**
 * A patient's (or, for a provider, a shared) timeline of records by date and category, with
 * "open" (fetch, verify CID and anchored hash, decrypt in this page, render as text).
 */
export function RecordTimeline({
  client,
  patient,
  title = "Your records",
}: {
  client: MeridianClient;
  patient: Hex;
  title?: string;
}) {
  const records = useQuery(recordsQueryOptions(client, { patient }));
  const [category, setCategory] = useState<number>(0);
  const [opened, setOpened] = useState<Hex | undefined>(undefined);
  const shown = useMemo(
    () =>
      [...(records.data ?? [])]
        .filter((r) => category === 0 || r.category === category)
        .sort((a, b) => b.anchoredAt - a.anchoredAt),
    [records.data, category],
  );
  const validation = useValidationStatuses(
    client.ctx,
    shown.map((r) => r.recordId),
  );
  return (
    <section className="card" aria-labelledby="records-title">
      <h2 id="records-title">{title}</h2>
      <div className="row">
        <label htmlFor="category-filter">Category</label>
        <select id="category-filter" value={category} onChange={(e) => setCategory(Number(e.target.value))}>
          <option value={0}>All</option>
          {Object.values(RecordCategory).map((c) => (
            <option key={c} value={c}>
              {categoryLabel(c)}
            </option>
          ))}
        </select>
        <span className="muted">{records.data ? `${shown.length} of ${records.data.length} records` : "Loading…"}</span>
      </div>
      <ErrorText error={records.error ? { message: records.error.message } : undefined} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Category</th>
              <th scope="col">Author</th>
              <th scope="col">Record</th>
              <th scope="col">Validation</th>
              <th scope="col">
                <span className="muted">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <RecordRow
                key={r.recordId}
                record={r}
                patient={patient}
                validation={validation.get(r.recordId.toLowerCase())}
                onOpen={() => setOpened(r.recordId)}
              />
            ))}
          </tbody>
        </table>
      </div>
      {opened ? <OpenedRecord client={client} recordId={opened} onClose={() => setOpened(undefined)} /> : null}
    </section>
  );
}

function RecordRow({
  record,
  patient,
  validation,
  onOpen,
}: {
  record: RecordAnchor;
  patient: Hex;
  validation: ValidationStatusCode | undefined;
  onOpen: () => void;
}) {
  const own = isAddressEqual(record.author, patient);
  return (
    <tr data-testid="record-row" data-record-id={record.recordId}>
      <td>{formatTime(record.anchoredAt)}</td>
      <td>{categoryLabel(record.category)}</td>
      <td className="mono">{own ? "patient" : `${record.author.slice(0, 8)}…`}</td>
      <td className="mono" title={record.recordId}>
        {record.recordId.slice(0, 10)}…
      </td>
      <td>
        <ValidationBadge status={validation} />
      </td>
      <td>
        <button type="button" className="secondary" onClick={onOpen}>
          Open
        </button>
      </td>
    </tr>
  );
}

/** Verifies the patient's record hash chain from the chain's events. */
export function VerifyChain({ client, patient }: { client: MeridianClient; patient: Hex }) {
  const verify = useAction(() => client.verifyChain(patient));
  const v = verify.result;
  return (
    <section className="card" aria-labelledby="verify-title">
      <h2 id="verify-title">Record hash chain</h2>
      <p className="muted">
        Every record links to the previous one; anyone can recompute the chain from public events.
      </p>
      <button type="button" onClick={() => void verify.start()} disabled={verify.pending}>
        {verify.pending ? "Verifying…" : "Verify my chain"}
      </button>
      {v ? (
        <p role="status" className={v.valid ? "ok" : "bad"} data-testid="chain-status">
          {v.valid
            ? `Intact: ${v.records} records, head ${v.head.slice(0, 12)}…`
            : `Broken: ${v.problems.map((p) => `record ${p.index + 1}: ${p.problem}`).join("; ")}`}
        </p>
      ) : null}
      <ErrorText error={verify.error} />
    </section>
  );
}
