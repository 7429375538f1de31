import { test } from "node:test";
import assert from "node:assert/strict";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  PatientKeyring,
  KeyEpochError,
  MAX_KEY_EPOCH,
  GENERATION_EPOCHS,
  KEY_GENERATIONS,
  categoryKeyBytes,
  categoryKeyFromBundle,
  decodeCategoryKey,
  encodeCategoryKey,
  grantKek,
  kekBundleBytes,
  keyGeneration,
  regressCategoryKey,
  type CategoryKey,
} from "./keyring.ts";
import { ALL_CATEGORIES, RecordCategory } from "./categories.ts";

const root = new Uint8Array(32).fill(7);
const ring = new PatientKeyring(root);
/** Epoch number of generation `g`, index `i`. */
const epoch = (g: number, i: number) => g * GENERATION_EPOCHS + i;

test("the epoch space is 2^16 generations of 2^14 epochs, 2^30 - 1 at most (RecordRegistry.MAX_KEY_EPOCH)", () => {
  assert.equal(MAX_KEY_EPOCH, 2 ** 30 - 1);
  assert.equal(MAX_KEY_EPOCH, KEY_GENERATIONS * GENERATION_EPOCHS - 1);
  assert.equal(keyGeneration(16_383), 0);
  assert.equal(keyGeneration(16_384), 1);
  assert.equal(keyGeneration(MAX_KEY_EPOCH), KEY_GENERATIONS - 1);
  assert.throws(() => keyGeneration(MAX_KEY_EPOCH + 1), KeyEpochError);
  assert.throws(() => keyGeneration(-1), KeyEpochError);
});

test("a newer KEK regresses to every older one within a generation, and never forwards", async () => {
  const k5 = await ring.categoryKey(RecordCategory.Lab, 5);
  const k2 = await new PatientKeyring(root).categoryKek(RecordCategory.Lab, 2);
  assert.deepEqual(regressCategoryKey(k5, 2).kek, k2);
  assert.notDeepEqual(k5.kek, k2);
  assert.deepEqual(sha256(sha256(sha256(k5.kek))), k2, "plain key regression inside the generation");
  assert.throws(() => regressCategoryKey({ ...k5, epoch: 2, kek: k2 }, 5), KeyEpochError);
  assert.throws(() => regressCategoryKey(k5, MAX_KEY_EPOCH + 1), KeyEpochError);
});

test("categories and roots give unrelated chains; the bundle carries each category", async () => {
  const lab = await ring.categoryKek(RecordCategory.Lab, 0);
  const cardiac = await ring.categoryKek(RecordCategory.Cardiac, 0);
  assert.notDeepEqual(lab, cardiac);
  assert.notDeepEqual(lab, await new PatientKeyring(new Uint8Array(32).fill(8)).categoryKek(RecordCategory.Lab, 0));
  const bundle = await ring.kekBundle(3);
  assert.equal(bundle.length, kekBundleBytes(3));
  assert.equal(bundle.length, 288);
  assert.deepEqual(
    grantKek({ scope: "all", payload: bundle, grantEpoch: 3, category: RecordCategory.Lab, epoch: 0 }),
    lab,
  );
});

test("key regression across a generation boundary: a key of (g, i) with L(g-1) opens generation g-1 and older", async () => {
  const g = 2,
    i = 5;
  const held = await new PatientKeyring(root).categoryKey(RecordCategory.Lab, epoch(g, i));
  assert.equal(held.link?.length, 32, "generation > 0 keys carry the previous generation's link");
  const payload = encodeCategoryKey(held);
  assert.equal(payload.length, 64);
  const grantee = decodeCategoryKey(payload, RecordCategory.Lab, epoch(g, i)); // all the grantee holds
  for (const older of [
    epoch(g, i),
    epoch(g, 0),
    epoch(g - 1, GENERATION_EPOCHS - 1),
    epoch(g - 1, 0),
    epoch(0, 16_383),
    epoch(0, 7),
    0,
  ]) {
    assert.deepEqual(
      regressCategoryKey(grantee, older).kek,
      await ring.categoryKek(RecordCategory.Lab, older),
      `epoch ${older}`,
    );
  }
});

test("a key of (g, i) derives nothing of (g, i+1) or (g+1, 0): that would invert SHA-256", async () => {
  const g = 1,
    i = 9;
  const held = await ring.categoryKey(RecordCategory.Lab, epoch(g, i));
  const next = await ring.categoryKey(RecordCategory.Lab, epoch(g, i + 1));
  const nextGeneration = await ring.categoryKey(RecordCategory.Lab, epoch(g + 1, 0));
  // what the holder has is the image under SHA-256 of what the newer keys need
  assert.deepEqual(sha256(next.kek), held.kek, "KEK(g, i) = SHA-256(KEK(g, i+1))");
  assert.deepEqual(next.link, held.link, "the same generation shares L(g-1)");
  assert.deepEqual(sha256(nextGeneration.link!), held.link, "L(g-1) = SHA-256(L(g)), and (g+1, 0) is opened by L(g)");
  for (const newer of [epoch(g, i + 1), epoch(g + 1, 0)])
    assert.throws(() => regressCategoryKey(held, newer), KeyEpochError);
  // and regressing from the newer keys gives the held one back
  assert.deepEqual(regressCategoryKey(nextGeneration, epoch(g, i)).kek, held.kek);
});

test("a category key of generation g > 0 opens no other category's older generations (links are per category)", async () => {
  const lab = await ring.categoryKey(RecordCategory.Lab, epoch(1, 0));
  for (const other of ALL_CATEGORIES.filter((c) => c !== RecordCategory.Lab)) {
    const forged: CategoryKey = { ...lab, category: other };
    assert.notDeepEqual(regressCategoryKey(forged, 0).kek, await ring.categoryKek(other, 0), `category ${other}`);
    assert.notDeepEqual((await ring.categoryKey(other, epoch(1, 0))).link, lab.link);
  }
});

test("grant payloads: 32 or 64 bytes per category, 288 or 576 per bundle, and the wrong length is refused", async () => {
  assert.equal(categoryKeyBytes(16_383), 32);
  assert.equal(categoryKeyBytes(16_384), 64);
  assert.equal(kekBundleBytes(0), 288);
  assert.equal(kekBundleBytes(MAX_KEY_EPOCH), 576);
  const e = epoch(3, 100);
  const bundle = await ring.kekBundle(e);
  assert.equal(bundle.length, 576);
  for (const c of ALL_CATEGORIES) {
    const key = categoryKeyFromBundle(bundle, c, e);
    assert.deepEqual(key, await ring.categoryKey(c, e));
    assert.deepEqual(
      grantKek({ scope: "all", payload: bundle, grantEpoch: e, category: c, epoch: 1 }),
      await ring.categoryKek(c, 1),
    );
  }
  assert.throws(() => decodeCategoryKey(new Uint8Array(32), RecordCategory.Lab, e), KeyEpochError);
  assert.throws(() => decodeCategoryKey(new Uint8Array(64), RecordCategory.Lab, 0), KeyEpochError);
  assert.throws(() => categoryKeyFromBundle(new Uint8Array(288), RecordCategory.Lab, e), KeyEpochError);
  assert.throws(
    () =>
      grantKek({
        scope: "category",
        payload: new Uint8Array(64),
        grantEpoch: 5,
        category: RecordCategory.Lab,
        epoch: 6,
      }),
    KeyEpochError,
  );
});

test("the largest epoch derives like any other, and keys at it open generation 0", async () => {
  const top = await new PatientKeyring(root).categoryKey(RecordCategory.Imaging, MAX_KEY_EPOCH);
  assert.equal(top.link?.length, 32);
  assert.deepEqual(regressCategoryKey(top, 12).kek, await ring.categoryKek(RecordCategory.Imaging, 12));
  await assert.rejects(ring.categoryKey(RecordCategory.Imaging, MAX_KEY_EPOCH + 1), KeyEpochError);
});

test("the root secret may be a non-extractable WebCrypto HKDF key", async () => {
  const key = await crypto.subtle.importKey("raw", root, "HKDF", false, ["deriveBits"]);
  assert.deepEqual(
    await new PatientKeyring(key).categoryKek(RecordCategory.Lab, 4),
    await ring.categoryKek(RecordCategory.Lab, 4),
  );
});
