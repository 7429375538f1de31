/**
 * Consent away from the provider's screen, guardians, and emergency ("break-glass") access:
 * the chain side of `IRecordRegistry`'s consent codes, guardians and emergency access, in the
 * style of `actions.ts` (simulate, send, wait, decode; every failure a {@link MeridianError}).
 *
 * - A **consent code** is a grant the patient signs as EIP-712 typed data ({@link consentCodeTypedData})
 *   and hands to the provider as a QR code or text ({@link encodeConsentCode}); the provider submits
 *   it ({@link redeemConsentCode}) and pays the gas. It works once, until its deadline.
 * - A **guardian** acts for a patient at a level ({@link GuardianLevel}); its actions emit
 *   `GuardianActed` naming it.
 * - **Emergency access** opens a patient's emergency summary (an HL7 FHIR International Patient
 *   Summary) for a time box, with a reason code, on chain before any key is released.
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
  hexToString,
  isAddressEqual,
  keccak256,
  pad,
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
import { toMeridianError } from "./errors.ts";
import type { GrantScope, MeridianContext, TransactionResult } from "./types.ts";

// ------------------------------------------------------------ consent codes

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

// ---------------------------------------------------------------- guardians

/** Guardian levels (`IRecordRegistry.GuardianLevel`): VIEW reads; SHARE AND VIEW also grants, revokes, decides requests, releases the emergency key. */
export const GuardianLevel = { None: 0, View: 1, ShareAndView: 2 } as const;
/** A guardian level code. */
export type GuardianLevelCode = (typeof GuardianLevel)[keyof typeof GuardianLevel];

/** Patient: appoints (or re-keys) `guardian` at `level`; `wrappedKey` is the KEK bundle sealed to the guardian's registered key. */
export async function appointGuardian(
  ctx: MeridianContext,
  p: { guardian: Address; level: GuardianLevelCode; wrappedKey: Hex },
): Promise<TransactionResult & { keyEpoch: number }> {
  const receipt = await write(ctx, "appoint guardian", {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "appointGuardian",
    args: [p.guardian, p.level, p.wrappedKey],
  });
  return { ...result(receipt), keyEpoch: event(receipt, "GuardianAppointed").args.keyEpoch };
}

/** Patient: removes a guardian (advances the key epoch). Guardian: steps down (pass `stepDownFrom`). */
export async function removeGuardian(
  ctx: MeridianContext,
  p: { guardian: Address } | { stepDownFrom: Address },
): Promise<TransactionResult & { keyEpoch: number }> {
  const receipt =
    "guardian" in p
      ? await write(ctx, "remove guardian", {
          address: ctx.deployment.recordRegistry,
          abi: recordRegistryAbi,
          functionName: "removeGuardian",
          args: [p.guardian],
        })
      : await write(ctx, "step down as guardian", {
          address: ctx.deployment.recordRegistry,
          abi: recordRegistryAbi,
          functionName: "stepDownAsGuardian",
          args: [p.stepDownFrom],
        });
  return { ...result(receipt), keyEpoch: event(receipt, "GuardianRemoved").args.keyEpoch };
}

/** The level at which `guardian` acts for `patient` (0 when not a guardian). */
export async function getGuardianLevel(
  ctx: MeridianContext,
  patient: Address,
  guardian: Address,
): Promise<GuardianLevelCode> {
  const level = await read(ctx, {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "guardianLevel",
    args: [patient, guardian],
  });
  return level as GuardianLevelCode;
}

/** A guardian relation as found in `GuardianAppointed` events and current storage. */
export interface Guardianship {
  patient: Address;
  guardian: Address;
  /** Current level (0 once removed). */
  level: GuardianLevelCode;
  /** Key epoch and wrapped KEK bundle of the latest appointment. */
  keyEpoch: number;
  wrappedKey: Hex;
  blockNumber: bigint;
}

/**
 * Current guardianships, from `GuardianAppointed` events (latest per pair) checked against
 * storage: a patient's guardians (`{ patient }`) or the patients an account guards (`{ guardian }`).
 */
export async function listGuardianships(
  ctx: MeridianContext,
  filter: { patient?: Address; guardian?: Address },
): Promise<Guardianship[]> {
  try {
    const logs = await ctx.publicClient.getContractEvents({
      address: ctx.deployment.recordRegistry,
      abi: recordRegistryAbi,
      eventName: "GuardianAppointed",
      args: { patient: filter.patient, guardian: filter.guardian },
      fromBlock: ctx.deployment.deployedAtBlock,
      strict: true,
    });
    const latest = new Map<string, (typeof logs)[number]>();
    for (const l of logs) latest.set(`${l.args.patient}/${l.args.guardian}`, l);
    const out: Guardianship[] = [];
    for (const l of latest.values()) {
      const level = await getGuardianLevel(ctx, l.args.patient, l.args.guardian);
      if (level === GuardianLevel.None) continue;
      out.push({
        patient: l.args.patient,
        guardian: l.args.guardian,
        level,
        keyEpoch: l.args.keyEpoch,
        wrappedKey: l.args.wrappedKey,
        blockNumber: l.blockNumber,
      });
    }
    return out;
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** SHARE AND VIEW guardian: issues a grant for `patient`. */
export async function grantAsGuardian(
  ctx: MeridianContext,
  p: { patient: Address; grantee: Address; scope: GrantScope; write: boolean; expiresAt: number; wrappedKey: Hex },
): Promise<TransactionResult & { grantId: Hex; keyEpoch: number }> {
  const { scope, target } = encodeScope(p.scope);
  const receipt = await write(ctx, "grant as guardian", {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "grantAsGuardian",
    args: [p.patient, p.grantee, scope, target, p.write, p.expiresAt, p.wrappedKey],
  });
  const log = event(receipt, "GrantIssued").args;
  return { ...result(receipt), grantId: log.grantId, keyEpoch: log.keyEpoch };
}

/** SHARE AND VIEW guardian: revokes a grant of `patient`; returns the key epoch afterwards. */
export async function revokeAsGuardian(
  ctx: MeridianContext,
  p: { patient: Address; grantee: Address; scope: GrantScope },
): Promise<TransactionResult & { keyEpoch: number }> {
  const { scope, target } = encodeScope(p.scope);
  const receipt = await write(ctx, "revoke as guardian", {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "revokeAsGuardian",
    args: [p.patient, p.grantee, scope, target],
  });
  return { ...result(receipt), keyEpoch: event(receipt, "GrantRevoked").args.keyEpoch };
}

/** SHARE AND VIEW guardian: approves a pending request to `patient`. */
export async function approveRequestAsGuardian(
  ctx: MeridianContext,
  p: { patient: Address; requester: Address; scope: GrantScope; write: boolean; expiresAt: number; wrappedKey: Hex },
): Promise<TransactionResult & { grantId: Hex; keyEpoch: number }> {
  const { scope, target } = encodeScope(p.scope);
  const receipt = await write(ctx, "approve request as guardian", {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "approveRequestAsGuardian",
    args: [p.patient, p.requester, scope, target, p.write, p.expiresAt, p.wrappedKey],
  });
  const log = event(receipt, "GrantIssued").args;
  return { ...result(receipt), grantId: log.grantId, keyEpoch: log.keyEpoch };
}

/** SHARE AND VIEW guardian: denies a pending request to `patient`. */
export async function denyRequestAsGuardian(
  ctx: MeridianContext,
  p: { patient: Address; requester: Address; scope: GrantScope },
): Promise<TransactionResult> {
  const { scope, target } = encodeScope(p.scope);
  return result(
    await write(ctx, "deny request as guardian", {
      address: ctx.deployment.recordRegistry,
      abi: recordRegistryAbi,
      functionName: "denyRequestAsGuardian",
      args: [p.patient, p.requester, scope, target],
    }),
  );
}

// --------------------------------------------------------- emergency access

/** The longest emergency access the contract allows: 24 hours, in seconds. */
export const MAX_EMERGENCY_ACCESS_SECONDS = 24 * 60 * 60;

/** Emergency-access reason codes (HL7 v3 ActReason, purpose of use), what the UI and CLI offer. */
export const EMERGENCY_REASONS = {
  ETREAT: "Emergency treatment",
  BTG: "Break the glass",
  ERTREAT: "Emergency room treatment",
} as const;

/** Patient: names record `recordId` its emergency summary (zero hash clears it). */
export async function setEmergencySummary(ctx: MeridianContext, recordId: Hex): Promise<TransactionResult> {
  return result(
    await write(ctx, "set emergency summary", {
      address: ctx.deployment.recordRegistry,
      abi: recordRegistryAbi,
      functionName: "setEmergencySummary",
      args: [recordId],
    }),
  );
}

/** The record id of `patient`'s emergency summary, or undefined when none. */
export async function getEmergencySummary(ctx: MeridianContext, patient: Address): Promise<Hex | undefined> {
  const id = await read(ctx, {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "emergencySummaryOf",
    args: [patient],
  });
  return BigInt(id) === 0n ? undefined : id;
}

/** Encodes a reason code (1-31 printable ASCII characters, e.g. "ETREAT") as bytes32. */
export function encodeReasonCode(reason: string): Hex {
  if (!/^[\x21-\x7e]{1,31}$/.test(reason))
    throw new MeridianError("An emergency reason code is required: 1-31 printable ASCII characters without spaces.", {
      hint: `Use an HL7 v3 ActReason code such as ${Object.keys(EMERGENCY_REASONS).join(", ")}.`,
    });
  return pad(toHex(reason), { dir: "right", size: 32 });
}

/** Active provider: opens emergency access to `patient`'s emergency summary for `durationSeconds` (1..86,400). */
export async function openEmergencyAccess(
  ctx: MeridianContext,
  p: { patient: Address; reason: string; durationSeconds: number },
): Promise<TransactionResult & { recordId: Hex; expiresAt: number }> {
  const receipt = await write(ctx, "open emergency access", {
    address: ctx.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "openEmergencyAccess",
    args: [p.patient, encodeReasonCode(p.reason), p.durationSeconds],
  });
  const log = event(receipt, "EmergencyAccessOpened").args;
  return { ...result(receipt), recordId: log.recordId, expiresAt: Number(log.expiresAt) };
}

/** Patient or SHARE AND VIEW guardian: releases the emergency summary's data key, wrapped to `provider`. */
export async function releaseEmergencyKey(
  ctx: MeridianContext,
  p: { patient: Address; provider: Address; wrappedKey: Hex },
): Promise<TransactionResult> {
  return result(
    await write(ctx, "release emergency key", {
      address: ctx.deployment.recordRegistry,
      abi: recordRegistryAbi,
      functionName: "releaseEmergencyKey",
      args: [p.patient, p.provider, p.wrappedKey],
    }),
  );
}

/** Patient, guardian or the provider: ends an emergency access early. */
export async function closeEmergencyAccess(
  ctx: MeridianContext,
  p: { patient: Address; provider: Address },
): Promise<TransactionResult> {
  return result(
    await write(ctx, "close emergency access", {
      address: ctx.deployment.recordRegistry,
      abi: recordRegistryAbi,
      functionName: "closeEmergencyAccess",
      args: [p.patient, p.provider],
    }),
  );
}

/** One emergency access, from its `EmergencyAccessOpened` event and current storage. */
export interface EmergencyAccessEntry {
  patient: Address;
  provider: Address;
  /** Reason code, e.g. "ETREAT". */
  reason: string;
  /** The emergency summary record it opens. */
  recordId: Hex;
  /** Unix seconds; known for a pair's latest access (undefined for earlier ones). */
  openedAt: number | undefined;
  /** Unix seconds the access ends or ended (early when closed). */
  expiresAt: number;
  /** Open now (not past its time box, not closed). */
  active: boolean;
  /** Whether a key was released for it (and by whom). */
  releasedBy: Address | undefined;
  blockNumber: bigint;
}

/** Emergency accesses of a patient, or by a provider, newest first. */
export async function listEmergencyAccesses(
  ctx: MeridianContext,
  filter: { patient?: Address; provider?: Address },
): Promise<EmergencyAccessEntry[]> {
  try {
    const [opened, released, block] = await Promise.all([
      ctx.publicClient.getContractEvents({
        address: ctx.deployment.recordRegistry,
        abi: recordRegistryAbi,
        eventName: "EmergencyAccessOpened",
        args: { patient: filter.patient, provider: filter.provider },
        fromBlock: ctx.deployment.deployedAtBlock,
        strict: true,
      }),
      ctx.publicClient.getContractEvents({
        address: ctx.deployment.recordRegistry,
        abi: recordRegistryAbi,
        eventName: "EmergencyKeyReleased",
        args: { patient: filter.patient, provider: filter.provider },
        fromBlock: ctx.deployment.deployedAtBlock,
        strict: true,
      }),
      ctx.publicClient.getBlock({ blockTag: "latest" }),
    ]);
    const now = Number(block.timestamp);
    const out: EmergencyAccessEntry[] = [];
    const pair = (l: { args: { patient: Address; provider: Address } }) => `${l.args.patient}/${l.args.provider}`;
    const latest = new Map(opened.map((l) => [pair(l), l] as const));
    for (const l of opened) {
      // storage holds the latest access of a pair (its expiry moves when closed early)
      const current =
        latest.get(pair(l)) === l
          ? await read(ctx, {
              address: ctx.deployment.recordRegistry,
              abi: recordRegistryAbi,
              functionName: "getEmergencyAccess",
              args: [l.args.patient, l.args.provider],
            })
          : undefined;
      const expiresAt = current ? Number(current.expiresAt) : Number(l.args.expiresAt);
      const release = released.find((r) => pair(r) === pair(l) && r.blockNumber >= l.blockNumber);
      out.push({
        patient: l.args.patient,
        provider: l.args.provider,
        reason: hexToString(l.args.reason).replace(/\0+$/, ""),
        recordId: l.args.recordId,
        openedAt: current ? Number(current.openedAt) : undefined,
        expiresAt,
        active: current !== undefined && expiresAt > now,
        releasedBy: release?.args.releasedBy,
        blockNumber: l.blockNumber,
      });
    }
    return out.reverse();
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** `EmergencyKeyReleased` events to `provider` (optionally for one patient), newest first. */
export async function listEmergencyKeyReleases(
  ctx: MeridianContext,
  filter: { provider: Address; patient?: Address },
): Promise<
  { patient: Address; provider: Address; releasedBy: Address; recordId: Hex; wrappedKey: Hex; blockNumber: bigint }[]
> {
  try {
    const logs = await ctx.publicClient.getContractEvents({
      address: ctx.deployment.recordRegistry,
      abi: recordRegistryAbi,
      eventName: "EmergencyKeyReleased",
      args: { provider: filter.provider, patient: filter.patient },
      fromBlock: ctx.deployment.deployedAtBlock,
      strict: true,
    });
    return logs
      .map((l) => ({
        patient: l.args.patient,
        provider: l.args.provider,
        releasedBy: l.args.releasedBy,
        recordId: l.args.recordId,
        wrappedKey: l.args.wrappedKey,
        blockNumber: l.blockNumber,
      }))
      .reverse();
  } catch (error) {
    throw toMeridianError(error);
  }
}
