/**
 * Part 5 of `npm run bench`: Meridian as a network (issue 16), on loopback: a chain of its own
 * (the test kit's embedded EDR chain, served to the nodes over HTTP by the test kit's RPC proxy
 * without a cap), a local Helia store on disk (`createHeliaStore`) in this process, and two
 * Meridian nodes, each a `meridian node` process of its own (`bench/node-process.ts`: Helia with
 * libp2p and bitswap, the IPFS Trustless Gateway and Pinning Service API over HTTP on
 * 127.0.0.1), each on its own folder. Every figure has its reference measured in the same run:
 *
 * 1. A 1 MB and a 10 MB record envelope fetched from a node through `createGatewayReader` (every
 *    block checked against its CID) vs read from the local Helia store (which checks them too):
 *    the same bytes, MB/s each (1 MB = 10^6 bytes of plaintext), medians of several runs.
 * 2. Adding a record (`client.addRecord`: encrypt, store, anchor) through `createReplicatedStore`
 *    as the patient's CLI does (its own Helia store, then the nodes) with 2 replicas (nodes A and
 *    B) vs 1 (node A), for a 1 MB record and a 20 kB one (about the mean of the Synthea records
 *    imported below), beside the local Helia store alone.
 * 3. The FHIR import of part 3 (`bench/records.ts`) through the same replicated stores.
 * 4. Opening a patient's audit log of 100 events on a 10,000,000-block chain through an RPC that
 *    caps `eth_getLogs` at 1,000 blocks (`bench/audit-log.ts`), last, as it lengthens the chain.
 */
import { loadavg } from "node:os";
import path from "node:path";
import { RecordCategory, type MeridianClient } from "@meridian/sdk";
import { encryptRecordParts, releaseRecordParts } from "@meridian/sdk/crypto";
import {
  createGatewayReader,
  createNodeClient,
  createPinningAccessToken,
  createReplicatedStore,
  createUploadAuthorizer,
  type BlobStore,
  type NodeClient,
} from "@meridian/sdk/storage";
import { startRpcProxy, startTestNetwork, testAccount, type RpcProxy, type TestNetwork } from "@meridian/sdk/testing";
import { saveDeployment } from "../packages/cli/src/env.ts";
import { summarize } from "../packages/cli/src/stats.ts";
import { spawnNode, type NodeProcess } from "./node-process.ts";
import { log } from "./harness.ts";
import { importDrafts, loadFhirDrafts, recordsPass, type RecordsPass } from "./records.ts";
import { measureAuditLog, type AuditLogResult } from "./audit-log.ts";

/** Development accounts: the patient adding records, the admitted provider, the audit log's patient. */
const PATIENT = 5,
  PROVIDER = 2,
  AUDITED = 6;

/** One record size read from a node and from the local store (medians of {@link RemoteReadRow.runs} runs). */
export interface RemoteReadRow {
  /** Plaintext size of the record, in bytes (its envelope is a little larger). */
  bytes: number;
  /** Size of the envelope read, in bytes. */
  envelopeBytes: number;
  runs: number;
  /** Local Helia store `get` (blocks from disk, each checked against its CID), MB/s of plaintext. */
  localMBps: number;
  /** `createGatewayReader(node).get` over HTTP on loopback (each block checked against its CID), MB/s. */
  remoteMBps: number;
  /** Local run time / remote run time: the remote read's share of local throughput (1 = as fast). */
  remoteVsLocal: number;
  medianMs: { local: number; remote: number };
  /** The fastest run of each, in milliseconds: the path's cost with the least contention from other processes. */
  bestMs: { local: number; remote: number };
}

/** Seconds per `client.addRecord` of one record size (medians of {@link ReplicatedAddRow.runs} runs). */
export interface ReplicatedAddRow {
  /** Plaintext size, in bytes. */
  bytes: number;
  runs: number;
  /** Through the local Helia store only (no node): the cost before replication. */
  localSeconds: number;
  /** Through `createReplicatedStore` with node A, 1 replica. */
  oneReplicaSeconds: number;
  /** Through `createReplicatedStore` with nodes A and B, 2 replicas. */
  twoReplicasSeconds: number;
  /** twoReplicasSeconds / oneReplicaSeconds (target <= 1.5). */
  twoVsOne: number;
}

/** The FHIR import of part 3 through each store: the median pass of {@link ReplicatedImport.passes}. */
export interface ReplicatedImport {
  /** The directory the records came from, relative to the repository root. */
  source: string;
  records: number;
  /** Their FHIR JSON, in bytes. */
  bytes: number;
  passes: number;
  local: RecordsPass;
  oneReplica: RecordsPass;
  twoReplicas: RecordsPass;
  /** Records/s with 2 replicas / records/s with 1 (target >= 0.5). */
  twoVsOne: number;
}

/** What {@link measureNetwork} measured. */
export interface NetworkResult {
  /** The machine's load average over 1, 5 and 15 minutes when the part started (`os.loadavg()`): the nodes share its cores. */
  loadAverage: number[];
  remoteRead: RemoteReadRow[];
  replicatedAdd: ReplicatedAddRow[];
  replicatedImport: ReplicatedImport;
  auditLog: AuditLogResult;
}

const median = (v: number[]) => summarize(v).median;

/** Random bytes of `size` (getRandomValues fills at most 64 KiB at a time). */
function randomPayload(size: number): Uint8Array {
  const payload = new Uint8Array(size);
  for (let o = 0; o < size; o += 65536) crypto.getRandomValues(payload.subarray(o, Math.min(size, o + 65536)));
  return payload;
}

/** A client of `node` that uploads and pins as development account `index` (as a patient's CLI does). */
async function nodeClientOf(net: TestNetwork, node: NodeProcess, index: number): Promise<NodeClient> {
  const walletClient = net.wallet(testAccount(index));
  const domain = { chainId: net.deployment.chainId, recordRegistry: net.deployment.recordRegistry };
  return createNodeClient({
    url: node.url,
    authorizer: createUploadAuthorizer({ walletClient, domain }),
    accessToken: await createPinningAccessToken({ walletClient, domain }),
  });
}

/** Item 1: each record stored once in the local store and uploaded to `node`, then read from both in turn. */
async function measureRemoteRead(net: TestNetwork, node: NodeClient, nodeUrl: string): Promise<RemoteReadRow[]> {
  log("network: records read from a node over loopback vs from the local Helia store");
  const context = {
    chainId: net.deployment.chainId,
    contract: net.deployment.recordRegistry,
    patient: testAccount(PATIENT).address,
    category: RecordCategory.Lab,
    keyEpoch: 0,
  };
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const gateway = createGatewayReader({ url: nodeUrl });
  const rows: RemoteReadRow[] = [];
  for (const size of [1_000_000, 10_000_000]) {
    const sealed = await encryptRecordParts({ plaintext: randomPayload(size), kek, context });
    const local = await net.store.put(sealed.parts);
    const remote = await node.upload(sealed.parts);
    releaseRecordParts(sealed.parts);
    if (remote.cid !== local.cid) throw new Error(`the node stored ${remote.cid}, the local store ${local.cid}`);
    const runs = size >= 10_000_000 ? 15 : 21;
    const localMs: number[] = [],
      remoteMs: number[] = [];
    for (let r = 0; r < runs + 2; r++) {
      let t = performance.now();
      const a = await net.store.get(local.cid);
      const l = performance.now() - t;
      t = performance.now();
      const b = await gateway.get(local.cid);
      const g = performance.now() - t;
      if (a.length !== local.size || b.length !== local.size) throw new Error("a read returned the wrong size");
      if (r < 2) continue; // warm-up
      localMs.push(l);
      remoteMs.push(g);
    }
    const mbps = (ms: number) => size / 1e6 / (ms / 1000);
    const [ml, mr] = [median(localMs), median(remoteMs)];
    rows.push({
      bytes: size,
      envelopeBytes: local.size,
      runs,
      localMBps: mbps(ml),
      remoteMBps: mbps(mr),
      remoteVsLocal: ml / mr,
      medianMs: { local: ml, remote: mr },
      bestMs: { local: Math.min(...localMs), remote: Math.min(...remoteMs) },
    });
  }
  return rows;
}

/** The patient's clients on the local store and on the 1- and 2-replica stores. */
interface Writers {
  local: MeridianClient;
  one: MeridianClient;
  two: MeridianClient;
}

/** Item 2: `addRecord` through each writer in turn, per size; medians after 2 warm-up rounds. */
async function measureReplicatedAdd(writers: Writers): Promise<ReplicatedAddRow[]> {
  log("network: adding a record with 2 replicas vs 1");
  const rows: ReplicatedAddRow[] = [];
  for (const size of [20_000, 1_000_000]) {
    const runs = size >= 1_000_000 ? 11 : 31;
    const times: Record<keyof Writers, number[]> = { local: [], one: [], two: [] };
    for (let r = 0; r < runs + 2; r++) {
      for (const k of ["local", "one", "two"] as const) {
        const plaintext = randomPayload(size);
        const t = performance.now();
        await writers[k].addRecord({ plaintext, category: RecordCategory.Lab });
        if (r >= 2) times[k].push((performance.now() - t) / 1000);
      }
    }
    const [local, one, two] = [median(times.local), median(times.one), median(times.two)];
    rows.push({
      bytes: size,
      runs,
      localSeconds: local,
      oneReplicaSeconds: one,
      twoReplicasSeconds: two,
      twoVsOne: two / one,
    });
  }
  return rows;
}

/** Item 3: the FHIR import of part 3 through each writer, `passes` times in turn; the median pass of each. */
async function measureReplicatedImport(writers: Writers, root: string, scratch: string): Promise<ReplicatedImport> {
  log("network: the FHIR import with 2 replicas vs 1");
  const { source, drafts } = await loadFhirDrafts(root, scratch);
  const passes = 3;
  const seconds: Record<keyof Writers, number[]> = { local: [], one: [], two: [] };
  let records = 0,
    bytes = 0;
  for (let p = 0; p < passes; p++) {
    for (const k of ["local", "one", "two"] as const) {
      const done = await importDrafts(writers[k], drafts);
      seconds[k].push(done.seconds);
      [records, bytes] = [done.ids.length, done.bytes];
    }
  }
  const pass = (k: keyof Writers) => recordsPass(records, bytes, median(seconds[k]));
  const [local, oneReplica, twoReplicas] = [pass("local"), pass("one"), pass("two")];
  return {
    source: path.relative(root, source),
    records,
    bytes,
    passes,
    local,
    oneReplica,
    twoReplicas,
    twoVsOne: twoReplicas.recordsPerSecond / oneReplica.recordsPerSecond,
  };
}

/**
 * Runs items 1 to 4 on a network of its own (chain, local store, nodes A and B in one temporary
 * directory, removed at the end); `root` is the repository root (for the CLI and the FHIR records).
 */
export async function measureNetwork(root: string): Promise<NetworkResult> {
  const loadAverage = loadavg().map((l) => Math.round(l * 100) / 100);
  const net = await startTestNetwork({ label: "bench-network", pollingInterval: 5 });
  const nodes: NodeProcess[] = [];
  const stores: BlobStore[] = [];
  let rpc: RpcProxy | undefined;
  try {
    const provider = await net.admitProvider(PROVIDER, { name: "Bench General" });
    await net.registerPatient(PATIENT);
    rpc = await startRpcProxy({ upstream: net.provider, maxLogBlocks: Number.MAX_SAFE_INTEGER });
    const deploymentFile = path.join(net.dir, "deployment.json");
    await saveDeployment(deploymentFile, net.deployment);
    const start = (name: string) =>
      spawnNode({
        root,
        dataDir: path.join(net.dir, name),
        rpcUrl: rpc!.url,
        deploymentFile,
        quotaBytes: 64 * 1024 ** 3,
      });
    nodes.push(await start("node-a"), await start("node-b"));
    const [a, b] = [await nodeClientOf(net, nodes[0]!, PATIENT), await nodeClientOf(net, nodes[1]!, PATIENT)];
    const remoteRead = await measureRemoteRead(net, a, nodes[0]!.url);

    // As the patient's CLI writes: its own Helia store first, then the nodes (packages/cli/src/nodes.ts).
    const one = createReplicatedStore({ local: net.store, nodes: [a], replicas: 1 });
    const two = createReplicatedStore({ local: net.store, nodes: [a, b], replicas: 2 });
    stores.push(one, two);
    const writers: Writers = {
      local: net.client(PATIENT),
      one: net.client(PATIENT, { store: one }),
      two: net.client(PATIENT, { store: two }),
    };
    const replicatedAdd = await measureReplicatedAdd(writers);
    const replicatedImport = await measureReplicatedImport(writers, root, net.dir);
    const auditLog = await measureAuditLog({ net, patient: AUDITED, provider: provider.address, store: net.store });
    return { loadAverage, remoteRead, replicatedAdd, replicatedImport, auditLog };
  } finally {
    for (const s of stores) await s.close();
    for (const n of nodes) await n.stop();
    await rpc?.close();
    await net.close();
  }
}
