/**
 * Timelocked membership changes through the SDK on a real Hardhat/EDR chain: a `MeridianTimelock`
 * holds the regulator's role; the council schedules an admission, cannot run it before the
 * delay nor admit directly, and runs it after.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { Address } from "viem";
import { meridianTimelockAbi, meridianTimelockBytecode } from "../generated/contracts.ts";
import { startTestChain, testAccount as account, type TestChain } from "../testing/index.ts";
import { admitProvider, getProvider } from "./actions.ts";
import { ContractRevertedError } from "./errors.ts";
import {
  executeMembershipChange,
  getOperation,
  OperationNotReadyError,
  scheduleMembershipChange,
  type MembershipChange,
} from "./governance.ts";
import { ProviderKind, ProviderStatus } from "./types.ts";

const DELAY = 3600;

let kit: TestChain;
let timelock: Address;
const council = account(1),
  hospital = account(2);
const ctx = (a: typeof council) => kit.as(a);

before(async () => {
  kit = await startTestChain({
    // a timelock (the council proposes and executes) holds both of the registry's roles
    roles: async ({ publicClient, wallet }) => {
      const args = [BigInt(DELAY), [council.address], [council.address]] as const;
      const deployer = wallet(account(0));
      const timelockContract = { abi: meridianTimelockAbi, bytecode: meridianTimelockBytecode };
      const hash = await deployer.deployContract({ ...timelockContract, args });
      timelock = (await publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
      return { admin: timelock, regulator: timelock };
    },
  });
});

after(async () => {
  await kit.close();
});

test("an admission goes through the timelock's delay; the council cannot admit directly or early", async () => {
  const change: MembershipChange = {
    action: "admit",
    provider: hospital.address,
    kind: ProviderKind.Hospital,
    name: "St Mary's",
    department: "Cardiology",
  };
  await assert.rejects(
    admitProvider(ctx(council), {
      provider: hospital.address,
      kind: ProviderKind.Hospital,
      name: "St Mary's",
      department: "",
    }),
    (e: unknown) => e instanceof ContractRevertedError && e.errorName === "AccessControlUnauthorizedAccount",
  );
  await assert.rejects(
    scheduleMembershipChange(ctx(hospital), { timelock, change }),
    (e: unknown) => e instanceof ContractRevertedError && e.errorName === "AccessControlUnauthorizedAccount",
  );
  await assert.rejects(
    scheduleMembershipChange(ctx(council), { timelock, change, delaySeconds: DELAY - 1 }),
    (e: unknown) => e instanceof ContractRevertedError && e.errorName === "TimelockInsufficientDelay",
  );
  await assert.rejects(
    executeMembershipChange(ctx(council), { timelock, change }),
    (e: unknown) => e instanceof OperationNotReadyError && /never scheduled/.test(e.shortMessage),
  );

  const scheduled = await scheduleMembershipChange(ctx(council), { timelock, change });
  assert.equal((await getOperation(ctx(council), timelock, scheduled.operationId)).state, "waiting");
  await assert.rejects(
    executeMembershipChange(ctx(council), { timelock, change }),
    (e: unknown) => e instanceof OperationNotReadyError && /still in the timelock's delay/.test(e.shortMessage),
  );
  assert.equal((await getProvider(ctx(council), hospital.address)).status, ProviderStatus.None);

  await kit.increaseTime(DELAY);
  await executeMembershipChange(ctx(council), { timelock, change });
  assert.equal((await getProvider(ctx(council), hospital.address)).status, ProviderStatus.Active);
  assert.equal((await getOperation(ctx(council), timelock, scheduled.operationId)).state, "done");
  await assert.rejects(
    executeMembershipChange(ctx(council), { timelock, change }),
    (e: unknown) => e instanceof OperationNotReadyError && /already executed/.test(e.shortMessage),
  );
});
