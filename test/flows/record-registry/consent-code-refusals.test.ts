/**
 * RecordRegistry: consent codes that must not become grants (tampered fields, keys or signatures,
 * stale key epochs, inactive grantees, the grant rules), and codes of an ERC-1271 smart-account
 * patient (`contracts/test/TestSmartAccount.sol`, deployed from Hardhat's artifacts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { artifacts } from "hardhat";
import {
  concat,
  encodeFunctionData,
  keccak256,
  slice,
  type Abi,
  type Account,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { recordRegistryAbi } from "@meridian/sdk/chain";
import {
  deployTestContract,
  eventsFrom,
  expectContractError,
  expectEvent,
  mined,
  type BoundContract,
} from "@meridian/sdk/testing";
import { digestOf, expectNotRedeemed, makeCode, signCode, type ConsentCode } from "./consent-code.ts";
import {
  alice,
  bob,
  carol,
  Category,
  categoryTarget,
  cidOf,
  consentRecords,
  DAY,
  filled,
  grantIdOf,
  hospital,
  id,
  kit,
  lab,
  loadFixture,
  NO_ESTIMATE,
  node,
  outsider,
  registry,
  registryAddress,
  removedDoc,
  Scope,
  setStatus,
  suspendedDoc,
  WRAPPED,
  ZERO32,
} from "./fixtures.ts";

describe("RecordRegistry: consent codes refused", () => {
  it("refuses a code with any signed field changed (RecordRegistryInvalidConsentSignature)", async () => {
    const { aliceLab } = await loadFixture(consentRecords);
    const code = await makeCode({ write: true });
    const signature = await signCode(alice, code);
    const tampered: [string, Partial<ConsentCode>, Account][] = [
      ["scope and target", { scope: Scope.All, target: ZERO32 }, hospital],
      ["scope (record)", { scope: Scope.Record, target: aliceLab, write: false }, hospital],
      ["target", { target: categoryTarget(Category.Cardiac) }, hospital],
      ["write", { write: false }, hospital],
      ["expiresAt", { expiresAt: code.expiresAt + 365 * DAY }, hospital],
      ["expiresAt (none)", { expiresAt: 0 }, hospital],
      ["deadline", { deadline: code.deadline + 1 }, hospital],
      ["nonce", { nonce: code.nonce ^ 1n }, hospital],
      ["grantee", { grantee: lab.address }, lab],
    ];
    for (const [what, change, caller] of tampered) {
      const forged = { ...code, ...change };
      await expectContractError(
        registry.as(caller).redeemConsentCode([forged, WRAPPED, signature]),
        "RecordRegistryInvalidConsentSignature",
        [alice.address],
      ).catch((error: unknown) => {
        throw new Error(`tampered ${what}`, { cause: error });
      });
      await expectNotRedeemed(forged);
    }
    // A different key epoch in the code (the signature is checked before the epoch).
    await expectContractError(
      registry.as(hospital).redeemConsentCode([{ ...code, keyEpoch: 1 }, WRAPPED, signature]),
      "RecordRegistryInvalidConsentSignature",
      [alice.address],
    );
    await expectNotRedeemed(code);
    await mined(kit, registry.as(hospital).redeemConsentCode([code, WRAPPED, signature])); // the genuine code works
  });

  it("refuses a tampered wrapped key, with or without a matching wrappedKeyHash (RecordRegistryInvalidConsentSignature)", async () => {
    await loadFixture(consentRecords);
    const code = await makeCode();
    const signature = await signCode(alice, code);
    const otherKey = filled(80, 0xee);
    const attempts: [ConsentCode, Hex][] = [
      [code, otherKey],
      [{ ...code, wrappedKeyHash: keccak256(otherKey) }, otherKey],
      [code, `${WRAPPED}00`],
    ];
    for (const [submitted, wrappedKey] of attempts) {
      await expectContractError(
        registry.as(hospital).redeemConsentCode([submitted, wrappedKey, signature]),
        "RecordRegistryInvalidConsentSignature",
        [alice.address],
      );
    }
    await expectNotRedeemed(code);
  });

  it("refuses a code signed by another account, or a malformed signature (RecordRegistryInvalidConsentSignature)", async () => {
    await loadFixture(consentRecords);
    const code = await makeCode();
    const good = await signCode(alice, code);
    const bads: Hex[] = [
      await signCode(bob, code),
      await signCode(hospital, code),
      "0x",
      filled(65, 0),
      slice(good, 0, 64),
      concat([good, "0x00"]),
    ];
    for (const signature of bads) {
      await expectContractError(
        registry.as(hospital).redeemConsentCode([code, WRAPPED, signature]),
        "RecordRegistryInvalidConsentSignature",
        [alice.address],
      );
    }
    await expectNotRedeemed(code);
    // A code naming bob as patient, signed by alice: not bob's signature.
    const forBob = await makeCode({ patient: bob.address });
    await expectContractError(
      registry.as(hospital).redeemConsentCode([forBob, WRAPPED, await signCode(alice, forBob)]),
      "RecordRegistryInvalidConsentSignature",
      [bob.address],
    );
    await expectNotRedeemed(forBob);
  });

  it("refuses a code whose key epoch is stale (the patient revoked a category grant in between)", async () => {
    const { aliceLab } = await loadFixture(consentRecords);
    const code = await makeCode();
    const signature = await signCode(alice, code);
    const labTarget = categoryTarget(Category.Lab);
    await mined(kit, registry.as(alice).grant([lab.address, Scope.Category, labTarget, false, 0, WRAPPED]));
    const revoked = await mined(kit, registry.as(alice).revoke([lab.address, Scope.Category, labTarget]));
    expectEvent(revoked, registry, "GrantRevoked", {
      patient: alice.address,
      grantee: lab.address,
      grantId: grantIdOf(alice.address, lab.address, Scope.Category, labTarget),
      keyEpoch: 1,
    });
    await expectContractError(
      registry.as(hospital).redeemConsentCode([code, WRAPPED, signature]),
      "RecordRegistryStaleKeyEpoch",
      [alice.address, 0, 1],
    );
    await expectNotRedeemed(code); // the nonce is not spent by a refused code
    assert.equal(await registry.read.canRead([hospital.address, aliceLab]), false);
    const fresh = await makeCode(); // at epoch 1
    assert.equal(fresh.keyEpoch, 1);
    const receipt = await mined(
      kit,
      registry.as(hospital).redeemConsentCode([fresh, WRAPPED, await signCode(alice, fresh)]),
    );
    expectEvent(receipt, registry, "GrantIssued", {
      patient: alice.address,
      grantee: hospital.address,
      scope: fresh.scope,
      target: fresh.target,
      write: false,
      expiresAt: fresh.expiresAt,
      keyEpoch: 1,
      wrappedKey: WRAPPED,
    });
  });

  it("refuses a code for a grantee that is not an active provider (never admitted, suspended, removed)", async () => {
    await loadFixture(consentRecords);
    for (const grantee of [outsider, suspendedDoc, removedDoc]) {
      const code = await makeCode({ grantee: grantee.address });
      await expectContractError(
        registry.as(grantee).redeemConsentCode([code, WRAPPED, await signCode(alice, code)]),
        "RecordRegistryProviderNotActive",
        [grantee.address],
      );
      await expectNotRedeemed(code);
    }
    // Suspended between signing and redeeming.
    const code = await makeCode();
    const signature = await signCode(alice, code);
    await setStatus(hospital.address, "suspend");
    await expectContractError(
      registry.as(hospital).redeemConsentCode([code, WRAPPED, signature]),
      "RecordRegistryProviderNotActive",
      [hospital.address],
    );
    await expectNotRedeemed(code);
    await setStatus(hospital.address, "reinstate");
    await mined(kit, registry.as(hospital).redeemConsentCode([code, WRAPPED, signature]));
  });

  it("applies grant's rules to the signed fields: scope, expiry, wrapped key, registered patient", async () => {
    const { aliceLab, bobLab } = await loadFixture(consentRecords);
    const unknown = id("no such record");
    const cases: [Partial<ConsentCode>, string, unknown[]][] = [
      [{ scope: Scope.Record, target: aliceLab, write: true }, "RecordRegistryInvalidScope", [Scope.Record, aliceLab]],
      [{ scope: Scope.Record, target: bobLab }, "RecordRegistryRecordOfAnotherPatient", [bobLab, alice.address]],
      [{ scope: Scope.Record, target: unknown }, "RecordRegistryUnknownRecord", [unknown]],
      [
        { scope: Scope.Category, target: categoryTarget(10) },
        "RecordRegistryInvalidScope",
        [Scope.Category, categoryTarget(10)],
      ],
      [{ scope: Scope.All, target: categoryTarget(1) }, "RecordRegistryInvalidScope", [Scope.All, categoryTarget(1)]],
      [{ scope: Scope.None, target: ZERO32 }, "RecordRegistryInvalidScope", [Scope.None, ZERO32]],
    ];
    for (const [change, error, args] of cases) {
      const code = await makeCode(change);
      await expectContractError(
        registry.as(hospital).redeemConsentCode([code, WRAPPED, await signCode(alice, code)]),
        error,
        args,
      );
      await expectNotRedeemed(code);
    }
    for (const offset of [-1, 0]) {
      const t = (await node.latestTime()) + 10;
      const expiresAt = t + offset; // in the past, or the block's own second
      const code = await makeCode({ expiresAt });
      const signature = await signCode(alice, code);
      await node.setNextBlockTimestamp(t);
      await expectContractError(
        registry.as(hospital).redeemConsentCode([code, WRAPPED, signature], NO_ESTIMATE),
        "RecordRegistryInvalidExpiry",
        [expiresAt, t],
      );
      await expectNotRedeemed(code);
    }
    const noKey = await makeCode({ wrappedKeyHash: keccak256("0x") });
    await expectContractError(
      registry.as(hospital).redeemConsentCode([noKey, "0x", await signCode(alice, noKey)]),
      "RecordRegistryInvalidWrappedKey",
      [0n],
    );
    // An unregistered patient's code (signed by her): UnknownPatient.
    const carols = await makeCode({ patient: carol.address });
    await expectContractError(
      registry.as(hospital).redeemConsentCode([carols, WRAPPED, await signCode(carol, carols)]),
      "RecordRegistryUnknownPatient",
      [carol.address],
    );
  });

  it("distinct nonces are independent; the same grant can be re-issued by a new code", async () => {
    await loadFixture(consentRecords);
    const first = await makeCode();
    const second = await makeCode({ expiresAt: first.expiresAt + 10 * DAY });
    const s1 = await signCode(alice, first);
    const s2 = await signCode(alice, second);
    await mined(kit, registry.as(hospital).redeemConsentCode([second, WRAPPED, s2]));
    await mined(kit, registry.as(hospital).redeemConsentCode([first, WRAPPED, s1]));
    const g = await registry.read.getGrant([alice.address, hospital.address, first.scope, first.target]);
    assert.equal(g.expiresAt, first.expiresAt);
    assert.equal(await registry.read.consentNonceUsed([alice.address, first.nonce]), true);
    assert.equal(await registry.read.consentNonceUsed([alice.address, second.nonce]), true);
  });

  describe("ERC-1271 smart-account patient (contracts/test/TestSmartAccount.sol)", () => {
    /** Carol's smart account, registered as a patient, with one Lab record it anchored itself. */
    async function withSmartAccount() {
      await consentRecords();
      const artifact = await artifacts.readArtifact("TestSmartAccount");
      // Hardhat types an artifact's ABI loosely; viem checks the calls against it at run time.
      const abi = artifact.abi as unknown as Abi;
      const account = await deployTestContract(kit, { abi, bytecode: artifact.bytecode as Hex, args: [carol.address] });
      const key = id("smart account x25519");
      const register = encodeFunctionData({ abi: recordRegistryAbi, functionName: "register", args: [key] });
      const registered = await execute(account, carol, register);
      assert.equal(eventsFrom(registered, registry, "PatientRegistered").length, 1);
      assert.equal((await registry.read.getPatient([account.address])).encryptionKey, key);
      const hash = id(`account record ${Category.Lab}`);
      const data = encodeFunctionData({
        abi: recordRegistryAbi,
        functionName: "anchorRecord",
        args: [account.address, cidOf(hash), hash, Category.Lab, 0],
      });
      const [ev] = eventsFrom(await execute(account, carol, data), registry, "RecordAnchored");
      assert.ok(ev, "no RecordAnchored");
      return { account, record: ev.args.recordId };
    }

    it("redeems a code signed by the account's owner", async () => {
      const { account, record } = await loadFixture(withSmartAccount);
      assert.equal(await readAccount(account, "owner"), carol.address);
      const code = await makeCode({ patient: account.address });
      const signature = await signCode(carol, code);
      const digest = digestOf(code);
      assert.equal(await readAccount(account, "isValidSignature", [digest, signature]), "0x1626ba7e");
      const receipt = await mined(kit, registry.as(hospital).redeemConsentCode([code, WRAPPED, signature]));
      expectEvent(receipt, registry, "ConsentCodeRedeemed", {
        patient: account.address,
        grantee: hospital.address,
        grantId: grantIdOf(account.address, hospital.address, code.scope, code.target),
        consentHash: digest,
        nonce: code.nonce,
      });
      assert.equal(await registry.read.canRead([hospital.address, record]), true);
      assert.equal(await registry.read.consentNonceUsed([account.address, code.nonce]), true);
    });

    it("refuses a code signed by someone other than the owner, or by the owner for another code", async () => {
      const { account, record } = await loadFixture(withSmartAccount);
      const code = await makeCode({ patient: account.address });
      const wrongOwner = await signCode(bob, code);
      assert.equal(await readAccount(account, "isValidSignature", [digestOf(code), wrongOwner]), "0xffffffff");
      await expectContractError(
        registry.as(hospital).redeemConsentCode([code, WRAPPED, wrongOwner]),
        "RecordRegistryInvalidConsentSignature",
        [account.address],
      );
      const ownerSig = await signCode(carol, code);
      await expectContractError(
        registry.as(hospital).redeemConsentCode([{ ...code, write: true }, WRAPPED, ownerSig]),
        "RecordRegistryInvalidConsentSignature",
        [account.address],
      );
      await expectContractError(
        registry.as(hospital).redeemConsentCode([code, WRAPPED, "0x"]),
        "RecordRegistryInvalidConsentSignature",
        [account.address],
      );
      await expectNotRedeemed(code);
      assert.equal(await registry.read.canRead([hospital.address, record]), false);
      // Only the owner can act through the account.
      const cancel = encodeFunctionData({
        abi: recordRegistryAbi,
        functionName: "cancelConsentCode",
        args: [code.nonce],
      });
      await expectContractError(execute(account, bob, cancel), "TestSmartAccountNotOwner", [bob.address]);
    });
  });
});

/** A deployed `TestSmartAccount`, bound to its ABI from Hardhat's artifacts. */
type SmartAccount = BoundContract<Abi>;

/** `caller` calls the registry with `data` through `account.execute`. */
function execute(account: SmartAccount, caller: Account, data: Hex): Promise<TransactionReceipt> {
  const send = account.as(caller).execute;
  assert.ok(send, "TestSmartAccount has execute");
  return mined(kit, send([registryAddress, data]));
}

/** Calls the view `functionName` of the smart account. */
function readAccount(account: SmartAccount, functionName: string, args: readonly unknown[] = []): Promise<unknown> {
  return kit.publicClient.readContract({ address: account.address, abi: account.abi, functionName, args });
}
