/**
 * Part 1 of `npm run bench`, continued: the gas of Meridian's workflows beyond records and grants,
 * on the patients and providers of the core run (`bench/gas.ts`): remote monitoring
 * (MonitoringRegistry), consent codes, guardians and emergency access, peer validation, and
 * admissions through the governance timelock.
 */
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
import { RecordCategory } from "@meridian/sdk";
import { testAccount as account } from "@meridian/sdk/testing";
import { catTarget, cid, log, rand32, type GasBench } from "./harness.ts";
import type { CoreGasRun } from "./gas.ts";

/**
 * `hospital` anchors a Cardiac record of `patient`; returns its id and the proof MonitoringRegistry
 * and PeerValidation check.
 */
async function anchorCardiac({ edr }: GasBench, hospital: Account, patient: Account) {
  const { publicClient, wallet, deployment } = edr;
  const R = deployment.recordRegistry;
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

/**
 * Remote monitoring, recorded in `bench.gas`: 50 patients each consent to the hospital
 * (`core.providers[0]`) writing Cardiac records, register a sensor, name the hospital, and get a
 * session with two records and a diagnosis.
 */
export async function measureMonitoringGas(bench: GasBench, { patients, providers }: CoreGasRun): Promise<void> {
  const { edr, send, add } = bench;
  const { publicClient, deployment } = edr;
  const R = deployment.recordRegistry,
    M = deployment.monitoringRegistry;
  log("gas: remote monitoring, 50 patients");
  const hospital = providers[0]!;
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
      await send(p, M, monitoringRegistryAbi, "registerDevice", [
        sensor.address,
        DeviceRole.Sensor,
        deadline,
        signature,
      ]),
    );
    add(
      "set monitoring provider",
      await send(p, M, monitoringRegistryAbi, "setMonitoringProvider", [hospital.address]),
    );
    const sessionId = await publicClient.readContract({
      address: M,
      abi: monitoringRegistryAbi,
      functionName: "computeSessionId",
      args: [p.address, hospital.address, 0n],
    });
    add("open monitoring session", await send(hospital, M, monitoringRegistryAbi, "openSession", [p.address]));
    for (const flagged of [false, true]) {
      const r = await anchorCardiac(bench, hospital, p);
      add(
        "add session record",
        await send(hospital, M, monitoringRegistryAbi, "addSessionRecord", [sessionId, r.recordId, flagged, r.proof]),
      );
    }
    const diagnosis = await anchorCardiac(bench, hospital, p);
    add(
      "sign diagnosis (closes the session)",
      await send(hospital, M, monitoringRegistryAbi, "signDiagnosis", [sessionId, diagnosis.recordId, diagnosis.proof]),
    );
  }
}

/**
 * Consent codes, guardians and emergency access, recorded in `bench.gas`: 49 patients each sign a
 * consent code that a provider redeems, appoint a SHARE AND VIEW guardian (the previous patient)
 * who approves a request and grants for them, name an emergency summary that a provider opens in
 * an emergency, the guardian releases and the patient closes; then remove the guardian.
 */
export async function measureGuardianGas(bench: GasBench, { patients, providers }: CoreGasRun): Promise<void> {
  const { edr, send, add } = bench;
  const { publicClient, wallet, deployment } = edr;
  const R = deployment.recordRegistry;
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
}

/**
 * Peer validation, recorded in `bench.gas`: 16 hospitals in the pool; the monitoring hospital
 * (`core.providers[0]`) submits 20 Cardiac diagnoses with each patient's EIP-712 consent; 4
 * validators are drawn, get the key and vote (half the other cases validated 3-0, half rejected
 * 0-2); in 5 cases a silent validator is replaced and redrawn. Then six members leave the pool
 * and rejoin.
 */
export async function measurePeerValidationGas(
  bench: GasBench,
  { regulator, patients, providers }: CoreGasRun,
): Promise<void> {
  const { edr, send, add } = bench;
  const { publicClient, deployment } = edr;
  const P = deployment.providerRegistry;
  const hospital = providers[0]!;
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
    const r = await anchorCardiac(bench, hospital, p);
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
      add(
        "replace a silent validator",
        await send(p, V, peerValidationAbi, "replace", [r.recordId, seats[0]!.address]),
      );
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
}

/**
 * Governance, recorded in `bench.gas`: a second, governed deployment (MeridianTimelock as
 * regulator; no delay here, so schedule and execute follow each other) admits 10 providers through
 * the timelock; the council (development account 5) suspends them at once.
 */
export async function measureGovernanceGas(bench: GasBench): Promise<void> {
  const { edr, send, add } = bench;
  const { publicClient, wallet } = edr;
  log("gas: governance, 10 admissions through the timelock");
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
