/**
 * Actions on `PeerValidation` (peer validation of diagnoses), in the style of `actions.ts`: each
 * takes a {@link MeridianContext} and its parameters, simulates before it writes, waits for the
 * receipt and returns the decoded outcome. Every failure is a {@link MeridianError}; contract
 * reverts are `ContractRevertedError`s in plain words (see `errors.ts`).
 *
 * This module holds the review of a case: sharing the record's key with its validators, their
 * votes, and reading cases, statuses, submissions, assignments, key shares and votes.
 * Re-exported by `peer-validation.ts`.
 *
 * @module
 */
import { keccak256, stringToBytes, zeroHash, type Address, type Hex } from "viem";
import { peerValidationAbi } from "../generated/contracts.ts";
import { read, result, write } from "./contract.ts";
import { getLogsInRanges } from "./logs.ts";
import {
  contract,
  events,
  ValidationStatus,
  validationStatusName,
  ValidationVote,
  withMeridianErrors,
  type ValidationStatusCode,
  type ValidationStatusName,
  type ValidationVoteCode,
} from "./peer-validation-common.ts";
import type { MeridianContext, TransactionResult } from "./types.ts";

// ------------------------------------------------------------------ review

/** Low level, for `validation.ts`: emits `wrappedKeys[i]` for `validators[i]` (author only). */
export async function shareKeysOnChain(
  ctx: MeridianContext,
  p: { recordId: Hex; validators: Address[]; wrappedKeys: Hex[] },
): Promise<TransactionResult> {
  return result(
    await write(ctx, "share the record's key with its validators", {
      address: contract(ctx.deployment),
      abi: peerValidationAbi,
      functionName: "shareKeys",
      args: [p.recordId, p.validators, p.wrappedKeys],
    }),
  );
}

/**
 * Validator: votes on record `recordId`. `comment` (optional, kept off chain) is hashed with
 * keccak256 of its UTF-8 bytes; only the hash goes on chain. Reverts (`ContractRevertedError`):
 * `PeerValidationNotValidator`, `PeerValidationAlreadyVoted`, `PeerValidationDeadlinePassed`,
 * `PeerValidationAuthorCannotVote`, `PeerValidationCaseNotOpen`, `PeerValidationProviderNotActive`.
 *
 * @returns the transaction, the comment hash and the case's status after the vote.
 */
export async function castValidationVote(
  ctx: MeridianContext,
  p: { recordId: Hex; approve: boolean; comment?: string },
): Promise<TransactionResult & { commentHash: Hex; status: ValidationStatusCode }> {
  const commentHash = p.comment ? keccak256(stringToBytes(p.comment)) : zeroHash;
  const choice = p.approve ? ValidationVote.Approve : ValidationVote.Reject;
  const receipt = await write(ctx, p.approve ? "approve the diagnosis" : "reject the diagnosis", {
    address: contract(ctx.deployment),
    abi: peerValidationAbi,
    functionName: "vote",
    args: [p.recordId, choice, commentHash],
  });
  const [decided] = events(receipt, "ValidationDecided");
  return {
    ...result(receipt),
    commentHash,
    status: decided ? (decided.args.status as ValidationStatusCode) : ValidationStatus.Pending,
  };
}

// ------------------------------------------------------------------- views

/** One of a case's seats. `deadline` in Unix seconds; `validator` zero while vacant. */
export interface ValidationSeat {
  validator: Address;
  deadline: number;
  vote: ValidationVoteCode;
}

/** A record's validation case. Times in Unix seconds (0 when not set). */
export interface ValidationCaseInfo {
  recordId: Hex;
  status: ValidationStatusCode;
  statusName: ValidationStatusName;
  author: Address;
  patient: Address;
  /** keccak256 of the author's provider name. */
  authorInstitution: Hex;
  submittedAt: number;
  decidedAt: number;
  /** Block whose hash seeds the next draw (meaningful while `vacancies` > 0). */
  seedBlock: bigint;
  approvals: number;
  rejections: number;
  vacancies: number;
  /** Pool members at submission: every draw of the case samples them (see `getValidationCasePool`). */
  poolSize: number;
  /** The pool's version (joins and leaves so far) at submission. */
  poolVersion: number;
  seats: ValidationSeat[];
}

/** Reads record `recordId`'s validation case and its seats (status `None` when never submitted). */
export async function getValidationCase(ctx: MeridianContext, recordId: Hex): Promise<ValidationCaseInfo> {
  const address = contract(ctx.deployment);
  return withMeridianErrors(async () => {
    const [c, seats] = await Promise.all([
      read(ctx, { address, abi: peerValidationAbi, functionName: "getCase", args: [recordId] }),
      read(ctx, { address, abi: peerValidationAbi, functionName: "getSeats", args: [recordId] }),
    ]);
    return {
      recordId,
      status: c.status as ValidationStatusCode,
      statusName: validationStatusName(c.status),
      author: c.author,
      patient: c.patient,
      authorInstitution: c.authorInstitution,
      submittedAt: Number(c.submittedAt),
      decidedAt: Number(c.decidedAt),
      seedBlock: BigInt(c.seedBlock),
      approvals: Number(c.approvals),
      rejections: Number(c.rejections),
      vacancies: Number(c.vacancies),
      poolSize: Number(c.poolSize),
      poolVersion: Number(c.poolVersion),
      seats: seats.map((s) => ({
        validator: s.validator,
        deadline: Number(s.deadline),
        vote: s.vote as ValidationVoteCode,
      })),
    };
  });
}

/** The validation status of each record id (one `statusOf` call each), in the same order. */
export async function getValidationStatuses(
  ctx: MeridianContext,
  recordIds: readonly Hex[],
): Promise<ValidationStatusCode[]> {
  const address = contract(ctx.deployment);
  const status = async (recordId: Hex) =>
    (await read(ctx, {
      address,
      abi: peerValidationAbi,
      functionName: "statusOf",
      args: [recordId],
    })) as ValidationStatusCode;
  return Promise.all(recordIds.map(status));
}

/** Whether `account` is a seated, active validator of record `recordId` (and may read it). */
export async function isValidatorOf(ctx: MeridianContext, recordId: Hex, account: Address): Promise<boolean> {
  const address = contract(ctx.deployment);
  return read(ctx, { address, abi: peerValidationAbi, functionName: "isValidator", args: [recordId, account] });
}

/** A `ValidationSubmitted` event. */
export interface ValidationSubmission {
  recordId: Hex;
  patient: Address;
  author: Address;
  seedBlock: bigint;
  blockNumber: bigint;
}

/** Submissions, oldest first, filtered by author and/or patient (`eth_getLogs` through `getLogsInRanges`). */
export async function listValidationSubmissions(
  ctx: MeridianContext,
  filter: { author?: Address; patient?: Address } = {},
): Promise<ValidationSubmission[]> {
  const address = contract(ctx.deployment);
  const logs = await withMeridianErrors(() =>
    getLogsInRanges(ctx.publicClient, {
      fromBlock: ctx.deployment.deployedAtBlock,
      query: (range) =>
        ctx.publicClient.getContractEvents({
          address,
          abi: peerValidationAbi,
          eventName: "ValidationSubmitted",
          args: { author: filter.author, patient: filter.patient },
          strict: true,
          ...range,
        }),
    }),
  );
  return logs.map((l) => ({
    recordId: l.args.recordId,
    patient: l.args.patient,
    author: l.args.author,
    seedBlock: BigInt(l.args.seedBlock),
    blockNumber: l.blockNumber,
  }));
}

/**
 * Record ids `validator` was ever drawn for, oldest first, deduplicated (`eth_getLogs` of
 * `ValidatorChosen` through `getLogsInRanges`); check {@link isValidatorOf} or the case's seats for its current seat.
 */
export async function listValidatorAssignments(ctx: MeridianContext, validator: Address): Promise<Hex[]> {
  const address = contract(ctx.deployment);
  const logs = await withMeridianErrors(() =>
    getLogsInRanges(ctx.publicClient, {
      fromBlock: ctx.deployment.deployedAtBlock,
      query: (range) =>
        ctx.publicClient.getContractEvents({
          address,
          abi: peerValidationAbi,
          eventName: "ValidatorChosen",
          args: { validator },
          strict: true,
          ...range,
        }),
    }),
  );
  return [...new Set(logs.map((l) => l.args.recordId))];
}

/** A `ValidationKeyShared` event: the record's data key wrapped to `validator`'s key current at `blockNumber`. */
export interface ValidationKeyShare {
  recordId: Hex;
  validator: Address;
  wrappedKey: Hex;
  blockNumber: bigint;
}

/** Key shares of record `recordId`, oldest first, optionally for one validator. */
export async function listValidationKeyShares(
  ctx: MeridianContext,
  p: { recordId: Hex; validator?: Address },
): Promise<ValidationKeyShare[]> {
  const address = contract(ctx.deployment);
  const logs = await withMeridianErrors(() =>
    getLogsInRanges(ctx.publicClient, {
      fromBlock: ctx.deployment.deployedAtBlock,
      query: (range) =>
        ctx.publicClient.getContractEvents({
          address,
          abi: peerValidationAbi,
          eventName: "ValidationKeyShared",
          args: { recordId: p.recordId, validator: p.validator },
          strict: true,
          ...range,
        }),
    }),
  );
  return logs.map((l) => ({
    recordId: l.args.recordId,
    validator: l.args.validator,
    wrappedKey: l.args.wrappedKey,
    blockNumber: l.blockNumber,
  }));
}

/** A `ValidationVoteCast` event. */
export interface ValidationVoteEvent {
  recordId: Hex;
  validator: Address;
  vote: ValidationVoteCode;
  commentHash: Hex;
  blockNumber: bigint;
  transactionHash: Hex;
}

/** Votes on record `recordId`, oldest first. */
export async function listValidationVotes(ctx: MeridianContext, recordId: Hex): Promise<ValidationVoteEvent[]> {
  const address = contract(ctx.deployment);
  const logs = await withMeridianErrors(() =>
    getLogsInRanges(ctx.publicClient, {
      fromBlock: ctx.deployment.deployedAtBlock,
      query: (range) =>
        ctx.publicClient.getContractEvents({
          address,
          abi: peerValidationAbi,
          eventName: "ValidationVoteCast",
          args: { recordId },
          strict: true,
          ...range,
        }),
    }),
  );
  return logs.map((l) => ({
    recordId: l.args.recordId,
    validator: l.args.validator,
    vote: l.args.vote as ValidationVoteCode,
    commentHash: l.args.commentHash,
    blockNumber: l.blockNumber,
    transactionHash: l.transactionHash,
  }));
}
