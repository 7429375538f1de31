/**
 * Test kit: assertions on contract reverts and events, over viem and the generated ABIs.
 *
 * @module
 */
import assert from "node:assert/strict";
import { inspect } from "node:util";
import {
  BaseError,
  ContractFunctionRevertedError,
  parseEventLogs,
  type Abi,
  type ContractEventName,
  type Log,
  type ParseEventLogsReturnType,
} from "viem";

/**
 * Awaits `action` and asserts it reverted with the custom error `errorName` and, when given,
 * exactly the arguments `args` (compared with `deepStrictEqual`; addresses as checksummed
 * strings, integers as `bigint`).
 *
 * @throws {AssertionError} when `action` resolves, fails for another reason, or reverts with
 *   another error or other arguments.
 * @example
 * ```ts
 * await expectContractError(writeAsPatient(), "UnknownGrant", [grantId]);
 * ```
 */
export async function expectContractError(
  action: Promise<unknown>,
  errorName: string,
  args?: readonly unknown[],
): Promise<void> {
  let failure: unknown;
  try {
    await action;
  } catch (error) {
    failure = error;
  }
  assert.ok(failure !== undefined, `expected a revert with ${errorName}, but the call succeeded`);
  const reverted =
    failure instanceof BaseError ? failure.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
  assert.ok(
    reverted instanceof ContractFunctionRevertedError,
    `expected a revert with ${errorName}, got: ${failure instanceof Error ? failure.message : inspect(failure)}`,
  );
  assert.equal(reverted.data?.errorName ?? reverted.reason ?? reverted.signature, errorName);
  if (args !== undefined) assert.deepStrictEqual(reverted.data?.args ?? [], args);
}

/**
 * The decoded `eventName` logs of `abi` in `logs` (usually `receipt.logs`), in log order.
 *
 * @example
 * ```ts
 * const [issued] = eventsOf(receipt.logs, recordRegistryAbi, "GrantIssued");
 * ```
 */
export function eventsOf<const TAbi extends Abi, TName extends ContractEventName<TAbi>>(
  logs: readonly Log[],
  abi: TAbi,
  eventName: TName,
): ParseEventLogsReturnType<TAbi, TName> {
  return parseEventLogs({ abi, logs: [...logs], eventName });
}
