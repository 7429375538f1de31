/**
 * `@meridian/ecg`: remote ECG monitoring. This entry point exports QRS detection, beat-by-beat
 * evaluation and rhythm screening; the WFDB reader, AAMI classes and the monitoring chain are
 * imported from their own modules (`@meridian/ecg/wfdb/index.ts`, …).
 *
 * @module
 */
export * from "./qrs/errors.ts";
export * from "./qrs/evaluate.ts";
export * from "./qrs/pan-tompkins.ts";
export * from "./screening.ts";
