/**
 * The two ways the SDK talks to a contract: {@link read} (a typed `eth_call` of a view function)
 * and {@link write} (simulate, sign, send, wait for the receipt). Both turn whatever viem throws
 * into a {@link MeridianError}: a custom error becomes a `ContractRevertedError` naming it in
 * plain words (`toMeridianError` in `errors.ts`). Also the small helpers every write action
 * shares: {@link result} and {@link event}.
 *
 * @module
 */
import {
  parseEventLogs,
  type Abi,
  type Address,
  type ContractEventName,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
  type ReadContractParameters,
  type ReadContractReturnType,
  type TransactionReceipt,
} from "viem";
import { readContract } from "viem/actions";
import { MeridianError } from "../errors.ts";
import { recordRegistryAbi } from "../generated/contracts.ts";
import {
  toMeridianError,
  type ChainRequestError,
  type ContractRevertedError,
  type UserRejectedError,
} from "./errors.ts";
import type { MeridianContext, TransactionEvent, TransactionResult } from "./types.ts";

/** A write action was called on a context without a wallet client. */
export class WalletRequiredError extends MeridianError {
  override name = "WalletRequiredError" as const;
  constructor(action: string) {
    super(`${action} needs a wallet to sign with.`, {
      hint: "Set MERIDIAN_PRIVATE_KEY or MERIDIAN_MNEMONIC (with --account-index), or pass --dev-account N on a local chain.",
    });
  }
}

// -------------------------------------------------------------------- read

/**
 * Parameters of {@link read}: viem's `ReadContractParameters` (`address`, `abi`, `functionName`,
 * `args`, optionally `blockNumber` or `blockTag`). With a generated ABI (`recordRegistryAbi`, …)
 * `functionName` must be one of its `view`/`pure` functions and `args` are typed by it.
 */
export type ReadParameters<
  abi extends Abi | readonly unknown[] = Abi,
  functionName extends ContractFunctionName<abi, "pure" | "view"> = ContractFunctionName<abi, "pure" | "view">,
  args extends ContractFunctionArgs<abi, "pure" | "view", functionName> = ContractFunctionArgs<
    abi,
    "pure" | "view",
    functionName
  >,
> = ReadContractParameters<abi, functionName, args>;

/** What {@link read} returns: the function's outputs, decoded and typed by the ABI (a struct as an object). */
export type ReadReturnType<
  abi extends Abi | readonly unknown[] = Abi,
  functionName extends ContractFunctionName<abi, "pure" | "view"> = ContractFunctionName<abi, "pure" | "view">,
  args extends ContractFunctionArgs<abi, "pure" | "view", functionName> = ContractFunctionArgs<
    abi,
    "pure" | "view",
    functionName
  >,
> = ReadContractReturnType<abi, functionName, args>;

/**
 * Errors {@link read} throws: the contract's custom error, decoded and explained
 * ({@link ContractRevertedError}), or a failed request ({@link ChainRequestError}); never a raw
 * viem error.
 */
export type ReadErrorType = ContractRevertedError | ChainRequestError | UserRejectedError | MeridianError;

/**
 * Calls a `view` or `pure` contract function (`eth_call`, no gas, no wallet) and returns its
 * decoded outputs, typed by the ABI: `functionName` and `args` are checked and inferred as with
 * viem's `readContract`, which it wraps. A revert is turned into the SDK's typed errors the same
 * way {@link write} does.
 *
 * @throws {ContractRevertedError} when the function reverts with a custom error (named, explained).
 * @throws {ChainRequestError} when the chain cannot be reached or the call fails otherwise.
 * @example
 * ```ts
 * const { keyEpoch } = await read(ctx, {
 *   address: ctx.deployment.recordRegistry,
 *   abi: recordRegistryAbi,
 *   functionName: "getPatient",
 *   args: [patient],
 * }); // keyEpoch: number
 * ```
 */
export async function read<
  const abi extends Abi | readonly unknown[],
  functionName extends ContractFunctionName<abi, "pure" | "view">,
  const args extends ContractFunctionArgs<abi, "pure" | "view", functionName>,
>(
  ctx: Pick<MeridianContext, "publicClient">,
  parameters: ReadParameters<abi, functionName, args>,
): Promise<ReadReturnType<abi, functionName, args>> {
  try {
    // the parameters are viem's own type; TypeScript cannot relate its conditional `args` to itself
    // through a generic alias (exactOptionalPropertyTypes), so it is passed on as is
    const outputs: unknown = await readContract(ctx.publicClient, parameters as never);
    return outputs as ReadReturnType<abi, functionName, args>;
  } catch (error) {
    throw toMeridianError(error);
  }
}

// ------------------------------------------------------------------- write

/** A contract write as {@link write} takes it. */
export type WriteRequest = { address: Address; abi: Abi; functionName: string; args: readonly unknown[] };

/** Errors {@link write} throws. */
export type WriteErrorType =
  WalletRequiredError | ContractRevertedError | ChainRequestError | UserRejectedError | MeridianError;

let nextTransactionId = 1;

/**
 * Simulates, sends and waits for a contract write; returns the receipt. Reports each step to
 * `ctx.onTransaction` when set. Every failure is a {@link MeridianError} (reverts decoded by
 * `toMeridianError`).
 *
 * @param action What the write does, in words, for errors and `onTransaction` (e.g. `"grant"`).
 * @throws {WalletRequiredError} without a wallet client.
 * @throws {ContractRevertedError} when the simulation (or the sent transaction) reverts.
 * @throws {UserRejectedError} when the user declines in the wallet.
 * @throws {ChainRequestError} on any other failure.
 * @example
 * ```ts
 * const receipt = await write(ctx, "register", {
 *   address: ctx.deployment.recordRegistry, abi: recordRegistryAbi, functionName: "register", args: [key],
 * });
 * ```
 */
export async function write(ctx: MeridianContext, action: string, request: WriteRequest): Promise<TransactionReceipt> {
  const wallet = ctx.walletClient;
  if (!wallet) throw new WalletRequiredError(action);
  const id = nextTransactionId++;
  const report = (step: Omit<TransactionEvent, "id" | "action" | "at">): void => {
    try {
      ctx.onTransaction?.({ id, action, at: Date.now(), ...step });
    } catch {
      // an observer must never break a write
    }
  };
  let hash: Hex | undefined;
  try {
    report({ status: "simulating" });
    const { request: simulated } = await ctx.publicClient.simulateContract({
      ...request,
      account: wallet.account,
    } as never);
    report({ status: "signing" });
    // viem's simulateContract returns the request with the ABI cut down to the one function, so a
    // revert while sending (the chain moved on since the simulation: a later block time, another
    // transaction) could not be decoded and surfaced as a bare selector; send with the full ABI.
    hash = await wallet.writeContract({ ...(simulated as object), abi: request.abi } as never);
    report({ status: "pending", hash });
    const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") {
      throw new MeridianError(`${action}: the transaction ${hash} reverted.`, {
        hint: "Run it again to see the contract's reason.",
      });
    }
    report({ status: "confirmed", hash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber });
    return receipt;
  } catch (error) {
    const failure = toMeridianError(error);
    report({ status: "failed", ...(hash ? { hash } : {}), error: failure.shortMessage });
    throw failure;
  }
}

/** The {@link TransactionResult} of a receipt: its hash, gas used (gas units) and block number. */
export function result(receipt: TransactionReceipt): TransactionResult {
  return { hash: receipt.transactionHash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber };
}

/**
 * The first `eventName` log of `RecordRegistry` in `receipt`, decoded.
 *
 * @throws {MeridianError} when the receipt has no such log.
 */
export function event<const TName extends ContractEventName<typeof recordRegistryAbi>>(
  receipt: TransactionReceipt,
  eventName: TName,
) {
  const [log] = parseEventLogs({ abi: recordRegistryAbi, logs: receipt.logs, eventName });
  if (!log) throw new MeridianError(`The transaction ${receipt.transactionHash} emitted no ${eventName} event.`);
  return log;
}
