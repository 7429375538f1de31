/**
 * PeerValidation on a real (in-process EDR) chain: the hospital pool, submission with the
 * patient's EIP-712 consent, the two-step draw from a real future block hash, key sharing, votes
 * (3 of 4 validate, 2 rejections reject), the abuse cases (each refused by its own custom error,
 * changing nothing), replacement after the deadline, and the gas of each operation.
 *
 * The EIP-712 digest is recomputed here from the documented type and domain (ethers'
 * `signTypedData`), not taken from the contract's helper view.
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
const { loadFixture, mine, time } = networkHelpers;

/** The contracts' methods, typed loosely (typechain's namespaces fail `erasableSyntaxOnly`). */
type Typed<Names extends string> = Omit<BaseContract, "connect"> & { [K in Names]: BaseContractMethod } & {
  connect(runner: ContractRunner | null): Typed<Names>;
};
type PeerValidation = Typed<
  | "VALIDATORS"
  | "APPROVALS"
  | "REJECTIONS"
  | "VOTE_PERIOD"
  | "VALIDATION_CONSENT_TYPEHASH"
  | "eip712Domain"
  | "joinPool"
  | "leavePool"
  | "prune"
  | "submit"
  | "draw"
  | "shareKeys"
  | "vote"
  | "replace"
  | "isValidator"
  | "statusOf"
  | "getCase"
  | "getSeats"
  | "poolSize"
  | "poolMemberAt"
  | "poolVersion"
  | "casePoolMemberAt"
  | "isInPool"
  | "poolMemberOf"
  | "institutionOf"
  | "consentDigest"
  | "recordRegistry"
  | "providerRegistry"
>;
type RecordRegistry = Typed<"register" | "anchorRecord" | "grant" | "getPatient" | "peerValidation" | "canRead">;
type ProviderRegistry = Typed<"admit" | "suspend" | "reinstate" | "remove">;

/** `IPeerValidation.ValidationStatus`. */
const Status = { None: 0n, Submitted: 1n, Pending: 2n, Validated: 3n, Rejected: 4n } as const;
/** `IPeerValidation.Vote`. */
const Vote = { None: 0, Approve: 1, Reject: 2 } as const;
const Kind = { Hospital: 1, Lab: 3 } as const;
const Scope = { All: 3 } as const;
const General = 1;
const DAY = 86_400;
const CONSENT_TYPES = {
  ValidationConsent: [
    { name: "recordId", type: "bytes32" },
    { name: "author", type: "address" },
    { name: "validators", type: "uint8" },
    { name: "deadline", type: "uint40" },
  ],
};

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

async function deploy() {
  const signers = await ethers.getSigners();
  const [regulator, author, authorDept, lab, patient, stranger, outsider, ...rest] = signers;
  const hospitals = rest.slice(0, 5);
  if (!regulator || !author || !authorDept || !lab || !patient || !stranger || !outsider || hospitals.length < 5) {
    throw new Error("the hardhat network needs at least 12 accounts");
  }
  const providers = (await ethers.deployContract("ProviderRegistry", [regulator.address, regulator.address])) as unknown as ProviderRegistry;
  const registry = (await ethers.deployContract("RecordRegistry", [await providers.getAddress()])) as unknown as RecordRegistry;
  const pv = (await ethers.deployContract("PeerValidation", [await providers.getAddress(), await registry.getAddress()])) as unknown as PeerValidation;
  await providers.admit(author.address, Kind.Hospital, "Author General", "Cardiology");
  await providers.admit(authorDept.address, Kind.Hospital, "Author General", "Radiology");
  await providers.admit(lab.address, Kind.Lab, "Central Lab", "");
  await providers.admit(stranger.address, Kind.Hospital, "Stranger Hospital", "");
  await pv.connect(authorDept).joinPool();
  for (const [i, h] of hospitals.entries()) {
    await providers.admit(h.address, Kind.Hospital, `Hospital ${"ABCDE"[i]}`, "");
    await pv.connect(h).joinPool();
  }
  await registry.connect(patient).register(ethers.id("patient x25519"));
  await registry.connect(patient).grant(author.address, Scope.All, ethers.ZeroHash, true, 0, ethers.hexlify(new Uint8Array(80).fill(0xab)));
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const pvAddress = await pv.getAddress();
  const first = await anchor(registry, author, patient.address);
  return { providers, registry, pv, pvAddress, chainId, regulator, author, authorDept, lab, patient, stranger, outsider, hospitals, first };
}
type Fixture = Awaited<ReturnType<typeof deploy>>;

interface Anchored {
  recordId: string;
  proof: { previousHead: string; ciphertextHash: string; cid: string };
}

/** `author` anchors a General record of `patient`; returns its id and the proof fields of its event. */
async function anchor(registry: RecordRegistry, author: Signer, patient: string): Promise<Anchored> {
  const hash = ethers.hexlify(ethers.randomBytes(32));
  const cid = ethers.concat(["0x01551220", hash]);
  const receipt = await mined(registry.connect(author).anchorRecord(patient, cid, hash, General, 0));
  const [ev] = eventsOf(registry, receipt, "RecordAnchored");
  if (!ev) throw new Error("no RecordAnchored event");
  return { recordId: ev.args.recordId, proof: { previousHead: ev.args.previousHead, ciphertextHash: ev.args.ciphertextHash, cid: ev.args.cid } };
}

/** `signer` (the patient) signs its consent to validating `recordId` by `author` until `deadline`. */
function consent(f: Fixture, signer: Signer, recordId: string, author: string, deadline: number, validators = 4): Promise<string> {
  return signer.signTypedData(
    { name: "Meridian PeerValidation", version: "1", chainId: f.chainId, verifyingContract: f.pvAddress },
    CONSENT_TYPES,
    { recordId, author, validators, deadline },
  );
}

async function inADay(): Promise<number> {
  return (await time.latest()) + DAY;
}

async function submit(f: Fixture, record: Anchored): Promise<TransactionReceipt> {
  const deadline = await inADay();
  const signature = await consent(f, f.patient, record.recordId, f.author.address, deadline);
  return mined(f.pv.connect(f.author).submit(record.recordId, record.proof, deadline, signature));
}

/** Draws (the submit's block is followed by the seed block, so one block is mined in between). */
async function draw(f: Fixture, recordId: string): Promise<{ validators: Signer[]; receipt: TransactionReceipt }> {
  const seedBlock = (await f.pv.getCase(recordId)).seedBlock;
  const now = BigInt(await ethers.provider.getBlockNumber());
  if (now + 1n <= seedBlock) await mine(Number(seedBlock - now));
  const receipt = await mined(f.pv.draw(recordId));
  return { validators: await seated(f, recordId), receipt };
}

async function seated(f: Fixture, recordId: string): Promise<Signer[]> {
  const seats = await f.pv.getSeats(recordId);
  const all = await ethers.getSigners();
  return seats.map((s: { validator: string }) => {
    const signer = all.find((a) => a.address === s.validator);
    if (!signer) throw new Error(`unexpected validator ${s.validator}`);
    return signer;
  });
}

/** The first record submitted and drawn. */
async function drawn() {
  const f = await deploy();
  await submit(f, f.first);
  const { validators } = await draw(f, f.first.recordId);
  const seatedAddresses = await Promise.all(validators.map((v) => v.getAddress()));
  const unchosen = f.hospitals.find((h) => !seatedAddresses.includes(h.address));
  if (!unchosen) throw new Error("every hospital was chosen");
  return { ...f, validators, unchosen };
}

async function expectCase(f: Fixture, recordId: string, status: bigint, approvals: number, rejections: number): Promise<void> {
  const c = await f.pv.getCase(recordId);
  expect([c.status, c.approvals, c.rejections]).to.deep.equal([status, BigInt(approvals), BigInt(rejections)]);
}

describe("PeerValidation", function () {
  describe("deployment", function () {
    it("has k = 4 (3f + 1), 3 approvals, 2 rejections, 3 days to vote, and the documented EIP-712 domain and type", async function () {
      const f = await loadFixture(deploy);
      expect(await f.pv.VALIDATORS()).to.equal(4n);
      expect(await f.pv.APPROVALS()).to.equal(3n);
      expect(await f.pv.REJECTIONS()).to.equal(2n);
      expect(await f.pv.VOTE_PERIOD()).to.equal(BigInt(3 * DAY));
      expect(await f.pv.VALIDATION_CONSENT_TYPEHASH()).to.equal(
        ethers.id("ValidationConsent(bytes32 recordId,address author,uint8 validators,uint40 deadline)"),
      );
      const domain = await f.pv.eip712Domain();
      expect([domain.name, domain.version, domain.chainId, domain.verifyingContract]).to.deep.equal(["Meridian PeerValidation", "1", f.chainId, f.pvAddress]);
      const digest = ethers.TypedDataEncoder.hash(
        { name: "Meridian PeerValidation", version: "1", chainId: f.chainId, verifyingContract: f.pvAddress },
        CONSENT_TYPES,
        { recordId: f.first.recordId, author: f.author.address, validators: 4, deadline: 99 },
      );
      expect(await f.pv.consentDigest(f.first.recordId, f.author.address, 4, 99)).to.equal(digest);
    });
  });

  describe("record registry", function () {
    it("is deployed by RecordRegistry, whose canRead lets a seated, active validator (only) read the record", async function () {
      const f = await loadFixture(deploy);
      const embedded = (await ethers.getContractAt("PeerValidation", await f.registry.peerValidation())) as unknown as PeerValidation;
      expect(await embedded.recordRegistry()).to.equal(await f.registry.getAddress());
      expect(await embedded.providerRegistry()).to.equal(await f.providers.getAddress());
      for (const h of [f.authorDept, ...f.hospitals]) await embedded.connect(h).joinPool();
      const deadline = await inADay();
      const signature = await f.patient.signTypedData(
        { name: "Meridian PeerValidation", version: "1", chainId: f.chainId, verifyingContract: await embedded.getAddress() },
        CONSENT_TYPES,
        { recordId: f.first.recordId, author: f.author.address, validators: 4, deadline },
      );
      await embedded.connect(f.author).submit(f.first.recordId, f.first.proof, deadline, signature);
      await mine(1);
      await embedded.draw(f.first.recordId);
      const seats: string[] = (await embedded.getSeats(f.first.recordId)).map((s: { validator: string }) => s.validator);
      const others = [f.authorDept, ...f.hospitals].map((h) => h.address).filter((a) => !seats.includes(a));
      for (const v of seats) expect(await f.registry.canRead(v, f.first.recordId)).to.equal(true);
      for (const o of others) expect(await f.registry.canRead(o, f.first.recordId)).to.equal(false);
      await f.providers.suspend(seats[0]!);
      expect(await f.registry.canRead(seats[0]!, f.first.recordId)).to.equal(false);
    });
  });

  describe("pool", function () {
    it("takes one account per institution, only active hospitals; leave and prune remove by swap-and-pop", async function () {
      const f = await loadFixture(deploy);
      expect(await f.pv.poolSize()).to.equal(6n);
      const institution = ethers.id("Author General");
      expect(await f.pv.poolMemberOf(institution)).to.equal(f.authorDept.address);
      await expect(f.pv.connect(f.author).joinPool())
        .to.be.revertedWithCustomError(f.pv, "PeerValidationInstitutionInPool")
        .withArgs(institution, f.authorDept.address);
      await expect(f.pv.connect(f.lab).joinPool()).to.be.revertedWithCustomError(f.pv, "PeerValidationNotHospital").withArgs(f.lab.address, Kind.Lab);
      await expect(f.pv.connect(f.outsider).joinPool()).to.be.revertedWithCustomError(f.pv, "PeerValidationProviderNotActive").withArgs(f.outsider.address);
      await expect(f.pv.connect(f.stranger).leavePool()).to.be.revertedWithCustomError(f.pv, "PeerValidationNotInPool").withArgs(f.stranger.address);
      await expect(f.pv.connect(f.stranger).joinPool()).to.emit(f.pv, "PoolJoined").withArgs(f.stranger.address, ethers.id("Stranger Hospital"));

      const h0 = f.hospitals[0]!;
      await expect(f.pv.connect(f.outsider).prune(h0.address)).to.be.revertedWithCustomError(f.pv, "PeerValidationMemberActive").withArgs(h0.address);
      await f.providers.suspend(h0.address);
      await expect(f.pv.connect(f.outsider).prune(h0.address)).to.emit(f.pv, "PoolLeft").withArgs(h0.address, ethers.id("Hospital A"), f.outsider.address);
      expect(await f.pv.poolMemberAt(1)).to.equal(f.stranger.address); // the last entry filled the hole
      const size = await f.pv.poolSize();
      await expect(f.pv.poolMemberAt(size))
        .to.be.revertedWithCustomError(f.pv, "PeerValidationPoolIndexOutOfRange")
        .withArgs(size, size);
      await expect(f.pv.connect(f.authorDept).leavePool()).to.emit(f.pv, "PoolLeft").withArgs(f.authorDept.address, institution, f.authorDept.address);
      await expect(f.pv.connect(f.author).joinPool()).to.emit(f.pv, "PoolJoined").withArgs(f.author.address, institution);
      expect(await f.pv.isInPool(f.author.address)).to.equal(true);
      expect(await f.pv.poolSize()).to.equal(6n);
    });
  });

  describe("submit", function () {
    it("opens a case with the patient's consent; the seed block is the next block", async function () {
      const f = await loadFixture(deploy);
      const receipt = await submit(f, f.first);
      const c = await f.pv.getCase(f.first.recordId);
      expect(c.status).to.equal(Status.Submitted);
      expect([c.author, c.patient, c.authorInstitution]).to.deep.equal([f.author.address, f.patient.address, ethers.id("Author General")]);
      expect(c.seedBlock).to.equal(BigInt(receipt.blockNumber + 1));
      expect(c.vacancies).to.equal(4n);
      const [ev] = eventsOf(f.pv, receipt, "ValidationSubmitted");
      expect(ev?.args.toArray()).to.deep.equal([f.first.recordId, f.patient.address, f.author.address, BigInt(receipt.blockNumber + 1)]);
    });

    it("refuses a non-author, a wrong proof, an inactive author, a bad or expired consent, a second submission, a small pool", async function () {
      const f = await loadFixture(deploy);
      const { recordId, proof } = f.first;
      const deadline = await inADay();
      const h0 = f.hospitals[0]!;
      await expect(f.pv.connect(h0).submit(recordId, proof, deadline, await consent(f, f.patient, recordId, h0.address, deadline)))
        .to.be.revertedWithCustomError(f.pv, "PeerValidationNotAuthor")
        .withArgs(recordId, h0.address);
      const good = await consent(f, f.patient, recordId, f.author.address, deadline);
      await expect(f.pv.connect(f.author).submit(recordId, { ...proof, ciphertextHash: ethers.ZeroHash }, deadline, good))
        .to.be.revertedWithCustomError(f.pv, "PeerValidationNotAuthor")
        .withArgs(recordId, f.author.address);
      await expect(f.pv.connect(f.author).submit(ethers.ZeroHash, proof, deadline, good))
        .to.be.revertedWithCustomError(f.pv, "PeerValidationUnknownRecord")
        .withArgs(ethers.ZeroHash);
      for (const bad of [
        await consent(f, f.stranger, recordId, f.author.address, deadline),
        await consent(f, f.patient, recordId, f.author.address, deadline, 3),
        await consent(f, f.patient, recordId, f.author.address, deadline + 1),
        "0x1234",
      ]) {
        await expect(f.pv.connect(f.author).submit(recordId, proof, deadline, bad))
          .to.be.revertedWithCustomError(f.pv, "PeerValidationInvalidConsent")
          .withArgs(recordId, f.patient.address);
      }
      const past = (await time.latest()) - 1;
      await expect(f.pv.connect(f.author).submit(recordId, proof, past, await consent(f, f.patient, recordId, f.author.address, past)))
        .to.be.revertedWithCustomError(f.pv, "PeerValidationConsentExpired");
      expect(await f.pv.statusOf(recordId)).to.equal(Status.None);

      await submit(f, f.first);
      await expect(f.pv.connect(f.author).submit(recordId, proof, deadline, good))
        .to.be.revertedWithCustomError(f.pv, "PeerValidationAlreadySubmitted")
        .withArgs(recordId, Status.Submitted);

      const second = await anchor(f.registry, f.author, f.patient.address);
      for (const h of f.hospitals.slice(0, 2)) await f.pv.connect(h).leavePool();
      await expect(submit(f, second)).to.be.revertedWithCustomError(f.pv, "PeerValidationPoolTooSmall").withArgs(3, 4);
      await f.providers.suspend(f.author.address);
      await expect(submit(f, second)).to.be.revertedWithCustomError(f.pv, "PeerValidationProviderNotActive").withArgs(f.author.address);
    });
  });

  describe("draw", function () {
    it("waits for the seed block, then seats 4 distinct hospitals outside the author's institution from its hash", async function () {
      const f = await loadFixture(deploy);
      const receipt = await submit(f, f.first);
      const seedBlock = receipt.blockNumber + 1;
      // the next transaction is mined in the seed block itself, whose hash is not known yet
      await expect(f.pv.draw(f.first.recordId))
        .to.be.revertedWithCustomError(f.pv, "PeerValidationSeedNotReady")
        .withArgs(f.first.recordId, seedBlock, seedBlock);
      const { validators, receipt: drawReceipt } = await draw(f, f.first.recordId);
      const addresses = validators.map((v) => (v as unknown as { address: string }).address);
      expect(new Set(addresses).size).to.equal(4);
      expect(addresses).to.not.include(f.authorDept.address);
      const chosen = eventsOf(f.pv, drawReceipt, "ValidatorChosen");
      const deadline = BigInt((await time.latest()) + 3 * DAY);
      expect(chosen.map((e) => [e.args.validator, e.args.seat, e.args.deadline])).to.deep.equal(addresses.map((a, i) => [a, BigInt(i), deadline]));
      for (const a of addresses) expect(await f.pv.isValidator(f.first.recordId, a)).to.equal(true);
      expect(await f.pv.statusOf(f.first.recordId)).to.equal(Status.Pending);
      await expect(f.pv.draw(f.first.recordId)).to.be.revertedWithCustomError(f.pv, "PeerValidationNothingToDraw").withArgs(f.first.recordId);
      await expect(f.pv.draw(ethers.ZeroHash)).to.be.revertedWithCustomError(f.pv, "PeerValidationUnknownCase").withArgs(ethers.ZeroHash);
    });

    it("renews a seed block whose hash is gone (over 256 blocks), then draws from the new one", async function () {
      const f = await loadFixture(deploy);
      await submit(f, f.first);
      await mine(300);
      const receipt = await mined(f.pv.draw(f.first.recordId));
      const [ev] = eventsOf(f.pv, receipt, "ValidationSeedRenewed");
      expect(ev?.args.seedBlock).to.equal(BigInt(receipt.blockNumber + 1));
      expect(await f.pv.statusOf(f.first.recordId)).to.equal(Status.Submitted);
      await draw(f, f.first.recordId);
      expect(await f.pv.statusOf(f.first.recordId)).to.equal(Status.Pending);
    });

    it("draws from the pool as the submission left it: leaving and rejoining once the seed block is out changes nothing (issue 14, item 3)", async function () {
      const f = await loadFixture(deploy);
      const extra = (await ethers.getSigners()).slice(12, 20);
      for (const [i, s] of extra.entries()) {
        await f.providers.admit(s.address, Kind.Hospital, `Extra ${i}`, "");
        await f.pv.connect(s).joinPool();
      }
      expect(await f.pv.poolSize()).to.equal(14n);
      await submit(f, f.first);
      await mine(1); // the seed block: its hash is public from here on
      const { recordId } = f.first;
      const seats = async () => (await f.pv.getSeats(recordId)).map((s: { validator: string }) => s.validator);
      // what the colluders see when they dry-run the draw
      const before = await networkHelpers.takeSnapshot();
      await mined(f.pv.draw(recordId));
      const expected = await seats();
      await before.restore();
      // three colluding institutions (the author's among them) leave and rejoin to reorder the pool; a newcomer joins
      await f.pv.connect(f.authorDept).leavePool();
      await f.pv.connect(f.author).joinPool(); // the author's own account, for its institution
      await f.pv.connect(f.hospitals[1]!).leavePool();
      await f.pv.connect(extra[0]!).leavePool();
      await f.pv.connect(extra[0]!).joinPool();
      await f.pv.connect(f.hospitals[1]!).joinPool();
      await f.pv.connect(f.stranger).joinPool();
      expect(await f.pv.poolMemberAt(0)).to.not.equal(await f.pv.casePoolMemberAt(recordId, 0), "the pool was reordered");
      expect(await f.pv.poolSize()).to.equal(15n);
      expect((await f.pv.getCase(recordId)).poolSize).to.equal(14n);
      await mined(f.pv.draw(recordId));
      expect(await seats()).to.deep.equal(expected);
    });

    it("fails, changing nothing, when too few pool members are eligible", async function () {
      const f = await loadFixture(deploy);
      await submit(f, f.first);
      await f.providers.suspend(f.hospitals[0]!.address);
      await f.providers.suspend(f.hospitals[1]!.address);
      await expect(draw(f, f.first.recordId)).to.be.revertedWithCustomError(f.pv, "PeerValidationDrawFailed").withArgs(f.first.recordId, 3, 4);
      expect(await f.pv.statusOf(f.first.recordId)).to.equal(Status.Submitted);
    });
  });

  describe("shareKeys", function () {
    it("emits each validator's wrapped key; only the author, only seated validators", async function () {
      const f = await loadFixture(drawn);
      const addresses = await Promise.all(f.validators.map((v) => v.getAddress()));
      const keys = addresses.map(() => ethers.hexlify(ethers.randomBytes(80)));
      const receipt = await mined(f.pv.connect(f.author).shareKeys(f.first.recordId, addresses, keys));
      expect(eventsOf(f.pv, receipt, "ValidationKeyShared").map((e) => [e.args.validator, e.args.wrappedKey])).to.deep.equal(addresses.map((a, i) => [a, keys[i]]));
      await expect(f.pv.connect(f.validators[0]!).shareKeys(f.first.recordId, addresses, keys))
        .to.be.revertedWithCustomError(f.pv, "PeerValidationNotCaseAuthor")
        .withArgs(f.first.recordId, addresses[0]);
      await expect(f.pv.connect(f.author).shareKeys(f.first.recordId, [f.unchosen.address], [keys[0]]))
        .to.be.revertedWithCustomError(f.pv, "PeerValidationNotValidator")
        .withArgs(f.first.recordId, f.unchosen.address);
      await expect(f.pv.connect(f.author).shareKeys(f.first.recordId, addresses, keys.slice(1)))
        .to.be.revertedWithCustomError(f.pv, "PeerValidationLengthMismatch")
        .withArgs(4, 3);
      await expect(f.pv.connect(f.author).shareKeys(f.first.recordId, [addresses[0]], ["0x"]))
        .to.be.revertedWithCustomError(f.pv, "PeerValidationInvalidWrappedKey")
        .withArgs(0);
    });
  });

  describe("votes", function () {
    it("validates a diagnosis at 3 approvals of 4, and rejects another at 2 rejections", async function () {
      const f = await loadFixture(drawn);
      const { recordId } = f.first;
      const comment = ethers.id("consistent with the ECG and troponin");
      await expect(f.pv.connect(f.validators[0]!).vote(recordId, Vote.Approve, comment))
        .to.emit(f.pv, "ValidationVoteCast")
        .withArgs(recordId, await f.validators[0]!.getAddress(), Vote.Approve, comment);
      await f.pv.connect(f.validators[1]!).vote(recordId, Vote.Reject, ethers.id("not supported"));
      await f.pv.connect(f.validators[2]!).vote(recordId, Vote.Approve, ethers.ZeroHash);
      await expectCase(f, recordId, Status.Pending, 2, 1);
      await expect(f.pv.connect(f.validators[3]!).vote(recordId, Vote.Approve, comment))
        .to.emit(f.pv, "ValidationDecided")
        .withArgs(recordId, Status.Validated, 3, 1);
      await expectCase(f, recordId, Status.Validated, 3, 1);

      const second = await anchor(f.registry, f.author, f.patient.address);
      await submit(f, second);
      const { validators } = await draw(f, second.recordId);
      await f.pv.connect(validators[0]!).vote(second.recordId, Vote.Reject, ethers.id("wrong code"));
      await f.pv.connect(validators[1]!).vote(second.recordId, Vote.Approve, ethers.ZeroHash);
      await expect(f.pv.connect(validators[2]!).vote(second.recordId, Vote.Reject, ethers.ZeroHash))
        .to.emit(f.pv, "ValidationDecided")
        .withArgs(second.recordId, Status.Rejected, 1, 2);
      await expect(f.pv.connect(validators[3]!).vote(second.recordId, Vote.Approve, ethers.ZeroHash))
        .to.be.revertedWithCustomError(f.pv, "PeerValidationCaseNotOpen")
        .withArgs(second.recordId, Status.Rejected);
      await expectCase(f, second.recordId, Status.Rejected, 1, 2);
    });

    it("refuses, changing nothing: a provider not chosen, a second vote, a vote after the deadline, the author", async function () {
      const f = await loadFixture(drawn);
      const { recordId } = f.first;
      const [v0, v1] = f.validators as [Signer, Signer];
      await expect(f.pv.connect(f.unchosen).vote(recordId, Vote.Approve, ethers.ZeroHash))
        .to.be.revertedWithCustomError(f.pv, "PeerValidationNotValidator")
        .withArgs(recordId, f.unchosen.address);
      await f.pv.connect(v0).vote(recordId, Vote.Approve, ethers.ZeroHash);
      await expect(f.pv.connect(v0).vote(recordId, Vote.Reject, ethers.ZeroHash))
        .to.be.revertedWithCustomError(f.pv, "PeerValidationAlreadyVoted")
        .withArgs(recordId, await v0.getAddress(), Vote.Approve);
      await expect(f.pv.connect(f.author).vote(recordId, Vote.Approve, ethers.ZeroHash))
        .to.be.revertedWithCustomError(f.pv, "PeerValidationAuthorCannotVote")
        .withArgs(recordId, f.author.address);
      const deadline = (await f.pv.getSeats(recordId))[1].deadline;
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(f.pv.connect(v1).vote(recordId, Vote.Approve, ethers.ZeroHash))
        .to.be.revertedWithCustomError(f.pv, "PeerValidationDeadlinePassed")
        .withArgs(recordId, await v1.getAddress(), deadline, deadline + 1n);
      await expectCase(f, recordId, Status.Pending, 1, 0);
      expect((await f.pv.getSeats(recordId)).map((s: { vote: bigint }) => s.vote)).to.deep.equal([1n, 0n, 0n, 0n]);
      await expect(f.pv.connect(f.validators[2]!).vote(recordId, Vote.None, ethers.ZeroHash)).to.be.revertedWithCustomError(f.pv, "PeerValidationDeadlinePassed");
    });
  });

  describe("replace", function () {
    it("frees a silent validator's seat after its deadline (anyone), and the next draw fills it", async function () {
      const f = await loadFixture(drawn);
      const { recordId } = f.first;
      const [v0, v1] = f.validators as [Signer, Signer];
      const v1Address = await v1.getAddress();
      await f.pv.connect(v0).vote(recordId, Vote.Approve, ethers.ZeroHash);
      await expect(f.pv.connect(f.outsider).replace(recordId, v1Address)).to.be.revertedWithCustomError(f.pv, "PeerValidationDeadlineNotPassed");
      await time.increase(3 * DAY + 1);
      await expect(f.pv.connect(f.outsider).replace(recordId, await v0.getAddress())).to.be.revertedWithCustomError(f.pv, "PeerValidationAlreadyVoted");
      await expect(f.pv.connect(f.outsider).replace(recordId, f.unchosen.address))
        .to.be.revertedWithCustomError(f.pv, "PeerValidationNotValidator")
        .withArgs(recordId, f.unchosen.address);
      const receipt = await mined(f.pv.connect(f.outsider).replace(recordId, v1Address));
      const [ev] = eventsOf(f.pv, receipt, "ValidatorReplaced");
      expect(ev?.args.toArray()).to.deep.equal([recordId, v1Address, f.outsider.address, BigInt(receipt.blockNumber + 1)]);
      expect(await f.pv.isValidator(recordId, v1Address)).to.equal(false);
      await expect(f.pv.connect(v1).vote(recordId, Vote.Approve, ethers.ZeroHash)).to.be.revertedWithCustomError(f.pv, "PeerValidationNotValidator");
      const { validators } = await draw(f, recordId);
      const successor = validators[1]!;
      expect(await successor.getAddress()).to.not.equal(v1Address);
      const addresses = await Promise.all(validators.map((v) => v.getAddress()));
      expect(new Set(addresses).size).to.equal(4);
      await f.pv.connect(successor).vote(recordId, Vote.Approve, ethers.ZeroHash);
      await expectCase(f, recordId, Status.Pending, 2, 0);
    });
  });

  // ------------------------------------------------------------------------------------ gas

  describe("gas", function () {
    this.timeout(120_000);
    const report: Record<string, bigint[]> = {};
    after(function () {
      const rows = Object.entries(report).map(([op, v]) => `    ${op.padEnd(24)} ${[...new Set(v)].join(" / ")}`);
      console.log(`\n    PeerValidation gas used per transaction:\n${rows.join("\n")}`);
    });
    function note(op: string, receipt: TransactionReceipt): bigint {
      (report[op] ??= []).push(receipt.gasUsed);
      return receipt.gasUsed;
    }

    it("reports each operation's gas; a draw costs about the same with 7 or 15 hospitals in the pool", async function () {
      const f = await loadFixture(deploy);
      const extra = (await ethers.getSigners()).slice(12, 20);
      note("joinPool", await mined(f.pv.connect(f.stranger).joinPool()));
      const drawGas: bigint[] = [];
      for (let round = 0; round < 2; round++) {
        if (round === 1) for (const [i, s] of extra.entries()) {
          await f.providers.admit(s.address, Kind.Hospital, `Extra ${i}`, "");
          note("joinPool", await mined(f.pv.connect(s).joinPool()));
        }
        const record = round === 0 ? f.first : await anchor(f.registry, f.author, f.patient.address);
        note("submit", await submit(f, record));
        const { validators, receipt } = await draw(f, record.recordId);
        drawGas.push(note("draw (4 seats)", receipt));
        const addresses = await Promise.all(validators.map((v) => v.getAddress()));
        note("shareKeys (4 keys)", await mined(f.pv.connect(f.author).shareKeys(record.recordId, addresses, addresses.map(() => ethers.hexlify(ethers.randomBytes(80))))));
        note("vote", await mined(f.pv.connect(validators[0]!).vote(record.recordId, Vote.Approve, ethers.id("ok"))));
        note("vote", await mined(f.pv.connect(validators[1]!).vote(record.recordId, Vote.Approve, ethers.id("ok"))));
        note("vote (deciding)", await mined(f.pv.connect(validators[2]!).vote(record.recordId, Vote.Approve, ethers.id("ok"))));
      }
      const record = await anchor(f.registry, f.author, f.patient.address);
      await submit(f, record);
      const { validators } = await draw(f, record.recordId);
      await time.increase(3 * DAY + 1);
      note("replace", await mined(f.pv.replace(record.recordId, await validators[0]!.getAddress())));
      note("draw (1 seat)", (await draw(f, record.recordId)).receipt);
      note("leavePool", await mined(f.pv.connect(f.stranger).leavePool()));
      // draws differ only by which pool entries the seed hits (a skipped entry costs a few thousand)
      for (const g of drawGas) expect(g < 300_000n, `draw used ${g}`).to.equal(true);
      for (const [op, v] of Object.entries(report)) for (const g of v) expect(g < 300_000n, `${op} used ${g} gas`).to.equal(true);
    });
  });
});
