/**
 * Structure checks run by `npm run lint` (issue 15's rules), on the files git tracks:
 *
 * 1. No source file (`.ts`, `.tsx`, `.js`, `.mjs`, `.sol`) outside generated code is over
 *    {@link MAX_LINES} lines.
 * 2. No workspace package exports a wildcard subpath (`"./*"`): each names its entry points.
 * 3. Outside a workspace package, code imports it only through one of its `exports` entry points
 *    (`@meridian/sdk/chain`, never `@meridian/sdk/chain/actions.ts`).
 *
 * Prints every violation as `path:line: what is wrong` and exits with status 1 if there is any.
 * Import cycles are checked separately by madge (`npm run lint:cycles`).
 *
 * Usage: `node scripts/check-structure.ts`
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

/** The most lines a source file may have. */
export const MAX_LINES = 500;

const SOURCE = /\.(ts|tsx|js|mjs|sol)$/;
/** Generated files, exempt from the line limit. */
const GENERATED = [/^packages\/sdk\/src\/generated\//, /(^|\/)next-env\.d\.ts$/];

const root = path.resolve(import.meta.dirname, "..");
const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" }).split("\0").filter(Boolean);
const problems: string[] = [];

interface WorkspacePackage {
  name: string;
  directory: string;
  entries: Set<string>;
}

const rootManifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { workspaces?: string[] };
const packages: WorkspacePackage[] = [];
for (const manifestPath of tracked.filter((f) => /^(packages\/[^/]+|web)\/package\.json$/.test(f))) {
  const directory = path.dirname(manifestPath);
  if (!(rootManifest.workspaces ?? []).includes(directory)) continue;
  const manifest = JSON.parse(readFileSync(path.join(root, manifestPath), "utf8")) as {
    name: string;
    exports?: Record<string, string>;
  };
  const entries = new Set(Object.keys(manifest.exports ?? {}));
  for (const key of entries) {
    if (key.includes("*")) problems.push(`${manifestPath}:1: exports "${key}" is a wildcard; name each entry point`);
  }
  packages.push({ name: manifest.name, directory, entries });
}

const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)["'](@meridian\/[a-z0-9-]+)(\/[^"']*)?["']/g;
for (const file of tracked.filter((f) => SOURCE.test(f))) {
  const text = readFileSync(path.join(root, file), "utf8");
  const lines = text.split("\n");
  const count = text.endsWith("\n") ? lines.length - 1 : lines.length;
  if (count > MAX_LINES && !GENERATED.some((g) => g.test(file))) {
    problems.push(`${file}:${MAX_LINES + 1}: ${count} lines, over the limit of ${MAX_LINES}; split it by concern`);
  }
  for (const [index, line] of lines.entries()) {
    for (const match of line.matchAll(IMPORT)) {
      const target = packages.find((p) => p.name === match[1]);
      if (target === undefined || file.startsWith(`${target.directory}/`)) continue;
      const entry = `.${match[2] ?? ""}`;
      if (!target.entries.has(entry)) {
        problems.push(
          `${file}:${index + 1}: imports ${match[1]}${match[2] ?? ""}, which is not an entry point of ${target.name} ` +
            `(${[...target.entries].join(", ")})`,
        );
      }
    }
  }
}

if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error(`check-structure: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`check-structure: ${tracked.filter((f) => SOURCE.test(f)).length} files, ${packages.length} packages: ok`);
