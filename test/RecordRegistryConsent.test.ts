/**
 * RecordRegistry: one-time EIP-712 consent codes (EOA and ERC-1271), guardians at VIEW and
 * SHARE AND VIEW level, time-boxed emergency ("break-glass") access to the emergency summary,
 * and the regulator's lack of read access.
 *
 * Reverts are asserted by custom error and arguments, events by name and arguments. Digests,
 * grant, request and emergency-access ids are recomputed here (ethers' TypedDataEncoder, the
 * documented `abi.encode` formulas), not only through the contract's own views.
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
  TypedDataDomain,
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
type RecordRegistry = Typed<
  | "register"
  | "anchorRecord"
  | "grant"
  | "revoke"
  | "requestAccess"
  | "approveRequest"
  | "denyRequest"
  | "redeemConsentCode"
  | "cancelConsentCode"
  | "consentNonceUsed"
  | "appointGuardian"
  | "removeGuardian"
  | "stepDownAsGuardian"
  | "grantAsGuardian"
  | "revokeAsGuardian"
  | "approveRequestAsGuardian"
  | "denyRequestAsGuardian"
  | "guardianLevel"
  | "setEmergencySummary"
  | "emergencySummaryOf"
  | "openEmergencyAccess"
  | "releaseEmergencyKey"
  | "closeEmergencyAccess"
  | "getEmergencyAccess"
  | "peerValidation"
  | "canRead"
  | "canWrite"
  | "isGrantActive"
  | "getPatient"
  | "getGrant"
  | "getRequest"
>;
type ProviderRegistry = Typed<
  "admit" | "suspend" | "reinstate" | "remove" | "isActive" | "hasRole" | "REGULATOR_ROLE"
>;
type SmartAccount = Typed<"execute" | "owner" | "isValidSignature">;
type PeerValidation = Typed<"isValidator">;

/** `IRecordRegistry.Category`. */
const Category = { None: 0, General: 1, Lab: 2, VitalSigns: 3, Cardiac: 4, Imaging: 5, Document: 6 } as const;
/** `IRecordRegistry.Scope`. */
const Scope = { None: 0, Record: 1, Category: 2, All: 3 } as const;
/** `IRecordRegistry.GuardianLevel`. */
const Level = { None: 0, View: 1, ShareAndView: 2 } as const;
/** `IProviderRegistry.ProviderKind`. */
const Kind = { Hospital: 1, Clinic: 2, Lab: 3, Practitioner: 4 } as const;

const ZERO32 = ethers.ZeroHash;
/** A wrapped key as HPKE produces it for a 32-byte key: enc (32) + ciphertext (32) + tag (16). */
const WRAPPED = ethers.hexlify(new Uint8Array(80).fill(0xab));
/** A guardian's bundle: the 9 category KEKs (9 × 32 bytes) sealed with HPKE: 32 + 288 + 16 bytes. */
const GUARDIAN_BUNDLE = ethers.hexlify(new Uint8Array(336).fill(0xcd));
const PURPOSE_TREAT = ethers.encodeBytes32String("TREAT");
/** HL7 v3 ActReason "ETREAT" (emergency treatment). */
const ETREAT = ethers.encodeBytes32String("ETREAT");
const HOUR = 3600;
const DAY = 86_400;
/** A gas limit, so that a transaction is sent without estimation and runs at a pinned block time. */
const NO_ESTIMATE = { gasLimit: 1_000_000 } as const;

/** The target of a category scope: `bytes32(uint256(category))`. */
function categoryTarget(category: number): string {
  return ethers.toBeHex(category, 32);
}

function grantIdOf(patient: string, grantee: string, scope: number, target: string): string {
  return ethers.keccak256(coder.encode(["address", "address", "uint8", "bytes32"], [patient, grantee, scope, target]));
}

function requestIdOf(patient: string, requester: string, scope: number, target: string): string {
  return ethers.keccak256(
    coder.encode(["address", "address", "uint8", "bytes32", "string"], [patient, requester, scope, target, "request"]),
  );
}

/** The subject of a guardian's {releaseEmergencyKey}: `keccak256(abi.encode(patient, provider, "emergency"))`. */
function emergencyAccessIdOf(patient: string, provider: string): string {
  return ethers.keccak256(coder.encode(["address", "address", "string"], [patient, provider, "emergency"]));
}

// ------------------------------------------------------------------------ consent codes

/** `IRecordRegistry.ConsentCode`, as passed to {redeemConsentCode}. */
interface ConsentCode {
  chainId: bigint;
  registry: string;
  patient: string;
  grantee: string;
  scope: number;
  target: string;
  write: boolean;
  expiresAt: bigint;
  deadline: bigint;
  keyEpoch: bigint;
  nonce: bigint;
  wrappedKeyHash: string;
}

/** The EIP-712 type the patient signs: the code without `chainId` and `registry` (they are the domain's). */
const CONSENT_TYPES = {
  ConsentCode: [
    { name: "patient", type: "address" },
    { name: "grantee", type: "address" },
    { name: "scope", type: "uint8" },
    { name: "target", type: "bytes32" },
    { name: "write", type: "bool" },
    { name: "expiresAt", type: "uint40" },
    { name: "deadline", type: "uint40" },
    { name: "keyEpoch", type: "uint32" },
    { name: "nonce", type: "uint256" },
    { name: "wrappedKeyHash", type: "bytes32" },
  ],
};

function domainOf(f: { chainId: bigint; registryAddress: string }): TypedDataDomain {
  return { name: "Meridian RecordRegistry", version: "1", chainId: f.chainId, verifyingContract: f.registryAddress };
}

function messageOf(code: ConsentCode): Record<string, unknown> {
  const { chainId: _chainId, registry: _registry, ...message } = code;
  return message;
}

/** `signer` signs `code` as EIP-712 typed data (domain: this chain and registry unless given). */
async function signCode(signer: Signer, f: Meridian, code: ConsentCode, domain: TypedDataDomain = domainOf(f)): Promise<string> {
  return signer.signTypedData(domain, CONSENT_TYPES, messageOf(code));
}

/** ethers' own EIP-712 digest of `code`. */
function digestOf(f: Meridian, code: ConsentCode): string {
  return ethers.TypedDataEncoder.hash(domainOf(f), CONSENT_TYPES, messageOf(code));
}

// ------------------------------------------------------------------------------ fixtures

async function deployMeridian() {
  const [regulator, hospital, lab, clinic, alice, bob, carol, outsider, suspendedDoc, removedDoc, viewer, sharer, dave] =
    await ethers.getSigners();
  if (!regulator || !hospital || !lab || !clinic || !alice || !bob || !carol || !outsider || !suspendedDoc || !removedDoc) {
    throw new Error("the hardhat network needs at least 13 accounts");
  }
  if (!viewer || !sharer || !dave) throw new Error("the hardhat network needs at least 13 accounts");
  const providers = (await ethers.deployContract("ProviderRegistry", [
    regulator.address,
    regulator.address,
  ])) as unknown as ProviderRegistry;
  const registry = (await ethers.deployContract("RecordRegistry", [
    await providers.getAddress(),
  ])) as unknown as RecordRegistry;
  await providers.admit(hospital.address, Kind.Hospital, "St. Elsewhere", "Emergency");
  await providers.admit(lab.address, Kind.Lab, "Central Lab", "Clinical chemistry");
  await providers.admit(clinic.address, Kind.Clinic, "Harbour Clinic", "");
  await providers.admit(suspendedDoc.address, Kind.Practitioner, "Dr. Suspended", "");
  await providers.admit(removedDoc.address, Kind.Practitioner, "Dr. Removed", "");
  await providers.suspend(suspendedDoc.address);
  await providers.remove(removedDoc.address);

  // Patients; the guardians-to-be (viewer, sharer, dave) are registered patients too.
  for (const p of [alice, bob, viewer, sharer, dave]) await registry.connect(p).register(ethers.id(`x25519 ${p.address}`));
  const aliceLab = await anchor(registry, alice, alice.address, Category.Lab);
  const aliceCardiac = await anchor(registry, alice, alice.address, Category.Cardiac);
  /** Alice's International Patient Summary, the record emergency access opens. */
  const aliceIps = await anchor(registry, alice, alice.address, Category.Document);
  const bobLab = await anchor(registry, bob, bob.address, Category.Lab);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const registryAddress = await registry.getAddress();
  const peerValidation = (await ethers.getContractAt(
    "PeerValidation",
    await registry.peerValidation(),
  )) as unknown as PeerValidation;
  return {
    providers,
    registry,
    registryAddress,
    peerValidation,
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
    viewer,
    sharer,
    dave,
    aliceLab,
    aliceCardiac,
    aliceIps,
    bobLab,
  };
}

type Meridian = Awaited<ReturnType<typeof deployMeridian>>;

/** The fixture with alice's guardians: `viewer` at VIEW, `sharer` at SHARE AND VIEW. */
async function deployWithGuardians() {
  const f = await deployMeridian();
  await f.registry.connect(f.alice).appointGuardian(f.viewer.address, Level.View, GUARDIAN_BUNDLE);
  await f.registry.connect(f.alice).appointGuardian(f.sharer.address, Level.ShareAndView, GUARDIAN_BUNDLE);
  return f;
}

/** The guardians fixture with alice's emergency summary set to `aliceIps`. */
async function deployWithSummary() {
  const f = await deployWithGuardians();
  await f.registry.connect(f.alice).setEmergencySummary(f.aliceIps);
  return f;
}

async function anchor(registry: RecordRegistry, author: Signer, patient: string, category: number): Promise<string> {
  const keyEpoch = (await registry.getPatient(patient)).keyEpoch;
  const hash = ethers.hexlify(ethers.randomBytes(32));
  const receipt = await mined(
    registry.connect(author).anchorRecord(patient, ethers.concat(["0x01551220", hash]), hash, category, keyEpoch),
  );
  const [ev] = eventsOf(registry, receipt, "RecordAnchored");
  if (!ev) throw new Error("no RecordAnchored event");
  return ev.args.recordId as string;
}

function eventsOf(registry: RecordRegistry, receipt: TransactionReceipt | null, name: string): LogDescription[] {
  if (!receipt) throw new Error("no receipt");
  const out: LogDescription[] = [];
  for (const log of receipt.logs) {
    const parsed = registry.interface.parseLog(log);
    if (parsed?.name === name) out.push(parsed);
  }
  return out;
}

async function mined(tx: Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt;
}

function selectorOf(registry: RecordRegistry, name: string): string {
  const fn = registry.interface.getFunction(name);
  if (!fn) throw new Error(`no function ${name}`);
  return fn.selector;
}

/** A consent code from alice to the hospital over her Lab category, valid for a day, unless overridden. */
async function makeCode(f: Meridian, overrides: Partial<ConsentCode> = {}): Promise<ConsentCode> {
  const now = BigInt(await time.latest());
  const patient = overrides.patient ?? f.alice.address;
  return {
    chainId: f.chainId,
    registry: f.registryAddress,
    patient,
    grantee: f.hospital.address,
    scope: Scope.Category,
    target: categoryTarget(Category.Lab),
    write: false,
    expiresAt: now + 30n * BigInt(DAY),
    deadline: now + BigInt(DAY),
    keyEpoch: BigInt((await f.registry.getPatient(patient)).keyEpoch),
    nonce: ethers.toBigInt(ethers.randomBytes(32)),
    wrappedKeyHash: ethers.keccak256(WRAPPED),
    ...overrides,
  };
}

/** Nothing of `code` happened: its nonce is unused and its grant was never issued. */
async function expectNotRedeemed(f: Meridian, code: ConsentCode): Promise<void> {
  expect(await f.registry.consentNonceUsed(code.patient, code.nonce)).to.equal(false);
  expect((await f.registry.getGrant(code.patient, code.grantee, code.scope, code.target)).issuedAt).to.equal(0);
}

// ---------------------------------------------------------------------------------- tests

describe("RecordRegistry: consent codes, guardians, emergency access", function () {
  // ------------------------------------------------------------------------ consent codes

  describe("consent codes", function () {
    it("the grantee redeems a code: GrantIssued and ConsentCodeRedeemed with the EIP-712 digest", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, alice, hospital, aliceLab, aliceCardiac } = f;
      const code = await makeCode(f, { write: true });
      const signature = await signCode(alice, f, code);
      const digest = digestOf(f, code);
      expect(ethers.verifyTypedData(domainOf(f), CONSENT_TYPES, messageOf(code), signature)).to.equal(alice.address);
      expect(await registry.canRead(hospital.address, aliceLab)).to.equal(false);

      const grantId = grantIdOf(alice.address, hospital.address, Scope.Category, code.target);
      expect(await registry.connect(hospital).redeemConsentCode.staticCall(code, WRAPPED, signature)).to.equal(grantId);
      const tx = registry.connect(hospital).redeemConsentCode(code, WRAPPED, signature);
      await expect(tx)
        .to.emit(registry, "GrantIssued")
        .withArgs(alice.address, hospital.address, grantId, Scope.Category, code.target, true, code.expiresAt, 0, WRAPPED);
      await expect(tx)
        .to.emit(registry, "ConsentCodeRedeemed")
        .withArgs(alice.address, hospital.address, grantId, digest, code.nonce);

      const receipt = await (await tx).wait();
      const [redeemed] = eventsOf(registry, receipt, "ConsentCodeRedeemed");
      expect(redeemed?.args.consentHash).to.equal(ethers.TypedDataEncoder.hash(domainOf(f), CONSENT_TYPES, messageOf(code)));
      const block = await ethers.provider.getBlock(receipt!.blockNumber);
      const g = await registry.getGrant(alice.address, hospital.address, Scope.Category, code.target);
      expect(g.issuedAt).to.equal(block?.timestamp);
      expect(g.expiresAt).to.equal(code.expiresAt);
      expect(g.revokedAt).to.equal(0);
      expect(g.keyEpoch).to.equal(0);
      expect(g.write).to.equal(true);
      expect(await registry.consentNonceUsed(alice.address, code.nonce)).to.equal(true);
      expect(await registry.isGrantActive(alice.address, hospital.address, Scope.Category, code.target)).to.equal(true);
      expect(await registry.canRead(hospital.address, aliceLab)).to.equal(true);
      expect(await registry.canRead(hospital.address, aliceCardiac)).to.equal(false);
      expect(await registry.canWrite(hospital.address, alice.address, Category.Lab)).to.equal(true);
    });

    it("redeems record and all-records codes, and a code with no expiry", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, alice, lab, clinic, aliceLab, aliceCardiac, bobLab } = f;
      const recordCode = await makeCode(f, { grantee: lab.address, scope: Scope.Record, target: aliceCardiac, expiresAt: 0n });
      await expect(registry.connect(lab).redeemConsentCode(recordCode, WRAPPED, await signCode(alice, f, recordCode)))
        .to.emit(registry, "ConsentCodeRedeemed")
        .withArgs(alice.address, lab.address, grantIdOf(alice.address, lab.address, Scope.Record, aliceCardiac), digestOf(f, recordCode), recordCode.nonce);
      expect(await registry.canRead(lab.address, aliceCardiac)).to.equal(true);
      expect(await registry.canRead(lab.address, aliceLab)).to.equal(false);

      const allCode = await makeCode(f, { grantee: clinic.address, scope: Scope.All, target: ZERO32 });
      await registry.connect(clinic).redeemConsentCode(allCode, WRAPPED, await signCode(alice, f, allCode));
      expect(await registry.canRead(clinic.address, aliceLab)).to.equal(true);
      expect(await registry.canRead(clinic.address, aliceCardiac)).to.equal(true);
      expect(await registry.canRead(clinic.address, bobLab)).to.equal(false);
    });

    it("accepts a code in the deadline's own second, refuses it one second later (RecordRegistryConsentExpired)", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, alice, hospital } = f;
      const onTime = await makeCode(f, { deadline: BigInt(await time.latest()) + 100n });
      await time.setNextBlockTimestamp(onTime.deadline);
      await expect(
        registry.connect(hospital).redeemConsentCode(onTime, WRAPPED, await signCode(alice, f, onTime), NO_ESTIMATE),
      ).to.emit(registry, "ConsentCodeRedeemed");

      const code = await makeCode(f, { scope: Scope.All, target: ZERO32 });
      const signature = await signCode(alice, f, code);
      await time.increaseTo(code.deadline);
      await time.setNextBlockTimestamp(code.deadline + 1n);
      await expect(registry.connect(hospital).redeemConsentCode(code, WRAPPED, signature, NO_ESTIMATE))
        .to.be.revertedWithCustomError(registry, "RecordRegistryConsentExpired")
        .withArgs(code.deadline, code.deadline + 1n);
      await expectNotRedeemed(f, code);
      await time.increase(30 * DAY);
      await expect(registry.connect(hospital).redeemConsentCode(code, WRAPPED, signature))
        .to.be.revertedWithCustomError(registry, "RecordRegistryConsentExpired");
    });

    it("refuses a code for another chain (RecordRegistryConsentWrongChain), even one signed for it", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, alice, hospital } = f;
      const code = await makeCode(f, { chainId: 1n });
      for (const domain of [domainOf(f), { ...domainOf(f), chainId: 1n }]) {
        const signature = await signCode(alice, f, code, domain);
        await expect(registry.connect(hospital).redeemConsentCode(code, WRAPPED, signature))
          .to.be.revertedWithCustomError(registry, "RecordRegistryConsentWrongChain")
          .withArgs(f.chainId, 1n);
      }
      await expectNotRedeemed(f, code);
      // The right chain field with a signature over another chain's domain: not alice's signature here.
      const right = await makeCode(f);
      const foreign = await signCode(alice, f, right, { ...domainOf(f), chainId: 1n });
      await expect(registry.connect(hospital).redeemConsentCode(right, WRAPPED, foreign))
        .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidConsentSignature")
        .withArgs(alice.address);
      await expectNotRedeemed(f, right);
    });

    it("refuses a code for another registry (RecordRegistryConsentWrongContract), even one signed for it", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, providers, alice, hospital, registryAddress } = f;
      const other = await ethers.deployContract("RecordRegistry", [await providers.getAddress()]);
      const otherAddress = await other.getAddress();
      const code = await makeCode(f, { registry: otherAddress });
      for (const domain of [domainOf(f), { ...domainOf(f), verifyingContract: otherAddress }]) {
        await expect(registry.connect(hospital).redeemConsentCode(code, WRAPPED, await signCode(alice, f, code, domain)))
          .to.be.revertedWithCustomError(registry, "RecordRegistryConsentWrongContract")
          .withArgs(registryAddress, otherAddress);
      }
      await expectNotRedeemed(f, code);
      const right = await makeCode(f);
      const foreign = await signCode(alice, f, right, { ...domainOf(f), verifyingContract: otherAddress });
      await expect(registry.connect(hospital).redeemConsentCode(right, WRAPPED, foreign))
        .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidConsentSignature")
        .withArgs(alice.address);
      await expectNotRedeemed(f, right);
    });

    it("refuses a code submitted by anyone but its grantee (RecordRegistryConsentNotForCaller)", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, alice, hospital, lab, outsider } = f;
      const code = await makeCode(f);
      const signature = await signCode(alice, f, code);
      for (const caller of [lab, outsider, alice]) {
        await expect(registry.connect(caller).redeemConsentCode(code, WRAPPED, signature))
          .to.be.revertedWithCustomError(registry, "RecordRegistryConsentNotForCaller")
          .withArgs(hospital.address, caller.address);
      }
      await expectNotRedeemed(f, code);
      await registry.connect(hospital).redeemConsentCode(code, WRAPPED, signature); // the grantee still can
    });

    it("refuses a replayed code (RecordRegistryConsentAlreadyUsed) and leaves the grant as redeemed", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, alice, hospital } = f;
      const code = await makeCode(f);
      const signature = await signCode(alice, f, code);
      await registry.connect(hospital).redeemConsentCode(code, WRAPPED, signature);
      const before = await registry.getGrant(alice.address, hospital.address, code.scope, code.target);
      await time.increase(HOUR);
      await expect(registry.connect(hospital).redeemConsentCode(code, WRAPPED, signature))
        .to.be.revertedWithCustomError(registry, "RecordRegistryConsentAlreadyUsed")
        .withArgs(alice.address, code.nonce);
      // Replaying after the patient revoked the grant does not bring it back either.
      await registry.connect(alice).revoke(hospital.address, code.scope, code.target);
      await expect(registry.connect(hospital).redeemConsentCode(code, WRAPPED, signature))
        .to.be.revertedWithCustomError(registry, "RecordRegistryConsentAlreadyUsed")
        .withArgs(alice.address, code.nonce);
      const after = await registry.getGrant(alice.address, hospital.address, code.scope, code.target);
      expect(after.issuedAt).to.equal(before.issuedAt);
      expect(after.revokedAt).to.not.equal(0);
      // Cancelling a used nonce is refused too.
      await expect(registry.connect(alice).cancelConsentCode(code.nonce))
        .to.be.revertedWithCustomError(registry, "RecordRegistryConsentAlreadyUsed")
        .withArgs(alice.address, code.nonce);
    });

    it("refuses a cancelled code (RecordRegistryConsentAlreadyUsed); cancelling twice is refused", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, alice, bob, hospital } = f;
      const code = await makeCode(f);
      const signature = await signCode(alice, f, code);
      await expect(registry.connect(alice).cancelConsentCode(code.nonce))
        .to.emit(registry, "ConsentCodeCancelled")
        .withArgs(alice.address, code.nonce);
      expect(await registry.consentNonceUsed(alice.address, code.nonce)).to.equal(true);
      expect(await registry.consentNonceUsed(bob.address, code.nonce)).to.equal(false); // nonces are per patient
      await expect(registry.connect(hospital).redeemConsentCode(code, WRAPPED, signature))
        .to.be.revertedWithCustomError(registry, "RecordRegistryConsentAlreadyUsed")
        .withArgs(alice.address, code.nonce);
      expect((await registry.getGrant(alice.address, hospital.address, code.scope, code.target)).issuedAt).to.equal(0);
      await expect(registry.connect(alice).cancelConsentCode(code.nonce))
        .to.be.revertedWithCustomError(registry, "RecordRegistryConsentAlreadyUsed")
        .withArgs(alice.address, code.nonce);
      // Bob cancelling the same number does not touch alice's codes.
      const other = await makeCode(f);
      await registry.connect(bob).cancelConsentCode(other.nonce);
      await registry.connect(hospital).redeemConsentCode(other, WRAPPED, await signCode(alice, f, other));
    });

    it("refuses a code with any signed field changed (RecordRegistryInvalidConsentSignature)", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, alice, hospital, lab, aliceLab } = f;
      const code = await makeCode(f, { write: true });
      const signature = await signCode(alice, f, code);
      const tampered: [string, Partial<ConsentCode>, Signer][] = [
        ["scope and target", { scope: Scope.All, target: ZERO32 }, hospital],
        ["scope (record)", { scope: Scope.Record, target: aliceLab, write: false }, hospital],
        ["target", { target: categoryTarget(Category.Cardiac) }, hospital],
        ["write", { write: false }, hospital],
        ["expiresAt", { expiresAt: code.expiresAt + 365n * BigInt(DAY) }, hospital],
        ["expiresAt (none)", { expiresAt: 0n }, hospital],
        ["deadline", { deadline: code.deadline + 1n }, hospital],
        ["nonce", { nonce: code.nonce ^ 1n }, hospital],
        ["grantee", { grantee: lab.address }, lab],
      ];
      for (const [what, change, caller] of tampered) {
        const forged = { ...code, ...change };
        await expect(registry.connect(caller).redeemConsentCode(forged, WRAPPED, signature), what)
          .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidConsentSignature")
          .withArgs(alice.address);
        await expectNotRedeemed(f, forged);
      }
      // A different key epoch in the code (the signature is checked before the epoch).
      await expect(registry.connect(hospital).redeemConsentCode({ ...code, keyEpoch: 1n }, WRAPPED, signature))
        .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidConsentSignature")
        .withArgs(alice.address);
      await expectNotRedeemed(f, code);
      await registry.connect(hospital).redeemConsentCode(code, WRAPPED, signature); // the genuine code works
    });

    it("refuses a tampered wrapped key, with or without a matching wrappedKeyHash (RecordRegistryInvalidConsentSignature)", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, alice, hospital } = f;
      const code = await makeCode(f);
      const signature = await signCode(alice, f, code);
      const otherKey = ethers.hexlify(new Uint8Array(80).fill(0xee));
      await expect(registry.connect(hospital).redeemConsentCode(code, otherKey, signature))
        .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidConsentSignature")
        .withArgs(alice.address);
      const rehashed = { ...code, wrappedKeyHash: ethers.keccak256(otherKey) };
      await expect(registry.connect(hospital).redeemConsentCode(rehashed, otherKey, signature))
        .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidConsentSignature")
        .withArgs(alice.address);
      await expect(registry.connect(hospital).redeemConsentCode(code, WRAPPED + "00", signature))
        .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidConsentSignature")
        .withArgs(alice.address);
      await expectNotRedeemed(f, code);
    });

    it("refuses a code signed by another account, or a malformed signature (RecordRegistryInvalidConsentSignature)", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, alice, bob, hospital } = f;
      const code = await makeCode(f);
      const good = await signCode(alice, f, code);
      const bads = [
        await signCode(bob, f, code),
        await signCode(hospital, f, code),
        "0x",
        ethers.hexlify(new Uint8Array(65)),
        ethers.dataSlice(good, 0, 64),
        ethers.concat([good, "0x00"]),
      ];
      for (const signature of bads) {
        await expect(registry.connect(hospital).redeemConsentCode(code, WRAPPED, signature))
          .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidConsentSignature")
          .withArgs(alice.address);
      }
      await expectNotRedeemed(f, code);
      // A code naming bob as patient, signed by alice: not bob's signature.
      const forBob = await makeCode(f, { patient: bob.address });
      await expect(registry.connect(hospital).redeemConsentCode(forBob, WRAPPED, await signCode(alice, f, forBob)))
        .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidConsentSignature")
        .withArgs(bob.address);
      await expectNotRedeemed(f, forBob);
    });

    it("refuses a code whose key epoch is stale (the patient revoked a category grant in between)", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, alice, hospital, lab, aliceLab } = f;
      const code = await makeCode(f);
      const signature = await signCode(alice, f, code);
      await registry.connect(alice).grant(lab.address, Scope.Category, categoryTarget(Category.Lab), false, 0, WRAPPED);
      await expect(registry.connect(alice).revoke(lab.address, Scope.Category, categoryTarget(Category.Lab)))
        .to.emit(registry, "GrantRevoked")
        .withArgs(alice.address, lab.address, grantIdOf(alice.address, lab.address, Scope.Category, categoryTarget(Category.Lab)), 1);
      await expect(registry.connect(hospital).redeemConsentCode(code, WRAPPED, signature))
        .to.be.revertedWithCustomError(registry, "RecordRegistryStaleKeyEpoch")
        .withArgs(alice.address, 0, 1);
      await expectNotRedeemed(f, code); // the nonce is not spent by a refused code
      expect(await registry.canRead(hospital.address, aliceLab)).to.equal(false);
      const fresh = await makeCode(f); // at epoch 1
      expect(fresh.keyEpoch).to.equal(1n);
      await expect(registry.connect(hospital).redeemConsentCode(fresh, WRAPPED, await signCode(alice, f, fresh)))
        .to.emit(registry, "GrantIssued")
        .withArgs(alice.address, hospital.address, grantIdOf(alice.address, hospital.address, fresh.scope, fresh.target), fresh.scope, fresh.target, false, fresh.expiresAt, 1, WRAPPED);
    });

    it("refuses a code for a grantee that is not an active provider (never admitted, suspended, removed)", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, providers, alice, hospital, outsider, suspendedDoc, removedDoc } = f;
      for (const grantee of [outsider, suspendedDoc, removedDoc]) {
        const code = await makeCode(f, { grantee: grantee.address });
        await expect(registry.connect(grantee).redeemConsentCode(code, WRAPPED, await signCode(alice, f, code)))
          .to.be.revertedWithCustomError(registry, "RecordRegistryProviderNotActive")
          .withArgs(grantee.address);
        await expectNotRedeemed(f, code);
      }
      // Suspended between signing and redeeming.
      const code = await makeCode(f);
      const signature = await signCode(alice, f, code);
      await providers.suspend(hospital.address);
      await expect(registry.connect(hospital).redeemConsentCode(code, WRAPPED, signature))
        .to.be.revertedWithCustomError(registry, "RecordRegistryProviderNotActive")
        .withArgs(hospital.address);
      await expectNotRedeemed(f, code);
      await providers.reinstate(hospital.address);
      await registry.connect(hospital).redeemConsentCode(code, WRAPPED, signature);
    });

    it("applies grant's rules to the signed fields: scope, expiry, wrapped key, registered patient", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, alice, carol, hospital, aliceLab, bobLab } = f;
      const unknown = ethers.id("no such record");
      const cases: [Partial<ConsentCode>, string, unknown[]][] = [
        [{ scope: Scope.Record, target: aliceLab, write: true }, "RecordRegistryInvalidScope", [Scope.Record, aliceLab]],
        [{ scope: Scope.Record, target: bobLab }, "RecordRegistryRecordOfAnotherPatient", [bobLab, alice.address]],
        [{ scope: Scope.Record, target: unknown }, "RecordRegistryUnknownRecord", [unknown]],
        [{ scope: Scope.Category, target: categoryTarget(10) }, "RecordRegistryInvalidScope", [Scope.Category, categoryTarget(10)]],
        [{ scope: Scope.All, target: categoryTarget(1) }, "RecordRegistryInvalidScope", [Scope.All, categoryTarget(1)]],
        [{ scope: Scope.None, target: ZERO32 }, "RecordRegistryInvalidScope", [Scope.None, ZERO32]],
      ];
      for (const [change, error, args] of cases) {
        const code = await makeCode(f, change);
        await expect(registry.connect(hospital).redeemConsentCode(code, WRAPPED, await signCode(alice, f, code)), error)
          .to.be.revertedWithCustomError(registry, error)
          .withArgs(...args);
        await expectNotRedeemed(f, code);
      }
      for (const offset of [-1n, 0n]) {
        const t = BigInt(await time.latest()) + 10n;
        const expiresAt = t + offset; // in the past, or the block's own second
        const code = await makeCode(f, { expiresAt });
        const signature = await signCode(alice, f, code);
        await time.setNextBlockTimestamp(t);
        await expect(registry.connect(hospital).redeemConsentCode(code, WRAPPED, signature, NO_ESTIMATE))
          .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidExpiry")
          .withArgs(expiresAt, t);
        await expectNotRedeemed(f, code);
      }
      const noKey = await makeCode(f, { wrappedKeyHash: ethers.keccak256("0x") });
      await expect(registry.connect(hospital).redeemConsentCode(noKey, "0x", await signCode(alice, f, noKey)))
        .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidWrappedKey")
        .withArgs(0);
      // An unregistered patient's code (signed by her): UnknownPatient.
      const carols = await makeCode(f, { patient: carol.address });
      await expect(registry.connect(hospital).redeemConsentCode(carols, WRAPPED, await signCode(carol, f, carols)))
        .to.be.revertedWithCustomError(registry, "RecordRegistryUnknownPatient")
        .withArgs(carol.address);
    });

    it("distinct nonces are independent; the same grant can be re-issued by a new code", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, alice, hospital } = f;
      const first = await makeCode(f);
      const second = await makeCode(f, { expiresAt: first.expiresAt + 10n * BigInt(DAY) });
      const s1 = await signCode(alice, f, first);
      const s2 = await signCode(alice, f, second);
      await registry.connect(hospital).redeemConsentCode(second, WRAPPED, s2);
      await registry.connect(hospital).redeemConsentCode(first, WRAPPED, s1);
      expect((await registry.getGrant(alice.address, hospital.address, first.scope, first.target)).expiresAt).to.equal(first.expiresAt);
      expect(await registry.consentNonceUsed(alice.address, first.nonce)).to.equal(true);
      expect(await registry.consentNonceUsed(alice.address, second.nonce)).to.equal(true);
    });

    describe("ERC-1271 smart-account patient (contracts/test/TestSmartAccount.sol)", function () {
      async function deployWithSmartAccount() {
        const f = await deployMeridian();
        const account = (await ethers.deployContract("TestSmartAccount", [f.carol.address])) as unknown as SmartAccount;
        const accountAddress = await account.getAddress();
        const key = ethers.id("smart account x25519");
        await expect(
          account.connect(f.carol).execute(f.registryAddress, f.registry.interface.encodeFunctionData("register", [key])),
        ).to.emit(f.registry, "PatientRegistered");
        expect((await f.registry.getPatient(accountAddress)).encryptionKey).to.equal(key);
        const record = await anchorAs(f, account, accountAddress, Category.Lab);
        return { ...f, account, accountAddress, record };
      }

      /** The account anchors its own record through `execute`. */
      async function anchorAs(f: Meridian, account: SmartAccount, accountAddress: string, category: number): Promise<string> {
        const hash = ethers.id(`account record ${category}`);
        const data = f.registry.interface.encodeFunctionData("anchorRecord", [accountAddress, ethers.concat(["0x01551220", hash]), hash, category, 0]);
        const receipt = await mined(account.connect(f.carol).execute(f.registryAddress, data));
        const [ev] = eventsOf(f.registry, receipt, "RecordAnchored");
        if (!ev) throw new Error("no RecordAnchored");
        return ev.args.recordId as string;
      }

      it("redeems a code signed by the account's owner", async function () {
        const f = await loadFixture(deployWithSmartAccount);
        const { registry, account, accountAddress, carol, hospital, record } = f;
        expect(await account.owner()).to.equal(carol.address);
        const code = await makeCode(f, { patient: accountAddress });
        const signature = await signCode(carol, f, code);
        const digest = digestOf(f, code);
        expect(await account.isValidSignature(digest, signature)).to.equal("0x1626ba7e");
        await expect(registry.connect(hospital).redeemConsentCode(code, WRAPPED, signature))
          .to.emit(registry, "ConsentCodeRedeemed")
          .withArgs(accountAddress, hospital.address, grantIdOf(accountAddress, hospital.address, code.scope, code.target), digest, code.nonce);
        expect(await registry.canRead(hospital.address, record)).to.equal(true);
        expect(await registry.consentNonceUsed(accountAddress, code.nonce)).to.equal(true);
      });

      it("refuses a code signed by someone other than the owner, or by the owner for another code", async function () {
        const f = await loadFixture(deployWithSmartAccount);
        const { registry, account, accountAddress, carol, bob, hospital, record } = f;
        const code = await makeCode(f, { patient: accountAddress });
        const wrongOwner = await signCode(bob, f, code);
        expect(await account.isValidSignature(digestOf(f, code), wrongOwner)).to.equal("0xffffffff");
        await expect(registry.connect(hospital).redeemConsentCode(code, WRAPPED, wrongOwner))
          .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidConsentSignature")
          .withArgs(accountAddress);
        const ownerSig = await signCode(carol, f, code);
        await expect(registry.connect(hospital).redeemConsentCode({ ...code, write: true }, WRAPPED, ownerSig))
          .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidConsentSignature")
          .withArgs(accountAddress);
        await expect(registry.connect(hospital).redeemConsentCode(code, WRAPPED, "0x"))
          .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidConsentSignature")
          .withArgs(accountAddress);
        await expectNotRedeemed(f, code);
        expect(await registry.canRead(hospital.address, record)).to.equal(false);
        // Only the owner can act through the account.
        await expect(account.connect(bob).execute(f.registryAddress, registry.interface.encodeFunctionData("cancelConsentCode", [code.nonce])))
          .to.be.revertedWithCustomError(account, "TestSmartAccountNotOwner")
          .withArgs(bob.address);
      });
    });
  });

  // ---------------------------------------------------------------------------- guardians

  describe("guardians", function () {
    it("appoints a guardian at either level, changes its level, and emits GuardianAppointed", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, alice, viewer, sharer } = f;
      await expect(registry.connect(alice).appointGuardian(viewer.address, Level.View, GUARDIAN_BUNDLE))
        .to.emit(registry, "GuardianAppointed")
        .withArgs(alice.address, viewer.address, Level.View, 0, GUARDIAN_BUNDLE);
      await expect(registry.connect(alice).appointGuardian(sharer.address, Level.ShareAndView, WRAPPED))
        .to.emit(registry, "GuardianAppointed")
        .withArgs(alice.address, sharer.address, Level.ShareAndView, 0, WRAPPED);
      expect(await registry.guardianLevel(alice.address, viewer.address)).to.equal(Level.View);
      expect(await registry.guardianLevel(alice.address, sharer.address)).to.equal(Level.ShareAndView);
      expect(await registry.guardianLevel(f.bob.address, sharer.address)).to.equal(Level.None);
      // Re-level, and re-key at the current epoch.
      await registry.connect(alice).appointGuardian(viewer.address, Level.ShareAndView, WRAPPED);
      expect(await registry.guardianLevel(alice.address, viewer.address)).to.equal(Level.ShareAndView);
      await registry.connect(alice).appointGuardian(viewer.address, Level.View, WRAPPED);
      expect(await registry.guardianLevel(alice.address, viewer.address)).to.equal(Level.View);
      expect((await registry.getPatient(alice.address)).keyEpoch).to.equal(0); // appointing does not rotate keys
    });

    it("refuses an unregistered guardian or patient, the patient itself, level None and a bad bundle", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, alice, carol, viewer, hospital } = f;
      await expect(registry.connect(alice).appointGuardian(carol.address, Level.View, WRAPPED))
        .to.be.revertedWithCustomError(registry, "RecordRegistryUnknownPatient")
        .withArgs(carol.address);
      await expect(registry.connect(alice).appointGuardian(hospital.address, Level.View, WRAPPED))
        .to.be.revertedWithCustomError(registry, "RecordRegistryUnknownPatient")
        .withArgs(hospital.address);
      await expect(registry.connect(carol).appointGuardian(viewer.address, Level.View, WRAPPED))
        .to.be.revertedWithCustomError(registry, "RecordRegistryUnknownPatient")
        .withArgs(carol.address);
      for (const level of [Level.View, Level.ShareAndView]) {
        await expect(registry.connect(alice).appointGuardian(alice.address, level, WRAPPED))
          .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidGuardian")
          .withArgs(alice.address, level);
      }
      await expect(registry.connect(alice).appointGuardian(viewer.address, Level.None, WRAPPED))
        .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidGuardian")
        .withArgs(viewer.address, Level.None);
      await expect(registry.connect(alice).appointGuardian(viewer.address, Level.View, "0x"))
        .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidWrappedKey")
        .withArgs(0);
      await expect(registry.connect(alice).appointGuardian(viewer.address, Level.View, ethers.hexlify(new Uint8Array(641).fill(1))))
        .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidWrappedKey")
        .withArgs(641);
      expect(await registry.guardianLevel(alice.address, viewer.address)).to.equal(Level.None);
    });

    it("a VIEW guardian reads all the patient's records (not other patients'), and may not act", async function () {
      const f = await loadFixture(deployWithSummary);
      const { registry, alice, viewer, hospital, lab, aliceLab, aliceCardiac, aliceIps, bobLab } = f;
      const fresh = await anchor(registry, alice, alice.address, Category.Imaging);
      for (const id of [aliceLab, aliceCardiac, aliceIps, fresh]) expect(await registry.canRead(viewer.address, id)).to.equal(true);
      expect(await registry.canRead(viewer.address, bobLab)).to.equal(false);

      const target = categoryTarget(Category.Lab);
      await registry.connect(alice).grant(lab.address, Scope.Category, target, false, 0, WRAPPED);
      await registry.connect(hospital).requestAccess(alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT);
      await registry.connect(hospital).openEmergencyAccess(alice.address, ETREAT, HOUR);
      const refused = (tx: Promise<unknown>) =>
        expect(tx).to.be.revertedWithCustomError(registry, "RecordRegistryNotGuardian").withArgs(alice.address, viewer.address, Level.View, Level.ShareAndView);
      const asViewer = registry.connect(viewer);
      await refused(asViewer.grantAsGuardian(alice.address, hospital.address, Scope.All, ZERO32, false, 0, WRAPPED));
      await refused(asViewer.revokeAsGuardian(alice.address, lab.address, Scope.Category, target));
      await refused(asViewer.approveRequestAsGuardian(alice.address, hospital.address, Scope.All, ZERO32, false, 0, WRAPPED));
      await refused(asViewer.denyRequestAsGuardian(alice.address, hospital.address, Scope.All, ZERO32));
      await refused(asViewer.releaseEmergencyKey(alice.address, hospital.address, WRAPPED));
      // Nothing changed.
      expect(await registry.isGrantActive(alice.address, lab.address, Scope.Category, target)).to.equal(true);
      expect((await registry.getRequest(alice.address, hospital.address, Scope.All, ZERO32)).status).to.equal(1);
      expect((await registry.getGrant(alice.address, hospital.address, Scope.All, ZERO32)).issuedAt).to.equal(0);
    });

    it("nobody else acts as guardian: a stranger, a provider, another patient's guardian", async function () {
      const f = await loadFixture(deployWithGuardians);
      const { registry, alice, bob, sharer, dave, hospital, outsider } = f;
      for (const [patient, caller] of [[alice, dave], [alice, hospital], [alice, outsider], [bob, sharer]] as const) {
        await expect(registry.connect(caller).grantAsGuardian(patient.address, hospital.address, Scope.All, ZERO32, false, 0, WRAPPED))
          .to.be.revertedWithCustomError(registry, "RecordRegistryNotGuardian")
          .withArgs(patient.address, caller.address, Level.None, Level.ShareAndView);
        await expect(registry.connect(caller).releaseEmergencyKey(patient.address, hospital.address, WRAPPED))
          .to.be.revertedWithCustomError(registry, "RecordRegistryNotGuardian")
          .withArgs(patient.address, caller.address, Level.None, Level.ShareAndView);
      }
      expect(await registry.canRead(sharer.address, f.bobLab)).to.equal(false);
      expect(await registry.canRead(dave.address, f.aliceLab)).to.equal(false);
    });

    it("a SHARE AND VIEW guardian grants, revokes, approves and denies for the patient (GuardianActed)", async function () {
      const f = await loadFixture(deployWithGuardians);
      const { registry, alice, sharer, hospital, lab, clinic, aliceLab, aliceCardiac } = f;
      const asSharer = registry.connect(sharer);
      for (const id of [aliceLab, aliceCardiac]) expect(await registry.canRead(sharer.address, id)).to.equal(true);

      // grantAsGuardian
      const target = categoryTarget(Category.Cardiac);
      const grantId = grantIdOf(alice.address, hospital.address, Scope.Category, target);
      const expiresAt = (await time.latest()) + 7 * DAY;
      expect(await asSharer.grantAsGuardian.staticCall(alice.address, hospital.address, Scope.Category, target, true, expiresAt, WRAPPED)).to.equal(grantId);
      const granted = asSharer.grantAsGuardian(alice.address, hospital.address, Scope.Category, target, true, expiresAt, WRAPPED);
      await expect(granted)
        .to.emit(registry, "GrantIssued")
        .withArgs(alice.address, hospital.address, grantId, Scope.Category, target, true, expiresAt, 0, WRAPPED);
      await expect(granted)
        .to.emit(registry, "GuardianActed")
        .withArgs(alice.address, sharer.address, selectorOf(registry, "grantAsGuardian"), grantId);
      expect(await registry.canRead(hospital.address, aliceCardiac)).to.equal(true);
      expect(await registry.canWrite(hospital.address, alice.address, Category.Cardiac)).to.equal(true);

      // revokeAsGuardian: the category grant's revocation advances alice's epoch
      const revoked = asSharer.revokeAsGuardian(alice.address, hospital.address, Scope.Category, target);
      await expect(revoked).to.emit(registry, "GrantRevoked").withArgs(alice.address, hospital.address, grantId, 1);
      await expect(revoked)
        .to.emit(registry, "GuardianActed")
        .withArgs(alice.address, sharer.address, selectorOf(registry, "revokeAsGuardian"), grantId);
      expect(await registry.canRead(hospital.address, aliceCardiac)).to.equal(false);
      expect((await registry.getPatient(alice.address)).keyEpoch).to.equal(1);

      // approveRequestAsGuardian
      await registry.connect(lab).requestAccess(alice.address, Scope.Record, aliceLab, false, DAY, PURPOSE_TREAT);
      const requestId = requestIdOf(alice.address, lab.address, Scope.Record, aliceLab);
      const labGrant = grantIdOf(alice.address, lab.address, Scope.Record, aliceLab);
      const approved = asSharer.approveRequestAsGuardian(alice.address, lab.address, Scope.Record, aliceLab, false, 0, WRAPPED);
      await expect(approved).to.emit(registry, "AccessRequestApproved").withArgs(alice.address, lab.address, requestId);
      await expect(approved)
        .to.emit(registry, "GrantIssued")
        .withArgs(alice.address, lab.address, labGrant, Scope.Record, aliceLab, false, 0, 1, WRAPPED);
      await expect(approved)
        .to.emit(registry, "GuardianActed")
        .withArgs(alice.address, sharer.address, selectorOf(registry, "approveRequestAsGuardian"), requestId);
      expect(await registry.canRead(lab.address, aliceLab)).to.equal(true);
      expect((await registry.getRequest(alice.address, lab.address, Scope.Record, aliceLab)).status).to.equal(0);

      // denyRequestAsGuardian
      await registry.connect(clinic).requestAccess(alice.address, Scope.All, ZERO32, true, 0, PURPOSE_TREAT);
      const clinicRequest = requestIdOf(alice.address, clinic.address, Scope.All, ZERO32);
      const denied = asSharer.denyRequestAsGuardian(alice.address, clinic.address, Scope.All, ZERO32);
      await expect(denied).to.emit(registry, "AccessRequestDenied").withArgs(alice.address, clinic.address, clinicRequest);
      await expect(denied)
        .to.emit(registry, "GuardianActed")
        .withArgs(alice.address, sharer.address, selectorOf(registry, "denyRequestAsGuardian"), clinicRequest);
      expect((await registry.getRequest(alice.address, clinic.address, Scope.All, ZERO32)).status).to.equal(0);
      expect(await registry.canRead(clinic.address, aliceLab)).to.equal(false);
    });

    it("a SHARE AND VIEW guardian is held to the patient's rules (inactive provider, no pending request, write not asked)", async function () {
      const f = await loadFixture(deployWithGuardians);
      const { registry, alice, sharer, hospital, suspendedDoc, lab } = f;
      const asSharer = registry.connect(sharer);
      await expect(asSharer.grantAsGuardian(alice.address, suspendedDoc.address, Scope.All, ZERO32, false, 0, WRAPPED))
        .to.be.revertedWithCustomError(registry, "RecordRegistryProviderNotActive")
        .withArgs(suspendedDoc.address);
      await expect(asSharer.revokeAsGuardian(alice.address, hospital.address, Scope.All, ZERO32))
        .to.be.revertedWithCustomError(registry, "RecordRegistryGrantNotActive")
        .withArgs(grantIdOf(alice.address, hospital.address, Scope.All, ZERO32));
      const requestId = requestIdOf(alice.address, lab.address, Scope.All, ZERO32);
      await expect(asSharer.denyRequestAsGuardian(alice.address, lab.address, Scope.All, ZERO32))
        .to.be.revertedWithCustomError(registry, "RecordRegistryRequestNotPending")
        .withArgs(requestId, 0);
      await registry.connect(lab).requestAccess(alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT);
      await expect(asSharer.approveRequestAsGuardian(alice.address, lab.address, Scope.All, ZERO32, true, 0, WRAPPED))
        .to.be.revertedWithCustomError(registry, "RecordRegistryWriteNotRequested")
        .withArgs(requestId);
    });

    for (const how of ["removed by the patient", "stepped down"] as const) {
      it(`a guardian ${how} can do nothing, loses canRead, and the key epoch advances (GuardianRemoved)`, async function () {
        const f = await loadFixture(deployWithSummary);
        const { registry, alice, sharer, viewer, hospital, lab, aliceLab, aliceCardiac, aliceIps } = f;
        await registry.connect(alice).grant(lab.address, Scope.Category, categoryTarget(Category.Lab), false, 0, WRAPPED);
        await registry.connect(hospital).requestAccess(alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT);
        await registry.connect(hospital).openEmergencyAccess(alice.address, ETREAT, HOUR);
        const code = await makeCode(f); // signed at epoch 0, before the removal
        const signature = await signCode(alice, f, code);

        for (const [guardian, byGuardian] of [[sharer, how === "stepped down"], [viewer, how === "stepped down"]] as const) {
          const epoch = (await registry.getPatient(alice.address)).keyEpoch;
          const tx = byGuardian
            ? registry.connect(guardian).stepDownAsGuardian(alice.address)
            : registry.connect(alice).removeGuardian(guardian.address);
          await expect(tx)
            .to.emit(registry, "GuardianRemoved")
            .withArgs(alice.address, guardian.address, byGuardian, epoch + 1n);
          expect((await registry.getPatient(alice.address)).keyEpoch).to.equal(epoch + 1n);
          expect(await registry.guardianLevel(alice.address, guardian.address)).to.equal(Level.None);
          for (const id of [aliceLab, aliceCardiac, aliceIps]) expect(await registry.canRead(guardian.address, id)).to.equal(false);
          const asOld = registry.connect(guardian);
          const notGuardian = (tx2: Promise<unknown>) =>
            expect(tx2).to.be.revertedWithCustomError(registry, "RecordRegistryNotGuardian").withArgs(alice.address, guardian.address, Level.None, Level.ShareAndView);
          await notGuardian(asOld.grantAsGuardian(alice.address, hospital.address, Scope.All, ZERO32, false, 0, WRAPPED));
          await notGuardian(asOld.revokeAsGuardian(alice.address, lab.address, Scope.Category, categoryTarget(Category.Lab)));
          await notGuardian(asOld.approveRequestAsGuardian(alice.address, hospital.address, Scope.All, ZERO32, false, 0, WRAPPED));
          await notGuardian(asOld.denyRequestAsGuardian(alice.address, hospital.address, Scope.All, ZERO32));
          await notGuardian(asOld.releaseEmergencyKey(alice.address, hospital.address, WRAPPED));
          await expect(asOld.closeEmergencyAccess(alice.address, hospital.address))
            .to.be.revertedWithCustomError(registry, "RecordRegistryEmergencyCloseNotPermitted")
            .withArgs(alice.address, hospital.address, guardian.address);
          // Removing or stepping down again: not a guardian (required: VIEW).
          await expect(registry.connect(alice).removeGuardian(guardian.address))
            .to.be.revertedWithCustomError(registry, "RecordRegistryNotGuardian")
            .withArgs(alice.address, guardian.address, Level.None, Level.View);
          await expect(asOld.stepDownAsGuardian(alice.address))
            .to.be.revertedWithCustomError(registry, "RecordRegistryNotGuardian")
            .withArgs(alice.address, guardian.address, Level.None, Level.View);
        }
        expect((await registry.getPatient(alice.address)).keyEpoch).to.equal(2);
        // What the removal rotated away from: a code signed at the old epoch is stale.
        await expect(registry.connect(hospital).redeemConsentCode(code, WRAPPED, signature))
          .to.be.revertedWithCustomError(registry, "RecordRegistryStaleKeyEpoch")
          .withArgs(alice.address, 0, 2);
        // The lab's grant and the pending request are untouched.
        expect(await registry.isGrantActive(alice.address, lab.address, Scope.Category, categoryTarget(Category.Lab))).to.equal(true);
        expect((await registry.getRequest(alice.address, hospital.address, Scope.All, ZERO32)).status).to.equal(1);
      });
    }

    it("removing or stepping down from a non-guardian is refused (RecordRegistryNotGuardian, required VIEW)", async function () {
      const f = await loadFixture(deployWithGuardians);
      const { registry, alice, bob, dave } = f;
      await expect(registry.connect(alice).removeGuardian(dave.address))
        .to.be.revertedWithCustomError(registry, "RecordRegistryNotGuardian")
        .withArgs(alice.address, dave.address, Level.None, Level.View);
      await expect(registry.connect(dave).stepDownAsGuardian(bob.address))
        .to.be.revertedWithCustomError(registry, "RecordRegistryNotGuardian")
        .withArgs(bob.address, dave.address, Level.None, Level.View);
      expect((await registry.getPatient(alice.address)).keyEpoch).to.equal(0);
    });
  });

  // --------------------------------------------------------------------- emergency access

  describe("emergency access", function () {
    describe("setEmergencySummary", function () {
      it("names one of the patient's records; zero clears it", async function () {
        const f = await loadFixture(deployMeridian);
        const { registry, alice, hospital, aliceIps } = f;
        expect(await registry.emergencySummaryOf(alice.address)).to.equal(ZERO32);
        await expect(registry.connect(alice).setEmergencySummary(aliceIps))
          .to.emit(registry, "EmergencySummarySet")
          .withArgs(alice.address, aliceIps);
        expect(await registry.emergencySummaryOf(alice.address)).to.equal(aliceIps);
        await expect(registry.connect(alice).setEmergencySummary(ZERO32))
          .to.emit(registry, "EmergencySummarySet")
          .withArgs(alice.address, ZERO32);
        expect(await registry.emergencySummaryOf(alice.address)).to.equal(ZERO32);
        await expect(registry.connect(hospital).openEmergencyAccess(alice.address, ETREAT, HOUR))
          .to.be.revertedWithCustomError(registry, "RecordRegistryNoEmergencySummary")
          .withArgs(alice.address);
      });

      it("refuses an unknown record, another patient's record, and an unregistered caller", async function () {
        const f = await loadFixture(deployMeridian);
        const { registry, alice, carol, bobLab } = f;
        const unknown = ethers.id("no such record");
        await expect(registry.connect(alice).setEmergencySummary(unknown))
          .to.be.revertedWithCustomError(registry, "RecordRegistryUnknownRecord")
          .withArgs(unknown);
        await expect(registry.connect(alice).setEmergencySummary(bobLab))
          .to.be.revertedWithCustomError(registry, "RecordRegistryRecordOfAnotherPatient")
          .withArgs(bobLab, alice.address);
        await expect(registry.connect(carol).setEmergencySummary(ZERO32))
          .to.be.revertedWithCustomError(registry, "RecordRegistryUnknownPatient")
          .withArgs(carol.address);
        expect(await registry.emergencySummaryOf(alice.address)).to.equal(ZERO32);
      });
    });

    describe("openEmergencyAccess", function () {
      it("opens for 1 s up to 24 h and emits EmergencyAccessOpened", async function () {
        const f = await loadFixture(deployWithSummary);
        const { registry, alice, hospital, lab, aliceIps } = f;
        for (const [provider, duration] of [[hospital, DAY], [lab, 1]] as const) {
          const t = (await time.latest()) + 5;
          await time.setNextBlockTimestamp(t);
          await expect(registry.connect(provider).openEmergencyAccess(alice.address, ETREAT, duration, NO_ESTIMATE))
            .to.emit(registry, "EmergencyAccessOpened")
            .withArgs(alice.address, provider.address, ETREAT, aliceIps, t + duration);
          const e = await registry.getEmergencyAccess(alice.address, provider.address);
          expect(e.openedAt).to.equal(t);
          expect(e.expiresAt).to.equal(t + duration);
        }
      });

      it("refuses an unadmitted, suspended or removed provider (RecordRegistryProviderNotActive)", async function () {
        const f = await loadFixture(deployWithSummary);
        const { registry, alice, outsider, suspendedDoc, removedDoc, bob } = f;
        for (const caller of [outsider, suspendedDoc, removedDoc, alice, bob]) {
          await expect(registry.connect(caller).openEmergencyAccess(alice.address, ETREAT, HOUR))
            .to.be.revertedWithCustomError(registry, "RecordRegistryProviderNotActive")
            .withArgs(caller.address);
        }
      });

      it("refuses the regulator by its role (RecordRegistryRegulatorNotAllowed), and the regulator cannot be admitted as a provider", async function () {
        const f = await loadFixture(deployWithSummary);
        const { registry, providers, regulator, alice } = f;
        await expect(registry.connect(regulator).openEmergencyAccess(alice.address, ETREAT, HOUR))
          .to.be.revertedWithCustomError(registry, "RecordRegistryRegulatorNotAllowed")
          .withArgs(regulator.address);
        // nor can it become a provider to get around that: the registry refuses to admit it
        await expect(providers.admit(regulator.address, Kind.Hospital, "Ministry Hospital", ""))
          .to.be.revertedWithCustomError(providers, "ProviderRegistryRegulatorCannotBeProvider")
          .withArgs(regulator.address);
        expect(await providers.isActive(regulator.address)).to.equal(false);
        expect((await registry.getEmergencyAccess(alice.address, regulator.address)).openedAt).to.equal(0);
        expect(await registry.canRead(regulator.address, f.aliceIps)).to.equal(false);
      });

      it("refuses no reason, a duration of 0 or above 24 h, an unregistered patient or one without a summary", async function () {
        const f = await loadFixture(deployWithSummary);
        const { registry, hospital, alice, bob, carol } = f;
        const asHospital = registry.connect(hospital);
        await expect(asHospital.openEmergencyAccess(alice.address, ZERO32, HOUR)).to.be.revertedWithCustomError(
          registry,
          "RecordRegistryEmergencyReasonRequired",
        );
        for (const duration of [0, DAY + 1, 2 ** 40 - 1]) {
          await expect(asHospital.openEmergencyAccess(alice.address, ETREAT, duration))
            .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidEmergencyDuration")
            .withArgs(duration);
        }
        await expect(asHospital.openEmergencyAccess(carol.address, ETREAT, HOUR))
          .to.be.revertedWithCustomError(registry, "RecordRegistryUnknownPatient")
          .withArgs(carol.address);
        await expect(asHospital.openEmergencyAccess(bob.address, ETREAT, HOUR))
          .to.be.revertedWithCustomError(registry, "RecordRegistryNoEmergencySummary")
          .withArgs(bob.address);
        expect((await registry.getEmergencyAccess(alice.address, hospital.address)).openedAt).to.equal(0);
      });

      it("refuses a second opening while one is open for the same pair; reopens after the time box or a close", async function () {
        const f = await loadFixture(deployWithSummary);
        const { registry, alice, hospital, lab } = f;
        await registry.connect(hospital).openEmergencyAccess(alice.address, ETREAT, HOUR);
        const { expiresAt } = await registry.getEmergencyAccess(alice.address, hospital.address);
        await expect(registry.connect(hospital).openEmergencyAccess(alice.address, ETREAT, DAY))
          .to.be.revertedWithCustomError(registry, "RecordRegistryEmergencyAccessActive")
          .withArgs(alice.address, hospital.address, expiresAt);
        await registry.connect(lab).openEmergencyAccess(alice.address, ETREAT, HOUR); // another provider is another pair
        await time.increaseTo(expiresAt);
        await expect(registry.connect(hospital).openEmergencyAccess(alice.address, ETREAT, HOUR)).to.emit(registry, "EmergencyAccessOpened");
        await registry.connect(hospital).closeEmergencyAccess(alice.address, hospital.address);
        await expect(registry.connect(hospital).openEmergencyAccess(alice.address, ETREAT, HOUR)).to.emit(registry, "EmergencyAccessOpened");
      });
    });

    describe("canRead under emergency access", function () {
      it("the provider reads the summary only, only while open: not after the time box", async function () {
        const f = await loadFixture(deployWithSummary);
        const { registry, alice, hospital, lab, aliceIps, aliceLab, aliceCardiac, bobLab } = f;
        expect(await registry.canRead(hospital.address, aliceIps)).to.equal(false);
        await registry.connect(hospital).openEmergencyAccess(alice.address, ETREAT, HOUR);
        const { expiresAt } = await registry.getEmergencyAccess(alice.address, hospital.address);
        expect(await registry.canRead(hospital.address, aliceIps)).to.equal(true);
        for (const id of [aliceLab, aliceCardiac, bobLab]) expect(await registry.canRead(hospital.address, id)).to.equal(false);
        expect(await registry.canRead(lab.address, aliceIps)).to.equal(false); // only the provider that opened it
        await time.increaseTo(expiresAt - 1n);
        expect(await registry.canRead(hospital.address, aliceIps)).to.equal(true);
        await time.increaseTo(expiresAt);
        expect(await registry.canRead(hospital.address, aliceIps)).to.equal(false);
      });

      it("not after a close, and not while the provider is suspended", async function () {
        const f = await loadFixture(deployWithSummary);
        const { registry, providers, alice, hospital, lab, aliceIps } = f;
        await registry.connect(hospital).openEmergencyAccess(alice.address, ETREAT, HOUR);
        await registry.connect(lab).openEmergencyAccess(alice.address, ETREAT, HOUR);
        await registry.connect(alice).closeEmergencyAccess(alice.address, hospital.address);
        expect(await registry.canRead(hospital.address, aliceIps)).to.equal(false);
        expect(await registry.canRead(lab.address, aliceIps)).to.equal(true);
        await providers.suspend(lab.address);
        expect(await registry.canRead(lab.address, aliceIps)).to.equal(false);
        await expect(registry.connect(alice).releaseEmergencyKey(alice.address, lab.address, WRAPPED))
          .to.be.revertedWithCustomError(registry, "RecordRegistryEmergencyAccessNotActive")
          .withArgs(alice.address, lab.address);
      });

      it("follows the summary the patient names now (a new summary is readable, the old one is not)", async function () {
        const f = await loadFixture(deployWithSummary);
        const { registry, alice, hospital, aliceIps, aliceCardiac } = f;
        await registry.connect(hospital).openEmergencyAccess(alice.address, ETREAT, HOUR);
        await registry.connect(alice).setEmergencySummary(aliceCardiac);
        expect(await registry.canRead(hospital.address, aliceCardiac)).to.equal(true);
        expect(await registry.canRead(hospital.address, aliceIps)).to.equal(false);
        await registry.connect(alice).setEmergencySummary(ZERO32);
        expect(await registry.canRead(hospital.address, aliceCardiac)).to.equal(false);
        await expect(registry.connect(alice).releaseEmergencyKey(alice.address, hospital.address, WRAPPED))
          .to.be.revertedWithCustomError(registry, "RecordRegistryNoEmergencySummary")
          .withArgs(alice.address);
      });
    });

    describe("releaseEmergencyKey", function () {
      it("the patient releases the key while access is open (EmergencyKeyReleased, no GuardianActed)", async function () {
        const f = await loadFixture(deployWithSummary);
        const { registry, alice, hospital, aliceIps } = f;
        await registry.connect(hospital).openEmergencyAccess(alice.address, ETREAT, HOUR);
        const tx = registry.connect(alice).releaseEmergencyKey(alice.address, hospital.address, WRAPPED);
        await expect(tx)
          .to.emit(registry, "EmergencyKeyReleased")
          .withArgs(alice.address, hospital.address, alice.address, aliceIps, WRAPPED);
        await expect(tx).to.not.emit(registry, "GuardianActed");
      });

      it("a SHARE AND VIEW guardian releases it (EmergencyKeyReleased and GuardianActed with the access id)", async function () {
        const f = await loadFixture(deployWithSummary);
        const { registry, alice, sharer, hospital, aliceIps } = f;
        await registry.connect(hospital).openEmergencyAccess(alice.address, ETREAT, HOUR);
        const tx = registry.connect(sharer).releaseEmergencyKey(alice.address, hospital.address, WRAPPED);
        await expect(tx)
          .to.emit(registry, "EmergencyKeyReleased")
          .withArgs(alice.address, hospital.address, sharer.address, aliceIps, WRAPPED);
        await expect(tx)
          .to.emit(registry, "GuardianActed")
          .withArgs(alice.address, sharer.address, selectorOf(registry, "releaseEmergencyKey"), emergencyAccessIdOf(alice.address, hospital.address));
      });

      it("refuses before opening, after the time box, after a close; refuses the provider itself and a bad key", async function () {
        const f = await loadFixture(deployWithSummary);
        const { registry, alice, sharer, hospital, lab } = f;
        const notActive = async (caller: Signer, provider: string) =>
          expect(registry.connect(caller).releaseEmergencyKey(alice.address, provider, WRAPPED))
            .to.be.revertedWithCustomError(registry, "RecordRegistryEmergencyAccessNotActive")
            .withArgs(alice.address, provider);
        await notActive(alice, hospital.address); // never opened
        await notActive(sharer, hospital.address);
        await registry.connect(hospital).openEmergencyAccess(alice.address, ETREAT, HOUR);
        await expect(registry.connect(hospital).releaseEmergencyKey(alice.address, hospital.address, WRAPPED))
          .to.be.revertedWithCustomError(registry, "RecordRegistryNotGuardian")
          .withArgs(alice.address, hospital.address, Level.None, Level.ShareAndView);
        await expect(registry.connect(alice).releaseEmergencyKey(alice.address, hospital.address, "0x"))
          .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidWrappedKey")
          .withArgs(0);
        const { expiresAt } = await registry.getEmergencyAccess(alice.address, hospital.address);
        await time.increaseTo(expiresAt - 1n); // the next block is at expiresAt: past the time box
        await notActive(alice, hospital.address);
        await notActive(sharer, hospital.address);
        // After a close.
        await registry.connect(lab).openEmergencyAccess(alice.address, ETREAT, HOUR);
        await registry.connect(lab).closeEmergencyAccess(alice.address, lab.address);
        await notActive(alice, lab.address);
        await notActive(sharer, lab.address);
      });

      it("EmergencyAccessOpened is on chain before any EmergencyKeyReleased, even in the same block", async function () {
        const f = await loadFixture(deployWithSummary);
        const { registry, alice, sharer, dave, hospital, lab, registryAddress } = f;
        // Senders differ, so the block orders them by tip alone (not by one sender's nonces).
        await registry.connect(alice).appointGuardian(dave.address, Level.ShareAndView, WRAPPED);
        await ethers.provider.send("evm_setAutomine", [false]);
        try {
          // Same block: opening first (higher tip), then the patient's and the guardian's releases.
          const gwei = 10n ** 9n;
          const tip = (n: bigint) => ({ gasLimit: 300_000, maxFeePerGas: 100n * gwei, maxPriorityFeePerGas: n * gwei });
          const open = await registry.connect(hospital).openEmergencyAccess(alice.address, ETREAT, HOUR, tip(3n));
          const r1 = await registry.connect(alice).releaseEmergencyKey(alice.address, hospital.address, WRAPPED, tip(2n));
          const r2 = await registry.connect(sharer).releaseEmergencyKey(alice.address, hospital.address, WRAPPED, tip(1n));
          // And a release ordered before its opening (higher tip) fails: the key cannot come first.
          const early = await registry.connect(dave).releaseEmergencyKey(alice.address, lab.address, WRAPPED, tip(5n));
          const lateOpen = await registry.connect(lab).openEmergencyAccess(alice.address, ETREAT, HOUR, tip(4n));
          await networkHelpers.mine();
          const receipts = await Promise.all([open, r1, r2, early, lateOpen].map((t) => ethers.provider.getTransactionReceipt(t.hash)));
          const [openR, r1R, r2R, earlyR, lateOpenR] = receipts;
          if (!openR || !r1R || !r2R || !earlyR || !lateOpenR) throw new Error("missing receipts");
          expect(new Set(receipts.map((r) => r?.blockNumber)).size).to.equal(1);
          expect(openR.status).to.equal(1);
          expect(r1R.status).to.equal(1);
          expect(r2R.status).to.equal(1);
          expect(openR.index).to.be.lessThan(r1R.index);
          expect(r1R.index).to.be.lessThan(r2R.index);
          expect(earlyR.index).to.be.lessThan(lateOpenR.index);
          expect(earlyR.status).to.equal(0);
          expect(lateOpenR.status).to.equal(1);
          // The block's log, in order, for the hospital's access.
          const logs = await ethers.provider.getLogs({ address: registryAddress, fromBlock: openR.blockNumber, toBlock: openR.blockNumber });
          const names = logs
            .map((l) => registry.interface.parseLog(l))
            .filter((p) => p?.name.startsWith("Emergency") && p.args.provider === hospital.address)
            .map((p) => p?.name);
          expect(names).to.deep.equal(["EmergencyAccessOpened", "EmergencyKeyReleased", "EmergencyKeyReleased"]);
          const allNames = logs.map((l) => registry.interface.parseLog(l)?.name);
          expect(allNames.indexOf("EmergencyAccessOpened")).to.be.lessThan(allNames.indexOf("EmergencyKeyReleased"));
        } finally {
          await ethers.provider.send("evm_setAutomine", [true]);
        }
      });
    });

    describe("closeEmergencyAccess", function () {
      it("the patient, a guardian (either level) or the provider closes it (EmergencyAccessClosed)", async function () {
        const f = await loadFixture(deployWithSummary);
        const { registry, alice, viewer, sharer, hospital, aliceIps } = f;
        for (const closer of [alice, viewer, sharer, hospital]) {
          await registry.connect(hospital).openEmergencyAccess(alice.address, ETREAT, HOUR);
          const t = (await time.latest()) + 7;
          await time.setNextBlockTimestamp(t);
          await expect(registry.connect(closer).closeEmergencyAccess(alice.address, hospital.address, NO_ESTIMATE))
            .to.emit(registry, "EmergencyAccessClosed")
            .withArgs(alice.address, hospital.address, closer.address);
          expect((await registry.getEmergencyAccess(alice.address, hospital.address)).expiresAt).to.equal(t);
          expect(await registry.canRead(hospital.address, aliceIps)).to.equal(false);
        }
      });

      it("refuses strangers, other providers, other patients' guardians; refuses closing what is not open", async function () {
        const f = await loadFixture(deployWithSummary);
        const { registry, alice, bob, dave, hospital, lab, outsider, regulator, aliceIps } = f;
        await registry.connect(bob).appointGuardian(dave.address, Level.ShareAndView, WRAPPED); // bob's guardian, not alice's
        await registry.connect(hospital).openEmergencyAccess(alice.address, ETREAT, HOUR);
        for (const caller of [outsider, lab, bob, dave, regulator]) {
          await expect(registry.connect(caller).closeEmergencyAccess(alice.address, hospital.address))
            .to.be.revertedWithCustomError(registry, "RecordRegistryEmergencyCloseNotPermitted")
            .withArgs(alice.address, hospital.address, caller.address);
        }
        expect(await registry.canRead(hospital.address, aliceIps)).to.equal(true);
        await expect(registry.connect(alice).closeEmergencyAccess(alice.address, lab.address))
          .to.be.revertedWithCustomError(registry, "RecordRegistryEmergencyAccessNotActive")
          .withArgs(alice.address, lab.address);
        const { expiresAt } = await registry.getEmergencyAccess(alice.address, hospital.address);
        await time.increaseTo(expiresAt);
        await expect(registry.connect(hospital).closeEmergencyAccess(alice.address, hospital.address))
          .to.be.revertedWithCustomError(registry, "RecordRegistryEmergencyAccessNotActive")
          .withArgs(alice.address, hospital.address);
      });
    });
  });

  // ---------------------------------------------------------------------------- regulator

  describe("the regulator", function () {
    it("no function gives the regulator (REGULATOR_ROLE, not admitted) read access", async function () {
      const f = await loadFixture(deployWithSummary);
      const { registry, providers, peerValidation, regulator, alice, hospital, aliceLab, aliceCardiac, aliceIps, bobLab } = f;
      expect(await providers.hasRole(await providers.REGULATOR_ROLE(), regulator.address)).to.equal(true);
      expect(await providers.isActive(regulator.address)).to.equal(false);
      const ids = [aliceLab, aliceCardiac, aliceIps, bobLab];
      const noneReadable = async () => {
        for (const id of ids) {
          expect(await registry.canRead(regulator.address, id)).to.equal(false);
          expect(await peerValidation.isValidator(id, regulator.address)).to.equal(false);
        }
      };
      await noneReadable();
      // Every route to read access is closed to it.
      await expect(registry.connect(alice).grant(regulator.address, Scope.All, ZERO32, false, 0, WRAPPED))
        .to.be.revertedWithCustomError(registry, "RecordRegistryProviderNotActive")
        .withArgs(regulator.address);
      await expect(registry.connect(f.sharer).grantAsGuardian(alice.address, regulator.address, Scope.All, ZERO32, false, 0, WRAPPED))
        .to.be.revertedWithCustomError(registry, "RecordRegistryProviderNotActive")
        .withArgs(regulator.address);
      const code = await makeCode(f, { grantee: regulator.address, scope: Scope.All, target: ZERO32 });
      await expect(registry.connect(regulator).redeemConsentCode(code, WRAPPED, await signCode(alice, f, code)))
        .to.be.revertedWithCustomError(registry, "RecordRegistryProviderNotActive")
        .withArgs(regulator.address);
      await expect(registry.connect(regulator).requestAccess(alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT))
        .to.be.revertedWithCustomError(registry, "RecordRegistryProviderNotActive")
        .withArgs(regulator.address);
      await expect(registry.connect(regulator).openEmergencyAccess(alice.address, ETREAT, HOUR))
        .to.be.revertedWithCustomError(registry, "RecordRegistryRegulatorNotAllowed")
        .withArgs(regulator.address);
      await expect(registry.connect(alice).appointGuardian(regulator.address, Level.View, WRAPPED))
        .to.be.revertedWithCustomError(registry, "RecordRegistryUnknownPatient")
        .withArgs(regulator.address);
      await expect(registry.connect(regulator).releaseEmergencyKey(alice.address, regulator.address, WRAPPED))
        .to.be.revertedWithCustomError(registry, "RecordRegistryNotGuardian")
        .withArgs(alice.address, regulator.address, Level.None, Level.ShareAndView);
      // Others' access, suspensions and reinstatements change nothing for it.
      await registry.connect(alice).grant(hospital.address, Scope.All, ZERO32, false, 0, WRAPPED);
      await registry.connect(hospital).openEmergencyAccess(alice.address, ETREAT, HOUR);
      await providers.suspend(hospital.address);
      await providers.reinstate(hospital.address);
      await noneReadable();
      expect(await registry.canRead(hospital.address, aliceLab)).to.equal(true);
    });
  });

  // ---------------------------------------------------------------------------------- gas

  describe("gas", function () {
    it("prints the gas of the consent, guardian and emergency operations", async function () {
      const f = await loadFixture(deployWithSummary);
      const { registry, alice, sharer, hospital, lab, clinic, dave } = f;
      const gas: Record<string, bigint> = {};
      const code = await makeCode(f);
      gas["redeemConsentCode (category, EOA)"] = (await mined(registry.connect(hospital).redeemConsentCode(code, WRAPPED, await signCode(alice, f, code)))).gasUsed;
      gas["appointGuardian (new, 336-byte bundle)"] = (await mined(registry.connect(alice).appointGuardian(dave.address, Level.ShareAndView, GUARDIAN_BUNDLE))).gasUsed;
      gas["grantAsGuardian (category)"] = (await mined(registry.connect(sharer).grantAsGuardian(alice.address, lab.address, Scope.Category, categoryTarget(Category.Cardiac), false, 0, WRAPPED))).gasUsed;
      await registry.connect(clinic).requestAccess(alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT);
      gas["approveRequestAsGuardian (all)"] = (await mined(registry.connect(sharer).approveRequestAsGuardian(alice.address, clinic.address, Scope.All, ZERO32, false, 0, WRAPPED))).gasUsed;
      gas["openEmergencyAccess"] = (await mined(registry.connect(hospital).openEmergencyAccess(alice.address, ETREAT, HOUR))).gasUsed;
      gas["releaseEmergencyKey (patient)"] = (await mined(registry.connect(alice).releaseEmergencyKey(alice.address, hospital.address, WRAPPED))).gasUsed;
      gas["releaseEmergencyKey (guardian)"] = (await mined(registry.connect(sharer).releaseEmergencyKey(alice.address, hospital.address, WRAPPED))).gasUsed;
      gas["closeEmergencyAccess (provider)"] = (await mined(registry.connect(hospital).closeEmergencyAccess(alice.address, hospital.address))).gasUsed;
      console.log("      gas used (80-byte wrapped keys):");
      for (const [name, used] of Object.entries(gas)) console.log(`        ${name.padEnd(42)} ${used.toLocaleString("en-US")}`);
      for (const used of Object.values(gas)) expect(used < 200_000n).to.equal(true);
    });
  });
});
