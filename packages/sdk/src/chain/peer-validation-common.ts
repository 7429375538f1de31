/**
 * What the peer-validation modules share: the protocol's constants, the status and vote codes,
 * the errors, and internal helpers over the deployment's `PeerValidation` contract. The public
 * names are re-exported by `peer-validation.ts`; the helpers are not.
 *
 * @module
 */
import { parseEventLogs, zeroAddress, type Address, type ContractEventName, type TransactionReceipt } from "viem";
import { MeridianError } from "../errors.ts";
import { peerValidationAbi } from "../generated/contracts.ts";
import { toMeridianError } from "./errors.ts";
import type { MeridianDeployment } from "./types.ts";

/** Validators per case: k = 3f + 1 (`PeerValidation.VALIDATORS`). */
export const VALIDATORS = 4;
/** Approvals that validate a record: 2f + 1. */
export const APPROVALS = 3;
/** Rejections that reject a record: f + 1 (3 approvals are then impossible). */
export const REJECTIONS = 2;
/** Seconds a drawn validator has to vote (3 days). */
export const VOTE_PERIOD_SECONDS = 3 * 86_400;
/** How long a patient's consent can be submitted by default: 7 days, in seconds. */
export const DEFAULT_VALIDATION_CONSENT_SECONDS = 7 * 86_400;
/**
 * Internal: chain id of Hardhat's local development chain, where `drawValidators`
 * (`peer-validation-pool.ts`) may mine a block itself.
 */
export const DEV_CHAIN_ID = 31337;

/** Validation statuses (`IPeerValidation.ValidationStatus`). */
export const ValidationStatus = { None: 0, Submitted: 1, Pending: 2, Validated: 3, Rejected: 4 } as const;
/** A validation status code. */
export type ValidationStatusCode = (typeof ValidationStatus)[keyof typeof ValidationStatus];
/** A validation status in words, as records show it. */
export type ValidationStatusName = "none" | "submitted" | "pending" | "validated" | "rejected";

const STATUS_NAMES: readonly ValidationStatusName[] = ["none", "submitted", "pending", "validated", "rejected"];

/** The name of a status code (`"none"` for an unknown code). */
export function validationStatusName(code: number): ValidationStatusName {
  return STATUS_NAMES[code] ?? "none";
}

/** Votes (`IPeerValidation.Vote`). */
export const ValidationVote = { None: 0, Approve: 1, Reject: 2 } as const;
/** A vote code. */
export type ValidationVoteCode = (typeof ValidationVote)[keyof typeof ValidationVote];

/** The deployment has no `PeerValidation` (it was written before the contract existed). */
export class PeerValidationMissingError extends MeridianError {
  override name = "PeerValidationMissingError" as const;
  constructor() {
    super("This deployment has no PeerValidation contract.", {
      hint: "Deploy Meridian again (`meridian deploy`), or add `peerValidation` (RecordRegistry.peerValidation()) to the deployment file.",
    });
  }
}

/** The draw needs the hash of a block the chain has not passed yet. */
export class SeedNotReadyError extends MeridianError {
  override name = "SeedNotReadyError" as const;
  constructor(seedBlock: bigint, blockNumber: bigint) {
    super(`The validators are drawn from the hash of block ${seedBlock}; the chain is at block ${blockNumber}.`, {
      hint: "Draw again once the chain is past that block (one more block is enough).",
    });
  }
}

/** The account holds no seat in the record's validation case, or no key was shared with it. */
export class NotValidatorError extends MeridianError {
  override name = "NotValidatorError" as const;
}

/** Internal: the deployment's `PeerValidation` address; throws {@link PeerValidationMissingError} when it has none. */
export function contract(deployment: Pick<MeridianDeployment, "peerValidation">): Address {
  const address = deployment.peerValidation;
  if (!address || address === zeroAddress) throw new PeerValidationMissingError();
  return address;
}

/** Internal: the `eventName` events of `PeerValidation` in `receipt`. */
export function events<const TName extends ContractEventName<typeof peerValidationAbi>>(
  receipt: TransactionReceipt,
  eventName: TName,
) {
  return parseEventLogs({ abi: peerValidationAbi, logs: receipt.logs, eventName });
}

/** Internal: runs `fn`, turning what it throws into a {@link MeridianError}. */
export async function withMeridianErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toMeridianError(error);
  }
}
