/**
 * `@meridian/ecg`: ECG signal processing. This entry point holds what runs anywhere, the browser
 * included (no Node built-ins): streaming Pan-Tompkins QRS detection, beat-by-beat evaluation
 * (ANSI/AAMI EC57), rhythm screening and the AAMI heartbeat classes.
 *
 * The other entry points need Node: `@meridian/ecg/wfdb` (the PhysioNet WFDB reader and where
 * the MIT-BIH Arrhythmia Database lives), `@meridian/ecg/model` (the TensorFlow.js beat
 * classifier and its training data) and `@meridian/ecg/testing` (synthetic ECGs for tests).
 * The device → edge → fog → medical-server chain that uses them is `@meridian/monitoring`.
 *
 * @module
 */
export * from "./aami.ts";
export * from "./qrs/errors.ts";
export * from "./qrs/evaluate.ts";
export * from "./qrs/pan-tompkins.ts";
export * from "./qrs/constants.ts";
export * from "./screening.ts";
