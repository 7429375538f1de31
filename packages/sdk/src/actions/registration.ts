/**
 * Registration actions: a patient registers its derived public key; a provider publishes and
 * rotates its encryption key. viem-style: `doThing(client, parameters)`.
 *
 * @module
 */
import { publicKeyToBytes32 } from "../crypto/keys.ts";
import { getProvider, registerPatient, setProviderEncryptionKey } from "../chain/actions.ts";
import type { TransactionResult } from "../chain/types.ts";
import type { EncryptionKeyMismatchError, NonDeterministicSignerError } from "../key-check.ts";
import type { MeridianAccount } from "../account.ts";
import { KeyAlreadyPublishedError, NotRegisteredError, type ChainErrorType } from "./errors.ts";

/** Parameters of {@link registerAsPatient}: none. */
export type RegisterAsPatientParameters = Record<string, never>;
/** The registration transaction. */
export type RegisterAsPatientReturnType = TransactionResult;
/** Errors {@link registerAsPatient} throws (`RecordRegistryAlreadyRegistered` as a `ContractRevertedError`). */
export type RegisterAsPatientErrorType = NonDeterministicSignerError | EncryptionKeyMismatchError | ChainErrorType;

/**
 * Registers `client`'s account as a patient with its derived X25519 public key (32 bytes; one
 * wallet signature derives it, `crypto/keys.ts`).
 *
 * @throws {ContractRevertedError} `RecordRegistryAlreadyRegistered` when already registered.
 * @example
 * ```ts
 * const { gasUsed } = await registerAsPatient(client, {});
 * ```
 */
export async function registerAsPatient(
  client: MeridianAccount,
  _parameters: RegisterAsPatientParameters = {},
): Promise<RegisterAsPatientReturnType> {
  return registerPatient(client.ctx, { encryptionKey: publicKeyToBytes32((await client.keys()).publicKey) });
}

/** Parameters of {@link publishProviderKey}: none. */
export type PublishProviderKeyParameters = Record<string, never>;
/** The transaction that published key version 1. */
export type PublishProviderKeyReturnType = TransactionResult;
/** Errors {@link publishProviderKey} throws. */
export type PublishProviderKeyErrorType = KeyAlreadyPublishedError | NonDeterministicSignerError | ChainErrorType;

/**
 * Publishes `client`'s provider account's first derived public key (key version 1) in the provider
 * registry.
 *
 * @throws {KeyAlreadyPublishedError} when a key is already published (use {@link rotateProviderKey}).
 * @throws {ContractRevertedError} `ProviderRegistryUnknownProvider` for an account never admitted.
 * @example
 * ```ts
 * await publishProviderKey(hospital, {});
 * ```
 */
export async function publishProviderKey(
  client: MeridianAccount,
  _parameters: PublishProviderKeyParameters = {},
): Promise<PublishProviderKeyReturnType> {
  const me = await getProvider(client.ctx, client.address);
  if (me.keyVersion > 0) {
    throw new KeyAlreadyPublishedError(`Your encryption key is already published (version ${me.keyVersion}).`, {
      hint: "To replace it, rotate it (`meridian provider rotate-key`).",
    });
  }
  return setProviderEncryptionKey(client.ctx, { encryptionKey: publicKeyToBytes32((await client.keys(1)).publicKey) });
}

/** Parameters of {@link rotateProviderKey}: none. */
export type RotateProviderKeyParameters = Record<string, never>;
/** The transaction and the new key version. */
export type RotateProviderKeyReturnType = TransactionResult & { keyVersion: number };
/** Errors {@link rotateProviderKey} throws. */
export type RotateProviderKeyErrorType = NotRegisteredError | NonDeterministicSignerError | ChainErrorType;

/**
 * Rotates `client`'s provider encryption key: derives key version `keyVersion + 1` from the
 * wallet (the same request signed twice, to check the wallet signs deterministically) and
 * publishes it. Patients wrap new grants to the new key; grants issued before stay readable,
 * because reads derive the key version each grant was wrapped to (`keysAtBlock`).
 *
 * @throws {NotRegisteredError} when no key was published yet.
 * @example
 * ```ts
 * const { keyVersion } = await rotateProviderKey(hospital, {}); // 2
 * ```
 */
export async function rotateProviderKey(
  client: MeridianAccount,
  _parameters: RotateProviderKeyParameters = {},
): Promise<RotateProviderKeyReturnType> {
  const me = await getProvider(client.ctx, client.address);
  if (me.keyVersion === 0) {
    throw new NotRegisteredError("You have no published encryption key to rotate.", {
      hint: "Publish your first key (`meridian provider publish-key`).",
    });
  }
  const keyVersion = me.keyVersion + 1;
  const encryptionKey = publicKeyToBytes32((await client.keys(keyVersion)).publicKey);
  const result = await setProviderEncryptionKey(client.ctx, { encryptionKey });
  return { ...result, keyVersion };
}
