/**
 * The linked event walk (docs/event-reads.md, "Event linking") on a chain 1,000,000 blocks apart
 * between a patient's events (`hardhat_mine`), read through the test kit's real HTTP JSON-RPC
 * proxy that refuses `eth_getLogs` over 1 block, and over 1,000 blocks: the patient's audit log,
 * grants, pending requests, guardians, record list, chain check and one record's anchor give the
 * same answer as an uncapped read, at one `eth_getLogs` per block of the patient's events (plus
 * nothing: the pointer is an `eth_call`). The provider's patient list (grantees are not linked on
 * chain) works through the 1,000-block cap in ranges. And a reorganisation, before or during a
 * walk, never yields the other fork's events.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { bytesToHex, createPublicClient, custom, http, type Account, type Hex } from "viem";
import {
  appointGuardian,
  anchorRecord,
  getAuditTrail,
  getPatient,
  getRecordAnchor,
  issueGrant,
  listGuardianships,
  listPatientGrants,
  listPendingAccessRequests,
  listRecordAnchors,
  listSharingPatients,
  ProviderKind,
  registerPatient,
  requestAccess,
  revokeGrant,
  setProviderEncryptionKey,
  verifyPatientChain,
  walkPatientEvents,
  admitProvider,
  type MeridianContext,
} from "@meridian/sdk/chain";
import { RecordCategory } from "@meridian/sdk";
import {
  startRpcProxy,
  startTestChain,
  testAccount,
  testChainDefinition,
  type RpcProxy,
  type TestChain,
} from "@meridian/sdk/testing";

const GAP = 1_000_000;
const random32 = (): Hex => bytesToHex(crypto.getRandomValues(new Uint8Array(32)));

let kit: TestChain;
const regulator = testAccount(1),
  hospital = testAccount(2),
  lab = testAccount(3),
  alice = testAccount(5),
  guardian = testAccount(6);
const ctx = (a: Account) => kit.as(a);
/** Blocks holding alice's events (what a walk reads, one `eth_getLogs` each). */
const aliceBlocks = new Set<bigint>();
const recordIds: Hex[] = [];

async function mark<T extends { blockNumber: bigint }>(p: Promise<T>): Promise<T> {
  const r = await p;
  aliceBlocks.add(r.blockNumber);
  return r;
}

async function anchor(category: RecordCategory): Promise<Hex> {
  const { keyEpoch } = await getPatient(ctx(alice), alice.address);
  const hash = random32();
  const cid = `0x01551220${hash.slice(2)}` as Hex;
  const p = { patient: alice.address, cid, ciphertextHash: hash, category, keyEpoch };
  return (await mark(anchorRecord(ctx(alice), p))).recordId;
}

const grant = (grantee: Account, scope: Parameters<typeof issueGrant>[1]["scope"]) =>
  mark(issueGrant(ctx(alice), { grantee: grantee.address, scope, write: false, expiresAt: 0, wrappedKey: random32() }));

before(async () => {
  kit = await startTestChain();
  for (const [i, p] of [hospital, lab].entries()) {
    await admitProvider(ctx(regulator), {
      provider: p.address,
      kind: ProviderKind.Hospital,
      name: `H${i}`,
      department: "",
    });
    await setProviderEncryptionKey(ctx(p), { encryptionKey: random32() });
  }
  await registerPatient(ctx(guardian), { encryptionKey: random32() });
  await mark(registerPatient(ctx(alice), { encryptionKey: random32() }));
  await kit.testClient.mine({ blocks: GAP });
  recordIds.push(await anchor(RecordCategory.Lab));
  await grant(hospital, { kind: "category", category: RecordCategory.Lab });
  await kit.testClient.mine({ blocks: GAP });
  recordIds.push(await anchor(RecordCategory.Cardiac));
  await grant(lab, { kind: "all" });
  await mark(revokeGrant(ctx(alice), { grantee: lab.address, scope: { kind: "all" } }));
  await mark(
    requestAccess(ctx(lab), {
      patient: alice.address,
      scope: { kind: "all" },
      write: false,
      durationSeconds: 0,
      purpose: "TREAT",
    }),
  );
  await mark(appointGuardian(ctx(alice), { guardian: guardian.address, level: 1, wrappedKey: random32() }));
  await kit.testClient.mine({ blocks: GAP });
  recordIds.push(await anchor(RecordCategory.General));
  await kit.testClient.mine({ blocks: 10 });
});

after(async () => {
  await kit?.close();
});

/** `kit`'s chain through a proxy refusing `eth_getLogs` over `maxLogBlocks` blocks. */
async function capped(maxLogBlocks: number): Promise<{ proxy: RpcProxy; chain: MeridianContext }> {
  const proxy = await startRpcProxy({ upstream: kit.provider, maxLogBlocks });
  const publicClient = createPublicClient({
    chain: testChainDefinition,
    transport: http(proxy.url, { retryCount: 0 }),
    cacheTime: 0,
  });
  return { proxy, chain: { publicClient, deployment: kit.deployment } };
}

const getLogs = (proxy: RpcProxy) => proxy.calls.get("eth_getLogs") ?? 0;

for (const cap of [1, 1000]) {
  describe(`the patient's event walk through a ${cap}-block eth_getLogs cap, ${GAP.toLocaleString()} blocks apart`, () => {
    let proxy: RpcProxy;
    let chain: MeridianContext;
    before(async () => ({ proxy, chain } = await capped(cap)));
    after(async () => proxy?.close());

    it("reads the audit log like an uncapped read, one eth_getLogs per block of the patient's events", async () => {
      const head = await kit.publicClient.getBlockNumber();
      assert.ok(head > 3n * BigInt(GAP), `the chain is ${head} blocks long`);
      proxy.resetCounts();
      const trail = await getAuditTrail(chain, alice.address);
      assert.equal(getLogs(proxy), aliceBlocks.size, "eth_getLogs calls = blocks holding alice's events");
      assert.equal(proxy.refused(), 0, "no query was refused");
      assert.ok((proxy.calls.get("eth_call") ?? 0) <= 1, "one pointer read");
      assert.deepStrictEqual(trail, await getAuditTrail(ctx(alice), alice.address));
      assert.deepStrictEqual(new Set(trail.map((e) => e.blockNumber)), aliceBlocks);
      const grantIssued = trail.filter((e) => e.event === "GrantIssued");
      assert.equal(grantIssued.length, 2);
      assert.ok(
        grantIssued.every((e) => typeof e.args.grantId === "string"),
        "the audit keeps each grant's id",
      );
      assert.ok(
        trail.every((e) => !("previousEventBlock" in e.args)),
        "links are plumbing, not audit entries",
      );
    });

    it("lists grants, requests, guardians and records, checks the chain and opens a record's anchor", async () => {
      proxy.resetCounts();
      const grants = await listPatientGrants(chain, { patient: alice.address });
      assert.equal(getLogs(proxy), aliceBlocks.size, "grants: one walk");
      assert.deepStrictEqual(grants.grants, (await listPatientGrants(ctx(alice), { patient: alice.address })).grants);
      assert.deepStrictEqual(
        grants.grants.map((g) => g.grantee),
        [hospital.address],
        "the revoked grant is left out",
      );
      const requests = await listPendingAccessRequests(chain, { patient: alice.address });
      assert.deepStrictEqual(
        requests.map((r) => r.requester),
        [lab.address],
      );
      const guardians = await listGuardianships(chain, { patient: alice.address });
      assert.deepStrictEqual(
        guardians.map((g) => g.guardian),
        [guardian.address],
      );
      const wards = await listGuardianships(chain, { guardian: guardian.address });
      assert.deepStrictEqual(
        wards.map((g) => g.patient),
        [alice.address],
        "the guardian's own chain finds its wards",
      );
      assert.deepStrictEqual(
        (await listRecordAnchors(chain, alice.address)).map((a) => a.recordId),
        recordIds,
      );
      const verified = await verifyPatientChain(chain, alice.address);
      assert.equal(verified.valid, true, JSON.stringify(verified.problems));
      assert.equal(verified.records, 3);
      proxy.resetCounts();
      const latest = await getRecordAnchor(chain, recordIds[2]!);
      assert.equal(latest.recordId, recordIds[2]);
      assert.equal(getLogs(proxy), 1, "the newest record: one block read");
      const first = await getRecordAnchor(chain, recordIds[0]!);
      assert.deepStrictEqual(first, await getRecordAnchor(ctx(alice), recordIds[0]!));
    });
  });
}

describe("the provider's patient list through a 1,000-block cap (ranged reads)", () => {
  it("lists the patients who share with the provider, like an uncapped read", async () => {
    const { proxy, chain } = await capped(1000);
    try {
      const shared = await listSharingPatients(chain, { grantee: hospital.address });
      assert.deepStrictEqual(
        shared.patients.map((p) => p.patient),
        [alice.address],
      );
      assert.deepStrictEqual(shared, await listSharingPatients(ctx(hospital), { grantee: hospital.address }));
      const head = await kit.publicClient.getBlockNumber();
      assert.ok(getLogs(proxy) >= Number((head - kit.deployment.deployedAtBlock) / 1000n), "ranges of 1,000 blocks");
    } finally {
      await proxy.close();
    }
  });
});

describe("reorganisations", () => {
  it("a walk after a reorg reads the new fork only", async () => {
    const snapshot = await kit.snapshot();
    const gone = await anchor(RecordCategory.Imaging);
    assert.ok((await listRecordAnchors(ctx(alice), alice.address)).some((a) => a.recordId === gone));
    await kit.revert(snapshot);
    await kit.testClient.mine({ blocks: 3 });
    const kept = await anchor(RecordCategory.Document);
    const after = (await listRecordAnchors(ctx(alice), alice.address)).map((a) => a.recordId);
    assert.deepStrictEqual(after, [...recordIds, kept]);
    assert.equal((await verifyPatientChain(ctx(alice), alice.address)).valid, true);
  });

  it("a reorg during a walk restarts it: the answer is the new fork's, never a mix", async () => {
    const snapshot = await kit.snapshot();
    const old = await anchor(RecordCategory.Imaging);
    const headBefore = await kit.publicClient.getBlockNumber();
    let reorged = false;
    let replacement: Hex | undefined;
    // A real transport to the same chain that, at the walk's first eth_getLogs, replaces the
    // newest blocks by another fork of the same height (a reorg under the reader's feet).
    const transport = custom({
      request: async (args: { method: string; params?: unknown }) => {
        if (args.method === "eth_getLogs" && !reorged) {
          reorged = true;
          await kit.revert(snapshot);
          replacement = await anchor(RecordCategory.Medication);
          const gap = headBefore - (await kit.publicClient.getBlockNumber());
          if (gap > 0n) await kit.testClient.mine({ blocks: Number(gap) });
        }
        return kit.provider.request(args as never);
      },
    });
    const publicClient = createPublicClient({ chain: testChainDefinition, transport, cacheTime: 0 });
    const walk = await walkPatientEvents({ publicClient, deployment: kit.deployment }, { patient: alice.address });
    assert.ok(reorged, "the reorg happened during the walk");
    const anchored = walk.logs.flatMap((l) => (l.eventName === "RecordAnchored" ? [l.args.recordId] : []));
    assert.ok(!anchored.includes(old), "no event of the replaced fork");
    assert.ok(replacement !== undefined && anchored.includes(replacement), "the new fork's record");
    assert.deepStrictEqual(
      walk.logs,
      (await walkPatientEvents(ctx(alice), { patient: alice.address, blockNumber: walk.blockNumber })).logs,
    );
  });
});
