/**
 * RecordRegistry: scoped grants (a record, a category, all records) with key epochs and write
 * consent, and the provider-status checks it makes through ProviderRegistry. Grant ids are
 * recomputed from their documented formula.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { eventsFrom, expectContractError, expectEvent, mined } from "@meridian/sdk/testing";
import { grantIdOfIssued } from "@meridian/sdk/chain";
import {
  alice,
  anchor,
  bob,
  carol,
  Category,
  categoryTarget,
  clinic,
  DAY,
  filled,
  grantIdOf,
  hospital,
  id,
  kit,
  lab,
  loadFixture,
  meridian,
  node,
  outsider,
  registry,
  removedDoc,
  Scope,
  suspendedDoc,
  withRecords,
  WRAPPED,
  ZERO32,
} from "./fixtures.ts";

describe("RecordRegistry: grant", () => {
  it("issues a record grant: event, id, stored fields, read of that record only", async () => {
    const { aliceLab, aliceCardiac } = await loadFixture(withRecords);
    const grantId = grantIdOf(alice.address, lab.address, Scope.Record, aliceLab);
    const expiresAt = (await node.latestTime()) + 30 * DAY;
    const receipt = await mined(
      kit,
      registry.as(alice).grant([lab.address, Scope.Record, aliceLab, false, expiresAt, WRAPPED]),
    );
    expectEvent(receipt, registry, "GrantIssued", {
      patient: alice.address,
      grantee: lab.address,
      scope: Scope.Record,
      target: aliceLab,
      write: false,
      expiresAt,
      keyEpoch: 0,
      wrappedKey: WRAPPED,
    });
    assert.equal(grantIdOfIssued(eventsFrom(receipt, registry, "GrantIssued")[0]!.args), grantId, "id from the event");
    const g = await registry.read.getGrant([alice.address, lab.address, Scope.Record, aliceLab]);
    assert.equal(g.issuedAt, await node.latestTime());
    assert.equal(g.expiresAt, expiresAt);
    assert.equal(g.revokedAt, 0);
    assert.equal(g.keyEpoch, 0);
    assert.equal(g.write, false);
    assert.equal(await registry.read.isGrantActive([alice.address, lab.address, Scope.Record, aliceLab]), true);
    assert.equal(await registry.read.canRead([lab.address, aliceLab]), true);
    assert.equal(await registry.read.canRead([lab.address, aliceCardiac]), false);
  });

  it("issues a category grant with write consent", async () => {
    const { aliceCardiac, aliceLab } = await loadFixture(withRecords);
    const target = categoryTarget(Category.Cardiac);
    const receipt = await mined(
      kit,
      registry.as(alice).grant([hospital.address, Scope.Category, target, true, 0, WRAPPED]),
    );
    expectEvent(receipt, registry, "GrantIssued", {
      patient: alice.address,
      grantee: hospital.address,
      scope: Scope.Category,
      target,
      write: true,
      expiresAt: 0,
      keyEpoch: 0,
      wrappedKey: WRAPPED,
    });
    assert.equal((await registry.read.getGrant([alice.address, hospital.address, Scope.Category, target])).write, true);
    assert.equal(await registry.read.canRead([hospital.address, aliceCardiac]), true);
    assert.equal(await registry.read.canRead([hospital.address, aliceLab]), false);
    assert.equal(await registry.read.canWrite([hospital.address, alice.address, Category.Cardiac]), true);
    assert.equal(await registry.read.canWrite([hospital.address, alice.address, Category.Lab]), false);
  });

  it("issues an all-records grant, which also covers records anchored later", async () => {
    const { aliceLab, aliceCardiac, bobLab } = await loadFixture(withRecords);
    const receipt = await mined(kit, registry.as(alice).grant([clinic.address, Scope.All, ZERO32, false, 0, WRAPPED]));
    expectEvent(receipt, registry, "GrantIssued", {
      patient: alice.address,
      grantee: clinic.address,
      scope: Scope.All,
      target: ZERO32,
      write: false,
      expiresAt: 0,
      keyEpoch: 0,
      wrappedKey: WRAPPED,
    });
    const later = (await anchor(alice, alice.address, Category.Imaging)).recordId;
    for (const record of [aliceLab, aliceCardiac, later]) {
      assert.equal(await registry.read.canRead([clinic.address, record]), true);
    }
    assert.equal(await registry.read.canRead([clinic.address, bobLab]), false);
  });

  it("accepts every category target 1..9 and wrapped keys of 1 and 640 bytes", async () => {
    await loadFixture(meridian);
    for (let c = 1; c <= 9; c++) {
      await mined(
        kit,
        registry.as(alice).grant([hospital.address, Scope.Category, categoryTarget(c), false, 0, "0x01"]),
      );
    }
    await mined(kit, registry.as(alice).grant([hospital.address, Scope.All, ZERO32, false, 0, filled(640, 9)]));
  });

  it("rejects write consent on a record scope", async () => {
    const { aliceLab } = await loadFixture(withRecords);
    await expectContractError(
      registry.as(alice).grant([lab.address, Scope.Record, aliceLab, true, 0, WRAPPED]),
      "RecordRegistryInvalidScope",
      [Scope.Record, aliceLab],
    );
  });

  it("rejects an expiry that is not in the future (past, or now)", async () => {
    await loadFixture(meridian);
    for (const offset of [Number.NEGATIVE_INFINITY, -1, 0]) {
      // Pin the block time, and skip gas estimation, so the transaction runs at exactly `t`.
      const t = (await node.latestTime()) + 100;
      const expiresAt = offset === Number.NEGATIVE_INFINITY ? 1 : t + offset;
      await node.setNextBlockTimestamp(t);
      await expectContractError(
        registry.as(alice).grant([lab.address, Scope.All, ZERO32, false, expiresAt, WRAPPED], { gas: 500_000n }),
        "RecordRegistryInvalidExpiry",
        [expiresAt, t],
      );
    }
    const t = (await node.latestTime()) + 100;
    await node.setNextBlockTimestamp(t);
    // One second ahead is fine.
    await mined(
      kit,
      registry.as(alice).grant([lab.address, Scope.All, ZERO32, false, t + 1, WRAPPED], { gas: 500_000n }),
    );
    assert.equal((await registry.read.getGrant([alice.address, lab.address, Scope.All, ZERO32])).expiresAt, t + 1);
  });

  it("rejects an empty wrapped key and one over 640 bytes, and takes a later generation's 624-byte bundle", async () => {
    await loadFixture(meridian);
    await mined(kit, registry.as(alice).grant([lab.address, Scope.All, ZERO32, false, 0, filled(624, 1)]));
    for (const length of [0, 641]) {
      await expectContractError(
        registry.as(alice).grant([lab.address, Scope.All, ZERO32, false, 0, filled(length, 1)]),
        "RecordRegistryInvalidWrappedKey",
        [BigInt(length)],
      );
    }
  });

  it("rejects a grantee that is not an active provider", async () => {
    await loadFixture(meridian);
    for (const grantee of [outsider, suspendedDoc, removedDoc, bob]) {
      await expectContractError(
        registry.as(alice).grant([grantee.address, Scope.All, ZERO32, false, 0, WRAPPED]),
        "RecordRegistryProviderNotActive",
        [grantee.address],
      );
    }
  });

  it("rejects a grant by an unregistered caller", async () => {
    await loadFixture(meridian);
    await expectContractError(
      registry.as(carol).grant([lab.address, Scope.All, ZERO32, false, 0, WRAPPED]),
      "RecordRegistryUnknownPatient",
      [carol.address],
    );
  });

  it("rejects a record of another patient and an unknown record", async () => {
    const { bobLab } = await loadFixture(withRecords);
    await expectContractError(
      registry.as(alice).grant([lab.address, Scope.Record, bobLab, false, 0, WRAPPED]),
      "RecordRegistryRecordOfAnotherPatient",
      [bobLab, alice.address],
    );
    const unknown = id("no such record");
    await expectContractError(
      registry.as(alice).grant([lab.address, Scope.Record, unknown, false, 0, WRAPPED]),
      "RecordRegistryUnknownRecord",
      [unknown],
    );
  });

  it("rejects an invalid category target (0, 10, a large value)", async () => {
    await loadFixture(meridian);
    for (const target of [ZERO32, categoryTarget(10), id("x")]) {
      await expectContractError(
        registry.as(alice).grant([lab.address, Scope.Category, target, false, 0, WRAPPED]),
        "RecordRegistryInvalidScope",
        [Scope.Category, target],
      );
    }
  });

  it("rejects scope All with a non-zero target, and scope None", async () => {
    await loadFixture(meridian);
    await expectContractError(
      registry.as(alice).grant([lab.address, Scope.All, categoryTarget(1), false, 0, WRAPPED]),
      "RecordRegistryInvalidScope",
      [Scope.All, categoryTarget(1)],
    );
    for (const target of [ZERO32, categoryTarget(2)]) {
      await expectContractError(
        registry.as(alice).grant([lab.address, Scope.None, target, false, 0, WRAPPED]),
        "RecordRegistryInvalidScope",
        [Scope.None, target],
      );
    }
  });

  it("re-issuing updates the same grant (expiry, write, issue time, epoch, key)", async () => {
    await loadFixture(meridian);
    const target = categoryTarget(Category.Lab);
    const grantId = grantIdOf(alice.address, hospital.address, Scope.Category, target);
    const first = (await node.latestTime()) + DAY;
    await mined(kit, registry.as(alice).grant([hospital.address, Scope.Category, target, false, first, WRAPPED]));
    const issued1 = await node.latestTime();
    await kit.increaseTime(3600);
    const second = (await node.latestTime()) + 10 * DAY;
    const newKey = filled(80, 0xcd);
    const receipt = await mined(
      kit,
      registry.as(alice).grant([hospital.address, Scope.Category, target, true, second, newKey]),
    );
    expectEvent(receipt, registry, "GrantIssued", {
      patient: alice.address,
      grantee: hospital.address,
      scope: Scope.Category,
      target,
      write: true,
      expiresAt: second,
      keyEpoch: 0,
      wrappedKey: newKey,
    });
    assert.equal(grantIdOfIssued(eventsFrom(receipt, registry, "GrantIssued")[0]!.args), grantId, "same grant id");
    const g = await registry.read.getGrant([alice.address, hospital.address, Scope.Category, target]);
    assert.equal(g.issuedAt, await node.latestTime());
    assert.ok(g.issuedAt > issued1);
    assert.equal(g.expiresAt, second);
    assert.equal(g.write, true);
    // ... and back to read-only with no expiry.
    await mined(kit, registry.as(alice).grant([hospital.address, Scope.Category, target, false, 0, WRAPPED]));
    const g2 = await registry.read.getGrant([alice.address, hospital.address, Scope.Category, target]);
    assert.deepStrictEqual([g2.expiresAt, g2.write], [0, false]);
  });

  it("re-issuing a revoked or expired grant makes it active again", async () => {
    const { aliceLab } = await loadFixture(withRecords);
    await mined(kit, registry.as(alice).grant([hospital.address, Scope.Record, aliceLab, false, 0, WRAPPED]));
    await mined(kit, registry.as(alice).revoke([hospital.address, Scope.Record, aliceLab]));
    assert.equal(await registry.read.canRead([hospital.address, aliceLab]), false);
    await mined(kit, registry.as(alice).grant([hospital.address, Scope.Record, aliceLab, false, 0, WRAPPED]));
    assert.equal(
      (await registry.read.getGrant([alice.address, hospital.address, Scope.Record, aliceLab])).revokedAt,
      0,
    );
    assert.equal(await registry.read.canRead([hospital.address, aliceLab]), true);

    const expiresAt = (await node.latestTime()) + 100;
    await mined(kit, registry.as(alice).grant([hospital.address, Scope.Record, aliceLab, false, expiresAt, WRAPPED]));
    await node.increaseTimeTo(expiresAt);
    assert.equal(await registry.read.canRead([hospital.address, aliceLab]), false);
    await mined(kit, registry.as(alice).grant([hospital.address, Scope.Record, aliceLab, false, 0, WRAPPED]));
    assert.equal(await registry.read.canRead([hospital.address, aliceLab]), true);
  });

  it("getGrant is all zero and isGrantActive false for a grant never issued", async () => {
    await loadFixture(meridian);
    const g = await registry.read.getGrant([alice.address, lab.address, Scope.All, ZERO32]);
    assert.deepStrictEqual([g.issuedAt, g.expiresAt, g.revokedAt, g.keyEpoch, g.write], [0, 0, 0, 0, false]);
    assert.equal(await registry.read.isGrantActive([alice.address, lab.address, Scope.All, ZERO32]), false);
  });
});
