"use client";

import { useState } from "react";
import { checkConsentCode, decodeConsentCode, shortConsentCode, type SignedConsentCode } from "@meridian/sdk/chain";
import type { MeridianClient } from "@meridian/sdk";
import { MeridianError } from "@meridian/sdk";
import { formatScope, formatTime } from "@/lib/format.ts";
import { useAction } from "@/lib/use-action.ts";
import { queryKeys, useInvalidate } from "@/lib/queries.ts";
import { ErrorText } from "../error-text.tsx";

const SHORT = /^[A-Z2-7]{5}-?[A-Z2-7]{5}$/i;

interface Looked {
  signed: SignedConsentCode;
  shortCode: string;
  /** Plain words when the code would be refused (checked against the chain, before any gas). */
  refused?: { message: string; hint?: string };
}

/**
 * Provider: "Redeem consent code". Takes the patient's short code (found through the app's
 * relay) or the whole pasted text, shows what it grants and whether the chain would accept it,
 * then submits it (the provider pays the gas).
 */
export function RedeemConsentCode({ client }: { client: MeridianClient }) {
  const invalidate = useInvalidate();
  const [input, setInput] = useState("");
  const [looked, setLooked] = useState<Looked | undefined>(undefined);

  const lookUp = useAction(async () => {
    setLooked(undefined);
    const value = input.trim();
    let text = value;
    if (SHORT.test(value.replace(/\s+/g, ""))) {
      const response = await fetch(`/api/consent-codes?code=${encodeURIComponent(value)}`, { cache: "no-store" });
      const body = (await response.json()) as { text?: string; error?: string };
      if (!response.ok || !body.text) throw new MeridianError(body.error ?? `The relay answered ${response.status}.`);
      text = body.text;
    }
    const signed = decodeConsentCode(text);
    const next: Looked = { signed, shortCode: "" };
    try {
      const { digest } = await checkConsentCode(client.ctx, signed, { submitter: client.address });
      next.shortCode = shortConsentCode(digest);
    } catch (error) {
      if (!(error instanceof MeridianError)) throw error;
      next.refused = { message: error.shortMessage, ...(error.hint ? { hint: error.hint } : {}) };
    }
    setLooked(next);
    return next;
  });
  const submit = useAction(async () => {
    if (!looked) return undefined;
    const redeemed = await client.redeemConsentCode(looked.signed);
    await invalidate([queryKeys.shared(client.address)]);
    return redeemed;
  });

  const code = looked?.signed.code;
  return (
    <section className="card" aria-labelledby="redeem-title">
      <h2 id="redeem-title">Redeem consent code</h2>
      <p className="muted">
        Type the short code the patient shows (like ABCDE-FGH23), or paste the whole code (MERIDIAN-CONSENT:1:…).
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit.reset();
          void lookUp.start();
        }}
      >
        <label htmlFor="redeem-input">Consent code</label>
        <textarea
          id="redeem-input"
          value={input}
          onChange={(e) => setInput(e.target.value)}
          rows={2}
          cols={50}
          required
          spellCheck={false}
          autoCapitalize="characters"
        />
        <p>
          <button type="submit" disabled={lookUp.pending}>
            {lookUp.pending ? "Checking…" : "Check code"}
          </button>
        </p>
      </form>
      <ErrorText error={lookUp.error} />
      {looked && code ? (
        <div className="card" data-testid="code-check">
          <dl>
            <dt>Patient</dt>
            <dd className="mono">{code.patient}</dd>
            <dt>Grants</dt>
            <dd>
              {formatScope(code.scope)}, {code.write ? "read and add records" : "read"}
            </dd>
            <dt>Access until</dt>
            <dd>{code.expiresAt ? formatTime(code.expiresAt) : "until the patient revokes it"}</dd>
            <dt>Submit before</dt>
            <dd>{formatTime(code.deadline)}</dd>
            {looked.shortCode ? (
              <>
                <dt>Short code</dt>
                <dd className="mono">{looked.shortCode} (the patient sees the same)</dd>
              </>
            ) : null}
          </dl>
          {looked.refused ? (
            <div className="alert" role="alert" data-testid="code-refused">
              {looked.refused.message}
              {looked.refused.hint ? <div className="muted">{looked.refused.hint}</div> : null}
            </div>
          ) : submit.result ? (
            <p className="ok" role="status" data-testid="code-redeemed">
              Consent recorded on chain: the patient&apos;s records are now under &ldquo;Patients who shared with
              you&rdquo;.
            </p>
          ) : (
            <>
              <p className="ok" data-testid="code-valid">
                The chain will accept this code. Submitting sends one transaction from your account (you pay the gas).
              </p>
              <button type="button" onClick={() => void submit.start()} disabled={submit.pending}>
                {submit.pending ? "Submitting…" : "Submit"}
              </button>
            </>
          )}
          <ErrorText error={submit.error} />
        </div>
      ) : null}
    </section>
  );
}
