/**
 * A provider's list of patients who shared with it shows only live grants, and says when and why
 * each other grant ended: on a real Hardhat/EDR chain (in process), with the real client issuing,
 * revoking (which re-issues the other grants at a new key epoch) and re-issuing grants, time
 * travel past an expiry, and the regulator suspending, reinstating and removing the grantee.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createPublicClient, createWalletClient, custom, defineChain, type Account, type EIP1193Provider } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { network } from "hardhat";
import { createMeridianClient, type MeridianClient } from "../client.ts";
import { RecordCategory } from "../categories.ts";
import { createHeliaStore } from "../storage/helia.ts";
import type { BlobStore } from "../storage/types.ts";
import { admitProvider, deployMeridian, grantIdOf, listGrantEvents, setProviderStatus } from "./actions.ts";
import { listGrantStatuses, listSharedWithMe } from "./grant-status.ts";
import { ProviderKind, type MeridianContext } from "./types.ts";

const MNEMONIC = "test test test test test test test test test test test junk";
const account = (i: number) => mnemonicToAccount(MNEMONIC, { addressIndex: i });

let connection: Awaited<ReturnType<typeof network.create>>;
let store: BlobStore;
let dir: string;
let ctx: (a: Account) => MeridianContext;
let patient: MeridianClient, hospital: MeridianClient, lab: MeridianClient;
const regulator = account(1);
let increaseTime: (seconds: number) => Promise<void>;

before(async () => {
  connection = await network.create();
  const provider = connection.provider as unknown as EIP1193Provider;
  increaseTime = async (seconds) => {
    await provider.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
    await provider.request({ method: "evm_mine" as never });
  };
  const transport = custom(provider);
  const chain = defineChain({
    id: 31337, name: "Hardhat", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: ["http://embedded"] } },
  });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 10 });
  const wallet = (a: Account) => createWalletClient({ account: a, chain, transport, pollingInterval: 10 });
  const deployment = await deployMeridian(
    { publicClient, walletClient: wallet(account(0)) },
    { admin: account(0).address, regulator: regulator.address },
  );
  ctx = (a) => ({ publicClient, walletClient: wallet(a), deployment });
  dir = await mkdtemp(path.join(tmpdir(), "meridian-grant-status-"));
  store = await createHeliaStore({ directory: dir });
  const client = (i: number) => createMeridianClient({ ...ctx(account(i)), store });
  [patient, hospital, lab] = [client(5), client(2), client(3)];
  type Kind = typeof ProviderKind.Hospital | typeof ProviderKind.Lab;
  const admit = (provider: MeridianClient, kind: Kind, name: string) =>
    admitProvider(ctx(regulator), { provider: provider.address, kind, name, department: "" });
  await admit(hospital, ProviderKind.Hospital, "St Mary's");
  await admit(lab, ProviderKind.Lab, "North Lab");
  await hospital.publishProviderKey();
  await lab.publishProviderKey();
  await patient.registerAsPatient();
});

after(async () => {
  await store.close();
  await connection.close();
  await rm(dir, { recursive: true, force: true });
});

const chainNow = async () => Number((await ctx(account(0)).publicClient.getBlock()).timestamp);
const labScope = { kind: "category", category: RecordCategory.Lab } as const;
const documentScope = { kind: "category", category: RecordCategory.Document } as const;

test("the shared-with-me list shows only live grants and says when and why the others ended", async () => {
  await patient.grant({ grantee: hospital.address, scope: { kind: "all" } });
  const expiresAt = (await chainNow()) + 600;
  await patient.grant({ grantee: lab.address, scope: labScope, expiresAt });
  await patient.grant({ grantee: lab.address, scope: documentScope });

  let mine = await listSharedWithMe(lab.ctx, { grantee: lab.address });
  assert.deepEqual(mine.live.map((g) => g.scope), [labScope, documentScope]);
  assert.equal(mine.ended.length, 0);
  assert.equal(mine.live[0]!.expiresAt, expiresAt);

  // revoked: ended with its revocation time; the others are re-issued at the new key epoch
  const { revocation, reissued } = await patient.revoke({ grantee: lab.address, scope: documentScope });
  assert.equal(reissued.length, 2, "the hospital's all-records grant and the lab's lab grant are re-issued");
  const revokedAt = Number((await lab.ctx.publicClient.getBlock({ blockNumber: revocation.blockNumber })).timestamp);
  mine = await listSharedWithMe(lab.ctx, { grantee: lab.address });
  assert.deepEqual(mine.live.map((g) => g.scope), [labScope]);
  assert.equal(mine.live[0]!.keyEpoch, 1, "the latest issue (epoch 1), not the first");
  assert.equal(mine.ended.length, 1);
  assert.deepEqual({ ...mine.ended[0]!.scope, reason: mine.ended[0]!.reason }, { ...documentScope, reason: "revoked" });
  assert.equal(mine.ended[0]!.endedAt, revokedAt);

  // the raw events list the hospital's grant twice (issue and re-issue); the list shows it once
  const raw = await listGrantEvents(hospital.ctx, { grantee: hospital.address });
  assert.equal(raw.length, 2);
  const theirs = await listSharedWithMe(hospital.ctx, { grantee: hospital.address });
  assert.equal(theirs.live.length, 1);
  assert.equal(theirs.live[0]!.grantId, grantIdOf(patient.address, hospital.address, { kind: "all" }));
  assert.equal(theirs.live[0]!.keyEpoch, 1);

  // expired: time travel past the expiry; the chain's time decides, not the wall clock
  await increaseTime(601);
  mine = await listSharedWithMe(lab.ctx, { grantee: lab.address });
  assert.equal(mine.live.length, 0);
  assert.deepEqual(mine.ended.map((g) => [g.scope, g.reason]), [[labScope, "expired"], [documentScope, "revoked"]]);
  assert.equal(mine.ended[0]!.endedAt, expiresAt);
  assert.ok(mine.asOf > expiresAt);

  // re-issued: live again at its new terms, and no longer among the ended ones
  await patient.grant({ grantee: lab.address, scope: documentScope, write: true });
  mine = await listSharedWithMe(lab.ctx, { grantee: lab.address });
  assert.deepEqual(mine.live.map((g) => [g.scope, g.write]), [[documentScope, true]]);
  assert.deepEqual(mine.ended.map((g) => [g.scope, g.reason]), [[labScope, "expired"]]);

  // the patient's view of the same grants agrees
  const all = await listGrantStatuses(patient.ctx, { patient: patient.address });
  assert.equal(all.live.length, 2);
  assert.equal(all.ended.length, 1);
});

test("a suspended or removed grantee's grants are ended, with the registry's status change as their end", async () => {
  await setProviderStatus(ctx(regulator), { provider: hospital.address, action: "suspend" });
  const suspendedAt = await chainNow();
  let theirs = await listSharedWithMe(hospital.ctx, { grantee: hospital.address });
  assert.equal(theirs.live.length, 0);
  assert.deepEqual(theirs.ended.map((g) => [g.reason, g.endedAt]), [["grantee-suspended", suspendedAt]]);

  await setProviderStatus(ctx(regulator), { provider: hospital.address, action: "reinstate" });
  theirs = await listSharedWithMe(hospital.ctx, { grantee: hospital.address });
  assert.equal(theirs.live.length, 1, "a reinstatement revives a grant that neither expired nor was revoked");

  await setProviderStatus(ctx(regulator), { provider: hospital.address, action: "remove" });
  theirs = await listSharedWithMe(hospital.ctx, { grantee: hospital.address });
  assert.equal(theirs.live.length, 0);
  assert.deepEqual(theirs.ended.map((g) => [g.reason, g.endedAt]), [["grantee-removed", await chainNow()]]);
});
