/**
 * Membership changes through a timelock: on a governed network (`ignition/modules/MeridianGoverned.ts`,
 * docs/governance.md) the regulator of the `ProviderRegistry` is a `MeridianTimelock`
 * (OpenZeppelin TimelockController). Admitting, reinstating and removing a provider is then
 * scheduled by the council, waits out the timelock's delay, and is executed; suspension stays
 * immediate (`SUSPENDER_ROLE`, {@link setProviderStatus} from `actions.ts`).
 *
 * Each operation is identified by OpenZeppelin's `hashOperation(target, value, data, predecessor,
 * salt)`, with the registry as target, value 0, no predecessor and `salt = keccak256(data)`, so
 * scheduling and executing the same change need only the change itself.
 *
 * @module
 */
import { encodeFunctionData, keccak256, zeroHash, type Address, type Hex } from "viem";
import { MeridianError } from "../errors.ts";
import { meridianTimelockAbi, meridianTimelockBytecode, providerRegistryAbi } from "../generated/contracts.ts";
import { read, result, write } from "./contract.ts";
import { deployMeridian } from "./actions.ts";
import { toMeridianError } from "./errors.ts";
import type { MeridianContext, MeridianDeployment, ProviderKindCode, TransactionResult } from "./types.ts";

/** A membership change the regulator makes, as a `ProviderRegistry` call. */
export type MembershipChange =
  | { action: "admit"; provider: Address; kind: ProviderKindCode; name: string; department: string }
  | { action: "reinstate" | "remove"; provider: Address };

/** The state of a timelocked operation (OpenZeppelin `TimelockController.OperationState`). */
export type OperationState = "unset" | "waiting" | "ready" | "done";

/** A scheduled change is not ready: it was never scheduled, is still waiting, or already ran. */
export class OperationNotReadyError extends MeridianError {
  override name = "OperationNotReadyError" as const;
}

function call(ctx: MeridianContext, change: MembershipChange) {
  const data =
    change.action === "admit"
      ? encodeFunctionData({
          abi: providerRegistryAbi,
          functionName: "admit",
          args: [change.provider, change.kind, change.name, change.department],
        })
      : encodeFunctionData({ abi: providerRegistryAbi, functionName: change.action, args: [change.provider] });
  return { target: ctx.deployment.providerRegistry, value: 0n, data, predecessor: zeroHash, salt: keccak256(data) };
}

/** The timelock operation id of `change` (`hashOperation`, salt = keccak256 of the call data). */
export async function membershipOperationId(
  ctx: MeridianContext,
  timelock: Address,
  change: MembershipChange,
): Promise<Hex> {
  const c = call(ctx, change);
  try {
    return await read(ctx, {
      address: timelock,
      abi: meridianTimelockAbi,
      functionName: "hashOperation",
      args: [c.target, c.value, c.data, c.predecessor, c.salt],
    });
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** State of a timelock operation and, once scheduled, when it becomes ready (unix seconds). */
export async function getOperation(
  ctx: MeridianContext,
  timelock: Address,
  operationId: Hex,
): Promise<{ state: OperationState; readyAt: number | undefined }> {
  try {
    const [state, timestamp] = await Promise.all([
      read(ctx, {
        address: timelock,
        abi: meridianTimelockAbi,
        functionName: "getOperationState",
        args: [operationId],
      }),
      read(ctx, { address: timelock, abi: meridianTimelockAbi, functionName: "getTimestamp", args: [operationId] }),
    ]);
    return {
      state: (["unset", "waiting", "ready", "done"] as const)[state] ?? "unset",
      readyAt: timestamp > 1n ? Number(timestamp) : undefined,
    };
  } catch (error) {
    throw toMeridianError(error);
  }
}

/**
 * Proposer (the council): schedules `change` on the timelock, to run after `delaySeconds`
 * (default and minimum: the timelock's `getMinDelay`). Returns the operation id and when it is
 * ready (unix seconds). Reverts: `AccessControlUnauthorizedAccount` (not a proposer),
 * `TimelockUnexpectedOperationState` (already scheduled), `TimelockInsufficientDelay`.
 */
export async function scheduleMembershipChange(
  ctx: MeridianContext,
  p: { timelock: Address; change: MembershipChange; delaySeconds?: number },
): Promise<TransactionResult & { operationId: Hex; readyAt: number }> {
  const c = call(ctx, p.change);
  let delay: bigint;
  try {
    delay =
      p.delaySeconds === undefined
        ? await read(ctx, { address: p.timelock, abi: meridianTimelockAbi, functionName: "getMinDelay" })
        : BigInt(p.delaySeconds);
  } catch (error) {
    throw toMeridianError(error);
  }
  const receipt = await write(ctx, `schedule ${p.change.action}`, {
    address: p.timelock,
    abi: meridianTimelockAbi,
    functionName: "schedule",
    args: [c.target, c.value, c.data, c.predecessor, c.salt, delay],
  });
  const operationId = await membershipOperationId(ctx, p.timelock, p.change);
  const { readyAt } = await getOperation(ctx, p.timelock, operationId);
  return { ...result(receipt), operationId, readyAt: readyAt ?? 0 };
}

/**
 * Executor (the council): runs a scheduled `change` once its delay has passed. Checks the
 * operation's state first and throws {@link OperationNotReadyError} saying when it will be ready
 * (or that it was never scheduled, or already ran), before any gas is spent.
 */
export async function executeMembershipChange(
  ctx: MeridianContext,
  p: { timelock: Address; change: MembershipChange },
): Promise<TransactionResult & { operationId: Hex }> {
  const c = call(ctx, p.change);
  const operationId = await membershipOperationId(ctx, p.timelock, p.change);
  const op = await getOperation(ctx, p.timelock, operationId);
  if (op.state === "unset")
    throw new OperationNotReadyError(`This ${p.change.action} was never scheduled on the timelock.`, {
      details: operationId,
      hint: "Schedule it first (`meridian provider <action> ... --timelock <address>`).",
    });
  if (op.state === "waiting")
    throw new OperationNotReadyError(`This ${p.change.action} is still in the timelock's delay.`, {
      details: `ready at ${new Date((op.readyAt ?? 0) * 1000).toISOString()}`,
      hint: "Execute it again after that time; the council can cancel it until then.",
    });
  if (op.state === "done")
    throw new OperationNotReadyError(`This ${p.change.action} was already executed.`, { details: operationId });
  const receipt = await write(ctx, `execute ${p.change.action}`, {
    address: p.timelock,
    abi: meridianTimelockAbi,
    functionName: "execute",
    args: [c.target, c.value, c.data, c.predecessor, c.salt],
  });
  return { ...result(receipt), operationId };
}

/** Parameters of {@link deployGovernedMeridian}. */
export interface DeployGovernedMeridianParameters {
  /** The council (a Safe multisig in production): the timelock's proposer, canceller and executor, and `SUSPENDER_ROLE`. */
  council: Address;
  /** The timelock's minimum delay in seconds (docs/governance.md suggests 2 days = 172,800). */
  minDelaySeconds: number;
}

/**
 * Deploys a governed Meridian network, as `ignition/modules/MeridianGoverned.ts` does: a
 * `MeridianTimelock` (council = proposer, canceller, executor; no admin), the registries with the
 * timelock as regulator and admin, and `SUSPENDER_ROLE` for the council. The deployer is the
 * registry's admin only until it renounces, in the last of the transactions; it ends with no role.
 * @returns the deployment and the timelock's address.
 */
export async function deployGovernedMeridian(
  ctx: Omit<MeridianContext, "deployment">,
  p: DeployGovernedMeridianParameters,
): Promise<{ deployment: MeridianDeployment; timelock: Address }> {
  const wallet = ctx.walletClient;
  if (!wallet) throw new MeridianError("Deploying needs a wallet to sign with.");
  if (!Number.isSafeInteger(p.minDelaySeconds) || p.minDelaySeconds < 0)
    throw new MeridianError("The timelock's minimum delay must be a whole number of seconds.", {
      details: String(p.minDelaySeconds),
    });
  let timelock: Address;
  try {
    const hash = await wallet.deployContract({
      abi: meridianTimelockAbi,
      bytecode: meridianTimelockBytecode,
      args: [BigInt(p.minDelaySeconds), [p.council], [p.council]],
    } as never);
    timelock = (await ctx.publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
  } catch (error) {
    throw toMeridianError(error);
  }
  const deployer = wallet.account.address;
  const deployment = await deployMeridian(ctx, { admin: deployer, regulator: timelock });
  const full = { ...ctx, deployment };
  const registry = { address: deployment.providerRegistry, abi: providerRegistryAbi };
  const [adminRole, suspenderRole] = await Promise.all([
    read(ctx, { ...registry, functionName: "DEFAULT_ADMIN_ROLE" }),
    read(ctx, { ...registry, functionName: "SUSPENDER_ROLE" }),
  ]);
  await write(full, "grant the council SUSPENDER_ROLE", {
    ...registry,
    functionName: "grantRole",
    args: [suspenderRole, p.council],
  });
  await write(full, "grant the timelock DEFAULT_ADMIN_ROLE", {
    ...registry,
    functionName: "grantRole",
    args: [adminRole, timelock],
  });
  await write(full, "renounce the deployer's DEFAULT_ADMIN_ROLE", {
    ...registry,
    functionName: "renounceRole",
    args: [adminRole, deployer],
  });
  return { deployment, timelock };
}
