/**
 * RecordRegistry across ProviderRegistry and PeerValidation: no route gives the regulator read
 * access; and the gas of the consent, guardian and emergency operations.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { peerValidationAbi } from "@meridian/sdk/chain";
import { bindContract, expectContractError, mined } from "@meridian/sdk/testing";
import { makeCode, signCode } from "./consent-code.ts";
import {
  alice,
  Category,
  categoryTarget,
  clinic,
  dave,
  ETREAT,
  GUARDIAN_BUNDLE,
  hospital,
  HOUR,
  kit,
  lab,
  Level,
  loadFixture,
  providers,
  PURPOSE_TREAT,
  registry,
  regulator,
  Scope,
  setStatus,
  sharer,
  withSummary,
  WRAPPED,
  ZERO32,
} from "./fixtures.ts";

describe("RecordRegistry: the regulator", () => {
  it("no function gives the regulator (REGULATOR_ROLE, not admitted) read access", async () => {
    const { aliceLab, aliceCardiac, aliceIps, bobLab } = await loadFixture(withSummary);
    const peerValidation = bindContract(kit, peerValidationAbi, await registry.read.peerValidation());
    assert.equal(await providers.read.hasRole([await providers.read.REGULATOR_ROLE(), regulator.address]), true);
    assert.equal(await providers.read.isActive([regulator.address]), false);
    const ids = [aliceLab, aliceCardiac, aliceIps, bobLab];
    const noneReadable = async () => {
      for (const record of ids) {
        assert.equal(await registry.read.canRead([regulator.address, record]), false);
        assert.equal(await peerValidation.read.isValidator([record, regulator.address]), false);
      }
    };
    await noneReadable();
    // Every route to read access is closed to it.
    await expectContractError(
      registry.as(alice).grant([regulator.address, Scope.All, ZERO32, false, 0, WRAPPED]),
      "RecordRegistryProviderNotActive",
      [regulator.address],
    );
    await expectContractError(
      registry.as(sharer).grantAsGuardian([alice.address, regulator.address, Scope.All, ZERO32, false, 0, WRAPPED]),
      "RecordRegistryProviderNotActive",
      [regulator.address],
    );
    const code = await makeCode({ grantee: regulator.address, scope: Scope.All, target: ZERO32 });
    await expectContractError(
      registry.as(regulator).redeemConsentCode([code, WRAPPED, await signCode(alice, code)]),
      "RecordRegistryProviderNotActive",
      [regulator.address],
    );
    await expectContractError(
      registry.as(regulator).requestAccess([alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT]),
      "RecordRegistryProviderNotActive",
      [regulator.address],
    );
    await expectContractError(
      registry.as(regulator).openEmergencyAccess([alice.address, ETREAT, HOUR]),
      "RecordRegistryRegulatorNotAllowed",
      [regulator.address],
    );
    await expectContractError(
      registry.as(alice).appointGuardian([regulator.address, Level.View, WRAPPED]),
      "RecordRegistryUnknownPatient",
      [regulator.address],
    );
    await expectContractError(
      registry.as(regulator).releaseEmergencyKey([alice.address, regulator.address, WRAPPED]),
      "RecordRegistryNotGuardian",
      [alice.address, regulator.address, Level.None, Level.ShareAndView],
    );
    // Others' access, suspensions and reinstatements change nothing for it.
    await mined(kit, registry.as(alice).grant([hospital.address, Scope.All, ZERO32, false, 0, WRAPPED]));
    await mined(kit, registry.as(hospital).openEmergencyAccess([alice.address, ETREAT, HOUR]));
    await setStatus(hospital.address, "suspend");
    await setStatus(hospital.address, "reinstate");
    await noneReadable();
    assert.equal(await registry.read.canRead([hospital.address, aliceLab]), true);
  });
});

describe("RecordRegistry: gas", () => {
  it("prints the gas of the consent, guardian and emergency operations", async (t) => {
    await loadFixture(withSummary);
    const gas: Record<string, bigint> = {};
    const code = await makeCode();
    const signature = await signCode(alice, code);
    const cardiac = categoryTarget(Category.Cardiac);
    const used = async (hash: Promise<`0x${string}`>) => (await mined(kit, hash)).gasUsed;
    gas["redeemConsentCode (category, EOA)"] = await used(
      registry.as(hospital).redeemConsentCode([code, WRAPPED, signature]),
    );
    gas["appointGuardian (new, 336-byte bundle)"] = await used(
      registry.as(alice).appointGuardian([dave.address, Level.ShareAndView, GUARDIAN_BUNDLE]),
    );
    gas["grantAsGuardian (category)"] = await used(
      registry.as(sharer).grantAsGuardian([alice.address, lab.address, Scope.Category, cardiac, false, 0, WRAPPED]),
    );
    await mined(kit, registry.as(clinic).requestAccess([alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT]));
    gas["approveRequestAsGuardian (all)"] = await used(
      registry
        .as(sharer)
        .approveRequestAsGuardian([alice.address, clinic.address, Scope.All, ZERO32, false, 0, WRAPPED]),
    );
    gas["openEmergencyAccess"] = await used(registry.as(hospital).openEmergencyAccess([alice.address, ETREAT, HOUR]));
    gas["releaseEmergencyKey (patient)"] = await used(
      registry.as(alice).releaseEmergencyKey([alice.address, hospital.address, WRAPPED]),
    );
    gas["releaseEmergencyKey (guardian)"] = await used(
      registry.as(sharer).releaseEmergencyKey([alice.address, hospital.address, WRAPPED]),
    );
    gas["closeEmergencyAccess (provider)"] = await used(
      registry.as(hospital).closeEmergencyAccess([alice.address, hospital.address]),
    );
    t.diagnostic("gas used (80-byte wrapped keys):");
    for (const [name, value] of Object.entries(gas))
      t.diagnostic(`  ${name.padEnd(42)} ${value.toLocaleString("en-US")}`);
    for (const value of Object.values(gas)) assert.ok(value < 200_000n);
  });
});
