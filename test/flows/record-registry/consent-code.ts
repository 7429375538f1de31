/**
 * One-time EIP-712 consent codes for the flows, written here from `IRecordRegistry.ConsentCode`
 * (not through the SDK's own encoder), so a digest the contract computes is checked against an
 * independent one (viem's `hashTypedData`).
 */
import assert from "node:assert/strict";
import {
  hashTypedData,
  hexToBigInt,
  keccak256,
  type Account,
  type ContractFunctionArgs,
  type Hex,
  type TypedDataDomain,
} from "viem";
import type { recordRegistryAbi } from "@meridian/sdk/chain";
import {
  alice,
  Category,
  categoryTarget,
  chainId,
  DAY,
  hospital,
  node,
  randomBytes32,
  registry,
  registryAddress,
  Scope,
  WRAPPED,
} from "./fixtures.ts";

/** `IRecordRegistry.ConsentCode`, as passed to `redeemConsentCode` (types from the generated ABI). */
export type ConsentCode = ContractFunctionArgs<typeof recordRegistryAbi, "nonpayable", "redeemConsentCode">[0];

/** The EIP-712 type the patient signs: the code without `chainId` and `registry` (they are the domain's). */
export const CONSENT_TYPES = {
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

/** The registry's EIP-712 domain on this chain. */
export function domainOf(): TypedDataDomain {
  return { name: "Meridian RecordRegistry", version: "1", chainId, verifyingContract: registryAddress };
}

/** The signed message: `code` without `chainId` and `registry`. */
export function messageOf(code: ConsentCode): Omit<ConsentCode, "chainId" | "registry"> {
  const { patient, grantee, scope, target, write, expiresAt, deadline, keyEpoch, nonce, wrappedKeyHash } = code;
  return { patient, grantee, scope, target, write, expiresAt, deadline, keyEpoch, nonce, wrappedKeyHash };
}

/** The typed data of `code` under `domain`. */
export function typedDataOf(code: ConsentCode, domain: TypedDataDomain = domainOf()) {
  return { domain, types: CONSENT_TYPES, primaryType: "ConsentCode", message: messageOf(code) } as const;
}

/** `signer` signs `code` as EIP-712 typed data (domain: this chain and registry unless given). */
export async function signCode(signer: Account, code: ConsentCode, domain: TypedDataDomain = domainOf()): Promise<Hex> {
  assert.ok(signer.signTypedData, "a local account");
  return signer.signTypedData(typedDataOf(code, domain));
}

/** viem's own EIP-712 digest of `code`. */
export function digestOf(code: ConsentCode): Hex {
  return hashTypedData(typedDataOf(code));
}

/** A consent code from alice to the hospital over her Lab category, valid for a day, unless overridden. */
export async function makeCode(overrides: Partial<ConsentCode> = {}): Promise<ConsentCode> {
  const now = await node.latestTime();
  const patient = overrides.patient ?? alice.address;
  return {
    chainId,
    registry: registryAddress,
    patient,
    grantee: hospital.address,
    scope: Scope.Category,
    target: categoryTarget(Category.Lab),
    write: false,
    expiresAt: now + 30 * DAY,
    deadline: now + DAY,
    keyEpoch: (await registry.read.getPatient([patient])).keyEpoch,
    nonce: hexToBigInt(randomBytes32()),
    wrappedKeyHash: keccak256(WRAPPED),
    ...overrides,
  };
}

/** Nothing of `code` happened: its nonce is unused and its grant was never issued. */
export async function expectNotRedeemed(code: ConsentCode): Promise<void> {
  assert.equal(await registry.read.consentNonceUsed([code.patient, code.nonce]), false);
  assert.equal((await registry.read.getGrant([code.patient, code.grantee, code.scope, code.target])).issuedAt, 0);
}
