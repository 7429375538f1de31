/**
 * The Meridian client: what a patient's or provider's app does, over the chain actions, the
 * envelope crypto and a blob store. It holds the account's wallet-derived keys in memory only.
 *
 * - {@link MeridianClient.addRecord}: encrypt (AES-256-GCM under a fresh DEK, wrapped by the
 *   category KEK), store on IPFS, anchor on chain.
 * - {@link MeridianClient.readRecord}: find the anchor, check access, fetch by CID, check the
 *   SHA-256 against the anchor, unwrap the right key, decrypt.
 * - {@link MeridianClient.grant} / {@link MeridianClient.revoke}: share a DEK or KEK with HPKE
 *   (RFC 9180); revocation advances the key epoch and re-issues the patient's other live grants.
 *
 * @module
 */
import { bytesToHex, hexToBytes, type Address, type Hex } from "viem";
import { CID } from "multiformats/cid";
import { MeridianError } from "./errors.ts";
import { categoryName, type RecordCategory } from "./categories.ts";
import { PatientKeyring, regressKek, kekFromBundle } from "./keyring.ts";
import { deriveUserKeys, keyDerivationTypedData, publicKeyToBytes32, type UserKeys } from "./crypto/keys.ts";
import { unwrapKey, wrapInfo, wrapKey } from "./crypto/hpke.ts";
import { encryptRecord, openRecord, unwrapDek, type EnvelopeContext } from "./crypto/envelope.ts";
import { ciphertextHash, ciphertextHashFromPieceDigests } from "./crypto/ciphertext-hash.ts";
import type { BlobStore } from "./storage/types.ts";
import {
  anchorRecord, approveRequest, canRead, canWrite, denyRequest, encodeScope, getAuditTrail, getGrant, getPatient, getProvider,
  getRecordAnchor, issueGrant, listGrantEvents, listPendingRequests, listProviderKeyEvents, listRecordAnchors, registerPatient, requestAccess,
  revokeGrant, setProviderEncryptionKey, verifyPatientChain, WalletRequiredError,
  type AuditEntry, type ChainVerification, type GrantEvent, type PendingRequest, type ProviderKeyEvent, type RecordAnchor,
} from "./chain/actions.ts";
import { ProviderStatus, type GrantScope, type MeridianContext, type TransactionResult } from "./chain/types.ts";

/** Multicodec codes of a raw block and of SHA-256 (a raw CID's digest is the block's SHA-256). */
const RAW_CODE = 0x55;
const SHA2_256_CODE = 0x12;

/** The account may not read this record now (no active grant, revoked, expired, or suspended). */
export class AccessDeniedError extends MeridianError {
  override name = "AccessDeniedError" as const;
}
/** The bytes fetched for a record do not match its anchored ciphertext hash. */
export class IntegrityError extends MeridianError {
  override name = "IntegrityError" as const;
}
/** No key that this account holds opens the record (or can be shared). */
export class MissingKeyError extends MeridianError {
  override name = "MissingKeyError" as const;
}
/** The other party has not registered or published an encryption key. */
export class NotRegisteredError extends MeridianError {
  override name = "NotRegisteredError" as const;
}
/** The provider already published an encryption key; replacing it is a rotation. */
export class KeyAlreadyPublishedError extends MeridianError {
  override name = "KeyAlreadyPublishedError" as const;
}

/** Parameters of {@link createMeridianClient}. */
export interface MeridianClientParameters extends MeridianContext {
  /** Where ciphertext is stored (Helia in-process, or Kubo). */
  store: BlobStore;
}

/** Stages of {@link MeridianClient.addRecord}, reported through `onStage`. */
export type AddRecordStage = "encrypt" | "store" | "anchor" | "confirmed";

/** Result of {@link MeridianClient.addRecord}. */
export interface AddRecordResult {
  recordId: Hex;
  /** CID of the envelope (string form). */
  cid: string;
  ciphertextHash: Hex;
  /** Plaintext size in bytes. */
  bytes: number;
  /** Envelope size in bytes. */
  envelopeBytes: number;
  gasUsed: bigint;
  /** Milliseconds spent encrypting, storing, and anchoring (until the receipt). */
  timings: { encryptMs: number; storeMs: number; anchorMs: number };
}

/** Result of {@link MeridianClient.readRecord}. */
export interface ReadRecordResult {
  plaintext: Uint8Array;
  anchor: RecordAnchor;
  /** Which key opened it. */
  via: "patient" | "record-grant" | "category-grant" | "all-grant";
}

/**
 * Creates a client for the wallet's account. Keys are derived lazily on first use with one
 * EIP-712 signature (see `crypto/keys.ts`).
 *
 * @example
 * ```ts
 * const patient = createMeridianClient({ publicClient, walletClient, deployment, store });
 * await patient.registerAsPatient();
 * const { recordId } = await patient.addRecord({ plaintext, category: RecordCategory.Lab });
 * ```
 */
export function createMeridianClient(parameters: MeridianClientParameters): MeridianClient {
  return new MeridianClient(parameters);
}

/** See {@link createMeridianClient}. */
export class MeridianClient {
  readonly ctx: MeridianContext;
  readonly store: BlobStore;
  #keys = new Map<number, Promise<UserKeys>>();
  #providerKeyHistory: Promise<{ events: ProviderKeyEvent[]; toBlock: bigint }> | undefined;
  #keyring: PatientKeyring | undefined;

  constructor(parameters: MeridianClientParameters) {
    const { store, ...ctx } = parameters;
    this.ctx = ctx;
    this.store = store;
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
   * the session). A failed or declined signature is not cached.
   */
  keys(version = 1): Promise<UserKeys> {
    let keys = this.#keys.get(version);
    if (!keys) {
      keys = (async () => {
        const wallet = this.ctx.walletClient;
        if (!wallet) throw new WalletRequiredError("Deriving keys");
        const typedData = keyDerivationTypedData({ chainId: this.ctx.deployment.chainId, verifyingContract: this.ctx.deployment.recordRegistry, account: wallet.account.address, version });
        const signature = await wallet.signTypedData({ ...typedData, account: wallet.account } as never);
        return deriveUserKeys(signature);
      })();
      keys.catch(() => this.#keys.delete(version));
      this.#keys.set(version, keys);
    }
    return keys;
  }

  async #ring(): Promise<PatientKeyring> {
    this.#keyring ??= new PatientKeyring((await this.keys()).rootSecret);
    return this.#keyring;
  }

  /** Registers this account as a patient with its derived public key. */
  async registerAsPatient(): Promise<TransactionResult> {
    return registerPatient(this.ctx, { encryptionKey: publicKeyToBytes32((await this.keys()).publicKey) });
  }

  /**
   * Publishes this provider account's first derived public key (key version 1) in the provider
   * registry. Throws {@link KeyAlreadyPublishedError} when a key is already
   * published (use {@link rotateProviderKey}), or `ContractRevertedError`.
   */
  async publishProviderKey(): Promise<TransactionResult> {
    const me = await getProvider(this.ctx, this.address);
    if (me.keyVersion > 0) throw new KeyAlreadyPublishedError(`Your encryption key is already published (version ${me.keyVersion}).`, { hint: "To replace it, rotate it (`meridian provider rotate-key`)." });
    return setProviderEncryptionKey(this.ctx, { encryptionKey: publicKeyToBytes32((await this.keys(1)).publicKey) });
  }

  /**
   * Rotates this provider account's encryption key: derives key version `keyVersion + 1` from
   * the wallet (one signature) and publishes it. Patients wrap new grants to the new key;
   * grants issued before stay readable, because {@link readRecord} derives the key version each
   * grant was wrapped to. Throws {@link NotRegisteredError} when no key was published yet, or
   * `ContractRevertedError`.
   *
   * @returns the transaction and the new key version.
   */
  async rotateProviderKey(): Promise<TransactionResult & { keyVersion: number }> {
    const me = await getProvider(this.ctx, this.address);
    if (me.keyVersion === 0) throw new NotRegisteredError("You have no published encryption key to rotate.", { hint: "Publish your first key (`meridian provider publish-key`)." });
    const keyVersion = me.keyVersion + 1;
    const result = await setProviderEncryptionKey(this.ctx, { encryptionKey: publicKeyToBytes32((await this.keys(keyVersion)).publicKey) });
    return { ...result, keyVersion };
  }

  /**
   * This account's keys a grant issued in block `blockNumber` was wrapped to: key version 1 for
   * a patient or a provider that never rotated, else the provider key version current then.
   */
  async #granteeKeys(blockNumber: bigint): Promise<UserKeys> {
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
      history.catch(() => { if (this.#providerKeyHistory === history) this.#providerKeyHistory = undefined; });
      this.#providerKeyHistory = history;
    }
    return this.#providerKeyHistory;
  }

  #envelopeContext(patient: Address, category: RecordCategory, keyEpoch: number): EnvelopeContext {
    return { chainId: this.ctx.deployment.chainId, contract: this.ctx.deployment.recordRegistry, patient, category, keyEpoch };
  }

  /** The current KEK this account can write `patient`'s `category` records with. */
  async #writeKek(patient: Address, category: RecordCategory, keyEpoch: number): Promise<Uint8Array> {
    if (patient.toLowerCase() === this.address.toLowerCase()) return (await this.#ring()).categoryKek(category, keyEpoch);
    const grants = (await listGrantEvents(this.ctx, { patient, grantee: this.address })).reverse();
    for (const g of grants) {
      if (!g.write || g.keyEpoch !== keyEpoch) continue;
      if (g.scope.kind === "category" && g.scope.category === category) return this.#unwrapGrant(g);
      if (g.scope.kind === "all") return kekFromBundle(await this.#unwrapGrant(g), category);
    }
    throw new MissingKeyError(`You hold no ${categoryName(category)} key of the patient's current key epoch (${keyEpoch}).`, {
      hint: "The patient revoked a grant since yours was issued: ask them to re-issue your write grant.",
    });
  }

  /** Unwraps the key a grant carries with the grantee key version it was wrapped to. */
  async #unwrapGrant(g: GrantEvent): Promise<Uint8Array> {
    const keys = await this.#granteeKeys(g.blockNumber);
    const { target } = encodeScope(g.scope);
    const info = wrapInfo({ chainId: this.ctx.deployment.chainId, contract: this.ctx.deployment.recordRegistry, patient: g.patient, grantee: g.grantee, scope: g.scope.kind, target, keyEpoch: g.keyEpoch });
    return unwrapKey({ recipient: keys, wrapped: hexToBytes(g.wrappedKey), info });
  }

  /**
   * Encrypts `plaintext`, stores the envelope and anchors it as a record of `patient` (default:
   * this account). Checks consent and the key epoch before storing anything, so a refused write
   * leaves nothing behind; if anchoring fails after storing, the error is thrown and the stored
   * ciphertext is an unreferenced, unreadable blob. `beforeAnchor` runs (and is awaited) after
   * the envelope is stored and before the transaction is sent, with the envelope's CID and
   * ciphertext hash: a caller that must anchor exactly once records them there, and after a
   * crash finds out from the chain whether that CID was anchored.
   *
   * Throws {@link NotRegisteredError}, {@link AccessDeniedError} (no write consent),
   * {@link MissingKeyError}, storage errors, or `ContractRevertedError`.
   */
  async addRecord(p: { plaintext: Uint8Array; category: RecordCategory; patient?: Address; onStage?: (stage: AddRecordStage) => void; beforeAnchor?: (stored: { cid: string; ciphertextHash: Hex }) => void | Promise<void> }): Promise<AddRecordResult> {
    const patient = p.patient ?? this.address;
    const info = await getPatient(this.ctx, patient);
    if (!info.registered) throw new NotRegisteredError("The patient is not registered.", { details: patient, hint: "The patient must register first (`meridian register`)." });
    if (patient.toLowerCase() !== this.address.toLowerCase()) {
      if (!(await canWrite(this.ctx, this.address, patient, p.category))) throw new AccessDeniedError(`You have no active write consent for the patient's ${categoryName(p.category)} records.`, { hint: "Request access with write consent (`meridian request --write`)." });
    }
    p.onStage?.("encrypt");
    const t0 = performance.now();
    const kek = await this.#writeKek(patient, p.category, info.keyEpoch);
    const sealed = await encryptRecord({ plaintext: p.plaintext, kek, context: this.#envelopeContext(patient, p.category, info.keyEpoch) });
    p.onStage?.("store");
    const t1 = performance.now();
    // the store returns the envelope's ciphertext hash with its CID, both from one pass of hashing
    const { cid, ciphertextHash } = await this.store.put(sealed.envelope);
    await p.beforeAnchor?.({ cid, ciphertextHash }); // e.g. a durable write-ahead intent, for exactly-once anchoring
    p.onStage?.("anchor");
    const t2 = performance.now();
    const anchored = await anchorRecord(this.ctx, { patient, cid: bytesToHex(CID.parse(cid).bytes), ciphertextHash, category: p.category, keyEpoch: info.keyEpoch });
    const t3 = performance.now();
    p.onStage?.("confirmed");
    return { recordId: anchored.recordId, cid, ciphertextHash, bytes: p.plaintext.length, envelopeBytes: sealed.envelope.length, gasUsed: anchored.gasUsed, timings: { encryptMs: t1 - t0, storeMs: t2 - t1, anchorMs: t3 - t2 } };
  }

  /** Fetches a record's envelope by CID (checked by the store) and checks its anchored ciphertext hash. */
  async #fetchEnvelope(anchor: RecordAnchor): Promise<Uint8Array> {
    const parsed = CID.decode(hexToBytes(anchor.cid));
    const cid = parsed.toString();
    const envelope = await this.store.get(cid); // the store checks the bytes against the CID
    // A raw CID's digest is the SHA-256 of the envelope's only piece, which the store's check
    // just proved: the hash list is then one 32-byte hash. Chunked envelopes are hashed again.
    const hash = parsed.code === RAW_CODE && parsed.multihash.code === SHA2_256_CODE ? await ciphertextHashFromPieceDigests([parsed.multihash.digest]) : await ciphertextHash(envelope);
    if (hash !== anchor.ciphertextHash.toLowerCase()) {
      throw new IntegrityError("The stored ciphertext does not match the hash anchored on chain.", { details: `record ${anchor.recordId}, CID ${cid}`, hint: "The copy in this IPFS store is corrupt; fetch it from another node." });
    }
    return envelope;
  }

  /**
   * Reads, verifies and decrypts record `recordId`. Throws {@link AccessDeniedError} when the
   * chain says this account may not read it now, `RecordNotFoundError`, {@link IntegrityError},
   * `CidMismatchError`, {@link MissingKeyError} or `DecryptionError`; never returns unverified bytes.
   */
  async readRecord(recordId: Hex): Promise<ReadRecordResult> {
    const anchor = await getRecordAnchor(this.ctx, recordId);
    const me = this.address;
    if (!(await canRead(this.ctx, me, recordId))) {
      const provider = await getProvider(this.ctx, me);
      const why = provider.status === ProviderStatus.Suspended ? "your provider account is suspended" : provider.status === ProviderStatus.Removed ? "your provider account was removed" : provider.status === ProviderStatus.None ? "this account is not an admitted provider" : "you hold no active grant (never granted, revoked or expired)";
      throw new AccessDeniedError(`You may not read this record: ${why}.`, { details: `record ${recordId}`, hint: "Request access from the patient (`meridian request`)." });
    }
    const envelope = await this.#fetchEnvelope(anchor);
    const context = this.#envelopeContext(anchor.patient, anchor.category, anchor.keyEpoch);
    if (anchor.patient.toLowerCase() === me.toLowerCase()) {
      const kek = await (await this.#ring()).categoryKek(anchor.category, anchor.keyEpoch);
      return { plaintext: await openRecord({ envelope, key: { kek }, context }), anchor, via: "patient" };
    }
    const grants = (await listGrantEvents(this.ctx, { patient: anchor.patient, grantee: me })).reverse();
    for (const g of grants) {
      if (g.scope.kind === "record" && g.scope.recordId.toLowerCase() === recordId.toLowerCase()) {
        return { plaintext: await openRecord({ envelope, key: { dek: await this.#unwrapGrant(g) }, context }), anchor, via: "record-grant" };
      }
      if (g.keyEpoch < anchor.keyEpoch) continue;
      if (g.scope.kind === "category" && g.scope.category === anchor.category) {
        const kek = regressKek(await this.#unwrapGrant(g), g.keyEpoch, anchor.keyEpoch);
        return { plaintext: await openRecord({ envelope, key: { kek }, context }), anchor, via: "category-grant" };
      }
      if (g.scope.kind === "all") {
        const kek = regressKek(kekFromBundle(await this.#unwrapGrant(g), anchor.category), g.keyEpoch, anchor.keyEpoch);
        return { plaintext: await openRecord({ envelope, key: { kek }, context }), anchor, via: "all-grant" };
      }
    }
    throw new MissingKeyError("You may read this record, but no key shared with you opens it.", { hint: "Ask the patient to re-issue your grant." });
  }

  /** The key a grant over `scope` carries, at the patient's key epoch `keyEpoch`. */
  async #scopeKey(scope: GrantScope, keyEpoch: number): Promise<Uint8Array> {
    const ring = await this.#ring();
    switch (scope.kind) {
      case "category": return ring.categoryKek(scope.category, keyEpoch);
      case "all": return ring.kekBundle(keyEpoch);
      case "record": {
        const anchor = await getRecordAnchor(this.ctx, scope.recordId);
        if (anchor.patient.toLowerCase() !== this.address.toLowerCase()) throw new AccessDeniedError("Only the record's patient can share it.", { details: scope.recordId });
        const envelope = await this.#fetchEnvelope(anchor);
        return unwrapDek(envelope, await ring.categoryKek(anchor.category, anchor.keyEpoch));
      }
    }
  }

  async #wrapFor(grantee: Address, scope: GrantScope, keyEpoch: number): Promise<Hex> {
    const provider = await getProvider(this.ctx, grantee);
    if (provider.status !== ProviderStatus.Active) throw new AccessDeniedError("The grantee is not an active provider.", { details: grantee, hint: "Check the address; the regulator admits providers." });
    if (BigInt(provider.encryptionKey) === 0n) throw new NotRegisteredError("The provider has not published an encryption key yet.", { details: grantee, hint: "Ask the provider to run `meridian provider publish-key`." });
    const { target } = encodeScope(scope);
    const info = wrapInfo({ chainId: this.ctx.deployment.chainId, contract: this.ctx.deployment.recordRegistry, patient: this.address, grantee, scope: scope.kind, target, keyEpoch });
    return bytesToHex(await wrapKey({ recipientPublicKey: provider.encryptionKey, key: await this.#scopeKey(scope, keyEpoch), info }));
  }

  /**
   * Grants `grantee` read access (and optionally write consent) over `scope`, until
   * `expiresAt` (unix seconds; 0 or absent: no expiry). Costs the same gas whatever the scope covers.
   */
  async grant(p: { grantee: Address; scope: GrantScope; write?: boolean; expiresAt?: number }): Promise<TransactionResult & { grantId: Hex; keyEpoch: number }> {
    const { keyEpoch } = await getPatient(this.ctx, this.address);
    return issueGrant(this.ctx, { grantee: p.grantee, scope: p.scope, write: p.write ?? false, expiresAt: p.expiresAt ?? 0, wrappedKey: await this.#wrapFor(p.grantee, p.scope, keyEpoch) });
  }

  /**
   * Revokes a grant. When that advances the key epoch (category or all scope), re-issues every
   * other live category/all grant of this patient with the new epoch's key, one transaction
   * each, so other grantees keep reading new records. Returns the revocation and re-issues.
   */
  async revoke(p: { grantee: Address; scope: GrantScope }): Promise<{ revocation: TransactionResult & { keyEpoch: number }; reissued: (TransactionResult & { grantId: Hex })[] }> {
    const revocation = await revokeGrant(this.ctx, p);
    const reissued: (TransactionResult & { grantId: Hex })[] = [];
    if (p.scope.kind === "record") return { revocation, reissued };
    const latest = new Map<Hex, GrantEvent>();
    for (const g of await listGrantEvents(this.ctx, { patient: this.address })) latest.set(g.grantId, g);
    for (const g of latest.values()) {
      if (g.scope.kind === "record" || g.keyEpoch >= revocation.keyEpoch) continue;
      const state = await getGrant(this.ctx, { patient: this.address, grantee: g.grantee, scope: g.scope });
      if (!state.active) continue;
      reissued.push(await issueGrant(this.ctx, { grantee: g.grantee, scope: g.scope, write: state.write, expiresAt: state.expiresAt, wrappedKey: await this.#wrapFor(g.grantee, g.scope, revocation.keyEpoch) }));
    }
    return { revocation, reissued };
  }

  /** Provider: asks `patient` for access over `scope`. */
  requestAccess(p: { patient: Address; scope: GrantScope; write?: boolean; durationSeconds?: number; purpose?: string }): Promise<TransactionResult & { requestId: Hex }> {
    return requestAccess(this.ctx, { patient: p.patient, scope: p.scope, write: p.write ?? false, durationSeconds: p.durationSeconds ?? 0, purpose: p.purpose ?? "TREAT" });
  }

  /** Patient: approves a pending request, choosing expiry and write consent. */
  async approveRequest(p: { requester: Address; scope: GrantScope; write?: boolean; expiresAt?: number }): Promise<TransactionResult & { grantId: Hex; keyEpoch: number }> {
    const { keyEpoch } = await getPatient(this.ctx, this.address);
    return approveRequest(this.ctx, { grantee: p.requester, scope: p.scope, write: p.write ?? false, expiresAt: p.expiresAt ?? 0, wrappedKey: await this.#wrapFor(p.requester, p.scope, keyEpoch) });
  }

  /** Patient: denies a pending request. */
  denyRequest(p: { requester: Address; scope: GrantScope }): Promise<TransactionResult> {
    return denyRequest(this.ctx, p);
  }

  /** Pending requests to `patient` (default: this account). */
  pendingRequests(patient?: Address): Promise<PendingRequest[]> {
    return listPendingRequests(this.ctx, patient ?? this.address);
  }

  /** Record anchors of `patient` (default: this account), oldest first. */
  listRecords(patient?: Address): Promise<RecordAnchor[]> {
    return listRecordAnchors(this.ctx, patient ?? this.address);
  }

  /** The audit trail of `patient` (default: this account). */
  audit(patient?: Address): Promise<AuditEntry[]> {
    return getAuditTrail(this.ctx, patient ?? this.address);
  }

  /** Verifies the hash chain of `patient` (default: this account). */
  verifyChain(patient?: Address): Promise<ChainVerification> {
    return verifyPatientChain(this.ctx, patient ?? this.address);
  }
}
