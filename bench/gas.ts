/**
 * Part 1 of `npm run bench`, the core of the gas run: providers admitted, 200 patients registered,
 * BENCH_RECORDS records anchored by one patient (whether anchoring gas stays flat from the 1st to
 * the Nth record), 1,000 one-record grants, category and all-records grants, access requests,
 * revocations, key epochs and key generation 1 grants, suspension and reinstatement. Also the
 * summaries of every gas sample for the report and the gas snapshot.
 */
import { bytesToHex, parseEther, toHex, type Account, type Hex } from "viem";
import { recordRegistryAbi, providerRegistryAbi } from "@meridian/sdk/chain";
import { RecordCategory } from "@meridian/sdk";
import { GENERATION_EPOCHS } from "@meridian/sdk";
import { testAccount as account } from "@meridian/sdk/testing";
import { summarize } from "../packages/cli/src/stats.ts";
import { catTarget, cid, log, rand32, type GasBench, type GasSamples } from "./harness.ts";

/** The accounts the core gas run set up, which the later parts of the bench reuse. */
export interface CoreGasRun {
  /** Development account 1, the registries' regulator. */
  regulator: Account;
  /** Three admitted providers (development accounts 2..4); `providers[0]` is the hospital of the later parts. */
  providers: Account[];
  /** 200 registered patients (development accounts 10..209); `patients[0]` anchored the flatness run. */
  patients: Account[];
  /** `patients[0]`, who anchored the BENCH_RECORDS records of the flatness run. */
  alice: Account;
  /** Gas units of each anchoring of the flatness run, in order (BENCH_RECORDS of them). */
  anchorGas: number[];
  /** Wall-clock seconds the flatness run's anchoring took. */
  anchorSeconds: number;
}

/**
 * Runs the core gas measurements on `bench`, `nRecords` records anchored for the flatness run,
 * recording each transaction's gas in `bench.gas`.
 */
export async function measureCoreGas(bench: GasBench, nRecords: number): Promise<CoreGasRun> {
  const { edr, send, add } = bench;
  const { publicClient, wallet, deployment } = edr;
  const R = deployment.recordRegistry,
    P = deployment.providerRegistry;
  log(`gas: providers, ${200} patients, ${nRecords} records, ${1000} grants`);
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
  for (let i = 0; i < nRecords; i++) {
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
    if ((i + 1) % 2000 === 0) log(`  anchored ${i + 1}/${nRecords}`);
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
    add(
      "open key epoch (a keyholder's access ended)",
      await send(p, R, recordRegistryAbi, "openKeyEpoch", [p.address]),
    );
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

  return { regulator, providers, patients, alice, anchorGas, anchorSeconds };
}

/** Anchoring gas (gas units) at points of the flatness run, and its speed. */
export interface Flatness {
  /** Records anchored (BENCH_RECORDS). */
  records: number;
  /** Gas units of the 1st anchoring (each point below is the last anchoring if fewer were made). */
  first: number;
  /** Gas units of the 10th anchoring. */
  at10: number;
  /** Gas units of the 100th anchoring. */
  at100: number;
  /** Gas units of the 1000th anchoring. */
  at1000: number;
  /** Gas units of the last anchoring. */
  last: number;
  /** Largest minus smallest anchoring gas, in gas units. */
  maxMinusMin: number;
  /** Anchoring transactions per second of wall-clock time on EDR. */
  anchorTxPerSecond: number;
}

/** The {@link Flatness} of a core gas run that anchored `nRecords` records. */
export function flatnessOf({ anchorGas, anchorSeconds }: CoreGasRun, nRecords: number): Flatness {
  const at = (i: number) => anchorGas[Math.min(i, anchorGas.length) - 1]!;
  return {
    records: nRecords,
    first: at(1),
    at10: at(10),
    at100: at(100),
    at1000: at(1000),
    last: at(nRecords),
    maxMinusMin: Math.max(...anchorGas) - Math.min(...anchorGas),
    anchorTxPerSecond: nRecords / anchorSeconds,
  };
}

/** One operation's gas, in gas units: median, 95th percentile, smallest, largest, and the number of samples. */
export interface GasStats {
  median: number;
  p95: number;
  min: number;
  max: number;
  count: number;
}

/** Operation label → {@link GasStats}, in the order the operations were first measured. */
export type GasSummary = Record<string, GasStats>;

/** The {@link GasSummary} of `gas`. */
export function summarizeGas(gas: GasSamples): GasSummary {
  return Object.fromEntries(
    Object.entries(gas).map(([op, v]) => {
      const s = summarize(v);
      return [op, { median: s.median, p95: s.p95, min: s.min, max: s.max, count: s.count }];
    }),
  );
}
