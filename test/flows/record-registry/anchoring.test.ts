/**
 * RecordRegistry: hash-chained record anchors, written by the patient or by a provider holding an
 * active write grant. Record ids and chain heads are recomputed from their documented formulas.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Account } from "viem";
import { expectContractError, mined } from "@meridian/sdk/testing";
import {
  alice,
  anchor,
  type Anchored,
  bob,
  bytes24,
  carol,
  Category,
  categoryTarget,
  cidOf,
  DAY,
  filled,
  genesisHeadOf,
  hospital,
  id,
  kit,
  lab,
  loadFixture,
  meridian,
  node,
  outsider,
  recordIdOf,
  registry,
  Scope,
  setStatus,
  WRAPPED,
  ZERO32,
} from "./fixtures.ts";

describe("RecordRegistry: anchorRecord", () => {
  it("anchors a patient's own record: event fields, id formula, getRecord, chain head", async () => {
    await loadFixture(meridian);
    const genesis = genesisHeadOf(alice.address);
    const hash = id("ciphertext bytes");
    const cid = cidOf(hash);
    const a = await anchor(alice, alice.address, Category.Lab, { hash, cid });
    const block = await kit.publicClient.getBlock({ blockNumber: a.receipt.blockNumber });
    assert.equal(a.previousHead, genesis);
    assert.equal(a.author, alice.address);
    assert.equal(a.category, Category.Lab);
    assert.equal(a.keyEpoch, 0);
    assert.equal(a.anchoredAt, Number(block.timestamp));
    assert.equal(a.ciphertextHash, hash);
    assert.equal(a.cid, cid);

    assert.equal(a.recordId, recordIdOf(alice.address, a));
    const { previousHead, author, category, keyEpoch, anchoredAt, ciphertextHash } = a;
    const args = [alice.address, previousHead, author, category, keyEpoch, anchoredAt, ciphertextHash, a.cid] as const;
    assert.equal(await registry.read.computeRecordId(args), a.recordId);
    const r = await registry.read.getRecord([a.recordId]);
    assert.equal(r.patient, alice.address);
    assert.equal(r.category, Category.Lab);
    assert.equal(r.keyEpoch, 0);
    assert.equal(r.anchoredAt, a.anchoredAt);
    assert.equal((await registry.read.getPatient([alice.address])).chainHead, bytes24(a.recordId));
  });

  it("returns the record id it emits", async () => {
    await loadFixture(meridian);
    const hash = id("x");
    // Pin the next block's timestamp so a static call and the transaction see the same clock.
    const t = (await node.latestTime()) + 10;
    await node.setNextBlockTimestamp(t);
    await node.mine();
    const { result } = await registry.simulate.anchorRecord([alice.address, "0x01", hash, Category.General, 0], {
      account: alice,
    });
    const expected = await registry.read.computeRecordId([
      alice.address,
      genesisHeadOf(alice.address),
      alice.address,
      Category.General,
      0,
      t,
      hash,
      "0x01",
    ]);
    assert.equal(result, expected);
  });

  it("links every record to the previous one of the same patient (hash chain)", async () => {
    await loadFixture(meridian);
    await mined(kit, registry.as(alice).grant([hospital.address, Scope.All, ZERO32, true, 0, WRAPPED]));
    const chain: Anchored[] = [];
    for (let i = 0; i < 6; i++) {
      const author = i % 2 === 0 ? alice : hospital;
      const a = await anchor(author, alice.address, 1 + (i % 9));
      chain.push(a);
      await anchor(bob, bob.address, Category.General); // interleaved, must not touch alice's chain
      assert.equal((await registry.read.getPatient([alice.address])).chainHead, bytes24(a.recordId));
    }
    const [a0] = chain;
    assert.ok(a0);
    assert.equal(a0.previousHead, genesisHeadOf(alice.address));
    for (let i = 1; i < chain.length; i++) assert.equal(chain[i]?.previousHead, bytes24(chain[i - 1]!.recordId));
    // Anyone can re-verify the chain from events alone: recompute each id and find it.
    for (const a of chain) {
      assert.equal(recordIdOf(alice.address, a), a.recordId);
      assert.equal((await registry.read.getRecord([a.recordId])).patient, alice.address);
    }
    // A tampered CID or hash does not give the anchored id.
    assert.notEqual(recordIdOf(alice.address, { ...a0, cid: `${a0.cid}00` }), a0.recordId);
    assert.notEqual(recordIdOf(alice.address, { ...a0, ciphertextHash: id("forged") }), a0.recordId);
  });

  it("lets a provider with a category write grant anchor in that category only", async () => {
    await loadFixture(meridian);
    const target = categoryTarget(Category.Cardiac);
    await mined(kit, registry.as(alice).grant([hospital.address, Scope.Category, target, true, 0, WRAPPED]));
    const a = await anchor(hospital, alice.address, Category.Cardiac);
    assert.equal(a.author, hospital.address);
    assert.equal((await registry.read.getRecord([a.recordId])).patient, alice.address);
    await expectContractError(
      registry.as(hospital).anchorRecord([alice.address, "0x01", id("h"), Category.Lab, 0]),
      "RecordRegistryWriteNotPermitted",
      [hospital.address, alice.address, Category.Lab],
    );
  });

  it("lets a provider with an all-records write grant anchor in every category", async () => {
    await loadFixture(meridian);
    await mined(kit, registry.as(alice).grant([lab.address, Scope.All, ZERO32, true, 0, WRAPPED]));
    for (let c = 1; c <= 9; c++) await anchor(lab, alice.address, c);
  });

  it("accepts a CID of 1 and of 128 bytes", async () => {
    await loadFixture(meridian);
    await anchor(alice, alice.address, Category.General, { cid: "0x01" });
    await anchor(alice, alice.address, Category.General, { cid: filled(128, 7) });
  });

  it("rejects an unregistered patient", async () => {
    await loadFixture(meridian);
    await expectContractError(
      registry.as(carol).anchorRecord([carol.address, "0x01", id("h"), Category.Lab, 0]),
      "RecordRegistryUnknownPatient",
      [carol.address],
    );
  });

  it("rejects category None", async () => {
    await loadFixture(meridian);
    await expectContractError(
      registry.as(alice).anchorRecord([alice.address, "0x01", id("h"), Category.None, 0]),
      "RecordRegistryInvalidCategory",
    );
  });

  it("rejects an empty CID and a CID over 128 bytes", async () => {
    await loadFixture(meridian);
    for (const length of [0, 129, 1024]) {
      await expectContractError(
        registry.as(alice).anchorRecord([alice.address, filled(length, 1), id("h"), Category.Lab, 0]),
        "RecordRegistryInvalidCid",
        [BigInt(length)],
      );
    }
  });

  it("rejects a zero ciphertext hash", async () => {
    await loadFixture(meridian);
    await expectContractError(
      registry.as(alice).anchorRecord([alice.address, "0x01", ZERO32, Category.Lab, 0]),
      "RecordRegistryInvalidCiphertextHash",
    );
  });

  it("rejects a key epoch other than the current one", async () => {
    await loadFixture(meridian);
    await expectContractError(
      registry.as(alice).anchorRecord([alice.address, "0x01", id("h"), Category.Lab, 1]),
      "RecordRegistryStaleKeyEpoch",
      [alice.address, 1, 0],
    );
  });

  describe("rejects a writer without an active write grant", () => {
    async function expectRefused(author: Account, category: number = Category.Lab): Promise<void> {
      await expectContractError(
        registry.as(author).anchorRecord([alice.address, "0x01", id("h"), category, 0]),
        "RecordRegistryWriteNotPermitted",
        [author.address, alice.address, category],
      );
      assert.equal(await registry.read.canWrite([author.address, alice.address, category]), false);
    }

    it("no grant: a provider, a non-provider, another patient", async () => {
      await loadFixture(meridian);
      await expectRefused(hospital);
      await expectRefused(outsider);
      await expectRefused(bob);
    });

    it("a read-only grant (category or all)", async () => {
      await loadFixture(meridian);
      const target = categoryTarget(Category.Lab);
      await mined(kit, registry.as(alice).grant([hospital.address, Scope.Category, target, false, 0, WRAPPED]));
      await mined(kit, registry.as(alice).grant([lab.address, Scope.All, ZERO32, false, 0, WRAPPED]));
      await expectRefused(hospital);
      await expectRefused(lab);
    });

    it("a write grant for another category", async () => {
      await loadFixture(meridian);
      const target = categoryTarget(Category.Cardiac);
      await mined(kit, registry.as(alice).grant([hospital.address, Scope.Category, target, true, 0, WRAPPED]));
      await expectRefused(hospital, Category.Lab);
    });

    it("an expired write grant", async () => {
      await loadFixture(meridian);
      const expiresAt = (await node.latestTime()) + DAY;
      await mined(kit, registry.as(alice).grant([hospital.address, Scope.All, ZERO32, true, expiresAt, WRAPPED]));
      await node.increaseTimeTo(expiresAt);
      await expectRefused(hospital);
    });

    it("a revoked write grant (with the new epoch)", async () => {
      await loadFixture(meridian);
      const target = categoryTarget(Category.Lab);
      await mined(kit, registry.as(alice).grant([hospital.address, Scope.Category, target, true, 0, WRAPPED]));
      await mined(kit, registry.as(alice).revoke([hospital.address, Scope.Category, target]));
      await expectContractError(
        registry.as(hospital).anchorRecord([alice.address, "0x01", id("h"), Category.Lab, 1]),
        "RecordRegistryWriteNotPermitted",
        [hospital.address, alice.address, Category.Lab],
      );
    });

    it("a suspended or removed provider holding a write grant", async () => {
      await loadFixture(meridian);
      await mined(kit, registry.as(alice).grant([hospital.address, Scope.All, ZERO32, true, 0, WRAPPED]));
      await mined(kit, registry.as(alice).grant([lab.address, Scope.All, ZERO32, true, 0, WRAPPED]));
      await setStatus(hospital.address, "suspend");
      await setStatus(lab.address, "remove");
      await expectRefused(hospital);
      await expectRefused(lab);
    });
  });
});
