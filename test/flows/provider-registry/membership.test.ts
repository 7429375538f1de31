/**
 * ProviderRegistry: regulator-governed membership of providers and their X25519 keys.
 * The constructor, and the status machine None → Active ⇄ Suspended → Removed (terminal):
 * every function, revert path (custom error and arguments) and event of admit, suspend, reinstate
 * and remove, with the regulator (membership) and the suspender (suspension only).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keccak256, stringToHex, zeroAddress, zeroHash } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  ProviderKind as Kind,
  ProviderStatus as Status,
  providerRegistryAbi,
  providerRegistryBytecode,
} from "@meridian/sdk/chain";
import { deployTestContract, expectContractError, expectEvent, mined } from "@meridian/sdk/testing";
import { KIND_NONE, admin, hospital, outsider, providerRegistryFlow, regulator, suspender } from "./fixtures.ts";

const {
  kit,
  node,
  loadFixture,
  providers,
  asRegulator,
  asSuspender,
  deployProviderRegistry,
  withHospital,
  withSuspendedHospital,
  withRemovedHospital,
} = await providerRegistryFlow();

describe("ProviderRegistry", () => {
  describe("constructor", () => {
    it("grants DEFAULT_ADMIN_ROLE to the admin and REGULATOR_ROLE to the regulator only", async () => {
      const { REGULATOR_ROLE, DEFAULT_ADMIN_ROLE } = await loadFixture(deployProviderRegistry);
      assert.equal(REGULATOR_ROLE, keccak256(stringToHex("REGULATOR_ROLE")));
      assert.equal(await providers.read.hasRole([DEFAULT_ADMIN_ROLE, admin.address]), true);
      assert.equal(await providers.read.hasRole([REGULATOR_ROLE, regulator.address]), true);
      assert.equal(await providers.read.hasRole([REGULATOR_ROLE, admin.address]), false);
      assert.equal(await providers.read.hasRole([DEFAULT_ADMIN_ROLE, regulator.address]), false);
    });

    it("grants SUSPENDER_ROLE to no one, and makes DEFAULT_ADMIN_ROLE the admin of every role", async () => {
      const { REGULATOR_ROLE, SUSPENDER_ROLE, DEFAULT_ADMIN_ROLE } = await loadFixture(deployProviderRegistry);
      assert.equal(SUSPENDER_ROLE, keccak256(stringToHex("SUSPENDER_ROLE")));
      const fresh = await deployTestContract(kit, {
        abi: providerRegistryAbi,
        bytecode: providerRegistryBytecode,
        args: [admin.address, regulator.address],
      });
      const granted = await kit.publicClient.getContractEvents({
        address: fresh.address,
        abi: providerRegistryAbi,
        eventName: "RoleGranted",
        args: { role: SUSPENDER_ROLE },
        fromBlock: 0n,
      });
      assert.equal(granted.length, 0);
      assert.equal(await fresh.read.hasRole([SUSPENDER_ROLE, admin.address]), false);
      assert.equal(await fresh.read.hasRole([SUSPENDER_ROLE, regulator.address]), false);
      for (const role of [REGULATOR_ROLE, SUSPENDER_ROLE, DEFAULT_ADMIN_ROLE]) {
        assert.equal(await fresh.read.getRoleAdmin([role]), DEFAULT_ADMIN_ROLE);
      }
    });

    it("rejects a zero admin or a zero regulator", async () => {
      await loadFixture(deployProviderRegistry);
      const deploy = (args: readonly [`0x${string}`, `0x${string}`]) =>
        deployTestContract(kit, { abi: providerRegistryAbi, bytecode: providerRegistryBytecode, args });
      await expectContractError(deploy([zeroAddress, admin.address]), "ProviderRegistryZeroAddress");
      await expectContractError(deploy([admin.address, zeroAddress]), "ProviderRegistryZeroAddress");
    });
  });

  describe("admit", () => {
    it("admits an active provider, stores its entry and emits ProviderAdmitted", async () => {
      await loadFixture(deployProviderRegistry);
      const receipt = await mined(
        kit,
        asRegulator.admit([hospital.address, Kind.Hospital, "St. Elsewhere", "Cardiology"]),
      );
      expectEvent(receipt, providers, "ProviderAdmitted", {
        provider: hospital.address,
        regulator: regulator.address,
        kind: Kind.Hospital,
        name: "St. Elsewhere",
        department: "Cardiology",
      });
      const now = await node.latestTime();
      const p = await providers.read.getProvider([hospital.address]);
      assert.equal(p.kind, Kind.Hospital);
      assert.equal(p.status, Status.Active);
      assert.equal(p.admittedAt, now);
      assert.equal(p.statusChangedAt, now);
      assert.equal(p.encryptionKey, zeroHash);
      assert.equal(p.name, "St. Elsewhere");
      assert.equal(p.department, "Cardiology");
      assert.equal(await providers.read.isActive([hospital.address]), true);
      assert.equal(await providers.read.statusOf([hospital.address]), Status.Active);
      assert.equal(await providers.read.encryptionKeyOf([hospital.address]), zeroHash);
    });

    it("accepts every kind but None, and an empty department", async () => {
      await loadFixture(deployProviderRegistry);
      for (const kind of [Kind.Hospital, Kind.Clinic, Kind.Lab, Kind.Practitioner]) {
        const who = privateKeyToAccount(generatePrivateKey()).address;
        await mined(kit, asRegulator.admit([who, kind, `provider ${kind}`, ""]));
        assert.equal((await providers.read.getProvider([who])).kind, kind);
      }
    });

    it("accepts a name and a department of exactly 128 bytes (UTF-8 bytes, not characters)", async () => {
      await loadFixture(deployProviderRegistry);
      const name = "é".repeat(64); // 2 bytes each
      const department = "x".repeat(128);
      await mined(kit, asRegulator.admit([hospital.address, Kind.Clinic, name, department]));
      const p = await providers.read.getProvider([hospital.address]);
      assert.equal(p.name, name);
      assert.equal(p.department, department);
    });

    it("rejects an empty name, a name over 128 bytes and a department over 128 bytes", async () => {
      await loadFixture(deployProviderRegistry);
      for (const [name, department] of [
        ["", "Cardiology"],
        ["x".repeat(129), ""],
        ["é".repeat(65), ""], // 130 bytes, 65 characters
        ["ok", "x".repeat(129)],
      ] as const) {
        await expectContractError(
          asRegulator.admit([hospital.address, Kind.Clinic, name, department]),
          "ProviderRegistryInvalidName",
        );
      }
    });

    it("rejects kind None", async () => {
      await loadFixture(deployProviderRegistry);
      await expectContractError(
        asRegulator.admit([hospital.address, KIND_NONE, "x", ""]),
        "ProviderRegistryInvalidKind",
      );
    });

    it("rejects the zero address", async () => {
      await loadFixture(deployProviderRegistry);
      await expectContractError(asRegulator.admit([zeroAddress, Kind.Lab, "x", ""]), "ProviderRegistryZeroAddress");
    });

    it("rejects a provider already admitted, whatever its status (re-admission is refused)", async () => {
      for (const [fixture, status] of [
        [withHospital, Status.Active],
        [withSuspendedHospital, Status.Suspended],
        [withRemovedHospital, Status.Removed],
      ] as const) {
        await loadFixture(fixture);
        await expectContractError(
          asRegulator.admit([hospital.address, Kind.Lab, "again", ""]),
          "ProviderRegistryAlreadyAdmitted",
          [hospital.address, status],
        );
      }
    });

    it("is refused to accounts without REGULATOR_ROLE, the admin and the suspender included", async () => {
      const { REGULATOR_ROLE } = await loadFixture(deployProviderRegistry);
      for (const caller of [admin, suspender, outsider, hospital]) {
        await expectContractError(
          providers.as(caller).admit([hospital.address, Kind.Lab, "x", ""]),
          "AccessControlUnauthorizedAccount",
          [caller.address, REGULATOR_ROLE],
        );
      }
    });
  });

  describe("suspend", () => {
    it("moves Active → Suspended, updates statusChangedAt and emits ProviderSuspended", async () => {
      await loadFixture(withHospital);
      const { admittedAt } = await providers.read.getProvider([hospital.address]);
      await kit.increaseTime(100);
      const receipt = await mined(kit, asRegulator.suspend([hospital.address]));
      expectEvent(receipt, providers, "ProviderSuspended", {
        provider: hospital.address,
        suspendedBy: regulator.address,
      });
      const p = await providers.read.getProvider([hospital.address]);
      assert.equal(p.status, Status.Suspended);
      assert.equal(p.admittedAt, admittedAt);
      assert.equal(p.statusChangedAt, await node.latestTime());
      assert.ok(p.statusChangedAt > admittedAt);
      assert.equal(await providers.read.isActive([hospital.address]), false);
    });

    it("lets the suspender suspend at once, naming it in ProviderSuspended", async () => {
      await loadFixture(withHospital);
      const receipt = await mined(kit, asSuspender.suspend([hospital.address]));
      expectEvent(receipt, providers, "ProviderSuspended", {
        provider: hospital.address,
        suspendedBy: suspender.address,
      });
      const p = await providers.read.getProvider([hospital.address]);
      assert.equal(p.status, Status.Suspended);
      assert.equal(p.statusChangedAt, await node.latestTime());
      assert.equal(await providers.read.isActive([hospital.address]), false);
    });

    it("lets an account holding both roles suspend", async () => {
      const { SUSPENDER_ROLE } = await loadFixture(withHospital);
      await mined(kit, providers.as(admin).grantRole([SUSPENDER_ROLE, regulator.address]));
      const receipt = await mined(kit, asRegulator.suspend([hospital.address]));
      expectEvent(receipt, providers, "ProviderSuspended", {
        provider: hospital.address,
        suspendedBy: regulator.address,
      });
    });

    it("rejects an unknown provider, from the regulator and the suspender", async () => {
      await loadFixture(withHospital);
      for (const caller of [asRegulator, asSuspender]) {
        await expectContractError(caller.suspend([outsider.address]), "ProviderRegistryUnknownProvider", [
          outsider.address,
        ]);
      }
    });

    it(
      "rejects a suspended or removed provider with its actual status, " + "from the regulator and the suspender",
      async () => {
        for (const [fixture, status] of [
          [withSuspendedHospital, Status.Suspended],
          [withRemovedHospital, Status.Removed],
        ] as const) {
          await loadFixture(fixture);
          for (const caller of [asRegulator, asSuspender]) {
            await expectContractError(caller.suspend([hospital.address]), "ProviderRegistryInvalidStatus", [
              hospital.address,
              status,
              Status.Active,
            ]);
          }
        }
      },
    );

    it("is refused to accounts with neither role, naming SUSPENDER_ROLE (the least role that may)", async () => {
      const { SUSPENDER_ROLE } = await loadFixture(withHospital);
      // The admin, an outsider, and a provider (which cannot suspend itself either).
      for (const caller of [admin, outsider, hospital]) {
        await expectContractError(
          providers.as(caller).suspend([hospital.address]),
          "AccessControlUnauthorizedAccount",
          [caller.address, SUSPENDER_ROLE],
        );
      }
      assert.equal(await providers.read.isActive([hospital.address]), true);
    });
  });

  describe("reinstate", () => {
    it("moves Suspended → Active and emits ProviderReinstated; the cycle can repeat", async () => {
      await loadFixture(withSuspendedHospital);
      const receipt = await mined(kit, asRegulator.reinstate([hospital.address]));
      expectEvent(receipt, providers, "ProviderReinstated", {
        provider: hospital.address,
        regulator: regulator.address,
      });
      assert.equal(await providers.read.statusOf([hospital.address]), Status.Active);
      assert.equal(await providers.read.isActive([hospital.address]), true);
      assert.equal((await providers.read.getProvider([hospital.address])).statusChangedAt, await node.latestTime());
      await mined(kit, asRegulator.suspend([hospital.address]));
      await mined(kit, asRegulator.reinstate([hospital.address]));
      assert.equal(await providers.read.statusOf([hospital.address]), Status.Active);
    });

    it("rejects an unknown provider", async () => {
      await loadFixture(withHospital);
      await expectContractError(asRegulator.reinstate([outsider.address]), "ProviderRegistryUnknownProvider", [
        outsider.address,
      ]);
    });

    it("rejects an active or removed provider with its actual status", async () => {
      for (const [fixture, status] of [
        [withHospital, Status.Active],
        [withRemovedHospital, Status.Removed],
      ] as const) {
        await loadFixture(fixture);
        await expectContractError(asRegulator.reinstate([hospital.address]), "ProviderRegistryInvalidStatus", [
          hospital.address,
          status,
          Status.Suspended,
        ]);
      }
    });

    it("is refused to non-regulators, the suspender and the admin included", async () => {
      const { REGULATOR_ROLE } = await loadFixture(withSuspendedHospital);
      for (const caller of [suspender, admin, outsider]) {
        await expectContractError(
          providers.as(caller).reinstate([hospital.address]),
          "AccessControlUnauthorizedAccount",
          [caller.address, REGULATOR_ROLE],
        );
      }
      assert.equal(await providers.read.statusOf([hospital.address]), Status.Suspended);
    });
  });

  describe("remove", () => {
    it("removes an active provider and emits ProviderRemoved", async () => {
      await loadFixture(withHospital);
      const receipt = await mined(kit, asRegulator.remove([hospital.address]));
      expectEvent(receipt, providers, "ProviderRemoved", { provider: hospital.address, regulator: regulator.address });
      const p = await providers.read.getProvider([hospital.address]);
      assert.equal(p.status, Status.Removed);
      assert.equal(p.statusChangedAt, await node.latestTime());
      assert.equal(await providers.read.isActive([hospital.address]), false);
    });

    it("removes a suspended provider and emits ProviderRemoved", async () => {
      await loadFixture(withSuspendedHospital);
      const receipt = await mined(kit, asRegulator.remove([hospital.address]));
      expectEvent(receipt, providers, "ProviderRemoved", { provider: hospital.address, regulator: regulator.address });
      assert.equal(await providers.read.statusOf([hospital.address]), Status.Removed);
    });

    it("makes Removed terminal: no remove, suspend, reinstate or re-admission", async () => {
      await loadFixture(withRemovedHospital);
      const invalid = "ProviderRegistryInvalidStatus";
      await expectContractError(asRegulator.remove([hospital.address]), invalid, [
        hospital.address,
        Status.Removed,
        Status.Active,
      ]);
      await expectContractError(asRegulator.suspend([hospital.address]), invalid, [
        hospital.address,
        Status.Removed,
        Status.Active,
      ]);
      await expectContractError(asRegulator.reinstate([hospital.address]), invalid, [
        hospital.address,
        Status.Removed,
        Status.Suspended,
      ]);
      await expectContractError(
        asRegulator.admit([hospital.address, Kind.Hospital, "St. Elsewhere", ""]),
        "ProviderRegistryAlreadyAdmitted",
        [hospital.address, Status.Removed],
      );
      assert.equal(await providers.read.statusOf([hospital.address]), Status.Removed);
    });

    it("rejects an unknown provider", async () => {
      await loadFixture(withHospital);
      await expectContractError(asRegulator.remove([outsider.address]), "ProviderRegistryUnknownProvider", [
        outsider.address,
      ]);
    });

    it("is refused to non-regulators, the suspender and the admin included", async () => {
      for (const fixture of [withHospital, withSuspendedHospital]) {
        const { REGULATOR_ROLE } = await loadFixture(fixture);
        for (const caller of [suspender, admin]) {
          await expectContractError(
            providers.as(caller).remove([hospital.address]),
            "AccessControlUnauthorizedAccount",
            [caller.address, REGULATOR_ROLE],
          );
        }
      }
    });
  });
});
