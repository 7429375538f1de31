"use client";

import { useState } from "react";
import type { Address } from "viem";
import type { AddRecordStage, MeridianClient } from "@meridian/sdk";
import { fetchFhirDefinitionsLoader, loadFhirDefinitionsFrom, recordDraftFromFile } from "@meridian/sdk/fhir/browser";
import { checkImport, describeDifferingFields, type ImportCheckResult } from "@meridian/sdk";
import { categoryLabel } from "@/lib/format.ts";
import { describeError } from "@/lib/meridian.tsx";
import { staleAfter, useInvalidate } from "@/lib/queries.ts";
import { ErrorText } from "../error-text.tsx";

const STAGES: { key: AddRecordStage; label: string }[] = [
  { key: "encrypt", label: "Encrypt" },
  { key: "store", label: "Store" },
  { key: "anchor", label: "Anchor" },
  { key: "confirmed", label: "Confirm" },
];

/** A question the upload asks before storing a file (duplicate content, another person's data). */
interface Confirmation {
  file: string;
  check: ImportCheckResult;
  answer: (store: boolean) => void;
}

interface Progress {
  file: string;
  done: number;
  total: number;
  stage: AddRecordStage | undefined;
  current: string;
}

/**
 * Upload a FHIR bundle (split per encounter), a lab result, or a file (PDF, DICOM, image) as
 * records. Everything is encrypted in this page before it leaves it; the server only stores
 * ciphertext. Pass `patient` to add records for a patient who gave write consent. Before
 * storing a file, the earlier records are decrypted here and compared (`checkImport`): a file
 * already stored, or whose Patient is someone else, is stored only after the user confirms.
 */
export function UploadRecords({ client, patient }: { client: MeridianClient; patient?: Address }) {
  const invalidate = useInvalidate();
  const [progress, setProgress] = useState<Progress | undefined>(undefined);
  const [error, setError] = useState<{ message: string; hint?: string } | undefined>(undefined);
  const [added, setAdded] = useState<string[]>([]);
  const [confirmation, setConfirmation] = useState<Confirmation | undefined>(undefined);
  const [skipped, setSkipped] = useState<string[]>([]);
  const busy = confirmation !== undefined || (progress !== undefined && progress.done < progress.total);

  /** Asks before storing a file that duplicates stored content or names another person; resolves to the answer. */
  function confirm(file: string, check: ImportCheckResult): Promise<boolean> {
    return new Promise((resolve) =>
      setConfirmation({
        file,
        check,
        answer: (store) => {
          setConfirmation(undefined);
          resolve(store);
        },
      }),
    );
  }

  async function upload(files: FileList | null) {
    if (!files || files.length === 0) return;
    setError(undefined);
    setAdded([]);
    setSkipped([]);
    for (const file of Array.from(files)) {
      try {
        const bytes = new Uint8Array(await file.arrayBuffer());
        if (/\.json$/i.test(file.name) || bytes[0] === 0x7b) {
          // FHIR JSON is validated here, before encryption: load the R4 definitions once (same origin)
          setProgress({
            file: file.name,
            done: 0,
            total: 1,
            stage: undefined,
            current: "Loading FHIR R4 definitions…",
          });
          await loadFhirDefinitionsFrom(fetchFhirDefinitionsLoader(new URL("/medplum/", window.location.origin)));
        }
        const drafts = await recordDraftFromFile(bytes, { fileName: file.name });
        // compare with the earlier records (decrypted here, in memory): same content, another person?
        setProgress({
          file: file.name,
          done: 0,
          total: drafts.length,
          stage: undefined,
          current: "Comparing with your earlier records…",
        });
        const check = await checkImport(client, drafts, patient ? { patient } : {});
        if ((check.duplicates.length > 0 || check.mismatches.length > 0) && !(await confirm(file.name, check))) {
          setProgress(undefined);
          setSkipped((list) => [...list, file.name]);
          continue;
        }
        setProgress({ file: file.name, done: 0, total: drafts.length, stage: undefined, current: "" });
        for (const [index, draft] of drafts.entries()) {
          setProgress({ file: file.name, done: index, total: drafts.length, stage: "encrypt", current: draft.title });
          const plaintext = new TextEncoder().encode(JSON.stringify(draft.resource));
          await client.addRecord({
            plaintext,
            category: draft.category,
            ...(patient ? { patient } : {}),
            onStage: (stage) => setProgress((p) => (p ? { ...p, stage } : p)),
          });
          setAdded((list) => [...list, `${draft.title} (${categoryLabel(draft.category)})`]);
          setProgress({
            file: file.name,
            done: index + 1,
            total: drafts.length,
            stage: "confirmed",
            current: draft.title,
          });
        }
      } catch (e) {
        setError(describeError(e));
        break;
      } finally {
        // a write may also have moved the patient to new keys (a keyholder's access had ended)
        await invalidate(staleAfter.upload());
      }
    }
  }

  return (
    <section className="card" aria-labelledby="upload-title">
      <h2 id="upload-title">Add records</h2>
      <p className="muted">
        A FHIR R4 bundle (JSON) becomes one record per encounter; PDF, DICOM and images become documents. Files are
        encrypted here before upload; the first upload asks your wallet to sign an upload session (no gas, valid 8
        hours).
      </p>
      <label htmlFor="upload-input">Choose files</label>
      <input
        id="upload-input"
        type="file"
        multiple
        disabled={busy}
        accept=".json,application/json,application/fhir+json,.pdf,application/pdf,.dcm,application/dicom,image/*"
        onChange={(e) => void upload(e.target.files)}
      />
      {progress ? (
        <div aria-live="polite" data-testid="upload-progress">
          <p>
            {progress.file}: {progress.done} of {progress.total} records
            {progress.done === progress.total ? " added" : ""}
            {progress.current && progress.done < progress.total ? (
              <span className="muted"> ({progress.current})</span>
            ) : null}
          </p>
          <progress max={Math.max(progress.total, 1)} value={progress.done} aria-label="Records added" />
          <ol className="stages" aria-label="Stages of the current record">
            {STAGES.map((s, i) => {
              const at = progress.stage ? STAGES.findIndex((x) => x.key === progress.stage) : -1;
              const state = progress.done === progress.total || i < at ? "done" : i === at ? "active" : "todo";
              return (
                <li key={s.key} data-state={state}>
                  {s.label}
                  {state === "done" ? " ✓" : state === "active" ? "…" : ""}
                </li>
              );
            })}
          </ol>
        </div>
      ) : null}
      {confirmation ? (
        <div
          role="alertdialog"
          aria-labelledby="upload-confirm-title"
          aria-describedby="upload-confirm-text"
          className="confirm"
          data-testid="upload-confirm"
        >
          <h3 id="upload-confirm-title">Store {confirmation.file}?</h3>
          <div id="upload-confirm-text">
            {confirmation.check.mismatches.length > 0 ? (
              <p>
                The patient in this file does not match {patient ? "the patient's" : "your"} earlier records: the{" "}
                {describeDifferingFields(confirmation.check.mismatches.flatMap((m) => m.differing))} differ. It may be
                another person&apos;s data; anyone you share with would read it as {patient ? "the patient's" : "yours"}
                .
              </p>
            ) : null}
            {confirmation.check.duplicates.length > 0 ? (
              <p>
                {confirmation.check.duplicates.length === 1
                  ? "1 record of this file is"
                  : `${confirmation.check.duplicates.length} records of this file are`}{" "}
                already stored. Storing {confirmation.check.duplicates.length === 1 ? "it" : "them"} again adds a second
                copy.
              </p>
            ) : null}
          </div>
          <button type="button" onClick={() => confirmation.answer(false)}>
            Don&apos;t store
          </button>{" "}
          <button type="button" onClick={() => confirmation.answer(true)}>
            Store anyway
          </button>
        </div>
      ) : null}
      {skipped.length > 0 ? <p data-testid="upload-skipped">Not stored: {skipped.join(", ")}</p> : null}
      {added.length > 0 ? (
        <details>
          <summary>{added.length} records added</summary>
          <ul>
            {added.map((a, i) => (
              <li key={i}>{a}</li>
            ))}
          </ul>
        </details>
      ) : null}
      <ErrorText error={error} />
    </section>
  );
}
