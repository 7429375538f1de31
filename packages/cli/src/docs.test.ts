/**
 * The privacy docs stay true as the contracts change: every event a contract can emit is named in
 * docs/keys.md section 5 (what an observer of the chain learns), and no doc or interface claims
 * again that nothing readable is on chain (audit item 16: events show categories, authors,
 * purpose and reason codes, guardians and timing).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

const root = path.resolve(import.meta.dirname, "../../..");
const read = (file: string) => readFileSync(path.join(root, file), "utf8");

/** docs/keys.md section 5, up to its audit-trail subsection. */
function observerSection(): string {
  const keys = read("docs/keys.md");
  const start = keys.indexOf("## 5. What an observer of the chain and of IPFS learns");
  const end = keys.indexOf("### The audit trail", start);
  assert.ok(start >= 0 && end > start, "docs/keys.md has section 5 and its audit-trail subsection");
  return keys.slice(start, end);
}

/** `IRecordRegistry.sol` and the interfaces it is composed of (`interface IRecordRegistry is …`). */
function recordRegistryInterfaces(): string[] {
  const source = read("contracts/interfaces/IRecordRegistry.sol");
  const parents = /interface IRecordRegistry is([^{]+)\{/.exec(source)?.[1] ?? "";
  const names = parents.split(",").map((name) => name.trim());
  assert.ok(names.length >= 2, "IRecordRegistry is composed of focused interfaces");
  return ["IRecordRegistry.sol", ...names.map((name) => `${name}.sol`)];
}

test("every RecordRegistry event is named in what an observer of the chain learns", () => {
  const section = observerSection();
  const events = recordRegistryInterfaces().flatMap((file) =>
    [...read(`contracts/interfaces/${file}`).matchAll(/^\s*event (\w+)\(/gm)].map((m) => m[1]!),
  );
  assert.ok(events.length >= 18, `found ${events.length} events`);
  const missing = events.filter((e) => !section.includes(`\`${e}\``));
  assert.deepEqual(missing, [], "add these events to docs/keys.md section 5 with what they reveal");
});

test("every other contract that emits events has a row in what an observer learns", () => {
  const section = observerSection();
  const dir = path.join(root, "contracts/interfaces");
  const recordRegistry = new Set(recordRegistryInterfaces());
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sol") && !recordRegistry.has(f))) {
    if (!/^\s*event \w+\(/m.test(readFileSync(path.join(dir, file), "utf8"))) continue;
    const contract = file.replace(/^I/, "").replace(/\.sol$/, "");
    assert.ok(section.includes(`\`${contract}\``), `docs/keys.md section 5 has no row for ${contract}'s events`);
  }
});

test("no doc or contract interface claims that nothing readable is on chain", () => {
  const files = [
    "README.md",
    ...readdirSync(path.join(root, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`),
    ...readdirSync(path.join(root, "contracts/interfaces")).map((f) => `contracts/interfaces/${f}`),
  ];
  const overclaims =
    /nothing readable is (stored|logged|on chain)|chain holds (only|nothing readable)|holds nothing readable/i;
  const found = files.filter((f) => overclaims.test(read(f)));
  assert.deepEqual(found, [], "the chain's metadata is public: say what it shows (docs/keys.md section 5)");
});
