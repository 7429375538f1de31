/**
 * Key-encryption keys (KEKs): key regression within key generations, generations linked by a
 * second one-way chain.
 *
 * A key epoch `e` (the on-chain `uint32`, 0 to {@link MAX_KEY_EPOCH} = 2^30 - 1) is generation
 * `g = floor(e / 16384)` and index `i = e mod 16384`. Per patient and record category `c`:
 *
 * ```text
 * linkSeed_c = HKDF-SHA256(rootSecret, info "meridian/v2/generation-link/<c>")
 * L_c(g)     = SHA-256^(65535 - g)(linkSeed_c)                  generation link, g = 0 .. 2^16 - 1
 * seed(g, c) = HKDF-SHA256(L_c(g), info "meridian/v2/kek-seed/<c>")
 * KEK(e, c)  = SHA-256^(16383 - i)(seed(g, c))                  key regression inside generation g
 * ```
 *
 * (HKDF with an empty salt, RFC 5869; `<c>` is the category's decimal code.) Within a generation
 * this is key regression (Fu, Kamara and Kohno, "Key Regression: Enabling Efficient Key
 * Distribution for Secure Distributed Storage", NDSS 2006): KEK(e, c) gives every older KEK of
 * its generation by hashing, never a newer one. The links form a second hash chain running the
 * same way: L_c(g - 1) = SHA-256(L_c(g)), so whoever holds L_c(g - 1) computes the link, hence the
 * seed and every KEK, of each older generation of category `c`, but nobody computes L_c(g) from
 * it. A {@link CategoryKey} at epoch `e` is therefore KEK(e, c) plus, for g > 0, L_c(g - 1): it
 * opens every record of category `c` up to epoch `e`, and nothing newer or of another category.
 * The links are per category (not one chain for all) so that a category grant at g > 0 does not
 * open the other categories' older generations.
 *
 * The epoch space is no longer one chain of 16,384 keys that a run of revocations exhausts: it has
 * 2^16 generations of 2^14 epochs. The price is the link chain: the patient derives L_c(0) with
 * 65,535 hashes per category (about 45 ms each here, once per session: cached), a grantee as many
 * at most to regress across generations.
 *
 * KEKs and links are byte arrays (they are hashed, which WebCrypto keys cannot be); the root
 * secret stays a non-extractable WebCrypto HKDF key. Intermediate hash values are zeroed after use.
 *
 * @module
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { ALL_CATEGORIES, type RecordCategory } from "./categories.ts";
import { MeridianError } from "./errors.ts";

/** Epochs per key generation: 2^14, the length of one key-regression chain. */
export const GENERATION_EPOCHS = 16_384;
/** Key generations: 2^16, the length of each category's link chain. */
export const KEY_GENERATIONS = 65_536;
/** Largest key epoch, 2^30 - 1; equals `RecordRegistry.MAX_KEY_EPOCH`. */
export const MAX_KEY_EPOCH = KEY_GENERATIONS * GENERATION_EPOCHS - 1;
/** Bytes of one KEK. */
export const KEK_BYTES = 32;
/** Bytes of one generation link. */
export const LINK_BYTES = 32;
/**
 * Every length in bytes a key carried by a grant can have: a DEK or a generation-0
 * {@link CategoryKey} (32), a CategoryKey of generation > 0 (64), a KEK bundle of generation 0
 * (288) or of generation > 0 (576). HPKE wraps only these (`crypto/hpke.ts`).
 */
export const KEY_PAYLOAD_BYTES: readonly number[] = [32, 64, 32 * ALL_CATEGORIES.length, 64 * ALL_CATEGORIES.length];

/** A key epoch outside 0..MAX_KEY_EPOCH, a regression towards a newer epoch, or a malformed key payload. */
export class KeyEpochError extends MeridianError {
  override name = "KeyEpochError" as const;
}

/**
 * One category's key material at one epoch: what a category grant carries, and one ninth of a
 * KEK bundle. Opens every record of `category` up to `epoch` ({@link regressCategoryKey}).
 */
export interface CategoryKey {
  /** The record category. */
  readonly category: RecordCategory;
  /** The key epoch of {@link kek}. */
  readonly epoch: number;
  /** KEK(epoch, category), 32 bytes. */
  readonly kek: Uint8Array;
  /** L_category(g - 1), 32 bytes, for generation g = {@link keyGeneration}(epoch) > 0; undefined in generation 0. */
  readonly link: Uint8Array | undefined;
}

function checkEpoch(epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > MAX_KEY_EPOCH) {
    throw new KeyEpochError(`Key epoch ${epoch} is outside 0..${MAX_KEY_EPOCH}.`);
  }
}

/** The key generation of `epoch`: `floor(epoch / 16384)`. Throws {@link KeyEpochError} outside 0..MAX_KEY_EPOCH. */
export function keyGeneration(epoch: number): number {
  checkEpoch(epoch);
  return Math.floor(epoch / GENERATION_EPOCHS);
}

/** Bytes of a {@link CategoryKey} payload at `epoch`: 32 in generation 0, else 64 (KEK ‖ link). */
export function categoryKeyBytes(epoch: number): number {
  return keyGeneration(epoch) === 0 ? KEK_BYTES : KEK_BYTES + LINK_BYTES;
}

/** Bytes of a KEK bundle at `epoch`: nine {@link CategoryKey} payloads, 288 in generation 0, else 576. */
export function kekBundleBytes(epoch: number): number {
  return categoryKeyBytes(epoch) * ALL_CATEGORIES.length;
}

/** SHA-256 applied `n` times to `x`; always a new array (`x` is left alone, intermediates are zeroed). */
function hashTimes(x: Uint8Array, n: number): Uint8Array {
  if (n === 0) return x.slice();
  let k = sha256(x);
  for (let j = 1; j < n; j++) {
    const next = sha256(k);
    k.fill(0);
    k = next;
  }
  return k;
}

/** The {@link CategoryKey} of (`category`, `epoch`) from the generation's link L_c(g). */
function keyFromLink(category: RecordCategory, epoch: number, link: Uint8Array): CategoryKey {
  const seed = hkdf(sha256, link, undefined, new TextEncoder().encode(`meridian/v2/kek-seed/${category}`), KEK_BYTES);
  const kek = hashTimes(seed, GENERATION_EPOCHS - 1 - (epoch % GENERATION_EPOCHS));
  seed.fill(0);
  return { category, epoch, kek, link: keyGeneration(epoch) > 0 ? sha256(link) : undefined };
}

/**
 * The {@link CategoryKey} of `key.category` at `toEpoch <= key.epoch`: by regression inside
 * the generation, and through the link chain for an older generation.
 *
 * @throws {KeyEpochError} when `toEpoch` is newer than `key.epoch` (what regression forbids) or
 *   out of range, or when a key of generation > 0 has no link.
 */
export function regressCategoryKey(key: CategoryKey, toEpoch: number): CategoryKey {
  const from = keyGeneration(key.epoch);
  const to = keyGeneration(toEpoch);
  if (toEpoch > key.epoch) {
    throw new KeyEpochError(`A key of epoch ${key.epoch} cannot open epoch ${toEpoch}, which is newer.`, {
      hint: "The patient revoked a grant since; ask them to re-issue yours.",
    });
  }
  if (to === from)
    return {
      category: key.category,
      epoch: toEpoch,
      kek: hashTimes(key.kek, key.epoch - toEpoch),
      link: key.link?.slice(),
    };
  if (!key.link || key.link.length !== LINK_BYTES)
    throw new KeyEpochError(`A key of generation ${from} lacks its generation link.`);
  const link = hashTimes(key.link, from - 1 - to); // L_c(to)
  const out = keyFromLink(key.category, toEpoch, link);
  link.fill(0);
  return out;
}

/** The payload of a category grant: KEK (32 bytes), followed in generation > 0 by the link (32 bytes). */
export function encodeCategoryKey(key: CategoryKey): Uint8Array {
  const out = new Uint8Array(categoryKeyBytes(key.epoch));
  if (key.kek.length !== KEK_BYTES || out.length > KEK_BYTES !== (key.link?.length === LINK_BYTES)) {
    throw new KeyEpochError(`The key of category ${key.category} at epoch ${key.epoch} is malformed.`);
  }
  out.set(key.kek);
  if (key.link) out.set(key.link, KEK_BYTES);
  return out;
}

/**
 * Reads a category grant's payload ({@link encodeCategoryKey}) issued at `epoch` for `category`.
 * The result holds copies: the caller may zero `payload` afterwards.
 *
 * @throws {KeyEpochError} when the payload's length does not match the epoch's generation.
 */
export function decodeCategoryKey(payload: Uint8Array, category: RecordCategory, epoch: number): CategoryKey {
  const bytes = categoryKeyBytes(epoch);
  if (payload.length !== bytes)
    throw new KeyEpochError("The category key is malformed.", {
      details: `${payload.length} bytes; expected ${bytes} at epoch ${epoch}`,
    });
  return {
    category,
    epoch,
    kek: payload.slice(0, KEK_BYTES),
    link: bytes > KEK_BYTES ? payload.slice(KEK_BYTES) : undefined,
  };
}

/**
 * The payload of an all-records grant, a guardian appointment or a guardian's bundle: the nine
 * {@link CategoryKey}s of one epoch, each encoded by {@link encodeCategoryKey}, in category order
 * (`ALL_CATEGORIES`): {@link kekBundleBytes} bytes.
 *
 * @throws {KeyEpochError} when a category is missing or the keys are of different epochs.
 */
export function encodeKekBundle(keys: readonly CategoryKey[]): Uint8Array {
  const epoch = keys[0]?.epoch ?? 0;
  const size = categoryKeyBytes(epoch);
  const out = new Uint8Array(size * ALL_CATEGORIES.length);
  ALL_CATEGORIES.forEach((c, i) => {
    const key = keys.find((k) => k.category === c);
    if (!key || key.epoch !== epoch) throw new KeyEpochError(`The KEK bundle lacks category ${c} at epoch ${epoch}.`);
    const encoded = encodeCategoryKey(key);
    out.set(encoded, i * size);
    encoded.fill(0);
  });
  return out;
}

/**
 * The {@link CategoryKey} of `category` in a bundle made by {@link encodeKekBundle} at `epoch`.
 *
 * @throws {KeyEpochError} when the bundle's length does not match the epoch's generation.
 */
export function categoryKeyFromBundle(bundle: Uint8Array, category: RecordCategory, epoch: number): CategoryKey {
  const i = ALL_CATEGORIES.indexOf(category);
  const size = categoryKeyBytes(epoch);
  if (bundle.length !== size * ALL_CATEGORIES.length || i < 0) {
    throw new KeyEpochError("The KEK bundle is malformed.", { details: `${bundle.length} bytes at epoch ${epoch}` });
  }
  return decodeCategoryKey(bundle.subarray(i * size, (i + 1) * size), category, epoch);
}

/**
 * The KEK that opens a record of `category` at key epoch `epoch`, from the payload of a category
 * grant (`scope` "category", for that category) or an all-records grant (`scope` "all") issued at
 * `grantEpoch`.
 *
 * @throws {KeyEpochError} when the record is newer than the grant, or the payload is malformed.
 */
export function grantKek(p: {
  scope: "category" | "all";
  payload: Uint8Array;
  grantEpoch: number;
  category: RecordCategory;
  epoch: number;
}): Uint8Array {
  const key =
    p.scope === "category"
      ? decodeCategoryKey(p.payload, p.category, p.grantEpoch)
      : categoryKeyFromBundle(p.payload, p.category, p.grantEpoch);
  const opened = regressCategoryKey(key, p.epoch);
  key.kek.fill(0);
  key.link?.fill(0);
  opened.link?.fill(0);
  return opened.kek;
}

/**
 * A patient's KEK chains, derived from the root secret of their wallet-derived keys (see
 * `crypto/keys.ts`). Caches, per category, the newest generation link and the newest key computed.
 *
 * @example
 * ```ts
 * const ring = new PatientKeyring((await deriveUserKeys(signature)).rootSecret);
 * const kek = await ring.categoryKek(RecordCategory.Lab, keyEpoch);
 * ```
 */
export class PatientKeyring {
  readonly #root: Promise<CryptoKey>;
  readonly #links = new Map<RecordCategory, { generation: number; link: Uint8Array }>();
  readonly #keys = new Map<RecordCategory, CategoryKey>();

  /**
   * @param rootSecret The root secret from `deriveUserKeys`: a non-extractable HKDF `CryptoKey`,
   *   or 32 raw bytes (imported as a non-extractable key; the caller keeps and should zero them).
   */
  constructor(rootSecret: CryptoKey | Uint8Array) {
    this.#root =
      rootSecret instanceof Uint8Array
        ? crypto.subtle.importKey("raw", new Uint8Array(rootSecret), "HKDF", false, ["deriveBits"])
        : Promise.resolve(rootSecret);
  }

  /** L_category(generation), a new array. */
  async #link(category: RecordCategory, generation: number): Promise<Uint8Array> {
    const cached = this.#links.get(category);
    if (cached && cached.generation >= generation) return hashTimes(cached.link, cached.generation - generation);
    const info = new TextEncoder().encode(`meridian/v2/generation-link/${category}`);
    const bits = await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info },
      await this.#root,
      256,
    );
    const seed = new Uint8Array(bits);
    const link = hashTimes(seed, KEY_GENERATIONS - 1 - generation);
    seed.fill(0);
    cached?.link.fill(0);
    this.#links.set(category, { generation, link });
    return link.slice();
  }

  /** The {@link CategoryKey} of (`category`, `epoch`): what a category grant at `epoch` carries. */
  async categoryKey(category: RecordCategory, epoch: number): Promise<CategoryKey> {
    checkEpoch(epoch);
    const cached = this.#keys.get(category);
    if (cached && cached.epoch >= epoch) return regressCategoryKey(cached, epoch);
    const link = await this.#link(category, keyGeneration(epoch));
    const key = keyFromLink(category, epoch, link);
    link.fill(0);
    this.#keys.set(category, key);
    return { ...key, kek: key.kek.slice(), link: key.link?.slice() };
  }

  /** KEK(`epoch`, `category`), 32 bytes. */
  async categoryKek(category: RecordCategory, epoch: number): Promise<Uint8Array> {
    const key = await this.categoryKey(category, epoch);
    key.link?.fill(0);
    return key.kek;
  }

  /** The nine category keys of `epoch` as a bundle ({@link encodeKekBundle}): what an all-records grant carries. */
  async kekBundle(epoch: number): Promise<Uint8Array> {
    const keys: CategoryKey[] = [];
    for (const c of ALL_CATEGORIES) keys.push(await this.categoryKey(c, epoch));
    const bundle = encodeKekBundle(keys);
    for (const k of keys) {
      k.kek.fill(0);
      k.link?.fill(0);
    }
    return bundle;
  }
}
