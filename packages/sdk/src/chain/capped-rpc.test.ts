/**
 * Every event read this module's `getLogsInRanges` serves, on a chain advanced past 1,000,000
 * blocks (`hardhat_mine`, cheap on EDR) since the deployment, through the test kit's real HTTP
 * proxy that refuses `eth_getLogs` over 1,000 blocks, as free plans and public endpoints do: the
 * provider directory and key history, devices, monitoring sessions and their records, and the
 * validation lists each give the same answer as an uncapped read of the same chain, at about
 * `blocks since deployment / 1,000` calls. (The patient- and grantee-scoped reads walk their
 * linked events instead; see docs/event-reads.md.)
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, createPublicClient, http, type Account, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  startRpcProxy,
  startTestChain,
  testAccount,
  testChainDefinition,
  type RpcProxy,
  type TestChain,
} from "../testing/index.ts";
import { RecordCategory } from "../categories.ts";
import {
  admitProvider,
  anchorRecord,
  getPatient,
  issueGrant,
  listProviderKeyEvents,
  listProviders,
  registerPatient,
  setProviderEncryptionKey,
} from "./actions.ts";
import { LogRangeLimitError, toMeridianError } from "./errors.ts";
import { getLogRange } from "./logs.ts";
import {
  addSessionRecord,
  DeviceRole,
  deviceBindingTypedData,
  listDevices,
  listSessionRecords,
  listSessions,
  openSession,
  registerDevice,
  setMonitoringProvider,
} from "./monitoring.ts";
import {
  castValidationVote,
  drawValidators,
  joinValidatorPool,
  listValidationKeyShares,
  listValidationSubmissions,
  listValidationVotes,
  listValidatorAssignments,
  shareKeysOnChain,
  signValidationConsent,
  submitForValidation,
} from "./peer-validation.ts";
import { ProviderKind, type MeridianContext } from "./types.ts";

const MINED = 1_000_000;
const CAP = 1000;
const random32 = (): Hex => bytesToHex(crypto.getRandomValues(new Uint8Array(32)));

let kit: TestChain;
let proxy: RpcProxy;
/** The same chain, read through the capped proxy. */
let capped: MeridianContext;
const ctx = (a: Account) => kit.as(a);
const regulator = testAccount(1),
  author = testAccount(2),
  patient = testAccount(5),
  hospitals = [7, 8, 9, 10, 11].map(testAccount);
let recordId: Hex, sessionId: Hex;
let validators: Hex[] = [];

before(async () => {
  kit = await startTestChain();
  const admit = (a: Account, name: string) =>
    admitProvider(ctx(regulator), { provider: a.address, kind: ProviderKind.Hospital, name, department: "" });
  await admit(author, "Author General");
  await setProviderEncryptionKey(ctx(author), { encryptionKey: random32() });
  await registerPatient(ctx(patient), { encryptionKey: random32() });
  // Over a million blocks between the deployment and everything below.
  await kit.testClient.mine({ blocks: MINED });
  for (const [i, h] of hospitals.entries()) {
    await admit(h, `Peer Hospital ${i + 1}`);
    await joinValidatorPool(ctx(h));
  }
  await setProviderEncryptionKey(ctx(author), { encryptionKey: random32() });
  for (const category of [RecordCategory.General, RecordCategory.Cardiac])
    await issueGrant(ctx(patient), {
      grantee: author.address,
      scope: { kind: "category", category },
      write: true,
      expiresAt: 0,
      wrappedKey: random32(),
    });
  const anchor = async (category: RecordCategory) => {
    const { keyEpoch } = await getPatient(ctx(author), patient.address);
    const hash = random32();
    const cid = `0x01551220${hash.slice(2)}` as Hex;
    const p = { patient: patient.address, cid, ciphertextHash: hash, category, keyEpoch };
    return (await anchorRecord(ctx(author), p)).recordId;
  };
  // Peer validation: consent, submission, the draw, the key shares and one vote.
  recordId = await anchor(RecordCategory.General);
  const consent = await signValidationConsent(ctx(patient), { recordId, author: author.address });
  await submitForValidation(ctx(author), { consent });
  const { chosen } = await drawValidators(ctx(hospitals[0]!), { recordId });
  validators = chosen.map((c) => c.validator);
  await shareKeysOnChain(ctx(author), { recordId, validators, wrappedKeys: validators.map(() => random32()) });
  const voter = hospitals.find((h) => h.address === validators[0])!;
  await castValidationVote(ctx(voter), { recordId, approve: true });
  await kit.testClient.mine({ blocks: 5_000 });
  // Monitoring: a device, the monitoring provider, a session with a record.
  const device = privateKeyToAccount(generatePrivateKey());
  const deadline = (await kit.now()) + 3600;
  const binding = { patient: patient.address, device: device.address, role: DeviceRole.Sensor, deadline };
  const signature = await device.signTypedData(deviceBindingTypedData(kit.deployment, binding));
  await registerDevice(ctx(patient), { device: device.address, role: DeviceRole.Sensor, deadline, signature });
  await setMonitoringProvider(ctx(patient), { provider: author.address });
  ({ sessionId } = await openSession(ctx(author), { patient: patient.address }));
  await addSessionRecord(ctx(author), { sessionId, recordId: await anchor(RecordCategory.Cardiac) });
  await kit.testClient.mine({ blocks: 2_000 });

  proxy = await startRpcProxy({ upstream: kit.provider, maxLogBlocks: CAP });
  const publicClient = createPublicClient({
    chain: testChainDefinition,
    transport: http(proxy.url, { retryCount: 0 }),
    cacheTime: 0,
  });
  capped = { publicClient, deployment: kit.deployment };
});

after(async () => {
  await proxy?.close();
  await kit?.close();
});

/** Chunks of {@link CAP} blocks from the deployment to the head. */
async function chunks(): Promise<number> {
  const span = (await kit.publicClient.getBlockNumber()) - kit.deployment.deployedAtBlock + 1n;
  assert.ok(span > BigInt(MINED), `the reads span ${span} blocks`);
  return Math.ceil(Number(span) / CAP);
}

/** Runs `read` on the capped RPC and on the embedded chain directly; returns both and the capped calls. */
async function both<T>(read: (c: MeridianContext) => Promise<T>): Promise<{ viaCap: T; direct: T; calls: number }> {
  proxy.resetCounts();
  const viaCap = await read(capped);
  const calls = proxy.calls.get("eth_getLogs") ?? 0;
  return { viaCap, direct: await read(kit.chain), calls };
}

test("a plain read from the deployment is refused by the 1,000-block cap, as a LogRangeLimitError", async () => {
  const error = await capped.publicClient
    .getLogs({ address: kit.deployment.providerRegistry, fromBlock: kit.deployment.deployedAtBlock })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  const converted = toMeridianError(error);
  assert.ok(converted instanceof LogRangeLimitError, converted.message);
  assert.equal(converted.limit, 1000n);
});

test("the provider directory and a provider's key history read through the cap, at blocks/1,000 calls", async () => {
  const n = await chunks();
  const providers = await both((c) => listProviders(c));
  assert.equal(providers.viaCap.length, 6);
  assert.deepEqual(providers.viaCap, providers.direct);
  assert.ok(providers.calls <= n + 1, `${providers.calls} eth_getLogs calls for ${n} chunks`);
  assert.equal(getLogRange(capped.publicClient), BigInt(CAP), "the cap is learnt from the refusal");
  const keys = await both((c) => listProviderKeyEvents(c, author.address));
  assert.deepEqual(
    keys.viaCap.map((k) => k.keyVersion),
    [1, 2],
  );
  assert.deepEqual(keys.viaCap, keys.direct);
  assert.equal(keys.calls, n, "no refusal once the range is known");
});

test("devices, monitoring sessions and a session's records read through the cap", async () => {
  const n = await chunks();
  const devices = await both((c) => listDevices(c, patient.address));
  assert.equal(devices.viaCap.length, 1);
  assert.deepEqual(devices.viaCap, devices.direct);
  const sessions = await both((c) => listSessions(c, { patient: patient.address }));
  assert.deepEqual(
    sessions.viaCap.map((s) => s.sessionId),
    [sessionId],
  );
  assert.deepEqual(sessions.viaCap, sessions.direct);
  const records = await both((c) => listSessionRecords(c, sessionId));
  assert.equal(records.viaCap.length, 1);
  assert.deepEqual(records.viaCap, records.direct);
  for (const { calls } of [devices, sessions, records]) assert.equal(calls, n);
});

test("the validation lists read through the cap", async () => {
  const n = await chunks();
  const submissions = await both((c) => listValidationSubmissions(c, { patient: patient.address }));
  assert.deepEqual(
    submissions.viaCap.map((s) => s.recordId),
    [recordId],
  );
  assert.deepEqual(submissions.viaCap, submissions.direct);
  const assignments = await both((c) => listValidatorAssignments(c, validators[0]!));
  assert.deepEqual(assignments.viaCap, [recordId]);
  assert.deepEqual(assignments.viaCap, assignments.direct);
  const shares = await both((c) => listValidationKeyShares(c, { recordId }));
  assert.equal(shares.viaCap.length, validators.length);
  assert.deepEqual(shares.viaCap, shares.direct);
  const votes = await both((c) => listValidationVotes(c, recordId));
  assert.equal(votes.viaCap.length, 1);
  assert.deepEqual(votes.viaCap, votes.direct);
  for (const { calls } of [submissions, assignments, shares, votes]) assert.equal(calls, n);
});
