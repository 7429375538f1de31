/**
 * Peer validation at the client level: what needs the account's keys and the blob store on top
 * of the chain actions in `chain/peer-validation.ts`.
 *
 * - {@link shareValidationKeys} (the record's author): opens the record's data key (DEK) with the
 *   key the patient's write grant gave it, wraps it with HPKE (RFC 9180) to each seated
 *   validator's published X25519 key, and posts the wrapped keys in one `shareKeys` transaction.
 *   The wrap is bound (HPKE `info`, see `wrapInfo`) to the chain, the `PeerValidation` contract,
 *   the patient, the validator, the record id and its key epoch: it opens nothing else.
 * - {@link readRecordAsValidator} (a seated validator): finds the key shared with it, unwraps it
 *   with its provider key of that block, fetches the envelope (checked against CID and anchored
 *   hash) and decrypts it.
 *
 * @module
 */
import { bytesToHex, hexToBytes, type Address, type Hex } from "viem";
import { grantKek } from "./keyring.ts";
import { AccessDeniedError, MissingKeyError, NotRegisteredError, type MeridianClient } from "./client.ts";
import { unwrapKey, wrapInfo, wrapKey } from "./crypto/hpke.ts";
import { openRecord, unwrapDek, type EnvelopeContext } from "./crypto/envelope.ts";
import { encodeScope, getProvider, getRecordAnchor, listGrantEvents, type GrantEvent, type RecordAnchor } from "./chain/actions.ts";
import {
  getValidationCase, isValidatorOf, listValidationKeyShares, NotValidatorError, shareKeysOnChain, ValidationStatus,
} from "./chain/peer-validation.ts";
import { ProviderStatus, type MeridianDeployment, type TransactionResult } from "./chain/types.ts";

/**
 * HPKE `info` of a record key shared for validation: {@link wrapInfo} with `contract` = the
 * deployment's `PeerValidation`, `grantee` = the validator, scope `"record"`, target = the
 * record id and the record's key epoch.
 */
export function validationWrapInfo(deployment: Pick<MeridianDeployment, "chainId" | "peerValidation">, p: { patient: Address; validator: Address; recordId: Hex; keyEpoch: number }): Uint8Array {
  return wrapInfo({ chainId: deployment.chainId, contract: deployment.peerValidation, patient: p.patient, grantee: p.validator, scope: "record", target: p.recordId, keyEpoch: p.keyEpoch });
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Unwraps a grant's key (DEK or KEK or KEK bundle) with the grantee key version it was wrapped to. */
async function unwrapGrant(client: MeridianClient, g: GrantEvent): Promise<Uint8Array> {
  const { target } = encodeScope(g.scope);
  const info = wrapInfo({ chainId: client.ctx.deployment.chainId, contract: client.ctx.deployment.recordRegistry, patient: g.patient, grantee: g.grantee, scope: g.scope.kind, target, keyEpoch: g.keyEpoch });
  return unwrapKey({ recipient: await client.keysAtBlock(g.blockNumber), wrapped: hexToBytes(g.wrappedKey), info });
}

/**
 * The data key of record `anchor`, as its author (a provider) holds it: through the patient's
 * grant of that record, of its category or of all records (the write grant it was anchored under,
 * or a later one). Throws {@link MissingKeyError} when no grant of this account opens it.
 */
export async function authorDataKey(client: MeridianClient, anchor: RecordAnchor): Promise<Uint8Array> {
  const grants = (await listGrantEvents(client.ctx, { patient: anchor.patient, grantee: client.address })).reverse();
  let envelope: Uint8Array | undefined;
  for (const g of grants) {
    if (g.scope.kind === "record" && same(g.scope.recordId, anchor.recordId)) return unwrapGrant(client, g);
    if (g.keyEpoch < anchor.keyEpoch) continue;
    if ((g.scope.kind === "category" && g.scope.category === anchor.category) || g.scope.kind === "all") {
      const payload = await unwrapGrant(client, g);
      const kek = grantKek({ scope: g.scope.kind, payload, grantEpoch: g.keyEpoch, category: anchor.category, epoch: anchor.keyEpoch });
      payload.fill(0);
      envelope ??= await client.fetchRecordEnvelope(anchor);
      return unwrapDek(envelope, kek);
    }
  }
  throw new MissingKeyError("You hold no key of this record to share with its validators.", { details: `record ${anchor.recordId}`, hint: "The patient's grant that covered it was revoked: ask the patient to grant you the record again." });
}

/** Result of {@link shareValidationKeys}. */
export interface ShareValidationKeysResult {
  /** Validators the key was shared with in this call (empty when all seated validators had it). */
  sharedWith: Address[];
  /** The `shareKeys` transaction; absent when nothing was shared. */
  transaction?: TransactionResult;
}

/**
 * Author: shares record `recordId`'s data key with each seated validator that has no share yet
 * (all of them with `all: true`), in one transaction. Throws {@link AccessDeniedError} when the
 * account is not the case's author or the case is not pending (voting), {@link NotRegisteredError}
 * when a validator published no encryption key, {@link MissingKeyError}, storage errors, or
 * `ContractRevertedError`.
 *
 * @example
 * ```ts
 * await drawValidators(hospital.ctx, { recordId });
 * const { sharedWith } = await shareValidationKeys(hospital, recordId); // 4 validators
 * ```
 */
export async function shareValidationKeys(client: MeridianClient, recordId: Hex, options: { all?: boolean } = {}): Promise<ShareValidationKeysResult> {
  const c = await getValidationCase(client.ctx, recordId);
  if (!same(c.author, client.address)) throw new AccessDeniedError("Only the record's author shares its key with the validators.", { details: `record ${recordId}, author ${c.author}` });
  if (c.status !== ValidationStatus.Pending) throw new AccessDeniedError(`The validation case is ${c.statusName}: keys are shared while validators vote.`, { details: `record ${recordId}`, hint: c.status === ValidationStatus.Submitted ? "Draw the validators first (`meridian validation draw`)." : "The case is decided; nothing to share." });
  const seated = c.seats.map((s) => s.validator).filter((v) => BigInt(v) !== 0n);
  const shared = options.all ? [] : (await listValidationKeyShares(client.ctx, { recordId })).map((s) => s.validator.toLowerCase());
  const missing = seated.filter((v) => !shared.includes(v.toLowerCase()));
  if (missing.length === 0) return { sharedWith: [] };
  const anchor = await getRecordAnchor(client.ctx, recordId);
  const dek = await authorDataKey(client, anchor);
  const wrappedKeys: Hex[] = [];
  for (const validator of missing) {
    const provider = await getProvider(client.ctx, validator);
    if (BigInt(provider.encryptionKey) === 0n) throw new NotRegisteredError("A validator has not published an encryption key.", { details: validator, hint: "Ask the validator to run `meridian provider publish-key`, then share again." });
    const info = validationWrapInfo(client.ctx.deployment, { patient: anchor.patient, validator, recordId, keyEpoch: anchor.keyEpoch });
    wrappedKeys.push(bytesToHex(await wrapKey({ recipientPublicKey: provider.encryptionKey, key: dek, info })));
  }
  const transaction = await shareKeysOnChain(client.ctx, { recordId, validators: missing, wrappedKeys });
  return { sharedWith: missing, transaction };
}

/** Result of {@link readRecordAsValidator}. */
export interface ValidatorReadResult {
  plaintext: Uint8Array;
  anchor: RecordAnchor;
  via: "validation";
}

/**
 * Validator: reads, verifies and decrypts record `recordId` with the key its author shared for
 * validation. Throws {@link NotValidatorError} when the account holds no seat (never drawn,
 * replaced, or no longer active), {@link MissingKeyError} when the author has not shared the key
 * yet, `RecordNotFoundError`, `IntegrityError`, `CidMismatchError` or `DecryptionError`.
 */
export async function readRecordAsValidator(client: MeridianClient, recordId: Hex): Promise<ValidatorReadResult> {
  const me = client.address;
  const anchor = await getRecordAnchor(client.ctx, recordId);
  if (!(await isValidatorOf(client.ctx, recordId, me))) {
    const provider = await getProvider(client.ctx, me);
    const why = provider.status !== ProviderStatus.Active ? "your provider account is not active" : "you hold no seat in its validation case (never drawn, or replaced)";
    throw new NotValidatorError(`You may not read this record as a validator: ${why}.`, { details: `record ${recordId}` });
  }
  const [share] = (await listValidationKeyShares(client.ctx, { recordId, validator: me })).reverse();
  if (!share) throw new MissingKeyError("The author has not shared this record's key with you yet.", { details: `record ${recordId}`, hint: "Ask the author to run `meridian validation share-keys`." });
  const info = validationWrapInfo(client.ctx.deployment, { patient: anchor.patient, validator: me, recordId, keyEpoch: anchor.keyEpoch });
  const dek = await unwrapKey({ recipient: await client.keysAtBlock(share.blockNumber), wrapped: hexToBytes(share.wrappedKey), info });
  const envelope = await client.fetchRecordEnvelope(anchor);
  const context: EnvelopeContext = { chainId: client.ctx.deployment.chainId, contract: client.ctx.deployment.recordRegistry, patient: anchor.patient, category: anchor.category, keyEpoch: anchor.keyEpoch };
  return { plaintext: await openRecord({ envelope, key: { dek }, context }), anchor, via: "validation" };
}
