/**
 * Writes `packages/sdk/src/generated/contracts.ts` from Hardhat's artifacts: the ABIs (as
 * `const`, so viem infers every argument and return type) and the creation bytecode of the
 * deployable contracts. Run by `npm run compile`; nobody edits or hand-copies an ABI.
 *
 * Also writes `packages/sdk/src/generated/contract-errors.ts`: each custom error's plain-language
 * explanation, from its NatSpec in the Solidity interfaces (`@notice`: what happened, for the
 * user; `@custom:hint`: what to do), read from the build info's `userdoc` and `devdoc`. The NatSpec
 * is the one source of those messages; `packages/sdk/src/chain/errors.ts` shows them.
 */
import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const contracts = [
  { name: "ProviderRegistry", source: "contracts/ProviderRegistry.sol" },
  { name: "RecordRegistry", source: "contracts/RecordRegistry.sol" },
  { name: "MonitoringRegistry", source: "contracts/MonitoringRegistry.sol" },
  { name: "PeerValidation", source: "contracts/PeerValidation.sol" },
  { name: "MeridianTimelock", source: "contracts/governance/MeridianTimelock.sol" },
];

/** The fields of a Hardhat artifact (`artifacts/<source>/<Name>.json`) this script reads. */
interface Artifact {
  abi: unknown[];
  bytecode: string;
  /** Names the build info (`artifacts/build-info/<id>.output.json`) that holds the NatSpec. */
  buildInfoId: string;
  /** The source's name in that build info, e.g. `project/contracts/RecordRegistry.sol`. */
  inputSourceName: string;
}

/** Parses an artifact file, refusing one without an `abi` array and a `0x` hex `bytecode`. */
function parseArtifact(text: string, file: string): Artifact {
  const json: unknown = JSON.parse(text);
  if (typeof json !== "object" || json === null || !("abi" in json) || !("bytecode" in json)) {
    throw new Error(`${file} has no "abi" or "bytecode"; run \`npx hardhat compile\` again.`);
  }
  const { abi, bytecode } = json;
  if (!Array.isArray(abi) || typeof bytecode !== "string" || !/^0x[0-9a-f]*$/i.test(bytecode)) {
    throw new Error(`${file} has a malformed "abi" or "bytecode"; run \`npx hardhat compile\` again.`);
  }
  const buildInfoId = "buildInfoId" in json ? json.buildInfoId : undefined;
  const inputSourceName = "inputSourceName" in json ? json.inputSourceName : undefined;
  if (typeof buildInfoId !== "string" || typeof inputSourceName !== "string") {
    throw new Error(`${file} names no build info; run \`npx hardhat compile\` again.`);
  }
  return { abi, bytecode, buildInfoId, inputSourceName };
}

/** A plain JSON object, or `undefined` for anything else. */
function objectOr(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The string `tag` of the first NatSpec entry solc reports for `signature` in `errors`, if any. */
function errorTag(errors: Record<string, unknown> | undefined, signature: string, tag: string): string | undefined {
  const entries = errors?.[signature];
  const first = Array.isArray(entries) ? objectOr(entries[0]) : undefined;
  const value = first?.[tag];
  return typeof value === "string" ? value : undefined;
}

/** Error name -> explanation, over every deployable contract (inherited errors included). */
const explanations = new Map<string, { message: string; hint: string }>();

/**
 * Reads `name`'s NatSpec (`userdoc`, `devdoc`) from its build info into {@link explanations}:
 * each error's `@notice` and `@custom:hint`. Errors with neither (OpenZeppelin's) are skipped; an
 * error with only one of them, or documented differently in two contracts, fails the build.
 */
async function collectErrorDocs(name: string, artifact: Artifact): Promise<void> {
  const file = path.join("artifacts/build-info", `${artifact.buildInfoId}.output.json`);
  const buildInfo = objectOr(JSON.parse(await readFile(path.join(root, file), "utf8")));
  const sources = objectOr(objectOr(buildInfo?.["output"])?.["contracts"]);
  const docs = objectOr(objectOr(sources?.[artifact.inputSourceName])?.[name]);
  const userdoc = objectOr(docs?.["userdoc"]);
  const devdoc = objectOr(docs?.["devdoc"]);
  if (!userdoc || !devdoc) {
    throw new Error(`${file} has no NatSpec for ${name}: is outputSelection set in hardhat.config.ts?`);
  }
  const userErrors = objectOr(userdoc["errors"]);
  const devErrors = objectOr(devdoc["errors"]);
  for (const signature of new Set([...Object.keys(userErrors ?? {}), ...Object.keys(devErrors ?? {})])) {
    const errorName = signature.slice(0, signature.indexOf("("));
    const message = errorTag(userErrors, signature, "notice");
    const hint = errorTag(devErrors, signature, "custom:hint");
    if (message === undefined && hint === undefined) continue; // a library's error (OpenZeppelin)
    if (message === undefined || hint === undefined) {
      throw new Error(`${name}: error ${errorName} needs both @notice and @custom:hint in its NatSpec`);
    }
    const known = explanations.get(errorName);
    if (known && (known.message !== message || known.hint !== hint)) {
      throw new Error(`error ${errorName} is documented differently in two contracts`);
    }
    explanations.set(errorName, { message, hint });
  }
}

let out = `// Generated by scripts/generate-abis.ts from Hardhat artifacts. Do not edit.\n`;
out += `// Regenerate with \`npm run compile\`.\n\n`;
for (const { name, source } of contracts) {
  const file = path.join("artifacts", source, `${name}.json`);
  const artifact = parseArtifact(await readFile(path.join(root, file), "utf8"), file);
  await collectErrorDocs(name, artifact);
  const lower = name[0]!.toLowerCase() + name.slice(1);
  out += `/** ABI of \`${name}\` (${source}). */\n`;
  out += `export const ${lower}Abi = ${JSON.stringify(artifact.abi, null, 2)} as const;\n\n`;
  out += `/** Creation bytecode of \`${name}\` (solc 0.8.28, viaIR, optimizer 10,000 runs). */\n`;
  out += `export const ${lower}Bytecode = ${JSON.stringify(artifact.bytecode)} as const;\n\n`;
}

let errors = `// Generated by scripts/generate-abis.ts from the contracts' NatSpec. Do not edit.\n`;
errors += `// Regenerate with \`npm run compile\`; change a message in the Solidity interface that declares\n`;
errors += `// the error.\n\n`;
errors += `/**\n * Plain-language explanation of each Meridian contract custom error, by error name: \`message\` is\n`;
errors += ` * its NatSpec \`@notice\` (what happened), \`hint\` its \`@custom:hint\` (what to do).\n */\n`;
errors += `export const contractErrorExplanations: Readonly<\n`;
errors += `  Record<string, { readonly message: string; readonly hint: string }>\n`;
errors += `> = {\n`;
const byName = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);
for (const [name, { message, hint }] of [...explanations].sort(byName)) {
  errors += `  ${name}: { message: ${JSON.stringify(message)}, hint: ${JSON.stringify(hint)} },\n`;
}
errors += `};\n`;

/** Writes `text` to `file` (relative to the repository) unless it already holds exactly that. */
async function writeIfChanged(file: string, text: string): Promise<void> {
  const target = path.join(root, file);
  await mkdir(path.dirname(target), { recursive: true });
  let previous = "";
  try {
    previous = await readFile(target, "utf8");
  } catch {
    /* no file yet: write it */
  }
  if (previous !== text) {
    await writeFile(target, text);
    console.log(`wrote ${file}`);
  }
}
await writeIfChanged("packages/sdk/src/generated/contracts.ts", out);
await writeIfChanged("packages/sdk/src/generated/contract-errors.ts", errors);
