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
 * wallet a {@link UserRejectedError}; an `eth_getLogs` refused for its block range (any provider's
 * wording, see {@link classifyLogRangeError}) a {@link LogRangeLimitError}; other failures a
 * {@link ChainRequestError} with viem's short message.
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
    const refusal = classifyLogRangeError(error);
    if (refusal) return new LogRangeLimitError({ ...refusal, cause: error });
    return new ChainRequestError(error.shortMessage, {
      details: error.details,
      cause: error,
      hint: "Check the RPC endpoint and the account's balance.",
    });
  }
  return new ChainRequestError(error instanceof Error ? error.message : String(error), { cause: error });
}

// ------------------------------------------------------------ eth_getLogs range refusals

/** What {@link classifyLogRangeError} found in an RPC's refusal of an `eth_getLogs` block range. */
export interface LogRangeRefusalInfo {
  /**
   * The most blocks one `eth_getLogs` may span (`toBlock - fromBlock + 1`), when the refusal names
   * a cap or suggests a range; `undefined` when it only says the range is too wide.
   */
  limit: bigint | undefined;
  /** The provider's own message, as it sent it. */
  message: string;
  /** The JSON-RPC error code, when there was one (providers use -32600, -32602, -32005, -32614, -32047, …). */
  code: number | undefined;
}

/** A cap in blocks: `1000`, `10,000`, `2K`. */
const BLOCKS = String.raw`(\d[\d,]*)(k?)`;
/**
 * Refusals that name the cap, one per wording seen from providers and nodes (the test kit's
 * `LOG_RANGE_REFUSALS` has each in full).
 */
const CAP_PATTERNS: readonly RegExp[] = [
  new RegExp(String.raw`up to an? ${BLOCKS} block range`, "i"), // Alchemy ("500", "2K")
  new RegExp(String.raw`limited to an? ${BLOCKS} (?:blocks? )?range`, "i"), // QuickNode, 1RPC
  new RegExp(String.raw`max range: ${BLOCKS}`, "i"), // Cloudflare
  new RegExp(String.raw`exceeds? (?:the )?max(?:imum)? block range:? ${BLOCKS}`, "i"), // publicnode, geth, hosts
  new RegExp(String.raw`range \d+ exceeds limit of ${BLOCKS}`, "i"), // Infura's range cap
  new RegExp(String.raw`maximum \[from, to\] blocks distance: ${BLOCKS}`, "i"), // Ankr
  new RegExp(String.raw`block range is too wide \(maximum ${BLOCKS}\)`, "i"), // Frontier/Moonbeam
  new RegExp(String.raw`max block range = ${BLOCKS}`, "i"), // op-geth style hosts
  new RegExp(String.raw`limit the query to at most ${BLOCKS} blocks`, "i"), // Coinbase
  new RegExp(String.raw`ranges? over ${BLOCKS} blocks (?:are|is) not supported`, "i"), // dRPC
];
/** A range the provider suggests instead (Alchemy, Infura): `[0x…, 0x…]`. */
const SUGGESTED_RANGE = /(?:block range should work|try with this block range):? \[0x([0-9a-f]+),\s*0x([0-9a-f]+)\]/i;
/** Refusals of a range (or of its result size) that name no cap: the reader halves the range. */
const UNSIZED_PATTERNS: readonly RegExp[] = [
  /block range is too wide/i, // Ankr (older)
  /block range (?:is )?too (?:large|wide|high)/i,
  /'fromBlock'-'toBlock' range too large/i,
  /query returned more than \d+ results/i, // Infura without a suggestion
  /query exceeds max results/i,
  /log response size exceeded/i, // Alchemy (older)
  /block range limit exceeded/i, // Chainstack
  /query timeout exceeded/i, // Infura: "limit your query to a smaller number of blocks"
];

/** Every message, detail and data string in an error's cause chain, and its first JSON-RPC code. */
function errorTexts(error: unknown): { texts: string[]; code: number | undefined } {
  const texts: string[] = [];
  let code: number | undefined;
  let current: unknown = error;
  for (let depth = 0; depth < 16 && current instanceof Error; depth++) {
    const e = current as Error & { details?: unknown; shortMessage?: unknown; data?: unknown; code?: unknown };
    for (const t of [e.details, e.shortMessage, e.message]) if (typeof t === "string" && t) texts.push(t);
    if (typeof e.data === "string") texts.push(e.data);
    else if (e.data && typeof e.data === "object") {
      try {
        texts.push(JSON.stringify(e.data, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
      } catch {
        // data that does not serialise says nothing we can read
      }
    }
    if (code === undefined && typeof e.code === "number") code = e.code;
    current = e.cause;
  }
  return { texts, code };
}

const toBlocks = (digits: string, k: string | undefined): bigint => BigInt(digits.replace(/,/g, "")) * (k ? 1000n : 1n);

/**
 * Recognises an RPC's refusal of an `eth_getLogs` block range, in the wording of Alchemy, Infura,
 * QuickNode, Cloudflare, publicnode, Ankr, dRPC, Chainstack, Coinbase and geth's
 * `--rpc.rangelimit` (and nodes that copy them), through whatever viem wrapped it in.
 *
 * @returns The cap (from a suggested range when the provider gives one, else the number it
 *   names), the provider's message and code; `undefined` when `error` is not such a refusal.
 * @example
 * ```ts
 * classifyLogRangeError(e)?.limit; // 1000n for "query exceeds max block range 1000"
 * ```
 */
export function classifyLogRangeError(error: unknown): LogRangeRefusalInfo | undefined {
  const { texts, code } = errorTexts(error);
  for (const message of texts) {
    const suggested = SUGGESTED_RANGE.exec(message);
    if (suggested) {
      const from = BigInt(`0x${suggested[1]!}`);
      const to = BigInt(`0x${suggested[2]!}`);
      return { limit: to >= from ? to - from + 1n : undefined, message, code };
    }
    for (const pattern of CAP_PATTERNS) {
      const m = pattern.exec(message);
      if (m) return { limit: toBlocks(m[1]!, m[2]), message, code };
    }
    if (UNSIZED_PATTERNS.some((p) => p.test(message))) return { limit: undefined, message, code };
  }
  return undefined;
}

/** Parameters of {@link LogRangeLimitError}. */
export interface LogRangeLimitErrorParameters {
  /** The cap in blocks, when the RPC named one (0: it serves no range at all). */
  limit?: bigint | undefined;
  /** The RPC's own message. */
  message?: string | undefined;
  /** The JSON-RPC error code. */
  code?: number | undefined;
  /** The range that was refused last, inclusive. */
  range?: { fromBlock: bigint; toBlock: bigint } | undefined;
  cause?: unknown;
}

/**
 * The RPC endpoint refused an `eth_getLogs` for its block range (as hosted RPCs do past 10,000
 * blocks, or 5 to 1,000 on free plans and public endpoints), and reading in smaller ranges did
 * not help (or the query was not one the SDK reads in ranges).
 */
export class LogRangeLimitError extends MeridianError {
  override name = "LogRangeLimitError" as const;
  /** The cap in blocks per `eth_getLogs`, when the RPC named one. */
  readonly limit: bigint | undefined;

  constructor(parameters: LogRangeLimitErrorParameters = {}) {
    const { limit, message, code, range } = parameters;
    const blocks = (n: bigint) => `${n.toLocaleString("en-US")} block${n === 1n ? "" : "s"}`;
    const none = limit === 0n || (range !== undefined && range.fromBlock === range.toBlock);
    const short =
      limit === 0n
        ? "The RPC endpoint refuses every eth_getLogs query: it serves no event logs."
        : limit !== undefined
          ? `The RPC endpoint limits eth_getLogs queries to ${blocks(limit)}.`
          : "The RPC endpoint limits the block range of eth_getLogs queries and refused this one.";
    const details = [
      message ? `the endpoint said${code === undefined ? "" : ` (${code})`}: "${message}"` : undefined,
      range ? `blocks ${range.fromBlock}-${range.toBlock} were asked for` : undefined,
    ].filter(Boolean);
    super(short, {
      details: details.length > 0 ? details.join("; ") : undefined,
      hint: none
        ? "Use an RPC endpoint that serves eth_getLogs (--rpc-url, env MERIDIAN_RPC_URL)."
        : "Meridian reads events in smaller ranges on its own; if this persists, use an RPC endpoint that allows " +
          "wider eth_getLogs ranges (--rpc-url), or set the range up front with --log-range N (env MERIDIAN_LOG_RANGE).",
      cause: parameters.cause,
    });
    this.limit = limit;
  }
}
