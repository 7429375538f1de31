/**
 * ProviderRegistry: regulator-governed membership of providers and their X25519 keys.
 * Providers' encryption keys (set, rotate, versions), the views, and role management: the
 * admin (who holds the roles), the regulator and the suspender.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { zeroHash } from "viem";
import { ProviderKind as Kind, ProviderStatus as Status } from "@meridian/sdk/chain";
import { expectContractError, expectEvent, mined } from "@meridian/sdk/testing";
import {
  KEY_A,
  KEY_B,
  admin,
  hospital,
  lab,
  outsider,
  providerRegistryFlow,
  regulator,
  suspender,
} from "./fixtures.ts";

const {
  kit,
  loadFixture,
  providers,
  asRegulator,
  asSuspender,
  deployProviderRegistry,
  withHospital,
  withSuspendedHospital,
} = await providerRegistryFlow();

describe("ProviderRegistry", () => {
  describe("setEncryptionKey", () => {
    const asHospital = providers.as(hospital);

    it("sets and rotates the caller's key, numbering each version, and emits ProviderEncryptionKeySet", async () => {
      await loadFixture(withHospital);
      assert.equal((await providers.read.getProvider([hospital.address])).keyVersion, 0);
      let receipt = await mined(kit, asHospital.setEncryptionKey([KEY_A]));
      expectEvent(receipt, providers, "ProviderEncryptionKeySet", {
        provider: hospital.address,
        encryptionKey: KEY_A,
        keyVersion: 1,
      });
      assert.equal(await providers.read.encryptionKeyOf([hospital.address]), KEY_A);
      assert.equal((await providers.read.getProvider([hospital.address])).encryptionKey, KEY_A);
      assert.equal((await providers.read.getProvider([hospital.address])).keyVersion, 1);
      receipt = await mined(kit, asHospital.setEncryptionKey([KEY_B]));
      expectEvent(receipt, providers, "ProviderEncryptionKeySet", {
        provider: hospital.address,
        encryptionKey: KEY_B,
        keyVersion: 2,
      });
      assert.equal(await providers.read.encryptionKeyOf([hospital.address]), KEY_B);
      const p = await providers.read.getProvider([hospital.address]);
      assert.deepEqual([p.keyVersion, p.status], [2, Status.Active]);
    });

    it("refuses to set the current key again (the version would no longer match the derivation)", async () => {
      await loadFixture(withHospital);
      await mined(kit, asHospital.setEncryptionKey([KEY_A]));
      await expectContractError(asHospital.setEncryptionKey([KEY_A]), "ProviderRegistryEncryptionKeyUnchanged", [
        hospital.address,
      ]);
      assert.equal((await providers.read.getProvider([hospital.address])).keyVersion, 1);
    });

    it("is allowed to a suspended provider (status unchanged)", async () => {
      await loadFixture(withSuspendedHospital);
      const receipt = await mined(kit, asHospital.setEncryptionKey([KEY_A]));
      expectEvent(receipt, providers, "ProviderEncryptionKeySet", {
        provider: hospital.address,
        encryptionKey: KEY_A,
        keyVersion: 1,
      });
      assert.equal(await providers.read.statusOf([hospital.address]), Status.Suspended);
    });

    it("is refused to a removed provider, and the removed provider's last key stays", async () => {
      await loadFixture(withHospital);
      await mined(kit, asHospital.setEncryptionKey([KEY_A]));
      await mined(kit, asRegulator.remove([hospital.address]));
      await expectContractError(asHospital.setEncryptionKey([KEY_B]), "ProviderRegistryInvalidStatus", [
        hospital.address,
        Status.Removed,
        Status.Active,
      ]);
      assert.equal(await providers.read.encryptionKeyOf([hospital.address]), KEY_A);
    });

    it("is refused to accounts never admitted (the regulator and the suspender included)", async () => {
      await loadFixture(withHospital);
      for (const caller of [outsider, regulator, suspender]) {
        await expectContractError(providers.as(caller).setEncryptionKey([KEY_A]), "ProviderRegistryUnknownProvider", [
          caller.address,
        ]);
      }
    });

    it("rejects the zero key", async () => {
      await loadFixture(withHospital);
      await expectContractError(asHospital.setEncryptionKey([zeroHash]), "ProviderRegistryInvalidEncryptionKey");
    });
  });

  describe("views", () => {
    it("return all zero for an address never admitted", async () => {
      await loadFixture(withHospital);
      const p = await providers.read.getProvider([outsider.address]);
      assert.deepEqual([p.kind, p.status, p.admittedAt, p.statusChangedAt, p.keyVersion], [0, 0, 0, 0, 0]);
      assert.equal(p.encryptionKey, zeroHash);
      assert.equal(p.name, "");
      assert.equal(p.department, "");
      assert.equal(await providers.read.isActive([outsider.address]), false);
      assert.equal(await providers.read.statusOf([outsider.address]), Status.None);
    });

    it("isActive is true only in the Active status", async () => {
      await loadFixture(withHospital);
      assert.equal(await providers.read.isActive([hospital.address]), true);
      await mined(kit, asRegulator.suspend([hospital.address]));
      assert.equal(await providers.read.isActive([hospital.address]), false);
      await mined(kit, asRegulator.reinstate([hospital.address]));
      assert.equal(await providers.read.isActive([hospital.address]), true);
      await mined(kit, asRegulator.remove([hospital.address]));
      assert.equal(await providers.read.isActive([hospital.address]), false);
    });
  });

  describe("role management", () => {
    it(
      "the regulator can never be a provider: admit refuses a regulator, " +
        "and no provider (even removed) can be made regulator",
      async () => {
        const { REGULATOR_ROLE } = await loadFixture(deployProviderRegistry);
        const asAdmin = providers.as(admin);
        const refused = "ProviderRegistryRegulatorCannotBeProvider";
        await expectContractError(
          asRegulator.admit([regulator.address, Kind.Hospital, "Ministry Hospital", ""]),
          refused,
          [regulator.address],
        );
        await mined(kit, asRegulator.admit([hospital.address, Kind.Hospital, "St Mary's", ""]));
        await expectContractError(asAdmin.grantRole([REGULATOR_ROLE, hospital.address]), refused, [hospital.address]);
        await mined(kit, asRegulator.remove([hospital.address]));
        await expectContractError(asAdmin.grantRole([REGULATOR_ROLE, hospital.address]), refused, [hospital.address]);
        assert.equal(await providers.read.hasRole([REGULATOR_ROLE, hospital.address]), false);
      },
    );

    it("lets the admin add and remove regulators; a regulator cannot grant the role", async () => {
      const { REGULATOR_ROLE, DEFAULT_ADMIN_ROLE } = await loadFixture(deployProviderRegistry);
      const unauthorized = "AccessControlUnauthorizedAccount";
      await expectContractError(asRegulator.grantRole([REGULATOR_ROLE, outsider.address]), unauthorized, [
        regulator.address,
        DEFAULT_ADMIN_ROLE,
      ]);

      await mined(kit, providers.as(admin).grantRole([REGULATOR_ROLE, outsider.address]));
      const receipt = await mined(kit, providers.as(outsider).admit([hospital.address, Kind.Lab, "Lab", ""]));
      expectEvent(receipt, providers, "ProviderAdmitted", {
        provider: hospital.address,
        regulator: outsider.address,
        kind: Kind.Lab,
        name: "Lab",
        department: "",
      });

      await mined(kit, providers.as(admin).revokeRole([REGULATOR_ROLE, outsider.address]));
      await expectContractError(providers.as(outsider).remove([hospital.address]), unauthorized, [
        outsider.address,
        REGULATOR_ROLE,
      ]);
      await expectContractError(providers.as(outsider).suspend([hospital.address]), unauthorized, [
        outsider.address,
        await providers.read.SUSPENDER_ROLE(),
      ]);
    });

    it("lets the admin grant and revoke SUSPENDER_ROLE; neither the regulator nor a suspender can", async () => {
      const { SUSPENDER_ROLE, DEFAULT_ADMIN_ROLE } = await loadFixture(withHospital);
      const unauthorized = "AccessControlUnauthorizedAccount";
      for (const caller of [regulator, suspender]) {
        await expectContractError(providers.as(caller).grantRole([SUSPENDER_ROLE, outsider.address]), unauthorized, [
          caller.address,
          DEFAULT_ADMIN_ROLE,
        ]);
        await expectContractError(providers.as(caller).revokeRole([SUSPENDER_ROLE, suspender.address]), unauthorized, [
          caller.address,
          DEFAULT_ADMIN_ROLE,
        ]);
      }

      const granted = await mined(kit, providers.as(admin).grantRole([SUSPENDER_ROLE, outsider.address]));
      expectEvent(granted, providers, "RoleGranted", {
        role: SUSPENDER_ROLE,
        account: outsider.address,
        sender: admin.address,
      });
      await mined(kit, providers.as(admin).revokeRole([SUSPENDER_ROLE, suspender.address]));
      await expectContractError(asSuspender.suspend([hospital.address]), unauthorized, [
        suspender.address,
        SUSPENDER_ROLE,
      ]);
      const suspended = await mined(kit, providers.as(outsider).suspend([hospital.address]));
      expectEvent(suspended, providers, "ProviderSuspended", {
        provider: hospital.address,
        suspendedBy: outsider.address,
      });

      // A suspender may give the role up.
      await mined(kit, asRegulator.admit([lab.address, Kind.Lab, "Lab", ""]));
      await mined(kit, providers.as(outsider).renounceRole([SUSPENDER_ROLE, outsider.address]));
      await expectContractError(providers.as(outsider).suspend([lab.address]), unauthorized, [
        outsider.address,
        SUSPENDER_ROLE,
      ]);
    });
  });
});
