/**
 * A small reader of PhysioNet WFDB records: headers, format-212 signals and MIT-format
 * annotations (https://physionet.org/physiotools/wag/). No maintained JavaScript reader exists
 * on the npm registry (the `wfdb` package is a 0.0.x abandoned prototype), so this one is ours
 * and tested against the MIT-BIH Arrhythmia Database's published counts and checksums.
 * `mitdb.ts` says where this repository finds that database (`MITDB_DIR`) and lists its records
 * (the de Chazal DS1/DS2 split, the paced records).
 *
 * @module
 */
export * from "./annotations.ts";
export * from "./errors.ts";
export * from "./header.ts";
export * from "./record.ts";
export * from "./signal.ts";
export * from "./mitdb.ts";
