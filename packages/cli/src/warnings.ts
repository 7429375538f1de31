/**
 * Keeps one known warning out of the CLI's output: Node 22 calls `node:sqlite` (the fog queue
 * and the medical server's state) experimental and says so on stderr the first time it loads.
 * Every other warning, experimental or not, is printed as before. Imported first by `main.ts`,
 * so it is in place before any module loads `node:sqlite`.
 *
 * (`node --disable-warning=ExperimentalWarning` would also silence every other experimental
 * feature, and only when the CLI is started with that flag.)
 *
 * @module
 */

/** The warning kept out: its `name` and the start of its message. */
export const SQLITE_WARNING = { name: "ExperimentalWarning", message: "SQLite is an experimental feature" } as const;

const printers = process.listeners("warning");
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (warning.name === SQLITE_WARNING.name && warning.message.startsWith(SQLITE_WARNING.message)) return;
  for (const print of printers) print.call(process, warning);
});
