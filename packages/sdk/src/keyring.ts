/**
 * Key-encryption keys (KEKs) by key regression.
 *
 * Each patient has, per record category, a chain of KEKs indexed by key epoch, built by key
 * regression (Fu, Kamara and Kohno, "Key Regression: Enabling Efficient Key Distribution for
 * Secure Distributed Storage", NDSS 2006):
 *
 *   KEK(e, c) = SHA-256^(MAX_KEY_EPOCH - e)(seed_c),  seed_c = HKDF-SHA256(rootSecret, "meridian/v1/kek-seed/c")
 *
 * Whoever holds KEK(e, c) computes KEK(e', c) for every older epoch e' <= e by hashing, but
 * not a newer one. So a category grant issued at epoch e carries one 32-byte key and still
 * opens every record of that category written before, and a revocation (which advances the
 * epoch on chain) leaves the revoked grantee unable to open anything written afterwards.
 * An all-records grant carries the nine category KEKs of the epoch (288 bytes).
 *
 * Derivation costs at most {@link MAX_KEY_EPOCH} hashes (about 17 ms) per category, cached.
 *
 * @module
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { ALL_CATEGORIES, type RecordCategory } from "./categories.ts";
import { MeridianError } from "./errors.ts";

/** Largest key epoch; equals `RecordRegistry.MAX_KEY_EPOCH`. */
export const MAX_KEY_EPOCH = 16_383;
/** Bytes of one KEK. */
export const KEK_BYTES = 32;
/** Bytes of an all-categories KEK bundle: 9 KEKs in category order. */
export const KEK_BUNDLE_BYTES = KEK_BYTES * ALL_CATEGORIES.length;

/** A key epoch outside 0..MAX_KEY_EPOCH, or a regression towards a newer epoch. */
export class KeyEpochError extends MeridianError {
  override name = "KeyEpochError" as const;
}

function checkEpoch(epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > MAX_KEY_EPOCH) {
    throw new KeyEpochError(`Key epoch ${epoch} is outside 0..${MAX_KEY_EPOCH}.`);
  }
}

/**
 * From KEK(`fromEpoch`, c) computes KEK(`toEpoch`, c) for `toEpoch <= fromEpoch`.
 * Throws {@link KeyEpochError} when `toEpoch` is newer: that is exactly what regression forbids.
 */
export function regressKek(kek: Uint8Array, fromEpoch: number, toEpoch: number): Uint8Array {
  checkEpoch(fromEpoch);
  checkEpoch(toEpoch);
  if (toEpoch > fromEpoch) {
    throw new KeyEpochError(`A key of epoch ${fromEpoch} cannot open epoch ${toEpoch}, which is newer.`, {
      hint: "The patient revoked a grant since; ask them to re-issue yours.",
    });
  }
  let k = kek;
  for (let i = fromEpoch; i > toEpoch; i--) k = sha256(k);
  return k;
}

/** Packs the nine category KEKs of one epoch into a {@link KEK_BUNDLE_BYTES}-byte bundle. */
export function encodeKekBundle(keks: ReadonlyMap<RecordCategory, Uint8Array>): Uint8Array {
  const out = new Uint8Array(KEK_BUNDLE_BYTES);
  ALL_CATEGORIES.forEach((c, i) => {
    const k = keks.get(c);
    if (!k || k.length !== KEK_BYTES) throw new KeyEpochError(`The KEK bundle lacks category ${c}.`);
    out.set(k, i * KEK_BYTES);
  });
  return out;
}

/** The KEK of `category` in a bundle made by {@link encodeKekBundle}. */
export function kekFromBundle(bundle: Uint8Array, category: RecordCategory): Uint8Array {
  const i = ALL_CATEGORIES.indexOf(category);
  if (bundle.length !== KEK_BUNDLE_BYTES || i < 0) throw new KeyEpochError("The KEK bundle is malformed.", { details: `${bundle.length} bytes` });
  return bundle.slice(i * KEK_BYTES, (i + 1) * KEK_BYTES);
}

/**
 * A patient's KEK chains, derived from the root secret of their wallet-derived keys
 * (see `crypto/keys.ts`). Results are cached per category at the newest epoch computed.
 */
export class PatientKeyring {
  readonly #root: Uint8Array;
  readonly #cache = new Map<RecordCategory, { epoch: number; kek: Uint8Array }>();

  /** @param rootSecret The 32-byte root secret from `deriveUserKeys`. */
  constructor(rootSecret: Uint8Array) {
    this.#root = rootSecret;
  }

  /** KEK(`epoch`, `category`), 32 bytes. */
  async categoryKek(category: RecordCategory, epoch: number): Promise<Uint8Array> {
    checkEpoch(epoch);
    const cached = this.#cache.get(category);
    if (cached && cached.epoch >= epoch) return regressKek(cached.kek, cached.epoch, epoch);
    const base = await crypto.subtle.importKey("raw", this.#root as Uint8Array<ArrayBuffer>, "HKDF", false, ["deriveBits"]);
    const seed = new Uint8Array(await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt: new TextEncoder().encode("meridian/v1/kek"), info: new TextEncoder().encode(`meridian/v1/kek-seed/${category}`) },
      base, 256,
    ));
    const kek = regressKek(seed, MAX_KEY_EPOCH, epoch);
    this.#cache.set(category, { epoch, kek });
    return kek;
  }

  /** The nine category KEKs of `epoch` as a bundle (what an all-records grant carries). */
  async kekBundle(epoch: number): Promise<Uint8Array> {
    const keks = new Map<RecordCategory, Uint8Array>();
    for (const c of ALL_CATEGORIES) keks.set(c, await this.categoryKek(c, epoch));
    return encodeKekBundle(keks);
  }
}
