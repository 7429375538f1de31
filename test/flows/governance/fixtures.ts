/**
 * Shared set-up of the governance flows: a Meridian network deployed on the kit's chain with
 * `ignition/modules/MeridianGoverned.ts` (through Ignition's own engine, no ethers), whose
 * timelock is the provider registry's regulator and admin and whose council (a multisig in
 * production; an EOA here) proposes through it and suspends at once.
 */
import assert from "node:assert/strict";
import { after } from "node:test";
import {
  encodeFunctionData,
  keccak256,
  stringToHex,
  toHex,
  type Abi,
  type Address,
  type EncodeFunctionDataParameters,
  type Hex,
} from "viem";
import {
  ProviderKind as Kind,
  meridianTimelockAbi,
  monitoringRegistryAbi,
  providerRegistryAbi,
  recordRegistryAbi,
} from "@meridian/sdk/chain";
import {
  bindContract,
  deployIgnitionModule,
  eventsFrom,
  fixtureLoader,
  mined,
  startTestChain,
  testAccount,
  testNode,
  type TestChain,
} from "@meridian/sdk/testing";
import MeridianGovernedModule, { DEFAULT_MIN_DELAY } from "../../../ignition/modules/MeridianGoverned.ts";

export { DEFAULT_MIN_DELAY, MeridianGovernedModule };

/** `IProviderRegistry.ProviderStatus` (the ones used here). */
export const Status = { Active: 1, Suspended: 2, Removed: 3 } as const;
/** `IRecordRegistry.Category` (the one used here). */
export const Category = { Lab: 2 } as const;
/** `TimelockController.OperationState` and its `_encodeStateBitmap` (one bit per state). */
export const OperationState = { Unset: 0, Waiting: 1, Ready: 2, Done: 3 } as const;
export const stateBitmap = (state: number): Hex => toHex(1n << BigInt(state), { size: 32 });

export const ZERO32: Hex = `0x${"00".repeat(32)}`;
export const CID: Hex = `0x${"12".repeat(36)}`;
export const WRAPPED: Hex = `0x${"ab".repeat(80)}`;
export const AUDIT = stringToHex("AUDIT", { size: 32 });
export const id = (text: string): Hex => keccak256(stringToHex(text));

export const deployer = testAccount(0);
export const council = testAccount(1);
export const hospital = testAccount(2);
export const lab = testAccount(3);
export const outsider = testAccount(4);
export const patient = testAccount(5);

/** A call of the provider registry, as `encodeFunctionData` takes it (without the ABI). */
export type RegistryCall = Omit<EncodeFunctionDataParameters<typeof providerRegistryAbi>, "abi">;

/**
 * Every (role, account) pair that ever received a role on the contract at `address` (from its
 * `RoleGranted` logs) and still holds it, as "role account" strings.
 */
export async function liveRoleHolders(
  kit: TestChain,
  contract: { address: Address; abi: typeof providerRegistryAbi | typeof meridianTimelockAbi },
  names: Record<string, string>,
): Promise<string[]> {
  const roles = { address: contract.address, abi: contract.abi as typeof providerRegistryAbi };
  const logs = await kit.publicClient.getContractEvents({ ...roles, eventName: "RoleGranted", fromBlock: 0n });
  const live = new Set<string>();
  for (const { args } of logs) {
    assert.ok(args.role && args.account, "undecoded RoleGranted log");
    const held = await kit.publicClient.readContract({
      ...roles,
      functionName: "hasRole",
      args: [args.role, args.account],
    });
    if (held) live.add(`${names[args.role] ?? args.role} ${args.account}`);
  }
  return [...live].sort();
}

/** The names of the functions in `abi`. */
export const functionNames = (abi: Abi): string[] =>
  abi.flatMap((item) => (item.type === "function" ? [item.name] : []));

/**
 * Starts a test chain (closed after the file's tests) and returns the fixtures `deployGoverned`
 * (the governed network, its role ids, and timelock helpers that schedule and execute calls of the
 * provider registry as the council), `withHospital` (`hospital` admitted through the timelock) and
 * `withPatientRecord` (a registered patient with one Lab record, and the timelock impersonated).
 */
export async function governanceFlow() {
  const kit = await startTestChain();
  after(() => kit.close());
  const node = testNode(kit);

  async function deployGoverned() {
    const deployed = await deployIgnitionModule(kit, MeridianGovernedModule, {
      parameters: { MeridianGoverned: { council: council.address } },
    });
    const timelock = bindContract(kit, meridianTimelockAbi, deployed.timelock);
    const providers = bindContract(kit, providerRegistryAbi, deployed.providerRegistry);
    const records = bindContract(kit, recordRegistryAbi, deployed.recordRegistry);
    const monitoring = bindContract(kit, monitoringRegistryAbi, deployed.monitoringRegistry);
    const roles = {
      ADMIN: await providers.read.DEFAULT_ADMIN_ROLE(),
      REGULATOR: await providers.read.REGULATOR_ROLE(),
      SUSPENDER: await providers.read.SUSPENDER_ROLE(),
      PROPOSER: await timelock.read.PROPOSER_ROLE(),
      CANCELLER: await timelock.read.CANCELLER_ROLE(),
      EXECUTOR: await timelock.read.EXECUTOR_ROLE(),
    };
    const asCouncil = timelock.as(council);
    let salt = 0;

    /** A call of the provider registry as a timelock operation: the arguments to schedule and execute it. */
    function operation(call: RegistryCall) {
      const data = encodeFunctionData({ abi: providerRegistryAbi, ...call });
      const execArgs = [providers.address, 0n, data, ZERO32, toHex(++salt, { size: 32 })] as const;
      return { data, execArgs };
    }
    /** Schedules `call` from the council with the minimum delay; returns the operation id and the receipt. */
    async function schedule(call: RegistryCall) {
      const op = operation(call);
      const receipt = await mined(kit, asCouncil.schedule([...op.execArgs, BigInt(DEFAULT_MIN_DELAY)]));
      const id = await timelock.read.hashOperation(op.execArgs);
      return { ...op, id, receipt };
    }
    /** Schedules and, after the delay, executes `call` through the timelock. */
    async function throughTimelock(call: RegistryCall) {
      const op = await schedule(call);
      await kit.increaseTime(DEFAULT_MIN_DELAY);
      return mined(kit, asCouncil.execute(op.execArgs));
    }

    return { timelock, providers, records, monitoring, roles, asCouncil, operation, schedule, throughTimelock };
  }

  async function withHospital() {
    const f = await deployGoverned();
    await f.throughTimelock({
      functionName: "admit",
      args: [hospital.address, Kind.Hospital, "St. Elsewhere", "Cardiology"],
    });
    return f;
  }

  async function withPatientRecord() {
    const f = await withHospital();
    await mined(kit, f.records.as(patient).register([id("patient x25519 key")]));
    const hash = id("ciphertext");
    const receipt = await mined(kit, f.records.as(patient).anchorRecord([patient.address, CID, hash, Category.Lab, 0]));
    const [anchored] = eventsFrom(receipt, f.records, "RecordAnchored");
    assert.ok(anchored, "no RecordAnchored event");
    // What the timelock could send once an operation is executed, sent directly: the delay
    // changes when the regulator acts, not what it may do.
    const asTimelock = await node.impersonate(f.timelock.address);
    return { ...f, recordId: anchored.args.recordId, asTimelock };
  }

  return { kit, node, loadFixture: fixtureLoader(kit), deployGoverned, withHospital, withPatientRecord };
}
