"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import type { Hex } from "viem";
import type { Bundle } from "@medplum/fhirtypes";
import { isInternationalPatientSummary, summarizeInternationalPatientSummary } from "@meridian/sdk/fhir/browser";
import type { MeridianClient } from "@meridian/sdk";
import { describeError } from "@/lib/meridian.tsx";
import { recordQueryOptions } from "@/lib/queries.ts";
import { ErrorText } from "../error-text.tsx";
import { FhirRecord } from "../fhir-record.tsx";
import styles from "../consent/consent.module.css";

const list = (items: string[]) =>
  items.length === 0 ? (
    <span className="muted">None recorded</span>
  ) : (
    <ul>
      {items.map((x, i) => (
        <li key={`${i}-${x}`}>{x}</li>
      ))}
    </ul>
  );

/** An HL7 International Patient Summary as a clinician needs it first: allergies, medications, problems, blood group. */
export function IpsSummary({ bundle }: { bundle: Bundle }) {
  const view = useMemo(() => summarizeInternationalPatientSummary(bundle), [bundle]);
  return (
    <dl className={styles.ips} data-testid="ips-summary">
      {view.patientName ? (
        <>
          <dt>Patient</dt>
          <dd>
            {view.patientName}
            {view.birthDate ? `, born ${view.birthDate}` : ""}
          </dd>
        </>
      ) : null}
      <dt>Allergies and intolerances</dt>
      <dd data-testid="ips-allergies">{list(view.allergies)}</dd>
      <dt>Medications</dt>
      <dd data-testid="ips-medications">{list(view.medications)}</dd>
      <dt>Problems</dt>
      <dd data-testid="ips-problems">{list(view.problems)}</dd>
      <dt>Blood group</dt>
      <dd data-testid="ips-blood-group">{view.bloodGroup ?? <span className="muted">Not recorded</span>}</dd>
      {view.date ? (
        <>
          <dt>Summary made</dt>
          <dd>{view.date.slice(0, 16).replace("T", " ")}</dd>
        </>
      ) : null}
    </dl>
  );
}

/**
 * Reads (fetch, verify against the chain, decrypt in this page) a record that should be an
 * emergency summary and shows it with {@link IpsSummary}; any other record falls back to the
 * generic record view.
 */
export function EmergencySummaryRecord({ client, recordId }: { client: MeridianClient; recordId: Hex }) {
  const record = useQuery(recordQueryOptions(client, { recordId }));
  const bundle = useMemo(() => {
    if (!record.data) return undefined;
    try {
      const json: unknown = JSON.parse(new TextDecoder().decode(record.data.plaintext));
      return isInternationalPatientSummary(json) ? json : undefined;
    } catch {
      return undefined;
    }
  }, [record.data]);
  if (record.isPending) return <p role="status">Fetching, verifying and decrypting the summary…</p>;
  if (record.error) return <ErrorText error={describeError(record.error)} />;
  return bundle ? <IpsSummary bundle={bundle} /> : <FhirRecord plaintext={record.data.plaintext} />;
}
