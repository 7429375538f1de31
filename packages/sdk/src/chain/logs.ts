/**
 * Event reads that work on RPCs which cap `eth_getLogs` ranges. Hosted RPCs refuse one query over
 * 10,000 blocks (Alchemy, Infura, QuickNode paid plans), and as few as 5 to 1,000 on free plans and
 * public endpoints; a read from the deployment block to the head is refused as soon as the chain
 * is that much older than the deployment. {@link getLogsInRanges} asks for the whole range first
 * (one call, as before, on an RPC without a cap), and on a range refusal reads in chunks: of the
 * size the refusal names or suggests, else of half the refused range, halving again until the
 * RPC answers. The size that worked is remembered per RPC URL (per client when it has no URL),
 * so later reads start at it. A read in chunks costs about
 * `(head - deployment block) / range` calls.
 *
 * Reorgs: the chunks are read up to a fixed head block, and its hash is checked again after the
 * last chunk; if it changed (a reorganisation replaced blocks that were read), the whole read
 * starts again, so no answer mixes two forks.
 *
 * @module
 */
import type { Chain, Hash, PublicClient, Transport } from "viem";
import { MeridianError } from "../errors.ts";
import { classifyLogRangeError, LogRangeLimitError, toMeridianError } from "./errors.ts";

/** Any viem public client. */
type AnyPublicClient = PublicClient<Transport, Chain | undefined>;

/** Remembered chunk sizes (blocks per `eth_getLogs`), by RPC URL. */
const rangesByUrl = new Map<string, bigint>();
/** Remembered chunk sizes for clients whose transport has no URL (an EIP-1193 provider). */
const rangesByClient = new WeakMap<object, bigint>();

/** The URL of `client`'s HTTP or WebSocket transport, if it has one. */
function urlOf(client: AnyPublicClient): string | undefined {
  const url = (client.transport as { url?: unknown }).url;
  return typeof url === "string" && url !== "" ? url : undefined;
}

/**
 * The chunk size (blocks per `eth_getLogs`) {@link getLogsInRanges} uses for `client`'s RPC:
 * set with {@link setLogRange} or learnt from a refusal; `undefined` while the RPC has refused
 * nothing (the whole range is asked for at once).
 */
export function getLogRange(client: AnyPublicClient): bigint | undefined {
  const url = urlOf(client);
  return url === undefined ? rangesByClient.get(client) : rangesByUrl.get(url);
}

/**
 * Sets the chunk size (blocks per `eth_getLogs`, at least 1) {@link getLogsInRanges} starts at for
 * `client`'s RPC URL (or for `client` itself without one), e.g. from the CLI's `--log-range N`;
 * `undefined` forgets it. A smaller size learnt from a later refusal replaces it.
 *
 * @throws {MeridianError} when `blocks` is below 1.
 */
export function setLogRange(client: AnyPublicClient, blocks: bigint | undefined): void {
  if (blocks !== undefined && blocks < 1n)
    throw new MeridianError(`A log range must be at least 1 block; got ${blocks}.`, {
      hint: "Pass --log-range with a positive number of blocks (e.g. 1000), or leave it out.",
    });
  const url = urlOf(client);
  if (blocks === undefined) {
    if (url === undefined) rangesByClient.delete(client);
    else rangesByUrl.delete(url);
  } else if (url === undefined) rangesByClient.set(client, blocks);
  else rangesByUrl.set(url, blocks);
}

/** One inclusive block range, as {@link GetLogsInRangesParameters.query} receives it. */
export interface LogRange {
  fromBlock: bigint;
  /** The last block, or `"latest"` on the first, whole-range attempt when the caller asked up to the head. */
  toBlock: bigint | "latest";
}

/** Parameters of {@link getLogsInRanges}. */
export interface GetLogsInRangesParameters<T> {
  /** First block to read (inclusive), usually `deployment.deployedAtBlock`. */
  fromBlock: bigint;
  /** Last block to read (inclusive). Default `"latest"` (the head when the read starts). */
  toBlock?: bigint | "latest";
  /**
   * Reads one range: an `eth_getLogs` through viem (`getContractEvents`, `getLogs`) with the
   * range's `fromBlock` and `toBlock`. Must not catch the RPC's errors.
   */
  query: (range: LogRange) => Promise<readonly T[]>;
}

/** What {@link getLogsInRanges} returns: every range's results, oldest range first. */
export type GetLogsInRangesReturnType<T> = T[];

/** Errors {@link getLogsInRanges} throws. */
export type GetLogsInRangesErrorType = LogRangeLimitError | MeridianError;

/** How many times a read starts again after the head block it read up to was reorganised away. */
const REORG_ATTEMPTS = 3;

/**
 * Reads event logs from `fromBlock` to `toBlock` through `query`, in as many `eth_getLogs` ranges
 * as the RPC needs: the whole range first (or chunks of the size remembered for this RPC), then,
 * on a range refusal (see `classifyLogRangeError`), chunks of the size the refusal names or
 * suggests, else of half the refused range. Results are concatenated in block order.
 *
 * Cost: one call on an RPC without a cap; with a cap of `R` blocks, about
 * `(toBlock - fromBlock) / R` calls plus two block reads (the head and its hash check), and a
 * few more the first time (one per halving).
 *
 * @throws {LogRangeLimitError} when the RPC refuses even a one-block range (or names a cap of 0).
 * @throws {MeridianError} any other failure of `query`, converted by `toMeridianError`; or when
 *   the chain keeps reorganising under the read.
 * @example
 * ```ts
 * const logs = await getLogsInRanges(publicClient, {
 *   fromBlock: deployment.deployedAtBlock,
 *   query: (range) => publicClient.getContractEvents({ address, abi, eventName, args, strict: true, ...range }),
 * });
 * ```
 */
export async function getLogsInRanges<T>(
  client: AnyPublicClient,
  parameters: GetLogsInRangesParameters<T>,
): Promise<GetLogsInRangesReturnType<T>> {
  const { fromBlock, query } = parameters;
  const toBlock = parameters.toBlock ?? "latest";
  let range = getLogRange(client);
  let firstRefusal: { limit: bigint | undefined; span: bigint } | undefined;
  if (range === undefined) {
    // No cap known for this RPC: one call for the whole range, exactly as a plain read.
    try {
      return [...(await query({ fromBlock, toBlock }))];
    } catch (error) {
      const refusal = classifyLogRangeError(error);
      if (!refusal) throw toMeridianError(error);
      if (refusal.limit === 0n) throw new LogRangeLimitError({ ...refusal, cause: error });
      firstRefusal = { limit: refusal.limit, span: 0n };
    }
  }
  for (let attempt = 0; attempt < REORG_ATTEMPTS; attempt++) {
    const head = await headOf(client, toBlock);
    if (head.number < fromBlock) return [];
    if (firstRefusal) {
      const span = head.number - fromBlock + 1n;
      range = smaller(range, nextRange(firstRefusal.limit, span));
      remember(client, range);
      firstRefusal = undefined;
    }
    const results: T[] = [];
    let cursor = fromBlock;
    let chunks = 0;
    while (cursor <= head.number) {
      const size = range ?? head.number - cursor + 1n;
      const end = cursor + size - 1n < head.number ? cursor + size - 1n : head.number;
      try {
        results.push(...(await query({ fromBlock: cursor, toBlock: end })));
        cursor = end + 1n;
        chunks++;
      } catch (error) {
        const refusal = classifyLogRangeError(error);
        if (!refusal) throw toMeridianError(error);
        const span = end - cursor + 1n;
        if (span === 1n || refusal.limit === 0n)
          throw new LogRangeLimitError({ ...refusal, range: { fromBlock: cursor, toBlock: end }, cause: error });
        range = smaller(range, nextRange(refusal.limit, span));
        remember(client, range);
      }
    }
    // One chunk is one eth_getLogs, which a node answers from one view of the chain.
    if (chunks <= 1 || (await hashAt(client, head.number)) === head.hash) return results;
  }
  throw new MeridianError("The chain reorganised again and again while its events were being read.", {
    hint: "Try again in a moment; if it keeps happening, the RPC endpoint may be serving from nodes that disagree.",
  });
}

/** The chunk size after a refusal of `span` blocks: the cap it names if smaller, else half (at least 1). */
function nextRange(limit: bigint | undefined, span: bigint): bigint {
  if (limit !== undefined && limit >= 1n && (span === 0n || limit < span)) return limit;
  return span > 1n ? span / 2n : 1n;
}

const smaller = (a: bigint | undefined, b: bigint): bigint => (a === undefined || b < a ? b : a);

/** Keeps `range` for `client`'s RPC unless a smaller one is already known. */
function remember(client: AnyPublicClient, range: bigint | undefined): void {
  if (range === undefined) return;
  const known = getLogRange(client);
  if (known === undefined || range < known) setLogRange(client, range);
}

/** The block a read goes up to: its number and hash. */
async function headOf(client: AnyPublicClient, toBlock: bigint | "latest"): Promise<{ number: bigint; hash: Hash }> {
  try {
    const block =
      toBlock === "latest"
        ? await client.getBlock({ blockTag: "latest" })
        : await client.getBlock({ blockNumber: toBlock });
    return { number: block.number, hash: block.hash };
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** The hash of block `number` now (to tell whether it was reorganised away). */
async function hashAt(client: AnyPublicClient, number: bigint): Promise<Hash | undefined> {
  try {
    return (await client.getBlock({ blockNumber: number })).hash;
  } catch {
    return undefined; // gone: a shorter fork replaced it
  }
}
