/**
 * Part 5, item 4 of `npm run bench`: the RPC calls and seconds it takes to open one patient's
 * audit log of 100 events on a chain of 10,000,000 blocks, through an RPC that refuses
 * `eth_getLogs` over 1,000 blocks, as free plans and public endpoints do (the test kit's
 * `startRpcProxy`, a real HTTP JSON-RPC proxy in front of the embedded chain). The events are
 * spread over the whole chain (`hardhat_mine` between them), and the log is read the way
 * `meridian audit` and the web app's activity log read it (`MeridianClient.audit`). The reference
 * is the same read through the same proxy without a cap.
 */
import { bytesToHex, createPublicClient, http, type Address, type Hex } from "viem";
import { createMeridianClient } from "@meridian/sdk";
import { anchorRecord, issueGrant, type MeridianContext } from "@meridian/sdk/chain";
import type { BlobStore } from "@meridian/sdk/storage";
import { startRpcProxy, testChainDefinition, type RpcProxy, type TestNetwork } from "@meridian/sdk/testing";
import { RecordCategory } from "@meridian/sdk";
import { log } from "./harness.ts";

/** Events in the patient's audit log. */
const EVENTS = 100;
/** Blocks the chain reaches (at least), in blocks since the deployment. */
const CHAIN_BLOCKS = 10_000_000;
/** The RPC's cap: the most blocks one `eth_getLogs` may span. */
const CAP = 1_000;

/** One read of the audit log through a proxy. */
export interface AuditLogRead {
  /** JSON-RPC calls the read sent (every method; a batch counts each call). */
  calls: number;
  /** Of which `eth_getLogs`. */
  getLogsCalls: number;
  /** Wall-clock seconds of the read. */
  seconds: number;
  /** Events the read returned. */
  events: number;
}

/** What {@link measureAuditLog} measured. */
export interface AuditLogResult {
  /** Blocks from the deployment to the head when the log was read. */
  chainBlocks: number;
  /** Events of the patient on chain. */
  events: number;
  /** The capped RPC's limit, in blocks per `eth_getLogs`. */
  capBlocks: number;
  /** Through the capped RPC; null when the read failed (see {@link AuditLogResult.error}). */
  capped: AuditLogRead | null;
  /** Why the capped read failed (the error's name and short message), when it did. */
  error: string | null;
  /** The reference: the same read through the same proxy without a cap. */
  uncapped: AuditLogRead;
}

/** Where {@link measureAuditLog} runs: the network part's chain, a registered patient's account and an admitted provider. */
export interface MeasureAuditLogParameters {
  net: TestNetwork;
  /** Development account index of a patient with no events yet (it is registered here). */
  patient: number;
  /** An admitted provider the patient grants to, so the log holds grants as well as anchors. */
  provider: Address;
  /** Any store (the read touches none). */
  store: BlobStore;
}

const random32 = (): Hex => bytesToHex(crypto.getRandomValues(new Uint8Array(32)));

/** Reads `patient`'s audit log through `proxy` as the CLI does, counting calls and time. */
async function readThrough(
  proxy: RpcProxy,
  ctx: Omit<MeridianContext, "publicClient">,
  patient: Address,
  store: BlobStore,
) {
  const publicClient = createPublicClient({
    chain: testChainDefinition,
    transport: http(proxy.url, { retryCount: 0 }),
    cacheTime: 0,
  });
  const client = createMeridianClient({ ...ctx, publicClient, store });
  proxy.resetCounts();
  const t = performance.now();
  const entries = await client.audit(patient);
  const seconds = (performance.now() - t) / 1000;
  const calls = [...proxy.calls.values()].reduce((a, b) => a + b, 0);
  return { calls, getLogsCalls: proxy.calls.get("eth_getLogs") ?? 0, seconds, events: entries.length };
}

/**
 * Registers `patient`, gives it {@link EVENTS} events (its registration, record anchors and a grant
 * re-issued every tenth step) with `hardhat_mine` of 100,000 blocks between them, so they are
 * spread over {@link CHAIN_BLOCKS} blocks, then reads its audit log through an RPC capped at
 * {@link CAP} blocks and, as the reference, through one without a cap. Run it last: it leaves the
 * chain 10,000,000 blocks longer.
 */
export async function measureAuditLog({
  net,
  patient,
  provider,
  store,
}: MeasureAuditLogParameters): Promise<AuditLogResult> {
  log(`network: a patient's audit log of ${EVENTS} events over ${CHAIN_BLOCKS.toLocaleString("en-US")} blocks`);
  const client = await net.registerPatient(patient);
  const ctx = net.as(patient);
  const gap = Math.floor(CHAIN_BLOCKS / EVENTS);
  for (let i = 1; i < EVENTS; i++) {
    await net.testClient.mine({ blocks: gap });
    if (i % 10 === 0) {
      const scope = { kind: "category", category: RecordCategory.Lab } as const;
      await issueGrant(ctx, { grantee: provider, scope, write: false, expiresAt: 0, wrappedKey: random32() });
    } else {
      const hash = random32();
      const cid = `0x01551220${hash.slice(2)}` as Hex; // a CIDv1 (raw, sha2-256) as bytes
      const category = RecordCategory.Lab;
      await anchorRecord(ctx, { patient: client.address, cid, ciphertextHash: hash, category, keyEpoch: 0 });
    }
  }
  await net.testClient.mine({ blocks: gap });
  const chainBlocks = Number((await net.publicClient.getBlockNumber()) - net.deployment.deployedAtBlock + 1n);

  const { deployment } = net;
  const uncappedProxy = await startRpcProxy({ upstream: net.provider, maxLogBlocks: Number.MAX_SAFE_INTEGER });
  const cappedProxy = await startRpcProxy({ upstream: net.provider, maxLogBlocks: CAP });
  try {
    const uncapped = await readThrough(uncappedProxy, { deployment }, client.address, store);
    let capped: AuditLogRead | null = null;
    let error: string | null = null;
    try {
      capped = await readThrough(cappedProxy, { deployment }, client.address, store);
    } catch (e) {
      const { name, shortMessage, message } = e as { name?: string; shortMessage?: string; message?: string };
      error = `${name ?? "Error"}: ${shortMessage ?? message ?? String(e)}`;
    }
    return { chainBlocks, events: uncapped.events, capBlocks: CAP, capped, error, uncapped };
  } finally {
    await cappedProxy.close();
    await uncappedProxy.close();
  }
}
