/**
 * The account a Meridian client acts as: its chain context, its blob store, its consent-code
 * ledger, and its wallet-derived keys, held in memory only. Every client-level action
 * (`actions/*.ts`) takes one as its first argument, as viem's actions take a client;
 * {@link MeridianClient} (`client.ts`) is the façade that adds one method per action.
 *
 * @module
 */
import type { Address } from "viem";
import type { UserKeys } from "./crypto/keys.ts";
import { PatientKeyring } from "./keyring.ts";
import type { BlobStore } from "./storage/types.ts";
import { WalletRequiredError } from "./chain/contract.ts";
import { listProviderKeyEvents, type ProviderKeyEvent } from "./chain/actions.ts";
import type { MeridianContext } from "./chain/types.ts";
import { deriveCheckedKeys } from "./key-check.ts";
import { createMemoryConsentCodeLedger, type ConsentCodeLedger } from "./consent-code-ledger.ts";

/** Parameters of `createMeridianClient` and of {@link MeridianAccount}. */
export interface MeridianClientParameters extends MeridianContext {
  /** Where ciphertext is stored (Helia in-process, or Kubo). */
  store: BlobStore;
  /**
   * Where the patient's consent codes are recorded (`createConsentCode`), so the write check
   * sees keys handed over off chain (`consent-code-ledger.ts`). Default: in memory, for this
   * client's life only; the CLI keeps `<data-dir>/consent-codes.json` (0600), the web app
   * `localStorage`.
   */
  consentCodes?: ConsentCodeLedger;
}

/**
 * One wallet account with its keys, store and ledger: the `client` every action in `actions/`
 * takes. Keys are derived lazily on first use with one EIP-712 signature per key version
 * (`crypto/keys.ts`) and checked against the chain (`key-check.ts`); nothing is persisted.
 *
 * @example
 * ```ts
 * const account = new MeridianAccount({ publicClient, walletClient, deployment, store });
 * const { plaintext } = await readRecord(account, { recordId });
 * ```
 */
export class MeridianAccount {
  /** The chain context: public client, wallet client (for writes) and deployment. */
  readonly ctx: MeridianContext;
  /** Where record envelopes are stored. */
  readonly store: BlobStore;
  /** This account's consent-code ledger ({@link MeridianClientParameters.consentCodes}). */
  readonly consentCodes: ConsentCodeLedger;
  #keys = new Map<number, Promise<UserKeys>>();
  #providerKeyHistory: Promise<{ events: ProviderKeyEvent[]; toBlock: bigint }> | undefined;
  #keyring: PatientKeyring | undefined;

  constructor(parameters: MeridianClientParameters) {
    const { store, consentCodes, ...ctx } = parameters;
    this.ctx = ctx;
    this.store = store;
    this.consentCodes = consentCodes ?? createMemoryConsentCodeLedger();
  }

  /** The account's address. Throws {@link WalletRequiredError} without a wallet. */
  get address(): Address {
    const account = this.ctx.walletClient?.account;
    if (!account) throw new WalletRequiredError("This action");
    return account.address;
  }

  /**
   * The account's X25519 keys number `version` (default 1, the patient key and a provider's
   * first key), derived from its EIP-712 signature (one wallet signature per version, cached for
   * the session) and checked against the chain before any use (`key-check.ts`): the derived
   * public key must equal the one registered for that number; with none registered yet the
   * wallet signs twice and both must agree. A failed check or a declined signature is not cached.
   *
   * Throws `WalletRequiredError`, `ContractAccountError` (a smart account),
   * `EncryptionKeyMismatchError` or `NonDeterministicSignerError`.
   */
  keys(version = 1): Promise<UserKeys> {
    let keys = this.#keys.get(version);
    if (!keys) {
      keys = deriveCheckedKeys(this.ctx, version);
      keys.catch(() => this.#keys.delete(version));
      this.#keys.set(version, keys);
    }
    return keys;
  }

  /**
   * The account's own key ring as a patient: its KEKs per category and key epoch (key
   * regression, `keyring.ts`), from the root secret of key version 1. Same errors as {@link keys}.
   */
  async keyring(): Promise<PatientKeyring> {
    this.#keyring ??= new PatientKeyring((await this.keys()).rootSecret);
    return this.#keyring;
  }

  /**
   * This account's keys that a key shared in block `blockNumber` was wrapped to: key version 1
   * for a patient or a provider that never rotated, else the provider key version current then
   * (from its `ProviderEncryptionKeySet` events, cached until a newer block is asked for).
   */
  async keysAtBlock(blockNumber: bigint): Promise<UserKeys> {
    let history = await this.#keyHistory(false);
    // a grant newer than the cached history may follow a rotation made elsewhere: read again
    if (blockNumber > history.toBlock) history = await this.#keyHistory(true);
    let version = 1;
    for (const e of history.events) if (e.blockNumber <= blockNumber) version = e.keyVersion;
    return this.keys(version);
  }

  /** This account's provider key events up to a known block, cached until a newer block is asked for. */
  #keyHistory(refresh: boolean): Promise<{ events: ProviderKeyEvent[]; toBlock: bigint }> {
    if (refresh || !this.#providerKeyHistory) {
      const history = (async () => {
        const toBlock = await this.ctx.publicClient.getBlockNumber();
        return { toBlock, events: await listProviderKeyEvents(this.ctx, this.address, { toBlock }) };
      })();
      history.catch(() => {
        if (this.#providerKeyHistory === history) this.#providerKeyHistory = undefined;
      });
      this.#providerKeyHistory = history;
    }
    return this.#providerKeyHistory;
  }
}
