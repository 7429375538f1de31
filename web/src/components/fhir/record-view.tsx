"use client";

import { Fragment, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { NotFhirRecordError, buildRecordView, formatByteSize, formatFhirDate } from "@meridian/sdk/fhir/browser";
import type { FhirRecordView, ObservationView, PatientSummary } from "@meridian/sdk/fhir/browser";
import { DocumentDownload } from "./document-download.tsx";
import { ObservationResult } from "./observation-result.tsx";
import styles from "./fhir.module.css";

/** Heading level of the record's section headings (`h2`…`h4`), to fit the page outline. */
export type HeadingLevel = 2 | 3 | 4;

/** Props of {@link RecordView}. */
export interface RecordViewProps {
  /** One decrypted record: parsed JSON (a FHIR Bundle or a single resource), untrusted. */
  record: unknown;
  /** Level of the section headings; default 3 (the record usually sits under an `h2`). */
  headingLevel?: HeadingLevel;
  /** Rows shown per section before a "Show all" button; default 25. */
  initialRows?: number;
}

/**
 * Renders one decrypted FHIR record for a person: a section per kind of content (patient,
 * encounters, conditions, medications, allergies, lab results, vital signs, other
 * observations, immunizations, procedures, reports, documents), each with a heading and
 * omitted when empty. Everything is rendered as text; the FHIR narrative is never used.
 * Input that is not a FHIR resource shows a short message instead.
 */
export function RecordView({ record, headingLevel = 3, initialRows = 25 }: RecordViewProps) {
  const view = useMemo((): FhirRecordView | undefined => {
    try {
      return buildRecordView(record);
    } catch (e) {
      if (e instanceof NotFhirRecordError) return undefined;
      throw e;
    }
  }, [record]);
  if (view === undefined)
    return <p className={styles["fhir-muted"]}>This record is not a FHIR resource, so it cannot be shown.</p>;

  const h = headingLevel;
  const rows = initialRows;
  const otherTypes = Object.entries(view.other).sort(([a], [b]) => a.localeCompare(b));
  const empty =
    view.patient === undefined &&
    [
      view.encounters,
      view.conditions,
      view.medications,
      view.allergies,
      view.labs,
      view.vitals,
      view.otherObservations,
      view.immunizations,
      view.procedures,
      view.reports,
      view.documents,
    ].every((l) => l.length === 0);

  return (
    <div className={styles["fhir-record"]}>
      {view.patient ? (
        <Section title="Patient" level={h}>
          <PatientDetails patient={view.patient} />
        </Section>
      ) : null}

      {view.encounters.length > 0 ? (
        <Section title="Encounters" level={h} count={view.encounters.length}>
          <Table caption="Visits and stays" head={["Date", "Type", "Reason", "Provider", "Location"]} wide rows={rows}>
            {view.encounters.map((e, i) => (
              <tr key={i}>
                <td className={styles["fhir-nowrap"]}>
                  <FhirDate value={e.start} />
                  {e.end !== undefined && e.end.slice(0, 10) !== e.start?.slice(0, 10) ? (
                    <>
                      {" – "}
                      <FhirDate value={e.end} />
                    </>
                  ) : null}
                </td>
                <td>
                  {e.type ?? "Encounter"}
                  {e.class !== undefined ? <div className={styles["fhir-muted"]}>{e.class}</div> : null}
                </td>
                <td>{e.reasons.join("; ")}</td>
                <td>
                  {e.organization}
                  {e.practitioners.length > 0 ? (
                    <div className={styles["fhir-muted"]}>{e.practitioners.join(", ")}</div>
                  ) : null}
                </td>
                <td>{e.location}</td>
              </tr>
            ))}
          </Table>
        </Section>
      ) : null}

      {view.conditions.length > 0 ? (
        <Section title="Conditions" level={h} count={view.conditions.length}>
          <Table caption="Problems and diagnoses" head={["Condition", "Status", "Onset", "Resolved"]} rows={rows}>
            {view.conditions.map((c, i) => (
              <tr key={i}>
                <td>{c.display}</td>
                <td>{[c.clinicalStatus, c.verificationStatus].filter((s) => s !== undefined).join(", ")}</td>
                <td className={styles["fhir-nowrap"]}>
                  <FhirDate value={c.onset} />
                </td>
                <td className={styles["fhir-nowrap"]}>
                  <FhirDate value={c.abatement} />
                </td>
              </tr>
            ))}
          </Table>
        </Section>
      ) : null}

      {view.medications.length > 0 ? (
        <Section title="Medications" level={h} count={view.medications.length}>
          <Table
            caption="Prescriptions and medication statements"
            head={["Medication", "Status", "Date", "Dosage", "Reason"]}
            wide
            rows={rows}
          >
            {view.medications.map((m, i) => (
              <tr key={i}>
                <td>{m.medication}</td>
                <td>{m.status}</td>
                <td className={styles["fhir-nowrap"]}>
                  <FhirDate value={m.authoredOn} />
                </td>
                <td>{m.dosage}</td>
                <td>{m.reasons.join("; ")}</td>
              </tr>
            ))}
          </Table>
        </Section>
      ) : null}

      {view.allergies.length > 0 ? (
        <Section title="Allergies and intolerances" level={h} count={view.allergies.length}>
          <Table
            caption="Allergies and intolerances"
            head={["Substance", "Criticality", "Reactions", "Status", "Recorded"]}
            wide
            rows={rows}
          >
            {view.allergies.map((a, i) => (
              <tr key={i}>
                <td>
                  {a.substance}
                  {a.type !== undefined || a.categories.length > 0 ? (
                    <div className={styles["fhir-muted"]}>
                      {[a.type, ...a.categories].filter((s) => s !== undefined).join(", ")}
                    </div>
                  ) : null}
                </td>
                <td>{a.criticality === "high" ? <strong>High</strong> : a.criticality}</td>
                <td>
                  {a.reactions
                    .map((r) => `${r.manifestations.join(", ")}${r.severity !== undefined ? ` (${r.severity})` : ""}`)
                    .join("; ")}
                </td>
                <td>{a.clinicalStatus}</td>
                <td className={styles["fhir-nowrap"]}>
                  <FhirDate value={a.recordedDate} />
                </td>
              </tr>
            ))}
          </Table>
        </Section>
      ) : null}

      {view.labs.length > 0 ? (
        <Section title="Lab results" level={h} count={view.labs.length}>
          <ObservationTable
            caption="Lab results, with units and reference ranges"
            observations={view.labs}
            rows={rows}
          />
        </Section>
      ) : null}

      {view.vitals.length > 0 ? (
        <Section title="Vital signs" level={h} count={view.vitals.length}>
          <ObservationTable caption="Vital signs, with units" observations={view.vitals} rows={rows} />
        </Section>
      ) : null}

      {view.otherObservations.length > 0 ? (
        <Section title="Other observations" level={h} count={view.otherObservations.length}>
          <ObservationTable
            caption="Surveys, social history and other observations"
            observations={view.otherObservations}
            rows={rows}
          />
        </Section>
      ) : null}

      {view.immunizations.length > 0 ? (
        <Section title="Immunizations" level={h} count={view.immunizations.length}>
          <Table caption="Vaccinations" head={["Vaccine", "Date", "Status"]} rows={rows}>
            {view.immunizations.map((v, i) => (
              <tr key={i}>
                <td>{v.vaccine}</td>
                <td className={styles["fhir-nowrap"]}>
                  <FhirDate value={v.date} />
                </td>
                <td>{v.status}</td>
              </tr>
            ))}
          </Table>
        </Section>
      ) : null}

      {view.procedures.length > 0 ? (
        <Section title="Procedures" level={h} count={view.procedures.length}>
          <Table caption="Procedures" head={["Procedure", "Date", "Status"]} rows={rows}>
            {view.procedures.map((p, i) => (
              <tr key={i}>
                <td>{p.display}</td>
                <td className={styles["fhir-nowrap"]}>
                  <FhirDate value={p.date} />
                </td>
                <td>{p.status}</td>
              </tr>
            ))}
          </Table>
        </Section>
      ) : null}

      {view.reports.length > 0 ? (
        <Section title="Reports" level={h} count={view.reports.length}>
          <Table caption="Diagnostic reports" head={["Report", "Date", "Conclusion", "Results"]} wide rows={rows}>
            {view.reports.map((r, i) => (
              <tr key={i}>
                <td>
                  {r.display}
                  {r.categories.length > 0 || r.status !== undefined ? (
                    <div className={styles["fhir-muted"]}>
                      {[...r.categories, r.status].filter((s) => s !== undefined).join(", ")}
                    </div>
                  ) : null}
                </td>
                <td className={styles["fhir-nowrap"]}>
                  <FhirDate value={r.date} />
                </td>
                <td>{r.conclusion}</td>
                <td>{r.results.join(", ")}</td>
              </tr>
            ))}
          </Table>
        </Section>
      ) : null}

      {view.documents.length > 0 ? (
        <Section title="Documents" level={h} count={view.documents.length}>
          <Table caption="Documents and files" head={["Document", "Created", "File", "Type", "Size"]} wide rows={rows}>
            {view.documents.map((d, i) => (
              <tr key={i}>
                <td>
                  {d.title}
                  {d.fileName !== undefined && d.fileName !== d.title ? (
                    <div className={styles["fhir-muted"]}>{d.fileName}</div>
                  ) : null}
                </td>
                <td className={styles["fhir-nowrap"]}>
                  <FhirDate value={d.created} />
                </td>
                <td>
                  <DocumentDownload document={d} />
                </td>
                <td>{contentTypeLabel(d.contentType)}</td>
                <td className={styles["fhir-number"]}>{d.size !== undefined ? formatByteSize(d.size) : null}</td>
              </tr>
            ))}
          </Table>
        </Section>
      ) : null}

      {otherTypes.length > 0 ? (
        <p className={styles["fhir-muted"]}>
          Also in this record, not shown: {otherTypes.map(([type, n]) => `${type} (${n})`).join(", ")}.
        </p>
      ) : null}
      {empty ? <p className={styles["fhir-muted"]}>This record holds nothing that can be shown here.</p> : null}
    </div>
  );
}

function Section({
  title,
  level,
  count,
  children,
}: {
  title: string;
  level: HeadingLevel;
  count?: number;
  children: ReactNode;
}) {
  const Heading = `h${level}` as const;
  return (
    <section className={styles["fhir-section"]}>
      <Heading>
        {title}
        {count !== undefined ? <span className={styles["fhir-count"]}> ({count})</span> : null}
      </Heading>
      {children}
    </section>
  );
}

/** A table in a horizontally scrolling, keyboard-focusable wrapper; shows the first `rows` rows until "Show all". */
function Table({
  caption,
  head,
  wide = false,
  rows,
  children,
}: {
  caption: string;
  head: string[];
  wide?: boolean;
  rows: number;
  children: ReactNode[];
}) {
  const [all, setAll] = useState(false);
  const shown = all ? children : children.slice(0, rows);
  const tableClass = wide ? `${styles["fhir-table"]} ${styles["fhir-table-wide"]}` : styles["fhir-table"];
  return (
    <>
      <div className={styles["fhir-table-wrap"]} role="region" aria-label={caption} tabIndex={0}>
        <table className={tableClass}>
          <caption className={styles["fhir-visually-hidden"]}>{caption}</caption>
          <thead>
            <tr>
              {head.map((h) => (
                <th key={h} scope="col">
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>{shown}</tbody>
        </table>
      </div>
      {children.length > rows ? (
        <div className={styles["fhir-more"]}>
          <button type="button" className={styles["fhir-button"]} onClick={() => setAll(!all)} aria-expanded={all}>
            {all ? `Show the first ${rows}` : `Show all ${children.length}`}
          </button>
        </div>
      ) : null}
    </>
  );
}

function PatientDetails({ patient: p }: { patient: PatientSummary }) {
  const place = [p.city, p.state, p.country].filter((s) => s !== undefined).join(", ");
  const items: [string, ReactNode][] = [];
  if (p.name !== undefined) items.push(["Name", p.name]);
  if (p.gender !== undefined) items.push(["Gender", p.gender]);
  if (p.birthDate !== undefined) {
    items.push([
      "Born",
      <>
        <FhirDate value={p.birthDate} />
        {p.age !== undefined ? ` (${p.deceased ? "died at" : "age"} ${p.age})` : null}
      </>,
    ]);
  }
  if (p.deceased) items.push(["Deceased", p.deceasedDate !== undefined ? <FhirDate value={p.deceasedDate} /> : "Yes"]);
  if (place !== "") items.push(["Lives in", place]);
  return (
    <dl className={styles["fhir-summary"]}>
      {items.map(([term, value]) => (
        <Fragment key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

/** A FHIR date as text inside `<time>` (its `dateTime` attribute only when it looks like an ISO date). */
function FhirDate({ value }: { value: string | undefined }) {
  if (value === undefined) return null;
  return /^\d{4}(-\d{2}){0,2}(T|$)/.test(value) ? <time dateTime={value}>{formatFhirDate(value)}</time> : <>{value}</>;
}

function ObservationTable({
  caption,
  observations,
  rows,
}: {
  caption: string;
  observations: ObservationView[];
  rows: number;
}) {
  return (
    <Table
      caption={caption}
      head={["Test", "Result", "Reference range", "Interpretation", "Date", "LOINC"]}
      wide
      rows={rows}
    >
      {observations.map((o, i) => (
        <tr key={i}>
          <td>{o.display}</td>
          <td>
            <ObservationResult observation={o} />
          </td>
          <td>
            {o.components.length > 0
              ? o.components
                  .filter((c) => c.referenceRange !== undefined)
                  .map((c, j) => <div key={j}>{`${c.display}: ${c.referenceRange?.text ?? ""}`}</div>)
              : o.referenceRange?.text}
          </td>
          <td>{o.interpretation}</td>
          <td className={styles["fhir-nowrap"]}>
            <FhirDate value={o.date} />
          </td>
          <td className={styles["fhir-nowrap"]}>{o.loinc}</td>
        </tr>
      ))}
    </Table>
  );
}

const CONTENT_TYPE_LABEL: Readonly<Record<string, string>> = {
  "application/pdf": "PDF document",
  "application/dicom": "DICOM image",
  "text/plain": "Text",
  "image/png": "PNG image",
  "image/jpeg": "JPEG image",
  "application/json": "JSON",
  "application/fhir+json": "FHIR JSON",
};

function contentTypeLabel(contentType: string | undefined): string | undefined {
  const base = contentType?.split(";")[0]?.trim().toLowerCase();
  return base === undefined ? undefined : (CONTENT_TYPE_LABEL[base] ?? base);
}
