/**
 * Shared set-up of the PeerValidation flows: a `ProviderRegistry` (account #0 is admin and
 * regulator), a `RecordRegistry` and a separate `PeerValidation` deployed from their creation
 * bytecode on the kit's chain; the author's two departments, a lab, a patient, a stranger
 * hospital, an outsider and five pool hospitals; the patient's EIP-712 consent, recomputed here
 * from the documented type and domain (not taken from the contract's helper view).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after } from "node:test";
import { bytesToHex, concat, keccak256, stringToHex, type Address, type Hex, type TransactionReceipt } from "viem";
import type { HDAccount } from "viem/accounts";
import {
  ProviderKind as Kind,
  Scope,
  peerValidationAbi,
  peerValidationBytecode,
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

/** `IPeerValidation.ValidationStatus`. */
export const Status = { None: 0, Submitted: 1, Pending: 2, Validated: 3, Rejected: 4 } as const;
/** `IPeerValidation.Vote`. */
export const Vote = { None: 0, Approve: 1, Reject: 2 } as const;
const GENERAL = 1;
export const DAY = 86_400;
export const ZERO32: Hex = `0x${"00".repeat(32)}`;
export const CONSENT_TYPES = {
  ValidationConsent: [
    { name: "recordId", type: "bytes32" },
    { name: "author", type: "address" },
    { name: "validators", type: "uint8" },
    { name: "deadline", type: "uint40" },
  ],
} as const;
export const id = (text: string): Hex => keccak256(stringToHex(text));
export const randomHex = (bytes: number): Hex => bytesToHex(randomBytes(bytes));

export const regulator = testAccount(0);
export const author = testAccount(1);
export const authorDept = testAccount(2);
export const lab = testAccount(3);
export const patient = testAccount(4);
export const stranger = testAccount(5);
export const outsider = testAccount(6);
export const hospitals = [7, 8, 9, 10, 11].map(testAccount);
/** Eight more hospitals for the tests that grow the pool. */
export const extra = [12, 13, 14, 15, 16, 17, 18, 19].map(testAccount);
const everyone = Array.from({ length: 20 }, (_, i) => testAccount(i));

/** A record as anchored: its id and the `RecordProof` fields of its event. */
export interface Anchored {
  recordId: Hex;
  proof: { previousHead: Hex; ciphertextHash: Hex; cid: Hex };
}

/**
 * Starts a test chain (closed after the file's tests) and returns the fixtures `deploy` (the
 * network above, the pool of six hospitals and the patient's first record anchored by `author`)
 * and `drawn` (that record submitted and its validators drawn), with the helpers the flows share.
 */
export async function peerValidationFlow() {
  const kit = await startTestChain();
  after(() => kit.close());
  const node = testNode(kit);
  const chainId = kit.deployment.chainId;

  async function deploy() {
    const { providers, registry } = await deployRegistries(kit, regulator);
    const pv = await deployTestContract(kit, {
      abi: peerValidationAbi,
      bytecode: peerValidationBytecode,
      args: [providers.address, registry.address],
    });
    const admit = (who: HDAccount, kind: (typeof Kind)[keyof typeof Kind], name: string, department: string) =>
      mined(kit, providers.as(regulator).admit([who.address, kind, name, department]));
    await admit(author, Kind.Hospital, "Author General", "Cardiology");
    await admit(authorDept, Kind.Hospital, "Author General", "Radiology");
    await admit(lab, Kind.Lab, "Central Lab", "");
    await admit(stranger, Kind.Hospital, "Stranger Hospital", "");
    await mined(kit, pv.as(authorDept).joinPool());
    for (const [i, h] of hospitals.entries()) {
      await admit(h, Kind.Hospital, `Hospital ${"ABCDE"[i]}`, "");
      await mined(kit, pv.as(h).joinPool());
    }
    await mined(kit, registry.as(patient).register([id("patient x25519")]));
    const wrapped = bytesToHex(new Uint8Array(80).fill(0xab));
    await mined(kit, registry.as(patient).grant([author.address, Scope.All, ZERO32, true, 0, wrapped]));
    const first = await anchor(registry, author, patient.address);
    return { providers, registry, pv, first };
  }
  type Fixture = Awaited<ReturnType<typeof deploy>>;

  /** `by` anchors a General record of `of`; returns its id and the proof fields of its event. */
  async function anchor(
    registry: BoundContract<typeof recordRegistryAbi>,
    by: HDAccount,
    of: Address,
  ): Promise<Anchored> {
    const hash = randomHex(32);
    const cid = concat(["0x01551220", hash]);
    const receipt = await mined(kit, registry.as(by).anchorRecord([of, cid, hash, GENERAL, 0]));
    const [ev] = eventsFrom(receipt, registry, "RecordAnchored");
    assert.ok(ev, "no RecordAnchored event");
    const { recordId, previousHead, ciphertextHash } = ev.args;
    return { recordId, proof: { previousHead, ciphertextHash, cid: ev.args.cid } };
  }

  /** `signer` (the patient) signs its consent to validating `recordId` by `by` until `deadline`. */
  function consent(
    verifyingContract: Address,
    signer: HDAccount,
    recordId: Hex,
    by: Address,
    deadline: number,
    validators = 4,
  ): Promise<Hex> {
    return signer.signTypedData({
      domain: { name: "Meridian PeerValidation", version: "1", chainId, verifyingContract },
      types: CONSENT_TYPES,
      primaryType: "ValidationConsent",
      message: { recordId, author: by, validators, deadline },
    });
  }

  async function inADay(): Promise<number> {
    return (await node.latestTime()) + DAY;
  }

  async function submit(f: Fixture, record: Anchored): Promise<TransactionReceipt> {
    const deadline = await inADay();
    const signature = await consent(f.pv.address, patient, record.recordId, author.address, deadline);
    return mined(kit, f.pv.as(author).submit([record.recordId, record.proof, deadline, signature]));
  }

  /** The accounts seated on `recordId`, in seat order. */
  async function seated(f: Fixture, recordId: Hex): Promise<HDAccount[]> {
    const seats = await f.pv.read.getSeats([recordId]);
    return seats.map((s) => {
      const account = everyone.find((a) => a.address === s.validator);
      assert.ok(account, `unexpected validator ${s.validator}`);
      return account;
    });
  }

  /** Draws (the submit's block is followed by the seed block, so one block is mined in between). */
  async function draw(f: Fixture, recordId: Hex): Promise<{ validators: HDAccount[]; receipt: TransactionReceipt }> {
    const { seedBlock } = await f.pv.read.getCase([recordId]);
    const now = await node.blockNumber();
    if (now + 1n <= BigInt(seedBlock)) await node.mine(BigInt(seedBlock) - now);
    const receipt = await mined(kit, f.pv.as(regulator).draw([recordId]));
    return { validators: await seated(f, recordId), receipt };
  }

  /** The first record submitted and drawn. */
  async function drawn() {
    const f = await deploy();
    await submit(f, f.first);
    const { validators } = await draw(f, f.first.recordId);
    const unchosen = hospitals.find((h) => !validators.some((v) => v.address === h.address));
    assert.ok(unchosen, "every hospital was chosen");
    return { ...f, validators, unchosen };
  }

  async function expectCase(f: Fixture, recordId: Hex, status: number, approvals: number, rejections: number) {
    const c = await f.pv.read.getCase([recordId]);
    assert.deepEqual([c.status, c.approvals, c.rejections], [status, approvals, rejections]);
  }

  return {
    kit,
    node,
    chainId,
    loadFixture: fixtureLoader(kit),
    deploy,
    drawn,
    anchor,
    consent,
    inADay,
    submit,
    draw,
    expectCase,
  };
}
