/**
 * The `meridian` CLI on an RPC that caps `eth_getLogs` ranges: a real `hardhat node` behind the
 * test kit's real HTTP JSON-RPC proxy, the CLI as a separate process. Reads work through a
 * 1,000-block cap and QuickNode's free 5-block cap; `--log-range N` (or MERIDIAN_LOG_RANGE) starts
 * at N blocks with no refusal; and an RPC that serves no range says so and what to do, not "Check
 * the RPC endpoint and the account's balance".
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRpcProxy, type RpcProxy } from "@meridian/sdk/testing";
import { startCliHarness, devAddress as addr, type CliHarness } from "./testing/harness.ts";

let h: CliHarness;
const proxies: RpcProxy[] = [];
/** Blocks mined after the deployment. */
const MINED = 3_000;

before(async () => {
  h = await startCliHarness("log-range");
  const r = await h.cli(0, "deploy", "--regulator", addr(1));
  assert.equal(r.code, 0, r.stderr);
  await h.node.publicClient.request({ method: "hardhat_mine", params: [`0x${MINED.toString(16)}`] } as never);
});

after(async () => {
  for (const p of proxies) await p.close();
  await h.close();
});

async function proxy(parameters: Partial<Parameters<typeof startRpcProxy>[0]> = {}): Promise<RpcProxy> {
  const p = await startRpcProxy({ upstream: h.rpc, maxLogBlocks: 1000, ...parameters });
  proxies.push(p);
  return p;
}

/** `meridian validation assigned` (reads `ValidatorChosen` from the deployment) through `p`. */
const assigned = (p: RpcProxy, ...options: string[]) =>
  h.cliWith({ dev: 7 }, "--rpc-url", p.url, ...options, "validation", "assigned");

test("a read from the deployment works through a 1,000-block and a 5-block cap", async () => {
  const capped = await proxy();
  const r = await assigned(capped);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), []);
  assert.equal(capped.refused(), 1, "one refusal teaches the cap");
  assert.ok((capped.calls.get("eth_getLogs") ?? 0) >= MINED / 1000, "then one call per 1,000 blocks");
  const quicknodeFree = await proxy({ maxLogBlocks: 5, refusal: "quicknode" });
  const q = await assigned(quicknodeFree);
  assert.equal(q.code, 0, q.stderr);
  assert.equal(quicknodeFree.refused(), 1);
});

test("--log-range N and MERIDIAN_LOG_RANGE start at N blocks per query, with no refusal", async () => {
  const capped = await proxy();
  const r = await assigned(capped, "--log-range", "500");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(capped.refused(), 0);
  assert.ok((capped.calls.get("eth_getLogs") ?? 0) >= MINED / 500);
  capped.resetCounts();
  const e = await h.cliWith(
    { dev: 7, env: { MERIDIAN_LOG_RANGE: "1000" } },
    "--rpc-url",
    capped.url,
    "validation",
    "assigned",
  );
  assert.equal(e.code, 0, e.stderr);
  assert.equal(capped.refused(), 0);
  const bad = await assigned(capped, "--log-range", "0");
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /error: --log-range must be a whole number of blocks of at least 1; got "0"/);
});

test("an RPC that refuses every eth_getLogs range says what it is and what to do", async () => {
  const refusing = await proxy({ maxLogBlocks: 0 });
  const r = await assigned(refusing);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error: The RPC endpoint refuses every eth_getLogs query: it serves no event logs\.$/m);
  assert.match(r.stderr, /details: the endpoint said \(-32600\): "query exceeds max block range 0"/);
  assert.match(r.stderr, /what to do: Use an RPC endpoint that serves eth_getLogs \(--rpc-url, env MERIDIAN_RPC_URL\)/);
  assert.doesNotMatch(r.stderr, /balance/, "not the generic 'Check the RPC endpoint and the account's balance'");
});
