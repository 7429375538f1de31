/**
 * The CLI's file-system boundary: where relative paths the user typed resolve, how files that
 * hold plaintext are written (owner-only, mode 0600), how a state folder is claimed and cleared
 * (only one Meridian created, marked by {@link STATE_MARKER}, or an empty one), and how Node's
 * file-system errors (`ENOENT`, `EISDIR`, `ENOTDIR`, `EACCES`, …) become messages that say which
 * path, what is wrong and what to do.
 *
 * @module
 */
import { constants } from "node:fs";
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { MeridianError } from "@meridian/sdk";

/** A file or folder the user named cannot be used (missing, of the wrong kind, not permitted, …). */
export class FileAccessError extends MeridianError {
  override name = "FileAccessError" as const;
  /** The path concerned, as resolved. */
  readonly path: string | undefined;
  /** Node's error code, e.g. `ENOENT`. */
  readonly code: string | undefined;

  constructor(
    shortMessage: string,
    options: { path?: string | undefined; code?: string | undefined; hint?: string; details?: string; cause?: unknown },
  ) {
    super(shortMessage, { hint: options.hint, details: options.details, cause: options.cause });
    this.path = options.path;
    this.code = options.code;
  }
}

/** A state folder (`--data-dir`) holds files Meridian did not put there; nothing was deleted. */
export class StateDirectoryError extends MeridianError {
  override name = "StateDirectoryError" as const;
}

/**
 * The folder relative paths on the command line are relative to: npm's `INIT_CWD` when set (a
 * script started by `npm run …` runs in the repository root, but the user typed the paths in the
 * folder npm was started from), else the working directory.
 */
export function userCwd(): string {
  const init = process.env.INIT_CWD;
  return init && path.isAbsolute(init) ? init : process.cwd();
}

/** `file` resolved against {@link userCwd} (an absolute path is returned as it is). */
export function userPath(file: string): string {
  return path.resolve(userCwd(), file);
}

/**
 * Writes `data` to `file` readable and writable by its owner only (mode 0600): a new file is
 * created with that mode, and an existing file is narrowed to it before any byte is written (its
 * mode is never widened). For anything holding plaintext: decrypted records, attachments, codes.
 *
 * @throws {FileAccessError} when the file cannot be written (see {@link toFileAccessError}).
 */
export async function writePrivateFile(file: string, data: Uint8Array | string): Promise<void> {
  try {
    const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
    try {
      const { mode } = await handle.stat();
      if ((mode & 0o777 & ~0o600) !== 0) await handle.chmod(mode & 0o600);
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw toFileAccessError(error, { purpose: "write", path: file }) ?? error;
  }
}

/**
 * Reads a file the user named, resolved against {@link userCwd}.
 *
 * @param what - What the file is, for messages (default `file`).
 * @throws {FileAccessError} naming the path when it is missing, a folder, or not readable.
 */
export async function readUserFile(file: string, what = "file"): Promise<Buffer> {
  const resolved = userPath(file);
  try {
    return await readFile(resolved);
  } catch (error) {
    throw toFileAccessError(error, { purpose: "read", what, path: resolved }) ?? error;
  }
}

/** The name of the file that marks a folder as created (and so clearable) by Meridian. */
export const STATE_MARKER = ".meridian-state";

/** Options of {@link prepareStateDirectory}. */
export interface PrepareStateDirectoryOptions {
  /** The option that named the folder, for messages (e.g. `--data-dir`). */
  option: string;
  /** Who claims it, written into the marker (e.g. `meridian demo`). */
  owner: string;
  /** Empty it first (only when marked or already empty). Default true. */
  clear?: boolean;
}

/**
 * Makes `directory` ready as a state folder and returns its absolute path. A missing folder is
 * created and marked with {@link STATE_MARKER}; an empty one is marked; one carrying the marker is
 * emptied (when `clear`), marker kept. With `clear`, a folder that holds anything without the
 * marker is never touched: this throws instead, so a user's files are never deleted; without
 * `clear` such a folder is used as it is, unmarked.
 *
 * @throws {StateDirectoryError} when asked to clear a folder that is not empty and carries no
 *   marker, or when the path is a file.
 */
export async function prepareStateDirectory(directory: string, options: PrepareStateDirectoryOptions): Promise<string> {
  const dir = path.resolve(directory);
  const marker = path.join(dir, STATE_MARKER);
  let entries: string[] | undefined;
  try {
    entries = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR")
      throw new StateDirectoryError(`${options.option} ${dir} is a file, not a folder.`, {
        hint: `Pass a new or empty folder as ${options.option}.`,
      });
    if (code !== "ENOENT") throw toFileAccessError(error, { purpose: "read" }) ?? error;
  }
  const keep = options.clear === false;
  // a folder that is only used, not emptied, may hold anything: it is not claimed (no marker)
  if (keep && entries !== undefined && entries.length > 0 && !entries.includes(STATE_MARKER)) return dir;
  if (entries !== undefined && entries.length > 0 && !entries.includes(STATE_MARKER)) {
    throw new StateDirectoryError(
      `${options.option} ${dir} is not empty and was not created by Meridian; nothing in it was deleted.`,
      {
        details: `${entries.length} entr${entries.length === 1 ? "y" : "ies"}, no ${STATE_MARKER} marker`,
        hint: `Pass a new or empty folder as ${options.option} (e.g. ${options.option} /tmp/meridian-run); if it holds an earlier Meridian run from before this check, delete it yourself.`,
      },
    );
  }
  try {
    if (entries === undefined) await mkdir(dir, { recursive: true });
    else if (!keep) {
      for (const entry of entries)
        if (entry !== STATE_MARKER) await rm(path.join(dir, entry), { recursive: true, force: true });
    }
    if (entries === undefined || !entries.includes(STATE_MARKER)) {
      await writeFile(
        marker,
        `Created by ${options.owner} on ${new Date().toISOString()}. Meridian empties this folder when it runs again; delete this file to keep it from doing so.\n`,
      );
    }
  } catch (error) {
    throw toFileAccessError(error, { purpose: "write" }) ?? error;
  }
  return dir;
}

/** True when `inner` is `outer` or inside it (both resolved). */
export function isWithin(inner: string, outer: string): boolean {
  const rel = path.relative(path.resolve(outer), path.resolve(inner));
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * Checks that `dir` is an existing folder.
 *
 * @throws {FileAccessError} naming `option` when it is missing or a file.
 */
export async function requireDirectory(dir: string, option: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    throw toFileAccessError(error, { purpose: "read", what: `${option} folder` }) ?? error;
  }
  if (!isDirectory)
    throw new FileAccessError(`${option} ${dir} is a file, not a folder.`, {
      path: dir,
      code: "ENOTDIR",
      hint: `Pass a folder as ${option}.`,
    });
}

const ERRNO = new Set([
  "ENOENT",
  "EISDIR",
  "ENOTDIR",
  "EACCES",
  "EPERM",
  "EEXIST",
  "ENOSPC",
  "EROFS",
  "ELOOP",
  "ENAMETOOLONG",
  "EMFILE",
  "EBUSY",
  "EDQUOT",
]);

/**
 * A Node file-system error (`ENOENT`, `EISDIR`, `ENOTDIR`, `EACCES`, `EPERM`, `ENOSPC`, …) as a
 * {@link FileAccessError} that names the path, says what is wrong and what to do; `undefined` for
 * anything else.
 *
 * @param options.purpose - What was being done with the path (`read` or `write`), for the hint.
 * @param options.what - What the path is, e.g. `--input folder` (default `file`).
 * @param options.path - The path, for errors that do not carry it (reading a folder: `EISDIR`).
 */
export function toFileAccessError(
  error: unknown,
  options: { purpose?: "read" | "write"; what?: string; path?: string } = {},
): FileAccessError | undefined {
  if (error instanceof FileAccessError) return error;
  const e = error as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  if (!e || typeof e !== "object" || typeof e.code !== "string" || !ERRNO.has(e.code)) return undefined;
  const where = e.path ?? e.dest ?? options.path;
  const p = where ? String(where) : "(unknown path)";
  const what = options.what ?? "file";
  const base = userCwd();
  const relHint = where && !path.isAbsolute(String(where)) ? ` (relative paths are taken from ${base})` : "";
  const make = (message: string, hint: string) =>
    new FileAccessError(message, { path: p, code: e.code, hint, cause: error });
  switch (e.code) {
    case "ENOENT":
      return options.purpose === "write"
        ? make(
            `Cannot write ${p}: its folder does not exist.`,
            `Create the folder first, or name a file in an existing folder${relHint}.`,
          )
        : make(`No ${what} at ${p}.`, `Check the path${relHint}.`);
    case "EISDIR":
      return make(`${p} is a folder, but a file is needed here.`, "Name a file, not a folder.");
    case "ENOTDIR":
      return make(`A part of ${p} is a file, not a folder.`, `Check the path${relHint}.`);
    case "EACCES":
    case "EPERM":
      return make(
        `Permission denied: ${p}.`,
        options.purpose === "write"
          ? "Pick a path you may write to, or change the file's permissions."
          : "Check the file's permissions (ls -l).",
      );
    case "EEXIST":
      return make(`${p} already exists.`, "Pick another path, or remove it first.");
    case "ENOSPC":
    case "EDQUOT":
      return make(`No space left on the device holding ${p}.`, "Free some space, or write elsewhere.");
    case "EROFS":
      return make(`${p} is on a read-only file system.`, "Write somewhere else.");
    case "ELOOP":
      return make(`${p} is a loop of symbolic links.`, "Check the links (ls -l).");
    case "ENAMETOOLONG":
      return make(`The path ${p.slice(0, 80)}… is too long.`, "Use a shorter path.");
    default:
      return make(`Cannot use ${p}: the system is busy or out of file handles.`, "Close other programs and try again.");
  }
}
