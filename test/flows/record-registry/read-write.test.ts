/**
 * RecordRegistry: who may read a record (`canRead`) and write into a patient's chain (`canWrite`),
 * across grants, expiry, revocation and the provider's status in ProviderRegistry.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Address, Hex } from "viem";
import { expectContractError, mined } from "@meridian/sdk/testing";
import {
  alice,
  bob,
  carol,
  Category,
  categoryTarget,
  clinic,
  DAY,
  hospital,
  id,
  kit,
  lab,
  loadFixture,
  meridian,
  node,
  outsider,
  registry,
  Scope,
  setStatus,
  withRecords,
  WRAPPED,
  ZERO32,
  ZERO_ADDRESS,
} from "./fixtures.ts";

describe("RecordRegistry: canRead", () => {
  /** Alice's grants: hospital her Lab record, lab her Lab category, clinic all her records. */
  async function withGrants() {
    const f = await withRecords();
    await mined(kit, registry.as(alice).grant([hospital.address, Scope.Record, f.aliceLab, false, 0, WRAPPED]));
    const labTarget = categoryTarget(Category.Lab);
    await mined(kit, registry.as(alice).grant([lab.address, Scope.Category, labTarget, false, 0, WRAPPED]));
    await mined(kit, registry.as(alice).grant([clinic.address, Scope.All, ZERO32, false, 0, WRAPPED]));
    return f;
  }

  it("truth table: patient, record / category / all grantees, other category, other patient, strangers", async () => {
    const { aliceLab, aliceCardiac, bobLab } = await loadFixture(withGrants);
    const unknown = id("unknown record");
    const table: [string, Address, Hex, boolean][] = [
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
      ["zero address", ZERO_ADDRESS, aliceLab, false],
      ["alice, unknown record", alice.address, unknown, false],
      ["clinic, unknown record", clinic.address, unknown, false],
      ["zero address, unknown record", ZERO_ADDRESS, unknown, false],
    ];
    for (const [who, reader, record, expected] of table) {
      assert.equal(await registry.read.canRead([reader, record]), expected, `${who} / ${record.slice(0, 10)}`);
    }
  });

  it("ends at expiry (now >= expiresAt)", async () => {
    const { aliceLab } = await loadFixture(withRecords);
    const target = categoryTarget(Category.Lab);
    const expiresAt = (await node.latestTime()) + 7 * DAY;
    await mined(kit, registry.as(alice).grant([lab.address, Scope.Category, target, false, expiresAt, WRAPPED]));
    await node.increaseTimeTo(expiresAt - 1);
    assert.equal(await registry.read.canRead([lab.address, aliceLab]), true);
    await node.increaseTimeTo(expiresAt);
    assert.equal(await registry.read.canRead([lab.address, aliceLab]), false);
    assert.equal(await registry.read.isGrantActive([alice.address, lab.address, Scope.Category, target]), false);
  });

  it("ends at revocation", async () => {
    const f = await loadFixture(withGrants);
    await mined(kit, registry.as(alice).revoke([hospital.address, Scope.Record, f.aliceLab]));
    await mined(kit, registry.as(alice).revoke([lab.address, Scope.Category, categoryTarget(Category.Lab)]));
    await mined(kit, registry.as(alice).revoke([clinic.address, Scope.All, ZERO32]));
    for (const reader of [hospital, lab, clinic]) {
      assert.equal(await registry.read.canRead([reader.address, f.aliceLab]), false);
      assert.equal(await registry.read.canRead([reader.address, f.aliceCardiac]), false);
    }
    assert.equal(await registry.read.canRead([alice.address, f.aliceLab]), true);
  });

  it("stops at once for a suspended provider and resumes on reinstatement while the grant is valid", async () => {
    const { aliceLab } = await loadFixture(withGrants);
    await setStatus(clinic.address, "suspend");
    assert.equal(await registry.read.canRead([clinic.address, aliceLab]), false);
    assert.equal(await registry.read.isGrantActive([alice.address, clinic.address, Scope.All, ZERO32]), false);
    // The grant itself is untouched...
    assert.equal((await registry.read.getGrant([alice.address, clinic.address, Scope.All, ZERO32])).revokedAt, 0);
    await setStatus(clinic.address, "reinstate");
    assert.equal(await registry.read.canRead([clinic.address, aliceLab]), true);
  });

  it("does not resume on reinstatement when the grant expired or was revoked meanwhile", async () => {
    const { aliceLab } = await loadFixture(withRecords);
    const expiresAt = (await node.latestTime()) + DAY;
    await mined(kit, registry.as(alice).grant([hospital.address, Scope.All, ZERO32, false, expiresAt, WRAPPED]));
    await mined(kit, registry.as(alice).grant([lab.address, Scope.All, ZERO32, false, 0, WRAPPED]));
    await setStatus(hospital.address, "suspend");
    await setStatus(lab.address, "suspend");
    // While suspended the grant is not active, yet the patient may still revoke it: revocation checks
    // the grant itself, not the grantee's status.
    await mined(kit, registry.as(alice).revoke([lab.address, Scope.All, ZERO32]));
    await node.increaseTimeTo(expiresAt);
    await setStatus(hospital.address, "reinstate");
    await setStatus(lab.address, "reinstate");
    assert.equal(await registry.read.canRead([hospital.address, aliceLab]), false);
    assert.equal(await registry.read.canRead([lab.address, aliceLab]), false);
  });

  it("never again for a removed provider", async () => {
    const { aliceLab } = await loadFixture(withGrants);
    await setStatus(clinic.address, "remove");
    assert.equal(await registry.read.canRead([clinic.address, aliceLab]), false);
    await expectContractError(
      registry.as(alice).grant([clinic.address, Scope.All, ZERO32, false, 0, WRAPPED]),
      "RecordRegistryProviderNotActive",
      [clinic.address],
    );
  });
});

describe("RecordRegistry: canWrite", () => {
  it("the patient in every category of her own record chain; never category None", async () => {
    await loadFixture(meridian);
    for (let c = 1; c <= 9; c++) assert.equal(await registry.read.canWrite([alice.address, alice.address, c]), true);
    assert.equal(await registry.read.canWrite([alice.address, alice.address, Category.None]), false);
    assert.equal(await registry.read.canWrite([alice.address, bob.address, Category.Lab]), false);
  });

  it("is false for an unregistered patient, even for herself", async () => {
    await loadFixture(meridian);
    assert.equal(await registry.read.canWrite([carol.address, carol.address, Category.Lab]), false);
  });

  it("a provider: category write → that category; all write → every category; read-only or record grants → never", async () => {
    const { aliceLab } = await loadFixture(withRecords);
    const cardiac = categoryTarget(Category.Cardiac);
    await mined(kit, registry.as(alice).grant([hospital.address, Scope.Category, cardiac, true, 0, WRAPPED]));
    await mined(kit, registry.as(alice).grant([lab.address, Scope.All, ZERO32, true, 0, WRAPPED]));
    await mined(kit, registry.as(alice).grant([clinic.address, Scope.All, ZERO32, false, 0, WRAPPED]));
    await mined(kit, registry.as(alice).grant([clinic.address, Scope.Record, aliceLab, false, 0, WRAPPED]));
    for (let c = 1; c <= 9; c++) {
      assert.equal(await registry.read.canWrite([hospital.address, alice.address, c]), c === Category.Cardiac);
      assert.equal(await registry.read.canWrite([lab.address, alice.address, c]), true);
      assert.equal(await registry.read.canWrite([clinic.address, alice.address, c]), false);
    }
    assert.equal(await registry.read.canWrite([lab.address, alice.address, Category.None]), false);
  });

  it("follows expiry, revocation and provider status", async () => {
    await loadFixture(meridian);
    const expiresAt = (await node.latestTime()) + DAY;
    await mined(kit, registry.as(alice).grant([hospital.address, Scope.All, ZERO32, true, expiresAt, WRAPPED]));
    await mined(kit, registry.as(alice).grant([lab.address, Scope.All, ZERO32, true, 0, WRAPPED]));
    await setStatus(hospital.address, "suspend");
    assert.equal(await registry.read.canWrite([hospital.address, alice.address, Category.Lab]), false);
    await setStatus(hospital.address, "reinstate");
    assert.equal(await registry.read.canWrite([hospital.address, alice.address, Category.Lab]), true);
    await node.increaseTimeTo(expiresAt);
    assert.equal(await registry.read.canWrite([hospital.address, alice.address, Category.Lab]), false);
    await mined(kit, registry.as(alice).revoke([lab.address, Scope.All, ZERO32]));
    assert.equal(await registry.read.canWrite([lab.address, alice.address, Category.Lab]), false);
  });
});
