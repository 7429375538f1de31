/**
 * RecordRegistry: releasing the emergency summary's key to a provider whose emergency access is
 * open (by the patient or a SHARE AND VIEW guardian), the on-chain order of opening and release,
 * and closing the access.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseEventLogs, type Account, type Address, type Hex } from "viem";
import { recordRegistryAbi } from "@meridian/sdk/chain";
import { eventsFrom, expectContractError, expectEvent, mined } from "@meridian/sdk/testing";
import {
  alice,
  bob,
  dave,
  emergencyAccessIdOf,
  ETREAT,
  hospital,
  HOUR,
  kit,
  lab,
  Level,
  loadFixture,
  NO_ESTIMATE,
  node,
  outsider,
  registry,
  registryAddress,
  regulator,
  selectorOf,
  sharer,
  testClient,
  viewer,
  withSummary,
  WRAPPED,
} from "./fixtures.ts";

describe("RecordRegistry: releaseEmergencyKey", () => {
  it("the patient releases the key while access is open (EmergencyKeyReleased, no GuardianActed)", async () => {
    const { aliceIps } = await loadFixture(withSummary);
    await mined(kit, registry.as(hospital).openEmergencyAccess([alice.address, ETREAT, HOUR]));
    const receipt = await mined(
      kit,
      registry.as(alice).releaseEmergencyKey([alice.address, hospital.address, WRAPPED]),
    );
    expectEvent(receipt, registry, "EmergencyKeyReleased", {
      patient: alice.address,
      provider: hospital.address,
      releasedBy: alice.address,
      recordId: aliceIps,
      wrappedKey: WRAPPED,
    });
    assert.equal(eventsFrom(receipt, registry, "GuardianActed").length, 0);
  });

  it("a SHARE AND VIEW guardian releases it (EmergencyKeyReleased and GuardianActed with the access id)", async () => {
    const { aliceIps } = await loadFixture(withSummary);
    await mined(kit, registry.as(hospital).openEmergencyAccess([alice.address, ETREAT, HOUR]));
    const receipt = await mined(
      kit,
      registry.as(sharer).releaseEmergencyKey([alice.address, hospital.address, WRAPPED]),
    );
    expectEvent(receipt, registry, "EmergencyKeyReleased", {
      patient: alice.address,
      provider: hospital.address,
      releasedBy: sharer.address,
      recordId: aliceIps,
      wrappedKey: WRAPPED,
    });
    expectEvent(receipt, registry, "GuardianActed", {
      patient: alice.address,
      guardian: sharer.address,
      action: selectorOf("releaseEmergencyKey"),
      subject: emergencyAccessIdOf(alice.address, hospital.address),
    });
  });

  it("refuses before opening, after the time box, after a close; refuses the provider itself and a bad key", async () => {
    await loadFixture(withSummary);
    const notActive = (caller: Account, provider: Address) =>
      expectContractError(
        registry.as(caller).releaseEmergencyKey([alice.address, provider, WRAPPED]),
        "RecordRegistryEmergencyAccessNotActive",
        [alice.address, provider],
      );
    await notActive(alice, hospital.address); // never opened
    await notActive(sharer, hospital.address);
    await mined(kit, registry.as(hospital).openEmergencyAccess([alice.address, ETREAT, HOUR]));
    await expectContractError(
      registry.as(hospital).releaseEmergencyKey([alice.address, hospital.address, WRAPPED]),
      "RecordRegistryNotGuardian",
      [alice.address, hospital.address, Level.None, Level.ShareAndView],
    );
    await expectContractError(
      registry.as(alice).releaseEmergencyKey([alice.address, hospital.address, "0x"]),
      "RecordRegistryInvalidWrappedKey",
      [0n],
    );
    const { expiresAt } = await registry.read.getEmergencyAccess([alice.address, hospital.address]);
    await node.increaseTimeTo(expiresAt - 1); // the next block is at expiresAt: past the time box
    await notActive(alice, hospital.address);
    await notActive(sharer, hospital.address);
    // After a close.
    await mined(kit, registry.as(lab).openEmergencyAccess([alice.address, ETREAT, HOUR]));
    await mined(kit, registry.as(lab).closeEmergencyAccess([alice.address, lab.address]));
    await notActive(alice, lab.address);
    await notActive(sharer, lab.address);
  });

  it("EmergencyAccessOpened is on chain before any EmergencyKeyReleased, even in the same block", async () => {
    await loadFixture(withSummary);
    // Senders differ, so the block orders them by tip alone (not by one sender's nonces).
    await mined(kit, registry.as(alice).appointGuardian([dave.address, Level.ShareAndView, WRAPPED]));
    await testClient.setAutomine(false);
    try {
      // Same block: opening first (higher tip), then the patient's and the guardian's releases.
      const gwei = 10n ** 9n;
      const tip = (n: bigint) => ({ gas: 300_000n, maxFeePerGas: 100n * gwei, maxPriorityFeePerGas: n * gwei });
      const open = await registry.as(hospital).openEmergencyAccess([alice.address, ETREAT, HOUR], tip(3n));
      const r1 = await registry.as(alice).releaseEmergencyKey([alice.address, hospital.address, WRAPPED], tip(2n));
      const r2 = await registry.as(sharer).releaseEmergencyKey([alice.address, hospital.address, WRAPPED], tip(1n));
      // And a release ordered before its opening (higher tip) fails: the key cannot come first.
      const early = await registry.as(dave).releaseEmergencyKey([alice.address, lab.address, WRAPPED], tip(5n));
      const lateOpen = await registry.as(lab).openEmergencyAccess([alice.address, ETREAT, HOUR], tip(4n));
      await node.mine();
      const hashes: Hex[] = [open, r1, r2, early, lateOpen];
      const receipts = await Promise.all(hashes.map((hash) => kit.publicClient.getTransactionReceipt({ hash })));
      const [openR, r1R, r2R, earlyR, lateOpenR] = receipts;
      assert.ok(openR && r1R && r2R && earlyR && lateOpenR, "missing receipts");
      assert.equal(new Set(receipts.map((r) => r.blockNumber)).size, 1);
      assert.equal(openR.status, "success");
      assert.equal(r1R.status, "success");
      assert.equal(r2R.status, "success");
      assert.ok(openR.transactionIndex < r1R.transactionIndex);
      assert.ok(r1R.transactionIndex < r2R.transactionIndex);
      assert.ok(earlyR.transactionIndex < lateOpenR.transactionIndex);
      assert.equal(earlyR.status, "reverted");
      assert.equal(lateOpenR.status, "success");
      // The block's log, in order, for the hospital's access.
      const block = openR.blockNumber;
      const logs = await kit.publicClient.getLogs({ address: registryAddress, fromBlock: block, toBlock: block });
      const parsed = parseEventLogs({ abi: recordRegistryAbi, logs });
      const names = parsed
        .filter(
          (p) => p.eventName.startsWith("Emergency") && "provider" in p.args && p.args.provider === hospital.address,
        )
        .map((p) => p.eventName);
      assert.deepStrictEqual(names, ["EmergencyAccessOpened", "EmergencyKeyReleased", "EmergencyKeyReleased"]);
      const allNames = parsed.map((p) => p.eventName);
      assert.ok(allNames.indexOf("EmergencyAccessOpened") < allNames.indexOf("EmergencyKeyReleased"));
    } finally {
      await testClient.setAutomine(true);
    }
  });
});

describe("RecordRegistry: closeEmergencyAccess", () => {
  it("the patient, a guardian (either level) or the provider closes it (EmergencyAccessClosed)", async () => {
    const { aliceIps } = await loadFixture(withSummary);
    for (const closer of [alice, viewer, sharer, hospital]) {
      await mined(kit, registry.as(hospital).openEmergencyAccess([alice.address, ETREAT, HOUR]));
      const t = (await node.latestTime()) + 7;
      await node.setNextBlockTimestamp(t);
      const receipt = await mined(
        kit,
        registry.as(closer).closeEmergencyAccess([alice.address, hospital.address], NO_ESTIMATE),
      );
      expectEvent(receipt, registry, "EmergencyAccessClosed", {
        patient: alice.address,
        provider: hospital.address,
        closedBy: closer.address,
      });
      assert.equal((await registry.read.getEmergencyAccess([alice.address, hospital.address])).expiresAt, t);
      assert.equal(await registry.read.canRead([hospital.address, aliceIps]), false);
    }
  });

  it("refuses strangers, other providers, other patients' guardians; refuses closing what is not open", async () => {
    const { aliceIps } = await loadFixture(withSummary);
    // Bob's guardian, not alice's.
    await mined(kit, registry.as(bob).appointGuardian([dave.address, Level.ShareAndView, WRAPPED]));
    await mined(kit, registry.as(hospital).openEmergencyAccess([alice.address, ETREAT, HOUR]));
    for (const caller of [outsider, lab, bob, dave, regulator]) {
      await expectContractError(
        registry.as(caller).closeEmergencyAccess([alice.address, hospital.address]),
        "RecordRegistryEmergencyCloseNotPermitted",
        [alice.address, hospital.address, caller.address],
      );
    }
    assert.equal(await registry.read.canRead([hospital.address, aliceIps]), true);
    await expectContractError(
      registry.as(alice).closeEmergencyAccess([alice.address, lab.address]),
      "RecordRegistryEmergencyAccessNotActive",
      [alice.address, lab.address],
    );
    const { expiresAt } = await registry.read.getEmergencyAccess([alice.address, hospital.address]);
    await node.increaseTimeTo(expiresAt);
    await expectContractError(
      registry.as(hospital).closeEmergencyAccess([alice.address, hospital.address]),
      "RecordRegistryEmergencyAccessNotActive",
      [alice.address, hospital.address],
    );
  });
});
