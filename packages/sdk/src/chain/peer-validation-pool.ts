/**
 * Actions on `PeerValidation` (peer validation of diagnoses), in the style of `actions.ts`: each
 * takes a {@link MeridianContext} and its parameters, simulates before it writes, waits for the
 * receipt and returns the decoded outcome. Every failure is a {@link MeridianError}; contract
 * reverts are `ContractRevertedError`s in plain words (see `errors.ts`).
 *
 * This module holds the validator pool, submitting a record for validation, and drawing and
 * replacing its validators. Re-exported by `peer-validation.ts`.
 *
 * @module
 */
import type { Address, Hex } from "viem";
import { MeridianError } from "../errors.ts";
import { peerValidationAbi } from "../generated/contracts.ts";
import { read, result, write } from "./contract.ts";
import { getRecordAnchor, type RecordAnchor } from "./records.ts";
import {
  contract,
  DEV_CHAIN_ID,
  events,
  SeedNotReadyError,
  ValidationStatus,
  withMeridianErrors,
} from "./peer-validation-common.ts";
import type { SignedValidationConsent } from "./peer-validation-consent.ts";
import { getValidationCase } from "./peer-validation-review.ts";
import type { MeridianContext, TransactionResult } from "./types.ts";

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
