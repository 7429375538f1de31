/**
 * MonitoringRegistry, part 2: the patient's monitoring provider (named only with current Cardiac
 * write consent in RecordRegistry and while active in ProviderRegistry), and opening and closing
 * monitoring sessions, with ids from the documented formula and a per-patient nonce.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { zeroAddress, type Address } from "viem";
import { Scope } from "@meridian/sdk/chain";
import { expectContractError, expectEvent, mined } from "@meridian/sdk/testing";
import {
  Category,
  DAY,
  WRAPPED,
  ZERO32,
  alice,
  bob,
  carol,
  categoryTarget,
  clinic,
  hospital,
  id,
  lab,
  monitoringFlow,
  outsider,
  regulator,
  removedDoc,
  sessionIdOf,
  suspendedDoc,
} from "./fixtures.ts";

const { kit, node, loadFixture, deployMonitoring, withProvider, withSession, open } = await monitoringFlow();

describe("MonitoringRegistry", () => {
  describe("setMonitoringProvider / clearMonitoringProvider", () => {
    it("names a provider with Cardiac write consent (category or all scope)", async () => {
      const f = await loadFixture(deployMonitoring);
      assert.equal(await f.monitoring.read.monitoringProviderOf([alice.address]), zeroAddress);
      let receipt = await mined(kit, f.monitoring.as(alice).setMonitoringProvider([hospital.address]));
      expectEvent(receipt, f.monitoring, "MonitoringProviderSet", {
        patient: alice.address,
        provider: hospital.address,
      });
      assert.equal(await f.monitoring.read.monitoringProviderOf([alice.address]), hospital.address);
      receipt = await mined(kit, f.monitoring.as(bob).setMonitoringProvider([hospital.address]));
      expectEvent(receipt, f.monitoring, "MonitoringProviderSet", { patient: bob.address, provider: hospital.address });
    });

    it("replaces the previous provider", async () => {
      const f = await loadFixture(withProvider);
      await mined(kit, f.registry.as(alice).grant([clinic.address, Scope.All, ZERO32, true, 0, WRAPPED]));
      const receipt = await mined(kit, f.monitoring.as(alice).setMonitoringProvider([clinic.address]));
      expectEvent(receipt, f.monitoring, "MonitoringProviderSet", { patient: alice.address, provider: clinic.address });
      assert.equal(await f.monitoring.read.monitoringProviderOf([alice.address]), clinic.address);
    });

    it("rejects a caller that is not a registered patient", async () => {
      const f = await loadFixture(deployMonitoring);
      await expectContractError(
        f.monitoring.as(carol).setMonitoringProvider([hospital.address]),
        "MonitoringRegistryUnknownPatient",
        [carol.address],
      );
    });

    it("rejects a provider that is not active (never admitted, suspended, removed)", async () => {
      const f = await loadFixture(deployMonitoring);
      for (const p of [outsider, suspendedDoc, removedDoc]) {
        await expectContractError(
          f.monitoring.as(alice).setMonitoringProvider([p.address]),
          "MonitoringRegistryProviderNotActive",
          [p.address],
        );
      }
    });

    it("rejects a provider without current Cardiac write consent", async () => {
      const f = await loadFixture(deployMonitoring);
      const grant = f.registry.as(alice).grant;
      const refused = (provider: Address) =>
        expectContractError(
          f.monitoring.as(alice).setMonitoringProvider([provider]),
          "MonitoringRegistryWriteNotPermitted",
          [provider, alice.address, Category.Cardiac],
        );
      await refused(lab.address); // no grant
      await mined(kit, grant([lab.address, Scope.All, ZERO32, false, 0, WRAPPED]));
      await refused(lab.address); // read only
      await mined(kit, grant([clinic.address, Scope.Category, categoryTarget(Category.Lab), true, 0, WRAPPED]));
      await refused(clinic.address); // write, another category
      const expiresAt = (await node.latestTime()) + DAY;
      const cardiac = categoryTarget(Category.Cardiac);
      await mined(kit, grant([clinic.address, Scope.Category, cardiac, true, expiresAt, WRAPPED]));
      await node.increaseTimeTo(expiresAt);
      await refused(clinic.address); // expired
      // a revocation elsewhere advances alice's key epoch: the hospital's grant is stale until re-issued
      await mined(kit, f.registry.as(alice).revoke([lab.address, Scope.All, ZERO32]));
      await refused(hospital.address);
      await mined(kit, grant([hospital.address, Scope.Category, cardiac, true, 0, WRAPPED]));
      const receipt = await mined(kit, f.monitoring.as(alice).setMonitoringProvider([hospital.address]));
      expectEvent(receipt, f.monitoring, "MonitoringProviderSet");
    });

    it("clears the provider: event with the provider it was", async () => {
      const f = await loadFixture(withProvider);
      const receipt = await mined(kit, f.monitoring.as(alice).clearMonitoringProvider());
      expectEvent(receipt, f.monitoring, "MonitoringProviderCleared", {
        patient: alice.address,
        provider: hospital.address,
      });
      assert.equal(await f.monitoring.read.monitoringProviderOf([alice.address]), zeroAddress);
    });

    it("rejects clearing when there is no provider", async () => {
      const f = await loadFixture(withProvider);
      for (const who of [bob, carol]) {
        await expectContractError(
          f.monitoring.as(who).clearMonitoringProvider(),
          "MonitoringRegistryNoMonitoringProvider",
          [who.address],
        );
      }
      await mined(kit, f.monitoring.as(alice).clearMonitoringProvider());
      await expectContractError(
        f.monitoring.as(alice).clearMonitoringProvider(),
        "MonitoringRegistryNoMonitoringProvider",
        [alice.address],
      );
    });
  });

  // ------------------------------------------------------------------------------ sessions

  describe("openSession", () => {
    it("opens sessions with ids from the documented formula and a per-patient nonce", async () => {
      const f = await loadFixture(withProvider);
      await mined(kit, f.monitoring.as(bob).setMonitoringProvider([hospital.address]));
      const ids: string[] = [];
      for (let nonce = 0; nonce < 3; nonce++) {
        assert.equal(await f.monitoring.read.sessionNonceOf([alice.address]), BigInt(nonce));
        const expected = sessionIdOf(f, alice.address, hospital.address, nonce);
        assert.equal(
          await f.monitoring.read.computeSessionId([alice.address, hospital.address, BigInt(nonce)]),
          expected,
        );
        const { result } = await f.monitoring.simulate.openSession([alice.address], { account: hospital });
        assert.equal(result, expected);
        const receipt = await mined(kit, f.monitoring.as(hospital).openSession([alice.address]));
        expectEvent(receipt, f.monitoring, "MonitoringSessionOpened", {
          sessionId: expected,
          patient: alice.address,
          provider: hospital.address,
        });
        const s = await f.monitoring.read.getSession([expected]);
        assert.equal(s.patient, alice.address);
        assert.equal(s.provider, hospital.address);
        assert.equal(s.openedAt, await node.latestTime());
        assert.equal(s.closedAt, 0);
        assert.equal(s.recordCount, 0);
        assert.equal(s.diagnosisRecordId, ZERO32);
        ids.push(expected);
      }
      assert.equal(new Set(ids).size, 3);
      // bob's nonce is his own
      const { sessionId } = await open(f, hospital, bob.address);
      assert.equal(sessionId, sessionIdOf(f, bob.address, hospital.address, 0));
      assert.equal(await f.monitoring.read.sessionNonceOf([bob.address]), 1n);
      const unknown = await f.monitoring.read.getSession([id("no such session")]);
      assert.equal(unknown.patient, zeroAddress);
      assert.equal(unknown.openedAt, 0);
    });

    it("rejects a caller that is not the patient's monitoring provider", async () => {
      const f = await loadFixture(withProvider);
      const notProvider = "MonitoringRegistryNotMonitoringProvider";
      for (const who of [clinic, alice, outsider]) {
        await expectContractError(f.monitoring.as(who).openSession([alice.address]), notProvider, [
          who.address,
          alice.address,
        ]);
      }
      // bob named nobody
      await expectContractError(f.monitoring.as(hospital).openSession([bob.address]), notProvider, [
        hospital.address,
        bob.address,
      ]);
      await mined(kit, f.monitoring.as(alice).clearMonitoringProvider());
      await expectContractError(f.monitoring.as(hospital).openSession([alice.address]), notProvider, [
        hospital.address,
        alice.address,
      ]);
    });

    it("rejects a monitoring provider suspended or removed since it was named", async () => {
      const f = await loadFixture(withProvider);
      const asRegulator = f.providers.as(regulator);
      const notActive = "MonitoringRegistryProviderNotActive";
      await mined(kit, asRegulator.suspend([hospital.address]));
      await expectContractError(f.monitoring.as(hospital).openSession([alice.address]), notActive, [hospital.address]);
      await mined(kit, asRegulator.reinstate([hospital.address]));
      await open(f, hospital, alice.address);
      await mined(kit, asRegulator.remove([hospital.address]));
      await expectContractError(f.monitoring.as(hospital).openSession([alice.address]), notActive, [hospital.address]);
    });
  });

  describe("closeSession", () => {
    it("the patient closes a session", async () => {
      const f = await loadFixture(withSession);
      const receipt = await mined(kit, f.monitoring.as(alice).closeSession([f.sessionId]));
      expectEvent(receipt, f.monitoring, "MonitoringSessionClosed", { sessionId: f.sessionId, patient: alice.address });
      const s = await f.monitoring.read.getSession([f.sessionId]);
      assert.equal(s.closedAt, await node.latestTime());
      assert.equal(s.diagnosisRecordId, ZERO32);
    });

    it("the provider closes a session, even when suspended or no longer named", async () => {
      const f = await loadFixture(withSession);
      const { sessionId: second } = await open(f, hospital, alice.address);
      await mined(kit, f.monitoring.as(hospital).closeSession([f.sessionId]));
      await mined(kit, f.providers.as(regulator).suspend([hospital.address]));
      await mined(kit, f.monitoring.as(alice).clearMonitoringProvider());
      const receipt = await mined(kit, f.monitoring.as(hospital).closeSession([second]));
      expectEvent(receipt, f.monitoring, "MonitoringSessionClosed", { sessionId: second, patient: alice.address });
    });

    it("rejects an unknown session, a closed one, and anyone but its patient and provider", async () => {
      const f = await loadFixture(withSession);
      const bogus = id("no such session");
      await expectContractError(f.monitoring.as(alice).closeSession([bogus]), "MonitoringRegistryUnknownSession", [
        bogus,
      ]);
      for (const who of [bob, clinic, outsider]) {
        await expectContractError(
          f.monitoring.as(who).closeSession([f.sessionId]),
          "MonitoringRegistryNotSessionParty",
          [f.sessionId, who.address],
        );
      }
      await mined(kit, f.monitoring.as(hospital).closeSession([f.sessionId]));
      const closedAt = await node.latestTime();
      for (const who of [alice, hospital]) {
        await expectContractError(f.monitoring.as(who).closeSession([f.sessionId]), "MonitoringRegistrySessionClosed", [
          f.sessionId,
          closedAt,
        ]);
      }
    });
  });
});
