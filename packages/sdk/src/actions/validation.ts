/**
 * Peer validation at the client level: what needs the account's keys and the blob store on top
 * of the chain actions in `chain/peer-validation.ts`.
 *
 * - {@link shareValidationKeys} (the record's author): opens the record's DEK with the key the
 *   patient's write grant gave it (`authorDataKey` in `record-keys.ts`), wraps it with HPKE
 *   (RFC 9180) to each seated validator's published X25519 key, and posts the wrapped keys in one
 *   `shareKeys` transaction. The wrap is bound (HPKE `info`, `validationWrapInfo`) to the chain,
 *   the `PeerValidation` contract, the patient, the validator, the record id and its key epoch.
 * - {@link readRecordAsValidator} (a seated validator): finds the key shared with it
 *   (`validatorDataKey`), fetches the envelope (checked against CID and anchored hash) and
 *   decrypts it.
 *
 * @module
 */
import { bytesToHex, isAddressEqual, type Address, type Hex } from "viem";
import { wrapKey } from "../crypto/hpke.ts";
import { openRecord } from "../crypto/envelope.ts";
import type { DecryptionError } from "../crypto/errors.ts";
import { getProvider, getRecordAnchor, type RecordAnchor, type RecordNotFoundError } from "../chain/actions.ts";
import {
  getValidationCase,
  isValidatorOf,
  listValidationKeyShares,
  NotValidatorError,
  shareKeysOnChain,
  ValidationStatus,
} from "../chain/peer-validation.ts";
import { ProviderStatus, type TransactionResult } from "../chain/types.ts";
import type { CidMismatchError } from "../storage/errors.ts";
import type { MeridianAccount } from "../account.ts";
import { authorDataKey, validationWrapInfo, validatorDataKey } from "../record-keys.ts";
import { fetchRecordEnvelope } from "./envelopes.ts";
import { recordContext } from "./records.ts";
import {
  AccessDeniedError,
  type ChainErrorType,
  type IntegrityError,
  type MissingKeyError,
  NotRegisteredError,
} from "./errors.ts";

export { authorDataKey, validationWrapInfo } from "../record-keys.ts";

/** Parameters of {@link shareValidationKeys}. */
export interface ShareValidationKeysParameters {
  /** The record under validation. */
  recordId: Hex;
  /** Share with every seated validator again, not only those without a share. Default false. */
  all?: boolean | undefined;
}
/** Result of {@link shareValidationKeys}. */
export interface ShareValidationKeysResult {
  /** Validators the key was shared with in this call (empty when all seated validators had it). */
  sharedWith: Address[];
  /** The `shareKeys` transaction; absent when nothing was shared. */
  transaction?: TransactionResult;
}
/** Result of {@link shareValidationKeys}. */
export type ShareValidationKeysReturnType = ShareValidationKeysResult;
/** Errors {@link shareValidationKeys} throws. */
export type ShareValidationKeysErrorType = AccessDeniedError | NotRegisteredError | MissingKeyError | ChainErrorType;

/**
 * Author: shares record `recordId`'s DEK with each seated validator that has no share yet (all of
 * them with `all: true`), in one transaction. Takes `(client, { recordId, all })`, or the older
 * `(client, recordId, { all })`.
 *
 * @throws {AccessDeniedError} when the account is not the case's author or the case is not pending (voting).
 * @throws {NotRegisteredError} when a validator published no encryption key.
 * @throws {MissingKeyError} when the account's grant that covered the record was revoked.
 * @example
 * ```ts
 * await drawValidators(hospital.ctx, { recordId });
 * const { sharedWith } = await shareValidationKeys(hospital, { recordId }); // 4 validators
 * ```
 */
export async function shareValidationKeys(
  client: MeridianAccount,
  parameters: ShareValidationKeysParameters | Hex,
  options: { all?: boolean } = {},
): Promise<ShareValidationKeysReturnType> {
  const { recordId, all } = typeof parameters === "string" ? { recordId: parameters, all: options.all } : parameters;
  const c = await getValidationCase(client.ctx, recordId);
  if (!isAddressEqual(c.author, client.address)) {
    throw new AccessDeniedError("Only the record's author shares its key with the validators.", {
      details: `record ${recordId}, author ${c.author}`,
    });
  }
  if (c.status !== ValidationStatus.Pending) {
    throw new AccessDeniedError(`The validation case is ${c.statusName}: keys are shared while validators vote.`, {
      details: `record ${recordId}`,
      hint:
        c.status === ValidationStatus.Submitted
          ? "Draw the validators first (`meridian validation draw`)."
          : "The case is decided; nothing to share.",
    });
  }
  const seated = c.seats.map((s) => s.validator).filter((v) => BigInt(v) !== 0n);
  const shared = all ? [] : (await listValidationKeyShares(client.ctx, { recordId })).map((s) => s.validator);
  const missing = seated.filter((v) => !shared.some((s) => isAddressEqual(s, v)));
  if (missing.length === 0) return { sharedWith: [] };
  const anchor = await getRecordAnchor(client.ctx, recordId);
  const dek = await authorDataKey(client, anchor);
  const wrappedKeys: Hex[] = [];
  try {
    for (const validator of missing) {
      const provider = await getProvider(client.ctx, validator);
      if (BigInt(provider.encryptionKey) === 0n) {
        throw new NotRegisteredError("A validator has not published an encryption key.", {
          details: validator,
          hint: "Ask the validator to run `meridian provider publish-key`, then share again.",
        });
      }
      const info = validationWrapInfo(client.ctx.deployment, {
        patient: anchor.patient,
        validator,
        recordId,
        keyEpoch: anchor.keyEpoch,
      });
      wrappedKeys.push(bytesToHex(await wrapKey({ recipientPublicKey: provider.encryptionKey, key: dek, info })));
    }
  } finally {
    dek.fill(0);
  }
  const transaction = await shareKeysOnChain(client.ctx, { recordId, validators: missing, wrappedKeys });
  return { sharedWith: missing, transaction };
}

/** Parameters of {@link readRecordAsValidator}. */
export interface ReadRecordAsValidatorParameters {
  /** The record under validation. */
  recordId: Hex;
}
/** Result of {@link readRecordAsValidator}. */
export interface ValidatorReadResult {
  plaintext: Uint8Array;
  anchor: RecordAnchor;
  via: "validation";
}
/** Result of {@link readRecordAsValidator}. */
export type ReadRecordAsValidatorReturnType = ValidatorReadResult;
/** Errors {@link readRecordAsValidator} throws. */
export type ReadRecordAsValidatorErrorType =
  | NotValidatorError
  | MissingKeyError
  | RecordNotFoundError
  | IntegrityError
  | CidMismatchError
  | DecryptionError
  | ChainErrorType;

/**
 * Validator: reads, verifies and decrypts record `recordId` with the key its author shared for
 * validation. Takes `(client, { recordId })` or the older `(client, recordId)`.
 *
 * @throws {NotValidatorError} when the account holds no seat (never drawn, replaced, or no longer active).
 * @throws {MissingKeyError} when the author has not shared the key yet.
 * @throws {IntegrityError} / {@link CidMismatchError} when the stored bytes are not the anchored ones.
 * @example
 * ```ts
 * const { plaintext } = await readRecordAsValidator(validator, { recordId });
 * ```
 */
export async function readRecordAsValidator(
  client: MeridianAccount,
  parameters: ReadRecordAsValidatorParameters | Hex,
): Promise<ReadRecordAsValidatorReturnType> {
  const recordId = typeof parameters === "string" ? parameters : parameters.recordId;
  const me = client.address;
  const anchor = await getRecordAnchor(client.ctx, recordId);
  if (!(await isValidatorOf(client.ctx, recordId, me))) {
    const provider = await getProvider(client.ctx, me);
    const why =
      provider.status !== ProviderStatus.Active
        ? "your provider account is not active"
        : "you hold no seat in its validation case (never drawn, or replaced)";
    throw new NotValidatorError(`You may not read this record as a validator: ${why}.`, {
      details: `record ${recordId}`,
    });
  }
  const dek = await validatorDataKey(client, anchor);
  const envelope = await fetchRecordEnvelope(client, { anchor });
  const context = recordContext(client.ctx.deployment, anchor.patient, anchor.category, anchor.keyEpoch);
  try {
    return { plaintext: await openRecord({ envelope, key: { dek }, context }), anchor, via: "validation" };
  } finally {
    dek.fill(0);
  }
}
