/**
 * RecordRegistry: one-time EIP-712 consent codes the patient signs and the grantee redeems:
 * redemption, deadline, domain (chain and registry), caller, replay and cancellation. Digests are
 * recomputed with viem's `hashTypedData`, grant ids from their documented formula.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { recoverTypedDataAddress } from "viem";
import { recordRegistryAbi, recordRegistryBytecode } from "@meridian/sdk/chain";
import { deployTestContract, expectContractError, expectEvent, mined } from "@meridian/sdk/testing";
import { digestOf, domainOf, expectNotRedeemed, makeCode, signCode, typedDataOf } from "./consent-code.ts";
import {
  alice,
  bob,
  Category,
  chainId,
  clinic,
  consentRecords,
  DAY,
  grantIdOf,
  hospital,
  HOUR,
  kit,
  lab,
  loadFixture,
  NO_ESTIMATE,
  node,
  outsider,
  providersAddress,
  registry,
  registryAddress,
  Scope,
  WRAPPED,
  ZERO32,
} from "./fixtures.ts";

describe("RecordRegistry: consent codes", () => {
  it("the grantee redeems a code: GrantIssued and ConsentCodeRedeemed with the EIP-712 digest", async () => {
    const { aliceLab, aliceCardiac } = await loadFixture(consentRecords);
    const code = await makeCode({ write: true });
    const signature = await signCode(alice, code);
    const digest = digestOf(code);
    assert.equal(await recoverTypedDataAddress({ ...typedDataOf(code), signature }), alice.address);
    assert.equal(await registry.read.canRead([hospital.address, aliceLab]), false);

    const grantId = grantIdOf(alice.address, hospital.address, Scope.Category, code.target);
    const { result } = await registry.simulate.redeemConsentCode([code, WRAPPED, signature], { account: hospital });
    assert.equal(result, grantId);
    const receipt = await mined(kit, registry.as(hospital).redeemConsentCode([code, WRAPPED, signature]));
    expectEvent(receipt, registry, "GrantIssued", {
      patient: alice.address,
      grantee: hospital.address,
      scope: Scope.Category,
      target: code.target,
      write: true,
      expiresAt: code.expiresAt,
      keyEpoch: 0,
      wrappedKey: WRAPPED,
    });
    expectEvent(receipt, registry, "ConsentCodeRedeemed", {
      patient: alice.address,
      grantee: hospital.address,
      grantId,
      consentHash: digest,
      nonce: code.nonce,
    });

    const block = await kit.publicClient.getBlock({ blockNumber: receipt.blockNumber });
    const g = await registry.read.getGrant([alice.address, hospital.address, Scope.Category, code.target]);
    assert.equal(g.issuedAt, Number(block.timestamp));
    assert.equal(g.expiresAt, code.expiresAt);
    assert.equal(g.revokedAt, 0);
    assert.equal(g.keyEpoch, 0);
    assert.equal(g.write, true);
    assert.equal(await registry.read.consentNonceUsed([alice.address, code.nonce]), true);
    assert.equal(
      await registry.read.isGrantActive([alice.address, hospital.address, Scope.Category, code.target]),
      true,
    );
    assert.equal(await registry.read.canRead([hospital.address, aliceLab]), true);
    assert.equal(await registry.read.canRead([hospital.address, aliceCardiac]), false);
    assert.equal(await registry.read.canWrite([hospital.address, alice.address, Category.Lab]), true);
  });

  it("redeems record and all-records codes, and a code with no expiry", async () => {
    const { aliceLab, aliceCardiac, bobLab } = await loadFixture(consentRecords);
    const recordCode = await makeCode({
      grantee: lab.address,
      scope: Scope.Record,
      target: aliceCardiac,
      expiresAt: 0,
    });
    const receipt = await mined(
      kit,
      registry.as(lab).redeemConsentCode([recordCode, WRAPPED, await signCode(alice, recordCode)]),
    );
    expectEvent(receipt, registry, "ConsentCodeRedeemed", {
      patient: alice.address,
      grantee: lab.address,
      grantId: grantIdOf(alice.address, lab.address, Scope.Record, aliceCardiac),
      consentHash: digestOf(recordCode),
      nonce: recordCode.nonce,
    });
    assert.equal(await registry.read.canRead([lab.address, aliceCardiac]), true);
    assert.equal(await registry.read.canRead([lab.address, aliceLab]), false);

    const allCode = await makeCode({ grantee: clinic.address, scope: Scope.All, target: ZERO32 });
    await mined(kit, registry.as(clinic).redeemConsentCode([allCode, WRAPPED, await signCode(alice, allCode)]));
    assert.equal(await registry.read.canRead([clinic.address, aliceLab]), true);
    assert.equal(await registry.read.canRead([clinic.address, aliceCardiac]), true);
    assert.equal(await registry.read.canRead([clinic.address, bobLab]), false);
  });

  it("accepts a code in the deadline's own second, refuses it one second later (RecordRegistryConsentExpired)", async () => {
    await loadFixture(consentRecords);
    const onTime = await makeCode({ deadline: (await node.latestTime()) + 100 });
    const onTimeSignature = await signCode(alice, onTime);
    await node.setNextBlockTimestamp(onTime.deadline);
    const receipt = await mined(
      kit,
      registry.as(hospital).redeemConsentCode([onTime, WRAPPED, onTimeSignature], NO_ESTIMATE),
    );
    expectEvent(receipt, registry, "ConsentCodeRedeemed", {
      patient: alice.address,
      grantee: hospital.address,
      grantId: grantIdOf(alice.address, hospital.address, onTime.scope, onTime.target),
      consentHash: digestOf(onTime),
      nonce: onTime.nonce,
    });

    const code = await makeCode({ scope: Scope.All, target: ZERO32 });
    const signature = await signCode(alice, code);
    await node.increaseTimeTo(code.deadline);
    await node.setNextBlockTimestamp(code.deadline + 1);
    await expectContractError(
      registry.as(hospital).redeemConsentCode([code, WRAPPED, signature], NO_ESTIMATE),
      "RecordRegistryConsentExpired",
      [code.deadline, code.deadline + 1],
    );
    await expectNotRedeemed(code);
    await kit.increaseTime(30 * DAY);
    await expectContractError(
      registry.as(hospital).redeemConsentCode([code, WRAPPED, signature]),
      "RecordRegistryConsentExpired",
    );
  });

  it("refuses a code for another chain (RecordRegistryConsentWrongChain), even one signed for it", async () => {
    await loadFixture(consentRecords);
    const code = await makeCode({ chainId: 1n });
    for (const domain of [domainOf(), { ...domainOf(), chainId: 1n }]) {
      const signature = await signCode(alice, code, domain);
      await expectContractError(
        registry.as(hospital).redeemConsentCode([code, WRAPPED, signature]),
        "RecordRegistryConsentWrongChain",
        [chainId, 1n],
      );
    }
    await expectNotRedeemed(code);
    // The right chain field with a signature over another chain's domain: not alice's signature here.
    const right = await makeCode();
    const foreign = await signCode(alice, right, { ...domainOf(), chainId: 1n });
    await expectContractError(
      registry.as(hospital).redeemConsentCode([right, WRAPPED, foreign]),
      "RecordRegistryInvalidConsentSignature",
      [alice.address],
    );
    await expectNotRedeemed(right);
  });

  it("refuses a code for another registry (RecordRegistryConsentWrongContract), even one signed for it", async () => {
    await loadFixture(consentRecords);
    const other = await deployTestContract(kit, {
      abi: recordRegistryAbi,
      bytecode: recordRegistryBytecode,
      args: [providersAddress],
    });
    const otherAddress = other.address;
    const code = await makeCode({ registry: otherAddress });
    for (const domain of [domainOf(), { ...domainOf(), verifyingContract: otherAddress }]) {
      await expectContractError(
        registry.as(hospital).redeemConsentCode([code, WRAPPED, await signCode(alice, code, domain)]),
        "RecordRegistryConsentWrongContract",
        [registryAddress, otherAddress],
      );
    }
    await expectNotRedeemed(code);
    const right = await makeCode();
    const foreign = await signCode(alice, right, { ...domainOf(), verifyingContract: otherAddress });
    await expectContractError(
      registry.as(hospital).redeemConsentCode([right, WRAPPED, foreign]),
      "RecordRegistryInvalidConsentSignature",
      [alice.address],
    );
    await expectNotRedeemed(right);
  });

  it("refuses a code submitted by anyone but its grantee (RecordRegistryConsentNotForCaller)", async () => {
    await loadFixture(consentRecords);
    const code = await makeCode();
    const signature = await signCode(alice, code);
    for (const caller of [lab, outsider, alice]) {
      await expectContractError(
        registry.as(caller).redeemConsentCode([code, WRAPPED, signature]),
        "RecordRegistryConsentNotForCaller",
        [hospital.address, caller.address],
      );
    }
    await expectNotRedeemed(code);
    await mined(kit, registry.as(hospital).redeemConsentCode([code, WRAPPED, signature])); // the grantee still can
  });

  it("refuses a replayed code (RecordRegistryConsentAlreadyUsed) and leaves the grant as redeemed", async () => {
    await loadFixture(consentRecords);
    const code = await makeCode();
    const signature = await signCode(alice, code);
    await mined(kit, registry.as(hospital).redeemConsentCode([code, WRAPPED, signature]));
    const grantKey = [alice.address, hospital.address, code.scope, code.target] as const;
    const before = await registry.read.getGrant(grantKey);
    await kit.increaseTime(HOUR);
    await expectContractError(
      registry.as(hospital).redeemConsentCode([code, WRAPPED, signature]),
      "RecordRegistryConsentAlreadyUsed",
      [alice.address, code.nonce],
    );
    // Replaying after the patient revoked the grant does not bring it back either.
    await mined(kit, registry.as(alice).revoke([hospital.address, code.scope, code.target]));
    await expectContractError(
      registry.as(hospital).redeemConsentCode([code, WRAPPED, signature]),
      "RecordRegistryConsentAlreadyUsed",
      [alice.address, code.nonce],
    );
    const after = await registry.read.getGrant(grantKey);
    assert.equal(after.issuedAt, before.issuedAt);
    assert.notEqual(after.revokedAt, 0);
    // Cancelling a used nonce is refused too.
    await expectContractError(registry.as(alice).cancelConsentCode([code.nonce]), "RecordRegistryConsentAlreadyUsed", [
      alice.address,
      code.nonce,
    ]);
  });

  it("refuses a cancelled code (RecordRegistryConsentAlreadyUsed); cancelling twice is refused", async () => {
    await loadFixture(consentRecords);
    const code = await makeCode();
    const signature = await signCode(alice, code);
    const receipt = await mined(kit, registry.as(alice).cancelConsentCode([code.nonce]));
    expectEvent(receipt, registry, "ConsentCodeCancelled", { patient: alice.address, nonce: code.nonce });
    assert.equal(await registry.read.consentNonceUsed([alice.address, code.nonce]), true);
    assert.equal(await registry.read.consentNonceUsed([bob.address, code.nonce]), false); // nonces are per patient
    await expectContractError(
      registry.as(hospital).redeemConsentCode([code, WRAPPED, signature]),
      "RecordRegistryConsentAlreadyUsed",
      [alice.address, code.nonce],
    );
    const g = await registry.read.getGrant([alice.address, hospital.address, code.scope, code.target]);
    assert.equal(g.issuedAt, 0);
    await expectContractError(registry.as(alice).cancelConsentCode([code.nonce]), "RecordRegistryConsentAlreadyUsed", [
      alice.address,
      code.nonce,
    ]);
    // Bob cancelling the same number does not touch alice's codes.
    const other = await makeCode();
    await mined(kit, registry.as(bob).cancelConsentCode([other.nonce]));
    await mined(kit, registry.as(hospital).redeemConsentCode([other, WRAPPED, await signCode(alice, other)]));
  });
});
