/**
 * RecordRegistry: patients, hash-chained record anchors, scoped grants with key epochs, access
 * requests, and the provider-status checks it makes through ProviderRegistry.
 *
 * Reverts are asserted by custom error and arguments, events by name and arguments. Ids (record,
 * grant, request, genesis head) are recomputed here from their documented formulas, not only
 * through the contract's own helper views.
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
import { RecordCategory } from "@meridian/sdk";

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
  | "providerRegistry"
  | "register"
  | "rotateEncryptionKey"
  | "anchorRecord"
  | "grant"
  | "revoke"
  | "requestAccess"
  | "approveRequest"
  | "denyRequest"
  | "canRead"
  | "canWrite"
  | "isGrantActive"
  | "getPatient"
  | "getRecord"
  | "getGrant"
  | "getRequest"
  | "computeRecordId"
>;
type ProviderRegistry = Typed<"admit" | "suspend" | "reinstate" | "remove" | "setEncryptionKey" | "isActive">;

/** `IRecordRegistry.Category`. */
const Category = {
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
const Scope = { None: 0, Record: 1, Category: 2, All: 3 } as const;
/** `IRecordRegistry.RequestStatus`. */
const RequestStatus = { None: 0, Pending: 1 } as const;
/** `IProviderRegistry.ProviderKind`. */
const Kind = { Hospital: 1, Clinic: 2, Lab: 3, Practitioner: 4 } as const;

const ZERO32 = ethers.ZeroHash;
/** A wrapped key as HPKE produces it for a 32-byte key: enc (32) + ciphertext (32) + tag (16). */
const WRAPPED = ethers.hexlify(new Uint8Array(80).fill(0xab));
const PURPOSE_TREAT = ethers.encodeBytes32String("TREAT");
const DAY = 86_400;

/** The target of a category scope: `bytes32(uint256(category))`. */
function categoryTarget(category: number): string {
  return ethers.toBeHex(category, 32);
}

/** `bytes28(x)`, as a 0x-prefixed 28-byte hex string. */
function bytes28(x: string): string {
  return ethers.dataSlice(x, 0, 28);
}

/** 32 bytes derived from `seed` with no zero byte, so calldata costs do not vary between calls. */
function nonZeroBytes32(seed: string): string {
  const bytes = ethers.getBytes(ethers.id(seed));
  return ethers.hexlify(bytes.map((b) => (b === 0 ? 1 : b)));
}

/** Intrinsic calldata gas of a transaction (EIP-2028: 4 per zero byte, 16 per non-zero byte). */
function calldataGas(data: string): bigint {
  let gas = 0n;
  for (const b of ethers.getBytes(data)) gas += b === 0 ? 4n : 16n;
  return gas;
}

async function deployMeridian() {
  const signers = await ethers.getSigners();
  const [regulator, hospital, lab, clinic, alice, bob, carol, outsider, suspendedDoc, removedDoc] = signers;
  if (!regulator || !hospital || !lab || !clinic || !alice || !bob || !carol || !outsider || !suspendedDoc || !removedDoc) {
    throw new Error("the hardhat network needs at least 10 accounts");
  }
  const providers = (await ethers.deployContract("ProviderRegistry", [
    regulator.address,
    regulator.address,
  ])) as unknown as ProviderRegistry;
  const registry = (await ethers.deployContract("RecordRegistry", [
    await providers.getAddress(),
  ])) as unknown as RecordRegistry;
  await providers.admit(hospital.address, Kind.Hospital, "St. Elsewhere", "Cardiology");
  await providers.admit(lab.address, Kind.Lab, "Central Lab", "Clinical chemistry");
  await providers.admit(clinic.address, Kind.Clinic, "Harbour Clinic", "");
  await providers.admit(suspendedDoc.address, Kind.Practitioner, "Dr. Suspended", "");
  await providers.admit(removedDoc.address, Kind.Practitioner, "Dr. Removed", "");
  await providers.suspend(suspendedDoc.address);
  await providers.remove(removedDoc.address);
  for (const p of [hospital, lab, clinic]) await providers.connect(p).setEncryptionKey(ethers.id(`x25519 ${p.address}`));

  const aliceKey = ethers.id("alice x25519 public key");
  const bobKey = ethers.id("bob x25519 public key");
  await registry.connect(alice).register(aliceKey);
  await registry.connect(bob).register(bobKey);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const registryAddress = await registry.getAddress();
  return {
    providers,
    registry,
    registryAddress,
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
    aliceKey,
    bobKey,
  };
}

type Meridian = Awaited<ReturnType<typeof deployMeridian>>;

/** The fixture plus records: alice has a Lab and a Cardiac record, bob a Lab record. */
async function deployMeridianWithRecords() {
  const f = await deployMeridian();
  const aliceLab = (await anchor(f.registry, f.alice, f.alice.address, Category.Lab)).recordId;
  const aliceCardiac = (await anchor(f.registry, f.alice, f.alice.address, Category.Cardiac)).recordId;
  const bobLab = (await anchor(f.registry, f.bob, f.bob.address, Category.Lab)).recordId;
  return { ...f, aliceLab, aliceCardiac, bobLab };
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

interface Anchored {
  recordId: string;
  previousHead: string;
  author: string;
  category: bigint;
  keyEpoch: bigint;
  anchoredAt: bigint;
  ciphertextHash: string;
  cid: string;
  receipt: TransactionReceipt;
}

/** `author` anchors a record of `patient`; returns the decoded {RecordAnchored} event. */
async function anchor(
  registry: RecordRegistry,
  author: Signer,
  patient: string,
  category: number,
  opts: { hash?: string; cid?: string; keyEpoch?: bigint } = {},
): Promise<Anchored> {
  const keyEpoch = opts.keyEpoch ?? (await registry.getPatient(patient)).keyEpoch;
  const hash = opts.hash ?? ethers.hexlify(ethers.randomBytes(32));
  const cid = opts.cid ?? ethers.concat(["0x01551220", hash]); // CIDv1, raw, sha2-256 multihash
  const receipt = await mined(registry.connect(author).anchorRecord(patient, cid, hash, category, keyEpoch));
  const [ev] = eventsOf(registry, receipt, "RecordAnchored");
  if (!ev) throw new Error("no RecordAnchored event");
  expect(ev.args.patient).to.equal(patient);
  return {
    recordId: ev.args.recordId,
    previousHead: ev.args.previousHead,
    author: ev.args.author,
    category: ev.args.category,
    keyEpoch: ev.args.keyEpoch,
    anchoredAt: ev.args.anchoredAt,
    ciphertextHash: ev.args.ciphertextHash,
    cid: ev.args.cid,
    receipt,
  };
}

/** The documented record id formula, computed off chain. */
function recordIdOf(f: Pick<Meridian, "chainId" | "registryAddress">, patient: string, a: Omit<Anchored, "recordId" | "receipt">): string {
  return ethers.keccak256(
    coder.encode(
      ["uint256", "address", "address", "bytes28", "address", "uint8", "uint32", "uint40", "bytes32", "bytes32"],
      [f.chainId, f.registryAddress, patient, a.previousHead, a.author, a.category, a.keyEpoch, a.anchoredAt, a.ciphertextHash, ethers.keccak256(a.cid)],
    ),
  );
}

/** The genesis chain head of `patient` (`IRecordRegistry.Patient`): `bytes28(keccak256(abi.encode(chainid, registry, patient)))`. */
function genesisHeadOf(f: { chainId: bigint; registryAddress: string }, patient: string): string {
  return bytes28(ethers.keccak256(coder.encode(["uint256", "address", "address"], [f.chainId, f.registryAddress, patient])));
}

function grantIdOf(patient: string, grantee: string, scope: number, target: string): string {
  return ethers.keccak256(coder.encode(["address", "address", "uint8", "bytes32"], [patient, grantee, scope, target]));
}

function requestIdOf(patient: string, requester: string, scope: number, target: string): string {
  return ethers.keccak256(
    coder.encode(["address", "address", "uint8", "bytes32", "string"], [patient, requester, scope, target, "request"]),
  );
}

describe("RecordRegistry", function () {
  describe("deployment", function () {
    it("points at the provider registry", async function () {
      const { registry, providers } = await loadFixture(deployMeridian);
      expect(await registry.providerRegistry()).to.equal(await providers.getAddress());
    });

    it("keeps constants and pure id helpers off the ABI (each getter that sorts first costs hot calls 22 gas)", async function () {
      const { registry } = await loadFixture(deployMeridian);
      // viaIR dispatches linearly in selector order; these are documented formulas the SDK computes.
      for (const name of ["MAX_KEY_EPOCH", "MAX_EMERGENCY_ACCESS", "grantIdOf", "requestIdOf", "genesisHead", "consentCodeDigest"]) {
        expect(registry.interface.getFunction(name), name).to.equal(null);
      }
    });

    it("uses the SDK's category codes (packages/sdk/src/categories.ts)", async function () {
      expect(RecordCategory).to.deep.equal(Object.fromEntries(Object.entries(Category).filter(([k]) => k !== "None")));
    });
  });

  // ------------------------------------------------------------------------------ patients

  describe("register / rotateEncryptionKey", function () {
    it("registers with the genesis head and emits PatientRegistered", async function () {
      const { registry, carol, chainId, registryAddress } = await loadFixture(deployMeridian);
      const key = ethers.id("carol key");
      const genesis = genesisHeadOf({ chainId, registryAddress }, carol.address);
      await expect(registry.connect(carol).register(key))
        .to.emit(registry, "PatientRegistered")
        .withArgs(carol.address, key, genesis);
      const p = await registry.getPatient(carol.address);
      expect(p.encryptionKey).to.equal(key);
      expect(p.chainHead).to.equal(genesis);
      expect(p.keyEpoch).to.equal(0);
    });

    it("gives each patient a different genesis head", async function () {
      const { registry, alice, bob } = await loadFixture(deployMeridian);
      expect((await registry.getPatient(alice.address)).chainHead).to.not.equal((await registry.getPatient(bob.address)).chainHead);
    });

    it("rejects a second registration", async function () {
      const { registry, alice } = await loadFixture(deployMeridian);
      await expect(registry.connect(alice).register(ethers.id("again")))
        .to.be.revertedWithCustomError(registry, "RecordRegistryAlreadyRegistered")
        .withArgs(alice.address);
    });

    it("rejects a zero key", async function () {
      const { registry, carol } = await loadFixture(deployMeridian);
      await expect(registry.connect(carol).register(ZERO32)).to.be.revertedWithCustomError(
        registry,
        "RecordRegistryInvalidEncryptionKey",
      );
    });

    it("rotates the key, keeping chain head and epoch, and emits PatientEncryptionKeyRotated", async function () {
      const { registry, alice } = await loadFixture(deployMeridianWithRecords);
      const before = await registry.getPatient(alice.address);
      const key = ethers.id("alice rotated key");
      await expect(registry.connect(alice).rotateEncryptionKey(key))
        .to.emit(registry, "PatientEncryptionKeyRotated")
        .withArgs(alice.address, key);
      const after = await registry.getPatient(alice.address);
      expect(after.encryptionKey).to.equal(key);
      expect(after.chainHead).to.equal(before.chainHead);
      expect(after.keyEpoch).to.equal(before.keyEpoch);
    });

    it("rejects rotation by an unregistered caller or to a zero key", async function () {
      const { registry, alice, carol } = await loadFixture(deployMeridian);
      await expect(registry.connect(carol).rotateEncryptionKey(ethers.id("k")))
        .to.be.revertedWithCustomError(registry, "RecordRegistryUnknownPatient")
        .withArgs(carol.address);
      await expect(registry.connect(alice).rotateEncryptionKey(ZERO32)).to.be.revertedWithCustomError(
        registry,
        "RecordRegistryInvalidEncryptionKey",
      );
    });
  });

  // ------------------------------------------------------------------------------- records

  describe("anchorRecord", function () {
    it("anchors a patient's own record: event fields, id formula, getRecord, chain head", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, alice } = f;
      const genesis = genesisHeadOf(f, alice.address);
      const hash = ethers.id("ciphertext bytes");
      const cid = ethers.concat(["0x01551220", hash]);
      const a = await anchor(registry, alice, alice.address, Category.Lab, { hash, cid });
      const block = await ethers.provider.getBlock(a.receipt.blockNumber);
      expect(a.previousHead).to.equal(genesis);
      expect(a.author).to.equal(alice.address);
      expect(a.category).to.equal(Category.Lab);
      expect(a.keyEpoch).to.equal(0);
      expect(a.anchoredAt).to.equal(block?.timestamp);
      expect(a.ciphertextHash).to.equal(hash);
      expect(a.cid).to.equal(cid);

      expect(a.recordId).to.equal(recordIdOf(f, alice.address, a));
      expect(
        await registry.computeRecordId(alice.address, a.previousHead, a.author, a.category, a.keyEpoch, a.anchoredAt, a.ciphertextHash, a.cid),
      ).to.equal(a.recordId);
      const r = await registry.getRecord(a.recordId);
      expect(r.patient).to.equal(alice.address);
      expect(r.category).to.equal(Category.Lab);
      expect(r.keyEpoch).to.equal(0);
      expect(r.anchoredAt).to.equal(a.anchoredAt);
      expect((await registry.getPatient(alice.address)).chainHead).to.equal(bytes28(a.recordId));
    });

    it("returns the record id it emits", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, alice } = f;
      const hash = ethers.id("x");
      // Pin the next block's timestamp so a static call and the transaction see the same clock.
      const t = (await time.latest()) + 10;
      await time.setNextBlockTimestamp(t);
      await networkHelpers.mine();
      const returned = await registry.connect(alice).anchorRecord.staticCall(alice.address, "0x01", hash, Category.General, 0);
      const expected = await registry.computeRecordId(
        alice.address,
        genesisHeadOf(f, alice.address),
        alice.address,
        Category.General,
        0,
        t,
        hash,
        "0x01",
      );
      expect(returned).to.equal(expected);
    });

    it("links every record to the previous one of the same patient (hash chain)", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, alice, bob, hospital } = f;
      await f.registry.connect(alice).grant(hospital.address, Scope.All, ZERO32, true, 0, WRAPPED);
      const chain: Anchored[] = [];
      for (let i = 0; i < 6; i++) {
        const author = i % 2 === 0 ? alice : hospital;
        chain.push(await anchor(registry, author, alice.address, 1 + (i % 9)));
        await anchor(registry, bob, bob.address, Category.General); // interleaved, must not touch alice's chain
        expect((await registry.getPatient(alice.address)).chainHead).to.equal(bytes28(chain[i]!.recordId));
      }
      expect(chain[0]!.previousHead).to.equal(genesisHeadOf(f, alice.address));
      for (let i = 1; i < chain.length; i++) expect(chain[i]!.previousHead).to.equal(bytes28(chain[i - 1]!.recordId));
      // Anyone can re-verify the chain from events alone: recompute each id and find it.
      for (const a of chain) {
        expect(recordIdOf(f, alice.address, a)).to.equal(a.recordId);
        expect((await registry.getRecord(a.recordId)).patient).to.equal(alice.address);
      }
      // A tampered CID or hash does not give the anchored id.
      const a0 = chain[0]!;
      expect(recordIdOf(f, alice.address, { ...a0, cid: a0.cid + "00" })).to.not.equal(a0.recordId);
      expect(recordIdOf(f, alice.address, { ...a0, ciphertextHash: ethers.id("forged") })).to.not.equal(a0.recordId);
    });

    it("lets a provider with a category write grant anchor in that category only", async function () {
      const { registry, alice, hospital } = await loadFixture(deployMeridian);
      await registry.connect(alice).grant(hospital.address, Scope.Category, categoryTarget(Category.Cardiac), true, 0, WRAPPED);
      const a = await anchor(registry, hospital, alice.address, Category.Cardiac);
      expect(a.author).to.equal(hospital.address);
      expect((await registry.getRecord(a.recordId)).patient).to.equal(alice.address);
      await expect(registry.connect(hospital).anchorRecord(alice.address, "0x01", ethers.id("h"), Category.Lab, 0))
        .to.be.revertedWithCustomError(registry, "RecordRegistryWriteNotPermitted")
        .withArgs(hospital.address, alice.address, Category.Lab);
    });

    it("lets a provider with an all-records write grant anchor in every category", async function () {
      const { registry, alice, lab } = await loadFixture(deployMeridian);
      await registry.connect(alice).grant(lab.address, Scope.All, ZERO32, true, 0, WRAPPED);
      for (let c = 1; c <= 9; c++) await anchor(registry, lab, alice.address, c);
    });

    it("accepts a CID of 1 and of 128 bytes", async function () {
      const { registry, alice } = await loadFixture(deployMeridian);
      await anchor(registry, alice, alice.address, Category.General, { cid: "0x01" });
      await anchor(registry, alice, alice.address, Category.General, { cid: ethers.hexlify(new Uint8Array(128).fill(7)) });
    });

    it("rejects an unregistered patient", async function () {
      const { registry, carol } = await loadFixture(deployMeridian);
      await expect(registry.connect(carol).anchorRecord(carol.address, "0x01", ethers.id("h"), Category.Lab, 0))
        .to.be.revertedWithCustomError(registry, "RecordRegistryUnknownPatient")
        .withArgs(carol.address);
    });

    it("rejects category None", async function () {
      const { registry, alice } = await loadFixture(deployMeridian);
      await expect(
        registry.connect(alice).anchorRecord(alice.address, "0x01", ethers.id("h"), Category.None, 0),
      ).to.be.revertedWithCustomError(registry, "RecordRegistryInvalidCategory");
    });

    it("rejects an empty CID and a CID over 128 bytes", async function () {
      const { registry, alice } = await loadFixture(deployMeridian);
      for (const length of [0, 129, 1024]) {
        await expect(
          registry.connect(alice).anchorRecord(alice.address, new Uint8Array(length).fill(1), ethers.id("h"), Category.Lab, 0),
        )
          .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidCid")
          .withArgs(length);
      }
    });

    it("rejects a zero ciphertext hash", async function () {
      const { registry, alice } = await loadFixture(deployMeridian);
      await expect(
        registry.connect(alice).anchorRecord(alice.address, "0x01", ZERO32, Category.Lab, 0),
      ).to.be.revertedWithCustomError(registry, "RecordRegistryInvalidCiphertextHash");
    });

    it("rejects a key epoch other than the current one", async function () {
      const { registry, alice } = await loadFixture(deployMeridian);
      await expect(registry.connect(alice).anchorRecord(alice.address, "0x01", ethers.id("h"), Category.Lab, 1))
        .to.be.revertedWithCustomError(registry, "RecordRegistryStaleKeyEpoch")
        .withArgs(alice.address, 1, 0);
    });

    describe("rejects a writer without an active write grant", function () {
      async function expectRefused(f: Meridian, author: Signer, category: number = Category.Lab) {
        const who = await author.getAddress();
        await expect(f.registry.connect(author).anchorRecord(f.alice.address, "0x01", ethers.id("h"), category, 0))
          .to.be.revertedWithCustomError(f.registry, "RecordRegistryWriteNotPermitted")
          .withArgs(who, f.alice.address, category);
        expect(await f.registry.canWrite(who, f.alice.address, category)).to.equal(false);
      }

      it("no grant: a provider, a non-provider, another patient", async function () {
        const f = await loadFixture(deployMeridian);
        await expectRefused(f, f.hospital);
        await expectRefused(f, f.outsider);
        await expectRefused(f, f.bob);
      });

      it("a read-only grant (category or all)", async function () {
        const f = await loadFixture(deployMeridian);
        await f.registry.connect(f.alice).grant(f.hospital.address, Scope.Category, categoryTarget(Category.Lab), false, 0, WRAPPED);
        await f.registry.connect(f.alice).grant(f.lab.address, Scope.All, ZERO32, false, 0, WRAPPED);
        await expectRefused(f, f.hospital);
        await expectRefused(f, f.lab);
      });

      it("a write grant for another category", async function () {
        const f = await loadFixture(deployMeridian);
        await f.registry.connect(f.alice).grant(f.hospital.address, Scope.Category, categoryTarget(Category.Cardiac), true, 0, WRAPPED);
        await expectRefused(f, f.hospital, Category.Lab);
      });

      it("an expired write grant", async function () {
        const f = await loadFixture(deployMeridian);
        const expiresAt = (await time.latest()) + DAY;
        await f.registry.connect(f.alice).grant(f.hospital.address, Scope.All, ZERO32, true, expiresAt, WRAPPED);
        await time.increaseTo(expiresAt);
        await expectRefused(f, f.hospital);
      });

      it("a revoked write grant (with the new epoch)", async function () {
        const f = await loadFixture(deployMeridian);
        await f.registry.connect(f.alice).grant(f.hospital.address, Scope.Category, categoryTarget(Category.Lab), true, 0, WRAPPED);
        await f.registry.connect(f.alice).revoke(f.hospital.address, Scope.Category, categoryTarget(Category.Lab));
        await expect(f.registry.connect(f.hospital).anchorRecord(f.alice.address, "0x01", ethers.id("h"), Category.Lab, 1))
          .to.be.revertedWithCustomError(f.registry, "RecordRegistryWriteNotPermitted")
          .withArgs(f.hospital.address, f.alice.address, Category.Lab);
      });

      it("a suspended or removed provider holding a write grant", async function () {
        const f = await loadFixture(deployMeridian);
        await f.registry.connect(f.alice).grant(f.hospital.address, Scope.All, ZERO32, true, 0, WRAPPED);
        await f.registry.connect(f.alice).grant(f.lab.address, Scope.All, ZERO32, true, 0, WRAPPED);
        await f.providers.suspend(f.hospital.address);
        await f.providers.remove(f.lab.address);
        await expectRefused(f, f.hospital);
        await expectRefused(f, f.lab);
      });
    });
  });

  // -------------------------------------------------------------------------------- grants

  describe("grant", function () {
    it("issues a record grant: event, id, stored fields, read of that record only", async function () {
      const { registry, alice, lab, aliceLab, aliceCardiac } = await loadFixture(deployMeridianWithRecords);
      const grantId = grantIdOf(alice.address, lab.address, Scope.Record, aliceLab);
      const expiresAt = (await time.latest()) + 30 * DAY;
      await expect(registry.connect(alice).grant(lab.address, Scope.Record, aliceLab, false, expiresAt, WRAPPED))
        .to.emit(registry, "GrantIssued")
        .withArgs(alice.address, lab.address, grantId, Scope.Record, aliceLab, false, expiresAt, 0, WRAPPED);
      const g = await registry.getGrant(alice.address, lab.address, Scope.Record, aliceLab);
      expect(g.issuedAt).to.equal(await time.latest());
      expect(g.expiresAt).to.equal(expiresAt);
      expect(g.revokedAt).to.equal(0);
      expect(g.keyEpoch).to.equal(0);
      expect(g.write).to.equal(false);
      expect(await registry.isGrantActive(alice.address, lab.address, Scope.Record, aliceLab)).to.equal(true);
      expect(await registry.canRead(lab.address, aliceLab)).to.equal(true);
      expect(await registry.canRead(lab.address, aliceCardiac)).to.equal(false);
    });

    it("issues a category grant with write consent", async function () {
      const { registry, alice, hospital, aliceCardiac, aliceLab } = await loadFixture(deployMeridianWithRecords);
      const target = categoryTarget(Category.Cardiac);
      await expect(registry.connect(alice).grant(hospital.address, Scope.Category, target, true, 0, WRAPPED))
        .to.emit(registry, "GrantIssued")
        .withArgs(alice.address, hospital.address, grantIdOf(alice.address, hospital.address, Scope.Category, target), Scope.Category, target, true, 0, 0, WRAPPED);
      expect((await registry.getGrant(alice.address, hospital.address, Scope.Category, target)).write).to.equal(true);
      expect(await registry.canRead(hospital.address, aliceCardiac)).to.equal(true);
      expect(await registry.canRead(hospital.address, aliceLab)).to.equal(false);
      expect(await registry.canWrite(hospital.address, alice.address, Category.Cardiac)).to.equal(true);
      expect(await registry.canWrite(hospital.address, alice.address, Category.Lab)).to.equal(false);
    });

    it("issues an all-records grant, which also covers records anchored later", async function () {
      const { registry, alice, clinic, aliceLab, aliceCardiac, bobLab } = await loadFixture(deployMeridianWithRecords);
      await expect(registry.connect(alice).grant(clinic.address, Scope.All, ZERO32, false, 0, WRAPPED))
        .to.emit(registry, "GrantIssued")
        .withArgs(alice.address, clinic.address, grantIdOf(alice.address, clinic.address, Scope.All, ZERO32), Scope.All, ZERO32, false, 0, 0, WRAPPED);
      const later = (await anchor(registry, alice, alice.address, Category.Imaging)).recordId;
      for (const id of [aliceLab, aliceCardiac, later]) expect(await registry.canRead(clinic.address, id)).to.equal(true);
      expect(await registry.canRead(clinic.address, bobLab)).to.equal(false);
    });

    it("accepts every category target 1..9 and wrapped keys of 1 and 640 bytes", async function () {
      const { registry, alice, hospital } = await loadFixture(deployMeridian);
      for (let c = 1; c <= 9; c++) {
        await registry.connect(alice).grant(hospital.address, Scope.Category, categoryTarget(c), false, 0, "0x01");
      }
      await registry.connect(alice).grant(hospital.address, Scope.All, ZERO32, false, 0, new Uint8Array(640).fill(9));
    });

    it("rejects write consent on a record scope", async function () {
      const { registry, alice, lab, aliceLab } = await loadFixture(deployMeridianWithRecords);
      await expect(registry.connect(alice).grant(lab.address, Scope.Record, aliceLab, true, 0, WRAPPED))
        .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidScope")
        .withArgs(Scope.Record, aliceLab);
    });

    it("rejects an expiry that is not in the future (past, or now)", async function () {
      const { registry, alice, lab } = await loadFixture(deployMeridian);
      for (const offset of [Number.NEGATIVE_INFINITY, -1, 0]) {
        // Pin the block time, and skip gas estimation, so the transaction runs at exactly `t`.
        const t = (await time.latest()) + 100;
        const expiresAt = offset === Number.NEGATIVE_INFINITY ? 1 : t + offset;
        await time.setNextBlockTimestamp(t);
        await expect(
          registry.connect(alice).grant(lab.address, Scope.All, ZERO32, false, expiresAt, WRAPPED, { gasLimit: 500_000 }),
        )
          .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidExpiry")
          .withArgs(expiresAt, t);
      }
      const t = (await time.latest()) + 100;
      await time.setNextBlockTimestamp(t);
      await registry.connect(alice).grant(lab.address, Scope.All, ZERO32, false, t + 1, WRAPPED, { gasLimit: 500_000 }); // one second ahead is fine
      expect((await registry.getGrant(alice.address, lab.address, Scope.All, ZERO32)).expiresAt).to.equal(t + 1);
    });

    it("rejects an empty wrapped key and one over 640 bytes, and takes a later generation's 624-byte bundle", async function () {
      const { registry, alice, lab } = await loadFixture(deployMeridian);
      await registry.connect(alice).grant(lab.address, Scope.All, ZERO32, false, 0, new Uint8Array(624).fill(1));
      for (const length of [0, 641]) {
        await expect(registry.connect(alice).grant(lab.address, Scope.All, ZERO32, false, 0, new Uint8Array(length).fill(1)))
          .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidWrappedKey")
          .withArgs(length);
      }
    });

    it("rejects a grantee that is not an active provider", async function () {
      const { registry, alice, outsider, suspendedDoc, removedDoc, bob } = await loadFixture(deployMeridian);
      for (const grantee of [outsider, suspendedDoc, removedDoc, bob]) {
        await expect(registry.connect(alice).grant(grantee.address, Scope.All, ZERO32, false, 0, WRAPPED))
          .to.be.revertedWithCustomError(registry, "RecordRegistryProviderNotActive")
          .withArgs(grantee.address);
      }
    });

    it("rejects a grant by an unregistered caller", async function () {
      const { registry, carol, lab } = await loadFixture(deployMeridian);
      await expect(registry.connect(carol).grant(lab.address, Scope.All, ZERO32, false, 0, WRAPPED))
        .to.be.revertedWithCustomError(registry, "RecordRegistryUnknownPatient")
        .withArgs(carol.address);
    });

    it("rejects a record of another patient and an unknown record", async function () {
      const { registry, alice, lab, bobLab } = await loadFixture(deployMeridianWithRecords);
      await expect(registry.connect(alice).grant(lab.address, Scope.Record, bobLab, false, 0, WRAPPED))
        .to.be.revertedWithCustomError(registry, "RecordRegistryRecordOfAnotherPatient")
        .withArgs(bobLab, alice.address);
      const unknown = ethers.id("no such record");
      await expect(registry.connect(alice).grant(lab.address, Scope.Record, unknown, false, 0, WRAPPED))
        .to.be.revertedWithCustomError(registry, "RecordRegistryUnknownRecord")
        .withArgs(unknown);
    });

    it("rejects an invalid category target (0, 10, a large value)", async function () {
      const { registry, alice, lab } = await loadFixture(deployMeridian);
      for (const target of [ZERO32, categoryTarget(10), ethers.id("x")]) {
        await expect(registry.connect(alice).grant(lab.address, Scope.Category, target, false, 0, WRAPPED))
          .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidScope")
          .withArgs(Scope.Category, target);
      }
    });

    it("rejects scope All with a non-zero target, and scope None", async function () {
      const { registry, alice, lab } = await loadFixture(deployMeridian);
      await expect(registry.connect(alice).grant(lab.address, Scope.All, categoryTarget(1), false, 0, WRAPPED))
        .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidScope")
        .withArgs(Scope.All, categoryTarget(1));
      for (const target of [ZERO32, categoryTarget(2)]) {
        await expect(registry.connect(alice).grant(lab.address, Scope.None, target, false, 0, WRAPPED))
          .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidScope")
          .withArgs(Scope.None, target);
      }
    });

    it("re-issuing updates the same grant (expiry, write, issue time, epoch, key)", async function () {
      const { registry, alice, hospital } = await loadFixture(deployMeridian);
      const target = categoryTarget(Category.Lab);
      const grantId = grantIdOf(alice.address, hospital.address, Scope.Category, target);
      const first = (await time.latest()) + DAY;
      await registry.connect(alice).grant(hospital.address, Scope.Category, target, false, first, WRAPPED);
      const issued1 = await time.latest();
      await time.increase(3600);
      const second = (await time.latest()) + 10 * DAY;
      const newKey = ethers.hexlify(new Uint8Array(80).fill(0xcd));
      await expect(registry.connect(alice).grant(hospital.address, Scope.Category, target, true, second, newKey))
        .to.emit(registry, "GrantIssued")
        .withArgs(alice.address, hospital.address, grantId, Scope.Category, target, true, second, 0, newKey);
      const g = await registry.getGrant(alice.address, hospital.address, Scope.Category, target);
      expect(g.issuedAt).to.equal(await time.latest());
      expect(g.issuedAt).to.be.greaterThan(issued1);
      expect(g.expiresAt).to.equal(second);
      expect(g.write).to.equal(true);
      // ... and back to read-only with no expiry.
      await registry.connect(alice).grant(hospital.address, Scope.Category, target, false, 0, WRAPPED);
      const g2 = await registry.getGrant(alice.address, hospital.address, Scope.Category, target);
      expect([g2.expiresAt, g2.write]).to.deep.equal([0n, false]);
    });

    it("re-issuing a revoked or expired grant makes it active again", async function () {
      const { registry, alice, hospital, aliceLab } = await loadFixture(deployMeridianWithRecords);
      await registry.connect(alice).grant(hospital.address, Scope.Record, aliceLab, false, 0, WRAPPED);
      await registry.connect(alice).revoke(hospital.address, Scope.Record, aliceLab);
      expect(await registry.canRead(hospital.address, aliceLab)).to.equal(false);
      await registry.connect(alice).grant(hospital.address, Scope.Record, aliceLab, false, 0, WRAPPED);
      expect((await registry.getGrant(alice.address, hospital.address, Scope.Record, aliceLab)).revokedAt).to.equal(0);
      expect(await registry.canRead(hospital.address, aliceLab)).to.equal(true);

      const expiresAt = (await time.latest()) + 100;
      await registry.connect(alice).grant(hospital.address, Scope.Record, aliceLab, false, expiresAt, WRAPPED);
      await time.increaseTo(expiresAt);
      expect(await registry.canRead(hospital.address, aliceLab)).to.equal(false);
      await registry.connect(alice).grant(hospital.address, Scope.Record, aliceLab, false, 0, WRAPPED);
      expect(await registry.canRead(hospital.address, aliceLab)).to.equal(true);
    });

    it("getGrant is all zero and isGrantActive false for a grant never issued", async function () {
      const { registry, alice, lab } = await loadFixture(deployMeridian);
      const g = await registry.getGrant(alice.address, lab.address, Scope.All, ZERO32);
      expect([g.issuedAt, g.expiresAt, g.revokedAt, g.keyEpoch, g.write]).to.deep.equal([0n, 0n, 0n, 0n, false]);
      expect(await registry.isGrantActive(alice.address, lab.address, Scope.All, ZERO32)).to.equal(false);
    });
  });

  // ------------------------------------------------------------------------------- canRead

  describe("canRead", function () {
    async function withGrants() {
      const f = await deployMeridianWithRecords();
      await f.registry.connect(f.alice).grant(f.hospital.address, Scope.Record, f.aliceLab, false, 0, WRAPPED);
      await f.registry.connect(f.alice).grant(f.lab.address, Scope.Category, categoryTarget(Category.Lab), false, 0, WRAPPED);
      await f.registry.connect(f.alice).grant(f.clinic.address, Scope.All, ZERO32, false, 0, WRAPPED);
      return f;
    }

    it("truth table: patient, record / category / all grantees, other category, other patient, strangers", async function () {
      const f = await loadFixture(withGrants);
      const { registry, alice, bob, hospital, lab, clinic, outsider, aliceLab, aliceCardiac, bobLab } = f;
      const unknown = ethers.id("unknown record");
      const table: [string, string, string, boolean][] = [
        ["alice", alice.address, aliceLab, true],
        ["alice", alice.address, aliceCardiac, true],
        ["alice", alice.address, bobLab, false], // a patient reads only her own records
        ["bob", bob.address, bobLab, true],
        ["bob", bob.address, aliceLab, false],
        ["hospital (record grant)", hospital.address, aliceLab, true],
        ["hospital (record grant)", hospital.address, aliceCardiac, false],
        ["lab (Lab category grant)", lab.address, aliceLab, true],
        ["lab (Lab category grant)", lab.address, aliceCardiac, false], // other category
        ["lab (Lab category grant)", lab.address, bobLab, false], // same category, other patient
        ["clinic (all grant)", clinic.address, aliceLab, true],
        ["clinic (all grant)", clinic.address, aliceCardiac, true],
        ["clinic (all grant)", clinic.address, bobLab, false],
        ["outsider", outsider.address, aliceLab, false],
        ["zero address", ethers.ZeroAddress, aliceLab, false],
        ["alice, unknown record", alice.address, unknown, false],
        ["clinic, unknown record", clinic.address, unknown, false],
        ["zero address, unknown record", ethers.ZeroAddress, unknown, false],
      ];
      for (const [who, reader, record, expected] of table) {
        expect(await registry.canRead(reader, record), `${who} / ${record.slice(0, 10)}`).to.equal(expected);
      }
    });

    it("ends at expiry (now >= expiresAt)", async function () {
      const { registry, alice, lab, aliceLab } = await loadFixture(deployMeridianWithRecords);
      const expiresAt = (await time.latest()) + 7 * DAY;
      await registry.connect(alice).grant(lab.address, Scope.Category, categoryTarget(Category.Lab), false, expiresAt, WRAPPED);
      await time.increaseTo(expiresAt - 1);
      expect(await registry.canRead(lab.address, aliceLab)).to.equal(true);
      await time.increaseTo(expiresAt);
      expect(await registry.canRead(lab.address, aliceLab)).to.equal(false);
      expect(await registry.isGrantActive(alice.address, lab.address, Scope.Category, categoryTarget(Category.Lab))).to.equal(false);
    });

    it("ends at revocation", async function () {
      const f = await loadFixture(withGrants);
      await f.registry.connect(f.alice).revoke(f.hospital.address, Scope.Record, f.aliceLab);
      await f.registry.connect(f.alice).revoke(f.lab.address, Scope.Category, categoryTarget(Category.Lab));
      await f.registry.connect(f.alice).revoke(f.clinic.address, Scope.All, ZERO32);
      for (const reader of [f.hospital, f.lab, f.clinic]) {
        expect(await f.registry.canRead(reader.address, f.aliceLab)).to.equal(false);
        expect(await f.registry.canRead(reader.address, f.aliceCardiac)).to.equal(false);
      }
      expect(await f.registry.canRead(f.alice.address, f.aliceLab)).to.equal(true);
    });

    it("stops at once for a suspended provider and resumes on reinstatement while the grant is valid", async function () {
      const f = await loadFixture(withGrants);
      const { registry, providers, clinic, aliceLab } = f;
      await providers.suspend(clinic.address);
      expect(await registry.canRead(clinic.address, aliceLab)).to.equal(false);
      expect(await registry.isGrantActive(f.alice.address, clinic.address, Scope.All, ZERO32)).to.equal(false);
      // The grant itself is untouched...
      expect((await registry.getGrant(f.alice.address, clinic.address, Scope.All, ZERO32)).revokedAt).to.equal(0);
      await providers.reinstate(clinic.address);
      expect(await registry.canRead(clinic.address, aliceLab)).to.equal(true);
    });

    it("does not resume on reinstatement when the grant expired or was revoked meanwhile", async function () {
      const { registry, providers, alice, hospital, lab, aliceLab } = await loadFixture(deployMeridianWithRecords);
      const expiresAt = (await time.latest()) + DAY;
      await registry.connect(alice).grant(hospital.address, Scope.All, ZERO32, false, expiresAt, WRAPPED);
      await registry.connect(alice).grant(lab.address, Scope.All, ZERO32, false, 0, WRAPPED);
      await providers.suspend(hospital.address);
      await providers.suspend(lab.address);
      // While suspended the grant is not active, yet the patient may still revoke it: revocation checks
      // the grant itself, not the grantee's status.
      await registry.connect(alice).revoke(lab.address, Scope.All, ZERO32);
      await time.increaseTo(expiresAt);
      await providers.reinstate(hospital.address);
      await providers.reinstate(lab.address);
      expect(await registry.canRead(hospital.address, aliceLab)).to.equal(false);
      expect(await registry.canRead(lab.address, aliceLab)).to.equal(false);
    });

    it("never again for a removed provider", async function () {
      const f = await loadFixture(withGrants);
      await f.providers.remove(f.clinic.address);
      expect(await f.registry.canRead(f.clinic.address, f.aliceLab)).to.equal(false);
      await expect(f.registry.connect(f.alice).grant(f.clinic.address, Scope.All, ZERO32, false, 0, WRAPPED))
        .to.be.revertedWithCustomError(f.registry, "RecordRegistryProviderNotActive")
        .withArgs(f.clinic.address);
    });
  });

  // ------------------------------------------------------------------------------ canWrite

  describe("canWrite", function () {
    it("the patient in every category of her own record chain; never category None", async function () {
      const { registry, alice, bob } = await loadFixture(deployMeridian);
      for (let c = 1; c <= 9; c++) expect(await registry.canWrite(alice.address, alice.address, c)).to.equal(true);
      expect(await registry.canWrite(alice.address, alice.address, Category.None)).to.equal(false);
      expect(await registry.canWrite(alice.address, bob.address, Category.Lab)).to.equal(false);
    });

    it("is false for an unregistered patient, even for herself", async function () {
      const { registry, carol } = await loadFixture(deployMeridian);
      expect(await registry.canWrite(carol.address, carol.address, Category.Lab)).to.equal(false);
    });

    it("a provider: category write → that category; all write → every category; read-only or record grants → never", async function () {
      const { registry, alice, hospital, lab, clinic, aliceLab } = await loadFixture(deployMeridianWithRecords);
      await registry.connect(alice).grant(hospital.address, Scope.Category, categoryTarget(Category.Cardiac), true, 0, WRAPPED);
      await registry.connect(alice).grant(lab.address, Scope.All, ZERO32, true, 0, WRAPPED);
      await registry.connect(alice).grant(clinic.address, Scope.All, ZERO32, false, 0, WRAPPED);
      await registry.connect(alice).grant(clinic.address, Scope.Record, aliceLab, false, 0, WRAPPED);
      for (let c = 1; c <= 9; c++) {
        expect(await registry.canWrite(hospital.address, alice.address, c)).to.equal(c === Category.Cardiac);
        expect(await registry.canWrite(lab.address, alice.address, c)).to.equal(true);
        expect(await registry.canWrite(clinic.address, alice.address, c)).to.equal(false);
      }
      expect(await registry.canWrite(lab.address, alice.address, Category.None)).to.equal(false);
    });

    it("follows expiry, revocation and provider status", async function () {
      const { registry, providers, alice, hospital, lab } = await loadFixture(deployMeridian);
      const expiresAt = (await time.latest()) + DAY;
      await registry.connect(alice).grant(hospital.address, Scope.All, ZERO32, true, expiresAt, WRAPPED);
      await registry.connect(alice).grant(lab.address, Scope.All, ZERO32, true, 0, WRAPPED);
      await providers.suspend(hospital.address);
      expect(await registry.canWrite(hospital.address, alice.address, Category.Lab)).to.equal(false);
      await providers.reinstate(hospital.address);
      expect(await registry.canWrite(hospital.address, alice.address, Category.Lab)).to.equal(true);
      await time.increaseTo(expiresAt);
      expect(await registry.canWrite(hospital.address, alice.address, Category.Lab)).to.equal(false);
      await registry.connect(alice).revoke(lab.address, Scope.All, ZERO32);
      expect(await registry.canWrite(lab.address, alice.address, Category.Lab)).to.equal(false);
    });
  });

  // -------------------------------------------------------------------------------- revoke

  describe("revoke", function () {
    it("rejects a grant that was never issued or is already revoked; an expired one can be revoked", async function () {
      const { registry, alice, lab, hospital } = await loadFixture(deployMeridian);
      const target = categoryTarget(Category.Lab);
      await expect(registry.connect(alice).revoke(lab.address, Scope.Category, target))
        .to.be.revertedWithCustomError(registry, "RecordRegistryGrantNotActive")
        .withArgs(grantIdOf(alice.address, lab.address, Scope.Category, target));

      await registry.connect(alice).grant(lab.address, Scope.Category, target, false, 0, WRAPPED);
      await registry.connect(alice).revoke(lab.address, Scope.Category, target);
      await expect(registry.connect(alice).revoke(lab.address, Scope.Category, target))
        .to.be.revertedWithCustomError(registry, "RecordRegistryGrantNotActive")
        .withArgs(grantIdOf(alice.address, lab.address, Scope.Category, target));

      const expiresAt = (await time.latest()) + 60;
      await registry.connect(alice).grant(hospital.address, Scope.All, ZERO32, false, expiresAt, WRAPPED);
      await time.increaseTo(expiresAt);
      const epoch = (await registry.getPatient(alice.address)).keyEpoch;
      await expect(registry.connect(alice).revoke(hospital.address, Scope.All, ZERO32))
        .to.emit(registry, "GrantRevoked")
        .withArgs(alice.address, hospital.address, grantIdOf(alice.address, hospital.address, Scope.All, ZERO32), epoch + 1n);
      await expect(registry.connect(alice).revoke(hospital.address, Scope.All, ZERO32))
        .to.be.revertedWithCustomError(registry, "RecordRegistryGrantNotActive")
        .withArgs(grantIdOf(alice.address, hospital.address, Scope.All, ZERO32));
    });

    it("only the patient who issued it can revoke it (another caller addresses another grant id)", async function () {
      const { registry, alice, bob, lab } = await loadFixture(deployMeridian);
      await registry.connect(alice).grant(lab.address, Scope.All, ZERO32, false, 0, WRAPPED);
      for (const caller of [bob, lab]) {
        await expect(registry.connect(caller).revoke(lab.address, Scope.All, ZERO32))
          .to.be.revertedWithCustomError(registry, "RecordRegistryGrantNotActive")
          .withArgs(grantIdOf(caller.address, lab.address, Scope.All, ZERO32));
      }
      expect(await registry.isGrantActive(alice.address, lab.address, Scope.All, ZERO32)).to.equal(true);
    });

    it("a record revocation keeps the key epoch", async function () {
      const { registry, alice, lab, aliceLab } = await loadFixture(deployMeridianWithRecords);
      await registry.connect(alice).grant(lab.address, Scope.Record, aliceLab, false, 0, WRAPPED);
      await expect(registry.connect(alice).revoke(lab.address, Scope.Record, aliceLab))
        .to.emit(registry, "GrantRevoked")
        .withArgs(alice.address, lab.address, grantIdOf(alice.address, lab.address, Scope.Record, aliceLab), 0);
      expect((await registry.getPatient(alice.address)).keyEpoch).to.equal(0);
      expect((await registry.getGrant(alice.address, lab.address, Scope.Record, aliceLab)).revokedAt).to.equal(await time.latest());
    });

    it("category and all revocations advance the patient's key epoch (only hers) and emit it", async function () {
      const { registry, alice, bob, lab, clinic } = await loadFixture(deployMeridian);
      const target = categoryTarget(Category.Lab);
      await registry.connect(alice).grant(lab.address, Scope.Category, target, false, 0, WRAPPED);
      await registry.connect(alice).grant(clinic.address, Scope.All, ZERO32, false, 0, WRAPPED);
      await expect(registry.connect(alice).revoke(lab.address, Scope.Category, target))
        .to.emit(registry, "GrantRevoked")
        .withArgs(alice.address, lab.address, grantIdOf(alice.address, lab.address, Scope.Category, target), 1);
      expect((await registry.getPatient(alice.address)).keyEpoch).to.equal(1);
      await expect(registry.connect(alice).revoke(clinic.address, Scope.All, ZERO32))
        .to.emit(registry, "GrantRevoked")
        .withArgs(alice.address, clinic.address, grantIdOf(alice.address, clinic.address, Scope.All, ZERO32), 2);
      expect((await registry.getPatient(alice.address)).keyEpoch).to.equal(2);
      expect((await registry.getPatient(bob.address)).keyEpoch).to.equal(0);
    });

    it("after a revocation, anchoring under the old epoch fails and under the new one works", async function () {
      const { registry, alice, lab } = await loadFixture(deployMeridian);
      await registry.connect(alice).grant(lab.address, Scope.All, ZERO32, false, 0, WRAPPED);
      await registry.connect(alice).revoke(lab.address, Scope.All, ZERO32);
      await expect(registry.connect(alice).anchorRecord(alice.address, "0x01", ethers.id("h"), Category.Lab, 0))
        .to.be.revertedWithCustomError(registry, "RecordRegistryStaleKeyEpoch")
        .withArgs(alice.address, 0, 1);
      const a = await anchor(registry, alice, alice.address, Category.Lab, { keyEpoch: 1n });
      expect((await registry.getRecord(a.recordId)).keyEpoch).to.equal(1);
    });

    it("a writer whose grant predates the epoch anchors again once the patient re-issues it at the new epoch", async function () {
      const { registry, alice, hospital, lab } = await loadFixture(deployMeridian);
      const target = categoryTarget(Category.Lab);
      await registry.connect(alice).grant(hospital.address, Scope.Category, target, true, 0, WRAPPED);
      await registry.connect(alice).grant(lab.address, Scope.All, ZERO32, false, 0, WRAPPED);
      await registry.connect(alice).revoke(lab.address, Scope.All, ZERO32); // epoch 0 → 1
      // The hospital's grant still carries the epoch-0 KEK; records must now be written under epoch 1.
      expect((await registry.getGrant(alice.address, hospital.address, Scope.Category, target)).keyEpoch).to.equal(0);
      expect((await registry.getPatient(alice.address)).keyEpoch).to.equal(1);

      const reissued = ethers.hexlify(new Uint8Array(80).fill(0x11)); // the epoch-1 KEK, wrapped
      await expect(registry.connect(alice).grant(hospital.address, Scope.Category, target, true, 0, reissued))
        .to.emit(registry, "GrantIssued")
        .withArgs(alice.address, hospital.address, grantIdOf(alice.address, hospital.address, Scope.Category, target), Scope.Category, target, true, 0, 1, reissued);
      expect((await registry.getGrant(alice.address, hospital.address, Scope.Category, target)).keyEpoch).to.equal(1);
      const a = await anchor(registry, hospital, alice.address, Category.Lab, { keyEpoch: 1n });
      expect(a.author).to.equal(hospital.address);
      expect(a.keyEpoch).to.equal(1);
    });

    it("an expired category grant can be revoked, which rotates keys away from its grantee", async function () {
      // Expiry alone does not advance the key epoch; revoking the expired grant does.
      const { registry, alice, lab } = await loadFixture(deployMeridian);
      const target = categoryTarget(Category.Lab);
      const expiresAt = (await time.latest()) + 60;
      await registry.connect(alice).grant(lab.address, Scope.Category, target, false, expiresAt, WRAPPED);
      await time.increaseTo(expiresAt);
      expect((await registry.getPatient(alice.address)).keyEpoch).to.equal(0);
      await registry.connect(alice).revoke(lab.address, Scope.Category, target);
      expect((await registry.getPatient(alice.address)).keyEpoch).to.equal(1);
    });

    it("a writer whose grant predates the current epoch cannot anchor until it is re-issued", async function () {
      const { registry, alice, hospital, lab } = await loadFixture(deployMeridian);
      const target = categoryTarget(Category.Lab);
      await registry.connect(alice).grant(hospital.address, Scope.Category, target, true, 0, WRAPPED);
      await registry.connect(alice).grant(lab.address, Scope.All, ZERO32, false, 0, WRAPPED);
      await registry.connect(alice).revoke(lab.address, Scope.All, ZERO32); // epoch 0 → 1
      expect(await registry.canWrite(hospital.address, alice.address, Category.Lab)).to.equal(false);
      await expect(registry.connect(hospital).anchorRecord(alice.address, "0x01", ethers.id("h"), Category.Lab, 1))
        .to.be.revertedWithCustomError(registry, "RecordRegistryWriteNotPermitted")
        .withArgs(hospital.address, alice.address, Category.Lab);
    });
  });

  // ------------------------------------------------------------------------------ requests

  describe("access requests", function () {
    it("records a request and emits AccessRequested", async function () {
      const { registry, alice, lab } = await loadFixture(deployMeridian);
      const target = categoryTarget(Category.Lab);
      const requestId = requestIdOf(alice.address, lab.address, Scope.Category, target);
      await expect(registry.connect(lab).requestAccess(alice.address, Scope.Category, target, true, 7 * DAY, PURPOSE_TREAT))
        .to.emit(registry, "AccessRequested")
        .withArgs(alice.address, lab.address, requestId, Scope.Category, target, true, 7 * DAY, PURPOSE_TREAT);
      const r = await registry.getRequest(alice.address, lab.address, Scope.Category, target);
      expect(r.status).to.equal(RequestStatus.Pending);
      expect(r.write).to.equal(true);
      expect(r.requestedAt).to.equal(await time.latest());
      expect(r.duration).to.equal(7 * DAY);
    });

    it("rejects a requester that is not an active provider", async function () {
      const { registry, alice, bob, outsider, suspendedDoc, removedDoc } = await loadFixture(deployMeridian);
      for (const requester of [outsider, suspendedDoc, removedDoc, bob]) {
        await expect(registry.connect(requester).requestAccess(alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT))
          .to.be.revertedWithCustomError(registry, "RecordRegistryProviderNotActive")
          .withArgs(requester.address);
      }
    });

    it("rejects an unknown patient and an invalid scope", async function () {
      const { registry, alice, carol, lab, aliceLab, bobLab } = await loadFixture(deployMeridianWithRecords);
      await expect(registry.connect(lab).requestAccess(carol.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT))
        .to.be.revertedWithCustomError(registry, "RecordRegistryUnknownPatient")
        .withArgs(carol.address);
      await expect(registry.connect(lab).requestAccess(alice.address, Scope.Record, aliceLab, true, 0, PURPOSE_TREAT))
        .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidScope")
        .withArgs(Scope.Record, aliceLab);
      await expect(registry.connect(lab).requestAccess(alice.address, Scope.Record, bobLab, false, 0, PURPOSE_TREAT))
        .to.be.revertedWithCustomError(registry, "RecordRegistryRecordOfAnotherPatient")
        .withArgs(bobLab, alice.address);
      await expect(registry.connect(lab).requestAccess(alice.address, Scope.Category, categoryTarget(0), false, 0, PURPOSE_TREAT))
        .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidScope")
        .withArgs(Scope.Category, categoryTarget(0));
    });

    it("rejects a duplicate while pending; other scopes are separate requests", async function () {
      const { registry, alice, lab } = await loadFixture(deployMeridian);
      await registry.connect(lab).requestAccess(alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT);
      // The contract reuses RequestNotPending (with status Pending) for "already pending".
      await expect(registry.connect(lab).requestAccess(alice.address, Scope.All, ZERO32, true, DAY, PURPOSE_TREAT))
        .to.be.revertedWithCustomError(registry, "RecordRegistryRequestNotPending")
        .withArgs(requestIdOf(alice.address, lab.address, Scope.All, ZERO32), RequestStatus.Pending);
      await registry.connect(lab).requestAccess(alice.address, Scope.Category, categoryTarget(Category.Lab), false, 0, PURPOSE_TREAT);
    });

    it("approve issues the grant with the patient's expiry, emits both events and clears the slot", async function () {
      const { registry, alice, lab, aliceLab } = await loadFixture(deployMeridianWithRecords);
      const target = categoryTarget(Category.Lab);
      await registry.connect(lab).requestAccess(alice.address, Scope.Category, target, true, 30 * DAY, PURPOSE_TREAT);
      const requestId = requestIdOf(alice.address, lab.address, Scope.Category, target);
      const grantId = grantIdOf(alice.address, lab.address, Scope.Category, target);
      const expiresAt = (await time.latest()) + 2 * DAY; // shorter than the 30 days asked
      expect(await registry.connect(alice).approveRequest.staticCall(lab.address, Scope.Category, target, true, expiresAt, WRAPPED)).to.equal(grantId);
      const tx = registry.connect(alice).approveRequest(lab.address, Scope.Category, target, true, expiresAt, WRAPPED);
      await expect(tx).to.emit(registry, "AccessRequestApproved").withArgs(alice.address, lab.address, requestId);
      await expect(tx)
        .to.emit(registry, "GrantIssued")
        .withArgs(alice.address, lab.address, grantId, Scope.Category, target, true, expiresAt, 0, WRAPPED);
      const r = await registry.getRequest(alice.address, lab.address, Scope.Category, target);
      expect([r.status, r.write, r.requestedAt, r.duration]).to.deep.equal([BigInt(RequestStatus.None), false, 0n, 0n]);
      const g = await registry.getGrant(alice.address, lab.address, Scope.Category, target);
      expect(g.expiresAt).to.equal(expiresAt);
      expect(g.write).to.equal(true);
      expect(await registry.canRead(lab.address, aliceLab)).to.equal(true);
    });

    it("approve may narrow write to read-only, but never grant write that was not asked", async function () {
      const { registry, alice, lab, hospital } = await loadFixture(deployMeridian);
      await registry.connect(lab).requestAccess(alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT);
      await expect(registry.connect(alice).approveRequest(lab.address, Scope.All, ZERO32, true, 0, WRAPPED))
        .to.be.revertedWithCustomError(registry, "RecordRegistryWriteNotRequested")
        .withArgs(requestIdOf(alice.address, lab.address, Scope.All, ZERO32));
      await registry.connect(hospital).requestAccess(alice.address, Scope.All, ZERO32, true, 0, PURPOSE_TREAT);
      await registry.connect(alice).approveRequest(hospital.address, Scope.All, ZERO32, false, 0, WRAPPED);
      expect((await registry.getGrant(alice.address, hospital.address, Scope.All, ZERO32)).write).to.equal(false);
    });

    it("approve applies the grant rules; a failed approval leaves the request pending", async function () {
      const { registry, providers, alice, lab } = await loadFixture(deployMeridian);
      await registry.connect(lab).requestAccess(alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT);
      await expect(registry.connect(alice).approveRequest(lab.address, Scope.All, ZERO32, false, 0, "0x"))
        .to.be.revertedWithCustomError(registry, "RecordRegistryInvalidWrappedKey")
        .withArgs(0);
      await providers.suspend(lab.address);
      await expect(registry.connect(alice).approveRequest(lab.address, Scope.All, ZERO32, false, 0, WRAPPED))
        .to.be.revertedWithCustomError(registry, "RecordRegistryProviderNotActive")
        .withArgs(lab.address);
      expect((await registry.getRequest(alice.address, lab.address, Scope.All, ZERO32)).status).to.equal(RequestStatus.Pending);
    });

    it("deny emits AccessRequestDenied, clears the slot and issues nothing", async function () {
      const { registry, alice, lab } = await loadFixture(deployMeridian);
      await registry.connect(lab).requestAccess(alice.address, Scope.All, ZERO32, true, DAY, PURPOSE_TREAT);
      await expect(registry.connect(alice).denyRequest(lab.address, Scope.All, ZERO32))
        .to.emit(registry, "AccessRequestDenied")
        .withArgs(alice.address, lab.address, requestIdOf(alice.address, lab.address, Scope.All, ZERO32));
      const r = await registry.getRequest(alice.address, lab.address, Scope.All, ZERO32);
      expect([r.status, r.write, r.requestedAt, r.duration]).to.deep.equal([BigInt(RequestStatus.None), false, 0n, 0n]);
      expect((await registry.getGrant(alice.address, lab.address, Scope.All, ZERO32)).issuedAt).to.equal(0);
    });

    it("approve and deny of a request that is not pending: never made, approved, denied, someone else's", async function () {
      const { registry, alice, bob, lab } = await loadFixture(deployMeridian);
      const id = requestIdOf(alice.address, lab.address, Scope.All, ZERO32);
      const notPending = async (requestId: string) => {
        await expect(registry.connect(alice).approveRequest(lab.address, Scope.All, ZERO32, false, 0, WRAPPED))
          .to.be.revertedWithCustomError(registry, "RecordRegistryRequestNotPending")
          .withArgs(requestId, RequestStatus.None);
        await expect(registry.connect(alice).denyRequest(lab.address, Scope.All, ZERO32))
          .to.be.revertedWithCustomError(registry, "RecordRegistryRequestNotPending")
          .withArgs(requestId, RequestStatus.None);
      };
      await notPending(id);
      await registry.connect(lab).requestAccess(alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT);
      // Bob cannot decide Alice's request: his call addresses his own (absent) request id.
      await expect(registry.connect(bob).denyRequest(lab.address, Scope.All, ZERO32))
        .to.be.revertedWithCustomError(registry, "RecordRegistryRequestNotPending")
        .withArgs(requestIdOf(bob.address, lab.address, Scope.All, ZERO32), RequestStatus.None);
      await registry.connect(alice).approveRequest(lab.address, Scope.All, ZERO32, false, 0, WRAPPED);
      await notPending(id);
      await registry.connect(lab).requestAccess(alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT);
      await registry.connect(alice).denyRequest(lab.address, Scope.All, ZERO32);
      await notPending(id);
    });

    it("a new request can follow a decided one", async function () {
      const { registry, alice, lab } = await loadFixture(deployMeridian);
      const target = categoryTarget(Category.Imaging);
      const requestId = requestIdOf(alice.address, lab.address, Scope.Category, target);
      await registry.connect(lab).requestAccess(alice.address, Scope.Category, target, false, 0, PURPOSE_TREAT);
      await registry.connect(alice).denyRequest(lab.address, Scope.Category, target);
      await expect(registry.connect(lab).requestAccess(alice.address, Scope.Category, target, true, DAY, PURPOSE_TREAT))
        .to.emit(registry, "AccessRequested")
        .withArgs(alice.address, lab.address, requestId, Scope.Category, target, true, DAY, PURPOSE_TREAT);
      await registry.connect(alice).approveRequest(lab.address, Scope.Category, target, true, 0, WRAPPED);
      await expect(registry.connect(lab).requestAccess(alice.address, Scope.Category, target, false, 0, PURPOSE_TREAT))
        .to.emit(registry, "AccessRequested");
      expect((await registry.getRequest(alice.address, lab.address, Scope.Category, target)).status).to.equal(RequestStatus.Pending);
    });
  });

  // ------------------------------------------------------------------------------- privacy

  describe("privacy", function () {
    it("no event of a full flow carries a plaintext that was never sent", async function () {
      const f = await loadFixture(deployMeridian);
      const { registry, providers, alice, lab, hospital } = f;
      // The clinical text stays off chain: only its (pretend) ciphertext hash and CID are sent.
      const marker = "MERIDIAN-PLAINTEXT-MARKER: Jane Roe, HIV positive";
      const ciphertext = ethers.toUtf8Bytes("opaque ciphertext bytes standing in for AES-GCM output");
      const hash = ethers.sha256(ciphertext);
      const receipts: TransactionReceipt[] = [];
      receipts.push((await anchor(registry, alice, alice.address, Category.Lab, { hash })).receipt);
      receipts.push(await mined(registry.connect(lab).requestAccess(alice.address, Scope.Category, categoryTarget(Category.Lab), true, DAY, PURPOSE_TREAT)));
      receipts.push(await mined(registry.connect(alice).approveRequest(lab.address, Scope.Category, categoryTarget(Category.Lab), true, 0, WRAPPED)));
      receipts.push((await anchor(registry, lab, alice.address, Category.Lab)).receipt);
      receipts.push(await mined(registry.connect(hospital).requestAccess(alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT)));
      receipts.push(await mined(registry.connect(alice).denyRequest(hospital.address, Scope.All, ZERO32)));
      receipts.push(await mined(registry.connect(alice).revoke(lab.address, Scope.Category, categoryTarget(Category.Lab))));
      receipts.push(await mined(providers.suspend(lab.address)));

      const needles = [ethers.hexlify(ethers.toUtf8Bytes(marker)), ethers.hexlify(ethers.toUtf8Bytes("Jane Roe")), ethers.hexlify(ciphertext)].map((h) => h.slice(2));
      let logs = 0;
      for (const receipt of receipts) {
        for (const log of receipt.logs) {
          logs++;
          const haystack = (log.data + log.topics.join("")).toLowerCase();
          for (const needle of needles) expect(haystack).to.not.include(needle);
        }
      }
      expect(logs).to.be.greaterThanOrEqual(receipts.length);
    });

    it("views return only keys, hashes, ids, enums and times (no strings or byte blobs)", async function () {
      const { registry, alice, aliceLab } = await loadFixture(deployMeridianWithRecords);
      const shape = (fn: string) =>
        registry.interface.getFunction(fn)!.outputs[0]!.components!.map((c) => `${c.name}:${c.type}`);
      expect(shape("getPatient")).to.deep.equal(["encryptionKey:bytes32", "chainHead:bytes28", "keyEpoch:uint32"]);
      expect(shape("getRecord")).to.deep.equal(["patient:address", "category:uint8", "keyEpoch:uint32", "anchoredAt:uint40"]);
      expect(shape("getGrant")).to.deep.equal(["issuedAt:uint40", "expiresAt:uint40", "revokedAt:uint40", "keyEpoch:uint32", "write:bool"]);
      expect(shape("getRequest")).to.deep.equal(["status:uint8", "write:bool", "requestedAt:uint40", "duration:uint40"]);
      // No view of the registry returns a string or a dynamic byte array, except the EIP-5267
      // `eip712Domain` (the consent codes' EIP-712 domain name and version: public constants).
      registry.interface.forEachFunction((fn) => {
        if (!fn.constant || fn.name === "eip712Domain") return;
        const types = JSON.stringify(fn.outputs.map((o) => o.format("full")));
        expect(types, fn.name).to.not.match(/\bstring\b|\bbytes\b(?!\d)/);
      });
      const p = await registry.getPatient(alice.address);
      expect(p.length).to.equal(3);
      const r = await registry.getRecord(aliceLab);
      expect(r.length).to.equal(4);
    });
  });

  // ----------------------------------------------------------------------------------- gas

  describe("gas does not grow with patients, records, grants or revocations", function () {
    this.timeout(120_000);

    /**
     * Execution gas = gasUsed − 21,000 − calldata bytes (4 per zero byte, 16 per non-zero byte).
     * A transaction's execution gas does not depend on which bytes it carries here, only the
     * calldata cost does; inputs built by `nonZeroBytes32` make even `gasUsed` identical.
     * (EIP-7623's calldata floor does not bind: every call here executes far more than its floor.)
     */
    function executionGas(tx: { data: string }, receipt: TransactionReceipt): bigint {
      return receipt.gasUsed - 21_000n - calldataGas(tx.data);
    }

    async function crowdedRegistry() {
      const f = await deployMeridian();
      // 50 other patients, each with a record.
      for (let i = 0; i < 50; i++) {
        const w = ethers.Wallet.createRandom().connect(ethers.provider);
        await networkHelpers.setBalance(w.address, ethers.parseEther("1"));
        await f.registry.connect(w).register(nonZeroBytes32(`key ${i}`));
        const h = nonZeroBytes32(`other ${i}`);
        await f.registry.connect(w).anchorRecord(w.address, ethers.concat(["0x01551220", h]), h, Category.General, 0);
      }
      // 50 more providers with zero-byte-free addresses.
      const grantees: string[] = [];
      while (grantees.length < 50) {
        const a = ethers.Wallet.createRandom().address;
        if (ethers.getBytes(a).includes(0)) continue;
        await f.providers.admit(a, Kind.Clinic, `Clinic ${grantees.length}`, "");
        grantees.push(a);
      }
      return { ...f, grantees };
    }

    it("anchoring: the 1st and the 200th record of a patient cost exactly the same", async function () {
      const { registry, alice } = await loadFixture(crowdedRegistry);
      const used: bigint[] = [];
      const exec: bigint[] = [];
      const ids: string[] = [];
      for (let i = 0; i < 200; i++) {
        const h = nonZeroBytes32(`alice ${i}`);
        const tx = await registry.connect(alice).anchorRecord(alice.address, ethers.concat(["0x01551220", h]), h, 1 + (i % 9), 0);
        const receipt = await tx.wait();
        if (!receipt) throw new Error("no receipt");
        used.push(receipt.gasUsed);
        exec.push(executionGas(tx, receipt));
        ids.push(eventsOf(registry, receipt, "RecordAnchored")[0]!.args.recordId);
      }
      expect(used[199]).to.equal(used[0]);
      expect(new Set(used).size, `gas per anchoring: ${[...new Set(used)].join(", ")}`).to.equal(1);
      expect(new Set(exec).size).to.equal(1);
      expect(new Set(ids).size).to.equal(200);
    });

    it("granting: the 1st and the 50th grant of a patient cost exactly the same (all and record scopes)", async function () {
      const { registry, alice, hospital, grantees } = await loadFixture(crowdedRegistry);
      const all: bigint[] = [];
      for (const grantee of grantees) {
        const receipt = await mined(registry.connect(alice).grant(grantee, Scope.All, ZERO32, false, 0, WRAPPED));
        all.push(receipt.gasUsed);
      }
      expect(all[49]).to.equal(all[0]);
      expect(new Set(all).size).to.equal(1);

      // Record grants: each target is a record id, whose zero bytes (calldata cost) vary; the
      // execution gas is identical, and gasUsed differs by 12 gas per zero byte at most.
      const exec: bigint[] = [];
      const used: bigint[] = [];
      for (let i = 0; i < 50; i++) {
        const { recordId } = await anchor(registry, alice, alice.address, Category.Lab, { hash: nonZeroBytes32(`g ${i}`) });
        const tx = await registry.connect(alice).grant(hospital.address, Scope.Record, recordId, false, 0, WRAPPED);
        const receipt = await tx.wait();
        if (!receipt) throw new Error("no receipt");
        exec.push(executionGas(tx, receipt));
        used.push(receipt.gasUsed);
      }
      expect(exec[49]).to.equal(exec[0]);
      expect(new Set(exec).size).to.equal(1);
      const spread = used.reduce((a, b) => (b > a ? b : a)) - used.reduce((a, b) => (b < a ? b : a));
      expect(spread <= 12n * 32n).to.equal(true);
    });

    it("revoking: the 1st and the 50th revocation (each advancing the epoch) cost exactly the same", async function () {
      const { registry, alice, grantees } = await loadFixture(crowdedRegistry);
      for (const grantee of grantees) await registry.connect(alice).grant(grantee, Scope.All, ZERO32, false, 0, WRAPPED);
      const used: bigint[] = [];
      for (const grantee of grantees) {
        const receipt = await mined(registry.connect(alice).revoke(grantee, Scope.All, ZERO32));
        used.push(receipt.gasUsed);
      }
      expect((await registry.getPatient(alice.address)).keyEpoch).to.equal(50);
      expect(used[49]).to.equal(used[0]);
      expect(new Set(used).size).to.equal(1);
    });
  });
});
