"use client";

import { useState } from "react";
import type { Address } from "viem";
import type { MeridianClient } from "@meridian/sdk";
import { LAB_TREND_CATEGORIES, labTrends } from "@meridian/sdk/fhir/browser";
import { describeError } from "@/lib/meridian.tsx";
import { LabTrendsChart } from "../fhir/index.ts";
import { ErrorText } from "../error-text.tsx";

/** Decrypts the patient's lab and vital-sign records in this page and charts the common lab values over time. */
export function LabTrends({ client, patient }: { client: MeridianClient; patient: Address }) {
  const [state, setState] = useState<
    { done: number; total: number; series?: ReturnType<typeof labTrends> } | undefined
  >(undefined);
  const [error, setError] = useState<{ message: string; hint?: string } | undefined>(undefined);
  async function load() {
    setError(undefined);
    try {
      const anchors = (await client.listRecords(patient)).filter((a) => LAB_TREND_CATEGORIES.includes(a.category));
      const records: unknown[] = [];
      setState({ done: 0, total: anchors.length });
      for (const [i, a] of anchors.entries()) {
        const { plaintext } = await client.readRecord(a.recordId);
        records.push(JSON.parse(new TextDecoder().decode(plaintext)));
        setState({ done: i + 1, total: anchors.length });
      }
      setState({ done: anchors.length, total: anchors.length, series: labTrends(records) });
    } catch (e) {
      setError(describeError(e));
    }
  }
  return (
    <section className="card" aria-labelledby="trends-title">
      <h2 id="trends-title">Lab trends</h2>
      <p className="muted">
        Glucose, HbA1c, cholesterol, HDL, LDL, triglycerides and haemoglobin over time, from the records you hold
        (decrypted here).
      </p>
      <button
        type="button"
        onClick={() => void load()}
        disabled={state !== undefined && state.series === undefined && !error}
      >
        Show lab trends
      </button>
      {state && !state.series ? (
        <progress max={Math.max(1, state.total)} value={state.done} aria-label="Records decrypted" />
      ) : null}
      {state?.series ? <LabTrendsChart series={state.series} /> : null}
      <ErrorText error={error} />
    </section>
  );
}
