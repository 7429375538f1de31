/**
 * Turns contract reverts into {@link ContractRevertedError}s that name the custom error, its
 * arguments and what to do, instead of "execution reverted".
 *
 * @module
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  UserRejectedRequestError,
  type Abi,
  type Hex,
} from "viem";
import { MeridianError } from "../errors.ts";
import { contractErrorExplanations } from "../generated/contract-errors.ts";
import {
  meridianTimelockAbi,
  monitoringRegistryAbi,
  peerValidationAbi,
  providerRegistryAbi,
  recordRegistryAbi,
} from "../generated/contracts.ts";

/** What a contract custom error means, for the user: what happened and what to do. */
export interface ContractErrorExplanation {
  /** What happened, in plain words (the error's NatSpec `@notice`). */
  readonly message: string;
  /** What to do about it (the error's NatSpec `@custom:hint`). */
  readonly hint: string;
}

/**
 * Plain-language explanations of the custom errors the contracts inherit from OpenZeppelin
 * (AccessControl, TimelockController, ShortStrings, Errors), whose NatSpec is not ours to edit.
 */
const INHERITED_EXPLANATIONS: Readonly<Record<string, ContractErrorExplanation>> = {
  AccessControlUnauthorizedAccount: {
    message: "This account does not hold the role needed (only the regulator can do this).",
    hint: "Send the transaction from the regulator's account; on a governed network, schedule it through the timelock (`--timelock`).",
  },
  AccessControlBadConfirmation: {
    message: "An account can only renounce its own role.",
    hint: "Send the renunciation from the account that holds the role, naming that account.",
  },
  TimelockInsufficientDelay: {
    message: "The delay asked is shorter than the timelock's minimum delay.",
    hint: "Schedule with at least the timelock's minimum delay (the default).",
  },
  TimelockUnexpectedOperationState: {
    message:
      "The timelock operation is not in the state this needs (already scheduled, not ready yet, or already executed).",
    hint: "Check the operation's state; execute only after its delay.",
  },
  TimelockUnexecutedPredecessor: {
    message: "The timelock operation depends on another operation that has not been executed yet.",
    hint: "Execute the operation it depends on first, then this one.",
  },
  TimelockUnauthorizedCaller: {
    message: "Only the timelock itself can do this (for example, change its minimum delay).",
    hint: "Schedule the change as an operation of the timelock and execute it after the delay.",
  },
  TimelockInvalidOperationLength: {
    message: "The batch's targets, values and payloads do not have the same length.",
    hint: "This is a client bug; report it.",
  },
  FailedCall: {
    message: "A call the timelock executed failed: its target reverted.",
    hint: "Check the scheduled operation's target and data against the target contract's current state.",
  },
  StringTooLong: {
    message: "A name passed to the contract is longer than it accepts.",
    hint: "This is a client bug; report it.",
  },
  InvalidShortString: {
    message: "A contract name could not be read as a short string.",
    hint: "This is a contract bug; report it.",
  },
};

/**
 * The plain-language explanation of a Meridian contract custom error, with what to do: from its
 * NatSpec (`@notice`, `@custom:hint`, generated into `contract-errors.ts` by `npm run compile`), or
 * for an error inherited from OpenZeppelin from {@link INHERITED_EXPLANATIONS}.
 *
 * @param errorName The custom error's name, e.g. `"RecordRegistryGrantNotActive"`.
 * @returns `undefined` for an error no Meridian contract declares or inherits.
 */
export function explainContractError(errorName: string): ContractErrorExplanation | undefined {
  return contractErrorExplanations[errorName] ?? INHERITED_EXPLANATIONS[errorName];
}

/** A transaction or call was reverted by a Meridian contract with a custom error. */
export class ContractRevertedError extends MeridianError {
  override name = "ContractRevertedError" as const;
  /** The Solidity custom error's name, e.g. `"RecordRegistryGrantNotActive"`. */
  readonly errorName: string;
  /** The custom error's decoded arguments. */
  readonly args: readonly unknown[];

  constructor(errorName: string, args: readonly unknown[], cause?: unknown) {
    const known = explainContractError(errorName);
    const argText = args.map((a) => (typeof a === "bigint" ? a.toString() : String(a))).join(", ");
    super(known ? `${known.message} (${errorName})` : `The contract reverted with ${errorName}.`, {
      details: `${errorName}(${argText})`,
      hint: known?.hint,
      cause,
    });
    this.errorName = errorName;
    this.args = args;
  }
}

/** The chain could not be reached or refused the transaction for a reason other than a revert. */
export class ChainRequestError extends MeridianError {
  override name = "ChainRequestError" as const;
}

/** The user declined the request in their wallet (EIP-1193 error 4001). Nothing was sent. */
export class UserRejectedError extends MeridianError {
  override name = "UserRejectedError" as const;
  constructor(options: { cause?: unknown } = {}) {
    super("You declined the request in your wallet; nothing was sent.", {
      hint: "Start the action again when you are ready.",
      ...options,
    });
  }
}

/** Every custom error of every Meridian contract (and the OpenZeppelin ones they inherit), from the generated ABIs. */
const ALL_ERRORS: Abi = [
  recordRegistryAbi,
  providerRegistryAbi,
  peerValidationAbi,
  monitoringRegistryAbi,
  meridianTimelockAbi,
].flatMap((abi) => (abi as Abi).filter((item) => item.type === "error"));

/** The revert data (selector and arguments) an error carries anywhere in its cause chain, if any. */
function revertData(error: BaseError): Hex | undefined {
  let found: Hex | undefined;
  error.walk((e) => {
    const candidates = [(e as { raw?: unknown }).raw, (e as { data?: unknown }).data];
    for (const data of candidates) {
      if (typeof data === "string" && /^0x[0-9a-fA-F]{8}/.test(data)) {
        found = data as Hex;
        return true;
      }
    }
    return false;
  });
  return found;
}

/**
 * Decodes revert data with every Meridian contract's custom errors.
 *
 * @returns The error's name and arguments, or `undefined` when no generated ABI has its selector.
 */
export function decodeRevert(data: Hex): { errorName: string; args: readonly unknown[] } | undefined {
  try {
    const decoded = decodeErrorResult({ abi: ALL_ERRORS, data });
    return { errorName: decoded.errorName, args: decoded.args ?? [] };
  } catch {
    return undefined;
  }
}

/**
 * Converts anything viem throws into a {@link MeridianError}: a custom error becomes a
 * {@link ContractRevertedError} (decoded by viem, or else from its revert data with every
 * generated ABI, so no revert reaches the user as a bare selector); a request declined in the
 * wallet a {@link UserRejectedError}; other failures a {@link ChainRequestError} with viem's
 * short message.
 */
export function toMeridianError(error: unknown): MeridianError {
  if (error instanceof MeridianError) return error;
  if (error instanceof BaseError) {
    if (error.walk((e) => e instanceof UserRejectedRequestError) instanceof UserRejectedRequestError)
      return new UserRejectedError({ cause: error });
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError && revert.data?.errorName) {
      return new ContractRevertedError(revert.data.errorName, revert.data.args ?? [], error);
    }
    const data = revertData(error);
    const decoded = data === undefined ? undefined : decodeRevert(data);
    if (decoded) return new ContractRevertedError(decoded.errorName, decoded.args, error);
    return new ChainRequestError(error.shortMessage, {
      details: error.details,
      cause: error,
      hint: "Check the RPC endpoint and the account's balance.",
    });
  }
  return new ChainRequestError(error instanceof Error ? error.message : String(error), { cause: error });
}
