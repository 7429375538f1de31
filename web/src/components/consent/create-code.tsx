"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { isAddress, type Hex } from "viem";
import { RecordCategory } from "@meridian/sdk";
import { cancelConsentCode } from "@meridian/sdk/chain";
import type { GrantScope } from "@meridian/sdk/chain";
import type { CreatedConsentCode, MeridianClient } from "@meridian/sdk";
import { categoryLabel, formatScope, formatTime } from "@/lib/format.ts";
import { useAction } from "@/lib/use-action.ts";
import { consentUsedQueryOptions, queryKeys, recordsQueryOptions, staleAfter, useInvalidate } from "@/lib/queries.ts";
import { ErrorText } from "../error-text.tsx";
import { QrCode } from "./qr-code.tsx";
import styles from "./consent.module.css";

/** Seconds from a `<input type="date">` value (end of that day, local time), or 0 for none. */
function expiryFromDate(value: string): number {
  if (!value) return 0;
  return Math.floor(new Date(`${value}T23:59:59`).getTime() / 1000);
}

interface Shown {
  code: CreatedConsentCode;
  /** Wall-clock time (ms) at which the code can no longer be submitted, from its validity. */
  endsAtMs: number;
  /** Why the relay did not take it, when it did not (the QR code and text still work). */
  relayError?: string;
}

/**
 * Patient: "Consent by code". The wallet signs a one-time grant as EIP-712 typed data (no
 * transaction, no gas); the page shows it as a QR code, a short code and text, and publishes it
 * to the app's relay so the provider can type the short code. The provider submits it and pays.
 */
export function ConsentByCode({ client }: { client: MeridianClient }) {
  const [grantee, setGrantee] = useState("");
  const [scope, setScope] = useState("all");
  const [recordId, setRecordId] = useState("");
  const [write, setWrite] = useState(false);
  const [until, setUntil] = useState("");
  const [minutes, setMinutes] = useState(5);
  const [shown, setShown] = useState<Shown | undefined>(undefined);
  const [cancelled, setCancelled] = useState(false);
  const [copied, setCopied] = useState<string | undefined>(undefined);
  const invalidate = useInvalidate();
  const records = useQuery({
    ...recordsQueryOptions(client, { patient: client.address }),
    enabled: scope === "record",
  });

  const create = useAction(async () => {
    if (!isAddress(grantee)) throw new Error("The provider address is not a valid 0x address.");
    let s: GrantScope;
    if (scope === "all") s = { kind: "all" };
    else if (scope === "record") {
      if (!/^0x[0-9a-fA-F]{64}$/.test(recordId)) throw new Error("Choose the record to share.");
      s = { kind: "record", recordId: recordId as Hex };
    } else s = { kind: "category", category: Number(scope) as RecordCategory };
    setShown(undefined);
    setCancelled(false);
    setCopied(undefined);
    const validFor = minutes * 60;
    const code = await client.createConsentCode({
      grantee,
      scope: s,
      write,
      expiresAt: expiryFromDate(until),
      validForSeconds: validFor,
    });
    const next: Shown = { code, endsAtMs: Date.now() + validFor * 1000 };
    try {
      const response = await fetch("/api/consent-codes", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: code.text }),
      });
      const body = (await response.json()) as { shortCode?: string; error?: string };
      if (!response.ok) next.relayError = body.error ?? `The relay answered ${response.status}.`;
      else if (body.shortCode !== code.shortCode)
        next.relayError = "The relay filed the code under another short code.";
    } catch (error) {
      next.relayError = error instanceof Error ? error.message : String(error);
    }
    setShown(next);
    return next;
  });
  const cancel = useAction(async () => {
    if (!shown) return;
    await cancelConsentCode(client.ctx, shown.code.code.nonce);
    setCancelled(true);
    // its key was handed over with the code: the "Keys to update" notice now lists it
    await invalidate([queryKeys.staleKeys(client.address)]);
  });
  // a code made in another browser is not in this browser's ledger: offer the rotation by hand
  const rotate = useAction(async () => {
    const { advance, reissued } = await client.rotateKeyEpoch();
    await invalidate(staleAfter.keys(client.address));
    return { keyEpoch: advance.keyEpoch, transactions: 1 + reissued.length };
  });
  const copy = async () => {
    if (!shown) return;
    try {
      await navigator.clipboard.writeText(shown.code.text);
      setCopied("Copied: paste it in the provider's app.");
    } catch {
      setCopied("Your browser did not allow copying; select the text below instead.");
    }
  };

  return (
    <section className="card" aria-labelledby="consent-code-title">
      <h2 id="consent-code-title">Consent by code</h2>
      <p className="muted">
        Share with a provider without using their screen: your wallet signs a one-time consent (free, no transaction),
        you show the QR code or the short code, and the provider submits it and pays the gas. It works once, for a few
        minutes.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void create.start();
        }}
      >
        <label htmlFor="code-grantee">Provider address</label>
        <input
          id="code-grantee"
          value={grantee}
          onChange={(e) => setGrantee(e.target.value.trim())}
          placeholder="0x…"
          size={44}
          required
        />
        <label htmlFor="code-scope">What to share</label>
        <select id="code-scope" value={scope} onChange={(e) => setScope(e.target.value)}>
          <option value="all">All records</option>
          {Object.values(RecordCategory).map((c) => (
            <option key={c} value={c}>
              {categoryLabel(c)} records
            </option>
          ))}
          <option value="record">One record…</option>
        </select>
        {scope === "record" ? (
          <>
            <label htmlFor="code-record">Record</label>
            <select id="code-record" value={recordId} onChange={(e) => setRecordId(e.target.value)} required>
              <option value="">Choose a record</option>
              {[...(records.data ?? [])].reverse().map((r) => (
                <option key={r.recordId} value={r.recordId}>
                  {categoryLabel(r.category)}, {formatTime(r.anchoredAt)} ({r.recordId.slice(0, 10)}…)
                </option>
              ))}
            </select>
          </>
        ) : null}
        <label htmlFor="code-access">Access</label>
        <select
          id="code-access"
          value={write ? "write" : "read"}
          onChange={(e) => setWrite(e.target.value === "write")}
        >
          <option value="read">Read</option>
          <option value="write">Read and add records</option>
        </select>
        <label htmlFor="code-until">Access until (empty: until you revoke it)</label>
        <input
          id="code-until"
          type="date"
          value={until}
          min={new Date().toISOString().slice(0, 10)}
          onChange={(e) => setUntil(e.target.value)}
        />
        <label htmlFor="code-minutes">The code can be used for</label>
        <select id="code-minutes" value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
          <option value={5}>5 minutes</option>
          <option value={10}>10 minutes</option>
          <option value={15}>15 minutes</option>
        </select>
        <p>
          <button type="submit" disabled={create.pending}>
            {create.pending ? "Confirm in your wallet…" : "Create code"}
          </button>
        </p>
      </form>
      <ErrorText error={create.error} />
      {shown ? (
        <ShownCode
          client={client}
          shown={shown}
          cancelled={cancelled}
          onCopy={() => void copy()}
          copied={copied}
          onCancel={() => void cancel.start()}
          cancelling={cancel.pending}
        />
      ) : null}
      <ErrorText error={cancel.error} />
      <details>
        <summary>Made a code in another browser or device that was not used?</summary>
        <p className="muted">
          A code carries the keys of your current key epoch to its provider. This browser knows the codes made here and
          moves your next record to new keys when one was not used; it cannot know codes made elsewhere. Move to new
          keys now: one transaction, and one per live grant or guardian to re-issue it.
        </p>
        <p>
          <button type="button" className="secondary" disabled={rotate.pending} onClick={() => void rotate.start()}>
            {rotate.pending ? "Moving…" : "Move to new keys"}
          </button>
        </p>
        {rotate.result ? (
          <p className="ok" role="status">
            Moved to key epoch {rotate.result.keyEpoch} ({rotate.result.transactions} transaction(s)).
          </p>
        ) : null}
        <ErrorText error={rotate.error} />
      </details>
    </section>
  );
}

function ShownCode({
  client,
  shown,
  cancelled,
  copied,
  onCopy,
  onCancel,
  cancelling,
}: {
  client: MeridianClient;
  shown: Shown;
  cancelled: boolean;
  copied: string | undefined;
  onCopy: () => void;
  onCancel: () => void;
  cancelling: boolean;
}) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const left = Math.max(0, Math.round((shown.endsAtMs - now) / 1000));
  const { code } = shown;
  // while the code can be used, look every few seconds whether the provider submitted it
  const used = useQuery({
    ...consentUsedQueryOptions(client.ctx, { patient: code.code.patient, nonce: code.code.nonce }),
    refetchInterval: (q) => (q.state.data || cancelled || left === 0 ? false : 3000),
  });
  const redeemed = used.data === true && !cancelled;
  const live = left > 0 && !cancelled && !redeemed;
  return (
    <div className="card" data-testid="consent-code">
      <div className={styles.codeBox}>
        {live ? <QrCode text={code.text} label={`QR code of the consent code ${code.shortCode}`} /> : null}
        <div>
          <p>Short code (the provider types it in their app):</p>
          <p className={styles.shortCode} data-testid="short-code">
            {code.shortCode}
          </p>
          <p>
            For <span className="mono">{code.code.grantee}</span>: {formatScope(code.code.scope)},{" "}
            {code.code.write ? "read and add" : "read"},{" "}
            {code.code.expiresAt ? `until ${formatTime(code.code.expiresAt)}` : "until you revoke it"}.
          </p>
          {redeemed ? (
            <p className="ok" role="status" data-testid="code-used">
              Used: the provider submitted this code, and the grant is in your list and audit log.
            </p>
          ) : cancelled ? (
            <p className="warn" role="status">
              Cancelled on chain: this code can never be used.
              {code.code.scope.kind !== "record"
                ? " It already carried your current keys, so your next record is written under new ones."
                : ""}
            </p>
          ) : left > 0 ? (
            <p className={styles.countdown} role="timer" aria-live="off" data-testid="code-countdown">
              Use within {Math.floor(left / 60)}:{String(left % 60).padStart(2, "0")}
            </p>
          ) : (
            <p className="warn" role="status">
              This code has expired; create a new one.
              {code.code.scope.kind !== "record"
                ? " It carried your current keys unused, so your next record is written under new ones."
                : ""}
            </p>
          )}
          {shown.relayError ? (
            <p className="warn">
              The short code is not available ({shown.relayError}); show the QR code or copy the text.
            </p>
          ) : null}
          {live ? (
            <div className="row">
              <button type="button" className="secondary" onClick={onCopy}>
                Copy code
              </button>
              <button type="button" className="danger" onClick={onCancel} disabled={cancelling}>
                {cancelling ? "Cancelling…" : "Cancel code"}
              </button>
            </div>
          ) : null}
          {copied ? <p role="status">{copied}</p> : null}
          {live ? (
            <p className="muted">Cancelling sends one transaction, so the code is refused even if someone saw it.</p>
          ) : null}
        </div>
      </div>
      {live ? (
        <details>
          <summary>Show the code as text</summary>
          <p className="mono" data-testid="code-text">
            {code.text}
          </p>
        </details>
      ) : null}
    </div>
  );
}
