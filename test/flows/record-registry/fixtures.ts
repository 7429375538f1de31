/**
 * Shared fixture of the RecordRegistry flows: the embedded chain of this test process with
 * Meridian deployed by the test kit (one chain per file under `node --test`; one for all files
 * with `--experimental-test-isolation=none`, where each new fixture still starts from the state
 * the loader began with), named accounts, the registries through viem and the generated ABIs, id
 * formulas recomputed here (not only through the contract's own views), and the named chain
 * states the tests start from.
 *
 * Accounts (Hardhat's development accounts): #0 deploys and administers, #1 is the regulator.
 */
import assert from "node:assert/strict";
import { after } from "node:test";
import {
  concat,
  createTestClient,
  custom,
  encodeAbiParameters,
  getAbiItem,
  getAddress,
  keccak256,
  numberToHex,
  parseAbiParameters,
  slice,
  stringToHex,
  toFunctionSelector,
  toHex,
  type Account,
  type Address,
  type ContractFunctionName,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { providerRegistryAbi, recordRegistryAbi } from "@meridian/sdk/chain";
import {
  bindContract,
  eventsFrom,
  fixtureLoader,
  mined,
  startTestChain,
  testAccount,
  testChainDefinition,
  testNode,
} from "@meridian/sdk/testing";

// ------------------------------------------------------------------------------ chain

/** This process's embedded chain, closed when its tests end. */
export const kit = await startTestChain();
after(() => kit.close());
/** Blocks and the clock. */
export const node = testNode(kit);
/** What {@link node} does not wrap: automine and balances. */
export const testClient = createTestClient({
  chain: testChainDefinition,
  mode: "hardhat",
  transport: custom(kit.provider),
});
/** Restores a named chain state (see the kit's `fixtureLoader`). */
export const loadFixture = fixtureLoader(kit);

export const chainId = BigInt(kit.deployment.chainId);
/** The registries' addresses, checksummed as viem decodes addresses. */
export const registryAddress = getAddress(kit.deployment.recordRegistry);
export const providersAddress = getAddress(kit.deployment.providerRegistry);
/** RecordRegistry: `read`, `simulate(args, { account })`, and `as(account).fn(args)` for writes. */
export const registry = bindContract(kit, recordRegistryAbi, registryAddress);
/** ProviderRegistry, bound the same way. */
export const providers = bindContract(kit, providerRegistryAbi, providersAddress);

// --------------------------------------------------------------------------- accounts

export const admin = testAccount(0);
export const regulator = testAccount(1);
export const hospital = testAccount(2);
export const lab = testAccount(3);
export const clinic = testAccount(4);
export const alice = testAccount(5);
export const bob = testAccount(6);
/** Never registered. */
export const carol = testAccount(7);
/** Neither patient nor provider. */
export const outsider = testAccount(8);
export const suspendedDoc = testAccount(9);
export const removedDoc = testAccount(10);
/** Registered patients who become alice's guardians in the consent fixtures. */
export const viewer = testAccount(11);
export const sharer = testAccount(12);
export const dave = testAccount(13);

/** The regulator suspends, reinstates or removes `provider`. */
export async function setStatus(provider: Address, action: "suspend" | "reinstate" | "remove"): Promise<void> {
  await mined(kit, providers.as(regulator)[action]([provider]));
}

// -------------------------------------------------------------------------- constants

/** `IRecordRegistry.Category`. */
export const Category = {
  None: 0,
  General: 1,
  Lab: 2,
  VitalSigns: 3,
  Cardiac: 4,
  Imaging: 5,
  Document: 6,
  Medication: 7,
  Immunization: 8,
  Procedure: 9,
} as const;
/** `IRecordRegistry.Scope`. */
export const Scope = { None: 0, Record: 1, Category: 2, All: 3 } as const;
/** `IRecordRegistry.RequestStatus`. */
export const RequestStatus = { None: 0, Pending: 1 } as const;
/** `IRecordRegistry.GuardianLevel`. */
export const Level = { None: 0, View: 1, ShareAndView: 2 } as const;
/** `IProviderRegistry.ProviderKind`. */
export const Kind = { Hospital: 1, Clinic: 2, Lab: 3, Practitioner: 4 } as const;

export const ZERO32: Hex = `0x${"00".repeat(32)}`;
export const ZERO_ADDRESS: Address = "0x0000000000000000000000000000000000000000";
/** A wrapped key as HPKE produces it for a 32-byte key: enc (32) + ciphertext (32) + tag (16). */
export const WRAPPED = filled(80, 0xab);
/** A guardian's bundle: the 9 category KEKs (9 × 32 bytes) sealed with HPKE: 32 + 288 + 16 bytes. */
export const GUARDIAN_BUNDLE = filled(336, 0xcd);
export const PURPOSE_TREAT = stringToHex("TREAT", { size: 32 });
/** HL7 v3 ActReason "ETREAT" (emergency treatment). */
export const ETREAT = stringToHex("ETREAT", { size: 32 });
export const HOUR = 3600;
export const DAY = 86_400;
/** A gas limit, so that a transaction is sent without estimation and runs at a pinned block time. */
export const NO_ESTIMATE = { gas: 1_000_000n } as const;

/** `length` bytes of `value`, as hex. */
export function filled(length: number, value: number): Hex {
  return toHex(new Uint8Array(length).fill(value));
}

/** `keccak256` of the UTF-8 bytes of `text` (ethers' `id`). */
export function id(text: string): Hex {
  return keccak256(stringToHex(text));
}

/** 32 random bytes. */
export function randomBytes32(): Hex {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

/** A CIDv1 (raw codec, sha2-256 multihash) of a 32-byte digest. */
export function cidOf(hash: Hex): Hex {
  return concat(["0x01551220", hash]);
}

// -------------------------------------------------------------------------- id formulas

/** The target of a category scope: `bytes32(uint256(category))`. */
export function categoryTarget(category: number): Hex {
  return numberToHex(category, { size: 32 });
}

/** `bytes24(x)`. */
export function bytes24(x: Hex): Hex {
  return slice(x, 0, 24);
}

/** `keccak256(abi.encode(patient, grantee, scope, target))`. */
export function grantIdOf(patient: Address, grantee: Address, scope: number, target: Hex): Hex {
  return keccak256(
    encodeAbiParameters(parseAbiParameters("address, address, uint8, bytes32"), [patient, grantee, scope, target]),
  );
}

/** `keccak256(abi.encode(patient, requester, scope, target, "request"))`. */
export function requestIdOf(patient: Address, requester: Address, scope: number, target: Hex): Hex {
  return keccak256(
    encodeAbiParameters(parseAbiParameters("address, address, uint8, bytes32, string"), [
      patient,
      requester,
      scope,
      target,
      "request",
    ]),
  );
}

/** The subject of a guardian's `releaseEmergencyKey`: `keccak256(abi.encode(patient, provider, "emergency"))`. */
export function emergencyAccessIdOf(patient: Address, provider: Address): Hex {
  return keccak256(
    encodeAbiParameters(parseAbiParameters("address, address, string"), [patient, provider, "emergency"]),
  );
}

/** The genesis chain head of `patient`: `bytes24(keccak256(abi.encode(chainid, registry, patient)))`. */
export function genesisHeadOf(patient: Address): Hex {
  return bytes24(
    keccak256(
      encodeAbiParameters(parseAbiParameters("uint256, address, address"), [chainId, registryAddress, patient]),
    ),
  );
}

/** A decoded `RecordAnchored` event and its receipt. */
export interface Anchored {
  recordId: Hex;
  previousHead: Hex;
  author: Address;
  category: number;
  keyEpoch: number;
  anchoredAt: number;
  ciphertextHash: Hex;
  cid: Hex;
  receipt: TransactionReceipt;
}

/** The documented record id formula, computed off chain. */
export function recordIdOf(patient: Address, a: Omit<Anchored, "recordId" | "receipt">): Hex {
  return keccak256(
    encodeAbiParameters(
      parseAbiParameters("uint256, address, address, bytes24, address, uint8, uint32, uint40, bytes32, bytes32"),
      [
        chainId,
        registryAddress,
        patient,
        a.previousHead,
        a.author,
        a.category,
        a.keyEpoch,
        a.anchoredAt,
        a.ciphertextHash,
        keccak256(a.cid),
      ],
    ),
  );
}

// ---------------------------------------------------------------------------- events

/** The 4-byte selector of RecordRegistry's function `name` (as `GuardianActed.action` carries it). */
export function selectorOf(name: ContractFunctionName<typeof recordRegistryAbi>): Hex {
  return toFunctionSelector(getAbiItem({ abi: recordRegistryAbi, name }));
}

/** `author` anchors a record of `patient`; returns the decoded `RecordAnchored` event. */
export async function anchor(
  author: Account,
  patient: Address,
  category: number,
  opts: { hash?: Hex; cid?: Hex; keyEpoch?: number } = {},
): Promise<Anchored> {
  const keyEpoch = opts.keyEpoch ?? (await registry.read.getPatient([patient])).keyEpoch;
  const hash = opts.hash ?? randomBytes32();
  const cid = opts.cid ?? cidOf(hash);
  const receipt = await mined(kit, registry.as(author).anchorRecord([patient, cid, hash, category, keyEpoch]));
  const [ev] = eventsFrom(receipt, registry, "RecordAnchored");
  assert.ok(ev, "no RecordAnchored event");
  const { patient: of, ...anchored } = ev.args;
  assert.equal(of, patient);
  return { ...anchored, receipt };
}

// --------------------------------------------------------------------------- fixtures

/**
 * Providers admitted (hospital, lab, clinic active; suspendedDoc suspended; removedDoc removed),
 * the active ones with encryption keys; alice and bob registered patients.
 */
export async function meridian() {
  const asRegulator = providers.as(regulator);
  await mined(kit, asRegulator.admit([hospital.address, Kind.Hospital, "St. Elsewhere", "Cardiology"]));
  await mined(kit, asRegulator.admit([lab.address, Kind.Lab, "Central Lab", "Clinical chemistry"]));
  await mined(kit, asRegulator.admit([clinic.address, Kind.Clinic, "Harbour Clinic", ""]));
  await mined(kit, asRegulator.admit([suspendedDoc.address, Kind.Practitioner, "Dr. Suspended", ""]));
  await mined(kit, asRegulator.admit([removedDoc.address, Kind.Practitioner, "Dr. Removed", ""]));
  await setStatus(suspendedDoc.address, "suspend");
  await setStatus(removedDoc.address, "remove");
  for (const p of [hospital, lab, clinic]) {
    await mined(kit, providers.as(p).setEncryptionKey([id(`x25519 ${p.address}`)]));
  }
  const aliceKey = id("alice x25519 public key");
  const bobKey = id("bob x25519 public key");
  await mined(kit, registry.as(alice).register([aliceKey]));
  await mined(kit, registry.as(bob).register([bobKey]));
  return { aliceKey, bobKey };
}

/** {@link meridian} plus records: alice has a Lab and a Cardiac record, bob a Lab record. */
export async function withRecords() {
  const f = await meridian();
  const aliceLab = (await anchor(alice, alice.address, Category.Lab)).recordId;
  const aliceCardiac = (await anchor(alice, alice.address, Category.Cardiac)).recordId;
  const bobLab = (await anchor(bob, bob.address, Category.Lab)).recordId;
  return { ...f, aliceLab, aliceCardiac, bobLab };
}

/**
 * {@link meridian} plus what the consent, guardian and emergency flows need: viewer, sharer and
 * dave registered; alice's Lab, Cardiac and International Patient Summary records, bob's Lab record.
 */
export async function consentRecords() {
  await meridian();
  for (const p of [viewer, sharer, dave]) await mined(kit, registry.as(p).register([id(`x25519 ${p.address}`)]));
  const aliceLab = (await anchor(alice, alice.address, Category.Lab)).recordId;
  const aliceCardiac = (await anchor(alice, alice.address, Category.Cardiac)).recordId;
  /** Alice's International Patient Summary, the record emergency access opens. */
  const aliceIps = (await anchor(alice, alice.address, Category.Document)).recordId;
  const bobLab = (await anchor(bob, bob.address, Category.Lab)).recordId;
  return { aliceLab, aliceCardiac, aliceIps, bobLab };
}

/** {@link consentRecords} with alice's guardians: viewer at VIEW, sharer at SHARE AND VIEW. */
export async function withGuardians() {
  const f = await consentRecords();
  await mined(kit, registry.as(alice).appointGuardian([viewer.address, Level.View, GUARDIAN_BUNDLE]));
  await mined(kit, registry.as(alice).appointGuardian([sharer.address, Level.ShareAndView, GUARDIAN_BUNDLE]));
  return f;
}

/** {@link withGuardians} with alice's emergency summary set to `aliceIps`. */
export async function withSummary() {
  const f = await withGuardians();
  await mined(kit, registry.as(alice).setEmergencySummary([f.aliceIps]));
  return f;
}
