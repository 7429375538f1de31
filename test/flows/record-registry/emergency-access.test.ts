/**
 * RecordRegistry: time-boxed emergency ("break-glass") access to the patient's emergency summary:
 * naming the summary, opening access (reason, duration, provider status, the regulator's role in
 * ProviderRegistry), and what the provider may read while it is open.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expectContractError, expectEvent, mined } from "@meridian/sdk/testing";
import {
  alice,
  bob,
  carol,
  consentRecords,
  DAY,
  ETREAT,
  hospital,
  HOUR,
  id,
  Kind,
  kit,
  lab,
  loadFixture,
  NO_ESTIMATE,
  node,
  outsider,
  providers,
  registry,
  regulator,
  removedDoc,
  setStatus,
  suspendedDoc,
  withSummary,
  WRAPPED,
  ZERO32,
} from "./fixtures.ts";

describe("RecordRegistry: emergency access", () => {
  describe("setEmergencySummary", () => {
    it("names one of the patient's records; zero clears it", async () => {
      const { aliceIps } = await loadFixture(consentRecords);
      assert.equal(await registry.read.emergencySummaryOf([alice.address]), ZERO32);
      const set = await mined(kit, registry.as(alice).setEmergencySummary([aliceIps]));
      expectEvent(set, registry, "EmergencySummarySet", { patient: alice.address, recordId: aliceIps });
      assert.equal(await registry.read.emergencySummaryOf([alice.address]), aliceIps);
      const cleared = await mined(kit, registry.as(alice).setEmergencySummary([ZERO32]));
      expectEvent(cleared, registry, "EmergencySummarySet", { patient: alice.address, recordId: ZERO32 });
      assert.equal(await registry.read.emergencySummaryOf([alice.address]), ZERO32);
      await expectContractError(
        registry.as(hospital).openEmergencyAccess([alice.address, ETREAT, HOUR]),
        "RecordRegistryNoEmergencySummary",
        [alice.address],
      );
    });

    it("refuses an unknown record, another patient's record, and an unregistered caller", async () => {
      const { bobLab } = await loadFixture(consentRecords);
      const unknown = id("no such record");
      await expectContractError(registry.as(alice).setEmergencySummary([unknown]), "RecordRegistryUnknownRecord", [
        unknown,
      ]);
      await expectContractError(
        registry.as(alice).setEmergencySummary([bobLab]),
        "RecordRegistryRecordOfAnotherPatient",
        [bobLab, alice.address],
      );
      await expectContractError(registry.as(carol).setEmergencySummary([ZERO32]), "RecordRegistryUnknownPatient", [
        carol.address,
      ]);
      assert.equal(await registry.read.emergencySummaryOf([alice.address]), ZERO32);
    });
  });

  describe("openEmergencyAccess", () => {
    it("opens for 1 s up to 24 h and emits EmergencyAccessOpened", async () => {
      const { aliceIps } = await loadFixture(withSummary);
      for (const [provider, duration] of [
        [hospital, DAY],
        [lab, 1],
      ] as const) {
        const t = (await node.latestTime()) + 5;
        await node.setNextBlockTimestamp(t);
        const receipt = await mined(
          kit,
          registry.as(provider).openEmergencyAccess([alice.address, ETREAT, duration], NO_ESTIMATE),
        );
        expectEvent(receipt, registry, "EmergencyAccessOpened", {
          patient: alice.address,
          provider: provider.address,
          reason: ETREAT,
          recordId: aliceIps,
          expiresAt: t + duration,
        });
        const e = await registry.read.getEmergencyAccess([alice.address, provider.address]);
        assert.equal(e.openedAt, t);
        assert.equal(e.expiresAt, t + duration);
      }
    });

    it("refuses an unadmitted, suspended or removed provider (RecordRegistryProviderNotActive)", async () => {
      await loadFixture(withSummary);
      for (const caller of [outsider, suspendedDoc, removedDoc, alice, bob]) {
        await expectContractError(
          registry.as(caller).openEmergencyAccess([alice.address, ETREAT, HOUR]),
          "RecordRegistryProviderNotActive",
          [caller.address],
        );
      }
    });

    it("refuses the regulator by its role (RecordRegistryRegulatorNotAllowed), and the regulator cannot be admitted as a provider", async () => {
      const { aliceIps } = await loadFixture(withSummary);
      await expectContractError(
        registry.as(regulator).openEmergencyAccess([alice.address, ETREAT, HOUR]),
        "RecordRegistryRegulatorNotAllowed",
        [regulator.address],
      );
      // nor can it become a provider to get around that: the registry refuses to admit it
      await expectContractError(
        providers.as(regulator).admit([regulator.address, Kind.Hospital, "Ministry Hospital", ""]),
        "ProviderRegistryRegulatorCannotBeProvider",
        [regulator.address],
      );
      assert.equal(await providers.read.isActive([regulator.address]), false);
      assert.equal((await registry.read.getEmergencyAccess([alice.address, regulator.address])).openedAt, 0);
      assert.equal(await registry.read.canRead([regulator.address, aliceIps]), false);
    });

    it("refuses no reason, a duration of 0 or above 24 h, an unregistered patient or one without a summary", async () => {
      await loadFixture(withSummary);
      const asHospital = registry.as(hospital);
      await expectContractError(
        asHospital.openEmergencyAccess([alice.address, ZERO32, HOUR]),
        "RecordRegistryEmergencyReasonRequired",
      );
      for (const duration of [0, DAY + 1, 2 ** 40 - 1]) {
        await expectContractError(
          asHospital.openEmergencyAccess([alice.address, ETREAT, duration]),
          "RecordRegistryInvalidEmergencyDuration",
          [duration],
        );
      }
      await expectContractError(
        asHospital.openEmergencyAccess([carol.address, ETREAT, HOUR]),
        "RecordRegistryUnknownPatient",
        [carol.address],
      );
      await expectContractError(
        asHospital.openEmergencyAccess([bob.address, ETREAT, HOUR]),
        "RecordRegistryNoEmergencySummary",
        [bob.address],
      );
      assert.equal((await registry.read.getEmergencyAccess([alice.address, hospital.address])).openedAt, 0);
    });

    it("refuses a second opening while one is open for the same pair; reopens after the time box or a close", async () => {
      await loadFixture(withSummary);
      const asHospital = registry.as(hospital);
      await mined(kit, asHospital.openEmergencyAccess([alice.address, ETREAT, HOUR]));
      const { expiresAt } = await registry.read.getEmergencyAccess([alice.address, hospital.address]);
      await expectContractError(
        asHospital.openEmergencyAccess([alice.address, ETREAT, DAY]),
        "RecordRegistryEmergencyAccessActive",
        [alice.address, hospital.address, expiresAt],
      );
      // Another provider is another pair.
      await mined(kit, registry.as(lab).openEmergencyAccess([alice.address, ETREAT, HOUR]));
      await node.increaseTimeTo(expiresAt);
      expectEvent(
        await mined(kit, asHospital.openEmergencyAccess([alice.address, ETREAT, HOUR])),
        registry,
        "EmergencyAccessOpened",
      );
      await mined(kit, asHospital.closeEmergencyAccess([alice.address, hospital.address]));
      expectEvent(
        await mined(kit, asHospital.openEmergencyAccess([alice.address, ETREAT, HOUR])),
        registry,
        "EmergencyAccessOpened",
      );
    });
  });

  describe("canRead under emergency access", () => {
    it("the provider reads the summary only, only while open: not after the time box", async () => {
      const { aliceIps, aliceLab, aliceCardiac, bobLab } = await loadFixture(withSummary);
      assert.equal(await registry.read.canRead([hospital.address, aliceIps]), false);
      await mined(kit, registry.as(hospital).openEmergencyAccess([alice.address, ETREAT, HOUR]));
      const { expiresAt } = await registry.read.getEmergencyAccess([alice.address, hospital.address]);
      assert.equal(await registry.read.canRead([hospital.address, aliceIps]), true);
      for (const record of [aliceLab, aliceCardiac, bobLab]) {
        assert.equal(await registry.read.canRead([hospital.address, record]), false);
      }
      // Only the provider that opened it.
      assert.equal(await registry.read.canRead([lab.address, aliceIps]), false);
      await node.increaseTimeTo(expiresAt - 1);
      assert.equal(await registry.read.canRead([hospital.address, aliceIps]), true);
      await node.increaseTimeTo(expiresAt);
      assert.equal(await registry.read.canRead([hospital.address, aliceIps]), false);
    });

    it("not after a close, and not while the provider is suspended", async () => {
      const { aliceIps } = await loadFixture(withSummary);
      await mined(kit, registry.as(hospital).openEmergencyAccess([alice.address, ETREAT, HOUR]));
      await mined(kit, registry.as(lab).openEmergencyAccess([alice.address, ETREAT, HOUR]));
      await mined(kit, registry.as(alice).closeEmergencyAccess([alice.address, hospital.address]));
      assert.equal(await registry.read.canRead([hospital.address, aliceIps]), false);
      assert.equal(await registry.read.canRead([lab.address, aliceIps]), true);
      await setStatus(lab.address, "suspend");
      assert.equal(await registry.read.canRead([lab.address, aliceIps]), false);
      await expectContractError(
        registry.as(alice).releaseEmergencyKey([alice.address, lab.address, WRAPPED]),
        "RecordRegistryEmergencyAccessNotActive",
        [alice.address, lab.address],
      );
    });

    it("follows the summary the patient names now (a new summary is readable, the old one is not)", async () => {
      const { aliceIps, aliceCardiac } = await loadFixture(withSummary);
      await mined(kit, registry.as(hospital).openEmergencyAccess([alice.address, ETREAT, HOUR]));
      await mined(kit, registry.as(alice).setEmergencySummary([aliceCardiac]));
      assert.equal(await registry.read.canRead([hospital.address, aliceCardiac]), true);
      assert.equal(await registry.read.canRead([hospital.address, aliceIps]), false);
      await mined(kit, registry.as(alice).setEmergencySummary([ZERO32]));
      assert.equal(await registry.read.canRead([hospital.address, aliceCardiac]), false);
      await expectContractError(
        registry.as(alice).releaseEmergencyKey([alice.address, hospital.address, WRAPPED]),
        "RecordRegistryNoEmergencySummary",
        [alice.address],
      );
    });
  });
});
