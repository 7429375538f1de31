/**
 * RecordRegistry: nothing readable on chain (events and views carry keys, hashes, ids, enums and
 * times only), and gas that does not grow with patients, records, grants or revocations.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  hexToBytes,
  parseEther,
  sha256,
  stringToHex,
  toHex,
  type AbiFunction,
  type AbiParameter,
  type Address,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { recordRegistryAbi } from "@meridian/sdk/chain";
import { mined } from "@meridian/sdk/testing";
import {
  alice,
  anchor,
  Category,
  categoryTarget,
  cidOf,
  DAY,
  hospital,
  id,
  Kind,
  kit,
  lab,
  loadFixture,
  meridian,
  providers,
  PURPOSE_TREAT,
  registry,
  regulator,
  Scope,
  testClient,
  withRecords,
  WRAPPED,
  ZERO32,
} from "./fixtures.ts";

/** 32 bytes derived from `seed` with no zero byte, so calldata costs do not vary between calls. */
function nonZeroBytes32(seed: string): Hex {
  return toHex(hexToBytes(id(seed)).map((b) => (b === 0 ? 1 : b)));
}

/** The types of `parameters`, tuple components included. */
function typesOf(parameters: readonly AbiParameter[]): string[] {
  return parameters.flatMap((p) => ("components" in p ? [p.type, ...typesOf(p.components)] : [p.type]));
}

/** Intrinsic calldata gas of a transaction (EIP-2028: 4 per zero byte, 16 per non-zero byte). */
function calldataGas(data: Hex): bigint {
  let gas = 0n;
  for (const b of hexToBytes(data)) gas += b === 0 ? 4n : 16n;
  return gas;
}

describe("RecordRegistry: privacy", () => {
  it("no event of a full flow carries a plaintext that was never sent", async () => {
    await loadFixture(meridian);
    // The clinical text stays off chain: only its (pretend) ciphertext hash and CID are sent.
    const marker = "MERIDIAN-PLAINTEXT-MARKER: Jane Roe, HIV positive";
    const ciphertext = stringToHex("opaque ciphertext bytes standing in for AES-GCM output");
    const hash = sha256(ciphertext);
    const labTarget = categoryTarget(Category.Lab);
    const receipts: TransactionReceipt[] = [];
    receipts.push((await anchor(alice, alice.address, Category.Lab, { hash })).receipt);
    receipts.push(
      await mined(
        kit,
        registry.as(lab).requestAccess([alice.address, Scope.Category, labTarget, true, DAY, PURPOSE_TREAT]),
      ),
    );
    receipts.push(
      await mined(kit, registry.as(alice).approveRequest([lab.address, Scope.Category, labTarget, true, 0, WRAPPED])),
    );
    receipts.push((await anchor(lab, alice.address, Category.Lab)).receipt);
    receipts.push(
      await mined(
        kit,
        registry.as(hospital).requestAccess([alice.address, Scope.All, ZERO32, false, 0, PURPOSE_TREAT]),
      ),
    );
    receipts.push(await mined(kit, registry.as(alice).denyRequest([hospital.address, Scope.All, ZERO32])));
    receipts.push(await mined(kit, registry.as(alice).revoke([lab.address, Scope.Category, labTarget])));
    receipts.push(await mined(kit, providers.as(regulator).suspend([lab.address])));

    const needles = [stringToHex(marker), stringToHex("Jane Roe"), ciphertext].map((h) => h.slice(2));
    let logs = 0;
    for (const receipt of receipts) {
      for (const log of receipt.logs) {
        logs++;
        const haystack = (log.data + log.topics.join("")).toLowerCase();
        for (const needle of needles) assert.ok(!haystack.includes(needle), `log ${logs} carries ${needle}`);
      }
    }
    assert.ok(logs >= receipts.length);
  });

  it("views return only keys, hashes, ids, enums and times (no strings or byte blobs)", async () => {
    const { aliceLab } = await loadFixture(withRecords);
    const functions = recordRegistryAbi.filter(
      (item): item is AbiFunction & (typeof recordRegistryAbi)[number] => item.type === "function",
    );
    const shape = (name: string) => {
      const output = functions.find((fn) => fn.name === name)?.outputs[0];
      assert.ok(output && "components" in output, name);
      return output.components.map((c) => `${c.name}:${c.type}`);
    };
    assert.deepStrictEqual(shape("getPatient"), [
      "encryptionKey:bytes32",
      "chainHead:bytes24",
      "latestEventBlock:uint32",
      "keyEpoch:uint32",
    ]);
    assert.deepStrictEqual(shape("getRecord"), [
      "patient:address",
      "category:uint8",
      "keyEpoch:uint32",
      "anchoredAt:uint40",
    ]);
    assert.deepStrictEqual(shape("getGrant"), [
      "issuedAt:uint40",
      "expiresAt:uint40",
      "revokedAt:uint40",
      "keyEpoch:uint32",
      "write:bool",
    ]);
    assert.deepStrictEqual(shape("getRequest"), [
      "status:uint8",
      "write:bool",
      "requestedAt:uint40",
      "duration:uint40",
    ]);
    // No view of the registry returns a string or a dynamic byte array, except the EIP-5267
    // `eip712Domain` (the consent codes' EIP-712 domain name and version: public constants).
    const blob = /\bstring\b|\bbytes\b(?!\d)/;
    const domain = functions.find((fn) => fn.name === "eip712Domain");
    assert.match(typesOf(domain?.outputs ?? []).join(" "), blob); // the check sees strings
    for (const fn of functions) {
      if (!["view", "pure"].includes(fn.stateMutability) || fn.name === "eip712Domain") continue;
      assert.doesNotMatch(typesOf(fn.outputs).join(" "), blob, fn.name);
    }
    const p = await registry.read.getPatient([alice.address]);
    assert.equal(Object.keys(p).length, 4);
    const r = await registry.read.getRecord([aliceLab]);
    assert.equal(Object.keys(r).length, 4);
  });
});

describe("RecordRegistry: gas does not grow with patients, records, grants or revocations", () => {
  /**
   * Execution gas = gasUsed − 21,000 − calldata bytes (4 per zero byte, 16 per non-zero byte).
   * A transaction's execution gas does not depend on which bytes it carries here, only the
   * calldata cost does; inputs built by `nonZeroBytes32` make even `gasUsed` identical.
   * (EIP-7623's calldata floor does not bind: every call here executes far more than its floor.)
   */
  async function executionGas(receipt: TransactionReceipt): Promise<bigint> {
    const tx = await kit.publicClient.getTransaction({ hash: receipt.transactionHash });
    return receipt.gasUsed - 21_000n - calldataGas(tx.input);
  }

  /** 50 other patients, each with a record; 50 more providers with zero-byte-free addresses. */
  async function crowdedRegistry() {
    const f = await meridian();
    for (let i = 0; i < 50; i++) {
      const w = privateKeyToAccount(generatePrivateKey());
      await testClient.setBalance({ address: w.address, value: parseEther("1") });
      await mined(kit, registry.as(w).register([nonZeroBytes32(`key ${i}`)]));
      const h = nonZeroBytes32(`other ${i}`);
      await mined(kit, registry.as(w).anchorRecord([w.address, cidOf(h), h, Category.General, 0]));
    }
    const grantees: Address[] = [];
    while (grantees.length < 50) {
      const a = privateKeyToAccount(generatePrivateKey()).address;
      if (hexToBytes(a).includes(0)) continue;
      await mined(kit, providers.as(regulator).admit([a, Kind.Clinic, `Clinic ${grantees.length}`, ""]));
      grantees.push(a);
    }
    return { ...f, grantees };
  }

  it("anchoring: the 1st and the 200th record of a patient cost exactly the same", async () => {
    await loadFixture(crowdedRegistry);
    const used: bigint[] = [];
    const exec: bigint[] = [];
    const ids: Hex[] = [];
    for (let i = 0; i < 200; i++) {
      const h = nonZeroBytes32(`alice ${i}`);
      const a = await anchor(alice, alice.address, 1 + (i % 9), { hash: h, cid: cidOf(h), keyEpoch: 0 });
      used.push(a.receipt.gasUsed);
      exec.push(await executionGas(a.receipt));
      ids.push(a.recordId);
    }
    assert.equal(used[199], used[0]);
    assert.equal(new Set(used).size, 1, `gas per anchoring: ${[...new Set(used)].join(", ")}`);
    assert.equal(new Set(exec).size, 1);
    assert.equal(new Set(ids).size, 200);
  });

  it("granting: the 1st and the 50th grant of a patient cost exactly the same (all and record scopes)", async () => {
    const { grantees } = await loadFixture(crowdedRegistry);
    const all: bigint[] = [];
    for (const grantee of grantees) {
      const receipt = await mined(kit, registry.as(alice).grant([grantee, Scope.All, ZERO32, false, 0, WRAPPED]));
      all.push(receipt.gasUsed);
    }
    assert.equal(all[49], all[0]);
    assert.equal(new Set(all).size, 1);

    // Record grants: each target is a record id, whose zero bytes (calldata cost) vary; the
    // execution gas is identical, and gasUsed differs by 12 gas per zero byte at most.
    const exec: bigint[] = [];
    const used: bigint[] = [];
    for (let i = 0; i < 50; i++) {
      const { recordId } = await anchor(alice, alice.address, Category.Lab, { hash: nonZeroBytes32(`g ${i}`) });
      const receipt = await mined(
        kit,
        registry.as(alice).grant([hospital.address, Scope.Record, recordId, false, 0, WRAPPED]),
      );
      exec.push(await executionGas(receipt));
      used.push(receipt.gasUsed);
    }
    assert.equal(exec[49], exec[0]);
    assert.equal(new Set(exec).size, 1);
    const spread = used.reduce((a, b) => (b > a ? b : a)) - used.reduce((a, b) => (b < a ? b : a));
    assert.ok(spread <= 12n * 32n, `spread ${spread}`);
  });

  it("revoking: the 1st and the 50th revocation (each advancing the epoch) cost exactly the same", async () => {
    const { grantees } = await loadFixture(crowdedRegistry);
    for (const grantee of grantees) {
      await mined(kit, registry.as(alice).grant([grantee, Scope.All, ZERO32, false, 0, WRAPPED]));
    }
    const used: bigint[] = [];
    for (const grantee of grantees) {
      const receipt = await mined(kit, registry.as(alice).revoke([grantee, Scope.All, ZERO32]));
      used.push(receipt.gasUsed);
    }
    assert.equal((await registry.read.getPatient([alice.address])).keyEpoch, 50);
    assert.equal(used[49], used[0]);
    assert.equal(new Set(used).size, 1);
  });
});
