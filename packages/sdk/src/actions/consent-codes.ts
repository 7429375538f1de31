/**
 * Consent-code actions: the patient signs a one-time EIP-712 consent code off chain (no gas),
 * the provider checks and redeems it, and the grant is issued with the consent's hash on chain.
 * viem-style: `doThing(client, parameters)`.
 *
 * @module
 */
import { bytesToHex, getAddress, keccak256, type Address, type Hex } from "viem";
import { WalletRequiredError } from "../chain/contract.ts";
import { getPatient } from "../chain/actions.ts";
import {
  checkConsentCode,
  consentCodeHash,
  consentCodeTypedData,
  decodeConsentCode,
  DEFAULT_CONSENT_CODE_VALIDITY_SECONDS,
  encodeConsentCode,
  redeemConsentCode,
  shortConsentCode,
  type ConsentCode,
  type ConsentCodeFormatError,
  type ConsentCodeRefusedError,
  type SignedConsentCode,
} from "../chain/consent-codes.ts";
import type { GrantScope, TransactionResult } from "../chain/types.ts";
import type { MeridianAccount } from "../account.ts";
import { wrapScopeKey } from "../share-keys.ts";
import { NotRegisteredError, type AccessDeniedError, type ChainErrorType } from "./errors.ts";

/** Parameters of {@link createConsentCode}. */
export interface CreateConsentCodeParameters {
  /** The provider the code is for (only it can redeem it). */
  grantee: Address;
  /** What the grant will cover. */
  scope: GrantScope;
  /** Also consent to writing (category or all). Default false. */
  write?: boolean | undefined;
  /** When the grant ends (Unix seconds); 0 or absent: no expiry. */
  expiresAt?: number | undefined;
  /** How long the code can be redeemed, in seconds after the latest block's time. Default 300. */
  validForSeconds?: number | undefined;
}

/** A consent code made by {@link createConsentCode}: what the patient's app shows. */
export interface CreateConsentCodeReturnType extends SignedConsentCode {
  /** The whole code as text (for the QR code, or to paste): `encodeConsentCode`. */
  text: string;
  /** The short code shown beside it (`shortConsentCode`), from the EIP-712 digest. */
  shortCode: string;
  /** The EIP-712 digest the patient signed (recorded on chain when redeemed). */
  digest: Hex;
}

/** Errors {@link createConsentCode} throws (and the ledger's storage error). */
export type CreateConsentCodeErrorType = NotRegisteredError | AccessDeniedError | ChainErrorType;

/**
 * Patient: makes a one-time consent code for `grantee` over `scope` (no transaction, no gas):
 * wraps the scope's key to the grantee, signs the EIP-712 `ConsentCode` with the wallet, and
 * returns it with its text form (for a QR code) and short code. A category or all-records code
 * carries the current epoch's KEK (or KEK bundle) before any grant exists, so it is recorded in
 * the client's consent-code ledger (no key material) before it is returned: if it is never
 * redeemed, the next record is sealed under a new key epoch (docs/keys.md, section 4).
 *
 * @throws {WalletRequiredError} without a wallet.
 * @throws {NotRegisteredError} when the account is not a registered patient, or the grantee published no key.
 * @throws {AccessDeniedError} when the grantee is not an active provider.
 * @example
 * ```ts
 * const { text, shortCode } = await createConsentCode(patient, { grantee: clinic, scope: { kind: "all" } });
 * ```
 */
export async function createConsentCode(
  client: MeridianAccount,
  p: CreateConsentCodeParameters,
): Promise<CreateConsentCodeReturnType> {
  const wallet = client.ctx.walletClient;
  if (!wallet) throw new WalletRequiredError("Signing a consent code");
  const me = client.address;
  const [{ keyEpoch, registered }, block] = await Promise.all([
    getPatient(client.ctx, me),
    client.ctx.publicClient.getBlock({ blockTag: "latest" }),
  ]);
  if (!registered)
    throw new NotRegisteredError("You are not registered as a patient.", {
      hint: "Register first (`meridian register`).",
    });
  const wrappedKey = await wrapScopeKey(client, { grantee: p.grantee, scope: p.scope, keyEpoch });
  const nonceBytes = crypto.getRandomValues(new Uint8Array(32));
  const code: ConsentCode = {
    chainId: client.ctx.deployment.chainId,
    registry: getAddress(client.ctx.deployment.recordRegistry),
    patient: getAddress(me),
    grantee: getAddress(p.grantee),
    scope: p.scope,
    write: p.write ?? false,
    expiresAt: p.expiresAt ?? 0,
    deadline: Number(block.timestamp) + (p.validForSeconds ?? DEFAULT_CONSENT_CODE_VALIDITY_SECONDS),
    keyEpoch,
    nonce: BigInt(bytesToHex(nonceBytes)),
    wrappedKeyHash: keccak256(wrappedKey),
  };
  const signature = await wallet.signTypedData({ ...consentCodeTypedData(code), account: wallet.account });
  if (code.scope.kind !== "record") {
    const { chainId, registry, patient, grantee, nonce, scope, deadline } = code;
    await client.consentCodes.add({ chainId, registry, patient, grantee, nonce, scope, keyEpoch, deadline });
  }
  const digest = consentCodeHash(code);
  const signed = { code, wrappedKey, signature };
  return { ...signed, text: encodeConsentCode(signed), shortCode: shortConsentCode(digest), digest };
}

/** Parameters of {@link submitConsentCode}. */
export interface SubmitConsentCodeParameters {
  /** The code as text (`encodeConsentCode`, e.g. scanned from the QR code) or decoded. */
  code: string | SignedConsentCode;
}
/** The redemption transaction, the grant's id, the consent's hash recorded on chain, and the code. */
export type SubmitConsentCodeReturnType = TransactionResult & { grantId: Hex; consentHash: Hex; code: ConsentCode };
/** Errors {@link submitConsentCode} throws. */
export type SubmitConsentCodeErrorType = ConsentCodeFormatError | ConsentCodeRefusedError | ChainErrorType;

/**
 * Provider: checks a consent code against the chain (network, contract, grantee, deadline,
 * nonce, signature), then redeems it; the grant is issued and the consent recorded with its hash.
 *
 * @throws {ConsentCodeFormatError} when the text is not a consent code.
 * @throws {ConsentCodeRefusedError} naming the failed check, before any gas is spent.
 * @example
 * ```ts
 * const { grantId } = await submitConsentCode(clinic, { code: scannedText });
 * ```
 */
export async function submitConsentCode(
  client: MeridianAccount,
  p: SubmitConsentCodeParameters,
): Promise<SubmitConsentCodeReturnType> {
  const signed = typeof p.code === "string" ? decodeConsentCode(p.code) : p.code;
  await checkConsentCode(client.ctx, signed, { submitter: client.address });
  return { ...(await redeemConsentCode(client.ctx, signed)), code: signed.code };
}
