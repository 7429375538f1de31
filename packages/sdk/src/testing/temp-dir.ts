/**
 * Test kit: temporary directories that a test removes when it ends.
 *
 * @module
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

/** A directory made by {@link createTempDir}. */
export interface TempDir {
  /** Its absolute path. */
  path: string;
  /** Removes it and everything in it (no error when it is already gone). */
  remove: () => Promise<void>;
}

/**
 * Makes a new, empty directory `meridian-<label>-XXXXXX` under `parent` (default: the OS's
 * temporary directory).
 *
 * @example
 * ```ts
 * const dir = await createTempDir("import");
 * try {
 *   await writeFile(path.join(dir.path, "bundle.json"), "{}");
 * } finally {
 *   await dir.remove();
 * }
 * ```
 */
export async function createTempDir(label: string, parent: string = tmpdir()): Promise<TempDir> {
  const dir = await mkdtemp(path.join(parent, `meridian-${label}-`));
  return { path: dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
