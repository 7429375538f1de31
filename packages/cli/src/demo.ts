/**
 * The main job: a whole Meridian network in one process, on real FHIR data.
 *
 * Starts an embedded Hardhat/EDR chain and an embedded Helia IPFS node (blocks as files under
 * `<data-dir>/ipfs`), deploys, admits providers, registers one patient per FHIR bundle, imports
 * every bundle and attachment, grants one provider all-records access, has it read and
 * byte-compare every record, shows that unauthorized, revoked, expired and suspended access is
 * refused; shows consent by a one-time code, a guardian approving a request for a patient, and
 * emergency access to a patient's International Patient Summary (opened on chain first, key
 * released by the guardian, closed); verifies every hash chain, exports every transaction and event to
 * `<data-dir>/chain/`, scans that export and every IPFS block for the plaintext, and writes a
 * report. Exits non-zero when any check fails.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseEther, parseEventLogs, type Account, type Address, type EIP1193Provider, type Hex } from "viem";
import { MeridianError } from "@meridian/sdk";
import { categoryName, RecordCategory } from "@meridian/sdk";
import { createMeridianClient, AccessDeniedError, type MeridianClient } from "@meridian/sdk";
import { admitProvider, deployMeridian, setProviderStatus } from "@meridian/sdk/chain";
import { ProviderKind, type MeridianContext, type MeridianDeployment } from "@meridian/sdk/chain";
import { providerRegistryAbi, recordRegistryAbi } from "@meridian/sdk/chain";
import { openBlobStore } from "@meridian/sdk/storage";
import type { BlobStore } from "@meridian/sdk/storage";
import { openRecord } from "@meridian/sdk/crypto";
import { PatientKeyring } from "@meridian/sdk";
import { DecryptionError } from "@meridian/sdk/crypto";
import { isReferenceDataBundle, parseFhirJson, recordDraftFromFile, sensitiveStrings, summarizeInternationalPatientSummary, type RecordDraft } from "@meridian/sdk/fhir";
import { ConsentCodeRefusedError, GuardianLevel } from "@meridian/sdk/chain";
import { ConfigurationError, connectChain, devAccount, walletFor, type ChainClients } from "./env.ts";
import { isWithin, prepareStateDirectory, requireDirectory } from "./files.ts";
import { writeFixtures } from "./fixtures.ts";
import { summarize } from "./stats.ts";
import { createProgress, log } from "./output.ts";

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Folder of FHIR bundles and attachments; default `../shared/data` when present, else fixtures. */
  input?: string | undefined;
  /**
   * Where state goes. A folder the demo created (it holds `.meridian-state`) is emptied first, an
   * empty or missing one is used; any other is refused and left untouched.
   */
  dataDir: string;
  /** At most this many patient bundles (smallest first), a whole number from 1; default all. */
  maxPatients?: number | undefined;
}

/**
 * One named check of the demo: `pass`, `fail`, or `skip` when there was nothing to check (a check
 * that checked nothing never passes). `ok` is false only for `fail`.
 */
export interface DemoCheck { name: string; ok: boolean; status: "pass" | "fail" | "skip"; detail: string }

/** The demo's report (also `<data-dir>/report.json`); `ok` is false when a check failed or the run stopped early. */
export type DemoReport = Record<string, unknown> & {
  ok: boolean;
  checks: DemoCheck[];
  /** Why the run stopped before its checks, and what to do; absent when it ran to the end. */
  failure?: { message: string; hint: string };
};

interface PatientInput { file: string; drafts: RecordDraft[]; secrets: string[] }
interface ImportedRecord { recordId: Hex; patient: Address; category: RecordCategory; sha256: string; bytes: number; title: string }

const SHARED_DATA = path.resolve(import.meta.dirname, "../../../../shared/data");

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (/\.(json|dcm|pdf)$/i.test(entry.name)) yield full;
  }
}

async function sha256(bytes: Uint8Array): Promise<string> {
  return Buffer.from(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)).toString("hex");
}

/**
 * Checks the demo's options before anything is created or deleted: the input folder exists and is
 * a folder, it and the data folder do not contain each other, and `maxPatients` is a whole number
 * from 1.
 *
 * @throws {ConfigurationError} or `FileAccessError`, naming the option.
 */
async function checkDemoOptions(options: DemoOptions): Promise<{ input: string | undefined; dataDir: string }> {
  const dataDir = path.resolve(options.dataDir);
  const m = options.maxPatients;
  if (m !== undefined && !(Number.isSafeInteger(m) && m >= 1)) throw new ConfigurationError("--max-patients must be a whole number from 1 up.", { details: String(m) });
  const input = options.input ? path.resolve(options.input) : existsSync(SHARED_DATA) ? SHARED_DATA : undefined;
  if (input === undefined) return { input, dataDir };
  await requireDirectory(input, "--input");
  if (isWithin(input, dataDir) || isWithin(dataDir, input)) {
    throw new ConfigurationError(`--input ${input} and --data-dir ${dataDir} overlap; the demo empties its data folder and reads every file of its input.`, { hint: "Pass a --data-dir outside the input folder." });
  }
  return { input, dataDir };
}

/**
 * Runs the main job and returns its report, which it also writes to `<data-dir>/report.json`
 * whatever happens: `report.ok` is false when any check failed, and `report.failure` says why
 * when the run could not go on (no patient bundle in the input, nothing imported).
 *
 * @throws {ConfigurationError} or `FileAccessError` for bad options, before anything is touched;
 *   `StateDirectoryError` when `dataDir` holds files the demo did not create.
 */
export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const started = performance.now();
  const checked = await checkDemoOptions(options);
  const dataDir = await prepareStateDirectory(checked.dataDir, { option: "--data-dir", owner: "meridian demo" });
  let input = checked.input;
  if (!input) {
    input = await writeFixtures(path.join(dataDir, "fixtures"));
    log(`../shared/data not found: using the project's own fixtures in ${path.relative(process.cwd(), input)}`);
  }
  const checks: DemoCheck[] = [];
  /** Records a check; `count` is how many things it looked at: 0 makes it a SKIP, never a PASS. */
  const check = (name: string, ok: boolean, detail: string, count?: number) => {
    const status = !ok ? "fail" : count === 0 ? "skip" : "pass";
    checks.push({ name, ok: status !== "fail", status, detail });
    log(`${status.toUpperCase().padEnd(4)}  ${name}: ${detail}`);
  };
  const report: DemoReport = {
    ok: false, checks, input, dataDir,
    imported: { patients: 0, attachments: 0, records: 0, bytes: 0, inputBytes: 0, byCategory: {}, skipped: [] },
    roundTrip: { read: 0, identical: 0, failures: [] }, gas: {}, privacyScan: { strings: 0, files: 0, bytes: 0, hits: 0 }, seconds: 0,
  };
  /** Ends the run early: a failed check, and what to do. */
  const stop = (name: string, message: string, hint: string) => {
    check(name, false, message);
    report.failure = { message, hint };
  };
  try {
    await demoBody(input, dataDir, options, check, stop, report);
  } catch (error) {
    const message = error instanceof MeridianError ? error.shortMessage : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    stop("run", `the demo stopped: ${message}`, error instanceof MeridianError && error.hint ? error.hint : "Run it again with MERIDIAN_DEBUG=1 and report the output.");
    if (process.env.MERIDIAN_DEBUG) console.error(error);
  } finally {
    report.ok = report.failure === undefined && checks.length > 0 && checks.every((c) => c.ok);
    report.seconds = (performance.now() - started) / 1000;
    await writeFile(path.join(dataDir, "report.json"), JSON.stringify(report, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2));
  }
  return report;
}

type Check = (name: string, ok: boolean, detail: string, count?: number) => void;
type Stop = (name: string, message: string, hint: string) => void;

/** The demo from reading the input to the last check; fills `report` as it goes. */
async function demoBody(input: string, dataDir: string, options: DemoOptions, check: Check, stop: Stop, report: DemoReport): Promise<void> {
  const gas: Record<string, number[]> = {};
  const addGas = (op: string, used: bigint) => { (gas[op] ??= []).push(Number(used)); };

  // ---- inputs: parse, validate, split before anything touches the chain
  log(`Reading FHIR bundles and attachments from ${input}`);
  const patients: PatientInput[] = [];
  const attachments: { file: string; drafts: RecordDraft[] }[] = [];
  const skipped: { file: string; reason: string }[] = [];
  const t0 = performance.now();
  let inputBytes = 0;
  for await (const file of walk(input)) {
    const bytes = new Uint8Array(await readFile(file));
    const rel = path.relative(input, file);
    try {
      if (/\.json$/i.test(file)) {
        const resource = parseFhirJson(bytes, { source: rel });
        if (resource.resourceType === "Bundle" && isReferenceDataBundle(resource)) { skipped.push({ file: rel, reason: "reference data (Organizations/Practitioners), not a patient record" }); continue; }
        const isPatientBundle = resource.resourceType === "Bundle" && (resource.entry ?? []).filter((e) => e.resource?.resourceType === "Patient").length === 1;
        if (!isPatientBundle) { skipped.push({ file: rel, reason: `a ${resource.resourceType} that is not a patient bundle` }); continue; }
        patients.push({ file: rel, drafts: await recordDraftFromFile(bytes, { fileName: rel }), secrets: sensitiveStrings(resource) });
      } else {
        attachments.push({ file: rel, drafts: await recordDraftFromFile(bytes, { fileName: path.basename(file) }) });
      }
      inputBytes += bytes.length;
    } catch (error) {
      skipped.push({ file: rel, reason: error instanceof MeridianError ? error.shortMessage : String(error) });
    }
  }
  patients.sort((a, b) => a.drafts.length - b.drafts.length);
  if (options.maxPatients !== undefined) patients.splice(options.maxPatients);
  const parseMs = performance.now() - t0;
  log(`${patients.length} patient bundles, ${attachments.length} attachments, ${skipped.length} files skipped (parse + validate + split: ${(parseMs / 1000).toFixed(1)} s)`);
  Object.assign(report.imported as object, { attachments: attachments.length, inputBytes, skipped });
  if (patients.length === 0) {
    stop("inputs", `nothing to import: ${input} holds no patient bundle (a FHIR Bundle with one Patient resource); found ${attachments.length} DICOM/PDF files and ${skipped.length} other files`,
      "Pass --input with a folder that holds at least one patient bundle (Synthea or IPS); DICOM and PDF files beside them are filed under those patients.");
    return;
  }
  check("inputs", true, `${patients.length} patient bundles and ${attachments.length} attachments validated as FHIR R4`, patients.length);
  const invalid = skipped.filter((s) => !/reference data|not a patient bundle/.test(s.reason));
  check("no invalid input", invalid.length === 0, invalid.length ? invalid.map((s) => `${s.file}: ${s.reason}`).join("; ") : "every file parsed and validated");

  // ---- embedded chain and IPFS
  const hardhat = await import("hardhat");
  const connection = await hardhat.network.create();
  const clients = await connectChain({ provider: connection.provider as unknown as EIP1193Provider });
  const store = await openBlobStore({ kind: "helia", directory: path.join(dataDir, "ipfs") });
  try {
    const chainId = clients.chain.id;
    const account = (i: number) => devAccount(i, chainId);
    const deployer = account(0), regulator = account(1);
    const providerAccounts = [account(2), account(3), account(4)];
    const deployment = await deployMeridian({ publicClient: clients.publicClient, walletClient: walletFor(clients, deployer) }, { admin: deployer.address, regulator: regulator.address });
    await writeFile(path.join(dataDir, "deployment.json"), JSON.stringify({ ...deployment, deployedAtBlock: deployment.deployedAtBlock.toString() }, null, 2));
    log(`Deployed ProviderRegistry ${deployment.providerRegistry} and RecordRegistry ${deployment.recordRegistry} on chain ${chainId}`);
    const ctx = (a: Account): MeridianContext => ({ publicClient: clients.publicClient, walletClient: walletFor(clients, a), deployment });
    const client = (a: Account): MeridianClient => createMeridianClient({ ...ctx(a), store });

    const names = [["St Mary's Hospital", "Cardiology", ProviderKind.Hospital], ["Northside Clinical Lab", "Clinical chemistry", ProviderKind.Lab], ["Harbour Family Clinic", "General practice", ProviderKind.Clinic]] as const;
    for (const [i, [name, department, kind]] of names.entries()) {
      addGas("admit provider", (await admitProvider(ctx(regulator), { provider: providerAccounts[i]!.address, kind, name, department })).gasUsed);
    }
    const [hospital, lab, clinic] = providerAccounts.map(client) as [MeridianClient, MeridianClient, MeridianClient];
    for (const p of [hospital, lab, clinic]) addGas("publish provider key", (await p.publishProviderKey()).gasUsed);

    // patients: dev accounts from index 5 on; those past Hardhat's 20 funded accounts are funded by the deployer
    const patientClients: MeridianClient[] = [];
    const deployerWallet = walletFor(clients, deployer);
    /** Dev account `i`, funded by the deployer when it is past Hardhat's 20 funded accounts. */
    const fundedAccount = async (i: number): Promise<Account> => {
      const a = account(i);
      if (i >= 20) await clients.publicClient.waitForTransactionReceipt({ hash: await deployerWallet.sendTransaction({ to: a.address, value: parseEther("10") }) });
      return a;
    };
    for (let i = 0; i < patients.length; i++) {
      const c = client(await fundedAccount(5 + i));
      addGas("register patient", (await c.registerAsPatient()).gasUsed);
      patientClients.push(c);
    }
    log(`Admitted 3 providers and registered ${patients.length} patients`);

    // ---- import
    const imported: ImportedRecord[] = [];
    const totalDrafts = patients.reduce((n, p) => n + p.drafts.length, 0) + attachments.reduce((n, a) => n + a.drafts.length, 0);
    const bar = createProgress("import", totalDrafts);
    const importStart = performance.now();
    let importBytes = 0, encryptMs = 0, storeMs = 0;
    const work: { client: MeridianClient; draft: RecordDraft }[] = [];
    patients.forEach((p, i) => p.drafts.forEach((draft) => work.push({ client: patientClients[i]!, draft })));
    attachments.forEach((a, i) => a.drafts.forEach((draft) => work.push({ client: patientClients[i % patientClients.length]!, draft })));
    const importErrors: string[] = [];
    for (const { client: c, draft } of work) {
      const plaintext = new TextEncoder().encode(JSON.stringify(draft.resource));
      try {
        const r = await c.addRecord({ plaintext, category: draft.category });
        addGas("anchor record", r.gasUsed);
        encryptMs += r.timings.encryptMs; storeMs += r.timings.storeMs;
        importBytes += plaintext.length;
        imported.push({ recordId: r.recordId, patient: c.address, category: draft.category, sha256: await sha256(plaintext), bytes: plaintext.length, title: draft.title });
      } catch (error) {
        importErrors.push(error instanceof MeridianError ? error.shortMessage : String(error));
      }
      bar.increment();
    }
    bar.stop();
    const importMs = performance.now() - importStart;
    check("import", importErrors.length === 0 && imported.length === totalDrafts, `${imported.length}/${totalDrafts} records encrypted, stored and anchored${importErrors.length ? `; errors: ${importErrors.slice(0, 3).join("; ")}` : ""}`, totalDrafts);
    const byCategory: Record<string, number> = {};
    for (const r of imported) byCategory[categoryName(r.category)] = (byCategory[categoryName(r.category)] ?? 0) + 1;

    // ---- grant the hospital all records of every patient; it reads and byte-compares each
    for (const p of patientClients) addGas("grant (all records)", (await p.grant({ grantee: hospital.address, scope: { kind: "all" } })).gasUsed);
    const readBar = createProgress("read", imported.length);
    const readStart = performance.now();
    let readOk = 0; const readFailures: string[] = [];
    for (const r of imported) {
      try {
        const { plaintext } = await hospital.readRecord(r.recordId);
        if ((await sha256(plaintext)) === r.sha256) readOk++; else readFailures.push(`${r.recordId}: bytes differ`);
      } catch (error) {
        readFailures.push(`${r.recordId}: ${error instanceof MeridianError ? error.shortMessage : String(error)}`);
      }
      readBar.increment();
    }
    readBar.stop();
    const readMs = performance.now() - readStart;
    check("provider round trip", readOk === imported.length, `${readOk}/${imported.length} records read by ${names[0][0]} are byte-identical to the source${readFailures.length ? `; ${readFailures.slice(0, 3).join("; ")}` : ""}`, imported.length);

    // the patient reads their own records back (first record of each)
    let ownOk = 0;
    for (const p of patientClients) {
      const first = imported.find((r) => r.patient === p.address);
      if (first && (await sha256((await p.readRecord(first.recordId)).plaintext)) === first.sha256) ownOk++;
    }
    check("patient reads own records", ownOk === patientClients.length, `${ownOk}/${patientClients.length} patients decrypted their first record with their own keys`, patientClients.length);

    const expectDenied = async (label: string, fn: () => Promise<unknown>) => {
      try { await fn(); check(label, false, "access was NOT refused"); }
      catch (error) { check(label, error instanceof AccessDeniedError, error instanceof MeridianError ? `refused: ${error.shortMessage}` : String(error)); }
    };
    const alice = patientClients[0]!;
    const aliceRecords = imported.filter((r) => r.patient === alice.address);
    const target = aliceRecords[0];
    if (!target) {
      stop("access checks", `nothing was imported for the first patient (${patients[0]!.file}), so no access could be checked`, "See the import errors above; fix or remove that file and run again.");
      return;
    }

    // unauthorized provider
    await expectDenied("unauthorized provider refused", () => lab.readRecord(target.recordId));

    // request -> approve (one category) -> read; other categories stay closed; then revoke
    const labRecord = aliceRecords.find((r) => r.category === RecordCategory.Lab) ?? target;
    const otherRecord = aliceRecords.find((r) => r.category !== labRecord.category);
    addGas("request access", (await lab.requestAccess({ patient: alice.address, scope: { kind: "category", category: labRecord.category }, durationSeconds: 30 * 86400, purpose: "TREAT" })).gasUsed);
    const pending = await alice.pendingRequests();
    addGas("approve request (with grant)", (await alice.approveRequest({ requester: lab.address, scope: { kind: "category", category: labRecord.category }, expiresAt: 0 })).gasUsed);
    const viaCategory = await lab.readRecord(labRecord.recordId);
    check("request, approve, read", pending.length === 1 && (await sha256(viaCategory.plaintext)) === labRecord.sha256, `${names[1][0]} requested ${categoryName(labRecord.category)} records, the patient approved, the provider read one (via ${viaCategory.via})`);
    if (otherRecord) await expectDenied("category grant covers only its category", () => lab.readRecord(otherRecord.recordId));
    const revoked = await alice.revoke({ grantee: lab.address, scope: { kind: "category", category: labRecord.category } });
    addGas("revoke", revoked.revocation.gasUsed);
    for (const r of revoked.reissued) addGas("re-issue grant after revocation", r.gasUsed);
    await expectDenied("revoked grant refused", () => lab.readRecord(labRecord.recordId));
    // a record written after the revocation uses the next key epoch; the hospital (re-issued) still reads it
    const after = await alice.addRecord({ plaintext: new TextEncoder().encode(JSON.stringify(patients[0]!.drafts[0]!.resource)), category: labRecord.category });
    addGas("anchor record", after.gasUsed);
    const afterRead = await hospital.readRecord(after.recordId);
    check("revocation rotates keys", revoked.revocation.keyEpoch === 1 && afterRead.anchor.keyEpoch === 1 && revoked.reissued.length >= 1, `key epoch advanced to ${revoked.revocation.keyEpoch}; ${revoked.reissued.length} other grant(s) re-issued; the hospital reads the new record`);

    // deny
    addGas("request access", (await clinic.requestAccess({ patient: alice.address, scope: { kind: "all" }, purpose: "TREAT" })).gasUsed);
    addGas("deny request", (await alice.denyRequest({ requester: clinic.address, scope: { kind: "all" } })).gasUsed);
    await expectDenied("denied request gives no access", () => clinic.readRecord(target.recordId));

    // one-record grant with an expiry, then time passes
    const now = Number((await clients.publicClient.getBlock()).timestamp);
    addGas("grant (one record)", (await alice.grant({ grantee: clinic.address, scope: { kind: "record", recordId: target.recordId }, expiresAt: now + 3600 })).gasUsed);
    const viaRecord = await clinic.readRecord(target.recordId);
    check("one-record grant", (await sha256(viaRecord.plaintext)) === target.sha256, `${names[2][0]} read the one record shared with it (via ${viaRecord.via})`);
    await connection.provider.request({ method: "evm_increaseTime", params: [7200] });
    await connection.provider.request({ method: "evm_mine", params: [] });
    await expectDenied("expired grant refused", () => clinic.readRecord(target.recordId));

    // suspension removes the hospital's access at once; reinstatement restores it
    addGas("suspend provider", (await setProviderStatus(ctx(regulator), { provider: hospital.address, action: "suspend" })).gasUsed);
    await expectDenied("suspended provider refused", () => hospital.readRecord(target.recordId));
    addGas("reinstate provider", (await setProviderStatus(ctx(regulator), { provider: hospital.address, action: "reinstate" })).gasUsed);

    // consent by code (issue 4): the patient signs a one-time code (no gas); the clinic submits it once
    const code = await alice.createConsentCode({ grantee: clinic.address, scope: { kind: "category", category: target.category } });
    const redeemed = await clinic.redeemConsentCode(code.text);
    addGas("redeem consent code", redeemed.gasUsed);
    const viaCode = await clinic.readRecord(target.recordId);
    let replayRefused = false;
    try { await clinic.redeemConsentCode(code.text); } catch (error) { replayRefused = error instanceof ConsentCodeRefusedError && error.reason === "used"; }
    check("consent by code", (await sha256(viaCode.plaintext)) === target.sha256 && redeemed.consentHash === code.digest && replayRefused, `${names[2][0]} redeemed the patient's code ${code.shortCode} once (a second use was refused) and read a ${categoryName(target.category)} record`);

    // a guardian (another registered account) approves a request for the patient at SHARE AND VIEW
    const guardianClient = client(await fundedAccount(5 + patients.length)); // the next dev account after the patients
    await guardianClient.registerAsPatient();
    addGas("appoint guardian", (await alice.appointGuardian({ guardian: guardianClient.address, level: GuardianLevel.ShareAndView })).gasUsed);
    await lab.requestAccess({ patient: alice.address, scope: { kind: "all" }, durationSeconds: 86400, purpose: "TREAT" });
    addGas("approve request as guardian", (await guardianClient.approveRequest({ patient: alice.address, requester: lab.address, scope: { kind: "all" } })).gasUsed);
    const viaGuardianGrant = await lab.readRecord(target.recordId);
    const acted = (await alice.audit()).filter((e) => e.event === "GuardianActed" && e.args.guardian === guardianClient.address);
    check("guardian acts for the patient", (await sha256(viaGuardianGrant.plaintext)) === target.sha256 && acted.length === 1, `a SHARE AND VIEW guardian approved ${names[1][0]}'s request; the audit trail names the guardian`);

    // emergency access: an emergency department with no grant opens the patient's International
    // Patient Summary (on chain first); the guardian releases the key; closing ends the access
    const erAccount = await fundedAccount(6 + patients.length);
    addGas("admit provider", (await admitProvider(ctx(regulator), { provider: erAccount.address, kind: ProviderKind.Hospital, name: "City General Hospital", department: "Emergency" })).gasUsed);
    const er = client(erAccount);
    await er.publishProviderKey();
    const summary = await alice.createEmergencySummary();
    await expectDenied("no emergency access, no summary", () => er.readRecord(summary.recordId));
    const emergency = await er.openEmergencyAccess({ patient: alice.address, reason: "ETREAT", durationSeconds: 3600 });
    addGas("open emergency access", emergency.gasUsed);
    addGas("release emergency key", (await guardianClient.releaseEmergencyKey({ patient: alice.address, provider: er.address })).gasUsed);
    const summaryRead = await er.readRecord(summary.recordId);
    const [firstAlert] = await alice.emergencyAccesses();
    const events = (await alice.audit()).map((e) => e.event);
    const view = summarizeInternationalPatientSummary(JSON.parse(new TextDecoder().decode(summaryRead.plaintext)));
    check("emergency access", summaryRead.via === "emergency" && firstAlert?.provider === er.address && firstAlert.releasedBy === guardianClient.address && events.lastIndexOf("EmergencyAccessOpened") < events.lastIndexOf("EmergencyKeyReleased"), `the emergency department opened the patient's International Patient Summary (reason ETREAT, on chain before the guardian released the key): ${view.allergies.length} allergies, ${view.medications.length} medications, ${view.problems.length} problems`);
    await expectDenied("emergency access covers only the summary", () => er.readRecord(target.recordId));
    await er.closeEmergencyAccess({ patient: alice.address, provider: er.address });
    await expectDenied("closed emergency access refused", () => er.readRecord(summary.recordId));

    // tampered ciphertext is an error, never garbage: with the patient's own, correct KEK the
    // untouched envelope opens and the same envelope with one flipped byte does not
    const anchor = (await alice.readRecord(target.recordId)).anchor;
    const { CID } = await import("multiformats/cid");
    const envelope = await store.get(CID.decode(Buffer.from(anchor.cid.slice(2), "hex")).toString());
    const kek = await new PatientKeyring((await alice.keys()).rootSecret).categoryKek(anchor.category, anchor.keyEpoch);
    const envelopeContext = { chainId, contract: deployment.recordRegistry, patient: alice.address, category: anchor.category, keyEpoch: anchor.keyEpoch };
    const untouched = await openRecord({ envelope, key: { kek }, context: envelopeContext });
    const tampered = envelope.slice(); tampered[tampered.length - 20]! ^= 1;
    try {
      await openRecord({ envelope: tampered, key: { kek }, context: envelopeContext });
      check("tampered ciphertext refused", false, "decryption of a tampered envelope succeeded");
    } catch (error) {
      check("tampered ciphertext refused", error instanceof DecryptionError && (await sha256(untouched)) === target.sha256, error instanceof MeridianError ? `one flipped byte: ${error.shortMessage}` : String(error));
    }

    // hash chains
    let chainsValid = 0;
    for (const p of patientClients) if ((await p.verifyChain()).valid) chainsValid++;
    check("hash chains", chainsValid === patientClients.length, `${chainsValid}/${patientClients.length} patient hash chains verify from genesis to the on-chain head`, patientClients.length);

    // ---- export the chain and scan it and the IPFS blocks for plaintext
    const exportInfo = await exportChain(clients, deployment, path.join(dataDir, "chain"));
    const secrets = [...new Set(patients.flatMap((p) => p.secrets))].filter((s) => s.length >= 6);
    const scan = await scanForPlaintext(secrets, [path.join(dataDir, "chain"), path.join(dataDir, "ipfs")]);
    check("privacy scan", scan.hits.length === 0 && secrets.length > 0 && scan.files > 0, `${secrets.length} distinctive plaintext strings (names, identifiers, addresses, note text) searched in ${scan.files} files (${(scan.bytes / 1e6).toFixed(1)} MB of chain export and IPFS blocks): ${scan.hits.length} found${scan.hits.length ? ` (${scan.hits.slice(0, 3).join("; ")})` : ""}`);

    const anchorGas = gas["anchor record"] ?? [];
    check("gas flat", anchorGas.length > 2 && Math.abs(anchorGas[0]! - anchorGas[anchorGas.length - 2]!) <= 200, `anchoring gas first ${anchorGas[0]} vs last ${anchorGas[anchorGas.length - 2]} after ${anchorGas.length} records`);

    const seconds = (ms: number) => ms / 1000;
    Object.assign(report, {
      deployment: { ...deployment, deployedAtBlock: deployment.deployedAtBlock.toString() },
      imported: { patients: patients.length, attachments: attachments.length, records: imported.length, bytes: importBytes, inputBytes, byCategory, skipped },
      roundTrip: { read: imported.length, identical: readOk, failures: readFailures.slice(0, 20) },
      gas: Object.fromEntries(Object.entries(gas).map(([op, v]) => [op, summarize(v)])),
      throughput: {
        parseValidateSplit: { seconds: seconds(parseMs), MBps: inputBytes / 1e6 / seconds(parseMs) },
        import: { seconds: seconds(importMs), recordsPerSecond: imported.length / seconds(importMs), MBps: importBytes / 1e6 / seconds(importMs), encryptSeconds: seconds(encryptMs), storeSeconds: seconds(storeMs) },
        read: { seconds: seconds(readMs), recordsPerSecond: imported.length / seconds(readMs), MBps: importBytes / 1e6 / seconds(readMs) },
      },
      chainExport: exportInfo,
      privacyScan: { strings: secrets.length, files: scan.files, bytes: scan.bytes, hits: scan.hits.length },
    });
  } finally {
    await store.close();
    await connection.close?.();
  }
}

/** Writes every transaction (with its input) and every decoded event of the chain to `dir`. */
async function exportChain(clients: ChainClients, deployment: MeridianDeployment, dir: string): Promise<{ blocks: number; transactions: number; events: number }> {
  await mkdir(dir, { recursive: true });
  const latest = await clients.publicClient.getBlockNumber();
  const transactions: unknown[] = [];
  for (let n = 0n; n <= latest; n++) {
    const block = await clients.publicClient.getBlock({ blockNumber: n, includeTransactions: true });
    for (const tx of block.transactions) transactions.push({ block: n, hash: tx.hash, from: tx.from, to: tx.to, input: tx.input, value: tx.value, timestamp: block.timestamp });
  }
  const logs = await clients.publicClient.getLogs({ fromBlock: 0n, toBlock: latest });
  const events = parseEventLogs({ abi: [...recordRegistryAbi, ...providerRegistryAbi], logs }).map((l) => ({ block: l.blockNumber, tx: l.transactionHash, address: l.address, event: l.eventName, args: l.args, data: l.data, topics: l.topics }));
  const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x), 1);
  await writeFile(path.join(dir, "transactions.json"), json(transactions));
  await writeFile(path.join(dir, "events.json"), json(events));
  await writeFile(path.join(dir, "deployment.json"), json(deployment));
  return { blocks: Number(latest) + 1, transactions: transactions.length, events: events.length };
}

/** Searches every file under `roots` for each string (UTF-8 bytes, case-sensitive). */
async function scanForPlaintext(strings: string[], roots: string[]): Promise<{ files: number; bytes: number; hits: string[] }> {
  const needles = strings.map((s) => ({ s, b: Buffer.from(s, "utf8") }));
  let files = 0, bytes = 0; const hits: string[] = [];
  const visit = async (p: string): Promise<void> => {
    const st = await stat(p);
    if (st.isDirectory()) { for (const e of await readdir(p)) await visit(path.join(p, e)); return; }
    const buf = await readFile(p);
    files++; bytes += buf.length;
    for (const { s, b } of needles) if (buf.includes(b)) hits.push(`"${s.slice(0, 3)}…" (${s.length} chars) in ${path.basename(p)}`);
  };
  for (const r of roots) if (existsSync(r)) await visit(r);
  return { files, bytes, hits };
}
