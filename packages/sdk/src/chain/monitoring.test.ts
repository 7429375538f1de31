/**
 * The monitoring actions against a real Hardhat/EDR chain (in process): a patient registers the
 * three devices of an ECG path with their own EIP-712 signatures and names a hospital with
 * Cardiac write consent; the hospital opens a session, links the records it anchored and a
 * diagnosis; and the refusals come back as plain-words errors.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, zeroAddress, type Account, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { startTestChain, testAccount as account, type TestChain } from "../testing/index.ts";
import { admitProvider, anchorRecord, getPatient, issueGrant, registerPatient, setProviderStatus } from "./actions.ts";
import { ContractRevertedError } from "./errors.ts";
import {
  addSessionRecord,
  clearMonitoringProvider,
  closeSession,
  DeviceRole,
  DeviceStatus,
  deviceBindingTypedData,
  getDevice,
  getMonitoringProvider,
  getSession,
  isActiveDevice,
  listDevices,
  listSessionRecords,
  listSessions,
  MonitoringRegistryMissingError,
  openSession,
  registerDevice,
  revokeDevice,
  SessionNotFoundError,
  setMonitoringProvider,
  signDiagnosis,
} from "./monitoring.ts";
import { createDevicePairingOffer, DevicePairingError, parseDevicePairingOffer } from "./device-pairing.ts";
import { ProviderKind, type MeridianDeployment } from "./types.ts";
import { RecordCategory } from "../categories.ts";

const random32 = (): Hex => bytesToHex(crypto.getRandomValues(new Uint8Array(32)));

let kit: TestChain;
let deployment: MeridianDeployment;
const ctx = (a: Account) => kit.as(a);
const regulator = account(1),
  hospital = account(2),
  clinic = account(3),
  patient = account(5),
  other = account(6);

before(async () => {
  kit = await startTestChain();
  ({ deployment } = kit);
  await admitProvider(ctx(regulator), {
    provider: hospital.address,
    kind: ProviderKind.Hospital,
    name: "St Mary's",
    department: "Cardiology",
  });
  await admitProvider(ctx(regulator), {
    provider: clinic.address,
    kind: ProviderKind.Clinic,
    name: "Harbour Clinic",
    department: "",
  });
  for (const p of [patient, other]) await registerPatient(ctx(p), { encryptionKey: random32() });
  // The patient consents to the hospital writing Cardiac records (the wrapped key is not checked on chain).
  await issueGrant(ctx(patient), {
    grantee: hospital.address,
    scope: { kind: "category", category: RecordCategory.Cardiac },
    write: true,
    expiresAt: 0,
    wrappedKey: random32(),
  });
  await issueGrant(ctx(other), {
    grantee: hospital.address,
    scope: { kind: "all" },
    write: true,
    expiresAt: 0,
    wrappedKey: random32(),
  });
});

after(async () => {
  await kit.close();
});

const now = () => kit.now();

/** The hospital anchors a Cardiac record of `of`; returns its id. */
async function anchorCardiac(of: Account): Promise<Hex> {
  const { keyEpoch } = await getPatient(ctx(hospital), of.address);
  const hash = random32();
  return (
    await anchorRecord(ctx(hospital), {
      patient: of.address,
      cid: `0x01551220${hash.slice(2)}`,
      ciphertextHash: hash,
      category: RecordCategory.Cardiac,
      keyEpoch,
    })
  ).recordId;
}

test("devices, monitoring provider, a session with records and a diagnosis", async () => {
  // 1. The patient registers a sensor, an edge device and a fog relay, each signing its binding.
  const deadline = (await now()) + 3600;
  const devices = [
    { key: privateKeyToAccount(generatePrivateKey()), role: DeviceRole.Sensor },
    { key: privateKeyToAccount(generatePrivateKey()), role: DeviceRole.Edge },
    { key: privateKeyToAccount(generatePrivateKey()), role: DeviceRole.Fog },
  ] as const;
  for (const { key, role } of devices) {
    const signature = await key.signTypedData(
      deviceBindingTypedData(deployment, { patient: patient.address, device: key.address, role, deadline }),
    );
    const r = await registerDevice(ctx(patient), { device: key.address, role, deadline, signature });
    assert.ok(r.gasUsed > 0n && r.gasUsed < 100_000n, `registerDevice used ${r.gasUsed} gas`);
    const d = await getDevice(ctx(patient), patient.address, key.address);
    assert.equal(d.status, DeviceStatus.Active);
    assert.equal(d.role, role);
    assert.equal(d.revokedAt, 0);
    assert.equal(await isActiveDevice(ctx(hospital), patient.address, key.address, role), true);
  }
  assert.equal(
    await isActiveDevice(ctx(hospital), patient.address, devices[0].key.address, DeviceRole.Fog),
    false,
    "wrong role",
  );

  // 2. The hospital becomes the monitoring provider and opens a session.
  assert.equal(await getMonitoringProvider(ctx(patient), patient.address), undefined);
  await setMonitoringProvider(ctx(patient), { provider: hospital.address });
  assert.equal(await getMonitoringProvider(ctx(patient), patient.address), hospital.address);
  const { sessionId } = await openSession(ctx(hospital), { patient: patient.address });
  assert.match(sessionId, /^0x[0-9a-f]{64}$/);
  let s = await getSession(ctx(patient), sessionId);
  assert.equal(s.patient, patient.address);
  assert.equal(s.provider, hospital.address);
  assert.equal(s.open, true);
  assert.equal(s.recordCount, 0);
  assert.equal(s.diagnosisRecordId, undefined);

  // 3. It links the records it anchored (the SDK reads each anchor's proof from the chain) and a diagnosis.
  const first = await anchorCardiac(patient);
  const second = await anchorCardiac(patient);
  await addSessionRecord(ctx(hospital), { sessionId, recordId: first });
  await addSessionRecord(ctx(hospital), { sessionId, recordId: second, flaggedForReview: true });
  const diagnosis = await anchorCardiac(patient);
  await signDiagnosis(ctx(hospital), { sessionId, diagnosisRecordId: diagnosis });
  s = await getSession(ctx(patient), sessionId);
  assert.equal(s.open, false);
  assert.ok(s.closedAt >= s.openedAt);
  assert.equal(s.recordCount, 2);
  assert.equal(s.diagnosisRecordId, diagnosis);
  const linked = await listSessionRecords(ctx(patient), sessionId);
  assert.deepEqual(
    linked.map((r) => [r.recordId, r.flaggedForReview]),
    [
      [first, false],
      [second, true],
    ],
  );

  // 4. A second session, closed by the patient; sessions list by patient and by provider.
  const { sessionId: later } = await openSession(ctx(hospital), { patient: patient.address });
  await closeSession(ctx(patient), { sessionId: later });
  assert.deepEqual(
    (await listSessions(ctx(patient), { patient: patient.address })).map((x) => [x.sessionId, x.open]),
    [
      [sessionId, false],
      [later, false],
    ],
  );
  assert.deepEqual(
    (await listSessions(ctx(patient), { provider: hospital.address })).map((x) => x.sessionId),
    [sessionId, later],
  );
  assert.deepEqual(await listSessions(ctx(patient), { provider: clinic.address }), []);

  // 5. The patient revokes a device and clears the provider.
  await revokeDevice(ctx(patient), { device: devices[2].key.address });
  assert.equal((await getDevice(ctx(patient), patient.address, devices[2].key.address)).status, DeviceStatus.Revoked);
  const listed = await listDevices(ctx(patient), patient.address);
  assert.deepEqual(
    listed.map((d) => [d.device, d.role, d.status]),
    devices.map((d, i) => [d.key.address, d.role, i === 2 ? DeviceStatus.Revoked : DeviceStatus.Active]),
  );
  assert.deepEqual(await listDevices(ctx(patient), other.address), []);
  await clearMonitoringProvider(ctx(patient));
  assert.equal(await getMonitoringProvider(ctx(patient), patient.address), undefined);
});

test("refused: a binding signed by another key, in plain words, before any gas is spent", async () => {
  const device = privateKeyToAccount(generatePrivateKey());
  const impostor = privateKeyToAccount(generatePrivateKey());
  const deadline = (await now()) + 3600;
  const signature = await impostor.signTypedData(
    deviceBindingTypedData(deployment, {
      patient: patient.address,
      device: device.address,
      role: DeviceRole.Sensor,
      deadline,
    }),
  );
  const steps: string[] = [];
  await assert.rejects(
    registerDevice(
      { ...ctx(patient), onTransaction: (e) => steps.push(e.status) },
      { device: device.address, role: DeviceRole.Sensor, deadline, signature },
    ),
    (e: unknown) =>
      e instanceof ContractRevertedError &&
      e.errorName === "MonitoringRegistryInvalidDeviceSignature" &&
      /not the device's signature/.test(e.shortMessage) &&
      e.args[1] === device.address,
  );
  assert.deepEqual(steps, ["simulating", "failed"], "refused in simulation, nothing sent");
  // A binding past its deadline is refused too.
  const expired = (await now()) - 1;
  const late = await device.signTypedData(
    deviceBindingTypedData(deployment, {
      patient: patient.address,
      device: device.address,
      role: DeviceRole.Sensor,
      deadline: expired,
    }),
  );
  await assert.rejects(
    registerDevice(ctx(patient), {
      device: device.address,
      role: DeviceRole.Sensor,
      deadline: expired,
      signature: late,
    }),
    (e: unknown) => e instanceof ContractRevertedError && e.errorName === "MonitoringRegistrySignatureExpired",
  );
  assert.equal((await getDevice(ctx(patient), patient.address, device.address)).status, DeviceStatus.None);
});

test("refused: a provider that is not the monitoring provider, a suspended one, and a record it did not anchor", async () => {
  await setMonitoringProvider(ctx(other), { provider: hospital.address });
  await assert.rejects(
    openSession(ctx(clinic), { patient: other.address }),
    (e: unknown) =>
      e instanceof ContractRevertedError &&
      e.errorName === "MonitoringRegistryNotMonitoringProvider" &&
      /not the patient's current monitoring provider/.test(e.shortMessage),
  );
  const { sessionId } = await openSession(ctx(hospital), { patient: other.address });

  // A record the patient anchored itself: the hospital is not its author.
  const { keyEpoch } = await getPatient(ctx(other), other.address);
  const hash = random32();
  const own = (
    await anchorRecord(ctx(other), {
      patient: other.address,
      cid: `0x01551220${hash.slice(2)}`,
      ciphertextHash: hash,
      category: RecordCategory.Cardiac,
      keyEpoch,
    })
  ).recordId;
  await assert.rejects(
    addSessionRecord(ctx(hospital), { sessionId, recordId: own }),
    (e: unknown) => e instanceof ContractRevertedError && e.errorName === "MonitoringRegistryNotRecordAuthor",
  );

  // The regulator suspends the hospital: it can no longer add to its session.
  const record = await anchorCardiac(other);
  await setProviderStatus(ctx(regulator), { provider: hospital.address, action: "suspend" });
  await assert.rejects(
    addSessionRecord(ctx(hospital), { sessionId, recordId: record }),
    (e: unknown) =>
      e instanceof ContractRevertedError &&
      e.errorName === "MonitoringRegistryProviderNotActive" &&
      /suspended/.test(e.shortMessage),
  );
  await setProviderStatus(ctx(regulator), { provider: hospital.address, action: "reinstate" });
  await addSessionRecord(ctx(hospital), { sessionId, recordId: record });
  assert.equal((await getSession(ctx(other), sessionId)).recordCount, 1);

  await assert.rejects(getSession(ctx(other), random32()), SessionNotFoundError);
});

test("a deployment without MonitoringRegistry is refused before any request", async () => {
  const old = { ...ctx(patient), deployment: { ...deployment, monitoringRegistry: zeroAddress } };
  await assert.rejects(getMonitoringProvider(old, patient.address), MonitoringRegistryMissingError);
  assert.throws(
    () =>
      deviceBindingTypedData(old.deployment, {
        patient: patient.address,
        device: other.address,
        role: DeviceRole.Edge,
        deadline: 0,
      }),
    MonitoringRegistryMissingError,
  );
});

test("device pairing: an offer made by the device registers it; a tampered, expired, foreign or malformed one is refused before any gas", async () => {
  const device = privateKeyToAccount(generatePrivateKey());
  const at = (await now()) * 1000;
  const offer = await createDevicePairingOffer(deployment, device, {
    patient: other.address,
    role: DeviceRole.Edge,
    now: at,
  });
  const text = JSON.stringify(offer);
  const parsed = await parseDevicePairingOffer(text, { deployment, patient: other.address, now: at });
  await registerDevice(ctx(other), parsed);
  assert.equal((await getDevice(ctx(other), other.address, device.address)).role, DeviceRole.Edge);
  const refused = (t: string, re: RegExp, patientAddress = other.address, when = at) =>
    assert.rejects(
      parseDevicePairingOffer(t, { deployment, patient: patientAddress, now: when }),
      (e: unknown) => e instanceof DevicePairingError && re.test(e.shortMessage),
    );
  await refused("{not json", /not JSON/);
  await refused(JSON.stringify({ ...offer, type: "x" }), /not a device pairing offer/);
  await refused(JSON.stringify({ ...offer, role: DeviceRole.Fog }), /not signed by the device/);
  await refused(JSON.stringify({ ...offer, role: 9 }), /not a sensor/);
  await refused(JSON.stringify({ ...offer, chainId: 1 }), /another network/);
  await refused(text, /another patient/, patient.address);
  await refused(text, /expired/, other.address, at + 2 * 86_400_000);
  await refused(JSON.stringify({ ...offer, signature: "0x1234" }), /not signed by the device/);
});
