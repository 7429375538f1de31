/**
 * RecordRegistry: revoking grants, and the patient's key epoch that category and all-records
 * revocations advance (records are then written under the new epoch).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expectContractError, expectEvent, mined } from "@meridian/sdk/testing";
import {
  alice,
  anchor,
  bob,
  Category,
  categoryTarget,
  clinic,
  filled,
  grantIdOf,
  hospital,
  id,
  kit,
  lab,
  loadFixture,
  meridian,
  node,
  registry,
  Scope,
  withRecords,
  WRAPPED,
  ZERO32,
} from "./fixtures.ts";

const epochOf = async (patient: typeof alice): Promise<number> =>
  (await registry.read.getPatient([patient.address])).keyEpoch;

describe("RecordRegistry: revoke", () => {
  it("rejects a grant that was never issued or is already revoked; an expired one can be revoked", async () => {
    await loadFixture(meridian);
    const target = categoryTarget(Category.Lab);
    const labGrant = grantIdOf(alice.address, lab.address, Scope.Category, target);
    await expectContractError(
      registry.as(alice).revoke([lab.address, Scope.Category, target]),
      "RecordRegistryGrantNotActive",
      [labGrant],
    );

    await mined(kit, registry.as(alice).grant([lab.address, Scope.Category, target, false, 0, WRAPPED]));
    await mined(kit, registry.as(alice).revoke([lab.address, Scope.Category, target]));
    await expectContractError(
      registry.as(alice).revoke([lab.address, Scope.Category, target]),
      "RecordRegistryGrantNotActive",
      [labGrant],
    );

    const expiresAt = (await node.latestTime()) + 60;
    await mined(kit, registry.as(alice).grant([hospital.address, Scope.All, ZERO32, false, expiresAt, WRAPPED]));
    await node.increaseTimeTo(expiresAt);
    const epoch = await epochOf(alice);
    const hospitalGrant = grantIdOf(alice.address, hospital.address, Scope.All, ZERO32);
    const receipt = await mined(kit, registry.as(alice).revoke([hospital.address, Scope.All, ZERO32]));
    expectEvent(receipt, registry, "GrantRevoked", {
      patient: alice.address,
      grantee: hospital.address,
      grantId: hospitalGrant,
      keyEpoch: epoch + 1,
    });
    await expectContractError(
      registry.as(alice).revoke([hospital.address, Scope.All, ZERO32]),
      "RecordRegistryGrantNotActive",
      [hospitalGrant],
    );
  });

  it("only the patient who issued it can revoke it (another caller addresses another grant id)", async () => {
    await loadFixture(meridian);
    await mined(kit, registry.as(alice).grant([lab.address, Scope.All, ZERO32, false, 0, WRAPPED]));
    for (const caller of [bob, lab]) {
      await expectContractError(
        registry.as(caller).revoke([lab.address, Scope.All, ZERO32]),
        "RecordRegistryGrantNotActive",
        [grantIdOf(caller.address, lab.address, Scope.All, ZERO32)],
      );
    }
    assert.equal(await registry.read.isGrantActive([alice.address, lab.address, Scope.All, ZERO32]), true);
  });

  it("a record revocation keeps the key epoch", async () => {
    const { aliceLab } = await loadFixture(withRecords);
    await mined(kit, registry.as(alice).grant([lab.address, Scope.Record, aliceLab, false, 0, WRAPPED]));
    const receipt = await mined(kit, registry.as(alice).revoke([lab.address, Scope.Record, aliceLab]));
    expectEvent(receipt, registry, "GrantRevoked", {
      patient: alice.address,
      grantee: lab.address,
      grantId: grantIdOf(alice.address, lab.address, Scope.Record, aliceLab),
      keyEpoch: 0,
    });
    assert.equal(await epochOf(alice), 0);
    const g = await registry.read.getGrant([alice.address, lab.address, Scope.Record, aliceLab]);
    assert.equal(g.revokedAt, await node.latestTime());
  });

  it("category and all revocations advance the patient's key epoch (only hers) and emit it", async () => {
    await loadFixture(meridian);
    const target = categoryTarget(Category.Lab);
    await mined(kit, registry.as(alice).grant([lab.address, Scope.Category, target, false, 0, WRAPPED]));
    await mined(kit, registry.as(alice).grant([clinic.address, Scope.All, ZERO32, false, 0, WRAPPED]));
    const first = await mined(kit, registry.as(alice).revoke([lab.address, Scope.Category, target]));
    expectEvent(first, registry, "GrantRevoked", {
      patient: alice.address,
      grantee: lab.address,
      grantId: grantIdOf(alice.address, lab.address, Scope.Category, target),
      keyEpoch: 1,
    });
    assert.equal(await epochOf(alice), 1);
    const second = await mined(kit, registry.as(alice).revoke([clinic.address, Scope.All, ZERO32]));
    expectEvent(second, registry, "GrantRevoked", {
      patient: alice.address,
      grantee: clinic.address,
      grantId: grantIdOf(alice.address, clinic.address, Scope.All, ZERO32),
      keyEpoch: 2,
    });
    assert.equal(await epochOf(alice), 2);
    assert.equal(await epochOf(bob), 0);
  });

  it("after a revocation, anchoring under the old epoch fails and under the new one works", async () => {
    await loadFixture(meridian);
    await mined(kit, registry.as(alice).grant([lab.address, Scope.All, ZERO32, false, 0, WRAPPED]));
    await mined(kit, registry.as(alice).revoke([lab.address, Scope.All, ZERO32]));
    await expectContractError(
      registry.as(alice).anchorRecord([alice.address, "0x01", id("h"), Category.Lab, 0]),
      "RecordRegistryStaleKeyEpoch",
      [alice.address, 0, 1],
    );
    const a = await anchor(alice, alice.address, Category.Lab, { keyEpoch: 1 });
    assert.equal((await registry.read.getRecord([a.recordId])).keyEpoch, 1);
  });

  it("a writer whose grant predates the epoch anchors again once the patient re-issues it at the new epoch", async () => {
    await loadFixture(meridian);
    const target = categoryTarget(Category.Lab);
    await mined(kit, registry.as(alice).grant([hospital.address, Scope.Category, target, true, 0, WRAPPED]));
    await mined(kit, registry.as(alice).grant([lab.address, Scope.All, ZERO32, false, 0, WRAPPED]));
    await mined(kit, registry.as(alice).revoke([lab.address, Scope.All, ZERO32])); // epoch 0 → 1
    // The hospital's grant still carries the epoch-0 KEK; records must now be written under epoch 1.
    const grantKey = [alice.address, hospital.address, Scope.Category, target] as const;
    assert.equal((await registry.read.getGrant(grantKey)).keyEpoch, 0);
    assert.equal(await epochOf(alice), 1);

    const reissued = filled(80, 0x11); // the epoch-1 KEK, wrapped
    const receipt = await mined(
      kit,
      registry.as(alice).grant([hospital.address, Scope.Category, target, true, 0, reissued]),
    );
    expectEvent(receipt, registry, "GrantIssued", {
      patient: alice.address,
      grantee: hospital.address,
      scope: Scope.Category,
      target,
      write: true,
      expiresAt: 0,
      keyEpoch: 1,
      wrappedKey: reissued,
    });
    assert.equal((await registry.read.getGrant(grantKey)).keyEpoch, 1);
    const a = await anchor(hospital, alice.address, Category.Lab, { keyEpoch: 1 });
    assert.equal(a.author, hospital.address);
    assert.equal(a.keyEpoch, 1);
  });

  it("an expired category grant can be revoked, which rotates keys away from its grantee", async () => {
    // Expiry alone does not advance the key epoch; revoking the expired grant does.
    await loadFixture(meridian);
    const target = categoryTarget(Category.Lab);
    const expiresAt = (await node.latestTime()) + 60;
    await mined(kit, registry.as(alice).grant([lab.address, Scope.Category, target, false, expiresAt, WRAPPED]));
    await node.increaseTimeTo(expiresAt);
    assert.equal(await epochOf(alice), 0);
    await mined(kit, registry.as(alice).revoke([lab.address, Scope.Category, target]));
    assert.equal(await epochOf(alice), 1);
  });

  it("a writer whose grant predates the current epoch cannot anchor until it is re-issued", async () => {
    await loadFixture(meridian);
    const target = categoryTarget(Category.Lab);
    await mined(kit, registry.as(alice).grant([hospital.address, Scope.Category, target, true, 0, WRAPPED]));
    await mined(kit, registry.as(alice).grant([lab.address, Scope.All, ZERO32, false, 0, WRAPPED]));
    await mined(kit, registry.as(alice).revoke([lab.address, Scope.All, ZERO32])); // epoch 0 → 1
    assert.equal(await registry.read.canWrite([hospital.address, alice.address, Category.Lab]), false);
    await expectContractError(
      registry.as(hospital).anchorRecord([alice.address, "0x01", id("h"), Category.Lab, 1]),
      "RecordRegistryWriteNotPermitted",
      [hospital.address, alice.address, Category.Lab],
    );
  });
});
