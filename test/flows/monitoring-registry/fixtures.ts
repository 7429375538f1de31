/**
 * Shared set-up of the MonitoringRegistry flows: a `ProviderRegistry` (account #0 is admin and
 * regulator), a `RecordRegistry` and a `MonitoringRegistry` deployed from their creation bytecode
 * on the kit's chain; admitted, suspended and removed providers; two registered patients with
 * write grants to the hospital; and device keys that only sign. Session ids and EIP-712 digests
 * are recomputed here from their documented formulas, not only through the contract's views.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after } from "node:test";
import {
  bytesToHex,
  concat,
  encodeAbiParameters,
  keccak256,
  stringToHex,
  toHex,
  type Address,
  type Hash,
  type Hex,
  type LocalAccount,
  type TransactionReceipt,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  ProviderKind as Kind,
  Scope,
  monitoringRegistryAbi,
  monitoringRegistryBytecode,
  type recordRegistryAbi,
} from "@meridian/sdk/chain";
import {
  deployTestContract,
  eventsFrom,
  fixtureLoader,
  mined,
  startTestChain,
  testAccount,
  testNode,
  type BoundContract,
} from "@meridian/sdk/testing";
import { deployRegistries } from "../registries.ts";

/** `IMonitoringRegistry.DeviceRole`. */
export const Role = { None: 0, Sensor: 1, Edge: 2, Fog: 3 } as const;
/** `IMonitoringRegistry.DeviceStatus`. */
export const DeviceStatus = { None: 0, Active: 1, Revoked: 2 } as const;
/** `IRecordRegistry.Category` (the ones used here). */
export const Category = { Lab: 2, Cardiac: 4, Document: 6 } as const;

export const ZERO32: Hex = `0x${"00".repeat(32)}`;
export const WRAPPED = bytesToHex(new Uint8Array(80).fill(0xab));
export const DAY = 86_400;
export const BINDING_TYPE = "DeviceBinding(address patient,address device,uint8 role,uint40 deadline)";
export const BINDING_TYPES = {
  DeviceBinding: [
    { name: "patient", type: "address" },
    { name: "device", type: "address" },
    { name: "role", type: "uint8" },
    { name: "deadline", type: "uint40" },
  ],
} as const;
export const id = (text: string): Hex => keccak256(stringToHex(text));
export const randomAddress = (): Address => privateKeyToAccount(generatePrivateKey()).address;
export const categoryTarget = (category: number): Hex => toHex(category, { size: 32 });

export const regulator = testAccount(0);
export const hospital = testAccount(1);
export const lab = testAccount(2);
export const clinic = testAccount(3);
export const alice = testAccount(4);
export const bob = testAccount(5);
export const carol = testAccount(6);
export const outsider = testAccount(7);
export const suspendedDoc = testAccount(8);
export const removedDoc = testAccount(9);

/** A record as anchored: its id and the `RecordProof` fields of its event. */
export interface Anchored {
  recordId: Hex;
  proof: { previousHead: Hex; ciphertextHash: Hex; cid: Hex };
}

/** Where the EIP-712 domain and the session ids point: a chain and a monitoring registry. */
export interface Verifier {
  chainId: number;
  monitoringAddress: Address;
}

/** The documented session id formula, computed off chain. */
export function sessionIdOf(v: Verifier, patient: Address, provider: Address, nonce: number | bigint): Hex {
  const types = [
    { type: "uint256" },
    { type: "address" },
    { type: "address" },
    { type: "address" },
    { type: "uint64" },
  ];
  return keccak256(
    encodeAbiParameters(types, [BigInt(v.chainId), v.monitoringAddress, patient, provider, BigInt(nonce)]),
  );
}

export function domainOf(v: Verifier) {
  return {
    name: "Meridian MonitoringRegistry",
    version: "1",
    chainId: v.chainId,
    verifyingContract: v.monitoringAddress,
  };
}

/** `device` signs the binding of `deviceAddress` to `patient` in `role` until `deadline`. */
export function bind(
  v: Verifier,
  device: LocalAccount,
  patient: Address,
  deviceAddress: Address,
  role: number,
  deadline: number,
): Promise<Hex> {
  return device.signTypedData({
    domain: domainOf(v),
    types: BINDING_TYPES,
    primaryType: "DeviceBinding",
    message: { patient, device: deviceAddress, role, deadline },
  });
}

/**
 * Starts a test chain (closed after the file's tests) and returns the fixtures `deployMonitoring`,
 * `withProvider` (alice's monitoring provider is the hospital) and `withSession` (an open session
 * of alice by the hospital and two Cardiac records of alice the hospital anchored), with the
 * helpers the flows share.
 */
export async function monitoringFlow() {
  const kit = await startTestChain();
  after(() => kit.close());
  const node = testNode(kit);
  const chainId = kit.deployment.chainId;

  async function deployMonitoring() {
    const { providers, registry } = await deployRegistries(kit, regulator);
    const monitoring = await deployTestContract(kit, {
      abi: monitoringRegistryAbi,
      bytecode: monitoringRegistryBytecode,
      args: [registry.address],
    });
    const asRegulator = providers.as(regulator);
    await mined(kit, asRegulator.admit([hospital.address, Kind.Hospital, "St. Elsewhere", "Cardiology"]));
    await mined(kit, asRegulator.admit([lab.address, Kind.Lab, "Central Lab", ""]));
    await mined(kit, asRegulator.admit([clinic.address, Kind.Clinic, "Harbour Clinic", ""]));
    await mined(kit, asRegulator.admit([suspendedDoc.address, Kind.Practitioner, "Dr. Suspended", ""]));
    await mined(kit, asRegulator.admit([removedDoc.address, Kind.Practitioner, "Dr. Removed", ""]));
    await mined(kit, asRegulator.suspend([suspendedDoc.address]));
    await mined(kit, asRegulator.remove([removedDoc.address]));
    await mined(kit, registry.as(alice).register([id("alice x25519 public key")]));
    await mined(kit, registry.as(bob).register([id("bob x25519 public key")]));
    // alice consents to the hospital writing her Cardiac records; bob to it writing all of his.
    const cardiac = categoryTarget(Category.Cardiac);
    await mined(kit, registry.as(alice).grant([hospital.address, Scope.Category, cardiac, true, 0, WRAPPED]));
    await mined(kit, registry.as(bob).grant([hospital.address, Scope.All, ZERO32, true, 0, WRAPPED]));
    // Device keys: they only sign, never send transactions.
    const sensor = privateKeyToAccount(generatePrivateKey());
    const edge = privateKeyToAccount(generatePrivateKey());
    const fog = privateKeyToAccount(generatePrivateKey());
    return { providers, registry, monitoring, monitoringAddress: monitoring.address, chainId, sensor, edge, fog };
  }
  type Fixture = Awaited<ReturnType<typeof deployMonitoring>>;

  async function withProvider() {
    const f = await deployMonitoring();
    await mined(kit, f.monitoring.as(alice).setMonitoringProvider([hospital.address]));
    return f;
  }

  async function withSession() {
    const f = await withProvider();
    const { sessionId } = await open(f, hospital, alice.address);
    const r1 = await anchor(f.registry, hospital, alice.address, Category.Cardiac);
    const r2 = await anchor(f.registry, hospital, alice.address, Category.Cardiac);
    return { ...f, sessionId, r1, r2 };
  }

  /** `by` anchors a record of `patient` at the patient's current epoch. */
  async function anchor(
    registry: BoundContract<typeof recordRegistryAbi>,
    by: LocalAccount,
    patient: Address,
    category: number,
  ): Promise<Anchored> {
    const { keyEpoch } = await registry.read.getPatient([patient]);
    const hash = bytesToHex(randomBytes(32));
    const cid = concat(["0x01551220", hash]);
    const receipt = await mined(kit, registry.as(by).anchorRecord([patient, cid, hash, category, keyEpoch]));
    const [ev] = eventsFrom(receipt, registry, "RecordAnchored");
    assert.ok(ev, "no RecordAnchored event");
    const { recordId, previousHead, ciphertextHash } = ev.args;
    return { recordId, proof: { previousHead, ciphertextHash, cid: ev.args.cid } };
  }

  /** `provider` opens a session of `patient`; returns its id from the event. */
  async function open(
    f: Fixture,
    provider: LocalAccount,
    patient: Address,
  ): Promise<{ sessionId: Hex; receipt: TransactionReceipt }> {
    const receipt = await mined(kit, f.monitoring.as(provider).openSession([patient]));
    const [ev] = eventsFrom(receipt, f.monitoring, "MonitoringSessionOpened");
    assert.ok(ev, "no MonitoringSessionOpened event");
    return { sessionId: ev.args.sessionId, receipt };
  }

  /** A deadline one day ahead of the latest block. */
  async function inADay(): Promise<number> {
    return (await node.latestTime()) + DAY;
  }

  return {
    kit,
    node,
    loadFixture: fixtureLoader(kit),
    deployMonitoring,
    withProvider,
    withSession,
    anchor,
    open,
    inADay,
  };
}

/** The fixture of an open session, as {@link monitoringFlow}'s `withSession` returns it. */
export type SessionFixture = Awaited<ReturnType<Awaited<ReturnType<typeof monitoringFlow>>["withSession"]>>;

/** A write that links a record to a session (`addSessionRecord` or `signDiagnosis`), as `who`. */
export type SessionRecordCall = (f: SessionFixture, who: LocalAccount, sessionId: Hex, r: Anchored) => Promise<Hash>;
