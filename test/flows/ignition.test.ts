/**
 * The Ignition module deploys a working network: the record registry points at the provider
 * registry, the monitoring registry at both, and the admin and regulator parameters land on the
 * right accounts. Deployed with Ignition's own engine (`@nomicfoundation/ignition-core`) through
 * the kit, checked over viem and the generated ABIs.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { monitoringRegistryAbi, providerRegistryAbi, recordRegistryAbi } from "@meridian/sdk/chain";
import { bindContract, deployIgnitionModule, mined, startTestChain, testAccount } from "@meridian/sdk/testing";
import MeridianModule from "../../ignition/modules/Meridian.ts";

const kit = await startTestChain();
after(() => kit.close());

describe("Ignition module Meridian", () => {
  it("deploys the three registries wired together, with the given admin and regulator", async () => {
    const deployer = testAccount(0);
    const admin = testAccount(1);
    const regulator = testAccount(2);
    const provider = testAccount(3);
    const deployed = await deployIgnitionModule(kit, MeridianModule, {
      parameters: { Meridian: { admin: admin.address, regulator: regulator.address } },
    });
    const registry = bindContract(kit, providerRegistryAbi, deployed.providerRegistry);
    const records = bindContract(kit, recordRegistryAbi, deployed.recordRegistry);
    const monitoring = bindContract(kit, monitoringRegistryAbi, deployed.monitoringRegistry);
    assert.equal(await records.read.providerRegistry(), registry.address);
    assert.equal(await monitoring.read.recordRegistry(), records.address);
    assert.equal(await monitoring.read.providerRegistry(), registry.address);
    const REGULATOR_ROLE = await registry.read.REGULATOR_ROLE();
    assert.equal(await registry.read.hasRole([REGULATOR_ROLE, regulator.address]), true);
    assert.equal(await registry.read.hasRole([await registry.read.DEFAULT_ADMIN_ROLE(), admin.address]), true);
    assert.equal(await registry.read.hasRole([REGULATOR_ROLE, deployer.address]), false);
    await mined(kit, registry.as(regulator).admit([provider.address, 1, "St Mary's", "Cardiology"]));
    assert.equal(await registry.read.isActive([provider.address]), true);
  });
});
