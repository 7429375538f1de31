/**
 * Meridian key derivation: an account's X25519 key pair and root secret come from one EIP-712
 * signature, so nothing needs to be stored.
 *
 * ```text
 * signature   = signTypedData(keyDerivationTypedData(...))             EIP-712; RFC 6979 deterministic
 * root bytes  = HKDF-SHA256(ikm = signature, salt = "meridian/v1/root", info = "root")   32 bytes
 * rootSecret  = root bytes imported as a non-extractable WebCrypto HKDF key (bytes zeroed)
 * x25519 IKM  = HKDF-SHA256(ikm = rootSecret, salt = "", info = "x25519")                32 bytes
 * key pair    = DeriveKeyPair(x25519 IKM)   DHKEM(X25519, HKDF-SHA256), RFC 9180 §7.1.3
 *               (private key re-imported as a non-extractable WebCrypto X25519 key)
 * ```
 *
 * The public key is what the chain holds (`RecordRegistry.register`,
 * `ProviderRegistry.setEncryptionKey`). The root secret derives the patient's key-encryption keys
 * (KEKs): per category, key regression within key generations linked by a second hash chain,
 * `keyring.ts` (`PatientKeyring`). Grants carry a record's DEK, a category's KEK (with its
 * generation link after the first generation) or the bundle of all nine, wrapped with HPKE
 * (`hpke.ts`). The `version` field numbers a provider's rotated keys; patients use 1.
 *
 * secp256k1 signatures by viem local accounts and MetaMask (`eth_signTypedData_v4`) are
 * deterministic (RFC 6979), so the same account on the same chain and contract always gets the
 * same keys. A wallet that signs otherwise gets other keys each time: `MeridianClient.keys()`
 * compares the derived public key with the one on chain and refuses a mismatch.
 *
 * @module
 */

import { bytesToHex, hexToBytes, isHex } from "viem";
import type { Address, Hex, TypedDataDefinition } from "viem";
import { DhkemX25519HkdfSha256 } from "@hpke/core";
import { InvalidPublicKeyError, InvalidSignatureError } from "./errors.ts";
import { assertAddress, assertInteger, hkdfSha256, KEY_BYTES, utf8 } from "./internal.ts";

/** Length in bytes of a raw X25519 public key (and of its on-chain `bytes32` form). */
export const PUBLIC_KEY_BYTES = 32;
/** Length in bytes of a serialized secp256k1 signature `r || s || v`. */
export const SIGNATURE_BYTES = 65;

/**
 * The fixed sentence wallets show in the `purpose` field of the key-derivation request.
 * Changing it changes every user's keys: never edit it within version 1.
 */
export const KEY_DERIVATION_PURPOSE =
  "Signing this message derives your Meridian encryption key. It costs nothing and authorises no transaction or payment. Only sign it on the Meridian app.";

/** EIP-712 `types` of the key-derivation request. */
export const keyDerivationTypes = {
  EncryptionKeyDerivation: [
    { name: "account", type: "address" },
    { name: "purpose", type: "string" },
    { name: "version", type: "uint256" },
  ],
} as const;

/** Parameters of {@link keyDerivationTypedData}. */
export interface KeyDerivationTypedDataParameters {
  /** EIP-155 chain id of the network Meridian is deployed on. */
  chainId: number;
  /** Address of the Meridian contract that acts as the EIP-712 `verifyingContract`. */
  verifyingContract: Address;
  /** The account that signs; its keys are derived from the signature. */
  account: Address;
  /**
   * Key number (integer >= 1, default 1). Patients always use 1. A provider's key number is the
   * registry's `keyVersion`: 1 for its first key, +1 per rotation, so every earlier key can be
   * derived again from the same wallet.
   */
  version?: number;
}

/** The typed data returned by {@link keyDerivationTypedData}. */
export type KeyDerivationTypedData = TypedDataDefinition<typeof keyDerivationTypes, "EncryptionKeyDerivation">;

/**
 * Builds the EIP-712 request whose signature derives an account's Meridian keys.
 *
 * Domain `{ name: "Meridian", version: "1", chainId, verifyingContract }`, primary type
 * `EncryptionKeyDerivation { address account; string purpose; uint256 version }` with
 * `purpose` = {@link KEY_DERIVATION_PURPOSE} and `version` = the key number (default 1). Each
 * version gives unrelated keys. Pass the result to viem's
 * `signTypedData` (local account or wallet client; MetaMask uses `eth_signTypedData_v4`).
 *
 * @throws {InvalidContextError} when `chainId` or `version` is not a positive integer or an address is malformed.
 * @example
 * ```ts
 * const signature = await account.signTypedData(keyDerivationTypedData({ chainId: 31337, verifyingContract, account: account.address }));
 * const keys = await deriveUserKeys(signature);
 * ```
 */
export function keyDerivationTypedData(parameters: KeyDerivationTypedDataParameters): KeyDerivationTypedData {
  const { chainId, verifyingContract, account, version = 1 } = parameters;
  assertInteger("chainId", chainId, 1);
  assertInteger("version", version, 1);
  assertAddress("verifyingContract", verifyingContract);
  assertAddress("account", account);
  return {
    domain: { name: "Meridian", version: "1", chainId, verifyingContract },
    types: keyDerivationTypes,
    primaryType: "EncryptionKeyDerivation",
    message: { account, purpose: KEY_DERIVATION_PURPOSE, version: BigInt(version) },
  };
}

/** An account's Meridian keys, derived by {@link deriveUserKeys}. Keep it in memory only. */
export interface UserKeys {
  /** Raw 32-byte X25519 public key, 0x-prefixed hex; this is what goes on chain as `bytes32`. */
  publicKey: Hex;
  /** The X25519 key pair as WebCrypto keys (private key non-extractable), used for HPKE. */
  keyPair: CryptoKeyPair;
  /**
   * The 256-bit root secret from which the KEKs are derived, as a non-extractable WebCrypto HKDF
   * key (usage `deriveBits`): code can derive from it but never read it back.
   */
  rootSecret: CryptoKey;
}

const kem = new DhkemX25519HkdfSha256();

/**
 * Derives an account's {@link UserKeys} from its key-derivation signature.
 *
 * A `v` of 0 or 1 (some wallets) is normalised to 27 or 28 first, so every wallet derives
 * the same keys from the same signature.
 *
 * @param signature 65-byte `r || s || v` signature of {@link keyDerivationTypedData}, as hex.
 * @throws {InvalidSignatureError} when the signature is not 65 bytes of hex or `v` is not 0, 1, 27 or 28.
 * @see RFC 5869 (HKDF), RFC 9180 §7.1.3 (DeriveKeyPair), EIP-712.
 */
export async function deriveUserKeys(signature: Hex): Promise<UserKeys> {
  if (typeof signature !== "string" || !isHex(signature, { strict: true })) {
    throw new InvalidSignatureError("The key-derivation signature is not 0x-prefixed hex.");
  }
  const sig = hexToBytes(signature);
  if (sig.length !== SIGNATURE_BYTES) {
    throw new InvalidSignatureError(
      `The key-derivation signature is ${sig.length} bytes; expected ${SIGNATURE_BYTES} bytes (r, s, v).`,
    );
  }
  const v = sig[64]!;
  if (v === 0 || v === 1) sig[64] = v + 27;
  else if (v !== 27 && v !== 28) {
    throw new InvalidSignatureError(
      `The key-derivation signature has recovery byte v = ${v}; expected 27 or 28 (or 0 or 1).`,
    );
  }
  const rootBytes = await hkdfSha256(sig, utf8("meridian/v1/root"), utf8("root"));
  sig.fill(0);
  const rootSecret = await crypto.subtle.importKey("raw", rootBytes, "HKDF", false, ["deriveBits"]);
  rootBytes.fill(0);
  const ikm = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: utf8("x25519") },
      rootSecret,
      8 * KEY_BYTES,
    ),
  );
  const derived = await kem.deriveKeyPair(ikm);
  ikm.fill(0);
  // @hpke/core's DeriveKeyPair returns an extractable private key: re-import it as non-extractable
  // (HPKE Open accepts it) and drop the extractable one, so it cannot be read back out of WebCrypto.
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", derived.privateKey));
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "X25519" }, false, ["deriveBits"]);
  pkcs8.fill(0);
  const keyPair: CryptoKeyPair = { publicKey: derived.publicKey, privateKey };
  const publicKey = bytesToHex(new Uint8Array(await kem.serializePublicKey(keyPair.publicKey)));
  return { publicKey, keyPair, rootSecret };
}

/** The raw 32-byte X25519 public key of `keys` (a copy). */
export function publicKeyFromUserKeys(keys: UserKeys): Uint8Array {
  return hexToBytes(keys.publicKey);
}

/**
 * Serializes a 32-byte X25519 public key to the `bytes32` hex stored on chain.
 *
 * @throws {InvalidPublicKeyError} when the key is not 32 bytes or is all zero.
 */
export function publicKeyToBytes32(publicKey: Uint8Array | Hex): Hex {
  return bytesToHex(parsePublicKey(publicKey));
}

/**
 * Parses a public key from its on-chain `bytes32` hex (or raw bytes) and checks it: 32
 * bytes, not all zero (zero is what the chain returns for an account with no key).
 *
 * @returns the raw 32-byte X25519 public key.
 * @throws {InvalidPublicKeyError} when the value is not 32 bytes or is all zero.
 */
export function parsePublicKey(value: Hex | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (value instanceof Uint8Array) bytes = new Uint8Array(value);
  else if (typeof value === "string" && isHex(value, { strict: true })) bytes = hexToBytes(value);
  else throw new InvalidPublicKeyError("The encryption public key is not 0x-prefixed hex.");
  if (bytes.length !== PUBLIC_KEY_BYTES) {
    throw new InvalidPublicKeyError(
      `The encryption public key is ${bytes.length} bytes; expected ${PUBLIC_KEY_BYTES} bytes.`,
    );
  }
  if (bytes.every((b) => b === 0))
    throw new InvalidPublicKeyError("The encryption public key is all zero (not registered).");
  return bytes;
}
