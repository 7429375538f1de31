import { test } from "node:test";
import assert from "node:assert/strict";
import { PatientKeyring, regressKek, kekFromBundle, KeyEpochError, MAX_KEY_EPOCH, KEK_BUNDLE_BYTES } from "./keyring.ts";
import { RecordCategory } from "./categories.ts";

const root = new Uint8Array(32).fill(7);

test("a newer KEK regresses to every older one, and never forwards", async () => {
  const ring = new PatientKeyring(root);
  const k5 = await ring.categoryKek(RecordCategory.Lab, 5);
  const k2 = await new PatientKeyring(root).categoryKek(RecordCategory.Lab, 2);
  assert.deepEqual(regressKek(k5, 5, 2), k2);
  assert.notDeepEqual(k5, k2);
  assert.throws(() => regressKek(k2, 2, 5), KeyEpochError);
  assert.throws(() => regressKek(k2, 2, MAX_KEY_EPOCH + 1), KeyEpochError);
});

test("categories and roots give unrelated chains; the bundle carries each category", async () => {
  const ring = new PatientKeyring(root);
  const lab = await ring.categoryKek(RecordCategory.Lab, 0);
  const cardiac = await ring.categoryKek(RecordCategory.Cardiac, 0);
  assert.notDeepEqual(lab, cardiac);
  assert.notDeepEqual(lab, await new PatientKeyring(new Uint8Array(32).fill(8)).categoryKek(RecordCategory.Lab, 0));
  const bundle = await ring.kekBundle(3);
  assert.equal(bundle.length, KEK_BUNDLE_BYTES);
  assert.deepEqual(regressKek(kekFromBundle(bundle, RecordCategory.Lab), 3, 0), lab);
});
