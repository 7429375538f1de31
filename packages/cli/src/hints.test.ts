/**
 * Every command a message, hint or document tells the user to run exists. Walks the CLI, SDK and
 * ECG sources (messages and hints name commands as `meridian <command> [--option]`), the contract
 * errors' explanations generated from their NatSpec, README.md
 * and docs/*.md (also their `meridian …` shell lines), and checks each named command and option
 * against the commander program that `meridian` runs (`program` from main.ts), and each option a
 * hint names against the options of any command.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { program } from "./main.ts";
import { root } from "./testing/harness.ts";

/** Source and document files to walk (no tests, no generated code). */
function files(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) {
        if (name !== "node_modules" && name !== "generated") walk(full);
        continue;
      }
      if (/\.ts$/.test(name) && !/\.test\.ts$/.test(name)) found.push(full);
    }
  };
  for (const pkg of ["cli", "sdk", "ecg"]) walk(path.join(root, "packages", pkg, "src"));
  // The contracts' error explanations: generated from their NatSpec (`@notice`, `@custom:hint`).
  found.push(path.join(root, "packages/sdk/src/generated/contract-errors.ts"));
  found.push(
    path.join(root, "README.md"),
    ...readdirSync(path.join(root, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => path.join(root, "docs", f)),
  );
  return found;
}

/** Each `meridian …` a file names: in backticks anywhere, and shell lines starting with `meridian `. */
function snippets(file: string): { where: string; text: string }[] {
  const text = readFileSync(file, "utf8");
  const out: { where: string; text: string }[] = [];
  const line = (index: number) => `${path.relative(root, file)}:${text.slice(0, index).split("\n").length}`;
  for (const m of text.matchAll(/`meridian ([^`\n]+)`/g)) out.push({ where: line(m.index), text: m[1]! });
  if (file.endsWith(".md")) {
    for (const m of text.matchAll(/^meridian (.+)$/gm))
      out.push({ where: line(m.index), text: m[1]!.replace(/\s+#.*$/, "") });
  }
  return out;
}

const optionOf = (cmd: Command, flag: string) => cmd.options.find((o) => o.long === flag || o.short === flag);
const takesValue = (cmd: Command, flag: string) => {
  const o = optionOf(cmd, flag);
  return Boolean(o && (o.required || o.optional));
};

/**
 * Problems with one `meridian …` snippet (empty when every command and option exists). Segments
 * split by `|` are alternatives: each resolves from the program, or else beside the previous one
 * (`ecg broker | server` means `ecg server`).
 */
function check(text: string): string[] {
  const problems: string[] = [];
  let previous: Command | undefined;
  for (const segment of text
    .replace(/<[^>]*>/g, "<x>")
    .replace(/(\S)\|(\S)/g, "$1 | $2")
    .split(/\s\|\s/)) {
    const tokens = segment
      .trim()
      .split(/\s+/)
      .map((t) => t.replace(/\\$/, ""))
      .filter((t) => t && !/^(…|\.\.\.)/.test(t));
    const first = tokens.find((t) => !t.startsWith("-"));
    const start =
      previous?.parent && first && !program.commands.some((c) => c.name() === first) ? previous.parent : program;
    let cmd: Command = start;
    let candidates: Command[] | undefined; // after a placeholder in command position: any of these
    let onlyOptions = true;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (/^[>&]|^2>/.test(t)) break;
      if (t.startsWith("-")) {
        const flag = t.split("=")[0]!;
        const owners = (candidates ?? [cmd]).flatMap((c) => {
          const chain: Command[] = [];
          for (let x: Command | null = c; x; x = x.parent) chain.push(x);
          return chain;
        });
        const owner = owners.find((c) => optionOf(c, flag));
        if (!owner && flag !== "--help" && flag !== "-h")
          problems.push(`option ${flag} does not exist for \`meridian ${segment.trim()}\``);
        if (owner && takesValue(owner, flag) && !t.includes("=")) i++;
        continue;
      }
      onlyOptions = false;
      if (cmd.commands.length > 0 && !candidates) {
        if (/^[<[]/.test(t)) {
          candidates = [...cmd.commands];
          continue;
        }
        const sub = cmd.commands.find((c) => c.name() === t || c.aliases().includes(t));
        if (!sub) {
          problems.push(
            `\`meridian ${segment.trim()}\`: "${t}" is not a command${cmd === program ? "" : ` of \`${cmd.name()}\``}`,
          );
          break;
        }
        cmd = sub;
      }
    }
    if (!onlyOptions && cmd === start && !candidates && problems.length === 0)
      problems.push(`\`meridian ${segment.trim()}\` names no command`);
    previous = cmd;
  }
  return problems;
}

/** Every long option of every command. */
function allOptions(cmd: Command = program): Set<string> {
  const set = new Set(cmd.options.map((o) => o.long).filter((x): x is string => Boolean(x)));
  for (const sub of cmd.commands) for (const o of allOptions(sub)) set.add(o);
  return set;
}

test("every `meridian` command and option named in messages, hints and docs exists in the CLI", () => {
  const problems: string[] = [];
  let count = 0;
  for (const file of files()) {
    for (const s of snippets(file)) {
      count++;
      for (const p of check(s.text)) problems.push(`${s.where}: ${p}`);
    }
  }
  assert.ok(count > 40, `found only ${count} snippets; is the walk broken?`);
  assert.deepEqual(problems, []);
});

test("every option a hint names exists in the CLI, and no hint names an SDK option the CLI lacks", () => {
  const options = allOptions();
  const problems: string[] = [];
  for (const file of files().filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/hint: (.*)$/gm)) {
      const where = `${path.relative(root, file)}:${text.slice(0, m.index).split("\n").length}`;
      for (const flag of m[1]!.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g))
        if (!options.has(flag[0])) problems.push(`${where}: ${flag[0]}`);
      // "the `maxBytes` option": an SDK parameter no command line can set
      for (const named of m[1]!.matchAll(/the `(\w+)` option/g))
        problems.push(`${where}: names the SDK option ${named[1]}`);
      if (/`rotate-key`/.test(m[1]!) && !/`meridian provider rotate-key`/.test(m[1]!))
        problems.push(`${where}: rotate-key is a provider command`);
    }
  }
  assert.deepEqual(problems, []);
});

test("the hint walker itself flags commands and options that do not exist", () => {
  assert.deepEqual(check("grants"), ['`meridian grants`: "grants" is not a command']);
  assert.deepEqual(check("rotate-key"), ['`meridian rotate-key`: "rotate-key" is not a command']);
  assert.deepEqual(check("provider rotate-key"), []);
  assert.deepEqual(check("--dev-account 5 get <recordId> --out FILE --attachment"), []);
  assert.deepEqual(check("add file.dcm --content-type image/png"), [
    "option --content-type does not exist for `meridian add file.dcm --content-type image/png`",
  ]);
  assert.deepEqual(check("provider <action> ... --timelock <address>"), []);
  assert.deepEqual(check("consent | guardian | emergency"), []);
});
