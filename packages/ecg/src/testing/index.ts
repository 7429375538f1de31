/**
 * `@meridian/ecg/testing`: synthetic ECGs for tests, browser tests and a first try without the
 * MIT-BIH files. Deterministic for a given seed; not patient data.
 *
 * @module
 */
export * from "../qrs/synthetic-ecg.ts";
export * from "../wfdb/synthetic.ts";
