/**
 * Fetching a record's envelope from the blob store, checked against the chain.
 *
 * @module
 */
import { hexToBytes, type Hex } from "viem";
import { CID } from "multiformats/cid";
import { ciphertextHash, ciphertextHashFromPieceDigests } from "../crypto/ciphertext-hash.ts";
import type { RecordAnchor } from "../chain/actions.ts";
import type { BlockNotFoundError, CidMismatchError, StorageUnavailableError } from "../storage/errors.ts";
import type { MeridianAccount } from "../account.ts";
import { IntegrityError } from "./errors.ts";

/** Multicodec codes of a raw block and of SHA-256 (a raw CID's digest is the block's SHA-256). */
const RAW_CODE = 0x55;
const SHA2_256_CODE = 0x12;

/** Parameters of {@link fetchRecordEnvelope}. */
export interface FetchRecordEnvelopeParameters {
  /** The record's anchor (`getRecordAnchor`): its binary CID and anchored ciphertext hash. */
  anchor: RecordAnchor;
}

/** The envelope's bytes (`crypto/envelope.ts` format), checked against the CID and the anchored hash. */
export type FetchRecordEnvelopeReturnType = Uint8Array;

/** Errors {@link fetchRecordEnvelope} throws. */
export type FetchRecordEnvelopeErrorType =
  IntegrityError | CidMismatchError | BlockNotFoundError | StorageUnavailableError;

/**
 * Fetches record `anchor`'s envelope from the client's store by its CID (the store checks the
 * bytes against the CID) and checks its ciphertext hash (SHA-256 hash list over 1 MiB pieces,
 * `crypto/ciphertext-hash.ts`) against the one anchored on chain. Never returns unchecked bytes.
 *
 * @throws {IntegrityError} when the stored ciphertext does not match the anchored hash.
 * @throws {CidMismatchError} / {@link BlockNotFoundError} from the store.
 * @example
 * ```ts
 * const envelope = await fetchRecordEnvelope(client, { anchor: await getRecordAnchor(client.ctx, recordId) });
 * ```
 */
export async function fetchRecordEnvelope(
  client: MeridianAccount,
  { anchor }: FetchRecordEnvelopeParameters,
): Promise<FetchRecordEnvelopeReturnType> {
  const parsed = CID.decode(hexToBytes(anchor.cid));
  const cid = parsed.toString();
  // the store checks the bytes against the CID; a store over several nodes asks the author's and patient's first
  const envelope = await client.store.get(cid, { prefer: [anchor.author, anchor.patient] });
  // A raw CID's digest is the SHA-256 of the envelope's only piece, which the store's check
  // just proved: the hash list is then one 32-byte hash. Chunked envelopes are hashed again.
  const raw = parsed.code === RAW_CODE && parsed.multihash.code === SHA2_256_CODE;
  const hash: Hex = raw
    ? await ciphertextHashFromPieceDigests([parsed.multihash.digest])
    : await ciphertextHash(envelope);
  if (hash !== anchor.ciphertextHash.toLowerCase()) {
    throw new IntegrityError("The stored ciphertext does not match the hash anchored on chain.", {
      details: `record ${anchor.recordId}, CID ${cid}`,
      hint: "The copy in this IPFS store is corrupt; fetch it from another node.",
    });
  }
  return envelope;
}
