/**
 * MonitoringRegistry, part 3: linking records the provider anchored in RecordRegistry to a
 * session, and the final diagnosis that closes it; the refusals both share (each custom error
 * with its arguments); and the gas of each operation, which must not grow with sessions or records.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { concat, parseEventLogs, slice, type Hash } from "viem";
import { Scope, monitoringRegistryAbi } from "@meridian/sdk/chain";
import { expectContractError, expectEvent, mined } from "@meridian/sdk/testing";
import {
  Category,
  Role,
  WRAPPED,
  ZERO32,
  alice,
  bind,
  bob,
  clinic,
  hospital,
  id,
  monitoringFlow,
  regulator,
  sessionIdOf,
  type SessionRecordCall,
} from "./fixtures.ts";

const { kit, node, loadFixture, withProvider, withSession, anchor, open, inADay } = await monitoringFlow();

/** The refusals {addSessionRecord} and {signDiagnosis} share, run against `call`. */
function sharedRefusals(call: SessionRecordCall) {
  it("rejects an unknown session", async () => {
    const f = await loadFixture(withSession);
    const bogus = id("no such session");
    await expectContractError(call(f, hospital, bogus, f.r1), "MonitoringRegistryUnknownSession", [bogus]);
  });

  it("rejects a closed session", async () => {
    const f = await loadFixture(withSession);
    await mined(kit, f.monitoring.as(alice).closeSession([f.sessionId]));
    const closedAt = await node.latestTime();
    await expectContractError(call(f, hospital, f.sessionId, f.r1), "MonitoringRegistrySessionClosed", [
      f.sessionId,
      closedAt,
    ]);
  });

  it("rejects a caller that is not the session's provider (the patient, another provider)", async () => {
    const f = await loadFixture(withSession);
    for (const who of [alice, clinic]) {
      await expectContractError(call(f, who, f.sessionId, f.r1), "MonitoringRegistryNotSessionParty", [
        f.sessionId,
        who.address,
      ]);
    }
  });

  it("rejects a provider suspended or removed since it opened the session", async () => {
    const f = await loadFixture(withSession);
    await mined(kit, f.providers.as(regulator).suspend([hospital.address]));
    const notActive = "MonitoringRegistryProviderNotActive";
    await expectContractError(call(f, hospital, f.sessionId, f.r1), notActive, [hospital.address]);
    await mined(kit, f.providers.as(regulator).remove([hospital.address]));
    await expectContractError(call(f, hospital, f.sessionId, f.r1), notActive, [hospital.address]);
  });

  it("rejects a provider no longer named as monitoring provider (cleared or replaced)", async () => {
    const f = await loadFixture(withSession);
    const notProvider = "MonitoringRegistryNotMonitoringProvider";
    await mined(kit, f.monitoring.as(alice).clearMonitoringProvider());
    await expectContractError(call(f, hospital, f.sessionId, f.r1), notProvider, [hospital.address, alice.address]);
    await mined(kit, f.registry.as(alice).grant([clinic.address, Scope.All, ZERO32, true, 0, WRAPPED]));
    await mined(kit, f.monitoring.as(alice).setMonitoringProvider([clinic.address]));
    await expectContractError(call(f, hospital, f.sessionId, f.r1), notProvider, [hospital.address, alice.address]);
  });

  it("rejects an unknown record and a record of another patient", async () => {
    const f = await loadFixture(withSession);
    const bogus = { recordId: id("no such record"), proof: f.r1.proof };
    await expectContractError(call(f, hospital, f.sessionId, bogus), "MonitoringRegistryUnknownRecord", [
      bogus.recordId,
    ]);
    const bobs = await anchor(f.registry, hospital, bob.address, Category.Cardiac);
    await expectContractError(call(f, hospital, f.sessionId, bobs), "MonitoringRegistryRecordOfAnotherPatient", [
      bobs.recordId,
      alice.address,
    ]);
  });

  it("rejects a record the caller did not anchor, and a proof that is not the record's", async () => {
    const f = await loadFixture(withSession);
    const own = await anchor(f.registry, alice, alice.address, Category.Cardiac); // by the patient
    await expectContractError(call(f, hospital, f.sessionId, own), "MonitoringRegistryNotRecordAuthor", [
      own.recordId,
      hospital.address,
    ]);
    const p = f.r1.proof;
    for (const proof of [
      { ...p, cid: concat([p.cid, "0x00"]) },
      { ...p, ciphertextHash: id("forged") },
      { ...p, previousHead: slice(id("forged"), 0, 24) },
      f.r2.proof,
    ]) {
      await expectContractError(
        call(f, hospital, f.sessionId, { recordId: f.r1.recordId, proof }),
        "MonitoringRegistryNotRecordAuthor",
        [f.r1.recordId, hospital.address],
      );
    }
  });

  it("rejects a record already linked to a session", async () => {
    const f = await loadFixture(withSession);
    await mined(kit, f.monitoring.as(hospital).addSessionRecord([f.sessionId, f.r1.recordId, false, f.r1.proof]));
    const linked = "MonitoringRegistryRecordAlreadyLinked";
    await expectContractError(call(f, hospital, f.sessionId, f.r1), linked, [f.r1.recordId, f.sessionId]);
    const { sessionId: second } = await open(f, hospital, alice.address);
    await expectContractError(call(f, hospital, second, f.r1), linked, [f.r1.recordId, f.sessionId]);
  });
}

describe("MonitoringRegistry", () => {
  describe("addSessionRecord", () => {
    it("links records the provider anchored, counts them and logs the review flag", async () => {
      const f = await loadFixture(withSession);
      const asHospital = f.monitoring.as(hospital);
      for (const [r, flagged] of [
        [f.r1, false],
        [f.r2, true],
      ] as const) {
        const receipt = await mined(kit, asHospital.addSessionRecord([f.sessionId, r.recordId, flagged, r.proof]));
        expectEvent(receipt, f.monitoring, "SessionRecordAdded", {
          sessionId: f.sessionId,
          patient: alice.address,
          recordId: r.recordId,
          flaggedForReview: flagged,
        });
      }
      const s = await f.monitoring.read.getSession([f.sessionId]);
      assert.equal(s.recordCount, 2);
      assert.equal(s.closedAt, 0);
      assert.equal(await f.monitoring.read.sessionOfRecord([f.r1.recordId]), f.sessionId);
      assert.equal(await f.monitoring.read.sessionOfRecord([f.r2.recordId]), f.sessionId);
      assert.equal(await f.monitoring.read.sessionOfRecord([id("other")]), ZERO32);
    });

    it("accepts a record of any category the provider could write (all-records consent)", async () => {
      const f = await loadFixture(withSession);
      await mined(kit, f.monitoring.as(bob).setMonitoringProvider([hospital.address]));
      const { sessionId } = await open(f, hospital, bob.address);
      const note = await anchor(f.registry, hospital, bob.address, Category.Document);
      const receipt = await mined(
        kit,
        f.monitoring.as(hospital).addSessionRecord([sessionId, note.recordId, false, note.proof]),
      );
      expectEvent(receipt, f.monitoring, "SessionRecordAdded", {
        sessionId,
        patient: bob.address,
        recordId: note.recordId,
        flaggedForReview: false,
      });
    });

    sharedRefusals((f, who, sessionId, r) =>
      f.monitoring.as(who).addSessionRecord([sessionId, r.recordId, false, r.proof]),
    );
  });

  describe("signDiagnosis", () => {
    it("stores the diagnosis and closes the session: DiagnosisSigned then MonitoringSessionClosed", async () => {
      const f = await loadFixture(withSession);
      const asHospital = f.monitoring.as(hospital);
      await mined(kit, asHospital.addSessionRecord([f.sessionId, f.r1.recordId, true, f.r1.proof]));
      const diagnosis = await anchor(f.registry, hospital, alice.address, Category.Cardiac);
      const receipt = await mined(kit, asHospital.signDiagnosis([f.sessionId, diagnosis.recordId, diagnosis.proof]));
      expectEvent(receipt, f.monitoring, "DiagnosisSigned", {
        sessionId: f.sessionId,
        patient: alice.address,
        provider: hospital.address,
        diagnosisRecordId: diagnosis.recordId,
      });
      expectEvent(receipt, f.monitoring, "MonitoringSessionClosed", { sessionId: f.sessionId, patient: alice.address });
      const names = receipt.logs.map(
        (log) => parseEventLogs({ abi: monitoringRegistryAbi, logs: [log] })[0]?.eventName,
      );
      assert.deepEqual(names, ["DiagnosisSigned", "MonitoringSessionClosed"]);
      const s = await f.monitoring.read.getSession([f.sessionId]);
      assert.equal(s.diagnosisRecordId, diagnosis.recordId);
      assert.equal(s.closedAt, await node.latestTime());
      assert.equal(s.recordCount, 1);
      assert.equal(await f.monitoring.read.sessionOfRecord([diagnosis.recordId]), f.sessionId);
      const closed = "MonitoringRegistrySessionClosed";
      await expectContractError(asHospital.addSessionRecord([f.sessionId, f.r2.recordId, false, f.r2.proof]), closed, [
        f.sessionId,
        s.closedAt,
      ]);
      await expectContractError(asHospital.signDiagnosis([f.sessionId, f.r2.recordId, f.r2.proof]), closed, [
        f.sessionId,
        s.closedAt,
      ]);
    });

    sharedRefusals((f, who, sessionId, r) => f.monitoring.as(who).signDiagnosis([sessionId, r.recordId, r.proof]));
  });

  // ------------------------------------------------------------------------------------ gas

  describe("gas", { timeout: 120_000 }, () => {
    /** Gas of one mined call, logged so the figures appear in the test output. */
    const report: Record<string, bigint[]> = {};
    after(() => {
      const rows = Object.entries(report).map(([op, v]) => `    ${op.padEnd(34)} ${[...new Set(v)].join(" / ")}`);
      console.log(`\n    MonitoringRegistry gas used per transaction:\n${rows.join("\n")}`);
    });
    async function gasOf(op: string, hash: Promise<Hash>): Promise<bigint> {
      const { gasUsed } = await mined(kit, hash);
      (report[op] ??= []).push(gasUsed);
      return gasUsed;
    }

    it("reports each operation's gas; it does not grow with sessions or session records", async () => {
      const f = await loadFixture(withProvider);
      const asAlice = f.monitoring.as(alice);
      const asBob = f.monitoring.as(bob);
      const asHospital = f.monitoring.as(hospital);
      const deadline = await inADay();
      for (const [device, role] of [
        [f.sensor, Role.Sensor],
        [f.edge, Role.Edge],
        [f.fog, Role.Fog],
      ] as const) {
        const sig = await bind(f, device, alice.address, device.address, role, deadline);
        await gasOf("registerDevice", asAlice.registerDevice([device.address, role, deadline, sig]));
      }
      await gasOf("revokeDevice", asAlice.revokeDevice([f.fog.address]));
      await gasOf("setMonitoringProvider", asBob.setMonitoringProvider([hospital.address]));
      await gasOf("clearMonitoringProvider", asBob.clearMonitoringProvider());
      await gasOf("setMonitoringProvider", asBob.setMonitoringProvider([hospital.address]));

      const opens: bigint[] = [];
      const adds: bigint[] = [];
      let sessionId = ZERO32;
      for (let i = 0; i < 20; i++) {
        const before = await f.monitoring.read.sessionNonceOf([alice.address]);
        opens.push(await gasOf("openSession", asHospital.openSession([alice.address])));
        sessionId = sessionIdOf(f, alice.address, hospital.address, before);
      }
      for (let i = 0; i < 20; i++) {
        const r = await anchor(f.registry, hospital, alice.address, Category.Cardiac);
        adds.push(
          await gasOf("addSessionRecord", asHospital.addSessionRecord([sessionId, r.recordId, i % 2 === 0, r.proof])),
        );
      }
      const diagnosis = await anchor(f.registry, hospital, alice.address, Category.Cardiac);
      const signed = await gasOf(
        "signDiagnosis",
        asHospital.signDiagnosis([sessionId, diagnosis.recordId, diagnosis.proof]),
      );
      const { sessionId: other } = await open(f, hospital, alice.address);
      await gasOf("closeSession", asAlice.closeSession([other]));

      // Every session costs the same; records differ only by their ids' and CIDs' calldata bytes
      // (at most 16 − 4 gas per zero byte).
      assert.equal(new Set(opens).size, 1, `openSession: ${opens.join(", ")}`);
      const spread = adds.reduce((a, b) => (b > a ? b : a)) - adds.reduce((a, b) => (b < a ? b : a));
      assert.ok(spread <= 12n * 100n, `addSessionRecord: ${adds.join(", ")}`);
      for (const [op, v] of Object.entries(report)) for (const g of v) assert.ok(g < 100_000n, `${op} used ${g} gas`);
      assert.ok(signed < 100_000n);
    });
  });
});
