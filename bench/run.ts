/**
 * `npm run bench`: Meridian's performance figures, printed and written as JSON to
 * `bench/results/<timestamp>.json` (and `bench/results/latest.json`). Also rewrites the
 * committed gas snapshot `bench/gas-snapshot.json`, so a gas regression shows in review.
 *
 * 1. Gas per operation on the in-process Hardhat/EDR chain (median and p95), and whether it
 *    stays flat from the 1st to the 10,000th record, across 200 patients and 1,000 grants; and
 *    the remote-monitoring operations of MonitoringRegistry for 50 patients; consent codes,
 *    guardians and emergency access for 49 patients; peer validation with 16 pool hospitals;
 *    admissions through the governance timelock and the council's immediate suspension.
 * 2. The encrypt-and-store path (encryptRecordParts + Helia put, as `client.addRecord` does it;
 *    everything but the transaction) and
 *    the fetch-and-decrypt path (Helia get with CID check + SHA-256 check + openRecord), for
 *    1 KiB .. 10 MiB payloads, beside raw WebCrypto AES-256-GCM + SHA-256 on the same bytes.
 * 3. Records/s and MB/s of the full import (encrypt, store, anchor) and read (verify, decrypt)
 *    of real FHIR records (shared Synthea corpus when present, else the project's fixtures).
 *
 *    A third reference is a plain `fs.writeFile` of the same bytes into the same directory:
 *    the disk's own floor, which no store that writes blocks can beat.
 * 4. Remote ECG monitoring of one MIT-BIH record through the whole pipeline in this process:
 *    how many times faster than real time, and the latency from an abnormal window to its record.
 * 5. Meridian as a network, on loopback with two Meridian nodes: a 1 MB and a 10 MB record read
 *    from a node vs from the local store; adding a record and the FHIR import with 2 replicas vs
 *    1; and the RPC calls and seconds to open a patient's audit log of 100 events on a
 *    10,000,000-block chain through an RPC that caps `eth_getLogs` at 1,000 blocks.
 *
 * This file is the entry point and runs the parts in that order, then the report: the gas run in
 * `bench/gas.ts` (records and grants) and `bench/gas-workflows.ts` (monitoring, consent codes,
 * guardians, peer validation, governance) on the harness of `bench/harness.ts`; the storage path
 * in `bench/storage.ts`; the FHIR records in `bench/records.ts`; remote ECG monitoring (4.) in
 * `bench/monitoring.ts`; the network (5.) in `bench/network.ts` and `bench/audit-log.ts`; targets,
 * JSON and the printed report in `bench/report.ts`.
 *
 * Environment: BENCH_RECORDS (default 10000) records anchored for the flatness run;
 * BENCH_STORE_DIR (default the OS temp directory) where the Helia store and the reference
 * writes go, to compare file systems; BENCH_ECG_RECORD (default 208) the MIT-BIH record of the
 * monitoring run, which is skipped when the MIT-BIH data (MERIDIAN_MITDB, default
 * `../shared/data/ecg/mitdb`) is absent. BENCH_ONLY=network runs part 5 alone (about a minute;
 * `npm run bench:network`) and writes `bench/results/network-latest.json` instead.
 */
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import path from "node:path";
import { createHeliaStore } from "@meridian/sdk/storage";
import { createTempDir, startTestChain } from "@meridian/sdk/testing";
import { createGasBench, log } from "./harness.ts";
import { flatnessOf, measureCoreGas, summarizeGas } from "./gas.ts";
import {
  measureGovernanceGas,
  measureGuardianGas,
  measureMonitoringGas,
  measurePeerValidationGas,
} from "./gas-workflows.ts";
import { measureStoragePaths } from "./storage.ts";
import { measureFhirRecords } from "./records.ts";
import { measureEcgMonitoring } from "./monitoring.ts";
import { measureNetwork } from "./network.ts";
import {
  benchTargets,
  formatNetworkReport,
  formatReport,
  networkTargets,
  writeNetworkResults,
  writeResults,
  type BenchResult,
} from "./report.ts";

const root = path.resolve(import.meta.dirname, "..");
const N_RECORDS = Number(process.env.BENCH_RECORDS ?? 10_000);
const only = process.env.BENCH_ONLY;
if (only !== undefined && only !== "" && only !== "network")
  throw new Error(
    `BENCH_ONLY=${only} is not a part this bench can run alone; use BENCH_ONLY=network or leave it unset.`,
  );

if (only === "network") {
  const network = await measureNetwork(root);
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    machine: { cpus: cpus().length },
    network,
    targets: networkTargets(network),
  };
  await writeNetworkResults(root, result);
  process.stdout.write(formatNetworkReport(result));
  process.exit(0);
}

// The test kit's embedded EDR chain, Meridian deployed (account 0 admin, 1 regulator), receipts polled every 5 ms.
const edr = await startTestChain({ pollingInterval: 5 });
const bench = createGasBench(edr);

// ---------------------------------------------------------------- 1. gas
const core = await measureCoreGas(bench, N_RECORDS);
await measureMonitoringGas(bench, core);
await measureGuardianGas(bench, core);
await measurePeerValidationGas(bench, core);
await measureGovernanceGas(bench);
const flatness = flatnessOf(core, N_RECORDS);
const gasSummary = summarizeGas(bench.gas);

// ------------------------------------------------------- 2. crypto + storage path
log("throughput: encrypt-and-store vs raw WebCrypto AES-256-GCM + SHA-256");
const storeTemp = await createTempDir("bench", process.env.BENCH_STORE_DIR);
const storeDir = storeTemp.path;
const store = await createHeliaStore({ directory: storeDir });
const { disk: paths, inMemory: pathsInMemory } = await measureStoragePaths({
  store,
  dir: storeDir,
  registry: edr.deployment.recordRegistry,
  patient: core.alice.address,
  tmpfs: !process.env.BENCH_STORE_DIR && existsSync("/dev/shm"),
});

// ------------------------------------------------------------ 3. real FHIR records
const { records, hospitalClient } = await measureFhirRecords({
  edr,
  store,
  storeDir,
  hospital: core.providers[0]!,
  root,
});

// ------------------------------------------------------- 4. remote ECG monitoring
const ecg = await measureEcgMonitoring({ edr, store, hospitalClient, record: process.env.BENCH_ECG_RECORD ?? "208" });

await store.close();
await storeTemp.remove();
await edr.close();

// --------------------------------------------------------------- 5. the network
const network = await measureNetwork(root);

// ------------------------------------------------------------------ results
const targets = benchTargets(gasSummary, bench.gas, flatness, paths, network);
const result: BenchResult = {
  date: new Date().toISOString(),
  node: process.version,
  machine: { cpus: cpus().length },
  gas: gasSummary,
  flatness,
  storagePath: paths,
  storagePathInMemory: pathsInMemory,
  records,
  ecg,
  network,
  targets,
};
await writeResults(root, result);
process.stdout.write(formatReport(result, path.dirname(storeDir)));
