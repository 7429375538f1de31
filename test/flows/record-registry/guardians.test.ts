/**
 * RecordRegistry: guardians at VIEW and SHARE AND VIEW level: appointment, what each level may
 * read and do for the patient (each act emitting `GuardianActed`), and removal or stepping down,
 * which advances the patient's key epoch.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Account } from "viem";
import { eventsFrom, expectContractError, expectEvent, mined } from "@meridian/sdk/testing";
import { grantIdOfIssued } from "@meridian/sdk/chain";
import { makeCode, signCode } from "./consent-code.ts";
import {
  alice,
  anchor,
  bob,
  carol,
  Category,
  categoryTarget,
  clinic,
  consentRecords,
  dave,
  DAY,
  ETREAT,
  filled,
  grantIdOf,
  GUARDIAN_BUNDLE,
  hospital,
  HOUR,
  kit,
  lab,
  Level,
  loadFixture,
  node,
  outsider,
  PURPOSE_TREAT,
  registry,
  requestIdOf,
  Scope,
  selectorOf,
  sharer,
  suspendedDoc,
  viewer,
  withGuardians,
  withSummary,
  WRAPPED,
  ZERO32,
} from "./fixtures.ts";

/** Asserts `action` reverts with `NotGuardian(patient, account, level, required)`. */
function notGuardian(action: Promise<unknown>, patient: Account, account: Account, level: number, required: number) {
  return expectContractError(action, "RecordRegistryNotGuardian", [patient.address, account.address, level, required]);
}

describe("RecordRegistry: guardians", () => {
  it("appoints a guardian at either level, changes its level, and emits GuardianAppointed", async () => {
    await loadFixture(consentRecords);
    const asAlice = registry.as(alice);
    const first = await mined(kit, asAlice.appointGuardian([viewer.address, Level.View, GUARDIAN_BUNDLE]));
    expectEvent(first, registry, "GuardianAppointed", {
      patient: alice.address,
      guardian: viewer.address,
      level: Level.View,
      keyEpoch: 0,
      wrappedKey: GUARDIAN_BUNDLE,
    });
    const second = await mined(kit, asAlice.appointGuardian([sharer.address, Level.ShareAndView, WRAPPED]));
    expectEvent(second, registry, "GuardianAppointed", {
      patient: alice.address,
      guardian: sharer.address,
      level: Level.ShareAndView,
      keyEpoch: 0,
      wrappedKey: WRAPPED,
    });
    assert.equal(await registry.read.guardianLevel([alice.address, viewer.address]), Level.View);
    assert.equal(await registry.read.guardianLevel([alice.address, sharer.address]), Level.ShareAndView);
    assert.equal(await registry.read.guardianLevel([bob.address, sharer.address]), Level.None);
    // Re-level, and re-key at the current epoch.
    await mined(kit, asAlice.appointGuardian([viewer.address, Level.ShareAndView, WRAPPED]));
    assert.equal(await registry.read.guardianLevel([alice.address, viewer.address]), Level.ShareAndView);
    await mined(kit, asAlice.appointGuardian([viewer.address, Level.View, WRAPPED]));
    assert.equal(await registry.read.guardianLevel([alice.address, viewer.address]), Level.View);
    // Appointing does not rotate keys.
    assert.equal((await registry.read.getPatient([alice.address])).keyEpoch, 0);
  });

  it("refuses an unregistered guardian or patient, the patient itself, level None and a bad bundle", async () => {
    await loadFixture(consentRecords);
    const asAlice = registry.as(alice);
    await expectContractError(
      asAlice.appointGuardian([carol.address, Level.View, WRAPPED]),
      "RecordRegistryUnknownPatient",
      [carol.address],
    );
    await expectContractError(
      asAlice.appointGuardian([hospital.address, Level.View, WRAPPED]),
      "RecordRegistryUnknownPatient",
      [hospital.address],
    );
    await expectContractError(
      registry.as(carol).appointGuardian([viewer.address, Level.View, WRAPPED]),
      "RecordRegistryUnknownPatient",
      [carol.address],
    );
    for (const level of [Level.View, Level.ShareAndView]) {
      await expectContractError(
        asAlice.appointGuardian([alice.address, level, WRAPPED]),
        "RecordRegistryInvalidGuardian",
        [alice.address, level],
      );
    }
    await expectContractError(
      asAlice.appointGuardian([viewer.address, Level.None, WRAPPED]),
      "RecordRegistryInvalidGuardian",
      [viewer.address, Level.None],
    );
    await expectContractError(
      asAlice.appointGuardian([viewer.address, Level.View, "0x"]),
      "RecordRegistryInvalidWrappedKey",
      [0n],
    );
    await expectContractError(
      asAlice.appointGuardian([viewer.address, Level.View, filled(641, 1)]),
      "RecordRegistryInvalidWrappedKey",
      [641n],
    );
    assert.equal(await registry.read.guardianLevel([alice.address, viewer.address]), Level.None);
  });

  it("a VIEW guardian reads all the patient's records (not other patients'), and may not act", async () => {
    const { aliceLab, aliceCardiac, aliceIps, bobLab } = await loadFixture(withSummary);
    const fresh = (await anchor(alice, alice.address, Category.Imaging)).recordId;
    for (const record of [aliceLab, aliceCardiac, aliceIps, fresh]) {
      assert.equal(await registry.read.canRead([viewer.address, record]), true);
    }
    assert.equal(await registry.read.canRead([viewer.address, bobLab]), false);

    const target = categoryTarget(Category.Lab);
    await mined(kit, registry.as(alice).grant([lab.address, Scope.Category, target, false, 0, WRAPPED]));
    await mined(kit, registry.as(hospital).requestAccess([alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT]));
    await mined(kit, registry.as(hospital).openEmergencyAccess([alice.address, ETREAT, HOUR]));
    const refused = (action: Promise<unknown>) => notGuardian(action, alice, viewer, Level.View, Level.ShareAndView);
    const asViewer = registry.as(viewer);
    await refused(asViewer.grantAsGuardian([alice.address, hospital.address, Scope.All, ZERO32, false, 0, WRAPPED]));
    await refused(asViewer.revokeAsGuardian([alice.address, lab.address, Scope.Category, target]));
    await refused(
      asViewer.approveRequestAsGuardian([alice.address, hospital.address, Scope.All, ZERO32, false, 0, WRAPPED]),
    );
    await refused(asViewer.denyRequestAsGuardian([alice.address, hospital.address, Scope.All, ZERO32]));
    await refused(asViewer.releaseEmergencyKey([alice.address, hospital.address, WRAPPED]));
    // Nothing changed.
    assert.equal(await registry.read.isGrantActive([alice.address, lab.address, Scope.Category, target]), true);
    assert.equal((await registry.read.getRequest([alice.address, hospital.address, Scope.All, ZERO32])).status, 1);
    assert.equal((await registry.read.getGrant([alice.address, hospital.address, Scope.All, ZERO32])).issuedAt, 0);
  });

  it("nobody else acts as guardian: a stranger, a provider, another patient's guardian", async () => {
    const { aliceLab, bobLab } = await loadFixture(withGuardians);
    const pairs: [Account, Account][] = [
      [alice, dave],
      [alice, hospital],
      [alice, outsider],
      [bob, sharer],
    ];
    for (const [patient, caller] of pairs) {
      const asCaller = registry.as(caller);
      await notGuardian(
        asCaller.grantAsGuardian([patient.address, hospital.address, Scope.All, ZERO32, false, 0, WRAPPED]),
        patient,
        caller,
        Level.None,
        Level.ShareAndView,
      );
      await notGuardian(
        asCaller.releaseEmergencyKey([patient.address, hospital.address, WRAPPED]),
        patient,
        caller,
        Level.None,
        Level.ShareAndView,
      );
    }
    assert.equal(await registry.read.canRead([sharer.address, bobLab]), false);
    assert.equal(await registry.read.canRead([dave.address, aliceLab]), false);
  });

  it("a SHARE AND VIEW guardian grants, revokes, approves and denies for the patient (GuardianActed)", async () => {
    const { aliceLab, aliceCardiac } = await loadFixture(withGuardians);
    const asSharer = registry.as(sharer);
    for (const record of [aliceLab, aliceCardiac]) {
      assert.equal(await registry.read.canRead([sharer.address, record]), true);
    }
    const acted = (action: Parameters<typeof selectorOf>[0], subject: `0x${string}`) => ({
      patient: alice.address,
      guardian: sharer.address,
      action: selectorOf(action),
      subject,
    });

    // grantAsGuardian
    const target = categoryTarget(Category.Cardiac);
    const grantId = grantIdOf(alice.address, hospital.address, Scope.Category, target);
    const expiresAt = (await node.latestTime()) + 7 * DAY;
    const grantArgs = [alice.address, hospital.address, Scope.Category, target, true, expiresAt, WRAPPED] as const;
    assert.equal((await registry.simulate.grantAsGuardian(grantArgs, { account: sharer })).result, grantId);
    const granted = await mined(kit, asSharer.grantAsGuardian(grantArgs));
    expectEvent(granted, registry, "GrantIssued", {
      patient: alice.address,
      grantee: hospital.address,
      scope: Scope.Category,
      target,
      write: true,
      expiresAt,
      keyEpoch: 0,
      wrappedKey: WRAPPED,
    });
    expectEvent(granted, registry, "GuardianActed", acted("grantAsGuardian", grantId));
    assert.equal(await registry.read.canRead([hospital.address, aliceCardiac]), true);
    assert.equal(await registry.read.canWrite([hospital.address, alice.address, Category.Cardiac]), true);

    // revokeAsGuardian: the category grant's revocation advances alice's epoch
    const revoked = await mined(
      kit,
      asSharer.revokeAsGuardian([alice.address, hospital.address, Scope.Category, target]),
    );
    expectEvent(revoked, registry, "GrantRevoked", {
      patient: alice.address,
      grantee: hospital.address,
      grantId,
      keyEpoch: 1,
    });
    expectEvent(revoked, registry, "GuardianActed", acted("revokeAsGuardian", grantId));
    assert.equal(await registry.read.canRead([hospital.address, aliceCardiac]), false);
    assert.equal((await registry.read.getPatient([alice.address])).keyEpoch, 1);

    // approveRequestAsGuardian
    await mined(
      kit,
      registry.as(lab).requestAccess([alice.address, Scope.Record, aliceLab, false, DAY, PURPOSE_TREAT]),
    );
    const requestId = requestIdOf(alice.address, lab.address, Scope.Record, aliceLab);
    const labGrant = grantIdOf(alice.address, lab.address, Scope.Record, aliceLab);
    const approved = await mined(
      kit,
      asSharer.approveRequestAsGuardian([alice.address, lab.address, Scope.Record, aliceLab, false, 0, WRAPPED]),
    );
    expectEvent(approved, registry, "AccessRequestApproved", {
      patient: alice.address,
      requester: lab.address,
      requestId,
    });
    expectEvent(approved, registry, "GrantIssued", {
      patient: alice.address,
      grantee: lab.address,
      scope: Scope.Record,
      target: aliceLab,
      write: false,
      expiresAt: 0,
      keyEpoch: 1,
      wrappedKey: WRAPPED,
    });
    assert.equal(grantIdOfIssued(eventsFrom(approved, registry, "GrantIssued")[0]!.args), labGrant, "grant id");
    expectEvent(approved, registry, "GuardianActed", acted("approveRequestAsGuardian", requestId));
    assert.equal(await registry.read.canRead([lab.address, aliceLab]), true);
    assert.equal((await registry.read.getRequest([alice.address, lab.address, Scope.Record, aliceLab])).status, 0);

    // denyRequestAsGuardian
    await mined(kit, registry.as(clinic).requestAccess([alice.address, Scope.All, ZERO32, true, 0, PURPOSE_TREAT]));
    const clinicRequest = requestIdOf(alice.address, clinic.address, Scope.All, ZERO32);
    const denied = await mined(kit, asSharer.denyRequestAsGuardian([alice.address, clinic.address, Scope.All, ZERO32]));
    expectEvent(denied, registry, "AccessRequestDenied", {
      patient: alice.address,
      requester: clinic.address,
      requestId: clinicRequest,
    });
    expectEvent(denied, registry, "GuardianActed", acted("denyRequestAsGuardian", clinicRequest));
    assert.equal((await registry.read.getRequest([alice.address, clinic.address, Scope.All, ZERO32])).status, 0);
    assert.equal(await registry.read.canRead([clinic.address, aliceLab]), false);
  });

  it("a SHARE AND VIEW guardian is held to the patient's rules (inactive provider, no pending request, write not asked)", async () => {
    await loadFixture(withGuardians);
    const asSharer = registry.as(sharer);
    await expectContractError(
      asSharer.grantAsGuardian([alice.address, suspendedDoc.address, Scope.All, ZERO32, false, 0, WRAPPED]),
      "RecordRegistryProviderNotActive",
      [suspendedDoc.address],
    );
    await expectContractError(
      asSharer.revokeAsGuardian([alice.address, hospital.address, Scope.All, ZERO32]),
      "RecordRegistryGrantNotActive",
      [grantIdOf(alice.address, hospital.address, Scope.All, ZERO32)],
    );
    const requestId = requestIdOf(alice.address, lab.address, Scope.All, ZERO32);
    await expectContractError(
      asSharer.denyRequestAsGuardian([alice.address, lab.address, Scope.All, ZERO32]),
      "RecordRegistryRequestNotPending",
      [requestId, 0],
    );
    await mined(kit, registry.as(lab).requestAccess([alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT]));
    await expectContractError(
      asSharer.approveRequestAsGuardian([alice.address, lab.address, Scope.All, ZERO32, true, 0, WRAPPED]),
      "RecordRegistryWriteNotRequested",
      [requestId],
    );
  });

  for (const how of ["removed by the patient", "stepped down"] as const) {
    it(`a guardian ${how} can do nothing, loses canRead, and the key epoch advances (GuardianRemoved)`, async () => {
      const { aliceLab, aliceCardiac, aliceIps } = await loadFixture(withSummary);
      const labTarget = categoryTarget(Category.Lab);
      await mined(kit, registry.as(alice).grant([lab.address, Scope.Category, labTarget, false, 0, WRAPPED]));
      await mined(
        kit,
        registry.as(hospital).requestAccess([alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT]),
      );
      await mined(kit, registry.as(hospital).openEmergencyAccess([alice.address, ETREAT, HOUR]));
      const code = await makeCode(); // signed at epoch 0, before the removal
      const signature = await signCode(alice, code);

      const byGuardian = how === "stepped down";
      for (const guardian of [sharer, viewer]) {
        const epoch = (await registry.read.getPatient([alice.address])).keyEpoch;
        const receipt = await mined(
          kit,
          byGuardian
            ? registry.as(guardian).stepDownAsGuardian([alice.address])
            : registry.as(alice).removeGuardian([guardian.address]),
        );
        expectEvent(receipt, registry, "GuardianRemoved", {
          patient: alice.address,
          guardian: guardian.address,
          byGuardian,
          keyEpoch: epoch + 1,
        });
        assert.equal((await registry.read.getPatient([alice.address])).keyEpoch, epoch + 1);
        assert.equal(await registry.read.guardianLevel([alice.address, guardian.address]), Level.None);
        for (const record of [aliceLab, aliceCardiac, aliceIps]) {
          assert.equal(await registry.read.canRead([guardian.address, record]), false);
        }
        const asOld = registry.as(guardian);
        const refused = (action: Promise<unknown>) =>
          notGuardian(action, alice, guardian, Level.None, Level.ShareAndView);
        await refused(asOld.grantAsGuardian([alice.address, hospital.address, Scope.All, ZERO32, false, 0, WRAPPED]));
        await refused(asOld.revokeAsGuardian([alice.address, lab.address, Scope.Category, labTarget]));
        await refused(
          asOld.approveRequestAsGuardian([alice.address, hospital.address, Scope.All, ZERO32, false, 0, WRAPPED]),
        );
        await refused(asOld.denyRequestAsGuardian([alice.address, hospital.address, Scope.All, ZERO32]));
        await refused(asOld.releaseEmergencyKey([alice.address, hospital.address, WRAPPED]));
        await expectContractError(
          asOld.closeEmergencyAccess([alice.address, hospital.address]),
          "RecordRegistryEmergencyCloseNotPermitted",
          [alice.address, hospital.address, guardian.address],
        );
        // Removing or stepping down again: not a guardian (required: VIEW).
        await notGuardian(
          registry.as(alice).removeGuardian([guardian.address]),
          alice,
          guardian,
          Level.None,
          Level.View,
        );
        await notGuardian(asOld.stepDownAsGuardian([alice.address]), alice, guardian, Level.None, Level.View);
      }
      assert.equal((await registry.read.getPatient([alice.address])).keyEpoch, 2);
      // What the removal rotated away from: a code signed at the old epoch is stale.
      await expectContractError(
        registry.as(hospital).redeemConsentCode([code, WRAPPED, signature]),
        "RecordRegistryStaleKeyEpoch",
        [alice.address, 0, 2],
      );
      // The lab's grant and the pending request are untouched.
      assert.equal(await registry.read.isGrantActive([alice.address, lab.address, Scope.Category, labTarget]), true);
      assert.equal((await registry.read.getRequest([alice.address, hospital.address, Scope.All, ZERO32])).status, 1);
    });
  }

  it("removing or stepping down from a non-guardian is refused (RecordRegistryNotGuardian, required VIEW)", async () => {
    await loadFixture(withGuardians);
    await notGuardian(registry.as(alice).removeGuardian([dave.address]), alice, dave, Level.None, Level.View);
    await notGuardian(registry.as(dave).stepDownAsGuardian([bob.address]), bob, dave, Level.None, Level.View);
    assert.equal((await registry.read.getPatient([alice.address])).keyEpoch, 0);
  });
});
