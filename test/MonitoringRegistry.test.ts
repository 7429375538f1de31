/**
 * MonitoringRegistry: devices bound by EIP-712 signatures, the patient's monitoring provider,
 * and monitoring sessions that link records the provider anchored in RecordRegistry and a final
 * diagnosis.
 *
 * Every function, every revert path (custom error and arguments) and every event with its
 * arguments. Session ids and EIP-712 digests are recomputed here from their documented formulas,
 * not only through the contract's own helper views. The last block reports the gas of each
 * operation and checks it does not grow with sessions or records.
 */
import { expect } from "chai";
import type {
  BaseContract,
  BaseContractMethod,
  ContractRunner,
  ContractTransactionResponse,
  LogDescription,
  Signer,
  TransactionReceipt,
} from "ethers";
import { network } from "hardhat";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;
const coder = ethers.AbiCoder.defaultAbiCoder();

/**
 * The contracts' methods, typed loosely. (The typechain output cannot be imported: its
 * `namespace`s fail this repository's `erasableSyntaxOnly` type check.)
 */
type Typed<Names extends string> = Omit<BaseContract, "connect"> & { [K in Names]: BaseContractMethod } & {
  connect(runner: ContractRunner | null): Typed<Names>;
};
type MonitoringRegistry = Typed<
  | "DEVICE_BINDING_TYPEHASH"
  | "eip712Domain"
  | "recordRegistry"
  | "providerRegistry"
  | "registerDevice"
  | "revokeDevice"
  | "getDevice"
  | "isActiveDevice"
  | "setMonitoringProvider"
  | "clearMonitoringProvider"
  | "monitoringProviderOf"
  | "openSession"
  | "addSessionRecord"
  | "signDiagnosis"
  | "closeSession"
  | "getSession"
  | "sessionOfRecord"
  | "sessionNonceOf"
  | "computeSessionId"
  | "deviceBindingDigest"
>;
type RecordRegistry = Typed<"register" | "anchorRecord" | "grant" | "revoke" | "getPatient" | "canWrite">;
type ProviderRegistry = Typed<"admit" | "suspend" | "reinstate" | "remove">;

/** `IMonitoringRegistry.DeviceRole`. */
const Role = { None: 0, Sensor: 1, Edge: 2, Fog: 3 } as const;
/** `IMonitoringRegistry.DeviceStatus`. */
const DeviceStatus = { None: 0, Active: 1, Revoked: 2 } as const;
/** `IRecordRegistry.Category` (the ones used here). */
const Category = { Lab: 2, Cardiac: 4, Document: 6 } as const;
/** `IRecordRegistry.Scope`. */
const Scope = { Record: 1, Category: 2, All: 3 } as const;
/** `IProviderRegistry.ProviderKind`. */
const Kind = { Hospital: 1, Clinic: 2, Lab: 3, Practitioner: 4 } as const;

const ZERO32 = ethers.ZeroHash;
const WRAPPED = ethers.hexlify(new Uint8Array(80).fill(0xab));
const DAY = 86_400;
const BINDING_TYPE = "DeviceBinding(address patient,address device,uint8 role,uint40 deadline)";
const BINDING_TYPES = {
  DeviceBinding: [
    { name: "patient", type: "address" },
    { name: "device", type: "address" },
    { name: "role", type: "uint8" },
    { name: "deadline", type: "uint40" },
  ],
};

function categoryTarget(category: number): string {
  return ethers.toBeHex(category, 32);
}

async function deployMonitoring() {
  const signers = await ethers.getSigners();
  const [regulator, hospital, lab, clinic, alice, bob, carol, outsider, suspendedDoc, removedDoc] = signers;
  if (!regulator || !hospital || !lab || !clinic || !alice || !bob || !carol || !outsider || !suspendedDoc || !removedDoc) {
    throw new Error("the hardhat network needs at least 10 accounts");
  }
  const providers = (await ethers.deployContract("ProviderRegistry", [regulator.address, regulator.address])) as unknown as ProviderRegistry;
  const registry = (await ethers.deployContract("RecordRegistry", [await providers.getAddress()])) as unknown as RecordRegistry;
  const monitoring = (await ethers.deployContract("MonitoringRegistry", [await registry.getAddress()])) as unknown as MonitoringRegistry;
  await providers.admit(hospital.address, Kind.Hospital, "St. Elsewhere", "Cardiology");
  await providers.admit(lab.address, Kind.Lab, "Central Lab", "");
  await providers.admit(clinic.address, Kind.Clinic, "Harbour Clinic", "");
  await providers.admit(suspendedDoc.address, Kind.Practitioner, "Dr. Suspended", "");
  await providers.admit(removedDoc.address, Kind.Practitioner, "Dr. Removed", "");
  await providers.suspend(suspendedDoc.address);
  await providers.remove(removedDoc.address);
  await registry.connect(alice).register(ethers.id("alice x25519 public key"));
  await registry.connect(bob).register(ethers.id("bob x25519 public key"));
  // alice consents to the hospital writing her Cardiac records; bob to it writing all of his.
  await registry.connect(alice).grant(hospital.address, Scope.Category, categoryTarget(Category.Cardiac), true, 0, WRAPPED);
  await registry.connect(bob).grant(hospital.address, Scope.All, ZERO32, true, 0, WRAPPED);
  // Device keys: they only sign, never send transactions.
  const sensor = ethers.Wallet.createRandom();
  const edge = ethers.Wallet.createRandom();
  const fog = ethers.Wallet.createRandom();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const monitoringAddress = await monitoring.getAddress();
  return {
    providers,
    registry,
    monitoring,
    monitoringAddress,
    chainId,
    regulator,
    hospital,
    lab,
    clinic,
    alice,
    bob,
    carol,
    outsider,
    suspendedDoc,
    removedDoc,
    sensor,
    edge,
    fog,
  };
}

type Fixture = Awaited<ReturnType<typeof deployMonitoring>>;

/** alice's monitoring provider is the hospital. */
async function withProvider() {
  const f = await deployMonitoring();
  await f.monitoring.connect(f.alice).setMonitoringProvider(f.hospital.address);
  return f;
}

/** An open session of alice by the hospital, and two Cardiac records of alice the hospital anchored. */
async function withSession() {
  const f = await withProvider();
  const { sessionId } = await open(f, f.hospital, f.alice.address);
  const r1 = await anchor(f.registry, f.hospital, f.alice.address, Category.Cardiac);
  const r2 = await anchor(f.registry, f.hospital, f.alice.address, Category.Cardiac);
  return { ...f, sessionId, r1, r2 };
}

async function mined(tx: Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt;
}

function eventsOf(contract: BaseContract, receipt: TransactionReceipt, name: string): LogDescription[] {
  const out: LogDescription[] = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== (contract.target as string).toLowerCase()) continue;
    const parsed = contract.interface.parseLog(log);
    if (parsed?.name === name) out.push(parsed);
  }
  return out;
}

/** A record as anchored: its id and the {RecordProof} fields from its event. */
interface Anchored {
  recordId: string;
  proof: { previousHead: string; ciphertextHash: string; cid: string };
}

/** `author` anchors a record of `patient` at the patient's current epoch. */
async function anchor(registry: RecordRegistry, author: Signer, patient: string, category: number): Promise<Anchored> {
  const keyEpoch = (await registry.getPatient(patient)).keyEpoch;
  const hash = ethers.hexlify(ethers.randomBytes(32));
  const cid = ethers.concat(["0x01551220", hash]);
  const receipt = await mined(registry.connect(author).anchorRecord(patient, cid, hash, category, keyEpoch));
  const [ev] = eventsOf(registry, receipt, "RecordAnchored");
  if (!ev) throw new Error("no RecordAnchored event");
  return { recordId: ev.args.recordId, proof: { previousHead: ev.args.previousHead, ciphertextHash: ev.args.ciphertextHash, cid: ev.args.cid } };
}

/** `provider` opens a session of `patient`; returns its id from the event. */
async function open(f: Fixture, provider: Signer, patient: string): Promise<{ sessionId: string; receipt: TransactionReceipt }> {
  const receipt = await mined(f.monitoring.connect(provider).openSession(patient));
  const [ev] = eventsOf(f.monitoring, receipt, "MonitoringSessionOpened");
  if (!ev) throw new Error("no MonitoringSessionOpened event");
  return { sessionId: ev.args.sessionId, receipt };
}

/** The documented session id formula, computed off chain. */
function sessionIdOf(f: Pick<Fixture, "chainId" | "monitoringAddress">, patient: string, provider: string, nonce: number): string {
  return ethers.keccak256(
    coder.encode(["uint256", "address", "address", "address", "uint64"], [f.chainId, f.monitoringAddress, patient, provider, nonce]),
  );
}

function domainOf(f: Pick<Fixture, "chainId" | "monitoringAddress">) {
  return { name: "Meridian MonitoringRegistry", version: "1", chainId: f.chainId, verifyingContract: f.monitoringAddress };
}

/** `device` signs the binding of itself to `patient` in `role` until `deadline`. */
function bind(
  f: Pick<Fixture, "chainId" | "monitoringAddress">,
  device: { signTypedData: Signer["signTypedData"] },
  patient: string,
  deviceAddress: string,
  role: number,
  deadline: number,
): Promise<string> {
  return device.signTypedData(domainOf(f), BINDING_TYPES, { patient, device: deviceAddress, role, deadline });
}

/** A deadline one day ahead of the latest block. */
async function inADay(): Promise<number> {
  return (await time.latest()) + DAY;
}

describe("MonitoringRegistry", function () {
  describe("deployment", function () {
    it("points at the record registry and reads its provider registry", async function () {
      const { monitoring, registry, providers } = await loadFixture(deployMonitoring);
      expect(await monitoring.recordRegistry()).to.equal(await registry.getAddress());
      expect(await monitoring.providerRegistry()).to.equal(await providers.getAddress());
    });

    it("has the EIP-712 domain \"Meridian MonitoringRegistry\" version 1 and the DeviceBinding type hash", async function () {
      const f = await loadFixture(deployMonitoring);
      const d = await f.monitoring.eip712Domain();
      expect(d.name).to.equal("Meridian MonitoringRegistry");
      expect(d.version).to.equal("1");
      expect(d.chainId).to.equal(f.chainId);
      expect(d.verifyingContract).to.equal(f.monitoringAddress);
      expect(await f.monitoring.DEVICE_BINDING_TYPEHASH()).to.equal(ethers.id(BINDING_TYPE));
      const value = { patient: f.alice.address, device: f.sensor.address, role: Role.Sensor, deadline: 1_900_000_000 };
      expect(await f.monitoring.deviceBindingDigest(value.patient, value.device, value.role, value.deadline)).to.equal(
        ethers.TypedDataEncoder.hash(domainOf(f), BINDING_TYPES, value),
      );
    });
  });

  // ------------------------------------------------------------------------------ devices

  describe("registerDevice", function () {
    it("registers a sensor, an edge device and a fog relay, each with its own signature", async function () {
      const f = await loadFixture(deployMonitoring);
      const deadline = await inADay();
      for (const [device, role] of [
        [f.sensor, Role.Sensor],
        [f.edge, Role.Edge],
        [f.fog, Role.Fog],
      ] as const) {
        const sig = await bind(f, device, f.alice.address, device.address, role, deadline);
        await expect(f.monitoring.connect(f.alice).registerDevice(device.address, role, deadline, sig))
          .to.emit(f.monitoring, "DeviceRegistered")
          .withArgs(f.alice.address, device.address, role);
        const d = await f.monitoring.getDevice(f.alice.address, device.address);
        expect(d.role).to.equal(role);
        expect(d.status).to.equal(DeviceStatus.Active);
        expect(d.registeredAt).to.equal(await time.latest());
        expect(d.revokedAt).to.equal(0);
        for (const other of [Role.None, Role.Sensor, Role.Edge, Role.Fog]) {
          expect(await f.monitoring.isActiveDevice(f.alice.address, device.address, other)).to.equal(other === role);
        }
        expect(await f.monitoring.isActiveDevice(f.bob.address, device.address, role)).to.equal(false);
      }
      const none = await f.monitoring.getDevice(f.bob.address, f.sensor.address);
      expect([none.role, none.status, none.registeredAt, none.revokedAt]).to.deep.equal([0n, 0n, 0n, 0n]);
    });

    it("lets two patients register the same device, each with a binding to itself", async function () {
      const f = await loadFixture(deployMonitoring);
      const deadline = await inADay();
      await f.monitoring.connect(f.alice).registerDevice(f.edge.address, Role.Edge, deadline, await bind(f, f.edge, f.alice.address, f.edge.address, Role.Edge, deadline));
      await f.monitoring.connect(f.bob).registerDevice(f.edge.address, Role.Edge, deadline, await bind(f, f.edge, f.bob.address, f.edge.address, Role.Edge, deadline));
      expect(await f.monitoring.isActiveDevice(f.alice.address, f.edge.address, Role.Edge)).to.equal(true);
      expect(await f.monitoring.isActiveDevice(f.bob.address, f.edge.address, Role.Edge)).to.equal(true);
    });

    it("accepts a deadline equal to the block time", async function () {
      const f = await loadFixture(deployMonitoring);
      const t = (await time.latest()) + 100;
      const sig = await bind(f, f.sensor, f.alice.address, f.sensor.address, Role.Sensor, t);
      await time.setNextBlockTimestamp(t);
      await expect(f.monitoring.connect(f.alice).registerDevice(f.sensor.address, Role.Sensor, t, sig)).to.emit(f.monitoring, "DeviceRegistered");
    });

    it("rejects a caller that is not a registered patient", async function () {
      const f = await loadFixture(deployMonitoring);
      const deadline = await inADay();
      const sig = await bind(f, f.sensor, f.carol.address, f.sensor.address, Role.Sensor, deadline);
      await expect(f.monitoring.connect(f.carol).registerDevice(f.sensor.address, Role.Sensor, deadline, sig))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryUnknownPatient")
        .withArgs(f.carol.address);
    });

    it("rejects the zero address and the role None", async function () {
      const f = await loadFixture(deployMonitoring);
      const deadline = await inADay();
      await expect(f.monitoring.connect(f.alice).registerDevice(ethers.ZeroAddress, Role.Sensor, deadline, "0x"))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryInvalidDevice")
        .withArgs(ethers.ZeroAddress);
      const sig = await bind(f, f.sensor, f.alice.address, f.sensor.address, Role.None, deadline);
      await expect(f.monitoring.connect(f.alice).registerDevice(f.sensor.address, Role.None, deadline, sig))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryInvalidDeviceRole")
        .withArgs(Role.None);
    });

    it("rejects an expired deadline", async function () {
      const f = await loadFixture(deployMonitoring);
      const t = (await time.latest()) + 100;
      const deadline = t - 1;
      const sig = await bind(f, f.sensor, f.alice.address, f.sensor.address, Role.Sensor, deadline);
      await time.setNextBlockTimestamp(t);
      await expect(f.monitoring.connect(f.alice).registerDevice(f.sensor.address, Role.Sensor, deadline, sig))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistrySignatureExpired")
        .withArgs(deadline, t);
    });

    it("rejects a signature by another key, for another patient, role, deadline, device or contract, or malformed", async function () {
      const f = await loadFixture(deployMonitoring);
      const deadline = await inADay();
      const other = ethers.Wallet.createRandom();
      const otherContract = { chainId: f.chainId, monitoringAddress: ethers.Wallet.createRandom().address };
      const refusals: [string, string][] = [
        ["another key", await bind(f, other, f.alice.address, f.sensor.address, Role.Sensor, deadline)],
        ["another patient", await bind(f, f.sensor, f.bob.address, f.sensor.address, Role.Sensor, deadline)],
        ["another role", await bind(f, f.sensor, f.alice.address, f.sensor.address, Role.Fog, deadline)],
        ["another deadline", await bind(f, f.sensor, f.alice.address, f.sensor.address, Role.Sensor, deadline + 1)],
        ["another device", await bind(f, f.sensor, f.alice.address, f.edge.address, Role.Sensor, deadline)],
        ["another contract", await bind(otherContract, f.sensor, f.alice.address, f.sensor.address, Role.Sensor, deadline)],
        ["another chain", await bind({ ...f, chainId: 1n }, f.sensor, f.alice.address, f.sensor.address, Role.Sensor, deadline)],
        ["empty", "0x"],
        ["64 bytes", ethers.hexlify(new Uint8Array(64).fill(1))],
        ["65 zero bytes", ethers.hexlify(new Uint8Array(65))],
      ];
      for (const [what, sig] of refusals) {
        await expect(f.monitoring.connect(f.alice).registerDevice(f.sensor.address, Role.Sensor, deadline, sig), what)
          .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryInvalidDeviceSignature")
          .withArgs(f.alice.address, f.sensor.address);
      }
      expect((await f.monitoring.getDevice(f.alice.address, f.sensor.address)).status).to.equal(DeviceStatus.None);
    });

    it("rejects a device already active for that patient, and a revoked one for good", async function () {
      const f = await loadFixture(deployMonitoring);
      const deadline = await inADay();
      const sig = await bind(f, f.sensor, f.alice.address, f.sensor.address, Role.Sensor, deadline);
      await f.monitoring.connect(f.alice).registerDevice(f.sensor.address, Role.Sensor, deadline, sig);
      await expect(f.monitoring.connect(f.alice).registerDevice(f.sensor.address, Role.Sensor, deadline, sig))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryDeviceAlreadyRegistered")
        .withArgs(f.alice.address, f.sensor.address, DeviceStatus.Active);
      const asEdge = await bind(f, f.sensor, f.alice.address, f.sensor.address, Role.Edge, deadline);
      await expect(f.monitoring.connect(f.alice).registerDevice(f.sensor.address, Role.Edge, deadline, asEdge))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryDeviceAlreadyRegistered")
        .withArgs(f.alice.address, f.sensor.address, DeviceStatus.Active);
      await f.monitoring.connect(f.alice).revokeDevice(f.sensor.address);
      const fresh = await bind(f, f.sensor, f.alice.address, f.sensor.address, Role.Sensor, deadline + 1);
      await expect(f.monitoring.connect(f.alice).registerDevice(f.sensor.address, Role.Sensor, deadline + 1, fresh))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryDeviceAlreadyRegistered")
        .withArgs(f.alice.address, f.sensor.address, DeviceStatus.Revoked);
    });
  });

  describe("revokeDevice", function () {
    it("revokes an active device for that patient only: event, status, time", async function () {
      const f = await loadFixture(deployMonitoring);
      const deadline = await inADay();
      await f.monitoring.connect(f.alice).registerDevice(f.fog.address, Role.Fog, deadline, await bind(f, f.fog, f.alice.address, f.fog.address, Role.Fog, deadline));
      await f.monitoring.connect(f.bob).registerDevice(f.fog.address, Role.Fog, deadline, await bind(f, f.fog, f.bob.address, f.fog.address, Role.Fog, deadline));
      const registeredAt = (await f.monitoring.getDevice(f.alice.address, f.fog.address)).registeredAt;
      await expect(f.monitoring.connect(f.alice).revokeDevice(f.fog.address))
        .to.emit(f.monitoring, "DeviceRevoked")
        .withArgs(f.alice.address, f.fog.address);
      const d = await f.monitoring.getDevice(f.alice.address, f.fog.address);
      expect(d.status).to.equal(DeviceStatus.Revoked);
      expect(d.role).to.equal(Role.Fog);
      expect(d.registeredAt).to.equal(registeredAt);
      expect(d.revokedAt).to.equal(await time.latest());
      expect(await f.monitoring.isActiveDevice(f.alice.address, f.fog.address, Role.Fog)).to.equal(false);
      expect(await f.monitoring.isActiveDevice(f.bob.address, f.fog.address, Role.Fog)).to.equal(true);
    });

    it("rejects a device never registered by the caller, and one already revoked", async function () {
      const f = await loadFixture(deployMonitoring);
      await expect(f.monitoring.connect(f.alice).revokeDevice(f.sensor.address))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryDeviceNotActive")
        .withArgs(f.alice.address, f.sensor.address, DeviceStatus.None);
      const deadline = await inADay();
      await f.monitoring.connect(f.alice).registerDevice(f.sensor.address, Role.Sensor, deadline, await bind(f, f.sensor, f.alice.address, f.sensor.address, Role.Sensor, deadline));
      await expect(f.monitoring.connect(f.bob).revokeDevice(f.sensor.address))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryDeviceNotActive")
        .withArgs(f.bob.address, f.sensor.address, DeviceStatus.None);
      await f.monitoring.connect(f.alice).revokeDevice(f.sensor.address);
      await expect(f.monitoring.connect(f.alice).revokeDevice(f.sensor.address))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryDeviceNotActive")
        .withArgs(f.alice.address, f.sensor.address, DeviceStatus.Revoked);
    });
  });

  // --------------------------------------------------------------------- monitoring provider

  describe("setMonitoringProvider / clearMonitoringProvider", function () {
    it("names a provider with Cardiac write consent (category or all scope)", async function () {
      const f = await loadFixture(deployMonitoring);
      expect(await f.monitoring.monitoringProviderOf(f.alice.address)).to.equal(ethers.ZeroAddress);
      await expect(f.monitoring.connect(f.alice).setMonitoringProvider(f.hospital.address))
        .to.emit(f.monitoring, "MonitoringProviderSet")
        .withArgs(f.alice.address, f.hospital.address);
      expect(await f.monitoring.monitoringProviderOf(f.alice.address)).to.equal(f.hospital.address);
      await expect(f.monitoring.connect(f.bob).setMonitoringProvider(f.hospital.address))
        .to.emit(f.monitoring, "MonitoringProviderSet")
        .withArgs(f.bob.address, f.hospital.address);
    });

    it("replaces the previous provider", async function () {
      const f = await loadFixture(withProvider);
      await f.registry.connect(f.alice).grant(f.clinic.address, Scope.All, ZERO32, true, 0, WRAPPED);
      await expect(f.monitoring.connect(f.alice).setMonitoringProvider(f.clinic.address))
        .to.emit(f.monitoring, "MonitoringProviderSet")
        .withArgs(f.alice.address, f.clinic.address);
      expect(await f.monitoring.monitoringProviderOf(f.alice.address)).to.equal(f.clinic.address);
    });

    it("rejects a caller that is not a registered patient", async function () {
      const f = await loadFixture(deployMonitoring);
      await expect(f.monitoring.connect(f.carol).setMonitoringProvider(f.hospital.address))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryUnknownPatient")
        .withArgs(f.carol.address);
    });

    it("rejects a provider that is not active (never admitted, suspended, removed)", async function () {
      const f = await loadFixture(deployMonitoring);
      for (const p of [f.outsider, f.suspendedDoc, f.removedDoc]) {
        await expect(f.monitoring.connect(f.alice).setMonitoringProvider(p.address))
          .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryProviderNotActive")
          .withArgs(p.address);
      }
    });

    it("rejects a provider without current Cardiac write consent", async function () {
      const f = await loadFixture(deployMonitoring);
      const refused = async (provider: string) =>
        expect(f.monitoring.connect(f.alice).setMonitoringProvider(provider))
          .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryWriteNotPermitted")
          .withArgs(provider, f.alice.address, Category.Cardiac);
      await refused(f.lab.address); // no grant
      await f.registry.connect(f.alice).grant(f.lab.address, Scope.All, ZERO32, false, 0, WRAPPED);
      await refused(f.lab.address); // read only
      await f.registry.connect(f.alice).grant(f.clinic.address, Scope.Category, categoryTarget(Category.Lab), true, 0, WRAPPED);
      await refused(f.clinic.address); // write, another category
      const expiresAt = (await time.latest()) + DAY;
      await f.registry.connect(f.alice).grant(f.clinic.address, Scope.Category, categoryTarget(Category.Cardiac), true, expiresAt, WRAPPED);
      await time.increaseTo(expiresAt);
      await refused(f.clinic.address); // expired
      // a revocation elsewhere advances alice's key epoch: the hospital's grant is stale until re-issued
      await f.registry.connect(f.alice).revoke(f.lab.address, Scope.All, ZERO32);
      await refused(f.hospital.address);
      await f.registry.connect(f.alice).grant(f.hospital.address, Scope.Category, categoryTarget(Category.Cardiac), true, 0, WRAPPED);
      await expect(f.monitoring.connect(f.alice).setMonitoringProvider(f.hospital.address)).to.emit(f.monitoring, "MonitoringProviderSet");
    });

    it("clears the provider: event with the provider it was", async function () {
      const f = await loadFixture(withProvider);
      await expect(f.monitoring.connect(f.alice).clearMonitoringProvider())
        .to.emit(f.monitoring, "MonitoringProviderCleared")
        .withArgs(f.alice.address, f.hospital.address);
      expect(await f.monitoring.monitoringProviderOf(f.alice.address)).to.equal(ethers.ZeroAddress);
    });

    it("rejects clearing when there is no provider", async function () {
      const f = await loadFixture(withProvider);
      for (const who of [f.bob, f.carol]) {
        await expect(f.monitoring.connect(who).clearMonitoringProvider())
          .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryNoMonitoringProvider")
          .withArgs(who.address);
      }
      await f.monitoring.connect(f.alice).clearMonitoringProvider();
      await expect(f.monitoring.connect(f.alice).clearMonitoringProvider())
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryNoMonitoringProvider")
        .withArgs(f.alice.address);
    });
  });

  // ------------------------------------------------------------------------------ sessions

  describe("openSession", function () {
    it("opens sessions with ids from the documented formula and a per-patient nonce", async function () {
      const f = await loadFixture(withProvider);
      await f.monitoring.connect(f.bob).setMonitoringProvider(f.hospital.address);
      const ids: string[] = [];
      for (let nonce = 0; nonce < 3; nonce++) {
        expect(await f.monitoring.sessionNonceOf(f.alice.address)).to.equal(nonce);
        const expected = sessionIdOf(f, f.alice.address, f.hospital.address, nonce);
        expect(await f.monitoring.computeSessionId(f.alice.address, f.hospital.address, nonce)).to.equal(expected);
        expect(await f.monitoring.connect(f.hospital).openSession.staticCall(f.alice.address)).to.equal(expected);
        await expect(f.monitoring.connect(f.hospital).openSession(f.alice.address))
          .to.emit(f.monitoring, "MonitoringSessionOpened")
          .withArgs(expected, f.alice.address, f.hospital.address);
        const s = await f.monitoring.getSession(expected);
        expect(s.patient).to.equal(f.alice.address);
        expect(s.provider).to.equal(f.hospital.address);
        expect(s.openedAt).to.equal(await time.latest());
        expect(s.closedAt).to.equal(0);
        expect(s.recordCount).to.equal(0);
        expect(s.diagnosisRecordId).to.equal(ZERO32);
        ids.push(expected);
      }
      expect(new Set(ids).size).to.equal(3);
      // bob's nonce is his own
      const { sessionId } = await open(f, f.hospital, f.bob.address);
      expect(sessionId).to.equal(sessionIdOf(f, f.bob.address, f.hospital.address, 0));
      expect(await f.monitoring.sessionNonceOf(f.bob.address)).to.equal(1);
      const unknown = await f.monitoring.getSession(ethers.id("no such session"));
      expect(unknown.patient).to.equal(ethers.ZeroAddress);
      expect(unknown.openedAt).to.equal(0);
    });

    it("rejects a caller that is not the patient's monitoring provider", async function () {
      const f = await loadFixture(withProvider);
      for (const who of [f.clinic, f.alice, f.outsider]) {
        await expect(f.monitoring.connect(who).openSession(f.alice.address))
          .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryNotMonitoringProvider")
          .withArgs(who.address, f.alice.address);
      }
      await expect(f.monitoring.connect(f.hospital).openSession(f.bob.address)) // bob named nobody
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryNotMonitoringProvider")
        .withArgs(f.hospital.address, f.bob.address);
      await f.monitoring.connect(f.alice).clearMonitoringProvider();
      await expect(f.monitoring.connect(f.hospital).openSession(f.alice.address))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryNotMonitoringProvider")
        .withArgs(f.hospital.address, f.alice.address);
    });

    it("rejects a monitoring provider suspended or removed since it was named", async function () {
      const f = await loadFixture(withProvider);
      await f.providers.suspend(f.hospital.address);
      await expect(f.monitoring.connect(f.hospital).openSession(f.alice.address))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryProviderNotActive")
        .withArgs(f.hospital.address);
      await f.providers.reinstate(f.hospital.address);
      await open(f, f.hospital, f.alice.address);
      await f.providers.remove(f.hospital.address);
      await expect(f.monitoring.connect(f.hospital).openSession(f.alice.address))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryProviderNotActive")
        .withArgs(f.hospital.address);
    });
  });

  /** The refusals {addSessionRecord} and {signDiagnosis} share, run against `call`. */
  function sharedRefusals(call: (f: Awaited<ReturnType<typeof withSession>>, who: Signer, sessionId: string, r: Anchored) => Promise<ContractTransactionResponse>) {
    it("rejects an unknown session", async function () {
      const f = await loadFixture(withSession);
      const bogus = ethers.id("no such session");
      await expect(call(f, f.hospital, bogus, f.r1))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryUnknownSession")
        .withArgs(bogus);
    });

    it("rejects a closed session", async function () {
      const f = await loadFixture(withSession);
      await f.monitoring.connect(f.alice).closeSession(f.sessionId);
      const closedAt = await time.latest();
      await expect(call(f, f.hospital, f.sessionId, f.r1))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistrySessionClosed")
        .withArgs(f.sessionId, closedAt);
    });

    it("rejects a caller that is not the session's provider (the patient, another provider)", async function () {
      const f = await loadFixture(withSession);
      for (const who of [f.alice, f.clinic]) {
        await expect(call(f, who, f.sessionId, f.r1))
          .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryNotSessionParty")
          .withArgs(f.sessionId, who.address);
      }
    });

    it("rejects a provider suspended or removed since it opened the session", async function () {
      const f = await loadFixture(withSession);
      await f.providers.suspend(f.hospital.address);
      await expect(call(f, f.hospital, f.sessionId, f.r1))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryProviderNotActive")
        .withArgs(f.hospital.address);
      await f.providers.remove(f.hospital.address);
      await expect(call(f, f.hospital, f.sessionId, f.r1))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryProviderNotActive")
        .withArgs(f.hospital.address);
    });

    it("rejects a provider no longer named as monitoring provider (cleared or replaced)", async function () {
      const f = await loadFixture(withSession);
      await f.monitoring.connect(f.alice).clearMonitoringProvider();
      await expect(call(f, f.hospital, f.sessionId, f.r1))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryNotMonitoringProvider")
        .withArgs(f.hospital.address, f.alice.address);
      await f.registry.connect(f.alice).grant(f.clinic.address, Scope.All, ZERO32, true, 0, WRAPPED);
      await f.monitoring.connect(f.alice).setMonitoringProvider(f.clinic.address);
      await expect(call(f, f.hospital, f.sessionId, f.r1))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryNotMonitoringProvider")
        .withArgs(f.hospital.address, f.alice.address);
    });

    it("rejects an unknown record and a record of another patient", async function () {
      const f = await loadFixture(withSession);
      const bogus = { recordId: ethers.id("no such record"), proof: f.r1.proof };
      await expect(call(f, f.hospital, f.sessionId, bogus))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryUnknownRecord")
        .withArgs(bogus.recordId);
      const bobs = await anchor(f.registry, f.hospital, f.bob.address, Category.Cardiac);
      await expect(call(f, f.hospital, f.sessionId, bobs))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryRecordOfAnotherPatient")
        .withArgs(bobs.recordId, f.alice.address);
    });

    it("rejects a record the caller did not anchor, and a proof that is not the record's", async function () {
      const f = await loadFixture(withSession);
      const own = await anchor(f.registry, f.alice, f.alice.address, Category.Cardiac); // by the patient
      await expect(call(f, f.hospital, f.sessionId, own))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryNotRecordAuthor")
        .withArgs(own.recordId, f.hospital.address);
      const p = f.r1.proof;
      for (const proof of [
        { ...p, cid: ethers.concat([p.cid, "0x00"]) },
        { ...p, ciphertextHash: ethers.id("forged") },
        { ...p, previousHead: ethers.dataSlice(ethers.id("forged"), 0, 28) },
        f.r2.proof,
      ]) {
        await expect(call(f, f.hospital, f.sessionId, { recordId: f.r1.recordId, proof }))
          .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryNotRecordAuthor")
          .withArgs(f.r1.recordId, f.hospital.address);
      }
    });

    it("rejects a record already linked to a session", async function () {
      const f = await loadFixture(withSession);
      await f.monitoring.connect(f.hospital).addSessionRecord(f.sessionId, f.r1.recordId, false, f.r1.proof);
      await expect(call(f, f.hospital, f.sessionId, f.r1))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryRecordAlreadyLinked")
        .withArgs(f.r1.recordId, f.sessionId);
      const { sessionId: second } = await open(f, f.hospital, f.alice.address);
      await expect(call(f, f.hospital, second, f.r1))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryRecordAlreadyLinked")
        .withArgs(f.r1.recordId, f.sessionId);
    });
  }

  describe("addSessionRecord", function () {
    it("links records the provider anchored, counts them and logs the review flag", async function () {
      const f = await loadFixture(withSession);
      await expect(f.monitoring.connect(f.hospital).addSessionRecord(f.sessionId, f.r1.recordId, false, f.r1.proof))
        .to.emit(f.monitoring, "SessionRecordAdded")
        .withArgs(f.sessionId, f.alice.address, f.r1.recordId, false);
      await expect(f.monitoring.connect(f.hospital).addSessionRecord(f.sessionId, f.r2.recordId, true, f.r2.proof))
        .to.emit(f.monitoring, "SessionRecordAdded")
        .withArgs(f.sessionId, f.alice.address, f.r2.recordId, true);
      const s = await f.monitoring.getSession(f.sessionId);
      expect(s.recordCount).to.equal(2);
      expect(s.closedAt).to.equal(0);
      expect(await f.monitoring.sessionOfRecord(f.r1.recordId)).to.equal(f.sessionId);
      expect(await f.monitoring.sessionOfRecord(f.r2.recordId)).to.equal(f.sessionId);
      expect(await f.monitoring.sessionOfRecord(ethers.id("other"))).to.equal(ZERO32);
    });

    it("accepts a record of any category the provider could write (all-records consent)", async function () {
      const f = await loadFixture(withSession);
      await f.monitoring.connect(f.bob).setMonitoringProvider(f.hospital.address);
      const { sessionId } = await open(f, f.hospital, f.bob.address);
      const note = await anchor(f.registry, f.hospital, f.bob.address, Category.Document);
      await expect(f.monitoring.connect(f.hospital).addSessionRecord(sessionId, note.recordId, false, note.proof))
        .to.emit(f.monitoring, "SessionRecordAdded")
        .withArgs(sessionId, f.bob.address, note.recordId, false);
    });

    sharedRefusals((f, who, sessionId, r) => f.monitoring.connect(who).addSessionRecord(sessionId, r.recordId, false, r.proof));
  });

  describe("signDiagnosis", function () {
    it("stores the diagnosis and closes the session: DiagnosisSigned then MonitoringSessionClosed", async function () {
      const f = await loadFixture(withSession);
      await f.monitoring.connect(f.hospital).addSessionRecord(f.sessionId, f.r1.recordId, true, f.r1.proof);
      const diagnosis = await anchor(f.registry, f.hospital, f.alice.address, Category.Cardiac);
      const tx = f.monitoring.connect(f.hospital).signDiagnosis(f.sessionId, diagnosis.recordId, diagnosis.proof);
      await expect(tx)
        .to.emit(f.monitoring, "DiagnosisSigned")
        .withArgs(f.sessionId, f.alice.address, f.hospital.address, diagnosis.recordId);
      await expect(tx).to.emit(f.monitoring, "MonitoringSessionClosed").withArgs(f.sessionId, f.alice.address);
      const receipt = await mined(tx);
      const names = receipt.logs.map((l) => f.monitoring.interface.parseLog(l)?.name);
      expect(names).to.deep.equal(["DiagnosisSigned", "MonitoringSessionClosed"]);
      const s = await f.monitoring.getSession(f.sessionId);
      expect(s.diagnosisRecordId).to.equal(diagnosis.recordId);
      expect(s.closedAt).to.equal(await time.latest());
      expect(s.recordCount).to.equal(1);
      expect(await f.monitoring.sessionOfRecord(diagnosis.recordId)).to.equal(f.sessionId);
      await expect(f.monitoring.connect(f.hospital).addSessionRecord(f.sessionId, f.r2.recordId, false, f.r2.proof))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistrySessionClosed")
        .withArgs(f.sessionId, s.closedAt);
      await expect(f.monitoring.connect(f.hospital).signDiagnosis(f.sessionId, f.r2.recordId, f.r2.proof))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistrySessionClosed")
        .withArgs(f.sessionId, s.closedAt);
    });

    sharedRefusals((f, who, sessionId, r) => f.monitoring.connect(who).signDiagnosis(sessionId, r.recordId, r.proof));
  });

  describe("closeSession", function () {
    it("the patient closes a session", async function () {
      const f = await loadFixture(withSession);
      await expect(f.monitoring.connect(f.alice).closeSession(f.sessionId))
        .to.emit(f.monitoring, "MonitoringSessionClosed")
        .withArgs(f.sessionId, f.alice.address);
      const s = await f.monitoring.getSession(f.sessionId);
      expect(s.closedAt).to.equal(await time.latest());
      expect(s.diagnosisRecordId).to.equal(ZERO32);
    });

    it("the provider closes a session, even when suspended or no longer named", async function () {
      const f = await loadFixture(withSession);
      const { sessionId: second } = await open(f, f.hospital, f.alice.address);
      await f.monitoring.connect(f.hospital).closeSession(f.sessionId);
      await f.providers.suspend(f.hospital.address);
      await f.monitoring.connect(f.alice).clearMonitoringProvider();
      await expect(f.monitoring.connect(f.hospital).closeSession(second))
        .to.emit(f.monitoring, "MonitoringSessionClosed")
        .withArgs(second, f.alice.address);
    });

    it("rejects an unknown session, a closed one, and anyone but its patient and provider", async function () {
      const f = await loadFixture(withSession);
      const bogus = ethers.id("no such session");
      await expect(f.monitoring.connect(f.alice).closeSession(bogus))
        .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryUnknownSession")
        .withArgs(bogus);
      for (const who of [f.bob, f.clinic, f.outsider]) {
        await expect(f.monitoring.connect(who).closeSession(f.sessionId))
          .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistryNotSessionParty")
          .withArgs(f.sessionId, who.address);
      }
      await f.monitoring.connect(f.hospital).closeSession(f.sessionId);
      const closedAt = await time.latest();
      for (const who of [f.alice, f.hospital]) {
        await expect(f.monitoring.connect(who).closeSession(f.sessionId))
          .to.be.revertedWithCustomError(f.monitoring, "MonitoringRegistrySessionClosed")
          .withArgs(f.sessionId, closedAt);
      }
    });
  });

  // ------------------------------------------------------------------------------------ gas

  describe("gas", function () {
    this.timeout(120_000);

    /** Gas of one mined call, logged so the figures appear in the test output. */
    const report: Record<string, bigint[]> = {};
    after(function () {
      const rows = Object.entries(report).map(([op, v]) => `    ${op.padEnd(34)} ${[...new Set(v)].join(" / ")}`);
      console.log(`\n    MonitoringRegistry gas used per transaction:\n${rows.join("\n")}`);
    });
    async function gasOf(op: string, tx: Promise<ContractTransactionResponse>): Promise<bigint> {
      const { gasUsed } = await mined(tx);
      (report[op] ??= []).push(gasUsed);
      return gasUsed;
    }

    it("reports each operation's gas; it does not grow with sessions or session records", async function () {
      const f = await loadFixture(withProvider);
      const deadline = await inADay();
      for (const [device, role] of [
        [f.sensor, Role.Sensor],
        [f.edge, Role.Edge],
        [f.fog, Role.Fog],
      ] as const) {
        await gasOf("registerDevice", f.monitoring.connect(f.alice).registerDevice(device.address, role, deadline, await bind(f, device, f.alice.address, device.address, role, deadline)));
      }
      await gasOf("revokeDevice", f.monitoring.connect(f.alice).revokeDevice(f.fog.address));
      await gasOf("setMonitoringProvider", f.monitoring.connect(f.bob).setMonitoringProvider(f.hospital.address));
      await gasOf("clearMonitoringProvider", f.monitoring.connect(f.bob).clearMonitoringProvider());
      await gasOf("setMonitoringProvider", f.monitoring.connect(f.bob).setMonitoringProvider(f.hospital.address));

      const opens: bigint[] = [];
      const adds: bigint[] = [];
      let sessionId = "";
      for (let i = 0; i < 20; i++) {
        const before = await f.monitoring.sessionNonceOf(f.alice.address);
        opens.push(await gasOf("openSession", f.monitoring.connect(f.hospital).openSession(f.alice.address)));
        sessionId = sessionIdOf(f, f.alice.address, f.hospital.address, Number(before));
      }
      for (let i = 0; i < 20; i++) {
        const r = await anchor(f.registry, f.hospital, f.alice.address, Category.Cardiac);
        adds.push(await gasOf("addSessionRecord", f.monitoring.connect(f.hospital).addSessionRecord(sessionId, r.recordId, i % 2 === 0, r.proof)));
      }
      const diagnosis = await anchor(f.registry, f.hospital, f.alice.address, Category.Cardiac);
      const signed = await gasOf("signDiagnosis", f.monitoring.connect(f.hospital).signDiagnosis(sessionId, diagnosis.recordId, diagnosis.proof));
      const { sessionId: other } = await open(f, f.hospital, f.alice.address);
      await gasOf("closeSession", f.monitoring.connect(f.alice).closeSession(other));

      // Every session costs the same; records differ only by their ids' and CIDs' calldata bytes
      // (at most 16 − 4 gas per zero byte).
      expect(new Set(opens).size, `openSession: ${opens.join(", ")}`).to.equal(1);
      const spread = adds.reduce((a, b) => (b > a ? b : a)) - adds.reduce((a, b) => (b < a ? b : a));
      expect(spread <= 12n * 100n, `addSessionRecord: ${adds.join(", ")}`).to.equal(true);
      for (const [op, v] of Object.entries(report)) for (const g of v) expect(g < 100_000n, `${op} used ${g} gas`).to.equal(true);
      expect(signed < 100_000n).to.equal(true);
    });
  });
});
