"use client";

import { useMeridian } from "@/lib/meridian.tsx";

const WORDS: Record<string, string> = {
  simulating: "Checking…",
  signing: "Confirm in your wallet…",
  pending: "Sent, waiting for a block…",
  confirmed: "Confirmed",
  failed: "Failed",
};

/** The last few contract writes of this page, with their state; failures say why in plain words. */
export function TransactionPanel() {
  const { transactions } = useMeridian();
  const recent = transactions.slice(-3).reverse();
  if (recent.length === 0) return null;
  return (
    <section className="tx-panel" aria-label="Transactions" aria-live="polite">
      {recent.map((t) => (
        <div key={t.id} className="card" data-testid="tx" data-status={t.status}>
          <strong>{t.action}</strong>:{" "}
          <span className={t.status === "failed" ? "bad" : t.status === "confirmed" ? "ok" : ""}>
            {WORDS[t.status]}
          </span>
          {t.error ? <div className="bad">{t.error}</div> : null}
          {t.gasUsed !== undefined ? <div className="muted">{t.gasUsed.toLocaleString("en")} gas</div> : null}
        </div>
      ))}
    </section>
  );
}
