import { expect } from "chai";
import { network } from "hardhat";
import MeridianModule from "../ignition/modules/Meridian.js";

// The Ignition module deploys a working network: the record registry points at the provider
// registry, the monitoring registry at both, and admin/regulator parameters land on the right accounts.
describe("Ignition module Meridian", function () {
  it("deploys the three registries wired together, with the given admin and regulator", async function () {
    const { ethers, ignition } = await network.create();
    const [deployer, admin, regulator, provider] = await ethers.getSigners();
    const { providerRegistry, recordRegistry, monitoringRegistry } = await ignition.deploy(MeridianModule, {
      parameters: { Meridian: { admin: admin!.address, regulator: regulator!.address } },
    });
    const registry = (name: string) => providerRegistry.getFunction(name);
    expect(await recordRegistry.getFunction("providerRegistry")()).to.equal(await providerRegistry.getAddress());
    expect(await monitoringRegistry.getFunction("recordRegistry")()).to.equal(await recordRegistry.getAddress());
    expect(await monitoringRegistry.getFunction("providerRegistry")()).to.equal(await providerRegistry.getAddress());
    const REGULATOR_ROLE: string = await registry("REGULATOR_ROLE")();
    expect(await registry("hasRole")(REGULATOR_ROLE, regulator!.address)).to.equal(true);
    expect(await registry("hasRole")(await registry("DEFAULT_ADMIN_ROLE")(), admin!.address)).to.equal(true);
    expect(await registry("hasRole")(REGULATOR_ROLE, deployer!.address)).to.equal(false);
    await providerRegistry.connect(regulator!).getFunction("admit")(provider!.address, 1, "St Mary's", "Cardiology");
    expect(await registry("isActive")(provider!.address)).to.equal(true);
  });
});
