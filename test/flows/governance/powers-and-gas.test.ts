/**
 * Governance of a Meridian network deployed with `ignition/modules/MeridianGoverned.ts`, part 2:
 * the regulator's powers stop at membership (the timelock, impersonated, can neither read nor
 * write records nor grant itself access), and the gas of the governed paths (docs/governance.md).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Hash } from "viem";
import { ProviderKind as Kind, Scope, providerRegistryAbi, providerRegistryBytecode } from "@meridian/sdk/chain";
import { deployTestContract, expectContractError, mined, testAccount } from "@meridian/sdk/testing";
import {
  AUDIT,
  CID,
  Category,
  DEFAULT_MIN_DELAY,
  WRAPPED,
  ZERO32,
  council,
  functionNames,
  governanceFlow,
  hospital,
  id,
  lab,
  patient,
} from "./fixtures.ts";

const { kit, loadFixture, deployGoverned, withPatientRecord } = await governanceFlow();

describe("Governance (MeridianGoverned)", () => {
  describe("the regulator's powers stop at membership", () => {
    it("cannot read a patient's record, and neither can the council", async () => {
      const { records, recordId, timelock } = await loadFixture(withPatientRecord);
      assert.equal(await records.read.canRead([patient.address, recordId]), true);
      assert.equal(await records.read.canRead([timelock.address, recordId]), false);
      assert.equal(await records.read.canRead([council.address, recordId]), false);
      // Admission alone gives a provider nothing either: only the patient's grant does.
      assert.equal(await records.read.canRead([hospital.address, recordId]), false);
    });

    it("cannot request access, write a record or open a monitoring session, as it is no provider", async () => {
      const { records, monitoring, asTimelock, timelock } = await loadFixture(withPatientRecord);
      const asRegulator = records.as(asTimelock);
      await expectContractError(
        asRegulator.requestAccess([patient.address, Scope.All, ZERO32, false, 0, AUDIT]),
        "RecordRegistryProviderNotActive",
        [timelock.address],
      );
      await expectContractError(
        asRegulator.anchorRecord([patient.address, CID, id("forged"), Category.Lab, 0]),
        "RecordRegistryWriteNotPermitted",
        [timelock.address, patient.address, Category.Lab],
      );
      await expectContractError(
        monitoring.as(asTimelock).openSession([patient.address]),
        "MonitoringRegistryNotMonitoringProvider",
        [timelock.address, patient.address],
      );
    });

    it("cannot grant itself access: grants come only from the patient's own wallet", async () => {
      const { records, asTimelock, timelock } = await loadFixture(withPatientRecord);
      await expectContractError(
        records.as(asTimelock).grant([timelock.address, Scope.All, ZERO32, false, 0, WRAPPED]),
        "RecordRegistryUnknownPatient",
        [timelock.address],
      );
    });

    it("finds no role, owner or admin function in RecordRegistry or MonitoringRegistry", async () => {
      const { records, monitoring } = await loadFixture(deployGoverned);
      for (const contract of [records, monitoring]) {
        const functions = functionNames(contract.abi);
        assert.ok(functions.length > 0);
        const roleLike = functions.filter((name) => /role|owner|admin|regulator|pause|upgrade/i.test(name));
        assert.deepEqual(roleLike, [], `role-like functions in ${contract.address}`);
      }
    });
  });

  describe("gas", () => {
    it("measures admission through the timelock vs a direct admit, and the council's suspension", async () => {
      const { providers, asCouncil, schedule } = await loadFixture(deployGoverned);
      const regulator = testAccount(1);
      const direct = await deployTestContract(kit, {
        abi: providerRegistryAbi,
        bytecode: providerRegistryBytecode,
        args: [regulator.address, regulator.address],
      });
      const args = [hospital.address, Kind.Hospital, "St. Elsewhere", "Cardiology"] as const;
      const gasOf = async (hash: Promise<Hash>) => (await mined(kit, hash)).gasUsed;

      const directAdmit = await gasOf(direct.as(regulator).admit(args));
      const op = await schedule({ functionName: "admit", args });
      const scheduleGas = op.receipt.gasUsed;
      await kit.increaseTime(DEFAULT_MIN_DELAY);
      const executeGas = await gasOf(asCouncil.execute(op.execArgs));
      const suspendGas = await gasOf(providers.as(council).suspend([hospital.address]));
      const directSuspend = await gasOf(direct.as(regulator).suspend([hospital.address]));
      await mined(kit, direct.as(regulator).admit([lab.address, Kind.Lab, "Lab", ""]));

      const rows = {
        "admit, direct (regulator EOA)": directAdmit,
        "admit via timelock: schedule": scheduleGas,
        "admit via timelock: execute": executeGas,
        "admit via timelock: total": scheduleGas + executeGas,
        "suspend, council (SUSPENDER_ROLE)": suspendGas,
        "suspend, direct (REGULATOR_ROLE)": directSuspend,
      };
      console.log("      gas used (EOA transactions, solc 0.8.28 viaIR, 10,000 runs):");
      for (const [label, gas] of Object.entries(rows)) {
        console.log(`        ${label.padEnd(36)} ${gas.toLocaleString("en-US")}`);
      }
      // The timelock's overhead is bounded: the schedule's storage and event, the execute's checks.
      assert.ok(scheduleGas + executeGas < directAdmit + 120_000n);
      assert.ok(suspendGas < 40_000n);
    });
  });
});
