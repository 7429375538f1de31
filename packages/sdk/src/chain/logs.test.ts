/**
 * Event reads on RPCs that cap `eth_getLogs` ranges, against a real Hardhat/EDR chain (in process)
 * behind the test kit's real HTTP JSON-RPC proxy: the proxy's counting, batches and refusals; each
 * provider's refusal recognised through viem and turned into a `LogRangeLimitError`; and
 * `getLogsInRanges` reading past each provider's cap, remembering the range, refusing clearly when
 * the RPC serves no range, and starting again when a reorganisation replaces blocks it read.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createPublicClient, http, toHex, type Hex } from "viem";
import {
  LOG_RANGE_REFUSALS,
  startRpcProxy,
  startTestChain,
  testAccount,
  testChainDefinition,
  type LogRangeRefusalStyle,
  type RpcProxy,
  type TestChain,
} from "../testing/index.ts";
import { providerRegistryAbi } from "../generated/contracts.ts";
import { admitProvider, listProviders } from "./actions.ts";
import { ChainRequestError, classifyLogRangeError, LogRangeLimitError, toMeridianError } from "./errors.ts";
import { getLogRange, getLogsInRanges, setLogRange } from "./logs.ts";
import { ProviderKind } from "./types.ts";

let kit: TestChain;
const proxies: RpcProxy[] = [];
const regulator = testAccount(1);
/** Blocks the chain is advanced by after the first admission. */
const GAP = 4_500;

before(async () => {
  kit = await startTestChain();
  await admitProvider(kit.as(regulator), {
    provider: testAccount(2).address,
    kind: ProviderKind.Hospital,
    name: "St Mary's",
    department: "",
  });
  await kit.testClient.mine({ blocks: GAP });
  await admitProvider(kit.as(regulator), {
    provider: testAccount(3).address,
    kind: ProviderKind.Lab,
    name: "North Lab",
    department: "",
  });
});

after(async () => {
  for (const p of proxies) await p.close();
  await kit.close();
});

async function proxy(parameters: Partial<Parameters<typeof startRpcProxy>[0]> = {}): Promise<RpcProxy> {
  const p = await startRpcProxy({ upstream: kit.provider, maxLogBlocks: 1000, ...parameters });
  proxies.push(p);
  return p;
}

/** A public client over the proxy's HTTP URL, without viem's retries (so calls are counted once). */
const clientOf = (p: RpcProxy) =>
  createPublicClient({ chain: testChainDefinition, transport: http(p.url, { retryCount: 0 }), cacheTime: 0 });

/** POSTs a raw JSON-RPC body to the proxy, as any HTTP client would. */
async function post(p: RpcProxy, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(p.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

const getLogs = (id: number, filter: Record<string, unknown>) => ({
  jsonrpc: "2.0",
  id,
  method: "eth_getLogs",
  params: [filter],
});

test("the proxy forwards, counts calls per method and answers a batch with a refusal in its place", async () => {
  const p = await proxy();
  const head = await kit.publicClient.getBlockNumber();
  const { status, json } = await post(p, [
    { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] },
    getLogs(2, { fromBlock: "earliest" }),
    { jsonrpc: "2.0", id: 3, method: "eth_blockNumber", params: [] },
  ]);
  assert.equal(status, 200);
  assert.deepEqual(json, [
    { jsonrpc: "2.0", id: 1, result: toHex(31337) },
    { jsonrpc: "2.0", id: 2, error: { code: -32600, message: "query exceeds max block range 1000" } },
    { jsonrpc: "2.0", id: 3, result: toHex(head) },
  ]);
  assert.deepEqual(Object.fromEntries(p.calls), { eth_chainId: 1, eth_getLogs: 1, eth_blockNumber: 1 });
  assert.equal(p.refused(), 1);
  p.resetCounts();
  assert.equal(p.calls.size, 0);
  assert.equal(p.refused(), 0);
});

test("the proxy resolves latest, earliest, omitted bounds and blockHash before it measures a range", async () => {
  const p = await proxy();
  const head = await kit.publicClient.getBlock({ blockTag: "latest" });
  const refused = async (filter: Record<string, unknown>) => {
    const { json } = await post(p, getLogs(7, filter));
    return "error" in (json as object);
  };
  assert.equal(await refused({}), false, "omitted bounds: the head block only");
  assert.equal(await refused({ fromBlock: "earliest" }), true, "earliest to the head");
  assert.equal(await refused({ fromBlock: "earliest", toBlock: toHex(999) }), false, "blocks 0-999: 1,000 blocks");
  assert.equal(await refused({ fromBlock: "earliest", toBlock: toHex(1000) }), true, "blocks 0-1000: 1,001 blocks");
  assert.equal(await refused({ fromBlock: toHex(head.number - 999n) }), false, "the last 1,000 blocks");
  assert.equal(await refused({ fromBlock: toHex(head.number - 1000n), toBlock: "latest" }), true);
  assert.equal(await refused({ blockHash: head.hash }), false, "one block by hash");
  const { json } = await post(p, getLogs(8, { fromBlock: "earliest", toBlock: "latest" }));
  assert.deepEqual(json, {
    jsonrpc: "2.0",
    id: 8,
    error: { code: -32600, message: "query exceeds max block range 1000" },
  });
});

/** The cap each provider's refusal names (`undefined`: it names none, the reader halves). */
const expectedLimit = (style: LogRangeRefusalStyle): bigint | undefined => (style === "ankrLegacy" ? undefined : 1000n);

test("every provider's refusal is recognised through viem, with its cap, as a LogRangeLimitError", async () => {
  for (const style of Object.keys(LOG_RANGE_REFUSALS) as LogRangeRefusalStyle[]) {
    const p = await proxy({ refusal: style });
    const error = await clientOf(p)
      .getLogs({ fromBlock: 0n, toBlock: "latest" })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(error, `${style}: the proxy let a ${GAP}-block range through`);
    const found = classifyLogRangeError(error);
    assert.ok(found, `${style}: not recognised: ${(error as Error).message}`);
    assert.equal(found.limit, expectedLimit(style), style);
    const converted = toMeridianError(error);
    assert.ok(converted instanceof LogRangeLimitError, `${style}: ${converted.name}`);
    assert.equal(
      converted.shortMessage,
      style === "ankrLegacy"
        ? "The RPC endpoint limits the block range of eth_getLogs queries and refused this one."
        : "The RPC endpoint limits eth_getLogs queries to 1,000 blocks.",
    );
    assert.match(converted.hint ?? "", /smaller ranges on its own.*--rpc-url.*--log-range N/);
    assert.doesNotMatch(converted.message, /balance/, "not the generic chain hint");
  }
});

test("an RPC failure that is not a range refusal stays a ChainRequestError", async () => {
  const dead = createPublicClient({ transport: http("http://127.0.0.1:9", { retryCount: 0 }) });
  const error = await dead.getLogs({ fromBlock: 0n }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.equal(classifyLogRangeError(error), undefined);
  assert.ok(toMeridianError(error) instanceof ChainRequestError);
});

/** `ProviderAdmitted` logs through `client`, in ranges. */
const admissions = (client: ReturnType<typeof clientOf>) =>
  getLogsInRanges(client, {
    fromBlock: kit.deployment.deployedAtBlock,
    query: (range) =>
      client.getContractEvents({
        address: kit.deployment.providerRegistry,
        abi: providerRegistryAbi,
        eventName: "ProviderAdmitted",
        strict: true,
        ...range,
      }),
  });

test("getLogsInRanges reads past each provider's cap, in order, and remembers the range per RPC", async () => {
  const direct = await kit.publicClient.getContractEvents({
    address: kit.deployment.providerRegistry,
    abi: providerRegistryAbi,
    eventName: "ProviderAdmitted",
    fromBlock: kit.deployment.deployedAtBlock,
    strict: true,
  });
  assert.equal(direct.length, 2);
  const span = (await kit.publicClient.getBlockNumber()) - kit.deployment.deployedAtBlock + 1n;
  for (const style of Object.keys(LOG_RANGE_REFUSALS) as LogRangeRefusalStyle[]) {
    const p = await proxy({ refusal: style });
    const client = clientOf(p);
    const logs = await admissions(client);
    assert.deepEqual(
      logs.map((l) => [l.blockNumber, l.args.provider]),
      direct.map((l) => [l.blockNumber, l.args.provider]),
      style,
    );
    const learnt = getLogRange(client);
    assert.ok(learnt !== undefined && learnt <= 1000n, `${style}: learnt ${learnt}`);
    if (expectedLimit(style) !== undefined) {
      assert.equal(learnt, 1000n, style);
      const chunks = (span + 999n) / 1000n;
      assert.equal(p.calls.get("eth_getLogs"), Number(chunks) + 1, `${style}: one refusal, then ${chunks} chunks`);
    }
    p.resetCounts();
    assert.equal((await admissions(client)).length, 2);
    assert.equal(p.refused(), 0, `${style}: the second read starts at the remembered range`);
    assert.equal(p.calls.get("eth_getLogs"), Number((span + learnt - 1n) / learnt));
  }
});

test("--log-range's setting is used up front, and a narrower cap still wins", async () => {
  const p = await proxy({ maxLogBlocks: 700 });
  const client = clientOf(p);
  setLogRange(client, 2000n);
  assert.equal(getLogRange(client), 2000n);
  assert.equal((await admissions(client)).length, 2);
  assert.equal(getLogRange(client), 700n, "the refusal's cap replaces the wider setting");
  assert.throws(() => setLogRange(client, 0n), /at least 1 block/);
  setLogRange(client, undefined);
  assert.equal(getLogRange(client), undefined);
});

test("an RPC that refuses every eth_getLogs range fails with a LogRangeLimitError saying so", async () => {
  const p = await proxy({ maxLogBlocks: 0 });
  const error = await admissions(clientOf(p)).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof LogRangeLimitError, String(error));
  assert.equal(error.limit, 0n);
  assert.equal(error.shortMessage, "The RPC endpoint refuses every eth_getLogs query: it serves no event logs.");
  assert.match(error.hint ?? "", /--rpc-url/);
  assert.equal(p.calls.get("eth_getLogs"), 1, "no pointless halving when the cap is 0");
});

test("a read whose blocks are reorganised away while it runs starts again and returns the new chain's logs", async () => {
  // The admission of a provider in a fork that a reorganisation will replace.
  const fork = await kit.snapshot();
  const doomed = testAccount(4).address;
  await admitProvider(kit.as(regulator), {
    provider: doomed,
    kind: ProviderKind.Clinic,
    name: "Doomed",
    department: "",
  });
  await kit.testClient.mine({ blocks: 2_500 });
  const p = await proxy();
  const client = clientOf(p);
  let reorganised = false;
  const logs = await getLogsInRanges(client, {
    fromBlock: kit.deployment.deployedAtBlock,
    query: async (range) => {
      const found = await client.getContractEvents({
        address: kit.deployment.providerRegistry,
        abi: providerRegistryAbi,
        eventName: "ProviderAdmitted",
        strict: true,
        ...range,
      });
      if (!reorganised && found.some((l) => l.args.provider === doomed)) {
        // once the doomed admission was read: the chain drops the fork and grows past it without it
        reorganised = true;
        await kit.revert(fork);
        await kit.testClient.mine({ blocks: 2_600 });
      }
      return found;
    },
  });
  assert.ok(reorganised);
  const providers: Hex[] = logs.map((l) => l.args.provider);
  assert.ok(!providers.includes(doomed), "no log of the replaced fork");
  assert.equal(providers.length, 2);
  assert.deepEqual(
    (await listProviders({ ...kit.chain, publicClient: client })).map((pr) => pr.address),
    providers,
  );
});
