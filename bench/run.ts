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
 *
 * Environment: BENCH_RECORDS (default 10000) records anchored for the flatness run;
 * BENCH_STORE_DIR (default the OS temp directory) where the Helia store and the reference
 * writes go, to compare file systems.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { bytesToHex, keccak256, pad, parseEther, parseEventLogs, toHex, type Account, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { recordRegistryAbi, providerRegistryAbi, monitoringRegistryAbi, peerValidationAbi } from "@meridian/sdk/chain";
import { validationConsentTypedData } from "@meridian/sdk/chain";
import { DeviceRole, deviceBindingTypedData } from "@meridian/sdk/chain";
import { consentCodeTuple, consentCodeTypedData, GuardianLevel, type ConsentCode } from "@meridian/sdk/chain";
import {
  deployGovernedMeridian,
  executeMembershipChange,
  scheduleMembershipChange,
  type MembershipChange,
} from "@meridian/sdk/chain";
import { createMeridianClient } from "@meridian/sdk";
import { encryptRecordParts, openRecord, releaseRecordParts } from "@meridian/sdk/crypto";
import { ciphertextHash as hashOf } from "@meridian/sdk/crypto";
import { createHeliaStore } from "@meridian/sdk/storage";
import { recordDraftFromFile, isReferenceDataBundle, parseFhirJson } from "@meridian/sdk/fhir";
import { RecordCategory } from "@meridian/sdk";
import { GENERATION_EPOCHS } from "@meridian/sdk";
import { createTempDir, startTestChain, testAccount as account } from "@meridian/sdk/testing";
import { summarize } from "../packages/cli/src/stats.ts";
import { writeFixtures } from "../packages/cli/src/fixtures.ts";
import { MITDB_DIR, mitdbPresent, readWfdbRecord } from "@meridian/ecg/wfdb";
import { enrolMonitoring, runMonitoring } from "@meridian/monitoring";

const root = path.resolve(import.meta.dirname, "..");
const N_RECORDS = Number(process.env.BENCH_RECORDS ?? 10_000);
const log = (s: string) => process.stderr.write(s + "\n");

// The test kit's embedded EDR chain, Meridian deployed (account 0 admin, 1 regulator), receipts polled every 5 ms.
const edr = await startTestChain({ pollingInterval: 5 });
const { publicClient, wallet, deployment } = edr;
const R = deployment.recordRegistry,
  P = deployment.providerRegistry,
  M = deployment.monitoringRegistry;

/** Sends a contract call with a fixed gas limit (no estimation) and returns gas used. */
async function send(
  a: Account,
  address: Hex,
  abi: readonly unknown[],
  functionName: string,
  args: readonly unknown[],
): Promise<number> {
  const hash = await wallet(a).writeContract({ address, abi: abi as never, functionName, args, gas: 500_000n });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
  return Number(receipt.gasUsed);
}

const gas: Record<string, number[]> = {};
const add = (op: string, g: number) => (gas[op] ??= []).push(g);
const rand32 = () => bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
const cid = () => bytesToHex(new Uint8Array([0x01, 0x55, 0x12, 0x20, ...crypto.getRandomValues(new Uint8Array(32))]));
const catTarget = (c: number) => toHex(c, { size: 32 });

// ---------------------------------------------------------------- 1. gas
log(`gas: providers, ${200} patients, ${N_RECORDS} records, ${1000} grants`);
const regulator = account(1),
  providers = [account(2), account(3), account(4)];
for (const [i, p] of providers.entries()) {
  add(
    "admit provider",
    await send(regulator, P, providerRegistryAbi, "admit", [p.address, 1 + i, `Provider ${i}`, "General"]),
  );
  add("set provider key", await send(p, P, providerRegistryAbi, "setEncryptionKey", [rand32()]));
}
const patients: Account[] = [];
for (let i = 0; i < 200; i++) {
  const a = account(10 + i);
  if (10 + i >= 20) await edr.fund(a.address, parseEther("1"));
  add("register", await send(a, R, recordRegistryAbi, "register", [rand32()]));
  patients.push(a);
}
const alice = patients[0]!;
const anchorGas: number[] = [];
const recordIds: Hex[] = [];
const t0 = performance.now();
for (let i = 0; i < N_RECORDS; i++) {
  const hash = await wallet(alice).writeContract({
    address: R,
    abi: recordRegistryAbi,
    functionName: "anchorRecord",
    args: [alice.address, cid(), rand32(), RecordCategory.Lab, 0],
    gas: 200_000n,
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  anchorGas.push(Number(receipt.gasUsed));
  if (i < 1000) recordIds.push(receipt.logs[0]!.topics[2] as Hex);
  if ((i + 1) % 2000 === 0) log(`  anchored ${i + 1}/${N_RECORDS}`);
}
const anchorSeconds = (performance.now() - t0) / 1000;
for (const g of anchorGas) add("anchor record (patient)", g);
for (const p of patients.slice(1, 101))
  add(
    "anchor record (patient)",
    await send(p, R, recordRegistryAbi, "anchorRecord", [p.address, cid(), rand32(), RecordCategory.General, 0]),
  );
// grants: one record each to the hospital (1,000 record grants), categories, all
for (const id of recordIds)
  add(
    "grant (one record)",
    await send(alice, R, recordRegistryAbi, "grant", [
      providers[0]!.address,
      1,
      id,
      false,
      0,
      bytesToHex(crypto.getRandomValues(new Uint8Array(80))),
    ]),
  );
for (const p of patients.slice(1, 101)) {
  add(
    "grant (category, write)",
    await send(p, R, recordRegistryAbi, "grant", [
      providers[1]!.address,
      2,
      catTarget(RecordCategory.Lab),
      true,
      4_000_000_000,
      bytesToHex(crypto.getRandomValues(new Uint8Array(80))),
    ]),
  );
  add(
    "grant (all records)",
    await send(p, R, recordRegistryAbi, "grant", [
      providers[0]!.address,
      3,
      catTarget(0),
      false,
      0,
      bytesToHex(crypto.getRandomValues(new Uint8Array(336))),
    ]),
  );
  add(
    "anchor record (provider, write consent)",
    await send(providers[1]!, R, recordRegistryAbi, "anchorRecord", [
      p.address,
      cid(),
      rand32(),
      RecordCategory.Lab,
      0,
    ]),
  );
  add(
    "request access",
    await send(providers[2]!, R, recordRegistryAbi, "requestAccess", [
      p.address,
      3,
      catTarget(0),
      false,
      86_400,
      toHex("TREAT", { size: 32 }),
    ]),
  );
}
for (const p of patients.slice(1, 51))
  add(
    "approve request (with all-records grant)",
    await send(p, R, recordRegistryAbi, "approveRequest", [
      providers[2]!.address,
      3,
      catTarget(0),
      false,
      0,
      bytesToHex(crypto.getRandomValues(new Uint8Array(336))),
    ]),
  );
for (const p of patients.slice(51, 101))
  add("deny request", await send(p, R, recordRegistryAbi, "denyRequest", [providers[2]!.address, 3, catTarget(0)]));
for (const p of patients.slice(1, 101))
  add(
    "revoke (category; advances key epoch)",
    await send(p, R, recordRegistryAbi, "revoke", [providers[1]!.address, 2, catTarget(RecordCategory.Lab)]),
  );
// A patient's app opens a new key epoch before writing when a keyholder's access ended (expiry,
// suspension, removal; docs/keys.md section 4).
for (const p of patients.slice(1, 101))
  add("open key epoch (a keyholder's access ended)", await send(p, R, recordRegistryAbi, "openKeyEpoch", [p.address]));
// After 16,384 epoch advances a patient's grants move to key generation 1 and carry one 32-byte
// link per category (docs/keys.md section 3): category 64 B (112 B wrapped), all 576 B (624 B).
// The epoch is set in storage (the test kit's setKeyEpoch).
for (const p of patients.slice(1, 21)) {
  await edr.setKeyEpoch(p.address, GENERATION_EPOCHS + 3);
  add(
    "grant at key generation 1 (category)",
    await send(p, R, recordRegistryAbi, "grant", [
      providers[2]!.address,
      2,
      catTarget(RecordCategory.Document),
      false,
      0,
      bytesToHex(crypto.getRandomValues(new Uint8Array(112))),
    ]),
  );
  add(
    "grant at key generation 1 (all records)",
    await send(p, R, recordRegistryAbi, "grant", [
      providers[1]!.address,
      3,
      catTarget(0),
      false,
      0,
      bytesToHex(crypto.getRandomValues(new Uint8Array(624))),
    ]),
  );
}
for (const id of recordIds.slice(0, 100))
  add("revoke (one record)", await send(alice, R, recordRegistryAbi, "revoke", [providers[0]!.address, 1, id]));
add("suspend provider", await send(regulator, P, providerRegistryAbi, "suspend", [providers[2]!.address]));
add("reinstate provider", await send(regulator, P, providerRegistryAbi, "reinstate", [providers[2]!.address]));

// Remote monitoring: 50 patients each consent to the hospital writing Cardiac records, register a
// sensor, name the hospital, and get a session with two records and a diagnosis.
log("gas: remote monitoring, 50 patients");
const hospital = providers[0]!;
/** The hospital anchors a Cardiac record of `patient`; returns its id and the proof MonitoringRegistry checks. */
async function anchorCardiac(patient: Account) {
  const hash = await wallet(hospital).writeContract({
    address: R,
    abi: recordRegistryAbi,
    functionName: "anchorRecord",
    args: [patient.address, cid(), rand32(), RecordCategory.Cardiac, 0],
    gas: 200_000n,
  });
  const [ev] = parseEventLogs({
    abi: recordRegistryAbi,
    logs: (await publicClient.waitForTransactionReceipt({ hash })).logs,
    eventName: "RecordAnchored",
  });
  if (!ev) throw new Error("no RecordAnchored event");
  return {
    recordId: ev.args.recordId,
    proof: { previousHead: ev.args.previousHead, ciphertextHash: ev.args.ciphertextHash, cid: ev.args.cid },
  };
}
for (const p of patients.slice(101, 151)) {
  await send(p, R, recordRegistryAbi, "grant", [
    hospital.address,
    2,
    catTarget(RecordCategory.Cardiac),
    true,
    0,
    bytesToHex(crypto.getRandomValues(new Uint8Array(80))),
  ]);
  const sensor = privateKeyToAccount(generatePrivateKey());
  const deadline = 4_000_000_000;
  const signature = await sensor.signTypedData(
    deviceBindingTypedData(deployment, {
      patient: p.address,
      device: sensor.address,
      role: DeviceRole.Sensor,
      deadline,
    }),
  );
  add(
    "register device",
    await send(p, M, monitoringRegistryAbi, "registerDevice", [sensor.address, DeviceRole.Sensor, deadline, signature]),
  );
  add("set monitoring provider", await send(p, M, monitoringRegistryAbi, "setMonitoringProvider", [hospital.address]));
  const sessionId = await publicClient.readContract({
    address: M,
    abi: monitoringRegistryAbi,
    functionName: "computeSessionId",
    args: [p.address, hospital.address, 0n],
  });
  add("open monitoring session", await send(hospital, M, monitoringRegistryAbi, "openSession", [p.address]));
  for (const flagged of [false, true]) {
    const r = await anchorCardiac(p);
    add(
      "add session record",
      await send(hospital, M, monitoringRegistryAbi, "addSessionRecord", [sessionId, r.recordId, flagged, r.proof]),
    );
  }
  const diagnosis = await anchorCardiac(p);
  add(
    "sign diagnosis (closes the session)",
    await send(hospital, M, monitoringRegistryAbi, "signDiagnosis", [sessionId, diagnosis.recordId, diagnosis.proof]),
  );
}

// Consent codes, guardians and emergency access: 49 patients each sign a consent code that a
// provider redeems, appoint a SHARE AND VIEW guardian (the previous patient) who approves a
// request and grants for them, name an emergency summary that a provider opens in an
// emergency, the guardian releases and the patient closes; then remove the guardian.
log("gas: consent codes, guardians, emergency access, 49 patients");
for (const [i, p] of patients.slice(151, 200).entries()) {
  const guardian = patients[150 + i]!;
  const wrappedKey = bytesToHex(crypto.getRandomValues(new Uint8Array(80)));
  const code: ConsentCode = {
    chainId: 31337,
    registry: R,
    patient: p.address,
    grantee: providers[1]!.address,
    scope: { kind: "category", category: RecordCategory.Lab },
    write: false,
    expiresAt: 0,
    deadline: 4_000_000_000,
    keyEpoch: 0,
    nonce: BigInt(rand32()),
    wrappedKeyHash: keccak256(wrappedKey),
  };
  const signature = await p.signTypedData!(consentCodeTypedData(code));
  add(
    "redeem consent code (grant, category)",
    await send(providers[1]!, R, recordRegistryAbi, "redeemConsentCode", [
      consentCodeTuple(code),
      wrappedKey,
      signature,
    ]),
  );
  add(
    "appoint guardian",
    await send(p, R, recordRegistryAbi, "appointGuardian", [
      guardian.address,
      GuardianLevel.ShareAndView,
      bytesToHex(crypto.getRandomValues(new Uint8Array(336))),
    ]),
  );
  await send(providers[2]!, R, recordRegistryAbi, "requestAccess", [
    p.address,
    2,
    catTarget(RecordCategory.General),
    false,
    86_400,
    toHex("TREAT", { size: 32 }),
  ]);
  add(
    "approve request as guardian",
    await send(guardian, R, recordRegistryAbi, "approveRequestAsGuardian", [
      p.address,
      providers[2]!.address,
      2,
      catTarget(RecordCategory.General),
      false,
      0,
      bytesToHex(crypto.getRandomValues(new Uint8Array(80))),
    ]),
  );
  add(
    "grant as guardian (category)",
    await send(guardian, R, recordRegistryAbi, "grantAsGuardian", [
      p.address,
      providers[0]!.address,
      2,
      catTarget(RecordCategory.Imaging),
      false,
      0,
      bytesToHex(crypto.getRandomValues(new Uint8Array(80))),
    ]),
  );
  const summaryHash = await wallet(p).writeContract({
    address: R,
    abi: recordRegistryAbi,
    functionName: "anchorRecord",
    args: [p.address, cid(), rand32(), RecordCategory.General, 0],
    gas: 200_000n,
  });
  const summaryId = (await publicClient.waitForTransactionReceipt({ hash: summaryHash })).logs[0]!.topics[2] as Hex;
  add("set emergency summary", await send(p, R, recordRegistryAbi, "setEmergencySummary", [summaryId]));
  add(
    "open emergency access",
    await send(providers[0]!, R, recordRegistryAbi, "openEmergencyAccess", [
      p.address,
      pad(toHex("ETREAT"), { dir: "right", size: 32 }),
      14_400,
    ]),
  );
  add(
    "release emergency key (guardian)",
    await send(guardian, R, recordRegistryAbi, "releaseEmergencyKey", [
      p.address,
      providers[0]!.address,
      bytesToHex(crypto.getRandomValues(new Uint8Array(80))),
    ]),
  );
  add(
    "close emergency access",
    await send(p, R, recordRegistryAbi, "closeEmergencyAccess", [p.address, providers[0]!.address]),
  );
  add(
    "remove guardian (advances key epoch)",
    await send(p, R, recordRegistryAbi, "removeGuardian", [guardian.address]),
  );
}

// Peer validation: 16 hospitals in the pool; the monitoring hospital submits 20 Cardiac diagnoses
// with each patient's EIP-712 consent; 4 validators are drawn, get the key and vote (half the
// other cases validated 3-0, half rejected 0-2); in 5 cases a silent validator is replaced and redrawn.
log("gas: peer validation, 16 pool hospitals, 20 cases");
const V = deployment.peerValidation;
const pool = Array.from({ length: 16 }, () => privateKeyToAccount(generatePrivateKey()));
for (const [i, h] of pool.entries()) {
  await edr.fund(h.address, parseEther("1"));
  await send(regulator, P, providerRegistryAbi, "admit", [h.address, 1, `Pool hospital ${i}`, ""]);
  add("join validator pool", await send(h, V, peerValidationAbi, "joinPool", []));
}
const mine = () => edr.testClient.mine({ blocks: 1 });
for (const [i, p] of patients.slice(101, 121).entries()) {
  const r = await anchorCardiac(p);
  const deadline = 4_000_000_000;
  const consent = await p.signTypedData!(
    validationConsentTypedData(deployment, { recordId: r.recordId, author: hospital.address, deadline }),
  );
  add(
    "submit for validation",
    await send(hospital, V, peerValidationAbi, "submit", [r.recordId, r.proof, deadline, consent]),
  );
  await mine();
  add("draw 4 validators", await send(p, V, peerValidationAbi, "draw", [r.recordId]));
  const seats = (
    await publicClient.readContract({
      address: V,
      abi: peerValidationAbi,
      functionName: "getSeats",
      args: [r.recordId],
    })
  ).map((s) => pool.find((h) => h.address === s.validator)!);
  add(
    "share keys (4 validators)",
    await send(hospital, V, peerValidationAbi, "shareKeys", [
      r.recordId,
      seats.map((s) => s.address),
      seats.map(() => bytesToHex(crypto.getRandomValues(new Uint8Array(80)))),
    ]),
  );
  if (i < 5) {
    await edr.testClient.increaseTime({ seconds: 3 * 86_400 + 1 });
    add("replace a silent validator", await send(p, V, peerValidationAbi, "replace", [r.recordId, seats[0]!.address]));
    await mine();
    add("draw 1 validator (replacement)", await send(p, V, peerValidationAbi, "draw", [r.recordId]));
    continue; // the other seats' deadlines passed too: this case votes no further
  }
  const approve = i % 2 === 0;
  for (const [k, v] of seats.slice(0, approve ? 3 : 2).entries()) {
    const last = k === (approve ? 2 : 1);
    add(
      last ? "vote (deciding)" : "vote",
      await send(v, V, peerValidationAbi, "vote", [r.recordId, approve ? 1 : 2, rand32()]),
    );
  }
}
// six members leave (from the middle of the pool: the last one moves into each place) and rejoin
for (const h of pool.slice(3, 9)) add("leave validator pool", await send(h, V, peerValidationAbi, "leavePool", []));
for (const h of pool.slice(3, 9)) add("rejoin validator pool", await send(h, V, peerValidationAbi, "joinPool", []));

// Governance: a second, governed deployment (MeridianTimelock as regulator; no delay here, so
// schedule and execute follow each other) admits 10 providers through the timelock; the council
// suspends them at once.
log("gas: governance, 10 admissions through the timelock");
{
  const council = account(5);
  const governed = await deployGovernedMeridian(
    { publicClient, walletClient: wallet(account(0)) },
    { council: council.address, minDelaySeconds: 0 },
  );
  const asCouncil = { publicClient, walletClient: wallet(council), deployment: governed.deployment };
  for (let i = 0; i < 10; i++) {
    const change: MembershipChange = {
      action: "admit",
      provider: account(400 + i).address,
      kind: 1,
      name: `Governed Hospital ${i}`,
      department: "",
    };
    add(
      "admit via timelock: schedule",
      Number((await scheduleMembershipChange(asCouncil, { timelock: governed.timelock, change })).gasUsed),
    );
    add(
      "admit via timelock: execute",
      Number((await executeMembershipChange(asCouncil, { timelock: governed.timelock, change })).gasUsed),
    );
    add(
      "suspend provider (council, SUSPENDER_ROLE)",
      await send(council, governed.deployment.providerRegistry, providerRegistryAbi, "suspend", [change.provider]),
    );
  }
}

const at = (i: number) => anchorGas[Math.min(i, anchorGas.length) - 1]!;
const flatness = {
  records: N_RECORDS,
  first: at(1),
  at10: at(10),
  at100: at(100),
  at1000: at(1000),
  last: at(N_RECORDS),
  maxMinusMin: Math.max(...anchorGas) - Math.min(...anchorGas),
  anchorTxPerSecond: N_RECORDS / anchorSeconds,
};
const recordGrantGas = gas["grant (one record)"]!;
const gasSummary = Object.fromEntries(
  Object.entries(gas).map(([op, v]) => {
    const s = summarize(v);
    return [op, { median: s.median, p95: s.p95, min: s.min, max: s.max, count: s.count }];
  }),
);

// ------------------------------------------------------- 2. crypto + storage path
log("throughput: encrypt-and-store vs raw WebCrypto AES-256-GCM + SHA-256");
const storeTemp = await createTempDir("bench", process.env.BENCH_STORE_DIR);
const storeDir = storeTemp.path;
const store = await createHeliaStore({ directory: storeDir });
const context = { chainId: 31337, contract: R, patient: alice.address, category: RecordCategory.Lab, keyEpoch: 0 };
const kek = crypto.getRandomValues(new Uint8Array(32));
const aesKey = await crypto.subtle.importKey("raw", crypto.getRandomValues(new Uint8Array(32)), "AES-GCM", false, [
  "encrypt",
  "decrypt",
]);
const sizes = [1_000, 100_000, 1_000_000, 4_000_000, 10_000_000];
/** One payload size's throughput (MB/s, 1 MB = 10^6 bytes) and ratios of the storage path's run times. */
interface StoragePathRow {
  bytes: number;
  rawEncryptHashMBps: number;
  encryptAndStoreMBps: number;
  encryptAndStoreVsRaw: number;
  rawHashDecryptMBps: number;
  fetchVerifyDecryptMBps: number;
  fetchVerifyDecryptVsRaw: number;
  diskWriteMBps: number;
  rawPlusDiskWriteVsOurs: number;
  /** Median run times in milliseconds. */
  medianMs: { raw: number; encryptAndStore: number; rawOpen: number; fetchVerifyDecrypt: number; diskWrite: number };
}
/** One row per payload size: medians of 15 (>= 1 MB) or 60 runs after 2 warm-ups, through `into` (a Helia store) and plain writes into `dir`. */
async function measureStoragePath(into: typeof store, dir: string): Promise<StoragePathRow[]> {
  const rows: StoragePathRow[] = [];
  for (const size of sizes) {
    const payload = new Uint8Array(size);
    for (let o = 0; o < size; o += 65536) crypto.getRandomValues(payload.subarray(o, Math.min(size, o + 65536)));
    const reps = size >= 1_000_000 ? 15 : 60;
    const raw: number[] = [],
      seal: number[] = [],
      rawOpen: number[] = [],
      read: number[] = [],
      disk: number[] = [];
    for (let r = 0; r < reps + 2; r++) {
      // raw reference: AES-256-GCM encrypt + SHA-256 of the ciphertext
      let t = performance.now();
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, aesKey, payload));
      await crypto.subtle.digest("SHA-256", ct);
      const rawMs = performance.now() - t;
      t = performance.now();
      await crypto.subtle.digest("SHA-256", ct);
      await crypto.subtle.decrypt({ name: "AES-GCM", iv }, aesKey, ct);
      const rawOpenMs = performance.now() - t;
      // the disk's floor: one plain file write of the same bytes
      t = performance.now();
      await writeFile(path.join(dir, `reference-${size}-${r}.bin`), ct);
      const diskMs = performance.now() - t;
      // Meridian, as client.addRecord does it: seal (DEK, AES-KW, AES-GCM segments) + Helia put
      // of the envelope's parts (leaves written and hashed; the hashes give the CID and the
      // ciphertext hash), then the parts are freed
      t = performance.now();
      const sealed = await encryptRecordParts({ plaintext: payload, kek, context });
      const { cid: id, ciphertextHash } = await into.put(sealed.parts);
      releaseRecordParts(sealed.parts);
      const sealMs = performance.now() - t;
      // Meridian read: Helia get (with CID recomputation) + ciphertext-hash check + open
      t = performance.now();
      const env = await into.get(id);
      if ((await hashOf(env)) !== ciphertextHash) throw new Error("hash mismatch");
      await openRecord({ envelope: env, key: { kek }, context });
      const readMs = performance.now() - t;
      if (r >= 2) {
        raw.push(rawMs);
        seal.push(sealMs);
        rawOpen.push(rawOpenMs);
        read.push(readMs);
        disk.push(diskMs);
      }
    }
    const mbps = (ms: number) => size / 1e6 / (ms / 1000);
    const m = (v: number[]) => summarize(v).median;
    rows.push({
      bytes: size,
      rawEncryptHashMBps: mbps(m(raw)),
      encryptAndStoreMBps: mbps(m(seal)),
      encryptAndStoreVsRaw: m(raw) / m(seal),
      rawHashDecryptMBps: mbps(m(rawOpen)),
      fetchVerifyDecryptMBps: mbps(m(read)),
      fetchVerifyDecryptVsRaw: m(rawOpen) / m(read),
      diskWriteMBps: mbps(m(disk)),
      rawPlusDiskWriteVsOurs: (m(raw) + m(disk)) / m(seal),
      medianMs: {
        raw: m(raw),
        encryptAndStore: m(seal),
        rawOpen: m(rawOpen),
        fetchVerifyDecrypt: m(read),
        diskWrite: m(disk),
      },
    });
  }
  return rows;
}
const paths = await measureStoragePath(store, storeDir);
// The same through a store in memory (tmpfs), where a write costs a copy: what the path costs
// when the disk is not the bottleneck. On this project's VMs a write that grows the page cache
// can take ~2 ms per MB (more than raw AES-GCM + SHA-256 of the same bytes), so the target is
// judged on the disk run above and this run shows how much of the gap is the disk.
let pathsInMemory: StoragePathRow[] | null = null;
if (!process.env.BENCH_STORE_DIR && existsSync("/dev/shm")) {
  log("throughput: the same through a Helia store on tmpfs (/dev/shm)");
  const memoryDir = await createTempDir("bench", "/dev/shm");
  const memoryStore = await createHeliaStore({ directory: memoryDir.path });
  try {
    pathsInMemory = await measureStoragePath(memoryStore, memoryDir.path);
  } finally {
    await memoryStore.close();
    await memoryDir.remove();
  }
}

// ------------------------------------------------------------ 3. real FHIR records
log("throughput: full import and read of FHIR records through the client");
const shared = path.resolve(root, "../shared/data/fhir/synthea/smart-on-fhir-r4");
let source = shared;
if (!existsSync(shared)) source = path.join(await writeFixtures(path.join(storeDir, "fixtures")), "fhir");
const drafts = [];
for (const f of readdirSync(source)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .slice(0, 8)) {
  const bytes = new Uint8Array(await readFile(path.join(source, f)));
  const res = parseFhirJson(bytes);
  if (res.resourceType === "Bundle" && isReferenceDataBundle(res)) continue;
  drafts.push(...(await recordDraftFromFile(bytes, { fileName: f })));
}
const patientClient = createMeridianClient({ ...edr.as(300), store });
const hospitalClient = createMeridianClient({ ...edr.as(providers[0]!), store });
await edr.fund(account(300).address, parseEther("10"));
await patientClient.registerAsPatient();
await hospitalClient.rotateProviderKey(); // the gas run gave it a random key (version 1); publish its derived version 2
let bytesIn = 0;
const ids: Hex[] = [];
let t = performance.now();
for (const d of drafts) {
  const pt = new TextEncoder().encode(JSON.stringify(d.resource));
  bytesIn += pt.length;
  ids.push((await patientClient.addRecord({ plaintext: pt, category: d.category })).recordId);
}
const importS = (performance.now() - t) / 1000;
await patientClient.grant({ grantee: providers[0]!.address, scope: { kind: "all" } });
t = performance.now();
for (const id of ids) await hospitalClient.readRecord(id);
const readS = (performance.now() - t) / 1000;
const records = {
  source: path.relative(root, source),
  records: ids.length,
  bytes: bytesIn,
  import: { seconds: importS, recordsPerSecond: ids.length / importS, MBps: bytesIn / 1e6 / importS },
  read: { seconds: readS, recordsPerSecond: ids.length / readS, MBps: bytesIn / 1e6 / readS },
};

// ------------------------------------------------------- 4. remote ECG monitoring
// One shared MIT-BIH record through device → MQTT → edge (CNN) → MQTT → fog relay → HTTP →
// medical server → chain, all in this process: how many times faster than real time, and the
// latency from an abnormal window leaving the device to its record anchored and linked.
let ecg: Record<string, unknown> | null = null;
if (mitdbPresent()) {
  const name = process.env.BENCH_ECG_RECORD ?? "208";
  log(`remote monitoring: record ${name}`);
  const ecgPatient = createMeridianClient({ ...edr.as(301), store });
  await edr.fund(account(301).address, parseEther("10"));
  await ecgPatient.registerAsPatient();
  const kit = {
    sensor: privateKeyToAccount(generatePrivateKey()),
    edge: privateKeyToAccount(generatePrivateKey()),
    fog: privateKeyToAccount(generatePrivateKey()),
  };
  await enrolMonitoring({ patient: ecgPatient, provider: hospitalClient, kit });
  const ecgRecord = await readWfdbRecord(MITDB_DIR, name);
  const state = await createTempDir("bench-ecg");
  const stateDir = state.path;
  const run = await runMonitoring({
    record: ecgRecord,
    patient: ecgPatient.address,
    provider: hospitalClient,
    kit,
    stateDir,
    windowSeconds: 10,
  });
  // Latency without a backlog: the next 120 s of the same stream paced at 10x real time (a window
  // every second), so each window meets an idle chain, as it would streaming live.
  const paced = await runMonitoring({
    record: ecgRecord,
    patient: ecgPatient.address,
    provider: hospitalClient,
    kit,
    stateDir,
    windowSeconds: 10,
    speed: 10,
    startSample: 0,
    endSample: 120 * 360,
    firstSequence: run.sent + 1,
  });
  await state.remove();
  const latency = summarize(paced.abnormalLatenciesMs);
  ecg = {
    record: name,
    windowSeconds: 10,
    windows: run.sent,
    anchored: run.anchored.length,
    refused: run.refused.length,
    flagged: run.anchored.filter((a) => a.flagged).length,
    ecgSeconds: run.ecgSeconds,
    wallSeconds: run.wallSeconds,
    realTimeFactor: run.ecgSeconds / run.wallSeconds,
    abnormalToAnchoredMs: { median: latency.median, p95: latency.p95, max: latency.max, count: latency.count },
    note: "latency: 120 s paced at 10x real time, from the device sending an abnormal window to its record anchored and linked; in real time add the wait for the window to close (at most its 10 s)",
  };
} else log("remote monitoring: skipped (../shared/data/ecg/mitdb not found)");

await store.close();
await storeTemp.remove();
await edr.close();

// ------------------------------------------------------------------ results
const targets = {
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
};
const result = {
  date: new Date().toISOString(),
  node: process.version,
  machine: { cpus: (await import("node:os")).cpus().length },
  gas: gasSummary,
  flatness,
  storagePath: paths,
  storagePathInMemory: pathsInMemory,
  records,
  ecg,
  targets,
};
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

const lines = ["", "Gas per operation (median / p95 / max, count)"];
for (const [op, s] of Object.entries(gasSummary))
  lines.push(
    `  ${op.padEnd(42)} ${String(s.median).padStart(7)} / ${String(s.p95).padStart(7)} / ${String(s.max).padStart(7)}  (${s.count})`,
  );
lines.push(
  `Flatness: anchoring gas 1st ${flatness.first}, 10th ${flatness.at10}, 100th ${flatness.at100}, 1000th ${flatness.at1000}, ${N_RECORDS}th ${flatness.last} (spread ${flatness.maxMinusMin}); ${flatness.anchorTxPerSecond.toFixed(0)} anchor tx/s on EDR`,
);
lines.push(
  "",
  `Encrypt-and-store (encryptRecordParts + Helia put) vs raw AES-256-GCM + SHA-256, and fetch-verify-decrypt vs raw SHA-256 + decrypt; "disk" is a plain fs.writeFile of the same bytes in ${path.dirname(storeDir)}`,
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
  const e = ecg as {
    record: string;
    windows: number;
    anchored: number;
    flagged: number;
    ecgSeconds: number;
    wallSeconds: number;
    realTimeFactor: number;
    abnormalToAnchoredMs: { median: number; p95: number; count: number };
  };
  lines.push(
    "",
    `Remote monitoring (record ${e.record}, ${e.ecgSeconds} s of ECG in 10 s windows): ${e.anchored}/${e.windows} windows anchored (${e.flagged} flagged) in ${e.wallSeconds.toFixed(1)} s = ${e.realTimeFactor.toFixed(0)}x real time; abnormal window → anchored record median ${e.abnormalToAnchoredMs.median.toFixed(0)} ms, p95 ${e.abnormalToAnchoredMs.p95.toFixed(0)} ms (${e.abnormalToAnchoredMs.count} windows)`,
  );
}
lines.push("", "Targets:");
for (const [k, ok] of Object.entries(targets)) lines.push(`  ${ok ? "met " : "MISS"}  ${k}`);
lines.push("", "Wrote bench/results/latest.json and bench/gas-snapshot.json");
process.stdout.write(lines.join("\n") + "\n");
