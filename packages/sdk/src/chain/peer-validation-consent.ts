/**
 * The patient's consent to peer validation: its EIP-712 typed data, signing it, and its text form
 * for handing to the record's author. Re-exported by `peer-validation.ts`.
 *
 * @module
 */
import { isAddressEqual, type Address, type Hex } from "viem";
import { MeridianError } from "../errors.ts";
import { getRecordAnchor } from "./records.ts";
import {
  contract,
  DEFAULT_VALIDATION_CONSENT_SECONDS,
  VALIDATORS,
  withMeridianErrors,
} from "./peer-validation-common.ts";
import type { MeridianContext, MeridianDeployment } from "./types.ts";

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
