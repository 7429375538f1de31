/**
 * Actions on `PeerValidation` (peer validation of diagnoses), in the style of `actions.ts`: each
 * takes a {@link MeridianContext} and its parameters, simulates before it writes, waits for the
 * receipt and returns the decoded outcome. Every failure is a {@link MeridianError}; contract
 * reverts are `ContractRevertedError`s in plain words (see `errors.ts`).
 *
 * The flow (docs/peer-validation.md):
 * 1. hospitals join the validator pool ({@link joinValidatorPool}), one account per institution;
 * 2. the patient signs its consent ({@link validationConsentTypedData}, {@link signValidationConsent});
 * 3. the record's author submits it ({@link submitForValidation}): this fixes the seed block;
 * 4. anyone draws the 4 validators once the chain is past the seed block ({@link drawValidators});
 * 5. the author shares the record's data key with them (`shareValidationKeys` in `validation.ts`);
 * 6. each validator reads the record (`readRecordAsValidator`) and votes ({@link castValidationVote});
 *    3 approvals validate it, 2 rejections reject it;
 * 7. a validator silent past its deadline is replaced by anyone ({@link replaceValidator}) and the
 *    seat drawn again.
 *
 * @module
 */
import {
  isAddressEqual,
  keccak256,
  parseEventLogs,
  stringToBytes,
  zeroAddress,
  zeroHash,
  type Address,
  type ContractEventName,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { MeridianError } from "../errors.ts";
import { peerValidationAbi } from "../generated/contracts.ts";
import { read, result, write } from "./contract.ts";
import { getRecordAnchor, type RecordAnchor } from "./actions.ts";
import { toMeridianError } from "./errors.ts";
import type { MeridianContext, MeridianDeployment, TransactionResult } from "./types.ts";

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
/** Chain id of Hardhat's local development chain, where {@link drawValidators} may mine a block itself. */
const DEV_CHAIN_ID = 31337;

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

function contract(deployment: Pick<MeridianDeployment, "peerValidation">): Address {
  const address = deployment.peerValidation;
  if (!address || address === zeroAddress) throw new PeerValidationMissingError();
  return address;
}

function events<const TName extends ContractEventName<typeof peerValidationAbi>>(
  receipt: TransactionReceipt,
  eventName: TName,
) {
  return parseEventLogs({ abi: peerValidationAbi, logs: receipt.logs, eventName });
}

async function withMeridianErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toMeridianError(error);
  }
}

// -------------------------------------------------------------------- pool

/**
 * Hospital only: joins the validator pool for its institution (its registered provider name).
 * Reverts (`ContractRevertedError`): `PeerValidationNotHospital`, `PeerValidationProviderNotActive`,
 * `PeerValidationInstitutionInPool` (another account of the institution is in; prune it if inactive).
 *
 * @example
 * ```ts
 * await joinValidatorPool(hospitalCtx);
 * ```
 */
export async function joinValidatorPool(ctx: MeridianContext): Promise<TransactionResult> {
  return result(
    await write(ctx, "join the validator pool", {
      address: contract(ctx.deployment),
      abi: peerValidationAbi,
      functionName: "joinPool",
      args: [],
    }),
  );
}

/**
 * Leaves the validator pool for cases submitted from now on. Seats already held are kept, and a case
 * submitted while the caller was in the pool may still draw it (a case draws from the pool as it stood
 * at submission). Reverts: `PeerValidationNotInPool`.
 */
export async function leaveValidatorPool(ctx: MeridianContext): Promise<TransactionResult> {
  return result(
    await write(ctx, "leave the validator pool", {
      address: contract(ctx.deployment),
      abi: peerValidationAbi,
      functionName: "leavePool",
      args: [],
    }),
  );
}

/** Anyone: takes `member`, no longer an active provider, out of the pool. Reverts: `PeerValidationNotInPool`, `PeerValidationMemberActive`. */
export async function pruneValidatorPool(ctx: MeridianContext, p: { member: Address }): Promise<TransactionResult> {
  return result(
    await write(ctx, "prune the validator pool", {
      address: contract(ctx.deployment),
      abi: peerValidationAbi,
      functionName: "prune",
      args: [p.member],
    }),
  );
}

/** The pool's members, in pool order (one `poolSize` call and one `poolMemberAt` per member). */
export async function getValidatorPool(ctx: MeridianContext): Promise<Address[]> {
  const address = contract(ctx.deployment);
  return withMeridianErrors(async () => {
    const size = await read(ctx, { address, abi: peerValidationAbi, functionName: "poolSize" });
    return Promise.all(
      Array.from({ length: Number(size) }, (_, i) =>
        read(ctx, { address, abi: peerValidationAbi, functionName: "poolMemberAt", args: [BigInt(i)] }),
      ),
    );
  });
}

/**
 * The pool record `recordId`'s case draws from: the members at its submission, in their positions
 * then (one `casePoolMemberAt` call per member). Some may have left the pool since; accounts that
 * joined after submission are not in it. Reverts (`ContractRevertedError`): `PeerValidationUnknownCase`.
 *
 * @example
 * ```ts
 * const pool = await getValidationCasePool(ctx, recordId); // Address[]
 * ```
 */
export async function getValidationCasePool(ctx: MeridianContext, recordId: Hex): Promise<Address[]> {
  const address = contract(ctx.deployment);
  const memberAt = (index: bigint) =>
    read(ctx, { address, abi: peerValidationAbi, functionName: "casePoolMemberAt", args: [recordId, index] });
  return withMeridianErrors(async () => {
    const c = await read(ctx, { address, abi: peerValidationAbi, functionName: "getCase", args: [recordId] });
    if (c.status === ValidationStatus.None) await memberAt(0n); // the contract's PeerValidationUnknownCase
    return Promise.all(Array.from({ length: c.poolSize }, (_, i) => memberAt(BigInt(i))));
  });
}

/** Whether `account` is in the validator pool. */
export async function isInValidatorPool(ctx: MeridianContext, account: Address): Promise<boolean> {
  const address = contract(ctx.deployment);
  return read(ctx, { address, abi: peerValidationAbi, functionName: "isInPool", args: [account] });
}

// ----------------------------------------------------------------- consent

/** What a patient signs to let `author` submit `recordId` for validation by {@link VALIDATORS} validators. */
export interface ValidationConsent {
  recordId: Hex;
  author: Address;
  /** Unix time (seconds) until which (inclusive) the consent can be submitted. */
  deadline: number;
}

/**
 * The EIP-712 typed data of a {@link ValidationConsent} in the deployment's `PeerValidation`
 * domain ("Meridian PeerValidation", version "1"), ready for viem's `signTypedData` with the
 * patient's account. `validators` is always {@link VALIDATORS}: the patient consents to sharing
 * the record's key with that many drawn hospitals.
 */
export function validationConsentTypedData(
  deployment: Pick<MeridianDeployment, "chainId" | "peerValidation">,
  consent: ValidationConsent,
) {
  return {
    domain: {
      name: "Meridian PeerValidation",
      version: "1",
      chainId: deployment.chainId,
      verifyingContract: contract(deployment),
    },
    types: {
      ValidationConsent: [
        { name: "recordId", type: "bytes32" },
        { name: "author", type: "address" },
        { name: "validators", type: "uint8" },
        { name: "deadline", type: "uint40" },
      ],
    },
    primaryType: "ValidationConsent",
    message: { recordId: consent.recordId, author: consent.author, validators: VALIDATORS, deadline: consent.deadline },
  } as const;
}

/** A patient's signed consent, as {@link submitForValidation} takes it. */
export interface SignedValidationConsent extends ValidationConsent {
  /** The patient's signature over {@link validationConsentTypedData} (65 bytes for an EOA). */
  signature: Hex;
}

/**
 * Patient: signs its consent to `author` submitting record `recordId` for peer validation, valid
 * for `validForSeconds` (default {@link DEFAULT_VALIDATION_CONSENT_SECONDS}) from the chain's
 * latest block time. No transaction, no gas. Throws `WalletRequiredError`, `UserRejectedError`,
 * `RecordNotFoundError`, or {@link MeridianError} when the record is not the wallet's own.
 */
export async function signValidationConsent(
  ctx: MeridianContext,
  p: { recordId: Hex; author: Address; validForSeconds?: number },
): Promise<SignedValidationConsent> {
  const wallet = ctx.walletClient;
  if (!wallet)
    throw new MeridianError("Signing a validation consent needs a wallet.", { hint: "Connect the patient's wallet." });
  const anchor = await getRecordAnchor(ctx, p.recordId);
  if (!isAddressEqual(anchor.patient, wallet.account.address)) {
    throw new MeridianError("Only the record's patient can consent to its validation.", {
      details: `record ${p.recordId} is of ${anchor.patient}`,
      hint: "Sign from the patient's wallet.",
    });
  }
  const now = await withMeridianErrors(async () => Number((await ctx.publicClient.getBlock()).timestamp));
  const consent: ValidationConsent = {
    recordId: p.recordId,
    author: p.author,
    deadline: now + (p.validForSeconds ?? DEFAULT_VALIDATION_CONSENT_SECONDS),
  };
  const signature = await withMeridianErrors(() =>
    wallet.signTypedData({ ...validationConsentTypedData(ctx.deployment, consent), account: wallet.account }),
  );
  return { ...consent, signature };
}

/** A consent as text, for the patient to hand to the author: `recordId:author:deadline:signature`. */
export function encodeValidationConsent(consent: SignedValidationConsent): string {
  return `${consent.recordId}:${consent.author}:${consent.deadline}:${consent.signature}`;
}

/** Parses {@link encodeValidationConsent}'s text. Throws {@link MeridianError} when it is malformed. */
export function decodeValidationConsent(text: string): SignedValidationConsent {
  const [recordId, author, deadline, signature] = text.trim().split(":");
  if (
    !recordId ||
    !/^0x[0-9a-fA-F]{64}$/.test(recordId) ||
    !author ||
    !/^0x[0-9a-fA-F]{40}$/.test(author) ||
    !deadline ||
    !/^\d+$/.test(deadline) ||
    !signature ||
    !/^0x([0-9a-fA-F]{2})+$/.test(signature)
  ) {
    throw new MeridianError("This is not a validation consent.", {
      details: text.slice(0, 80),
      hint: "Paste the whole text the patient's `meridian validation consent` printed.",
    });
  }
  return {
    recordId: recordId as Hex,
    author: author as Address,
    deadline: Number(deadline),
    signature: signature as Hex,
  };
}

// ------------------------------------------------------------------- cases

/**
 * Author: submits record `recordId` (anchored by the wallet's account) for validation with the
 * patient's consent. Reads the record's `RecordAnchored` event for the proof of authorship.
 * Returns the block whose hash seeds the draw. Reverts (`ContractRevertedError`):
 * `PeerValidationNotAuthor`, `PeerValidationAlreadySubmitted`, `PeerValidationConsentExpired`,
 * `PeerValidationInvalidConsent`, `PeerValidationPoolTooSmall`, `PeerValidationProviderNotActive`.
 *
 * @example
 * ```ts
 * const consent = await signValidationConsent(patientCtx, { recordId, author: hospital });
 * const { seedBlock } = await submitForValidation(hospitalCtx, { consent });
 * ```
 */
export async function submitForValidation(
  ctx: MeridianContext,
  p: { consent: SignedValidationConsent; anchor?: RecordAnchor },
): Promise<TransactionResult & { seedBlock: bigint }> {
  const { recordId, deadline, signature } = p.consent;
  const anchor = p.anchor ?? (await getRecordAnchor(ctx, recordId));
  const proof = { previousHead: anchor.previousHead, ciphertextHash: anchor.ciphertextHash, cid: anchor.cid };
  const receipt = await write(ctx, "submit for validation", {
    address: contract(ctx.deployment),
    abi: peerValidationAbi,
    functionName: "submit",
    args: [recordId, proof, deadline, signature],
  });
  const [log] = events(receipt, "ValidationSubmitted");
  if (!log) throw new MeridianError(`The transaction ${receipt.transactionHash} emitted no ValidationSubmitted event.`);
  return { ...result(receipt), seedBlock: BigInt(log.args.seedBlock) };
}

/** Outcome of {@link drawValidators}. */
export interface DrawValidatorsReturnType extends TransactionResult {
  /** Validators seated by this draw (empty when the seed was renewed). */
  chosen: { validator: Address; seat: number; deadline: number }[];
  /** Set when the seed block was over 256 blocks old: a new one was fixed and nothing drawn; draw again. */
  renewedSeedBlock?: bigint;
}

/**
 * Anyone: fills the vacant seats of record `recordId`'s case from the seed block's hash. When the
 * chain is not past the seed block yet: on Hardhat's development chain (id 31337, where blocks come
 * only with transactions) mines one block with `evm_mine`; elsewhere waits up to `waitMs`
 * (default 60 s) for it, polling, then throws {@link SeedNotReadyError}. Reverts
 * (`ContractRevertedError`): `PeerValidationNothingToDraw`, `PeerValidationDrawFailed` (too few
 * eligible hospitals), `PeerValidationCaseNotOpen`, `PeerValidationUnknownCase`.
 */
export async function drawValidators(
  ctx: MeridianContext,
  p: { recordId: Hex; waitMs?: number },
): Promise<DrawValidatorsReturnType> {
  const address = contract(ctx.deployment);
  const c = await getValidationCase(ctx, p.recordId);
  if (c.status !== ValidationStatus.None && c.vacancies > 0)
    await waitForBlockAfter(ctx, c.seedBlock, p.waitMs ?? 60_000);
  const receipt = await write(ctx, "draw validators", {
    address,
    abi: peerValidationAbi,
    functionName: "draw",
    args: [p.recordId],
  });
  const [renewed] = events(receipt, "ValidationSeedRenewed");
  const chosen = events(receipt, "ValidatorChosen").map((l) => ({
    validator: l.args.validator,
    seat: Number(l.args.seat),
    deadline: Number(l.args.deadline),
  }));
  return { ...result(receipt), chosen, ...(renewed ? { renewedSeedBlock: BigInt(renewed.args.seedBlock) } : {}) };
}

async function waitForBlockAfter(ctx: MeridianContext, seedBlock: bigint, waitMs: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    const latest = await withMeridianErrors(() => ctx.publicClient.getBlockNumber({ cacheTime: 0 }));
    // the draw is simulated against the latest block (and mined in a later one): both must be
    // past the seed block, whose hash they read
    if (latest > seedBlock) return;
    if (ctx.deployment.chainId === DEV_CHAIN_ID) {
      await withMeridianErrors(() => ctx.publicClient.request({ method: "evm_mine" } as never));
      continue;
    }
    if (Date.now() - started > waitMs) throw new SeedNotReadyError(seedBlock, latest);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
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

/**
 * Anyone: frees the seat of `validator`, silent past its deadline or no longer active, and fixes a
 * new seed block; then {@link drawValidators} fills it. Reverts (`ContractRevertedError`):
 * `PeerValidationDeadlineNotPassed`, `PeerValidationAlreadyVoted`, `PeerValidationNotValidator`,
 * `PeerValidationCaseNotOpen`.
 */
export async function replaceValidator(
  ctx: MeridianContext,
  p: { recordId: Hex; validator: Address },
): Promise<TransactionResult & { seedBlock: bigint }> {
  const receipt = await write(ctx, "replace a validator", {
    address: contract(ctx.deployment),
    abi: peerValidationAbi,
    functionName: "replace",
    args: [p.recordId, p.validator],
  });
  const [log] = events(receipt, "ValidatorReplaced");
  if (!log) throw new MeridianError(`The transaction ${receipt.transactionHash} emitted no ValidatorReplaced event.`);
  return { ...result(receipt), seedBlock: BigInt(log.args.seedBlock) };
}

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

/** Submissions, oldest first, filtered by author and/or patient (one `eth_getLogs`). */
export async function listValidationSubmissions(
  ctx: MeridianContext,
  filter: { author?: Address; patient?: Address } = {},
): Promise<ValidationSubmission[]> {
  const address = contract(ctx.deployment);
  const logs = await withMeridianErrors(() =>
    ctx.publicClient.getContractEvents({
      address,
      abi: peerValidationAbi,
      eventName: "ValidationSubmitted",
      args: { author: filter.author, patient: filter.patient },
      fromBlock: ctx.deployment.deployedAtBlock,
      strict: true,
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
 * Record ids `validator` was ever drawn for, oldest first, deduplicated (one `eth_getLogs` of
 * `ValidatorChosen`); check {@link isValidatorOf} or the case's seats for its current seat.
 */
export async function listValidatorAssignments(ctx: MeridianContext, validator: Address): Promise<Hex[]> {
  const address = contract(ctx.deployment);
  const logs = await withMeridianErrors(() =>
    ctx.publicClient.getContractEvents({
      address,
      abi: peerValidationAbi,
      eventName: "ValidatorChosen",
      args: { validator },
      fromBlock: ctx.deployment.deployedAtBlock,
      strict: true,
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
    ctx.publicClient.getContractEvents({
      address,
      abi: peerValidationAbi,
      eventName: "ValidationKeyShared",
      args: { recordId: p.recordId, validator: p.validator },
      fromBlock: ctx.deployment.deployedAtBlock,
      strict: true,
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
    ctx.publicClient.getContractEvents({
      address,
      abi: peerValidationAbi,
      eventName: "ValidationVoteCast",
      args: { recordId },
      fromBlock: ctx.deployment.deployedAtBlock,
      strict: true,
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
