/**
 * ProviderRegistry: regulator-governed membership of providers and their X25519 keys.
 * Every function, every revert path (custom error and arguments), every event, the status
 * machine None → Active ⇄ Suspended → Removed (terminal), and the three roles: the regulator
 * (membership), the suspender (suspension only) and the admin (who holds them).
 */
import { expect } from "chai";
import type { BaseContract, BaseContractMethod, ContractRunner } from "ethers";
import { network } from "hardhat";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

/** `IProviderRegistry.ProviderKind`. */
const Kind = { None: 0, Hospital: 1, Clinic: 2, Lab: 3, Practitioner: 4 } as const;
/** `IProviderRegistry.ProviderStatus`. */
const Status = { None: 0, Active: 1, Suspended: 2, Removed: 3 } as const;

/**
 * The registry's methods, typed loosely. (The typechain output cannot be imported: its
 * `namespace`s fail this repository's `erasableSyntaxOnly` type check.)
 */
type ProviderRegistryContract = Omit<BaseContract, "connect"> & {
  [K in
    | "REGULATOR_ROLE"
    | "SUSPENDER_ROLE"
    | "DEFAULT_ADMIN_ROLE"
    | "hasRole"
    | "getRoleAdmin"
    | "grantRole"
    | "revokeRole"
    | "renounceRole"
    | "admit"
    | "suspend"
    | "reinstate"
    | "remove"
    | "setEncryptionKey"
    | "isActive"
    | "getProvider"
    | "statusOf"
    | "encryptionKeyOf"]: BaseContractMethod;
} & { connect(runner: ContractRunner | null): ProviderRegistryContract };

const KEY_A = ethers.id("provider x25519 key A");
const KEY_B = ethers.id("provider x25519 key B");

/** The registry, with `suspender` granted SUSPENDER_ROLE by the admin (the constructor grants it to no one). */
async function deployProviderRegistry() {
  const [admin, regulator, hospital, lab, outsider, suspender] = await ethers.getSigners();
  if (!admin || !regulator || !hospital || !lab || !outsider || !suspender) throw new Error("need 6 signers");
  const providers = (await ethers.deployContract("ProviderRegistry", [
    admin.address,
    regulator.address,
  ])) as unknown as ProviderRegistryContract;
  const REGULATOR_ROLE: string = await providers.REGULATOR_ROLE();
  const SUSPENDER_ROLE: string = await providers.SUSPENDER_ROLE();
  const DEFAULT_ADMIN_ROLE: string = await providers.DEFAULT_ADMIN_ROLE();
  await providers.connect(admin).grantRole(SUSPENDER_ROLE, suspender.address);
  const asRegulator = providers.connect(regulator);
  const asSuspender = providers.connect(suspender);
  return {
    providers,
    asRegulator,
    asSuspender,
    admin,
    regulator,
    suspender,
    hospital,
    lab,
    outsider,
    REGULATOR_ROLE,
    SUSPENDER_ROLE,
    DEFAULT_ADMIN_ROLE,
  };
}

/** The registry with `hospital` admitted (Active). */
async function withHospital() {
  const f = await deployProviderRegistry();
  await f.asRegulator.admit(f.hospital.address, Kind.Hospital, "St. Elsewhere", "Cardiology");
  return f;
}

async function withSuspendedHospital() {
  const f = await withHospital();
  await f.asRegulator.suspend(f.hospital.address);
  return f;
}

async function withRemovedHospital() {
  const f = await withHospital();
  await f.asRegulator.remove(f.hospital.address);
  return f;
}

describe("ProviderRegistry", function () {
  describe("constructor", function () {
    it("grants DEFAULT_ADMIN_ROLE to the admin and REGULATOR_ROLE to the regulator only", async function () {
      const { providers, admin, regulator, REGULATOR_ROLE, DEFAULT_ADMIN_ROLE } = await loadFixture(deployProviderRegistry);
      expect(REGULATOR_ROLE).to.equal(ethers.id("REGULATOR_ROLE"));
      expect(await providers.hasRole(DEFAULT_ADMIN_ROLE, admin.address)).to.equal(true);
      expect(await providers.hasRole(REGULATOR_ROLE, regulator.address)).to.equal(true);
      expect(await providers.hasRole(REGULATOR_ROLE, admin.address)).to.equal(false);
      expect(await providers.hasRole(DEFAULT_ADMIN_ROLE, regulator.address)).to.equal(false);
    });

    it("grants SUSPENDER_ROLE to no one, and makes DEFAULT_ADMIN_ROLE the admin of every role", async function () {
      const { admin, regulator, REGULATOR_ROLE, SUSPENDER_ROLE, DEFAULT_ADMIN_ROLE } =
        await loadFixture(deployProviderRegistry);
      expect(SUSPENDER_ROLE).to.equal(ethers.id("SUSPENDER_ROLE"));
      const fresh = (await ethers.deployContract("ProviderRegistry", [
        admin.address,
        regulator.address,
      ])) as unknown as ProviderRegistryContract;
      const granted = await fresh.queryFilter(fresh.filters.RoleGranted!(SUSPENDER_ROLE), 0);
      expect(granted).to.have.length(0);
      expect(await fresh.hasRole(SUSPENDER_ROLE, admin.address)).to.equal(false);
      expect(await fresh.hasRole(SUSPENDER_ROLE, regulator.address)).to.equal(false);
      for (const role of [REGULATOR_ROLE, SUSPENDER_ROLE, DEFAULT_ADMIN_ROLE]) {
        expect(await fresh.getRoleAdmin(role)).to.equal(DEFAULT_ADMIN_ROLE);
      }
    });

    it("rejects a zero admin or a zero regulator", async function () {
      const { providers, admin } = await loadFixture(deployProviderRegistry);
      const factory = await ethers.getContractFactory("ProviderRegistry");
      await expect(factory.deploy(ethers.ZeroAddress, admin.address)).to.be.revertedWithCustomError(
        providers,
        "ProviderRegistryZeroAddress",
      );
      await expect(factory.deploy(admin.address, ethers.ZeroAddress)).to.be.revertedWithCustomError(
        providers,
        "ProviderRegistryZeroAddress",
      );
    });
  });

  describe("admit", function () {
    it("admits an active provider, stores its entry and emits ProviderAdmitted", async function () {
      const { providers, asRegulator, regulator, hospital } = await loadFixture(deployProviderRegistry);
      await expect(asRegulator.admit(hospital.address, Kind.Hospital, "St. Elsewhere", "Cardiology"))
        .to.emit(providers, "ProviderAdmitted")
        .withArgs(hospital.address, regulator.address, Kind.Hospital, "St. Elsewhere", "Cardiology");
      const now = await time.latest();
      const p = await providers.getProvider(hospital.address);
      expect(p.kind).to.equal(Kind.Hospital);
      expect(p.status).to.equal(Status.Active);
      expect(p.admittedAt).to.equal(now);
      expect(p.statusChangedAt).to.equal(now);
      expect(p.encryptionKey).to.equal(ethers.ZeroHash);
      expect(p.name).to.equal("St. Elsewhere");
      expect(p.department).to.equal("Cardiology");
      expect(await providers.isActive(hospital.address)).to.equal(true);
      expect(await providers.statusOf(hospital.address)).to.equal(Status.Active);
      expect(await providers.encryptionKeyOf(hospital.address)).to.equal(ethers.ZeroHash);
    });

    it("accepts every kind but None, and an empty department", async function () {
      const { providers, asRegulator } = await loadFixture(deployProviderRegistry);
      for (const kind of [Kind.Hospital, Kind.Clinic, Kind.Lab, Kind.Practitioner]) {
        const who = ethers.Wallet.createRandom().address;
        await asRegulator.admit(who, kind, `provider ${kind}`, "");
        expect((await providers.getProvider(who)).kind).to.equal(kind);
      }
    });

    it("accepts a name and a department of exactly 128 bytes (UTF-8 bytes, not characters)", async function () {
      const { providers, asRegulator, hospital } = await loadFixture(deployProviderRegistry);
      const name = "é".repeat(64); // 2 bytes each
      const department = "x".repeat(128);
      await asRegulator.admit(hospital.address, Kind.Clinic, name, department);
      const p = await providers.getProvider(hospital.address);
      expect(p.name).to.equal(name);
      expect(p.department).to.equal(department);
    });

    it("rejects an empty name, a name over 128 bytes and a department over 128 bytes", async function () {
      const { providers, asRegulator, hospital } = await loadFixture(deployProviderRegistry);
      for (const [name, department] of [
        ["", "Cardiology"],
        ["x".repeat(129), ""],
        ["é".repeat(65), ""], // 130 bytes, 65 characters
        ["ok", "x".repeat(129)],
      ] as const) {
        await expect(asRegulator.admit(hospital.address, Kind.Clinic, name, department)).to.be.revertedWithCustomError(
          providers,
          "ProviderRegistryInvalidName",
        );
      }
    });

    it("rejects kind None", async function () {
      const { providers, asRegulator, hospital } = await loadFixture(deployProviderRegistry);
      await expect(asRegulator.admit(hospital.address, Kind.None, "x", "")).to.be.revertedWithCustomError(
        providers,
        "ProviderRegistryInvalidKind",
      );
    });

    it("rejects the zero address", async function () {
      const { providers, asRegulator } = await loadFixture(deployProviderRegistry);
      await expect(asRegulator.admit(ethers.ZeroAddress, Kind.Lab, "x", "")).to.be.revertedWithCustomError(
        providers,
        "ProviderRegistryZeroAddress",
      );
    });

    it("rejects a provider already admitted, whatever its status (re-admission is refused)", async function () {
      for (const [fixture, status] of [
        [withHospital, Status.Active],
        [withSuspendedHospital, Status.Suspended],
        [withRemovedHospital, Status.Removed],
      ] as const) {
        const { providers, asRegulator, hospital } = await loadFixture(fixture);
        await expect(asRegulator.admit(hospital.address, Kind.Lab, "again", ""))
          .to.be.revertedWithCustomError(providers, "ProviderRegistryAlreadyAdmitted")
          .withArgs(hospital.address, status);
      }
    });

    it("is refused to accounts without REGULATOR_ROLE, the admin and the suspender included", async function () {
      const { providers, admin, suspender, outsider, hospital, REGULATOR_ROLE } = await loadFixture(deployProviderRegistry);
      for (const caller of [admin, suspender, outsider, hospital]) {
        await expect(providers.connect(caller).admit(hospital.address, Kind.Lab, "x", ""))
          .to.be.revertedWithCustomError(providers, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, REGULATOR_ROLE);
      }
    });
  });

  describe("suspend", function () {
    it("moves Active → Suspended, updates statusChangedAt and emits ProviderSuspended", async function () {
      const { providers, asRegulator, regulator, hospital } = await loadFixture(withHospital);
      const admittedAt = (await providers.getProvider(hospital.address)).admittedAt;
      await time.increase(100);
      await expect(asRegulator.suspend(hospital.address))
        .to.emit(providers, "ProviderSuspended")
        .withArgs(hospital.address, regulator.address);
      const p = await providers.getProvider(hospital.address);
      expect(p.status).to.equal(Status.Suspended);
      expect(p.admittedAt).to.equal(admittedAt);
      expect(p.statusChangedAt).to.equal(await time.latest());
      expect(p.statusChangedAt).to.be.greaterThan(admittedAt);
      expect(await providers.isActive(hospital.address)).to.equal(false);
    });

    it("lets the suspender suspend at once, naming it in ProviderSuspended", async function () {
      const { providers, asSuspender, suspender, hospital } = await loadFixture(withHospital);
      await expect(asSuspender.suspend(hospital.address))
        .to.emit(providers, "ProviderSuspended")
        .withArgs(hospital.address, suspender.address);
      const p = await providers.getProvider(hospital.address);
      expect(p.status).to.equal(Status.Suspended);
      expect(p.statusChangedAt).to.equal(await time.latest());
      expect(await providers.isActive(hospital.address)).to.equal(false);
    });

    it("lets an account holding both roles suspend", async function () {
      const { providers, admin, regulator, hospital, SUSPENDER_ROLE } = await loadFixture(withHospital);
      await providers.connect(admin).grantRole(SUSPENDER_ROLE, regulator.address);
      await expect(providers.connect(regulator).suspend(hospital.address))
        .to.emit(providers, "ProviderSuspended")
        .withArgs(hospital.address, regulator.address);
    });

    it("rejects an unknown provider, from the regulator and the suspender", async function () {
      const { providers, asRegulator, asSuspender, outsider } = await loadFixture(withHospital);
      for (const caller of [asRegulator, asSuspender]) {
        await expect(caller.suspend(outsider.address))
          .to.be.revertedWithCustomError(providers, "ProviderRegistryUnknownProvider")
          .withArgs(outsider.address);
      }
    });

    it("rejects a suspended or removed provider with its actual status, from the regulator and the suspender", async function () {
      for (const [fixture, status] of [
        [withSuspendedHospital, Status.Suspended],
        [withRemovedHospital, Status.Removed],
      ] as const) {
        const { providers, asRegulator, asSuspender, hospital } = await loadFixture(fixture);
        for (const caller of [asRegulator, asSuspender]) {
          await expect(caller.suspend(hospital.address))
            .to.be.revertedWithCustomError(providers, "ProviderRegistryInvalidStatus")
            .withArgs(hospital.address, status, Status.Active);
        }
      }
    });

    it("is refused to accounts with neither role, naming SUSPENDER_ROLE (the least role that may)", async function () {
      const { providers, admin, outsider, hospital, SUSPENDER_ROLE } = await loadFixture(withHospital);
      // The admin, an outsider, and a provider (which cannot suspend itself either).
      for (const caller of [admin, outsider, hospital]) {
        await expect(providers.connect(caller).suspend(hospital.address))
          .to.be.revertedWithCustomError(providers, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, SUSPENDER_ROLE);
      }
      expect(await providers.isActive(hospital.address)).to.equal(true);
    });
  });

  describe("reinstate", function () {
    it("moves Suspended → Active and emits ProviderReinstated; the cycle can repeat", async function () {
      const { providers, asRegulator, regulator, hospital } = await loadFixture(withSuspendedHospital);
      await expect(asRegulator.reinstate(hospital.address))
        .to.emit(providers, "ProviderReinstated")
        .withArgs(hospital.address, regulator.address);
      expect(await providers.statusOf(hospital.address)).to.equal(Status.Active);
      expect(await providers.isActive(hospital.address)).to.equal(true);
      expect((await providers.getProvider(hospital.address)).statusChangedAt).to.equal(await time.latest());
      await asRegulator.suspend(hospital.address);
      await asRegulator.reinstate(hospital.address);
      expect(await providers.statusOf(hospital.address)).to.equal(Status.Active);
    });

    it("rejects an unknown provider", async function () {
      const { providers, asRegulator, outsider } = await loadFixture(withHospital);
      await expect(asRegulator.reinstate(outsider.address))
        .to.be.revertedWithCustomError(providers, "ProviderRegistryUnknownProvider")
        .withArgs(outsider.address);
    });

    it("rejects an active or removed provider with its actual status", async function () {
      for (const [fixture, status] of [
        [withHospital, Status.Active],
        [withRemovedHospital, Status.Removed],
      ] as const) {
        const { providers, asRegulator, hospital } = await loadFixture(fixture);
        await expect(asRegulator.reinstate(hospital.address))
          .to.be.revertedWithCustomError(providers, "ProviderRegistryInvalidStatus")
          .withArgs(hospital.address, status, Status.Suspended);
      }
    });

    it("is refused to non-regulators, the suspender and the admin included", async function () {
      const { providers, admin, suspender, outsider, hospital, REGULATOR_ROLE } = await loadFixture(withSuspendedHospital);
      for (const caller of [suspender, admin, outsider]) {
        await expect(providers.connect(caller).reinstate(hospital.address))
          .to.be.revertedWithCustomError(providers, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, REGULATOR_ROLE);
      }
      expect(await providers.statusOf(hospital.address)).to.equal(Status.Suspended);
    });
  });

  describe("remove", function () {
    it("removes an active provider and emits ProviderRemoved", async function () {
      const { providers, asRegulator, regulator, hospital } = await loadFixture(withHospital);
      await expect(asRegulator.remove(hospital.address))
        .to.emit(providers, "ProviderRemoved")
        .withArgs(hospital.address, regulator.address);
      const p = await providers.getProvider(hospital.address);
      expect(p.status).to.equal(Status.Removed);
      expect(p.statusChangedAt).to.equal(await time.latest());
      expect(await providers.isActive(hospital.address)).to.equal(false);
    });

    it("removes a suspended provider and emits ProviderRemoved", async function () {
      const { providers, asRegulator, regulator, hospital } = await loadFixture(withSuspendedHospital);
      await expect(asRegulator.remove(hospital.address))
        .to.emit(providers, "ProviderRemoved")
        .withArgs(hospital.address, regulator.address);
      expect(await providers.statusOf(hospital.address)).to.equal(Status.Removed);
    });

    it("makes Removed terminal: no remove, suspend, reinstate or re-admission", async function () {
      const { providers, asRegulator, hospital } = await loadFixture(withRemovedHospital);
      await expect(asRegulator.remove(hospital.address))
        .to.be.revertedWithCustomError(providers, "ProviderRegistryInvalidStatus")
        .withArgs(hospital.address, Status.Removed, Status.Active);
      await expect(asRegulator.suspend(hospital.address))
        .to.be.revertedWithCustomError(providers, "ProviderRegistryInvalidStatus")
        .withArgs(hospital.address, Status.Removed, Status.Active);
      await expect(asRegulator.reinstate(hospital.address))
        .to.be.revertedWithCustomError(providers, "ProviderRegistryInvalidStatus")
        .withArgs(hospital.address, Status.Removed, Status.Suspended);
      await expect(asRegulator.admit(hospital.address, Kind.Hospital, "St. Elsewhere", ""))
        .to.be.revertedWithCustomError(providers, "ProviderRegistryAlreadyAdmitted")
        .withArgs(hospital.address, Status.Removed);
      expect(await providers.statusOf(hospital.address)).to.equal(Status.Removed);
    });

    it("rejects an unknown provider", async function () {
      const { providers, asRegulator, outsider } = await loadFixture(withHospital);
      await expect(asRegulator.remove(outsider.address))
        .to.be.revertedWithCustomError(providers, "ProviderRegistryUnknownProvider")
        .withArgs(outsider.address);
    });

    it("is refused to non-regulators, the suspender and the admin included", async function () {
      for (const fixture of [withHospital, withSuspendedHospital]) {
        const { providers, admin, suspender, hospital, REGULATOR_ROLE } = await loadFixture(fixture);
        for (const caller of [suspender, admin]) {
          await expect(providers.connect(caller).remove(hospital.address))
            .to.be.revertedWithCustomError(providers, "AccessControlUnauthorizedAccount")
            .withArgs(caller.address, REGULATOR_ROLE);
        }
      }
    });
  });

  describe("setEncryptionKey", function () {
    it("sets and rotates the caller's key, numbering each version, and emits ProviderEncryptionKeySet", async function () {
      const { providers, hospital } = await loadFixture(withHospital);
      expect((await providers.getProvider(hospital.address)).keyVersion).to.equal(0n);
      await expect(providers.connect(hospital).setEncryptionKey(KEY_A))
        .to.emit(providers, "ProviderEncryptionKeySet")
        .withArgs(hospital.address, KEY_A, 1);
      expect(await providers.encryptionKeyOf(hospital.address)).to.equal(KEY_A);
      expect((await providers.getProvider(hospital.address)).encryptionKey).to.equal(KEY_A);
      expect((await providers.getProvider(hospital.address)).keyVersion).to.equal(1n);
      await expect(providers.connect(hospital).setEncryptionKey(KEY_B))
        .to.emit(providers, "ProviderEncryptionKeySet")
        .withArgs(hospital.address, KEY_B, 2);
      expect(await providers.encryptionKeyOf(hospital.address)).to.equal(KEY_B);
      const p = await providers.getProvider(hospital.address);
      expect([p.keyVersion, p.status]).to.deep.equal([2n, BigInt(Status.Active)]);
    });

    it("refuses to set the current key again (the version would no longer match the derivation)", async function () {
      const { providers, hospital } = await loadFixture(withHospital);
      await providers.connect(hospital).setEncryptionKey(KEY_A);
      await expect(providers.connect(hospital).setEncryptionKey(KEY_A))
        .to.be.revertedWithCustomError(providers, "ProviderRegistryEncryptionKeyUnchanged")
        .withArgs(hospital.address);
      expect((await providers.getProvider(hospital.address)).keyVersion).to.equal(1n);
    });

    it("is allowed to a suspended provider (status unchanged)", async function () {
      const { providers, hospital } = await loadFixture(withSuspendedHospital);
      await expect(providers.connect(hospital).setEncryptionKey(KEY_A))
        .to.emit(providers, "ProviderEncryptionKeySet")
        .withArgs(hospital.address, KEY_A, 1);
      expect(await providers.statusOf(hospital.address)).to.equal(Status.Suspended);
    });

    it("is refused to a removed provider, and the removed provider's last key stays", async function () {
      const { providers, asRegulator, hospital } = await loadFixture(withHospital);
      await providers.connect(hospital).setEncryptionKey(KEY_A);
      await asRegulator.remove(hospital.address);
      await expect(providers.connect(hospital).setEncryptionKey(KEY_B))
        .to.be.revertedWithCustomError(providers, "ProviderRegistryInvalidStatus")
        .withArgs(hospital.address, Status.Removed, Status.Active);
      expect(await providers.encryptionKeyOf(hospital.address)).to.equal(KEY_A);
    });

    it("is refused to accounts never admitted (the regulator and the suspender included)", async function () {
      const { providers, regulator, suspender, outsider } = await loadFixture(withHospital);
      for (const caller of [outsider, regulator, suspender]) {
        await expect(providers.connect(caller).setEncryptionKey(KEY_A))
          .to.be.revertedWithCustomError(providers, "ProviderRegistryUnknownProvider")
          .withArgs(caller.address);
      }
    });

    it("rejects the zero key", async function () {
      const { providers, hospital } = await loadFixture(withHospital);
      await expect(providers.connect(hospital).setEncryptionKey(ethers.ZeroHash)).to.be.revertedWithCustomError(
        providers,
        "ProviderRegistryInvalidEncryptionKey",
      );
    });
  });

  describe("views", function () {
    it("return all zero for an address never admitted", async function () {
      const { providers, outsider } = await loadFixture(withHospital);
      const p = await providers.getProvider(outsider.address);
      expect([p.kind, p.status, p.admittedAt, p.statusChangedAt, p.keyVersion]).to.deep.equal([0n, 0n, 0n, 0n, 0n]);
      expect(p.encryptionKey).to.equal(ethers.ZeroHash);
      expect(p.name).to.equal("");
      expect(p.department).to.equal("");
      expect(await providers.isActive(outsider.address)).to.equal(false);
      expect(await providers.statusOf(outsider.address)).to.equal(Status.None);
    });

    it("isActive is true only in the Active status", async function () {
      const { providers, asRegulator, hospital } = await loadFixture(withHospital);
      expect(await providers.isActive(hospital.address)).to.equal(true);
      await asRegulator.suspend(hospital.address);
      expect(await providers.isActive(hospital.address)).to.equal(false);
      await asRegulator.reinstate(hospital.address);
      expect(await providers.isActive(hospital.address)).to.equal(true);
      await asRegulator.remove(hospital.address);
      expect(await providers.isActive(hospital.address)).to.equal(false);
    });
  });

  describe("role management", function () {
    it("the regulator can never be a provider: admit refuses a regulator, and no provider (even removed) can be made regulator", async function () {
      const { providers, asRegulator, admin, regulator, hospital, REGULATOR_ROLE } = await loadFixture(deployProviderRegistry);
      await expect(asRegulator.admit(regulator.address, Kind.Hospital, "Ministry Hospital", ""))
        .to.be.revertedWithCustomError(providers, "ProviderRegistryRegulatorCannotBeProvider")
        .withArgs(regulator.address);
      await asRegulator.admit(hospital.address, Kind.Hospital, "St Mary's", "");
      await expect(providers.connect(admin).grantRole(REGULATOR_ROLE, hospital.address))
        .to.be.revertedWithCustomError(providers, "ProviderRegistryRegulatorCannotBeProvider")
        .withArgs(hospital.address);
      await asRegulator.remove(hospital.address);
      await expect(providers.connect(admin).grantRole(REGULATOR_ROLE, hospital.address))
        .to.be.revertedWithCustomError(providers, "ProviderRegistryRegulatorCannotBeProvider")
        .withArgs(hospital.address);
      expect(await providers.hasRole(REGULATOR_ROLE, hospital.address)).to.equal(false);
    });

    it("lets the admin add and remove regulators; a regulator cannot grant the role", async function () {
      const { providers, admin, regulator, outsider, hospital, REGULATOR_ROLE, DEFAULT_ADMIN_ROLE } =
        await loadFixture(deployProviderRegistry);
      await expect(providers.connect(regulator).grantRole(REGULATOR_ROLE, outsider.address))
        .to.be.revertedWithCustomError(providers, "AccessControlUnauthorizedAccount")
        .withArgs(regulator.address, DEFAULT_ADMIN_ROLE);

      await providers.connect(admin).grantRole(REGULATOR_ROLE, outsider.address);
      await expect(providers.connect(outsider).admit(hospital.address, Kind.Lab, "Lab", ""))
        .to.emit(providers, "ProviderAdmitted")
        .withArgs(hospital.address, outsider.address, Kind.Lab, "Lab", "");

      await providers.connect(admin).revokeRole(REGULATOR_ROLE, outsider.address);
      await expect(providers.connect(outsider).remove(hospital.address))
        .to.be.revertedWithCustomError(providers, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, REGULATOR_ROLE);
      await expect(providers.connect(outsider).suspend(hospital.address))
        .to.be.revertedWithCustomError(providers, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, await providers.SUSPENDER_ROLE());
    });

    it("lets the admin grant and revoke SUSPENDER_ROLE; neither the regulator nor a suspender can", async function () {
      const { providers, admin, regulator, suspender, outsider, hospital, lab, SUSPENDER_ROLE, DEFAULT_ADMIN_ROLE } =
        await loadFixture(withHospital);
      for (const caller of [regulator, suspender]) {
        await expect(providers.connect(caller).grantRole(SUSPENDER_ROLE, outsider.address))
          .to.be.revertedWithCustomError(providers, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, DEFAULT_ADMIN_ROLE);
        await expect(providers.connect(caller).revokeRole(SUSPENDER_ROLE, suspender.address))
          .to.be.revertedWithCustomError(providers, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, DEFAULT_ADMIN_ROLE);
      }

      await expect(providers.connect(admin).grantRole(SUSPENDER_ROLE, outsider.address))
        .to.emit(providers, "RoleGranted")
        .withArgs(SUSPENDER_ROLE, outsider.address, admin.address);
      await providers.connect(admin).revokeRole(SUSPENDER_ROLE, suspender.address);
      await expect(providers.connect(suspender).suspend(hospital.address))
        .to.be.revertedWithCustomError(providers, "AccessControlUnauthorizedAccount")
        .withArgs(suspender.address, SUSPENDER_ROLE);
      await expect(providers.connect(outsider).suspend(hospital.address))
        .to.emit(providers, "ProviderSuspended")
        .withArgs(hospital.address, outsider.address);

      // A suspender may give the role up.
      await providers.connect(regulator).admit(lab.address, Kind.Lab, "Lab", "");
      await providers.connect(outsider).renounceRole(SUSPENDER_ROLE, outsider.address);
      await expect(providers.connect(outsider).suspend(lab.address))
        .to.be.revertedWithCustomError(providers, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, SUSPENDER_ROLE);
    });
  });
});
