/**
 * Deriving an account's keys from its wallet, checked against the chain (issue 14, item 5).
 *
 * Keys come from one EIP-712 signature (`crypto/keys.ts`), which is only safe when the wallet
 * signs deterministically (RFC 6979). A wallet that does not (MPC, some hardware wallets, smart
 * accounts) would silently get a new key each session and write records nothing can open. So
 * {@link deriveCheckedKeys}:
 *
 * 1. refuses an account with contract code (a smart account, or an EOA with an EIP-7702
 *    delegation): {@link ContractAccountError};
 * 2. derives the keys and compares the X25519 public key with every key the chain holds for that
 *    key number (the patient registration in `RecordRegistry` for number 1, the provider key of
 *    that version in `ProviderRegistry`): {@link EncryptionKeyMismatchError} on any difference;
 * 3. when the chain holds none yet (first registration or publication), asks for the signature a
 *    second time and refuses if the two derivations differ: {@link NonDeterministicSignerError}.
 *
 * @module
 */
import type { Address, Hex } from "viem";
import { MeridianError } from "./errors.ts";
import { deriveUserKeys, keyDerivationTypedData, type UserKeys } from "./crypto/keys.ts";
import { getPatient, getProvider, listProviderKeyEvents, WalletRequiredError } from "./chain/actions.ts";
import type { MeridianContext } from "./chain/types.ts";

/** The key this wallet derives is not the key registered on chain for this account. */
export class EncryptionKeyMismatchError extends MeridianError {
  override name = "EncryptionKeyMismatchError" as const;
}
/** The wallet gave two different key-derivation signatures for the same request. */
export class NonDeterministicSignerError extends MeridianError {
  override name = "NonDeterministicSignerError" as const;
}
/** The account has contract code; Meridian cannot derive keys for it yet. */
export class ContractAccountError extends MeridianError {
  override name = "ContractAccountError" as const;
}

/** One public key the chain holds for an account, and where. */
export interface RegisteredEncryptionKey {
  /** Where it is registered, in words (for error messages). */
  where: string;
  /** The raw 32-byte X25519 public key as `bytes32` hex. */
  encryptionKey: Hex;
}

/**
 * The X25519 public keys the chain holds for `account`'s key number `version`: its patient
 * registration (`RecordRegistry.getPatient`, key number 1 only) and its provider key of that
 * version (`ProviderRegistry.getProvider` for the current version, the `ProviderEncryptionKeySet`
 * event for an older one). Empty before the first registration or publication of that number.
 */
export async function registeredEncryptionKeys(
  ctx: MeridianContext,
  account: Address,
  version: number,
): Promise<RegisteredEncryptionKey[]> {
  const [patient, provider] = await Promise.all([
    version === 1 ? getPatient(ctx, account) : undefined,
    getProvider(ctx, account),
  ]);
  const keys: RegisteredEncryptionKey[] = [];
  if (patient?.registered) keys.push({ where: "your patient registration", encryptionKey: patient.encryptionKey });
  if (provider.keyVersion === version)
    keys.push({ where: `your published provider key (version ${version})`, encryptionKey: provider.encryptionKey });
  else if (provider.keyVersion > version) {
    const event = (await listProviderKeyEvents(ctx, account)).find((e) => e.keyVersion === version);
    if (event) keys.push({ where: `your provider key version ${version}`, encryptionKey: event.encryptionKey });
  }
  return keys;
}

/**
 * Derives the wallet account's keys number `version` (see `crypto/keys.ts`) and checks them
 * against the chain before anything uses them (see the module comment).
 *
 * @returns the keys, whose public key equals every key registered for that number.
 * @throws {WalletRequiredError} without a wallet.
 * @throws {ContractAccountError} when the account has contract code.
 * @throws {EncryptionKeyMismatchError} when the derived public key differs from a registered one.
 * @throws {NonDeterministicSignerError} when nothing is registered yet and two signatures of the
 *   same request derive different keys.
 */
export async function deriveCheckedKeys(ctx: MeridianContext, version: number): Promise<UserKeys> {
  const wallet = ctx.walletClient;
  if (!wallet) throw new WalletRequiredError("Deriving keys");
  const account = wallet.account.address;
  const [code, registered] = await Promise.all([
    ctx.publicClient.getCode({ address: account }),
    registeredEncryptionKeys(ctx, account, version),
  ]);
  if (code !== undefined && code !== "0x") {
    throw new ContractAccountError(
      "This account is a smart contract (or an EOA delegated to one): Meridian cannot derive its encryption key.",
      {
        details: account,
        hint: "Connect an ordinary wallet account (an externally owned account without a delegation); smart accounts are not supported yet.",
      },
    );
  }
  const typedData = keyDerivationTypedData({
    chainId: ctx.deployment.chainId,
    verifyingContract: ctx.deployment.recordRegistry,
    account,
    version,
  });
  const derive = async () => deriveUserKeys(await wallet.signTypedData({ ...typedData, account: wallet.account }));
  const keys = await derive();
  for (const r of registered) {
    if (r.encryptionKey.toLowerCase() !== keys.publicKey.toLowerCase()) {
      throw new EncryptionKeyMismatchError(
        `This wallet derives another encryption key than ${r.where} on chain: nothing shared with this account would open, and nothing written with it could be read.`,
        {
          details: `account ${account}, key version ${version}`,
          hint: "Use the wallet (and account) you registered with. A wallet that signs non-deterministically (MPC, some hardware wallets, smart accounts) cannot derive Meridian keys; nothing was sent or written.",
        },
      );
    }
  }
  if (registered.length === 0 && (await derive()).publicKey !== keys.publicKey) {
    throw new NonDeterministicSignerError(
      "This wallet signed the same key-derivation request twice with different signatures, so it would get a different encryption key every time.",
      {
        details: `account ${account}, key version ${version}`,
        hint: "Use a wallet that signs deterministically (RFC 6979), e.g. a software wallet such as MetaMask or a local key; MPC wallets and some hardware wallets are not supported yet. Nothing was registered.",
      },
    );
  }
  return keys;
}
