/**
 * The errors the client-level actions (`actions/*.ts`) throw beside those of the chain
 * (`chain/errors.ts`), the crypto (`crypto/errors.ts`) and the stores (`storage/errors.ts`). Each
 * is a {@link MeridianError} with a literal `name`, a `shortMessage` saying what is wrong and a
 * `hint` saying what to do.
 *
 * @module
 */
import { MeridianError } from "../errors.ts";
import type { ChainRequestError, ContractRevertedError, UserRejectedError } from "../chain/errors.ts";
import type { WalletRequiredError } from "../chain/contract.ts";

/** The account may not read this record now (no active grant, revoked, expired, or suspended). */
export class AccessDeniedError extends MeridianError {
  override name = "AccessDeniedError" as const;
}
/** The bytes fetched for a record do not match its anchored ciphertext hash. */
export class IntegrityError extends MeridianError {
  override name = "IntegrityError" as const;
}
/** No key that this account holds opens the record (or can be shared). */
export class MissingKeyError extends MeridianError {
  override name = "MissingKeyError" as const;
}
/** The other party has not registered or published an encryption key. */
export class NotRegisteredError extends MeridianError {
  override name = "NotRegisteredError" as const;
}
/** The provider already published an encryption key; replacing it is a rotation. */
export class KeyAlreadyPublishedError extends MeridianError {
  override name = "KeyAlreadyPublishedError" as const;
}

/**
 * What any action that talks to the chain may throw: no wallet for a write, a decoded contract
 * revert, a request the wallet's user declined, or an unreachable or failing node.
 */
export type ChainErrorType = WalletRequiredError | ContractRevertedError | UserRejectedError | ChainRequestError;
