/**
 * Guardian actions: a patient appoints and dismisses guardians (each holding the patient's KEK
 * bundle sealed to its own key), a guardian steps down, and anyone lists guardianships.
 * viem-style: `doThing(client, parameters)`.
 *
 * @module
 */
import type { Address } from "viem";
import {
  getGuardianLevel,
  listGuardianships,
  removeGuardian,
  type GuardianLevelCode,
  type Guardianship,
} from "../chain/guardians.ts";
import type { TransactionResult } from "../chain/types.ts";
import type { MeridianAccount } from "../account.ts";
import {
  reissueAfterEpochChange,
  rekeyGuardian,
  type RekeyGuardianParameters,
  type RekeyGuardianReturnType,
  type ReissuedKey,
} from "./key-epochs.ts";
import type { ChainErrorType, NotRegisteredError } from "./errors.ts";

/** Parameters of {@link addGuardian}. */
export type AddGuardianParameters = RekeyGuardianParameters;
/** The appointment transaction and the key epoch of the bundle it carries. */
export type AddGuardianReturnType = RekeyGuardianReturnType;
/** Errors {@link addGuardian} throws. */
export type AddGuardianErrorType = NotRegisteredError | ChainErrorType;

/**
 * Patient: appoints `guardian` (a registered account) at `level` (`GuardianLevel.View` or
 * `ShareAndView`), wrapping the current KEK bundle to its registered key; again to change the
 * level or re-key it.
 *
 * @throws {NotRegisteredError} when the guardian has no Meridian account.
 * @example
 * ```ts
 * await addGuardian(patient, { guardian: daughter, level: GuardianLevel.ShareAndView });
 * ```
 */
export function addGuardian(client: MeridianAccount, p: AddGuardianParameters): Promise<AddGuardianReturnType> {
  return rekeyGuardian(client, p);
}

/** Parameters of {@link dismissGuardian}. */
export interface DismissGuardianParameters {
  /** The guardian to remove. */
  guardian: Address;
}
/** The removal (with the key epoch after it) and the grants re-issued and guardians re-keyed. */
export interface DismissGuardianReturnType {
  removal: TransactionResult & { keyEpoch: number };
  reissued: ReissuedKey[];
}
/** Errors {@link dismissGuardian} throws (`RecordRegistryNotGuardian` as a `ContractRevertedError`). */
export type DismissGuardianErrorType = ChainErrorType;

/**
 * Patient: removes a guardian (advancing the key epoch), then re-issues live grants and re-keys
 * the other guardians at the new epoch.
 *
 * @example
 * ```ts
 * const { removal, reissued } = await dismissGuardian(patient, { guardian });
 * ```
 */
export async function dismissGuardian(
  client: MeridianAccount,
  p: DismissGuardianParameters,
): Promise<DismissGuardianReturnType> {
  const removal = await removeGuardian(client.ctx, { guardian: p.guardian });
  return { removal, reissued: await reissueAfterEpochChange(client) };
}

/** Parameters of {@link stepDownAsGuardian}. */
export interface StepDownAsGuardianParameters {
  /** The patient the account stops being a guardian of. */
  patient: Address;
}
/** The transaction and the patient's key epoch after it. */
export type StepDownAsGuardianReturnType = TransactionResult & { keyEpoch: number };
/** Errors {@link stepDownAsGuardian} throws. */
export type StepDownAsGuardianErrorType = ChainErrorType;

/**
 * Guardian: steps down as guardian of `patient`.
 *
 * @example
 * ```ts
 * await stepDownAsGuardian(daughter, { patient });
 * ```
 */
export function stepDownAsGuardian(
  client: MeridianAccount,
  p: StepDownAsGuardianParameters,
): Promise<StepDownAsGuardianReturnType> {
  return removeGuardian(client.ctx, { stepDownFrom: p.patient });
}

/** Parameters of {@link listGuardians}. */
export interface ListGuardiansParameters {
  /** The patient (default: the account itself). */
  patient?: Address | undefined;
}
/** The patient's guardianships (level 0 once removed). */
export type ListGuardiansReturnType = Guardianship[];
/** Errors {@link listGuardians} throws. */
export type ListGuardiansErrorType = ChainErrorType;

/**
 * The guardians of `patient` (default: the account).
 *
 * @example
 * ```ts
 * const guardians = await listGuardians(patient, {});
 * ```
 */
export function listGuardians(
  client: MeridianAccount,
  p: ListGuardiansParameters = {},
): Promise<ListGuardiansReturnType> {
  return listGuardianships(client.ctx, { patient: p.patient ?? client.address });
}

/** Parameters of {@link listWards}: none. */
export type ListWardsParameters = Record<string, never>;
/** The guardianships in which the account is the guardian. */
export type ListWardsReturnType = Guardianship[];
/** Errors {@link listWards} throws. */
export type ListWardsErrorType = ChainErrorType;

/**
 * The patients the account is a guardian of.
 *
 * @example
 * ```ts
 * for (const w of await listWards(daughter)) console.log(w.patient, w.level);
 * ```
 */
export function listWards(
  client: MeridianAccount,
  _parameters: ListWardsParameters = {},
): Promise<ListWardsReturnType> {
  return listGuardianships(client.ctx, { guardian: client.address });
}

/** Parameters of {@link getActingGuardianLevel}. */
export interface GetActingGuardianLevelParameters {
  /** The patient. */
  patient: Address;
}
/** The level (0 when not a guardian, 1 VIEW, 2 SHARE AND VIEW). */
export type GetActingGuardianLevelReturnType = GuardianLevelCode;
/** Errors {@link getActingGuardianLevel} throws. */
export type GetActingGuardianLevelErrorType = ChainErrorType;

/**
 * The level at which the account acts for `patient`.
 *
 * @example
 * ```ts
 * if ((await getActingGuardianLevel(daughter, { patient })) === GuardianLevel.ShareAndView) { … }
 * ```
 */
export function getActingGuardianLevel(
  client: MeridianAccount,
  p: GetActingGuardianLevelParameters,
): Promise<GetActingGuardianLevelReturnType> {
  return getGuardianLevel(client.ctx, p.patient, client.address);
}
