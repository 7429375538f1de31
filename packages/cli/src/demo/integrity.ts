/**
 * The demo's closing checks: a tampered envelope is an error, never garbage; every patient's hash
 * chain verifies; nothing readable of the patients' data is on chain or in IPFS (the chain is
 * exported to `<data-dir>/chain/` and scanned with every IPFS block); anchoring gas stays flat.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseEventLogs } from "viem";
import { MeridianError, PatientKeyring } from "@meridian/sdk";
import { getLogsInRanges, providerRegistryAbi, recordRegistryAbi, type MeridianDeployment } from "@meridian/sdk/chain";
import { DecryptionError, openRecord } from "@meridian/sdk/crypto";
import type { ChainClients } from "../env.ts";
import type { AccessSubject } from "./access.ts";
import type { PatientInput } from "./inputs.ts";
import type { DemoNetwork } from "./network.ts";
import { sha256 } from "./records.ts";
import type { DemoChainExport, DemoLog, DemoPrivacyScan } from "./report.ts";

/** What {@link scanForPrivacy} did: the report's `chainExport` and `privacyScan`. */
export interface DemoPrivacyResult {
  chainExport: DemoChainExport;
  privacyScan: DemoPrivacyScan;
}

/**
 * With the patient's own, correct KEK the untouched envelope of the target record opens, and the
 * same envelope with one flipped byte does not ({@link DecryptionError}).
 */
export async function checkTamperedCiphertext(run: DemoLog, network: DemoNetwork, s: AccessSubject): Promise<void> {
  const { patient: alice, target } = s;
  const anchor = (await alice.readRecord(target.recordId)).anchor;
  const { CID } = await import("multiformats/cid");
  const envelope = await network.store.get(CID.decode(Buffer.from(anchor.cid.slice(2), "hex")).toString());
  const kek = await new PatientKeyring((await alice.keys()).rootSecret).categoryKek(anchor.category, anchor.keyEpoch);
  const context = {
    chainId: network.clients.chain.id,
    contract: network.deployment.recordRegistry,
    patient: alice.address,
    category: anchor.category,
    keyEpoch: anchor.keyEpoch,
  };
  const untouched = await openRecord({ envelope, key: { kek }, context });
  const tampered = envelope.slice();
  tampered[tampered.length - 20]! ^= 1;
  try {
    await openRecord({ envelope: tampered, key: { kek }, context });
    run.check("tampered ciphertext refused", false, "decryption of a tampered envelope succeeded");
  } catch (error) {
    run.check(
      "tampered ciphertext refused",
      error instanceof DecryptionError && (await sha256(untouched)) === target.sha256,
      error instanceof MeridianError ? `one flipped byte: ${error.shortMessage}` : String(error),
    );
  }
}

/** Every patient's record hash chain verifies from genesis to the on-chain head. */
export async function checkHashChains(run: DemoLog, network: DemoNetwork): Promise<void> {
  const { patients } = network;
  let valid = 0;
  for (const p of patients) if ((await p.verifyChain()).valid) valid++;
  run.check(
    "hash chains",
    valid === patients.length,
    `${valid}/${patients.length} patient hash chains verify from genesis to the on-chain head`,
    patients.length,
  );
}

/**
 * Exports the chain to `<data-dir>/chain/` and searches it and every IPFS block for the
 * patients' distinctive plaintext strings (at least 6 characters); checks none is found.
 */
export async function scanForPrivacy(
  run: DemoLog,
  network: DemoNetwork,
  dataDir: string,
  patients: readonly PatientInput[],
): Promise<DemoPrivacyResult> {
  const chainExport = await exportChain(network.clients, network.deployment, path.join(dataDir, "chain"));
  const secrets = [...new Set(patients.flatMap((p) => p.secrets))].filter((s) => s.length >= 6);
  const scan = await scanForPlaintext(secrets, [path.join(dataDir, "chain"), path.join(dataDir, "ipfs")]);
  const found = scan.hits.length ? ` (${scan.hits.slice(0, 3).join("; ")})` : "";
  run.check(
    "privacy scan",
    scan.hits.length === 0 && secrets.length > 0 && scan.files > 0,
    `${secrets.length} distinctive plaintext strings (names, identifiers, addresses, note text) searched in ` +
      `${scan.files} files (${(scan.bytes / 1e6).toFixed(1)} MB of chain export and IPFS blocks): ` +
      `${scan.hits.length} found${found}`,
  );
  return {
    chainExport,
    privacyScan: { strings: secrets.length, files: scan.files, bytes: scan.bytes, hits: scan.hits.length },
  };
}

/**
 * Anchoring gas does not grow with the number of records: the first anchor and the last of the
 * import (the one before the record written after the revocation) differ by at most 200 gas.
 */
export function checkGasFlat(run: DemoLog): void {
  const anchorGas = run.gasUsed["anchor record"] ?? [];
  const first = anchorGas[0];
  const last = anchorGas[anchorGas.length - 2];
  run.check(
    "gas flat",
    anchorGas.length > 2 && Math.abs(first! - last!) <= 200,
    `anchoring gas first ${first} vs last ${last} after ${anchorGas.length} records`,
  );
}

/** Writes every transaction (with its input) and every decoded event of the chain to `dir`. */
async function exportChain(
  clients: ChainClients,
  deployment: MeridianDeployment,
  dir: string,
): Promise<DemoChainExport> {
  await mkdir(dir, { recursive: true });
  const latest = await clients.publicClient.getBlockNumber();
  const transactions: unknown[] = [];
  for (let n = 0n; n <= latest; n++) {
    const block = await clients.publicClient.getBlock({ blockNumber: n, includeTransactions: true });
    for (const tx of block.transactions) {
      transactions.push({
        block: n,
        hash: tx.hash,
        from: tx.from,
        to: tx.to,
        input: tx.input,
        value: tx.value,
        timestamp: block.timestamp,
      });
    }
  }
  const logs = await getLogsInRanges(clients.publicClient, {
    fromBlock: 0n,
    toBlock: latest,
    query: (range) => clients.publicClient.getLogs(range),
  });
  const events = parseEventLogs({ abi: [...recordRegistryAbi, ...providerRegistryAbi], logs }).map((l) => ({
    block: l.blockNumber,
    tx: l.transactionHash,
    address: l.address,
    event: l.eventName,
    args: l.args,
    data: l.data,
    topics: l.topics,
  }));
  const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x), 1);
  await writeFile(path.join(dir, "transactions.json"), json(transactions));
  await writeFile(path.join(dir, "events.json"), json(events));
  await writeFile(path.join(dir, "deployment.json"), json(deployment));
  return { blocks: Number(latest) + 1, transactions: transactions.length, events: events.length };
}

/** Searches every file under `roots` for each string (UTF-8 bytes, case-sensitive). */
async function scanForPlaintext(
  strings: string[],
  roots: string[],
): Promise<{ files: number; bytes: number; hits: string[] }> {
  const needles = strings.map((s) => ({ s, b: Buffer.from(s, "utf8") }));
  let files = 0,
    bytes = 0;
  const hits: string[] = [];
  const visit = async (p: string): Promise<void> => {
    const st = await stat(p);
    if (st.isDirectory()) {
      for (const e of await readdir(p)) await visit(path.join(p, e));
      return;
    }
    const buf = await readFile(p);
    files++;
    bytes += buf.length;
    for (const { s, b } of needles)
      if (buf.includes(b)) hits.push(`"${s.slice(0, 3)}…" (${s.length} chars) in ${path.basename(p)}`);
  };
  for (const r of roots) if (existsSync(r)) await visit(r);
  return { files, bytes, hits };
}
