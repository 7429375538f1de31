/**
 * What the scenario reads and compares: the records the patient adds (with the plaintext each
 * must decrypt to, computed from the source files as `meridian add` does), the lab reading them
 * with `meridian get`, and the replica counts `meridian storage check --json` reports.
 *
 * @module
 */
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Bundle } from "@medplum/fhirtypes";
import { recordDraftFromFile } from "@meridian/sdk/fhir";
import type { CliParty } from "./parties.ts";
import { tail } from "./parties.ts";

/** A record the patient added, and the bytes it must decrypt to. */
export interface AddedRecord {
  recordId: string;
  cid: string;
  /** `JSON.stringify` of the FHIR resource, as `meridian add` encrypts it. */
  expected: Uint8Array;
}

/** The plaintext of every record `meridian add FILE` makes from `file`, in the order it adds them. */
export async function expectedPlaintexts(file: string): Promise<Uint8Array[]> {
  const drafts = await recordDraftFromFile(new Uint8Array(await readFile(file)), { fileName: path.basename(file) });
  return drafts.map((d) => new TextEncoder().encode(JSON.stringify(d.resource)));
}

/**
 * One Observation of a fixture bundle, as a standalone FHIR resource (a record of its own, not a
 * duplicate of the encounter records the bundle splits into).
 */
export async function firstObservation(bundleFile: string): Promise<string> {
  const bundle = JSON.parse(await readFile(bundleFile, "utf8")) as Bundle;
  const observation = bundle.entry?.find((e) => e.resource?.resourceType === "Observation")?.resource;
  if (observation === undefined) throw new Error(`${bundleFile} holds no Observation`);
  const {
    subject: _subject,
    encounter: _encounter,
    ...standalone
  } = observation as typeof observation & {
    subject?: unknown;
    encounter?: unknown;
  };
  return JSON.stringify(standalone);
}

/** Parses `meridian add`'s JSON output and pairs each record with its expected plaintext. */
export function addedRecords(stdout: string, expected: Uint8Array[]): AddedRecord[] {
  const rows = JSON.parse(stdout) as { recordId: string; cid: string }[];
  if (rows.length !== expected.length) {
    throw new Error(`meridian add made ${rows.length} records; the source splits into ${expected.length}`);
  }
  return rows.map((r, i) => ({ recordId: r.recordId, cid: r.cid, expected: expected[i]! }));
}

/** One `meridian get` by the reader. */
export interface ReadResult {
  recordId: string;
  /** Exit status 0 and the file equals the expected plaintext. */
  identical: boolean;
  /** Exit status 0. */
  ok: boolean;
  /** Which key opened the record, as the CLI says it (`via all-grant`, …). */
  via?: string;
  /** The CLI's stderr (messages only; never keys or record content). */
  stderr: string;
  seconds: number;
}

/**
 * `reader` reads every record with `meridian get --out` into a fresh data folder `folder` (so no
 * block is found locally), at most `concurrency` (default 4) at a time, and compares each file with its source.
 */
export async function readAll(
  reader: CliParty,
  records: AddedRecord[],
  folder: string,
  p: { concurrency?: number; global?: string[]; timeoutMs?: number } = {},
): Promise<ReadResult[]> {
  await mkdir(folder, { recursive: true });
  const results: ReadResult[] = new Array<ReadResult>(records.length);
  let next = 0;
  const worker = async () => {
    while (next < records.length) {
      const i = next++;
      const record = records[i]!;
      const out = path.join(folder, `record-${i}.json`);
      const r = await reader.cli(["get", record.recordId, "--out", out], {
        dataDir: folder,
        ...(p.global ? { global: p.global } : {}),
        ...(p.timeoutMs ? { timeoutMs: p.timeoutMs } : {}),
      });
      const ok = r.code === 0;
      const bytes = ok ? await readFile(out).catch(() => undefined) : undefined;
      const via = /\(via ([^)]+)\)/.exec(r.stderr)?.[1];
      results[i] = {
        recordId: record.recordId,
        ok,
        identical: bytes !== undefined && Buffer.from(bytes).equals(Buffer.from(record.expected)),
        ...(via ? { via } : {}),
        stderr: r.stderr,
        seconds: r.seconds,
      };
    }
  };
  await Promise.all(Array.from({ length: Math.min(p.concurrency ?? 4, records.length) }, worker));
  return results;
}

/** Throws unless every read succeeded with the source's bytes; returns a one-line summary. */
export function expectAllIdentical(results: ReadResult[]): string {
  const bad = results.filter((r) => !r.identical);
  if (bad.length > 0) {
    const first = bad[0]!;
    const why = first.ok ? "decrypted to bytes that differ from the source" : tail(first.stderr, 3);
    throw new Error(`${results.length - bad.length}/${results.length} identical; ${first.recordId}: ${why}`);
  }
  const slowest = Math.max(...results.map((r) => r.seconds));
  return `${results.length}/${results.length} records identical to the source (slowest read ${slowest.toFixed(1)} s)`;
}

/** What `meridian storage check --json` says about one record. */
export interface ReplicaCount {
  recordId: string;
  /** Nodes that hold the record now. */
  live: number;
  /** The URLs of those nodes. */
  nodes: string[];
}

/**
 * The replica count of each record in `meridian storage check --json` output
 * (`{ records: [{ recordId, live, nodes: [{ url, state }] }] }`).
 */
export function parseStorageCheck(stdout: string): ReplicaCount[] {
  const parsed = JSON.parse(stdout) as {
    records?: { recordId: string; live: number; nodes: { url: string; state: string }[] }[];
  };
  if (!Array.isArray(parsed.records)) throw new Error(`storage check printed no records: ${stdout.slice(0, 200)}`);
  return parsed.records.map((r) => ({
    recordId: r.recordId,
    live: r.live,
    nodes: r.nodes.filter((n) => n.state === "live").map((n) => n.url),
  }));
}
