/**
 * Governance of a Meridian network deployed with `ignition/modules/MeridianGoverned.ts`, part 1:
 * the timelock is the provider registry's regulator and admin, the council proposes through it
 * and suspends at once, and the deployer keeps no role (docs/governance.md).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { zeroAddress } from "viem";
import { ProviderKind as Kind, meridianTimelockAbi } from "@meridian/sdk/chain";
import { bindContract, deployIgnitionModule, expectContractError, expectEvent, mined } from "@meridian/sdk/testing";
import {
  DEFAULT_MIN_DELAY,
  MeridianGovernedModule,
  OperationState,
  Status,
  council,
  deployer,
  governanceFlow,
  hospital,
  liveRoleHolders,
  outsider,
  stateBitmap,
} from "./fixtures.ts";

const { kit, node, loadFixture, deployGoverned, withHospital } = await governanceFlow();
const admitHospital = {
  functionName: "admit",
  args: [hospital.address, Kind.Hospital, "St. Elsewhere", "Cardiology"],
} as const;
const admitHospitalNoDepartment = {
  functionName: "admit",
  args: [hospital.address, Kind.Hospital, "St. Elsewhere", ""],
} as const;

describe("Governance (MeridianGoverned)", () => {
  describe("deployment", () => {
    it(
      "gives the timelock the admin and regulator roles, " + "the council the suspender role, and the deployer nothing",
      async () => {
        const { providers, timelock, roles } = await loadFixture(deployGoverned);
        const names = Object.fromEntries(Object.entries(roles).map(([name, role]) => [role, name]));
        assert.deepEqual(
          await liveRoleHolders(kit, providers, names),
          [`ADMIN ${timelock.address}`, `REGULATOR ${timelock.address}`, `SUSPENDER ${council.address}`].sort(),
        );
        // The deployer was the registry's admin for three transactions, and renounced it.
        assert.equal(await providers.read.hasRole([roles.ADMIN, deployer.address]), false);
        // The timelock: no admin but itself; the council proposes, cancels and executes; nobody else.
        assert.deepEqual(
          await liveRoleHolders(kit, timelock, names),
          [
            `ADMIN ${timelock.address}`,
            `PROPOSER ${council.address}`,
            `CANCELLER ${council.address}`,
            `EXECUTOR ${council.address}`,
          ].sort(),
        );
        for (const role of Object.values(roles)) {
          assert.equal(await timelock.read.hasRole([role, deployer.address]), false);
          assert.equal(await providers.read.hasRole([role, deployer.address]), false);
        }
        assert.equal(await timelock.read.hasRole([roles.EXECUTOR, zeroAddress]), false);
        assert.equal(await timelock.read.getMinDelay(), BigInt(DEFAULT_MIN_DELAY));
        assert.equal(DEFAULT_MIN_DELAY, 172_800);
      },
    );

    it("takes the delay from the minDelay parameter", async () => {
      const deployed = await deployIgnitionModule(kit, MeridianGovernedModule, {
        parameters: { MeridianGoverned: { council: council.address, minDelay: 3_600 } },
      });
      const timelock = bindContract(kit, meridianTimelockAbi, deployed.timelock);
      assert.equal(await timelock.read.getMinDelay(), 3_600n);
    });

    it("leaves the deployer unable to admit, suspend or grant any role", async () => {
      const { providers, roles } = await loadFixture(withHospital);
      const asDeployer = providers.as(deployer);
      const unauthorized = "AccessControlUnauthorizedAccount";
      await expectContractError(asDeployer.admit([deployer.address, Kind.Lab, "Lab", ""]), unauthorized, [
        deployer.address,
        roles.REGULATOR,
      ]);
      await expectContractError(asDeployer.suspend([hospital.address]), unauthorized, [
        deployer.address,
        roles.SUSPENDER,
      ]);
      await expectContractError(asDeployer.grantRole([roles.REGULATOR, deployer.address]), unauthorized, [
        deployer.address,
        roles.ADMIN,
      ]);
    });
  });

  describe("admission through the timelock", () => {
    it("is refused to the council calling the registry directly", async () => {
      const { providers, roles } = await loadFixture(deployGoverned);
      await expectContractError(
        providers.as(council).admit([hospital.address, Kind.Hospital, "St. Elsewhere", ""]),
        "AccessControlUnauthorizedAccount",
        [council.address, roles.REGULATOR],
      );
    });

    it("cannot execute before the delay, and admits once it has passed", async () => {
      const { providers, timelock, asCouncil, schedule } = await loadFixture(deployGoverned);
      const op = await schedule(admitHospital);
      const scheduledAt = await node.latestTime();
      expectEvent(op.receipt, timelock, "CallScheduled");
      assert.equal(await timelock.read.getOperationState([op.id]), OperationState.Waiting);

      const notReady = "TimelockUnexpectedOperationState";
      await expectContractError(asCouncil.execute(op.execArgs), notReady, [op.id, stateBitmap(OperationState.Ready)]);
      // One second before the delay ends it still waits.
      await node.setNextBlockTimestamp(scheduledAt + DEFAULT_MIN_DELAY - 1);
      await expectContractError(asCouncil.execute(op.execArgs), notReady, [op.id, stateBitmap(OperationState.Ready)]);
      assert.equal(await providers.read.isActive([hospital.address]), false);

      await node.setNextBlockTimestamp(scheduledAt + DEFAULT_MIN_DELAY);
      expectEvent(await mined(kit, asCouncil.execute(op.execArgs)), providers, "ProviderAdmitted", {
        provider: hospital.address,
        regulator: timelock.address,
        kind: Kind.Hospital,
        name: "St. Elsewhere",
        department: "Cardiology",
      });
      assert.equal(await providers.read.isActive([hospital.address]), true);
      assert.equal(await timelock.read.getOperationState([op.id]), OperationState.Done);
      // An operation runs once.
      await expectContractError(asCouncil.execute(op.execArgs), notReady, [op.id, stateBitmap(OperationState.Ready)]);
    });

    it("refuses a delay shorter than the minimum", async () => {
      const { asCouncil, operation } = await loadFixture(deployGoverned);
      const op = operation(admitHospitalNoDepartment);
      await expectContractError(
        asCouncil.schedule([...op.execArgs, BigInt(DEFAULT_MIN_DELAY - 1)]),
        "TimelockInsufficientDelay",
        [BigInt(DEFAULT_MIN_DELAY - 1), BigInt(DEFAULT_MIN_DELAY)],
      );
    });

    it("can be scheduled and executed only by the council", async () => {
      const { timelock, roles, operation, schedule } = await loadFixture(deployGoverned);
      const draft = operation(admitHospitalNoDepartment);
      const unauthorized = "AccessControlUnauthorizedAccount";
      for (const caller of [outsider, deployer, hospital]) {
        await expectContractError(
          timelock.as(caller).schedule([...draft.execArgs, BigInt(DEFAULT_MIN_DELAY)]),
          unauthorized,
          [caller.address, roles.PROPOSER],
        );
      }
      const op = await schedule(admitHospitalNoDepartment);
      await kit.increaseTime(DEFAULT_MIN_DELAY);
      await expectContractError(timelock.as(outsider).execute(op.execArgs), unauthorized, [
        outsider.address,
        roles.EXECUTOR,
      ]);
    });

    it("can be cancelled by the council during the delay, and then never executes", async () => {
      const { providers, timelock, roles, asCouncil, schedule } = await loadFixture(deployGoverned);
      const op = await schedule(admitHospitalNoDepartment);
      await expectContractError(timelock.as(outsider).cancel([op.id]), "AccessControlUnauthorizedAccount", [
        outsider.address,
        roles.CANCELLER,
      ]);
      expectEvent(await mined(kit, asCouncil.cancel([op.id])), timelock, "Cancelled", { id: op.id });
      await kit.increaseTime(DEFAULT_MIN_DELAY);
      await expectContractError(asCouncil.execute(op.execArgs), "TimelockUnexpectedOperationState", [
        op.id,
        stateBitmap(OperationState.Ready),
      ]);
      assert.equal(await providers.read.isActive([hospital.address]), false);
    });
  });

  describe("suspension, reinstatement and removal", () => {
    it("lets the council suspend at once, without the timelock", async () => {
      const { providers } = await loadFixture(withHospital);
      expectEvent(await mined(kit, providers.as(council).suspend([hospital.address])), providers, "ProviderSuspended", {
        provider: hospital.address,
        suspendedBy: council.address,
      });
      assert.equal(await providers.read.statusOf([hospital.address]), Status.Suspended);
    });

    it("does not let the council reinstate or remove directly", async () => {
      const { providers, roles } = await loadFixture(withHospital);
      const asCouncilMember = providers.as(council);
      const unauthorized = "AccessControlUnauthorizedAccount";
      await expectContractError(asCouncilMember.remove([hospital.address]), unauthorized, [
        council.address,
        roles.REGULATOR,
      ]);
      await mined(kit, asCouncilMember.suspend([hospital.address]));
      await expectContractError(asCouncilMember.reinstate([hospital.address]), unauthorized, [
        council.address,
        roles.REGULATOR,
      ]);
    });

    it("reinstates and removes through the timelock, after the delay", async () => {
      const { providers, timelock, asCouncil, schedule } = await loadFixture(withHospital);
      await mined(kit, providers.as(council).suspend([hospital.address]));
      const notReady = "TimelockUnexpectedOperationState";

      const reinstate = await schedule({ functionName: "reinstate", args: [hospital.address] });
      await expectContractError(asCouncil.execute(reinstate.execArgs), notReady, [
        reinstate.id,
        stateBitmap(OperationState.Ready),
      ]);
      await kit.increaseTime(DEFAULT_MIN_DELAY);
      expectEvent(await mined(kit, asCouncil.execute(reinstate.execArgs)), providers, "ProviderReinstated", {
        provider: hospital.address,
        regulator: timelock.address,
      });
      assert.equal(await providers.read.isActive([hospital.address]), true);

      const remove = await schedule({ functionName: "remove", args: [hospital.address] });
      await expectContractError(asCouncil.execute(remove.execArgs), notReady, [
        remove.id,
        stateBitmap(OperationState.Ready),
      ]);
      await kit.increaseTime(DEFAULT_MIN_DELAY);
      expectEvent(await mined(kit, asCouncil.execute(remove.execArgs)), providers, "ProviderRemoved", {
        provider: hospital.address,
        regulator: timelock.address,
      });
      assert.equal(await providers.read.statusOf([hospital.address]), Status.Removed);
    });

    it("changes roles only through the timelock: revoking the council's suspender role", async () => {
      const { providers, roles, throughTimelock } = await loadFixture(withHospital);
      const unauthorized = "AccessControlUnauthorizedAccount";
      await expectContractError(providers.as(council).revokeRole([roles.SUSPENDER, council.address]), unauthorized, [
        council.address,
        roles.ADMIN,
      ]);
      await throughTimelock({ functionName: "revokeRole", args: [roles.SUSPENDER, council.address] });
      await expectContractError(providers.as(council).suspend([hospital.address]), unauthorized, [
        council.address,
        roles.SUSPENDER,
      ]);
    });
  });
});
