/**
 * Consent away from the provider's screen: the chain side of `IRecordRegistry`'s consent codes,
 * in the style of `actions.ts` (simulate, send, wait, decode; every failure a {@link MeridianError}).
 *
 * A **consent code** is a grant the patient signs as EIP-712 typed data ({@link consentCodeTypedData})
 * and hands to the provider as a QR code or text ({@link encodeConsentCode}); the provider submits
 * it ({@link redeemConsentCode}) and pays the gas. It works once, until its deadline.
 *
 * @module
 */
import {
  bytesToHex,
  concatHex,
  getAddress,
  hashTypedData,
  hexToBigInt,
  hexToBytes,
  hexToNumber,
  isAddressEqual,
  keccak256,
  size,
  slice,
  toHex,
  type Address,
  type Hex,
} from "viem";
import { base32 } from "multiformats/bases/base32";
import { MeridianError } from "../errors.ts";
import { recordRegistryAbi } from "../generated/contracts.ts";
import { event, read, result, write } from "./contract.ts";
import { decodeScope, encodeScope } from "./grants.ts";
import type { GrantScope, MeridianContext, TransactionResult } from "./types.ts";

/** How long a consent code can be submitted by default: 5 minutes, in seconds. */
export const DEFAULT_CONSENT_CODE_VALIDITY_SECONDS = 300;

/**
 * A one-time consent code's signed fields (`IRecordRegistry.ConsentCode`). Times are unix
 * seconds; `nonce` is a random 256-bit number; `wrappedKeyHash` is keccak256 of the wrapped key.
 */
export interface ConsentCode {
  chainId: number;
  registry: Address;
  patient: Address;
  grantee: Address;
  scope: GrantScope;
  write: boolean;
  /** When the grant stops working (0: never). */
  expiresAt: number;
  /** When the code can no longer be submitted. */
  deadline: number;
  keyEpoch: number;
  nonce: bigint;
  wrappedKeyHash: Hex;
}

/** A consent code with what travels with it: the wrapped key and the patient's signature. */
export interface SignedConsentCode {
  code: ConsentCode;
  /** The scope's key sealed to the grantee with HPKE (RFC 9180). */
  wrappedKey: Hex;
  /** The patient's signature over {@link consentCodeTypedData} (65 bytes for an EOA; any length for ERC-1271). */
  signature: Hex;
}

/** EIP-712 types of a consent code (chain id and registry are the domain's). */
export const consentCodeTypes = {
  ConsentCode: [
    { name: "patient", type: "address" },
    { name: "grantee", type: "address" },
    { name: "scope", type: "uint8" },
    { name: "target", type: "bytes32" },
    { name: "write", type: "bool" },
    { name: "expiresAt", type: "uint40" },
    { name: "deadline", type: "uint40" },
    { name: "keyEpoch", type: "uint32" },
    { name: "nonce", type: "uint256" },
    { name: "wrappedKeyHash", type: "bytes32" },
  ],
} as const;

/**
 * The EIP-712 typed data a patient signs for `code`: domain "Meridian RecordRegistry", version
 * "1", the code's chain and registry; primary type `ConsentCode`. Pass it to viem's
 * `signTypedData` / `hashTypedData` / `verifyTypedData`.
 */
export function consentCodeTypedData(code: ConsentCode) {
  const { scope, target } = encodeScope(code.scope);
  return {
    domain: { name: "Meridian RecordRegistry", version: "1", chainId: code.chainId, verifyingContract: code.registry },
    types: consentCodeTypes,
    primaryType: "ConsentCode" as const,
    message: {
      patient: code.patient,
      grantee: code.grantee,
      scope,
      target,
      write: code.write,
      expiresAt: code.expiresAt,
      deadline: code.deadline,
      keyEpoch: code.keyEpoch,
      nonce: code.nonce,
      wrappedKeyHash: code.wrappedKeyHash,
    },
  };
}

/**
 * The EIP-712 digest of `code` (what the patient signs, and what `ConsentCodeRedeemed` records),
 * computed locally (the contract has no getter for it); equals the `consentHash` of the
 * `ConsentCodeRedeemed` event (checked in packages/sdk/src/consent.test.ts).
 */
export function consentCodeHash(code: ConsentCode): Hex {
  return hashTypedData(consentCodeTypedData(code));
}

/** The `ConsentCode` tuple as `RecordRegistry.redeemConsentCode` takes it. */
export function consentCodeTuple(code: ConsentCode) {
  const { scope, target } = encodeScope(code.scope);
  return {
    chainId: BigInt(code.chainId),
    registry: code.registry,
    patient: code.patient,
    grantee: code.grantee,
    scope,
    target,
    write: code.write,
    expiresAt: code.expiresAt,
    deadline: code.deadline,
    keyEpoch: code.keyEpoch,
    nonce: code.nonce,
    wrappedKeyHash: code.wrappedKeyHash,
  };
}

/** A consent code's text could not be read: not a Meridian consent code, truncated or altered. */
export class ConsentCodeFormatError extends MeridianError {
  override name = "ConsentCodeFormatError" as const;
}

/** Prefix of a consent code's text form; all of it is in the QR alphanumeric character set. */
export const CONSENT_CODE_PREFIX = "MERIDIAN-CONSENT:1:";

/**
 * Encodes a signed consent code as text: {@link CONSENT_CODE_PREFIX} followed by upper-case
 * RFC 4648 base32 (no padding) of the fixed-width fields (chain id 8 bytes, registry, patient,
 * grantee 20 each, scope 1, target 32, write 1, expiresAt 5, deadline 5, key epoch 4, nonce 32),
 * then the wrapped key and the signature, each prefixed by its 2-byte length. The wrapped key
 * hash is not sent: it is recomputed. About 480 characters for a category grant; every
 * character is in the QR code's alphanumeric mode, so the QR code stays small.
 */
export function encodeConsentCode(signed: SignedConsentCode): string {
  const { code, wrappedKey, signature } = signed;
  const { scope, target } = encodeScope(code.scope);
  const bytes = concatHex([
    toHex(BigInt(code.chainId), { size: 8 }),
    code.registry,
    code.patient,
    code.grantee,
    toHex(scope, { size: 1 }),
    target,
    toHex(code.write ? 1 : 0, { size: 1 }),
    toHex(code.expiresAt, { size: 5 }),
    toHex(code.deadline, { size: 5 }),
    toHex(code.keyEpoch, { size: 4 }),
    toHex(code.nonce, { size: 32 }),
    toHex(size(wrappedKey), { size: 2 }),
    wrappedKey,
    toHex(size(signature), { size: 2 }),
    signature,
  ]);
  return CONSENT_CODE_PREFIX + base32.baseEncode(hexToBytes(bytes)).toUpperCase();
}

const FIXED_BYTES = 8 + 20 * 3 + 1 + 32 + 1 + 5 + 5 + 4 + 32;

/**
 * Reads a consent code's text (as {@link encodeConsentCode} writes it; case and white space do
 * not matter). Checks its shape only; {@link checkConsentCode} checks it against the chain.
 * @throws {ConsentCodeFormatError} when it is not a whole Meridian consent code.
 */
export function decodeConsentCode(text: string): SignedConsentCode {
  const compact = text.replace(/\s+/g, "").toUpperCase();
  if (!compact.startsWith(CONSENT_CODE_PREFIX)) {
    throw new ConsentCodeFormatError("This is not a Meridian consent code.", {
      hint: `A consent code starts with ${CONSENT_CODE_PREFIX}; scan the patient's QR code again or paste the whole text.`,
    });
  }
  let bytes: Hex;
  try {
    bytes = bytesToHex(base32.baseDecode(compact.slice(CONSENT_CODE_PREFIX.length).toLowerCase()));
  } catch (cause) {
    throw new ConsentCodeFormatError("The consent code contains characters that are not base32.", {
      cause,
      hint: "Paste the code again; a character was mistyped or cut off.",
    });
  }
  const truncated = () =>
    new ConsentCodeFormatError("The consent code is cut short.", {
      hint: "Paste the whole code, or scan the QR code.",
    });
  if (size(bytes) < FIXED_BYTES + 4) throw truncated();
  let at = 0;
  const take = (n: number): Hex => {
    if (at + n > size(bytes)) throw truncated();
    const part = slice(bytes, at, at + n);
    at += n;
    return part;
  };
  const chainId = Number(hexToBigInt(take(8)));
  const registry = getAddress(take(20)),
    patient = getAddress(take(20)),
    grantee = getAddress(take(20));
  const scopeCode = hexToNumber(take(1));
  const target = take(32);
  const writeFlag = hexToNumber(take(1));
  const expiresAt = hexToNumber(take(5)),
    deadline = hexToNumber(take(5)),
    keyEpoch = hexToNumber(take(4));
  const nonce = hexToBigInt(take(32));
  const wrappedKey = take(hexToNumber(take(2)));
  const signature = take(hexToNumber(take(2)));
  if (at !== size(bytes))
    throw new ConsentCodeFormatError("The consent code has extra bytes at its end.", {
      hint: "Paste exactly the code the patient's app shows.",
    });
  if (scopeCode < 1 || scopeCode > 3 || writeFlag > 1)
    throw new ConsentCodeFormatError("The consent code's scope or write flag is not valid.", {
      hint: "The code was altered; ask the patient for a new one.",
    });
  return {
    code: {
      chainId,
      registry,
      patient,
      grantee,
      scope: decodeScope(scopeCode, target),
      write: writeFlag === 1,
      expiresAt,
      deadline,
      keyEpoch,
      nonce,
      wrappedKeyHash: keccak256(wrappedKey),
    },
    wrappedKey,
    signature,
  };
}

/**
 * The short code shown beside the QR code and typed by the provider: 10 characters of
 * Crockford-free upper-case base32 (RFC 4648 alphabet) from the EIP-712 digest, grouped
 * `XXXXX-XXXXX` (50 bits). The app's relay finds the whole code by it; it also lets both people
 * check they hold the same consent.
 */
export function shortConsentCode(digest: Hex): string {
  const text = base32.baseEncode(hexToBytes(digest).subarray(0, 7)).toUpperCase().slice(0, 10);
  return `${text.slice(0, 5)}-${text.slice(5)}`;
}

/** Parameters of {@link checkConsentCode}. */
export interface CheckConsentCodeParameters {
  /** The account that will submit (must be the code's grantee). */
  submitter: Address;
  /** Current time in unix seconds (default: the latest block's timestamp). */
  now?: number;
}

/** A consent code is not valid for this chain, contract, account or time; `reason` names the check. */
export class ConsentCodeRefusedError extends MeridianError {
  override name = "ConsentCodeRefusedError" as const;
  /** Which check failed. */
  readonly reason: "wrong-chain" | "wrong-contract" | "wrong-grantee" | "expired" | "used" | "bad-signature";
  constructor(reason: ConsentCodeRefusedError["reason"], message: string, hint: string, details?: string) {
    super(message, { hint, ...(details ? { details } : {}) });
    this.reason = reason;
  }
}

/**
 * Checks a consent code against the chain before any gas is spent, in the contract's order:
 * chain, registry, grantee, deadline (block time), nonce unused, signature (EOA or ERC-1271,
 * through viem's `verifyTypedData`). Returns the EIP-712 digest.
 * @throws {ConsentCodeRefusedError} naming the failed check.
 */
export async function checkConsentCode(
  ctx: MeridianContext,
  signed: SignedConsentCode,
  p: CheckConsentCodeParameters,
): Promise<{ digest: Hex }> {
  const { code } = signed;
  if (code.chainId !== ctx.deployment.chainId)
    throw new ConsentCodeRefusedError(
      "wrong-chain",
      "This consent code was made for another network.",
      "Switch to the network the patient uses, or ask for a code made on this one.",
      `code chain ${code.chainId}, this chain ${ctx.deployment.chainId}`,
    );
  if (!isAddressEqual(code.registry, ctx.deployment.recordRegistry))
    throw new ConsentCodeRefusedError(
      "wrong-contract",
      "This consent code was made for another Meridian deployment.",
      "Ask the patient for a code made in this network's app.",
      `code registry ${code.registry}`,
    );
  if (!isAddressEqual(code.grantee, p.submitter))
    throw new ConsentCodeRefusedError(
      "wrong-grantee",
      "This consent code names another provider.",
      "Only the provider the patient chose can submit it; ask the patient to pick your address.",
      `code grantee ${code.grantee}`,
    );
  const now = p.now ?? Number((await ctx.publicClient.getBlock({ blockTag: "latest" })).timestamp);
  if (now > code.deadline)
    throw new ConsentCodeRefusedError(
      "expired",
      "This consent code has expired.",
      "Ask the patient to show a new code; codes work for a few minutes.",
      `deadline ${new Date(code.deadline * 1000).toISOString()}`,
    );
  if (await consentNonceUsed(ctx, code.patient, code.nonce))
    throw new ConsentCodeRefusedError(
      "used",
      "This consent code was already used or cancelled.",
      "A code works once; ask the patient for a new one.",
    );
  const typed = consentCodeTypedData(code);
  let valid = keccak256(signed.wrappedKey) === code.wrappedKeyHash;
  if (valid) {
    try {
      valid = await ctx.publicClient.verifyTypedData({ address: code.patient, signature: signed.signature, ...typed });
    } catch {
      valid = false;
    }
  }
  if (!valid)
    throw new ConsentCodeRefusedError(
      "bad-signature",
      "The patient's signature does not match this consent code.",
      "The code was altered or signed by another account; ask the patient for a new one.",
    );
  return { digest: consentCodeHash(code) };
}

/** Whether `patient`'s consent code with `nonce` was redeemed or cancelled. */
export async function consentNonceUsed(ctx: MeridianContext, patient: Address, nonce: bigint): Promise<boolean> {
  return read(ctx, {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "consentNonceUsed",
    args: [patient, nonce],
  });
}

/** Grantee: submits a signed consent code; the grant is issued. Reverts: see `IRecordRegistry.redeemConsentCode`. */
export async function redeemConsentCode(
  ctx: MeridianContext,
  signed: SignedConsentCode,
): Promise<TransactionResult & { grantId: Hex; consentHash: Hex }> {
  const receipt = await write(ctx, "redeem consent code", {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "redeemConsentCode",
    args: [consentCodeTuple(signed.code), signed.wrappedKey, signed.signature],
  });
  const log = event(receipt, "ConsentCodeRedeemed").args;
  return { ...result(receipt), grantId: log.grantId, consentHash: log.consentHash };
}

/** Patient: cancels an unused consent code. */
export async function cancelConsentCode(ctx: MeridianContext, nonce: bigint): Promise<TransactionResult> {
  return result(
    await write(ctx, "cancel consent code", {
      address: ctx.deployment.recordRegistry,
      abi: recordRegistryAbi,
      functionName: "cancelConsentCode",
      args: [nonce],
    }),
  );
}
