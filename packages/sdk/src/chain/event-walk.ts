/**
 * The linked walk over an account's events in `RecordRegistry` (docs/event-reads.md, "Event
 * linking"). The registry keeps the block of each patient's latest event (`patientLatestBlock`) and
 * every event about a patient carries the block of the one before (`previousEventBlock`; guardian
 * appointments and removals also `previousGuardianEventBlock`, the guardian's). So a client reads
 * the pointer, then asks for the registry's logs of exactly that block (`fromBlock` = `toBlock`),
 * keeps the account's events, follows the smallest link below that block, and so on back to the
 * first event: one `eth_getLogs` per block that holds the account's events, whatever the chain's
 * length, and it works on an RPC that serves one block per query.
 *
 * Reorgs: every read is pinned to one head block (its number; the pointer is read at it), and that
 * block's hash is read before and after the walk. If it changed, a reorganisation replaced blocks
 * the walk may have read, and the walk starts again (up to three times), so no answer mixes two
 * forks. A linked block without the account's events (a lying or lagging RPC) fails with
 * {@link EventChainBrokenError}.
 *
 * @module
 */
import { getAddress, isAddressEqual, parseEventLogs, type Address, type Hash } from "viem";
import { MeridianError } from "../errors.ts";
import { recordRegistryAbi } from "../generated/contracts.ts";
import { read } from "./contract.ts";
import { classifyLogRangeError, LogRangeLimitError, toMeridianError } from "./errors.ts";
import type { MeridianContext } from "./types.ts";

/** One decoded `RecordRegistry` event, as the walk returns it (viem's `parseEventLogs`, strict). */
export type RegistryEventLog = ReturnType<typeof parseEventLogs<typeof recordRegistryAbi, true>>[number];

/** The `RecordRegistry` events named `name`, narrowed to that event's arguments. */
export type RegistryEventLogOf<name extends RegistryEventLog["eventName"]> = Extract<
  RegistryEventLog,
  { eventName: name }
>;

/** Parameters of {@link walkPatientEvents}. */
export interface WalkPatientEventsParameters {
  /** The account whose events to read: a patient (or a guardian, for the appointments naming it). */
  patient: Address;
  /** The block to read at (default: the latest). Events after it are not read. */
  blockNumber?: bigint | undefined;
}

/** What {@link walkPatientEvents} returns. */
export interface WalkPatientEventsReturnType {
  /**
   * The account's events, oldest first (block, then log index): every event whose first indexed
   * field is the account, and the guardian appointments and removals that name it as guardian.
   */
  logs: RegistryEventLog[];
  /** The block the walk read at (every read is at or below it). */
  blockNumber: bigint;
}

/** Errors {@link walkPatientEvents} throws. */
export type WalkPatientEventsErrorType = EventChainBrokenError | LogRangeLimitError | MeridianError;

/**
 * A block the registry's links point to holds none of the account's events, or links do not go
 * back: the RPC endpoint returned incomplete or altered logs.
 */
export class EventChainBrokenError extends MeridianError {
  override name = "EventChainBrokenError" as const;
  constructor(account: Address, block: bigint) {
    super("The RPC endpoint returned logs that break the registry's chain of this account's events.", {
      details: `account ${account}, block ${block}`,
      hint: "Try again; if it persists, use another RPC endpoint (--rpc-url): this one returns incomplete logs.",
    });
  }
}

/** How many times a walk starts again after its head block was reorganised away. */
const REORG_ATTEMPTS = 3;

/**
 * Every `RecordRegistry` event about `patient`, oldest first, read by following the registry's
 * links: one `eth_call` (`patientLatestBlock`), two block reads (the head and its hash check) and
 * one exact-block `eth_getLogs` per block holding the patient's events. See the module docs for
 * reorgs.
 *
 * @param ctx - The chain context (no wallet needed).
 * @param parameters - `patient`, and optionally the `blockNumber` to read at.
 * @returns The events and the block they were read at.
 * @throws {@link EventChainBrokenError} when the RPC's logs break the chain; {@link LogRangeLimitError}
 *   when it serves no logs at all; {@link MeridianError} on any other RPC failure.
 * @example
 * ```ts
 * const { logs } = await walkPatientEvents(ctx, { patient });
 * for (const l of logs) console.log(l.blockNumber, l.eventName);
 * ```
 */
export async function walkPatientEvents(
  ctx: MeridianContext,
  parameters: WalkPatientEventsParameters,
): Promise<WalkPatientEventsReturnType> {
  const logs: RegistryEventLog[] = [];
  const blockNumber = await walkBack(
    ctx,
    parameters,
    (blockLogs) => {
      logs.unshift(...blockLogs);
      return true;
    },
    () => {
      logs.length = 0;
    },
  );
  return { logs, blockNumber };
}

/**
 * Walks `parameters.patient`'s events from the newest block back, calling `visit` with each
 * block's events (in log order); stops early when `visit` returns false. Restarts (calling
 * `onRestart` first) when the head block was reorganised during the walk. Returns the block read at.
 */
export async function walkBack(
  ctx: MeridianContext,
  parameters: WalkPatientEventsParameters,
  visit: (logs: RegistryEventLog[]) => boolean,
  onRestart?: () => void,
): Promise<bigint> {
  const account = getAddress(parameters.patient);
  for (let attempt = 0; attempt < REORG_ATTEMPTS; attempt++) {
    const head = await headOf(ctx, parameters.blockNumber);
    let block = await read(ctx, {
      address: ctx.deployment.recordRegistry,
      abi: recordRegistryAbi,
      functionName: "patientLatestBlock",
      args: [account],
      blockNumber: head.number,
    });
    let broken: EventChainBrokenError | undefined;
    while (block !== 0n) {
      const mine = await accountLogsAt(ctx, account, block);
      const previous = mine.reduce<bigint | undefined>((min, l) => {
        const link = linkOf(l, account);
        return link !== undefined && (min === undefined || link < min) ? link : min;
      }, undefined);
      if (previous === undefined || previous >= block) {
        broken = new EventChainBrokenError(account, block);
        break;
      }
      if (!visit(mine)) break;
      block = previous;
    }
    // A reorganisation during the walk may also have broken it: then it starts again.
    if ((await hashAt(ctx, head.number)) === head.hash) {
      if (broken) throw broken;
      return head.number;
    }
    onRestart?.();
  }
  throw new MeridianError("The chain reorganised again and again while its events were being read.", {
    hint: "Try again in a moment; if it keeps happening, the RPC endpoint may be serving from nodes that disagree.",
  });
}

/** The registry's events about `account` in block `block`, in log order (one `eth_getLogs`). */
async function accountLogsAt(ctx: MeridianContext, account: Address, block: bigint): Promise<RegistryEventLog[]> {
  let raw;
  try {
    raw = await ctx.publicClient.getLogs({ address: ctx.deployment.recordRegistry, fromBlock: block, toBlock: block });
  } catch (error) {
    const refusal = classifyLogRangeError(error);
    if (refusal)
      throw new LogRangeLimitError({ ...refusal, range: { fromBlock: block, toBlock: block }, cause: error });
    throw toMeridianError(error);
  }
  return parseEventLogs({ abi: recordRegistryAbi, logs: raw, strict: true }).filter(
    (l) => linkOf(l, account) !== undefined,
  );
}

/**
 * The link `log` carries in `account`'s chain: its `previousEventBlock` when the account is its
 * patient (first indexed field), its `previousGuardianEventBlock` when the account is the guardian
 * it names; for a companion event of the patient (which carries none), the log's own block, so it
 * is kept but never followed. `undefined` when the log is not about the account.
 */
function linkOf(log: RegistryEventLog, account: Address): bigint | undefined {
  const args = log.args as { patient?: Address; guardian?: Address };
  const own = args.patient !== undefined && isAddressEqual(args.patient, account);
  if (own) return "previousEventBlock" in log.args ? log.args.previousEventBlock : log.blockNumber;
  if (
    (log.eventName === "GuardianAppointed" || log.eventName === "GuardianRemoved") &&
    isAddressEqual(log.args.guardian, account)
  )
    return log.args.previousGuardianEventBlock;
  return undefined;
}

/** The block a walk reads at: its number and hash. */
async function headOf(ctx: MeridianContext, blockNumber: bigint | undefined): Promise<{ number: bigint; hash: Hash }> {
  try {
    const block = await ctx.publicClient.getBlock(blockNumber === undefined ? { blockTag: "latest" } : { blockNumber });
    return { number: block.number, hash: block.hash };
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** The hash of block `number` now (to tell whether it was reorganised away). */
async function hashAt(ctx: MeridianContext, number: bigint): Promise<Hash | undefined> {
  try {
    return (await ctx.publicClient.getBlock({ blockNumber: number })).hash;
  } catch {
    return undefined; // gone: a shorter fork replaced it
  }
}

/** Whether `log`'s patient (its first indexed field) is `patient`. */
export function isPatientEvent(log: RegistryEventLog, patient: Address): boolean {
  const own = (log.args as { patient?: Address }).patient;
  return own !== undefined && isAddressEqual(own, patient);
}

/** The logs of `logs` named `name`, typed as that event. */
export function eventsNamed<name extends RegistryEventLog["eventName"]>(
  logs: readonly RegistryEventLog[],
  name: name,
): RegistryEventLogOf<name>[] {
  return logs.filter((l): l is RegistryEventLogOf<name> => l.eventName === name);
}
