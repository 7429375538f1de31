/**
 * The end of `npm run bench`: the targets the figures are judged by, the results written as JSON
 * (`bench/results/<timestamp>.json`, `bench/results/latest.json`) with the gas snapshot
 * (`bench/gas-snapshot.json`), and the report printed on stdout.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { GasSamples } from "./harness.ts";
import type { Flatness, GasSummary } from "./gas.ts";
import type { StoragePathRow } from "./storage.ts";
import type { FhirRecordsResult } from "./records.ts";
import type { EcgResult } from "./monitoring.ts";
import type { NetworkResult } from "./network.ts";

/** Target description → whether the figures meet it. */
export type BenchTargets = Record<string, boolean>;

/** Everything one bench run measured: the JSON written to `bench/results/`, keys in this order. */
export interface BenchResult {
  /** When the results were assembled (ISO 8601, UTC). */
  date: string;
  /** The Node.js version (`process.version`). */
  node: string;
  /** The machine: its number of logical CPUs. */
  machine: { cpus: number };
  /** Gas per operation, in gas units. */
  gas: GasSummary;
  /** Anchoring gas over the flatness run. */
  flatness: Flatness;
  /** The storage path through the Helia store on disk, one row per payload size. */
  storagePath: StoragePathRow[];
  /** The same on tmpfs; null when not run. */
  storagePathInMemory: StoragePathRow[] | null;
  /** Import and read throughput of real FHIR records. */
  records: FhirRecordsResult;
  /** Remote ECG monitoring; null when the MIT-BIH data is absent. */
  ecg: EcgResult | null;
  /** Meridian as a network: remote reads, replicated writes, the audit log on a capped RPC. */
  network: NetworkResult;
  targets: BenchTargets;
}

/** What `BENCH_ONLY=network` writes: the network part alone, keys in this order. */
export type NetworkBenchResult = Pick<BenchResult, "date" | "node" | "machine" | "network" | "targets">;

/** Issue 16's targets for the network figures (each judged against its reference in the same run). */
export function networkTargets(n: NetworkResult): BenchTargets {
  const { capped, events } = n.auditLog;
  const audit = capped !== null && capped.events === events;
  return {
    "read from a node >= 50% of local (1 MB, 10 MB)": n.remoteRead.every((r) => r.remoteVsLocal >= 0.5),
    "add with 2 replicas <= 1.5x of 1 replica": n.replicatedAdd.every((r) => r.twoVsOne <= 1.5),
    "FHIR import with 2 replicas >= 50% of 1 replica": n.replicatedImport.twoVsOne >= 0.5,
    "audit log (100 events, 10M blocks, 1,000-block cap) <= 150 RPC calls": audit && capped.calls <= 150,
    "audit log (100 events, 10M blocks, 1,000-block cap) <= 3 s": audit && capped.seconds <= 3,
  };
}

/**
 * The bench's targets, judged on the gas summary, the raw samples of `gas` (for the one-record
 * grant's spread), the flatness run and the on-disk storage path rows.
 */
export function benchTargets(
  gasSummary: GasSummary,
  gas: GasSamples,
  flatness: Flatness,
  paths: StoragePathRow[],
  network: NetworkResult,
): BenchTargets {
  const recordGrantGas = gas["grant (one record)"]!;
  return {
    "anchor record median <= 65k": gasSummary["anchor record (patient)"]!.median <= 65_000,
    "register <= 70k": gasSummary["register"]!.max <= 70_000,
    "any grant <= 70k": ["grant (one record)", "grant (category, write)", "grant (all records)"].every(
      (op) => gasSummary[op]!.max <= 70_000,
    ),
    "revoke <= 40k": [
      "revoke (category; advances key epoch)",
      "revoke (one record)",
      "open key epoch (a keyholder's access ended)",
    ].every((op) => gasSummary[op]!.max <= 40_000),
    "gas flat 1st..Nth record":
      flatness.maxMinusMin <= 200 && Math.max(...recordGrantGas) - Math.min(...recordGrantGas) <= 200,
    "encrypt-and-store >= 50% of raw for >= 1 MB": paths
      .filter((p) => p.bytes >= 1_000_000)
      .every((p) => p.encryptAndStoreVsRaw >= 0.5),
    ...networkTargets(network),
  };
}

/**
 * Writes `result` as JSON (2-space indent) to `bench/results/<date>.json` and
 * `bench/results/latest.json` under `root`, and each operation's median and p95 gas to
 * `bench/gas-snapshot.json`.
 */
export async function writeResults(root: string, result: BenchResult): Promise<void> {
  const gasSummary = result.gas;
  await mkdir(path.join(root, "bench/results"), { recursive: true });
  const json = JSON.stringify(result, null, 2);
  await writeFile(path.join(root, "bench/results", `${result.date.replace(/[:.]/g, "-")}.json`), json);
  await writeFile(path.join(root, "bench/results/latest.json"), json);
  await writeFile(
    path.join(root, "bench/gas-snapshot.json"),
    JSON.stringify(
      Object.fromEntries(Object.entries(gasSummary).map(([k, v]) => [k, { median: v.median, p95: v.p95 }])),
      null,
      2,
    ) + "\n",
  );
}

/**
 * Writes the network part alone (`BENCH_ONLY=network`) as JSON to
 * `bench/results/network-<date>.json` and `bench/results/network-latest.json` under `root`,
 * leaving the full run's `latest.json` and the gas snapshot alone.
 */
export async function writeNetworkResults(root: string, result: NetworkBenchResult): Promise<void> {
  await mkdir(path.join(root, "bench/results"), { recursive: true });
  const json = JSON.stringify(result, null, 2);
  await writeFile(path.join(root, "bench/results", `network-${result.date.replace(/[:.]/g, "-")}.json`), json);
  await writeFile(path.join(root, "bench/results/network-latest.json"), json);
}

/** The network part of the report: lines of text, starting with a blank line. */
export function formatNetwork(n: NetworkResult): string[] {
  const pct = (ratio: number) => `${(ratio * 100).toFixed(0)}%`;
  const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;
  const lines = [
    "",
    `Network (loopback; each node a \`meridian node\` process; load average ${n.loadAverage.join(", ")} on this machine)`,
    "A record read from a node (Trustless Gateway, every block verified) vs the local Helia store (median; best run)",
  ];
  for (const r of n.remoteRead)
    lines.push(
      `  ${String(r.bytes).padStart(9)} B  local ${r.localMBps.toFixed(0).padStart(5)} MB/s  ` +
        `node ${r.remoteMBps.toFixed(0).padStart(5)} MB/s  (${pct(r.remoteVsLocal)} of local; ${r.runs} runs; ` +
        `best ${r.bestMs.local.toFixed(1)} ms local, ${r.bestMs.remote.toFixed(1)} ms node)`,
    );
  lines.push("Adding a record (encrypt, store, anchor): seconds per record, median");
  for (const r of n.replicatedAdd)
    lines.push(
      `  ${String(r.bytes).padStart(9)} B  local store ${ms(r.localSeconds)}  1 replica ${ms(r.oneReplicaSeconds)}  ` +
        `2 replicas ${ms(r.twoReplicasSeconds)}  (${r.twoVsOne.toFixed(2)}x of 1; ${r.runs} runs)`,
    );
  const i = n.replicatedImport;
  const rps = (p: { recordsPerSecond: number }) => `${p.recordsPerSecond.toFixed(0)} records/s`;
  lines.push(
    `FHIR import (${i.records} records from ${i.source}, median of ${i.passes} passes): local store ${rps(i.local)}, ` +
      `1 replica ${rps(i.oneReplica)}, 2 replicas ${rps(i.twoReplicas)} (${pct(i.twoVsOne)} of 1 replica)`,
  );
  const a = n.auditLog;
  const read = (r: { calls: number; getLogsCalls: number; seconds: number; events: number }) =>
    `${r.events} events in ${r.calls} RPC calls (${r.getLogsCalls} eth_getLogs), ${r.seconds.toFixed(2)} s`;
  lines.push(
    `Audit log of ${a.events} events over ${a.chainBlocks.toLocaleString("en-US")} blocks (client.audit, as \`meridian audit\`): ` +
      (a.capped
        ? `through a ${a.capBlocks.toLocaleString("en-US")}-block eth_getLogs cap ${read(a.capped)}`
        : `FAILED through a ${a.capBlocks.toLocaleString("en-US")}-block cap: ${a.error}`) +
      `; without a cap ${read(a.uncapped)}`,
  );
  return lines;
}

/** The report of `BENCH_ONLY=network`, as text ending in a newline. */
export function formatNetworkReport(result: NetworkBenchResult): string {
  const lines = formatNetwork(result.network);
  lines.push("", "Targets:");
  for (const [k, ok] of Object.entries(result.targets)) lines.push(`  ${ok ? "met " : "MISS"}  ${k}`);
  lines.push("", "Wrote bench/results/network-latest.json");
  return lines.join("\n") + "\n";
}

/**
 * The report printed at the end of the bench, as text ending in a newline; `storeParent` is the
 * directory the storage path's store was created in.
 */
export function formatReport(result: BenchResult, storeParent: string): string {
  const {
    gas: gasSummary,
    flatness,
    storagePath: paths,
    storagePathInMemory: pathsInMemory,
    records,
    ecg,
    network,
    targets,
  } = result;
  const lines = ["", "Gas per operation (median / p95 / max, count)"];
  for (const [op, s] of Object.entries(gasSummary))
    lines.push(
      `  ${op.padEnd(42)} ${String(s.median).padStart(7)} / ${String(s.p95).padStart(7)} / ${String(s.max).padStart(7)}  (${s.count})`,
    );
  lines.push(
    `Flatness: anchoring gas 1st ${flatness.first}, 10th ${flatness.at10}, 100th ${flatness.at100}, 1000th ${flatness.at1000}, ${flatness.records}th ${flatness.last} (spread ${flatness.maxMinusMin}); ${flatness.anchorTxPerSecond.toFixed(0)} anchor tx/s on EDR`,
  );
  lines.push(
    "",
    `Encrypt-and-store (encryptRecordParts + Helia put) vs raw AES-256-GCM + SHA-256, and fetch-verify-decrypt vs raw SHA-256 + decrypt; "disk" is a plain fs.writeFile of the same bytes in ${storeParent}`,
  );
  const mbs = (v: number) => v.toFixed(0).padStart(5);
  const pct = (ratio: number) => (ratio * 100).toFixed(0);
  const storageLine = (p: StoragePathRow) =>
    `  ${String(p.bytes).padStart(9)} B  raw ${mbs(p.rawEncryptHashMBps)} MB/s  ` +
    `ours ${mbs(p.encryptAndStoreMBps)} MB/s ` +
    `(${pct(p.encryptAndStoreVsRaw)}%; ${pct(p.rawPlusDiskWriteVsOurs)}% of raw + disk)   ` +
    `| read raw ${mbs(p.rawHashDecryptMBps)} MB/s  ours ${mbs(p.fetchVerifyDecryptMBps)} MB/s ` +
    `(${pct(p.fetchVerifyDecryptVsRaw)}%)  | disk ${mbs(p.diskWriteMBps)} MB/s`;
  for (const p of paths) lines.push(storageLine(p));
  if (pathsInMemory) {
    lines.push("  the same with the Helia store and the plain writes on tmpfs (/dev/shm):");
    for (const p of pathsInMemory) lines.push(storageLine(p));
  }
  lines.push(
    "",
    `FHIR records (${records.records} from ${records.source}, ${(records.bytes / 1e6).toFixed(1)} MB): import ${records.import.recordsPerSecond.toFixed(0)} records/s ${records.import.MBps.toFixed(1)} MB/s; read ${records.read.recordsPerSecond.toFixed(0)} records/s ${records.read.MBps.toFixed(1)} MB/s`,
  );
  if (ecg) {
    const e = ecg;
    lines.push(
      "",
      `Remote monitoring (record ${e.record}, ${e.ecgSeconds} s of ECG in 10 s windows): ${e.anchored}/${e.windows} windows anchored (${e.flagged} flagged) in ${e.wallSeconds.toFixed(1)} s = ${e.realTimeFactor.toFixed(0)}x real time; abnormal window → anchored record median ${e.abnormalToAnchoredMs.median.toFixed(0)} ms, p95 ${e.abnormalToAnchoredMs.p95.toFixed(0)} ms (${e.abnormalToAnchoredMs.count} windows)`,
    );
  }
  lines.push(...formatNetwork(network));
  lines.push("", "Targets:");
  for (const [k, ok] of Object.entries(targets)) lines.push(`  ${ok ? "met " : "MISS"}  ${k}`);
  lines.push("", "Wrote bench/results/latest.json and bench/gas-snapshot.json");
  return lines.join("\n") + "\n";
}
