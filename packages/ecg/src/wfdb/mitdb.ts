/**
 * Where the MIT-BIH Arrhythmia Database lives for this repository, and its record lists.
 *
 * @module
 */
import { existsSync } from "node:fs";
import path from "node:path";

/** Repository root (two levels above `packages/ecg`). */
export const REPO_ROOT = path.resolve(import.meta.dirname, "../../../..");

/**
 * Folder of the shared MIT-BIH records: `$MERIDIAN_MITDB` when set, else
 * `../shared/data/ecg/mitdb` beside the repository (see that folder's README).
 */
export const MITDB_DIR = process.env.MERIDIAN_MITDB ?? path.resolve(REPO_ROOT, "../shared/data/ecg/mitdb");

/** True when {@link MITDB_DIR} holds at least record 100. */
export const mitdbPresent = (): boolean => existsSync(path.join(MITDB_DIR, "100.hea"));

/** Message for tests skipped because the shared records are absent. */
export const MITDB_MISSING = `MIT-BIH records not found in ${MITDB_DIR} (set MERIDIAN_MITDB or place ../shared/data beside the repository)`;

/**
 * De Chazal et al. (2004) inter-patient split of the MIT-BIH Arrhythmia Database: DS1 for
 * training and DS2 for testing, no subject in both; the paced records 102, 104, 107 and 217
 * are excluded, as EC57 recommends. Records absent from the shared share (held back) are simply
 * not found on disk; use {@link availableRecords} to filter.
 */
export const DE_CHAZAL_DS1 = [
  "101",
  "106",
  "108",
  "109",
  "112",
  "114",
  "115",
  "116",
  "118",
  "119",
  "122",
  "124",
  "201",
  "203",
  "205",
  "207",
  "208",
  "209",
  "215",
  "220",
  "223",
  "230",
] as const;
/** See {@link DE_CHAZAL_DS1}. */
export const DE_CHAZAL_DS2 = [
  "100",
  "103",
  "105",
  "111",
  "113",
  "117",
  "121",
  "123",
  "200",
  "202",
  "210",
  "212",
  "213",
  "214",
  "219",
  "221",
  "222",
  "228",
  "231",
  "232",
  "233",
  "234",
] as const;
/** Records with paced rhythm (excluded from EC57 beat classification statistics). */
export const PACED_RECORDS = ["102", "104", "107", "217"] as const;

/** The records of `names` whose header is present in `directory` (default {@link MITDB_DIR}). */
export function availableRecords(names: readonly string[], directory = MITDB_DIR): string[] {
  return names.filter((n) => existsSync(path.join(directory, `${n}.hea`)));
}
