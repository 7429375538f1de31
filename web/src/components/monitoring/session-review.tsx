"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import type { Hex } from "viem";
import type { MeridianClient } from "@meridian/sdk";
import type { SessionInfo } from "@meridian/sdk/chain";
import {
  buildDiagnosisReport,
  DiagnosisNotLinkedError,
  ECG_FINDINGS,
  signFinalDiagnosis,
} from "@meridian/monitoring/browser";
import type { EcgWindowView } from "@meridian/monitoring/browser";
import { ErrorText } from "@/components/error-text.tsx";
import { OpenedRecord } from "@/components/opened-record.tsx";
import { describeError } from "@/lib/meridian.tsx";
import { formatTime } from "@/lib/format.ts";
import { useAction } from "@/lib/use-action.ts";
import { providerQueryOptions, queryKeys, useInvalidate } from "@/lib/queries.ts";
import { ecgWindowQueryOptions, sessionRecordsQueryOptions } from "@/lib/queries-care.ts";
import { EcgStrip } from "./ecg-strip.tsx";
import styles from "./monitoring.module.css";

const time = (iso: string) =>
  iso ? new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "medium" }) : "unknown time";

/**
 * One monitoring session for its provider's clinician: the windows the medical server linked
 * (flagged ones first to hand), each opened (fetched, verified, decrypted in this page) as an ECG
 * strip with the edge model's beat classes; and, while the session is open, the form that signs
 * the final diagnosis (a FHIR DiagnosticReport anchored as a Cardiac record, then
 * `signDiagnosis` on chain, which closes the session).
 */
export function SessionReview({ client, session }: { client: MeridianClient; session: SessionInfo }) {
  const records = useQuery(sessionRecordsQueryOptions(client.ctx, { sessionId: session.sessionId }));
  const [flaggedOnly, setFlaggedOnly] = useState(true);
  const [opened, setOpened] = useState<Hex | undefined>(undefined);
  const [reviewed, setReviewed] = useState<ReadonlyMap<Hex, EcgWindowView>>(new Map());
  const all = records.data ?? [];
  const flagged = all.filter((r) => r.flaggedForReview).length;
  const shown = all.map((r, i) => ({ ...r, number: i + 1 })).filter((r) => !flaggedOnly || r.flaggedForReview);
  const index = shown.findIndex((r) => r.recordId === opened);

  return (
    <section className="card" aria-labelledby="session-title" data-testid="session-review">
      <h2 id="session-title">Session {session.sessionId.slice(0, 10)}…</h2>
      <p>
        Patient <span className="mono">{session.patient}</span>, opened {formatTime(session.openedAt)}.{" "}
        {records.data ? (
          <>
            {all.length} windows, <span className={styles.flag}>{flagged} flagged</span> for review by the edge or the
            device.
          </>
        ) : (
          "Loading windows…"
        )}
      </p>
      <ErrorText error={records.error ? describeError(records.error) : undefined} />
      <label>
        <input type="checkbox" checked={flaggedOnly} onChange={(e) => setFlaggedOnly(e.target.checked)} /> Flagged
        windows only
      </label>
      <ul className={styles.windows} aria-label="Windows">
        {shown.map((r) => (
          <li key={r.recordId}>
            <button
              type="button"
              className="secondary"
              aria-pressed={opened === r.recordId}
              data-testid="window-button"
              onClick={() => setOpened(r.recordId)}
            >
              #{r.number}
              {r.flaggedForReview ? (
                <span className={styles.flag} aria-label="flagged">
                  {" "}
                  ⚑
                </span>
              ) : null}
              {reviewed.has(r.recordId) ? " ✓" : ""}
            </button>
          </li>
        ))}
      </ul>
      {shown.length === 0 && records.data ? (
        <p className="muted">No {flaggedOnly ? "flagged " : ""}windows yet.</p>
      ) : null}
      {opened ? (
        <>
          <div className="row">
            <button
              type="button"
              className="secondary"
              disabled={index <= 0}
              onClick={() => setOpened(shown[index - 1]?.recordId)}
            >
              ← Previous
            </button>
            <button
              type="button"
              className="secondary"
              disabled={index < 0 || index >= shown.length - 1}
              onClick={() => setOpened(shown[index + 1]?.recordId)}
            >
              Next →
            </button>
          </div>
          <WindowView
            client={client}
            recordId={opened}
            onRead={(view) => setReviewed((m) => (m.has(opened) ? m : new Map(m).set(opened, view)))}
          />
        </>
      ) : null}
      {session.open ? (
        <DiagnosisForm client={client} session={session} reviewed={reviewed} />
      ) : (
        <SignedDiagnosis client={client} session={session} />
      )}
    </section>
  );
}

/** One window record: fetched, verified and decrypted here, drawn as a strip with the edge's findings. */
function WindowView({
  client,
  recordId,
  onRead,
}: {
  client: MeridianClient;
  recordId: Hex;
  onRead: (view: EcgWindowView) => void;
}) {
  const window = useQuery(ecgWindowQueryOptions(client, { recordId }));
  useEffect(() => {
    if (window.data) onRead(window.data);
  }, [window.data, onRead]);
  if (window.isPending) return <p role="status">Fetching, verifying and decrypting the window…</p>;
  if (window.error) return <ErrorText error={describeError(window.error)} />;
  const v = window.data;
  return (
    <article aria-label="ECG window" data-testid="ecg-window">
      <h3>
        {time(v.start)} – {time(v.end).split(" ").pop()}
      </h3>
      <EcgStrip view={v} />
      <p data-testid="edge-findings">
        <strong>Edge findings ({v.reportStatus ?? "no report"}):</strong> {v.conclusion ?? "none recorded"}
      </p>
      <p className="muted">
        Signed at every hop ({v.signatures} EIP-712 signatures: sensor{" "}
        <span className="mono">{v.devices.sensor?.slice(0, 10)}…</span>, edge{" "}
        <span className="mono">{v.devices.edge?.slice(0, 10)}…</span>, fog relay{" "}
        <span className="mono">{v.devices.fog?.slice(0, 10)}…</span>), checked against the patient&apos;s registered
        devices before anchoring. Model {v.model ? <span className="mono">{v.model.slice(0, 14)}…</span> : "unknown"};
        message id <span className="mono">{v.windowDigest.slice(0, 14)}…</span>.
      </p>
    </article>
  );
}

/** The clinician's sign-off: findings, conclusion, and two wallet transactions (anchor, then link). */
function DiagnosisForm({
  client,
  session,
  reviewed,
}: {
  client: MeridianClient;
  session: SessionInfo;
  reviewed: ReadonlyMap<Hex, EcgWindowView>;
}) {
  const invalidate = useInvalidate();
  const provider = useQuery(providerQueryOptions(client.ctx, { provider: client.address }));
  const [findings, setFindings] = useState<string[]>([]);
  const [conclusion, setConclusion] = useState("");
  const [stage, setStage] = useState<"anchoring" | "signing" | undefined>(undefined);
  const [pendingRecord, setPendingRecord] = useState<Hex | undefined>(undefined);
  const period = useMemo(() => {
    const views = [...reviewed.values()].filter((v) => v.start && v.end);
    if (views.length === 0) return undefined;
    return {
      start: views.map((v) => v.start).sort()[0]!,
      end: views
        .map((v) => v.end)
        .sort()
        .at(-1)!,
    };
  }, [reviewed]);
  const sign = useAction(async () => {
    const report = buildDiagnosisReport({
      patient: session.patient,
      sessionId: session.sessionId,
      provider: client.address,
      ...(provider.data?.name ? { providerName: provider.data.name } : {}),
      conclusion,
      findings,
      reviewedWindows: [...reviewed.values()].map((v) => v.windowDigest),
      ...(period ? { period } : {}),
    });
    try {
      const signed = await signFinalDiagnosis(client, {
        sessionId: session.sessionId,
        report,
        ...(pendingRecord ? { recordId: pendingRecord } : {}),
        onStage: setStage,
      });
      setPendingRecord(undefined);
      await invalidate([queryKeys.providerSessions()]);
      return signed;
    } catch (error) {
      if (error instanceof DiagnosisNotLinkedError) setPendingRecord(error.recordId);
      throw error;
    } finally {
      setStage(undefined);
    }
  });
  return (
    <form
      aria-labelledby="diagnosis-title"
      onSubmit={(e) => {
        e.preventDefault();
        void sign.start();
      }}
    >
      <h3 id="diagnosis-title">Final diagnosis</h3>
      <p className="muted">
        {reviewed.size === 0
          ? "Open at least one window before signing. "
          : `You reviewed ${reviewed.size} window${reviewed.size === 1 ? "" : "s"}; the diagnosis refers to them. `}
        Signing takes two transactions from your wallet: one anchors the diagnosis as an encrypted Cardiac record of the
        patient, one links it to this session and closes it.
      </p>
      <fieldset className={styles.findings}>
        <legend>Rhythm findings (SNOMED CT)</legend>
        {ECG_FINDINGS.map((f) => (
          <label key={f.code}>
            <input
              type="checkbox"
              checked={findings.includes(f.code)}
              onChange={(e) =>
                setFindings((list) => (e.target.checked ? [...list, f.code] : list.filter((c) => c !== f.code)))
              }
            />{" "}
            {f.display}
          </label>
        ))}
      </fieldset>
      <label htmlFor="diagnosis-conclusion">Conclusion</label>
      <textarea
        id="diagnosis-conclusion"
        className={styles.conclusion}
        value={conclusion}
        maxLength={4000}
        onChange={(e) => setConclusion(e.target.value)}
        placeholder="What the ECG shows, and what should follow"
      />
      <p>
        <button type="submit" disabled={sign.pending || reviewed.size === 0}>
          {stage === "anchoring"
            ? "Anchoring the diagnosis…"
            : stage === "signing"
              ? "Linking it to the session…"
              : pendingRecord
                ? "Link the stored diagnosis"
                : "Sign diagnosis"}
        </button>
      </p>
      <ErrorText error={sign.error} />
    </form>
  );
}

/** A closed session: its signed diagnosis, openable like any record. */
function SignedDiagnosis({ client, session }: { client: MeridianClient; session: SessionInfo }) {
  const [open, setOpen] = useState(false);
  if (!session.diagnosisRecordId) return <p className="notice">This session was closed without a diagnosis.</p>;
  return (
    <div>
      <p className="ok" role="status" data-testid="diagnosis-signed">
        Diagnosis signed: record <span className="mono">{session.diagnosisRecordId.slice(0, 10)}…</span> is linked to
        this session on chain, closed {formatTime(session.closedAt)}.{" "}
        {!open ? (
          <button type="button" className="secondary" onClick={() => setOpen(true)}>
            Open the diagnosis
          </button>
        ) : null}
      </p>
      {open ? (
        <OpenedRecord client={client} recordId={session.diagnosisRecordId} onClose={() => setOpen(false)} />
      ) : null}
    </div>
  );
}
