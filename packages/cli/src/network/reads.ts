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
  /** Where the CLI says the bytes came from (`via …`), when it says. */
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
  return `${results.length}/${results.length} records identical to the source (${viaSummary(results)})`;
}

/** "via X ×n, via Y ×m" over the reads. */
export function viaSummary(results: ReadResult[]): string {
  const counts = new Map<string, number>();
  for (const r of results)
    counts.set(r.via ?? "source not printed", (counts.get(r.via ?? "source not printed") ?? 0) + 1);
  return [...counts].map(([via, n]) => `via ${via} ×${n}`).join(", ");
}

/** What `meridian storage check --json` says about one record. */
export interface ReplicaCount {
  recordId: string;
  /** Nodes that hold the record now. */
  live: number;
  /** The nodes' URLs or names, when the output lists them. */
  nodes: string[];
}

/**
 * Reads the replica count of each record from `meridian storage check --json` output: an array of
 * records (or `{ records: [...] }`), each with a record id and either a number of live replicas or
 * a list of replicas/nodes (entries with `live: false` or `ok: false` not counted).
 */
export function parseStorageCheck(stdout: string): ReplicaCount[] {
  const parsed = JSON.parse(stdout) as unknown;
  const list = Array.isArray(parsed) ? parsed : (parsed as { records?: unknown }).records;
  if (!Array.isArray(list)) throw new Error(`storage check printed no list of records: ${stdout.slice(0, 200)}`);
  return list.map((item: Record<string, unknown>) => {
    const id = item.recordId ?? item.id;
    const recordId = typeof id === "string" ? id : "";
    const entries = item.replicas ?? item.nodes ?? item.liveNodes;
    const liveEntries = Array.isArray(entries)
      ? entries.filter((e: unknown) => {
          if (typeof e === "string") return true;
          const o = e as { live?: boolean; ok?: boolean; pinned?: boolean; status?: string };
          return o.live !== false && o.ok !== false && o.pinned !== false && (o.status ?? "pinned") === "pinned";
        })
      : [];
    const nodes = liveEntries.map((e: unknown) =>
      typeof e === "string" ? e : String((e as { url?: string; node?: string }).url ?? (e as { node?: string }).node),
    );
    const count = item.live ?? item.liveReplicas ?? (typeof item.replicas === "number" ? item.replicas : undefined);
    return { recordId, live: typeof count === "number" ? count : liveEntries.length, nodes };
  });
}
