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
import { bytesToHex, getAddress, hexToBytes, keccak256, toHex, type Address, type Hex } from "viem";
import { CID } from "multiformats/cid";
import { MeridianError } from "./errors.ts";
import { ALL_CATEGORIES, categoryName, RecordCategory } from "./categories.ts";
import {
  PatientKeyring, categoryKeyFromBundle, encodeCategoryKey, encodeKekBundle, grantKek, regressCategoryKey, type CategoryKey,
} from "./keyring.ts";
import { buildInternationalPatientSummary, isInternationalPatientSummary } from "./fhir/ips.ts";
import type { Bundle, Resource } from "@medplum/fhirtypes";
import { publicKeyToBytes32, type UserKeys } from "./crypto/keys.ts";
import { unwrapKey, wrapInfo, wrapKey } from "./crypto/hpke.ts";
import { encryptRecordParts, openRecord, releaseRecordParts, unwrapDek, type EnvelopeContext } from "./crypto/envelope.ts";
import { ciphertextHash, ciphertextHashFromPieceDigests } from "./crypto/ciphertext-hash.ts";
import type { BlobStore } from "./storage/types.ts";
import {
  anchorRecord, approveRequest, canRead, canWrite, denyRequest, encodeScope, getAuditTrail, getGrant, getPatient, getProvider,
  getRecordAnchor, issueGrant, listGrantEvents, listPendingRequests, listProviderKeyEvents, listRecordAnchors, registerPatient, requestAccess,
  revokeGrant, setProviderEncryptionKey, verifyPatientChain, WalletRequiredError,
  type AuditEntry, type ChainVerification, type GrantEvent, type PendingRequest, type ProviderKeyEvent, type RecordAnchor,
} from "./chain/actions.ts";
import { ProviderStatus, type GrantScope, type MeridianContext, type TransactionResult } from "./chain/types.ts";
import { deriveCheckedKeys } from "./key-check.ts";
import {
  appointGuardian, approveRequestAsGuardian, checkConsentCode, closeEmergencyAccess, consentCodeHash, consentCodeTypedData, decodeConsentCode,
  DEFAULT_CONSENT_CODE_VALIDITY_SECONDS, denyRequestAsGuardian, encodeConsentCode, getEmergencySummary, getGuardianLevel, grantAsGuardian,
  listEmergencyAccesses, listEmergencyKeyReleases, listGuardianships, openEmergencyAccess, redeemConsentCode, releaseEmergencyKey,
  removeGuardian, revokeAsGuardian, setEmergencySummary, shortConsentCode,
  type ConsentCode, type EmergencyAccessEntry, type Guardianship, type GuardianLevelCode, type SignedConsentCode,
} from "./chain/consent.ts";
import {
  checkKeyHolders, consentCodeHolders, findRetiredKeyHolders, KEY_HOLDER_END_MARGIN_SECONDS, keyHolderClock,
  openKeyEpoch,
  RetiredKeyEpochError,
  type EpochKeyHolder, type FindRetiredKeyHoldersReturnType,
} from "./chain/key-epoch.ts";
import {
  createMemoryConsentCodeLedger, type ConsentCodeLedger, type ConsentCodeLedgerEntry,
} from "./consent-code-ledger.ts";

/** Where a patient's KEKs come from: the patient's own key ring, or a guardian's KEK bundle. */
interface KekSource {
  categoryKey(category: RecordCategory, epoch: number): Promise<CategoryKey>;
  kekBundle(epoch: number): Promise<Uint8Array>;
}

/**
 * How long (milliseconds) a client trusts the list of a patient's current-epoch keyholders it
 * found with log queries before it queries again; in between, each write re-checks the known
 * holders with calls only ({@link checkKeyHolders}).
 */
export const KEY_HOLDER_RESCAN_MS = 30_000;

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
  /**
   * Where the patient's consent codes are recorded ({@link MeridianClient.createConsentCode}), so
   * the write check sees keys handed over off chain (`consent-code-ledger.ts`). Default: in
   * memory, for this client's life only; the CLI keeps `<data-dir>/consent-codes.json` (0600),
   * the web app `localStorage`.
   */
  consentCodes?: ConsentCodeLedger;
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
  via: "patient" | "record-grant" | "category-grant" | "all-grant" | "guardian" | "emergency" | "validation";
}

/** A consent code made by {@link MeridianClient.createConsentCode}: what the patient's app shows. */
export interface CreatedConsentCode extends SignedConsentCode {
  /** The whole code as text (for the QR code, or to paste): {@link encodeConsentCode}. */
  text: string;
  /** The short code shown beside it ({@link shortConsentCode}), from the EIP-712 digest. */
  shortCode: string;
  /** The EIP-712 digest the patient signed (recorded on chain when redeemed). */
  digest: Hex;
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
  /** This client's consent-code ledger ({@link MeridianClientParameters.consentCodes}). */
  readonly consentCodes: ConsentCodeLedger;
  #keys = new Map<number, Promise<UserKeys>>();
  #providerKeyHistory: Promise<{ events: ProviderKeyEvent[]; toBlock: bigint }> | undefined;
  #keyring: PatientKeyring | undefined;
  /** Per patient: the keyholders of its key epoch `keyEpoch`, found by log queries at `scannedAt` (ms). */
  #keyHolders = new Map<string, { keyEpoch: number; holders: EpochKeyHolder[]; scannedAt: number }>();

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
   * the wallet (the same request signed twice, to check the wallet signs deterministically) and publishes it. Patients wrap new grants to the new key;
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
      if ((g.scope.kind === "category" && g.scope.category === category) || g.scope.kind === "all") return this.#grantKek(g, category, keyEpoch);
    }
    throw new MissingKeyError(`You hold no ${categoryName(category)} key of the patient's current key epoch (${keyEpoch}).`, {
      hint: "The patient revoked a grant since yours was issued: ask them to re-issue your write grant.",
    });
  }

  /**
   * The KEK of (`category`, `epoch`) from a category or all-records grant `g` issued at an epoch
   * >= `epoch` (its payload: `keyring.ts`); the unwrapped payload is zeroed after use.
   */
  async #grantKek(g: GrantEvent, category: RecordCategory, epoch: number): Promise<Uint8Array> {
    if (g.scope.kind === "record") throw new MissingKeyError("A one-record grant carries no KEK.");
    const payload = await this.#unwrapGrant(g);
    try {
      return grantKek({ scope: g.scope.kind, payload, grantEpoch: g.keyEpoch, category, epoch });
    } finally {
      payload.fill(0);
    }
  }

  /** Why this account may not act as a provider (suspended, removed, never admitted), or `undefined` when it is active. */
  async #inactiveProviderReason(): Promise<{ why: string; hint: string } | undefined> {
    const { status } = await getProvider(this.ctx, this.address);
    const regulator = "Only the regulator can reinstate a provider; see your status with `meridian provider show <address>`.";
    if (status === ProviderStatus.Suspended) return { why: "your provider account is suspended", hint: regulator };
    if (status === ProviderStatus.Removed) return { why: "your provider account was removed", hint: regulator };
    if (status === ProviderStatus.None) return { why: "this account is not an admitted provider", hint: "Ask the regulator to admit it (`meridian provider admit`), or use the patient's own account." };
    return undefined;
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
      if (!(await canWrite(this.ctx, this.address, patient, p.category))) {
        // a consent does not help a provider that may not act at all: say that first
        const inactive = await this.#inactiveProviderReason();
        if (inactive) throw new AccessDeniedError(`You may not add records for the patient: ${inactive.why}.`, { details: `patient ${patient}`, hint: inactive.hint });
        throw new AccessDeniedError(`You have no active write consent for the patient's ${categoryName(p.category)} records.`, { hint: "Request access with write consent (`meridian request --write`)." });
      }
    }
    // never seal under keys a grantee whose access ended still holds (docs/keys.md, section 4)
    const keyEpoch = await this.#sealableKeyEpoch(patient, info.keyEpoch);
    p.onStage?.("encrypt");
    const t0 = performance.now();
    const kek = await this.#writeKek(patient, p.category, keyEpoch);
    const sealed = await encryptRecordParts({ plaintext: p.plaintext, kek, context: this.#envelopeContext(patient, p.category, keyEpoch) });
    p.onStage?.("store");
    const t1 = performance.now();
    // The envelope goes to the store in parts (header, segments), never joined into one buffer;
    // the store returns its ciphertext hash with its CID, both from one pass of hashing.
    let stored: { cid: string; ciphertextHash: Hex };
    try {
      stored = await this.store.put(sealed.parts);
    } finally {
      releaseRecordParts(sealed.parts); // stored (or failed): free them for the next record now
    }
    const { cid, ciphertextHash } = stored;
    await p.beforeAnchor?.({ cid, ciphertextHash }); // e.g. a durable write-ahead intent, for exactly-once anchoring
    p.onStage?.("anchor");
    const t2 = performance.now();
    const anchored = await anchorRecord(this.ctx, { patient, cid: bytesToHex(CID.parse(cid).bytes), ciphertextHash, category: p.category, keyEpoch });
    const t3 = performance.now();
    p.onStage?.("confirmed");
    return { recordId: anchored.recordId, cid, ciphertextHash, bytes: p.plaintext.length, envelopeBytes: sealed.size, gasUsed: anchored.gasUsed, timings: { encryptMs: t1 - t0, storeMs: t2 - t1, anchorMs: t3 - t2 } };
  }

  /**
   * The key epoch a new record of `patient` may be sealed under: `keyEpoch` (the current one) when
   * every keyholder of it may still read. Otherwise, as the patient, first moves to a new epoch
   * and re-issues the live grants ({@link rotateKeyEpoch}); as any other writer, throws
   * {@link RetiredKeyEpochError}. The keyholders are found with log queries at most once per
   * {@link KEY_HOLDER_RESCAN_MS} (or after the epoch changes) and re-checked with calls before
   * every record, so a bulk import does not scan the logs per record.
   */
  async #sealableKeyEpoch(patient: Address, keyEpoch: number): Promise<number> {
    let check = await this.#checkKeyHolders(patient, keyEpoch);
    if (check.retired.length === 0) return check.keyEpoch;
    if (!this.#isSelf(patient)) throw new RetiredKeyEpochError(check);
    await this.rotateKeyEpoch();
    check = await this.#checkKeyHolders(patient);
    if (check.retired.length > 0) throw new RetiredKeyEpochError(check); // e.g. the epoch could not advance
    return check.keyEpoch;
  }

  /**
   * {@link checkKeyHolders} over the cached keyholders of epoch `keyEpoch`, or
   * {@link findRetiredKeyHolders} when the cache is older, of another epoch, or `keyEpoch` is absent.
   */
  async #checkKeyHolders(patient: Address, keyEpoch?: number): Promise<FindRetiredKeyHoldersReturnType> {
    const key = patient.toLowerCase();
    const cached = this.#keyHolders.get(key);
    const fresh = cached !== undefined && performance.now() - cached.scannedAt < KEY_HOLDER_RESCAN_MS;
    // consent codes this client made hold keys off chain: read the ledger afresh for every check
    const consentCodes = this.#isSelf(patient) ? await this.consentCodes.list() : [];
    let found: FindRetiredKeyHoldersReturnType;
    if (fresh && keyEpoch !== undefined && cached.keyEpoch === keyEpoch) {
      const holders = [...cached.holders, ...consentCodeHolders(this.ctx, patient, keyEpoch, consentCodes)];
      found = await checkKeyHolders(this.ctx, { patient, keyEpoch, holders });
    } else {
      const scannedAt = performance.now();
      found = await findRetiredKeyHolders(this.ctx, { patient, consentCodes });
      const holders = [...found.live, ...found.retired.map(({ reason: _, ...h }) => h)]
        .filter((h) => h.kind !== "consent-code"); // read from the ledger at every check instead
      this.#keyHolders.set(key, { keyEpoch: found.keyEpoch, holders, scannedAt });
    }
    if (consentCodes.length > 0) await this.#pruneConsentCodes(found);
    return found;
  }

  /**
   * Drops the ledger entries of this patient that hold no key of the current epoch any more: made
   * at an older epoch, or redeemed (each is now a grant, found by the next log scan, which is
   * therefore made at the next check).
   */
  async #pruneConsentCodes(check: FindRetiredKeyHoldersReturnType): Promise<void> {
    const redeemed = new Set(check.redeemedConsentCodes);
    if (redeemed.size > 0) this.#keyHolders.delete(check.patient.toLowerCase());
    const mine = (e: ConsentCodeLedgerEntry) =>
      e.chainId === this.ctx.deployment.chainId &&
      e.registry.toLowerCase() === this.ctx.deployment.recordRegistry.toLowerCase() &&
      e.patient.toLowerCase() === check.patient.toLowerCase();
    const spent = (e: ConsentCodeLedgerEntry) =>
      e.keyEpoch < check.keyEpoch || (e.keyEpoch === check.keyEpoch && redeemed.has(e.nonce));
    await this.consentCodes.prune((e) => mine(e) && spent(e));
  }

  /**
   * Who holds the keys of `patient`'s (default: this account's) current key epoch and who of
   * them may no longer read (grant expired, provider suspended or removed; for this account, also
   * a consent code in its ledger that was never redeemed or was cancelled): while any may not,
   * {@link addRecord} rotates first (as the patient) or refuses (as a provider). Always queries
   * the chain afresh.
   */
  async retiredKeyHolders(patient?: Address): Promise<FindRetiredKeyHoldersReturnType> {
    const self = this.#isSelf(patient);
    const consentCodes = self ? await this.consentCodes.list() : [];
    const found = await findRetiredKeyHolders(this.ctx, { patient: patient ?? this.address, consentCodes });
    if (consentCodes.length > 0) await this.#pruneConsentCodes(found);
    return found;
  }

  /**
   * Moves `patient` (default: this account) to a new key epoch without revoking anything
   * (`RecordRegistry.openKeyEpoch`, ~29.7k gas), so no earlier keyholder can open what is written
   * next. As the patient, then re-issues every live category/all grant and re-keys its guardians
   * at the new epoch ({@link reissueAfterEpochChange}, one transaction each); a SHARE AND VIEW
   * guardian (with `patient`) sends only the advance, and the patient's app re-issues the rest.
   * Throws `ContractRevertedError` (`RecordRegistryNotGuardian`).
   */
  async rotateKeyEpoch(p: { patient?: Address } = {}): Promise<{
    advance: TransactionResult & { keyEpoch: number };
    reissued: (TransactionResult & { grantId?: Hex })[];
  }> {
    const patient = p.patient ?? this.address;
    this.#keyHolders.delete(patient.toLowerCase());
    const advance = await openKeyEpoch(this.ctx, { patient });
    return { advance, reissued: this.#isSelf(p.patient) ? await this.reissueAfterEpochChange() : [] };
  }

  /**
   * Record `anchor`'s envelope from the store, checked against its CID and its anchored ciphertext
   * hash (throws `CidMismatchError` or {@link IntegrityError}); for readers outside this class,
   * such as peer validation (`validation.ts`).
   */
  fetchRecordEnvelope(anchor: RecordAnchor): Promise<Uint8Array> {
    return this.#fetchEnvelope(anchor);
  }

  /**
   * This account's keys that a key shared in block `blockNumber` was wrapped to (a provider's key
   * version current then); for keys shared outside grants, such as peer validation's.
   */
  keysAtBlock(blockNumber: bigint): Promise<UserKeys> {
    return this.#granteeKeys(blockNumber);
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
    const me = this.address;
    // both reads in one round trip; an unknown record fails with the anchor's RecordNotFoundError
    const [anchorRead, allowedRead] = await Promise.allSettled([getRecordAnchor(this.ctx, recordId), canRead(this.ctx, me, recordId)]);
    if (anchorRead.status === "rejected") throw anchorRead.reason;
    if (allowedRead.status === "rejected") throw allowedRead.reason;
    const anchor = anchorRead.value;
    if (!allowedRead.value) {
      const inactive = await this.#inactiveProviderReason();
      const why = inactive?.why ?? "you hold no active grant (never granted, revoked or expired)";
      throw new AccessDeniedError(`You may not read this record: ${why}.`, { details: `record ${recordId}`, hint: inactive?.hint ?? "Request access from the patient (`meridian request`)." });
    }
    const envelope = await this.#fetchEnvelope(anchor);
    const context = this.#envelopeContext(anchor.patient, anchor.category, anchor.keyEpoch);
    if (anchor.patient.toLowerCase() === me.toLowerCase()) {
      const kek = await (await this.#ring()).categoryKek(anchor.category, anchor.keyEpoch);
      return { plaintext: await openRecord({ envelope, key: { kek }, context }), anchor, via: "patient" };
    }
    // the usual path first (a grantee), then the rarer ones: guardian, emergency access, validator
    const grants = (await listGrantEvents(this.ctx, { patient: anchor.patient, grantee: me })).reverse();
    for (const g of grants) {
      if (g.scope.kind === "record" && g.scope.recordId.toLowerCase() === recordId.toLowerCase()) {
        return { plaintext: await openRecord({ envelope, key: { dek: await this.#unwrapGrant(g) }, context }), anchor, via: "record-grant" };
      }
      if (g.keyEpoch < anchor.keyEpoch) continue;
      if ((g.scope.kind === "category" && g.scope.category === anchor.category) || g.scope.kind === "all") {
        const kek = await this.#grantKek(g, anchor.category, anchor.keyEpoch);
        return { plaintext: await openRecord({ envelope, key: { kek }, context }), anchor, via: g.scope.kind === "all" ? "all-grant" : "category-grant" };
      }
    }
    const [appointment] = await listGuardianships(this.ctx, { patient: anchor.patient, guardian: me });
    if (appointment) {
      const { kek, link } = await (await this.#guardianKekSource(appointment)).categoryKey(anchor.category, anchor.keyEpoch);
      link?.fill(0);
      return { plaintext: await openRecord({ envelope, key: { kek }, context }), anchor, via: "guardian" };
    }
    const release = (await listEmergencyKeyReleases(this.ctx, { provider: me, patient: anchor.patient })).find((r) => r.recordId.toLowerCase() === recordId.toLowerCase());
    if (release) {
      const info = wrapInfo({ chainId: this.ctx.deployment.chainId, contract: this.ctx.deployment.recordRegistry, patient: anchor.patient, grantee: me, scope: "record", target: recordId, keyEpoch: anchor.keyEpoch });
      const dek = await unwrapKey({ recipient: await this.#granteeKeys(release.blockNumber), wrapped: hexToBytes(release.wrappedKey), info });
      return { plaintext: await openRecord({ envelope, key: { dek }, context }), anchor, via: "emergency" };
    }
    // a validator chosen for the record reads with the key its author shared (peer validation)
    if (BigInt(this.ctx.deployment.peerValidation ?? 0) !== 0n) {
      const [{ isValidatorOf }, { readRecordAsValidator }] = await Promise.all([import("./chain/peer-validation.ts"), import("./validation.ts")]);
      if (await isValidatorOf(this.ctx, recordId, me)) return readRecordAsValidator(this, recordId);
    }
    throw new MissingKeyError("You may read this record, but no key shared with you opens it.", { hint: "Ask the patient to re-issue your grant." });
  }

  /**
   * The KEKs of `patient` this account holds: its own key ring, or (as a guardian) the KEK
   * bundle of its latest appointment, which opens epochs up to the one it was wrapped at.
   */
  async #kekSource(patient: Address): Promise<KekSource> {
    if (patient.toLowerCase() === this.address.toLowerCase()) return this.#ring();
    const [appointment] = (await listGuardianships(this.ctx, { patient, guardian: this.address }));
    if (!appointment) throw new AccessDeniedError("You are not a guardian of this patient.", { details: patient, hint: "Only the patient, or a guardian the patient appointed, can do this." });
    return this.#guardianKekSource(appointment);
  }

  /** The keys a guardian appointment carries: its bundle, regressed to any epoch up to the one it was wrapped at. */
  async #guardianKekSource(appointment: Guardianship): Promise<KekSource> {
    const bundle = await this.#unwrapGuardianBundle(appointment);
    const key = (category: RecordCategory, epoch: number) => {
      if (epoch > appointment.keyEpoch) {
        throw new MissingKeyError(`Your guardian key is of key epoch ${appointment.keyEpoch}; the patient's records are now at ${epoch}.`, { hint: "The patient (or its app) must re-key you: appoint you again at your level." });
      }
      return regressCategoryKey(categoryKeyFromBundle(bundle, category, appointment.keyEpoch), epoch);
    };
    return {
      categoryKey: async (category, epoch) => key(category, epoch),
      kekBundle: async (epoch) => encodeKekBundle(ALL_CATEGORIES.map((c) => key(c, epoch))),
    };
  }

  /** Opens the KEK bundle of a guardian appointment (wrapped like an all-records grant to the guardian's patient key). */
  async #unwrapGuardianBundle(g: Guardianship): Promise<Uint8Array> {
    const info = wrapInfo({ chainId: this.ctx.deployment.chainId, contract: this.ctx.deployment.recordRegistry, patient: g.patient, grantee: g.guardian, scope: "all", target: toHex(0, { size: 32 }), keyEpoch: g.keyEpoch });
    return unwrapKey({ recipient: await this.keys(1), wrapped: hexToBytes(g.wrappedKey), info });
  }

  /** The data key of record `anchor`, opened with `patient`'s KEKs held by this account. */
  async #recordDek(anchor: RecordAnchor): Promise<Uint8Array> {
    const source = await this.#kekSource(anchor.patient);
    const { kek } = await source.categoryKey(anchor.category, anchor.keyEpoch);
    return unwrapDek(await this.#fetchEnvelope(anchor), kek);
  }

  /** The key a grant over `scope` of `patient` carries, at the patient's key epoch `keyEpoch`. */
  async #scopeKey(patient: Address, scope: GrantScope, keyEpoch: number): Promise<Uint8Array> {
    const source = await this.#kekSource(patient);
    switch (scope.kind) {
      case "category": return encodeCategoryKey(await source.categoryKey(scope.category, keyEpoch));
      case "all": return source.kekBundle(keyEpoch);
      case "record": {
        const anchor = await getRecordAnchor(this.ctx, scope.recordId);
        if (anchor.patient.toLowerCase() !== patient.toLowerCase()) throw new AccessDeniedError("Only the record's patient (or its guardian) can share it.", { details: scope.recordId });
        return this.#recordDek(anchor);
      }
    }
  }

  /** An active provider's published encryption key, or a typed error saying why there is none. */
  async #providerKey(grantee: Address): Promise<Hex> {
    const provider = await getProvider(this.ctx, grantee);
    if (provider.status !== ProviderStatus.Active) throw new AccessDeniedError("The grantee is not an active provider.", { details: grantee, hint: "Check the address; the regulator admits providers." });
    if (BigInt(provider.encryptionKey) === 0n) throw new NotRegisteredError("The provider has not published an encryption key yet.", { details: grantee, hint: "Ask the provider to run `meridian provider publish-key`." });
    return provider.encryptionKey;
  }

  async #wrapFor(grantee: Address, scope: GrantScope, keyEpoch: number, patient: Address = this.address): Promise<Hex> {
    const recipientPublicKey = await this.#providerKey(grantee);
    const { target } = encodeScope(scope);
    const info = wrapInfo({ chainId: this.ctx.deployment.chainId, contract: this.ctx.deployment.recordRegistry, patient, grantee, scope: scope.kind, target, keyEpoch });
    const key = await this.#scopeKey(patient, scope, keyEpoch);
    try {
      return bytesToHex(await wrapKey({ recipientPublicKey, key, info }));
    } finally {
      key.fill(0); // a DEK or a key payload of keyring.ts, ours to clear
    }
  }

  /** Whether `patient` is this account (so it acts as the patient, not as a guardian). */
  #isSelf(patient: Address | undefined): boolean {
    return patient === undefined || patient.toLowerCase() === this.address.toLowerCase();
  }

  /**
   * Grants `grantee` read access (and optionally write consent) over `scope`, until
   * `expiresAt` (unix seconds; 0 or absent: no expiry). Costs the same gas whatever the scope covers.
   */
  async grant(p: { grantee: Address; scope: GrantScope; write?: boolean; expiresAt?: number; patient?: Address }): Promise<TransactionResult & { grantId: Hex; keyEpoch: number }> {
    const patient = p.patient ?? this.address;
    const { keyEpoch } = await getPatient(this.ctx, patient);
    const wrappedKey = await this.#wrapFor(p.grantee, p.scope, keyEpoch, patient);
    const grant = { grantee: p.grantee, scope: p.scope, write: p.write ?? false, expiresAt: p.expiresAt ?? 0, wrappedKey };
    return this.#isSelf(p.patient) ? issueGrant(this.ctx, grant) : grantAsGuardian(this.ctx, { ...grant, patient });
  }

  /**
   * Revokes a grant. When that advances the key epoch (category or all scope), re-issues every
   * other live category/all grant of this patient with the new epoch's key, one transaction
   * each, and re-keys the patient's guardians, so they keep reading new records. Returns the
   * revocation and re-issues. With `patient` (a SHARE AND VIEW guardian acting for it), only the
   * revocation is sent: a guardian cannot derive the new epoch's keys, so the patient's app
   * re-issues the others ({@link reissueAfterEpochChange}).
   */
  async revoke(p: { grantee: Address; scope: GrantScope; patient?: Address }): Promise<{ revocation: TransactionResult & { keyEpoch: number }; reissued: (TransactionResult & { grantId?: Hex })[] }> {
    if (!this.#isSelf(p.patient)) return { revocation: await revokeAsGuardian(this.ctx, { patient: p.patient!, grantee: p.grantee, scope: p.scope }), reissued: [] };
    const revocation = await revokeGrant(this.ctx, p);
    if (p.scope.kind === "record") return { revocation, reissued: [] };
    return { revocation, reissued: await this.reissueAfterEpochChange() };
  }

  /**
   * Patient: re-issues every live category/all grant and re-keys every guardian whose key is of
   * an older epoch than the current one, one transaction each (after a revocation, a guardian's
   * removal, or a revocation made by a guardian). Returns what was sent.
   */
  async reissueAfterEpochChange(): Promise<(TransactionResult & { grantId?: Hex })[]> {
    this.#keyHolders.delete(this.address.toLowerCase());
    const { keyEpoch, grants, guardians } = await this.staleKeyHolders();
    const reissued: (TransactionResult & { grantId?: Hex })[] = [];
    for (const g of grants) {
      reissued.push(await issueGrant(this.ctx, { grantee: g.grantee, scope: g.scope, write: g.write, expiresAt: g.expiresAt, wrappedKey: await this.#wrapFor(g.grantee, g.scope, keyEpoch) }));
    }
    for (const g of guardians) reissued.push(await this.appointGuardian({ guardian: g.guardian, level: g.level }));
    return reissued;
  }

  /**
   * Patient: who holds keys of an older key epoch than the current one and should be re-keyed
   * ({@link reissueAfterEpochChange}): live category/all grants (with their current write and
   * expiry) and guardians. Non-empty after a revocation or removal made outside this client,
   * e.g. by a SHARE AND VIEW guardian; until then those providers cannot write new records.
   * Grants whose grantee is no longer an active provider, or that end within
   * {@link KEY_HOLDER_END_MARGIN_SECONDS}, are left out: they would get keys they may not use.
   */
  async staleKeyHolders(): Promise<{ keyEpoch: number; grants: GrantEvent[]; guardians: Guardianship[] }> {
    const [{ keyEpoch }, block] = await Promise.all([
      getPatient(this.ctx, this.address),
      this.ctx.publicClient.getBlock({ blockTag: "latest" }),
    ]);
    const endsBy = keyHolderClock(block.timestamp) + KEY_HOLDER_END_MARGIN_SECONDS;
    const latest = new Map<Hex, GrantEvent>();
    for (const g of await listGrantEvents(this.ctx, { patient: this.address })) latest.set(g.grantId, g);
    const grants: GrantEvent[] = [];
    for (const g of latest.values()) {
      if (g.scope.kind === "record" || g.keyEpoch >= keyEpoch) continue;
      const state = await getGrant(this.ctx, { patient: this.address, grantee: g.grantee, scope: g.scope });
      // `active` also requires the grantee to be an active provider (isGrantActive)
      const lasts = state.expiresAt === 0 || state.expiresAt > endsBy;
      if (state.active && lasts) grants.push({ ...g, write: state.write, expiresAt: state.expiresAt });
    }
    const guardians = (await listGuardianships(this.ctx, { patient: this.address })).filter((g) => g.keyEpoch < keyEpoch);
    return { keyEpoch, grants, guardians };
  }

  /** Provider: asks `patient` for access over `scope`. */
  requestAccess(p: { patient: Address; scope: GrantScope; write?: boolean; durationSeconds?: number; purpose?: string }): Promise<TransactionResult & { requestId: Hex }> {
    return requestAccess(this.ctx, { patient: p.patient, scope: p.scope, write: p.write ?? false, durationSeconds: p.durationSeconds ?? 0, purpose: p.purpose ?? "TREAT" });
  }

  /** Patient (or its SHARE AND VIEW guardian, with `patient`): approves a pending request, choosing expiry and write consent. */
  async approveRequest(p: { requester: Address; scope: GrantScope; write?: boolean; expiresAt?: number; patient?: Address }): Promise<TransactionResult & { grantId: Hex; keyEpoch: number }> {
    const patient = p.patient ?? this.address;
    const { keyEpoch } = await getPatient(this.ctx, patient);
    const wrappedKey = await this.#wrapFor(p.requester, p.scope, keyEpoch, patient);
    const decision = { scope: p.scope, write: p.write ?? false, expiresAt: p.expiresAt ?? 0, wrappedKey };
    return this.#isSelf(p.patient)
      ? approveRequest(this.ctx, { ...decision, grantee: p.requester })
      : approveRequestAsGuardian(this.ctx, { ...decision, patient, requester: p.requester });
  }

  /** Patient (or its SHARE AND VIEW guardian, with `patient`): denies a pending request. */
  denyRequest(p: { requester: Address; scope: GrantScope; patient?: Address }): Promise<TransactionResult> {
    return this.#isSelf(p.patient) ? denyRequest(this.ctx, p) : denyRequestAsGuardian(this.ctx, { patient: p.patient!, requester: p.requester, scope: p.scope });
  }

  // ------------------------------------------------------------ consent codes

  /**
   * Patient: makes a one-time consent code for `grantee` over `scope` (no transaction, no gas):
   * wraps the scope's key to the grantee, signs the EIP-712 `ConsentCode` with the wallet, and
   * returns it with its text form (for a QR code) and short code. The code can be submitted
   * until `validForSeconds` (default 300 s) after the latest block's time. A category or
   * all-records code carries the current epoch's KEK (or KEK bundle) before any grant exists, so
   * it is recorded in {@link consentCodes} (no key material) before it is returned: if it is
   * never redeemed, the next record is sealed under a new key epoch (docs/keys.md, section 4).
   * Throws {@link AccessDeniedError} / {@link NotRegisteredError} when the grantee cannot receive
   * keys, or the ledger's storage error.
   */
  async createConsentCode(p: { grantee: Address; scope: GrantScope; write?: boolean; expiresAt?: number; validForSeconds?: number }): Promise<CreatedConsentCode> {
    const wallet = this.ctx.walletClient;
    if (!wallet) throw new WalletRequiredError("Signing a consent code");
    const [{ keyEpoch, registered }, block] = await Promise.all([getPatient(this.ctx, this.address), this.ctx.publicClient.getBlock({ blockTag: "latest" })]);
    if (!registered) throw new NotRegisteredError("You are not registered as a patient.", { hint: "Register first (`meridian register`)." });
    const wrappedKey = await this.#wrapFor(p.grantee, p.scope, keyEpoch);
    const nonceBytes = crypto.getRandomValues(new Uint8Array(32));
    const code: ConsentCode = {
      chainId: this.ctx.deployment.chainId, registry: getAddress(this.ctx.deployment.recordRegistry), patient: getAddress(this.address), grantee: getAddress(p.grantee),
      scope: p.scope, write: p.write ?? false, expiresAt: p.expiresAt ?? 0,
      deadline: Number(block.timestamp) + (p.validForSeconds ?? DEFAULT_CONSENT_CODE_VALIDITY_SECONDS), keyEpoch,
      nonce: BigInt(bytesToHex(nonceBytes)), wrappedKeyHash: keccak256(wrappedKey),
    };
    const signature = await wallet.signTypedData({ ...consentCodeTypedData(code), account: wallet.account } as never);
    if (code.scope.kind !== "record") {
      const { chainId, registry, patient, grantee, nonce, scope, deadline } = code;
      await this.consentCodes.add({ chainId, registry, patient, grantee, nonce, scope, keyEpoch, deadline });
    }
    const digest = consentCodeHash(code);
    const signed = { code, wrappedKey, signature };
    return { ...signed, text: encodeConsentCode(signed), shortCode: shortConsentCode(digest), digest };
  }

  /**
   * Provider: checks a consent code (text or decoded) against the chain, then submits it; the
   * grant is issued and the consent recorded with its hash. Throws `ConsentCodeFormatError`,
   * `ConsentCodeRefusedError` (before any gas is spent) or `ContractRevertedError`.
   */
  async redeemConsentCode(code: string | SignedConsentCode): Promise<TransactionResult & { grantId: Hex; consentHash: Hex; code: ConsentCode }> {
    const signed = typeof code === "string" ? decodeConsentCode(code) : code;
    await checkConsentCode(this.ctx, signed, { submitter: this.address });
    return { ...(await redeemConsentCode(this.ctx, signed)), code: signed.code };
  }

  // ---------------------------------------------------------------- guardians

  /**
   * Patient: appoints `guardian` (a registered account) at `level`, wrapping the current KEK
   * bundle to its registered key; again to change the level or re-key it.
   */
  async appointGuardian(p: { guardian: Address; level: GuardianLevelCode }): Promise<TransactionResult & { keyEpoch: number }> {
    const [me, guardian] = await Promise.all([getPatient(this.ctx, this.address), getPatient(this.ctx, p.guardian)]);
    if (!guardian.registered) throw new NotRegisteredError("The guardian has no Meridian account yet.", { details: p.guardian, hint: "Ask them to register (`meridian register`, or Register in the app): it publishes the key their guardian key is wrapped to." });
    const info = wrapInfo({ chainId: this.ctx.deployment.chainId, contract: this.ctx.deployment.recordRegistry, patient: this.address, grantee: p.guardian, scope: "all", target: toHex(0, { size: 32 }), keyEpoch: me.keyEpoch });
    const bundle = await (await this.#ring()).kekBundle(me.keyEpoch);
    const wrappedKey = bytesToHex(await wrapKey({ recipientPublicKey: guardian.encryptionKey, key: bundle, info }));
    bundle.fill(0);
    return appointGuardian(this.ctx, { guardian: p.guardian, level: p.level, wrappedKey });
  }

  /** Patient: removes a guardian, then re-issues live grants and re-keys other guardians at the new key epoch. */
  async removeGuardian(guardian: Address): Promise<{ removal: TransactionResult & { keyEpoch: number }; reissued: (TransactionResult & { grantId?: Hex })[] }> {
    const removal = await removeGuardian(this.ctx, { guardian });
    return { removal, reissued: await this.reissueAfterEpochChange() };
  }

  /** Guardian: steps down as guardian of `patient`. */
  stepDownAsGuardian(patient: Address): Promise<TransactionResult & { keyEpoch: number }> {
    return removeGuardian(this.ctx, { stepDownFrom: patient });
  }

  /** The guardians of `patient` (default: this account). */
  guardians(patient?: Address): Promise<Guardianship[]> {
    return listGuardianships(this.ctx, { patient: patient ?? this.address });
  }

  /** The patients this account is a guardian of. */
  wards(): Promise<Guardianship[]> {
    return listGuardianships(this.ctx, { guardian: this.address });
  }

  /** The level at which this account acts for `patient`. */
  guardianLevel(patient: Address): Promise<GuardianLevelCode> {
    return getGuardianLevel(this.ctx, patient, this.address);
  }

  // --------------------------------------------------------- emergency access

  /** Patient: names one of its records (an International Patient Summary) as its emergency summary. */
  setEmergencySummary(recordId: Hex): Promise<TransactionResult> {
    return setEmergencySummary(this.ctx, recordId);
  }

  /**
   * Patient: builds an HL7 FHIR International Patient Summary (allergies, active medications,
   * active problems, blood group) from its own decrypted FHIR records, stores it as a new General
   * record and names it the emergency summary (two transactions). Records that are not FHIR JSON,
   * and earlier summaries, are skipped. Only the Patient's name, birth date and gender are kept
   * in the summary, not its identifiers.
   * Throws `PatientSummarySubjectError` when the records hold no Patient (or several).
   */
  async createEmergencySummary(p: { now?: Date; onProgress?: (done: number, total: number) => void } = {}): Promise<AddRecordResult & { summary: Bundle }> {
    const anchors = await this.listRecords();
    const resources: (Resource | Bundle)[] = [];
    for (const [i, anchor] of anchors.entries()) {
      p.onProgress?.(i, anchors.length);
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode((await this.readRecord(anchor.recordId)).plaintext));
      } catch {
        continue; // a binary attachment or non-JSON record
      }
      if (!parsed || typeof parsed !== "object" || typeof (parsed as { resourceType?: unknown }).resourceType !== "string" || isInternationalPatientSummary(parsed)) continue;
      resources.push(parsed as Resource);
    }
    p.onProgress?.(anchors.length, anchors.length);
    const summary = buildInternationalPatientSummary(resources as Resource[], { ...(p.now ? { now: p.now } : {}), author: "Patient (Meridian)" });
    for (const entry of summary.entry ?? []) {
      const r = entry.resource;
      if (r?.resourceType === "Patient") entry.resource = { resourceType: "Patient", ...(r.id ? { id: r.id } : {}), ...(r.name ? { name: r.name } : {}), ...(r.birthDate ? { birthDate: r.birthDate } : {}), ...(r.gender ? { gender: r.gender } : {}) };
    }
    const added = await this.addRecord({ plaintext: new TextEncoder().encode(JSON.stringify(summary)), category: RecordCategory.General });
    await this.setEmergencySummary(added.recordId);
    return { ...added, summary };
  }

  /** The record id of `patient`'s emergency summary (default: this account), or undefined. */
  emergencySummary(patient?: Address): Promise<Hex | undefined> {
    return getEmergencySummary(this.ctx, patient ?? this.address);
  }

  /** Provider: opens time-boxed emergency access to `patient`'s emergency summary, with a reason code (e.g. "ETREAT"). */
  openEmergencyAccess(p: { patient: Address; reason: string; durationSeconds?: number }): Promise<TransactionResult & { recordId: Hex; expiresAt: number }> {
    return openEmergencyAccess(this.ctx, { patient: p.patient, reason: p.reason, durationSeconds: p.durationSeconds ?? 4 * 60 * 60 });
  }

  /**
   * Patient or SHARE AND VIEW guardian: releases `patient`'s emergency summary's data key to
   * `provider`, whose emergency access must be open (checked before anything is sent).
   */
  async releaseEmergencyKey(p: { provider: Address; patient?: Address }): Promise<TransactionResult> {
    const patient = p.patient ?? this.address;
    const access = (await listEmergencyAccesses(this.ctx, { patient, provider: p.provider }))[0];
    if (!access?.active) throw new AccessDeniedError("This provider has no open emergency access to the patient.", { details: p.provider, hint: "A key is released only after the provider opened emergency access, and before its time box ends." });
    // the summary's DEK, wrapped as a one-record grant would be, bound to the record's key epoch
    const { keyEpoch } = await getRecordAnchor(this.ctx, access.recordId);
    const wrappedKey = await this.#wrapFor(p.provider, { kind: "record", recordId: access.recordId }, keyEpoch, patient);
    return releaseEmergencyKey(this.ctx, { patient, provider: p.provider, wrappedKey });
  }

  /** Patient, guardian or the provider: ends an emergency access early. */
  closeEmergencyAccess(p: { patient: Address; provider: Address }): Promise<TransactionResult> {
    return closeEmergencyAccess(this.ctx, p);
  }

  /** Emergency accesses to `patient` (default: this account), newest first. */
  emergencyAccesses(patient?: Address): Promise<EmergencyAccessEntry[]> {
    return listEmergencyAccesses(this.ctx, { patient: patient ?? this.address });
  }

  /** Emergency accesses this provider account opened, newest first. */
  myEmergencyAccesses(): Promise<EmergencyAccessEntry[]> {
    return listEmergencyAccesses(this.ctx, { provider: this.address });
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
