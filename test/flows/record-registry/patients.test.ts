/**
 * RecordRegistry: deployment, patient registration and encryption-key rotation, on the kit's
 * embedded chain through viem and the generated ABIs. Reverts by custom error and arguments,
 * events by name and arguments; the genesis head recomputed from its documented formula.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { recordRegistryAbi } from "@meridian/sdk/chain";
import { RecordCategory } from "@meridian/sdk";
import { expectContractError, expectEvent, mined } from "@meridian/sdk/testing";
import {
  alice,
  bob,
  carol,
  Category,
  genesisHeadOf,
  id,
  kit,
  loadFixture,
  meridian,
  providersAddress,
  registry,
  withRecords,
  ZERO32,
} from "./fixtures.ts";

describe("RecordRegistry", () => {
  describe("deployment", () => {
    it("points at the provider registry", async () => {
      await loadFixture(meridian);
      assert.equal(await registry.read.providerRegistry(), providersAddress);
    });

    it("keeps constants and pure id helpers off the ABI (each getter that sorts first costs hot calls 22 gas)", () => {
      // viaIR dispatches linearly in selector order; these are documented formulas the SDK computes.
      const names = [
        "MAX_KEY_EPOCH",
        "MAX_EMERGENCY_ACCESS",
        "grantIdOf",
        "requestIdOf",
        "genesisHead",
        "consentCodeDigest",
      ];
      for (const name of names) {
        assert.equal(
          recordRegistryAbi.find((item) => item.type === "function" && item.name === name),
          undefined,
          name,
        );
      }
    });

    it("uses the SDK's category codes (packages/sdk/src/categories.ts)", () => {
      assert.deepStrictEqual(
        RecordCategory,
        Object.fromEntries(Object.entries(Category).filter(([k]) => k !== "None")),
      );
    });
  });

  describe("register / rotateEncryptionKey", () => {
    it("registers with the genesis head and emits PatientRegistered", async () => {
      await loadFixture(meridian);
      const key = id("carol key");
      const genesis = genesisHeadOf(carol.address);
      const receipt = await mined(kit, registry.as(carol).register([key]));
      expectEvent(receipt, registry, "PatientRegistered", {
        patient: carol.address,
        encryptionKey: key,
        chainHead: genesis,
      });
      const p = await registry.read.getPatient([carol.address]);
      assert.equal(p.encryptionKey, key);
      assert.equal(p.chainHead, genesis);
      assert.equal(p.keyEpoch, 0);
    });

    it("gives each patient a different genesis head", async () => {
      await loadFixture(meridian);
      assert.notEqual(
        (await registry.read.getPatient([alice.address])).chainHead,
        (await registry.read.getPatient([bob.address])).chainHead,
      );
    });

    it("rejects a second registration", async () => {
      await loadFixture(meridian);
      await expectContractError(registry.as(alice).register([id("again")]), "RecordRegistryAlreadyRegistered", [
        alice.address,
      ]);
    });

    it("rejects a zero key", async () => {
      await loadFixture(meridian);
      await expectContractError(registry.as(carol).register([ZERO32]), "RecordRegistryInvalidEncryptionKey");
    });

    it("rotates the key, keeping chain head and epoch, and emits PatientEncryptionKeyRotated", async () => {
      await loadFixture(withRecords);
      const before = await registry.read.getPatient([alice.address]);
      const key = id("alice rotated key");
      const receipt = await mined(kit, registry.as(alice).rotateEncryptionKey([key]));
      expectEvent(receipt, registry, "PatientEncryptionKeyRotated", { patient: alice.address, encryptionKey: key });
      const after = await registry.read.getPatient([alice.address]);
      assert.equal(after.encryptionKey, key);
      assert.equal(after.chainHead, before.chainHead);
      assert.equal(after.keyEpoch, before.keyEpoch);
    });

    it("rejects rotation by an unregistered caller or to a zero key", async () => {
      await loadFixture(meridian);
      await expectContractError(registry.as(carol).rotateEncryptionKey([id("k")]), "RecordRegistryUnknownPatient", [
        carol.address,
      ]);
      await expectContractError(registry.as(alice).rotateEncryptionKey([ZERO32]), "RecordRegistryInvalidEncryptionKey");
    });
  });
});
