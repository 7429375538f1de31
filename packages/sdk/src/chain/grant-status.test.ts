/**
 * A provider's list of patients who shared with it shows only live grants, and says when and why
 * each other grant ended: on a real Hardhat/EDR chain (in process), with the real client issuing,
 * revoking (which re-issues the other grants at a new key epoch) and re-issuing grants, time
 * travel past an expiry, and the regulator suspending, reinstating and removing the grantee.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { MeridianClient } from "../client.ts";
import { RecordCategory } from "../categories.ts";
import { startTestNetwork, type TestNetwork } from "../testing/index.ts";
import { grantIdOf, listGrantEvents } from "./actions.ts";
import { listGrantStatuses, listSharedWithMe } from "./grant-status.ts";
import { ProviderKind } from "./types.ts";

let net: TestNetwork;
let patient: MeridianClient, hospital: MeridianClient, lab: MeridianClient;

before(async () => {
  net = await startTestNetwork({ label: "grant-status" });
  hospital = await net.admitProvider(2, { kind: ProviderKind.Hospital, name: "St Mary's" });
  lab = await net.admitProvider(3, { kind: ProviderKind.Lab, name: "North Lab" });
  patient = await net.registerPatient(5);
});

after(async () => {
  await net.close();
});

const chainNow = () => net.now();
const labScope = { kind: "category", category: RecordCategory.Lab } as const;
const documentScope = { kind: "category", category: RecordCategory.Document } as const;

test("the shared-with-me list shows only live grants and says when and why the others ended", async () => {
  await patient.grant({ grantee: hospital.address, scope: { kind: "all" } });
  const expiresAt = (await chainNow()) + 600;
  await patient.grant({ grantee: lab.address, scope: labScope, expiresAt });
  await patient.grant({ grantee: lab.address, scope: documentScope });

  let mine = await listSharedWithMe(lab.ctx, { grantee: lab.address });
  assert.deepEqual(
    mine.live.map((g) => g.scope),
    [labScope, documentScope],
  );
  assert.equal(mine.ended.length, 0);
  assert.equal(mine.live[0]!.expiresAt, expiresAt);

  // revoked: ended with its revocation time; the others are re-issued at the new key epoch
  const { revocation, reissued } = await patient.revoke({ grantee: lab.address, scope: documentScope });
  assert.equal(reissued.length, 2, "the hospital's all-records grant and the lab's lab grant are re-issued");
  const revokedAt = Number((await lab.ctx.publicClient.getBlock({ blockNumber: revocation.blockNumber })).timestamp);
  mine = await listSharedWithMe(lab.ctx, { grantee: lab.address });
  assert.deepEqual(
    mine.live.map((g) => g.scope),
    [labScope],
  );
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
  await net.increaseTime(601);
  mine = await listSharedWithMe(lab.ctx, { grantee: lab.address });
  assert.equal(mine.live.length, 0);
  assert.deepEqual(
    mine.ended.map((g) => [g.scope, g.reason]),
    [
      [labScope, "expired"],
      [documentScope, "revoked"],
    ],
  );
  assert.equal(mine.ended[0]!.endedAt, expiresAt);
  assert.ok(mine.asOf > expiresAt);

  // re-issued: live again at its new terms, and no longer among the ended ones
  await patient.grant({ grantee: lab.address, scope: documentScope, write: true });
  mine = await listSharedWithMe(lab.ctx, { grantee: lab.address });
  assert.deepEqual(
    mine.live.map((g) => [g.scope, g.write]),
    [[documentScope, true]],
  );
  assert.deepEqual(
    mine.ended.map((g) => [g.scope, g.reason]),
    [[labScope, "expired"]],
  );

  // the patient's view of the same grants agrees
  const all = await listGrantStatuses(patient.ctx, { patient: patient.address });
  assert.equal(all.live.length, 2);
  assert.equal(all.ended.length, 1);
});

test("a suspended or removed grantee's grants are ended, with the registry's status change as their end", async () => {
  await net.setProviderStatus(hospital.address, "suspend");
  const suspendedAt = await chainNow();
  let theirs = await listSharedWithMe(hospital.ctx, { grantee: hospital.address });
  assert.equal(theirs.live.length, 0);
  assert.deepEqual(
    theirs.ended.map((g) => [g.reason, g.endedAt]),
    [["grantee-suspended", suspendedAt]],
  );

  await net.setProviderStatus(hospital.address, "reinstate");
  theirs = await listSharedWithMe(hospital.ctx, { grantee: hospital.address });
  assert.equal(theirs.live.length, 1, "a reinstatement revives a grant that neither expired nor was revoked");

  await net.setProviderStatus(hospital.address, "remove");
  theirs = await listSharedWithMe(hospital.ctx, { grantee: hospital.address });
  assert.equal(theirs.live.length, 0);
  assert.deepEqual(
    theirs.ended.map((g) => [g.reason, g.endedAt]),
    [["grantee-removed", await chainNow()]],
  );
});
