/**
 * RecordRegistry: a provider's access requests and the patient's approval (which issues a grant)
 * or denial. Request and grant ids are recomputed from their documented formulas.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Hex } from "viem";
import { expectContractError, expectEvent, mined } from "@meridian/sdk/testing";
import {
  alice,
  bob,
  carol,
  Category,
  categoryTarget,
  DAY,
  grantIdOf,
  hospital,
  kit,
  lab,
  loadFixture,
  meridian,
  node,
  outsider,
  PURPOSE_TREAT,
  registry,
  removedDoc,
  requestIdOf,
  RequestStatus,
  Scope,
  setStatus,
  suspendedDoc,
  withRecords,
  WRAPPED,
  ZERO32,
} from "./fixtures.ts";

describe("RecordRegistry: access requests", () => {
  it("records a request and emits AccessRequested", async () => {
    await loadFixture(meridian);
    const target = categoryTarget(Category.Lab);
    const requestId = requestIdOf(alice.address, lab.address, Scope.Category, target);
    const receipt = await mined(
      kit,
      registry.as(lab).requestAccess([alice.address, Scope.Category, target, true, 7 * DAY, PURPOSE_TREAT]),
    );
    expectEvent(receipt, registry, "AccessRequested", {
      patient: alice.address,
      requester: lab.address,
      requestId,
      scope: Scope.Category,
      target,
      write: true,
      duration: 7 * DAY,
      purpose: PURPOSE_TREAT,
    });
    const r = await registry.read.getRequest([alice.address, lab.address, Scope.Category, target]);
    assert.equal(r.status, RequestStatus.Pending);
    assert.equal(r.write, true);
    assert.equal(r.requestedAt, await node.latestTime());
    assert.equal(r.duration, 7 * DAY);
  });

  it("rejects a requester that is not an active provider", async () => {
    await loadFixture(meridian);
    for (const requester of [outsider, suspendedDoc, removedDoc, bob]) {
      await expectContractError(
        registry.as(requester).requestAccess([alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT]),
        "RecordRegistryProviderNotActive",
        [requester.address],
      );
    }
  });

  it("rejects an unknown patient and an invalid scope", async () => {
    const { aliceLab, bobLab } = await loadFixture(withRecords);
    const asLab = registry.as(lab);
    await expectContractError(
      asLab.requestAccess([carol.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT]),
      "RecordRegistryUnknownPatient",
      [carol.address],
    );
    await expectContractError(
      asLab.requestAccess([alice.address, Scope.Record, aliceLab, true, 0, PURPOSE_TREAT]),
      "RecordRegistryInvalidScope",
      [Scope.Record, aliceLab],
    );
    await expectContractError(
      asLab.requestAccess([alice.address, Scope.Record, bobLab, false, 0, PURPOSE_TREAT]),
      "RecordRegistryRecordOfAnotherPatient",
      [bobLab, alice.address],
    );
    await expectContractError(
      asLab.requestAccess([alice.address, Scope.Category, categoryTarget(0), false, 0, PURPOSE_TREAT]),
      "RecordRegistryInvalidScope",
      [Scope.Category, categoryTarget(0)],
    );
  });

  it("rejects a duplicate while pending; other scopes are separate requests", async () => {
    await loadFixture(meridian);
    await mined(kit, registry.as(lab).requestAccess([alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT]));
    // The contract reuses RequestNotPending (with status Pending) for "already pending".
    await expectContractError(
      registry.as(lab).requestAccess([alice.address, Scope.All, ZERO32, true, DAY, PURPOSE_TREAT]),
      "RecordRegistryRequestNotPending",
      [requestIdOf(alice.address, lab.address, Scope.All, ZERO32), RequestStatus.Pending],
    );
    const labTarget = categoryTarget(Category.Lab);
    await mined(
      kit,
      registry.as(lab).requestAccess([alice.address, Scope.Category, labTarget, false, 0, PURPOSE_TREAT]),
    );
  });

  it("approve issues the grant with the patient's expiry, emits both events and clears the slot", async () => {
    const { aliceLab } = await loadFixture(withRecords);
    const target = categoryTarget(Category.Lab);
    await mined(
      kit,
      registry.as(lab).requestAccess([alice.address, Scope.Category, target, true, 30 * DAY, PURPOSE_TREAT]),
    );
    const requestId = requestIdOf(alice.address, lab.address, Scope.Category, target);
    const grantId = grantIdOf(alice.address, lab.address, Scope.Category, target);
    const expiresAt = (await node.latestTime()) + 2 * DAY; // shorter than the 30 days asked
    const args = [lab.address, Scope.Category, target, true, expiresAt, WRAPPED] as const;
    const { result } = await registry.simulate.approveRequest(args, { account: alice });
    assert.equal(result, grantId);
    const receipt = await mined(kit, registry.as(alice).approveRequest(args));
    expectEvent(receipt, registry, "AccessRequestApproved", {
      patient: alice.address,
      requester: lab.address,
      requestId,
    });
    expectEvent(receipt, registry, "GrantIssued", {
      patient: alice.address,
      grantee: lab.address,
      scope: Scope.Category,
      target,
      write: true,
      expiresAt,
      keyEpoch: 0,
      wrappedKey: WRAPPED,
    });
    const r = await registry.read.getRequest([alice.address, lab.address, Scope.Category, target]);
    assert.deepStrictEqual([r.status, r.write, r.requestedAt, r.duration], [RequestStatus.None, false, 0, 0]);
    const g = await registry.read.getGrant([alice.address, lab.address, Scope.Category, target]);
    assert.equal(g.expiresAt, expiresAt);
    assert.equal(g.write, true);
    assert.equal(await registry.read.canRead([lab.address, aliceLab]), true);
  });

  it("approve may narrow write to read-only, but never grant write that was not asked", async () => {
    await loadFixture(meridian);
    await mined(kit, registry.as(lab).requestAccess([alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT]));
    await expectContractError(
      registry.as(alice).approveRequest([lab.address, Scope.All, ZERO32, true, 0, WRAPPED]),
      "RecordRegistryWriteNotRequested",
      [requestIdOf(alice.address, lab.address, Scope.All, ZERO32)],
    );
    await mined(kit, registry.as(hospital).requestAccess([alice.address, Scope.All, ZERO32, true, 0, PURPOSE_TREAT]));
    await mined(kit, registry.as(alice).approveRequest([hospital.address, Scope.All, ZERO32, false, 0, WRAPPED]));
    assert.equal((await registry.read.getGrant([alice.address, hospital.address, Scope.All, ZERO32])).write, false);
  });

  it("approve applies the grant rules; a failed approval leaves the request pending", async () => {
    await loadFixture(meridian);
    await mined(kit, registry.as(lab).requestAccess([alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT]));
    await expectContractError(
      registry.as(alice).approveRequest([lab.address, Scope.All, ZERO32, false, 0, "0x"]),
      "RecordRegistryInvalidWrappedKey",
      [0n],
    );
    await setStatus(lab.address, "suspend");
    await expectContractError(
      registry.as(alice).approveRequest([lab.address, Scope.All, ZERO32, false, 0, WRAPPED]),
      "RecordRegistryProviderNotActive",
      [lab.address],
    );
    const r = await registry.read.getRequest([alice.address, lab.address, Scope.All, ZERO32]);
    assert.equal(r.status, RequestStatus.Pending);
  });

  it("deny emits AccessRequestDenied, clears the slot and issues nothing", async () => {
    await loadFixture(meridian);
    await mined(kit, registry.as(lab).requestAccess([alice.address, Scope.All, ZERO32, true, DAY, PURPOSE_TREAT]));
    const receipt = await mined(kit, registry.as(alice).denyRequest([lab.address, Scope.All, ZERO32]));
    expectEvent(receipt, registry, "AccessRequestDenied", {
      patient: alice.address,
      requester: lab.address,
      requestId: requestIdOf(alice.address, lab.address, Scope.All, ZERO32),
    });
    const r = await registry.read.getRequest([alice.address, lab.address, Scope.All, ZERO32]);
    assert.deepStrictEqual([r.status, r.write, r.requestedAt, r.duration], [RequestStatus.None, false, 0, 0]);
    assert.equal((await registry.read.getGrant([alice.address, lab.address, Scope.All, ZERO32])).issuedAt, 0);
  });

  it("approve and deny of a request that is not pending: never made, approved, denied, someone else's", async () => {
    await loadFixture(meridian);
    const requestId = requestIdOf(alice.address, lab.address, Scope.All, ZERO32);
    const notPending = async (id: Hex) => {
      await expectContractError(
        registry.as(alice).approveRequest([lab.address, Scope.All, ZERO32, false, 0, WRAPPED]),
        "RecordRegistryRequestNotPending",
        [id, RequestStatus.None],
      );
      await expectContractError(
        registry.as(alice).denyRequest([lab.address, Scope.All, ZERO32]),
        "RecordRegistryRequestNotPending",
        [id, RequestStatus.None],
      );
    };
    await notPending(requestId);
    await mined(kit, registry.as(lab).requestAccess([alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT]));
    // Bob cannot decide Alice's request: his call addresses his own (absent) request id.
    await expectContractError(
      registry.as(bob).denyRequest([lab.address, Scope.All, ZERO32]),
      "RecordRegistryRequestNotPending",
      [requestIdOf(bob.address, lab.address, Scope.All, ZERO32), RequestStatus.None],
    );
    await mined(kit, registry.as(alice).approveRequest([lab.address, Scope.All, ZERO32, false, 0, WRAPPED]));
    await notPending(requestId);
    await mined(kit, registry.as(lab).requestAccess([alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT]));
    await mined(kit, registry.as(alice).denyRequest([lab.address, Scope.All, ZERO32]));
    await notPending(requestId);
  });

  it("a new request can follow a decided one", async () => {
    await loadFixture(meridian);
    const target = categoryTarget(Category.Imaging);
    const requestId = requestIdOf(alice.address, lab.address, Scope.Category, target);
    const asLab = registry.as(lab);
    await mined(kit, asLab.requestAccess([alice.address, Scope.Category, target, false, 0, PURPOSE_TREAT]));
    await mined(kit, registry.as(alice).denyRequest([lab.address, Scope.Category, target]));
    const again = await mined(
      kit,
      asLab.requestAccess([alice.address, Scope.Category, target, true, DAY, PURPOSE_TREAT]),
    );
    expectEvent(again, registry, "AccessRequested", {
      patient: alice.address,
      requester: lab.address,
      requestId,
      scope: Scope.Category,
      target,
      write: true,
      duration: DAY,
      purpose: PURPOSE_TREAT,
    });
    await mined(kit, registry.as(alice).approveRequest([lab.address, Scope.Category, target, true, 0, WRAPPED]));
    const third = await mined(
      kit,
      asLab.requestAccess([alice.address, Scope.Category, target, false, 0, PURPOSE_TREAT]),
    );
    expectEvent(third, registry, "AccessRequested", {
      patient: alice.address,
      requester: lab.address,
      requestId,
      scope: Scope.Category,
      target,
      write: false,
      duration: 0,
      purpose: PURPOSE_TREAT,
    });
    const r = await registry.read.getRequest([alice.address, lab.address, Scope.Category, target]);
    assert.equal(r.status, RequestStatus.Pending);
  });
});
