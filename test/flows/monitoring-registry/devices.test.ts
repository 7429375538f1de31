/**
 * MonitoringRegistry, part 1: deployment, the EIP-712 domain, and devices bound to a patient by
 * the device's own EIP-712 signature (register, revoke): every revert path with its custom error
 * and arguments, and every event with its arguments.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bytesToHex, hashTypedData, zeroAddress, type Hex, type LocalAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { expectContractError, expectEvent, mined } from "@meridian/sdk/testing";
import {
  BINDING_TYPE,
  BINDING_TYPES,
  DeviceStatus,
  Role,
  alice,
  bind,
  bob,
  carol,
  domainOf,
  id,
  monitoringFlow,
  randomAddress,
} from "./fixtures.ts";

const { kit, node, loadFixture, deployMonitoring, inADay } = await monitoringFlow();

describe("MonitoringRegistry", () => {
  describe("deployment", () => {
    it("points at the record registry and reads its provider registry", async () => {
      const { monitoring, registry, providers } = await loadFixture(deployMonitoring);
      assert.equal(await monitoring.read.recordRegistry(), registry.address);
      assert.equal(await monitoring.read.providerRegistry(), providers.address);
    });

    it('has the EIP-712 domain "Meridian MonitoringRegistry" version 1 and the DeviceBinding type hash', async () => {
      const f = await loadFixture(deployMonitoring);
      const [, name, version, chainId, verifyingContract] = await f.monitoring.read.eip712Domain();
      assert.equal(name, "Meridian MonitoringRegistry");
      assert.equal(version, "1");
      assert.equal(chainId, BigInt(f.chainId));
      assert.equal(verifyingContract, f.monitoringAddress);
      assert.equal(await f.monitoring.read.DEVICE_BINDING_TYPEHASH(), id(BINDING_TYPE));
      const value = { patient: alice.address, device: f.sensor.address, role: Role.Sensor, deadline: 1_900_000_000 };
      assert.equal(
        await f.monitoring.read.deviceBindingDigest([value.patient, value.device, value.role, value.deadline]),
        hashTypedData({ domain: domainOf(f), types: BINDING_TYPES, primaryType: "DeviceBinding", message: value }),
      );
    });
  });

  // ------------------------------------------------------------------------------ devices

  describe("registerDevice", () => {
    it("registers a sensor, an edge device and a fog relay, each with its own signature", async () => {
      const f = await loadFixture(deployMonitoring);
      const deadline = await inADay();
      for (const [device, role] of [
        [f.sensor, Role.Sensor],
        [f.edge, Role.Edge],
        [f.fog, Role.Fog],
      ] as const) {
        const sig = await bind(f, device, alice.address, device.address, role, deadline);
        const receipt = await mined(kit, f.monitoring.as(alice).registerDevice([device.address, role, deadline, sig]));
        expectEvent(receipt, f.monitoring, "DeviceRegistered", {
          patient: alice.address,
          device: device.address,
          role,
        });
        const d = await f.monitoring.read.getDevice([alice.address, device.address]);
        assert.equal(d.role, role);
        assert.equal(d.status, DeviceStatus.Active);
        assert.equal(d.registeredAt, await node.latestTime());
        assert.equal(d.revokedAt, 0);
        for (const other of [Role.None, Role.Sensor, Role.Edge, Role.Fog]) {
          assert.equal(await f.monitoring.read.isActiveDevice([alice.address, device.address, other]), other === role);
        }
        assert.equal(await f.monitoring.read.isActiveDevice([bob.address, device.address, role]), false);
      }
      const none = await f.monitoring.read.getDevice([bob.address, f.sensor.address]);
      assert.deepEqual([none.role, none.status, none.registeredAt, none.revokedAt], [0, 0, 0, 0]);
    });

    it("lets two patients register the same device, each with a binding to itself", async () => {
      const f = await loadFixture(deployMonitoring);
      const deadline = await inADay();
      for (const patient of [alice, bob]) {
        const sig = await bind(f, f.edge, patient.address, f.edge.address, Role.Edge, deadline);
        await mined(kit, f.monitoring.as(patient).registerDevice([f.edge.address, Role.Edge, deadline, sig]));
      }
      assert.equal(await f.monitoring.read.isActiveDevice([alice.address, f.edge.address, Role.Edge]), true);
      assert.equal(await f.monitoring.read.isActiveDevice([bob.address, f.edge.address, Role.Edge]), true);
    });

    it("accepts a deadline equal to the block time", async () => {
      const f = await loadFixture(deployMonitoring);
      const t = (await node.latestTime()) + 100;
      const sig = await bind(f, f.sensor, alice.address, f.sensor.address, Role.Sensor, t);
      await node.setNextBlockTimestamp(t);
      const receipt = await mined(kit, f.monitoring.as(alice).registerDevice([f.sensor.address, Role.Sensor, t, sig]));
      expectEvent(receipt, f.monitoring, "DeviceRegistered");
    });

    it("rejects a caller that is not a registered patient", async () => {
      const f = await loadFixture(deployMonitoring);
      const deadline = await inADay();
      const sig = await bind(f, f.sensor, carol.address, f.sensor.address, Role.Sensor, deadline);
      await expectContractError(
        f.monitoring.as(carol).registerDevice([f.sensor.address, Role.Sensor, deadline, sig]),
        "MonitoringRegistryUnknownPatient",
        [carol.address],
      );
    });

    it("rejects the zero address and the role None", async () => {
      const f = await loadFixture(deployMonitoring);
      const deadline = await inADay();
      await expectContractError(
        f.monitoring.as(alice).registerDevice([zeroAddress, Role.Sensor, deadline, "0x"]),
        "MonitoringRegistryInvalidDevice",
        [zeroAddress],
      );
      const sig = await bind(f, f.sensor, alice.address, f.sensor.address, Role.None, deadline);
      await expectContractError(
        f.monitoring.as(alice).registerDevice([f.sensor.address, Role.None, deadline, sig]),
        "MonitoringRegistryInvalidDeviceRole",
        [Role.None],
      );
    });

    it("rejects an expired deadline", async () => {
      const f = await loadFixture(deployMonitoring);
      const t = (await node.latestTime()) + 100;
      const deadline = t - 1;
      const sig = await bind(f, f.sensor, alice.address, f.sensor.address, Role.Sensor, deadline);
      await node.setNextBlockTimestamp(t);
      await expectContractError(
        f.monitoring.as(alice).registerDevice([f.sensor.address, Role.Sensor, deadline, sig]),
        "MonitoringRegistrySignatureExpired",
        [deadline, t],
      );
    });

    it(
      "rejects a signature by another key, for another patient, " + "role, deadline, device or contract, or malformed",
      async () => {
        const f = await loadFixture(deployMonitoring);
        const deadline = await inADay();
        const other: LocalAccount = privateKeyToAccount(generatePrivateKey());
        const otherContract = { chainId: f.chainId, monitoringAddress: randomAddress() };
        const { sensor } = f;
        const refusals: [string, Hex][] = [
          ["another key", await bind(f, other, alice.address, sensor.address, Role.Sensor, deadline)],
          ["another patient", await bind(f, sensor, bob.address, sensor.address, Role.Sensor, deadline)],
          ["another role", await bind(f, sensor, alice.address, sensor.address, Role.Fog, deadline)],
          ["another deadline", await bind(f, sensor, alice.address, sensor.address, Role.Sensor, deadline + 1)],
          ["another device", await bind(f, sensor, alice.address, f.edge.address, Role.Sensor, deadline)],
          ["another contract", await bind(otherContract, sensor, alice.address, sensor.address, Role.Sensor, deadline)],
          [
            "another chain",
            await bind({ ...f, chainId: 1 }, sensor, alice.address, sensor.address, Role.Sensor, deadline),
          ],
          ["empty", "0x"],
          ["64 bytes", bytesToHex(new Uint8Array(64).fill(1))],
          ["65 zero bytes", bytesToHex(new Uint8Array(65))],
        ];
        for (const [what, sig] of refusals) {
          await expectContractError(
            f.monitoring.as(alice).registerDevice([sensor.address, Role.Sensor, deadline, sig]),
            "MonitoringRegistryInvalidDeviceSignature",
            [alice.address, sensor.address],
          ).catch((error: unknown) => assert.fail(`${what}: ${String(error)}`));
        }
        assert.equal((await f.monitoring.read.getDevice([alice.address, sensor.address])).status, DeviceStatus.None);
      },
    );

    it("rejects a device already active for that patient, and a revoked one for good", async () => {
      const f = await loadFixture(deployMonitoring);
      const deadline = await inADay();
      const asAlice = f.monitoring.as(alice);
      const sig = await bind(f, f.sensor, alice.address, f.sensor.address, Role.Sensor, deadline);
      await mined(kit, asAlice.registerDevice([f.sensor.address, Role.Sensor, deadline, sig]));
      const already = "MonitoringRegistryDeviceAlreadyRegistered";
      await expectContractError(asAlice.registerDevice([f.sensor.address, Role.Sensor, deadline, sig]), already, [
        alice.address,
        f.sensor.address,
        DeviceStatus.Active,
      ]);
      const asEdge = await bind(f, f.sensor, alice.address, f.sensor.address, Role.Edge, deadline);
      await expectContractError(asAlice.registerDevice([f.sensor.address, Role.Edge, deadline, asEdge]), already, [
        alice.address,
        f.sensor.address,
        DeviceStatus.Active,
      ]);
      await mined(kit, asAlice.revokeDevice([f.sensor.address]));
      const fresh = await bind(f, f.sensor, alice.address, f.sensor.address, Role.Sensor, deadline + 1);
      await expectContractError(asAlice.registerDevice([f.sensor.address, Role.Sensor, deadline + 1, fresh]), already, [
        alice.address,
        f.sensor.address,
        DeviceStatus.Revoked,
      ]);
    });
  });

  describe("revokeDevice", () => {
    it("revokes an active device for that patient only: event, status, time", async () => {
      const f = await loadFixture(deployMonitoring);
      const deadline = await inADay();
      for (const patient of [alice, bob]) {
        const sig = await bind(f, f.fog, patient.address, f.fog.address, Role.Fog, deadline);
        await mined(kit, f.monitoring.as(patient).registerDevice([f.fog.address, Role.Fog, deadline, sig]));
      }
      const { registeredAt } = await f.monitoring.read.getDevice([alice.address, f.fog.address]);
      const receipt = await mined(kit, f.monitoring.as(alice).revokeDevice([f.fog.address]));
      expectEvent(receipt, f.monitoring, "DeviceRevoked", { patient: alice.address, device: f.fog.address });
      const d = await f.monitoring.read.getDevice([alice.address, f.fog.address]);
      assert.equal(d.status, DeviceStatus.Revoked);
      assert.equal(d.role, Role.Fog);
      assert.equal(d.registeredAt, registeredAt);
      assert.equal(d.revokedAt, await node.latestTime());
      assert.equal(await f.monitoring.read.isActiveDevice([alice.address, f.fog.address, Role.Fog]), false);
      assert.equal(await f.monitoring.read.isActiveDevice([bob.address, f.fog.address, Role.Fog]), true);
    });

    it("rejects a device never registered by the caller, and one already revoked", async () => {
      const f = await loadFixture(deployMonitoring);
      const notActive = "MonitoringRegistryDeviceNotActive";
      await expectContractError(f.monitoring.as(alice).revokeDevice([f.sensor.address]), notActive, [
        alice.address,
        f.sensor.address,
        DeviceStatus.None,
      ]);
      const deadline = await inADay();
      const sig = await bind(f, f.sensor, alice.address, f.sensor.address, Role.Sensor, deadline);
      await mined(kit, f.monitoring.as(alice).registerDevice([f.sensor.address, Role.Sensor, deadline, sig]));
      await expectContractError(f.monitoring.as(bob).revokeDevice([f.sensor.address]), notActive, [
        bob.address,
        f.sensor.address,
        DeviceStatus.None,
      ]);
      await mined(kit, f.monitoring.as(alice).revokeDevice([f.sensor.address]));
      await expectContractError(f.monitoring.as(alice).revokeDevice([f.sensor.address]), notActive, [
        alice.address,
        f.sensor.address,
        DeviceStatus.Revoked,
      ]);
    });
  });
});
