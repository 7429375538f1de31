/**
 * React components that show decrypted FHIR records to a person, as text (never the FHIR
 * narrative, never `dangerouslySetInnerHTML`). The view model they render comes from
 * `@meridian/sdk/fhir/browser` (`buildRecordView`, `labTrends`).
 *
 * @module
 */
export { RecordView } from "./record-view.tsx";
export type { HeadingLevel, RecordViewProps } from "./record-view.tsx";
export { LabTrendsChart } from "./lab-trends-chart.tsx";
export type { LabTrendsChartProps } from "./lab-trends-chart.tsx";
export { DocumentDownload } from "./document-download.tsx";
export type { DocumentDownloadProps } from "./document-download.tsx";
