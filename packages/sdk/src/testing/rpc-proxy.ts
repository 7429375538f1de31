/**
 * Test kit: a capped JSON-RPC endpoint. {@link startRpcProxy} puts a real HTTP JSON-RPC server
 * (node:http) in front of a real chain (a `hardhat node` URL or the embedded EDR provider),
 * counts the calls per method, and refuses `eth_getLogs` over more blocks than `maxLogBlocks`
 * with the error a hosted provider sends, so tests see what users of Alchemy, Infura,
 * QuickNode, Cloudflare, publicnode, Ankr or a geth node with `--rpc.rangelimit` see.
 * Loopback only; for tests and benchmarks, never for product code.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { EIP1193Provider } from "viem";

/** A JSON-RPC 2.0 error object (JSON-RPC 2.0 §5.1). */
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** The range of one refused `eth_getLogs`, resolved to block numbers, and the proxy's cap. */
export interface RefusedLogRange {
  /** First block asked for (inclusive). */
  fromBlock: bigint;
  /** Last block asked for (inclusive). */
  toBlock: bigint;
  /** The cap: the most blocks one `eth_getLogs` may span (`toBlock - fromBlock + 1`). */
  maxLogBlocks: number;
}

/** How a provider words a refused range: the JSON-RPC error and, for some, a non-200 HTTP status. */
export type LogRangeRefusal = (range: RefusedLogRange) => JsonRpcErrorObject & { httpStatus?: number };

const hex = (n: bigint) => `0x${n.toString(16)}`;

/**
 * The refusals hosted providers and nodes send for a too-wide `eth_getLogs`, as published in
 * their docs and issue trackers (each line names its source), for the classifier's tests.
 * `"meridian"` is the proxy's default: the wording of geth-based hosts ("query exceeds max block
 * range N", -32600).
 */
export const LOG_RANGE_REFUSALS = {
  meridian: ({ maxLogBlocks }) => ({ code: -32600, message: `query exceeds max block range ${maxLogBlocks}` }),
  // Alchemy, 2025 (ponder-sh/ponder getLogsRetryHelper, dank_mids#772): a capped range and a suggestion.
  alchemy: ({ fromBlock, maxLogBlocks }) => ({
    code: -32600,
    message:
      `You can make eth_getLogs requests with up to a ${maxLogBlocks} block range. Based on your parameters, ` +
      `this block range should work: [${hex(fromBlock)}, ${hex(fromBlock + BigInt(maxLogBlocks) - 1n)}]`,
  }),
  // Infura (docs: -32005 "query returned more than 10000 results", with a suggested range).
  infura: ({ fromBlock, maxLogBlocks }) => ({
    code: -32005,
    message:
      `query returned more than 10000 results. Try with this block range ` +
      `[${hex(fromBlock)}, ${hex(fromBlock + BigInt(maxLogBlocks) - 1n)}].`,
    data: { from: hex(fromBlock), to: hex(fromBlock + BigInt(maxLogBlocks) - 1n), limit: 10000 },
  }),
  // Infura mainnet's range cap (INFURA/infura#237).
  infuraRange: ({ fromBlock, toBlock, maxLogBlocks }) => ({
    code: -32602,
    message: `range ${toBlock - fromBlock + 1n} exceeds limit of ${maxLogBlocks}`,
  }),
  // QuickNode (HTTP 413, arbitrum-sdk#609): "eth_getLogs is limited to a 10,000 range".
  quicknode: ({ maxLogBlocks }) => ({
    code: -32614,
    message: `eth_getLogs is limited to a ${maxLogBlocks.toLocaleString("en-US")} range`,
    httpStatus: 413,
  }),
  // Cloudflare's Ethereum gateway (-32047).
  cloudflare: ({ maxLogBlocks }) => ({
    code: -32047,
    message: `Invalid eth_getLogs request. 'fromBlock'-'toBlock' range too large. Max range: ${maxLogBlocks}`,
  }),
  // publicnode (-32701 on some chains, -32000 on others).
  publicnode: ({ maxLogBlocks }) => ({ code: -32701, message: `exceed maximum block range: ${maxLogBlocks}` }),
  // Ankr (ponder-sh/ponder#1940).
  ankr: ({ maxLogBlocks }) => ({ code: -32602, message: `maximum [from, to] blocks distance: ${maxLogBlocks}` }),
  // Ankr's older wording, with no number.
  ankrLegacy: () => ({ code: -32600, message: "block range is too wide" }),
  // geth with --rpc.rangelimit (go-ethereum#33163): invalid params.
  geth: ({ maxLogBlocks }) => ({ code: -32602, message: `exceed maximum block range ${maxLogBlocks}` }),
} as const satisfies Record<string, LogRangeRefusal>;

/** A provider style of {@link LOG_RANGE_REFUSALS}. */
export type LogRangeRefusalStyle = keyof typeof LOG_RANGE_REFUSALS;

/** Parameters of {@link startRpcProxy}. */
export interface StartRpcProxyParameters {
  /** The real chain: an HTTP JSON-RPC URL (`hardhat node`) or an EIP-1193 provider (the embedded EDR chain). */
  upstream: string | EIP1193Provider;
  /** The most blocks one `eth_getLogs` may span (`toBlock - fromBlock + 1`); wider queries are refused. 0 refuses all. */
  maxLogBlocks: number;
  /** How the refusal is worded: a {@link LOG_RANGE_REFUSALS} style or a function. Default `"meridian"`. */
  refusal?: LogRangeRefusalStyle | LogRangeRefusal;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** TCP port. Default 0 (the OS picks a free one). */
  port?: number;
}

/** A running {@link startRpcProxy}. */
export interface RpcProxy {
  /** `http://host:port`, the URL to give clients instead of the upstream's. */
  url: string;
  /** Calls received per JSON-RPC method (a batch counts each of its calls), refused ones included. */
  calls: Map<string, number>;
  /** How many `eth_getLogs` calls were refused since the last {@link RpcProxy.resetCounts}. */
  refused: () => number;
  /** Empties {@link RpcProxy.calls} and the refusal count. */
  resetCounts: () => void;
  /** Stops listening and closes open connections. */
  close: () => Promise<void>;
}

interface JsonRpcRequest {
  jsonrpc?: string;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

type JsonRpcResponse = { jsonrpc: "2.0"; id: unknown } & ({ result: unknown } | { error: JsonRpcErrorObject });

/** Forwards JSON-RPC requests to the upstream, one call or a batch. */
function forwarder(upstream: string | EIP1193Provider): (requests: JsonRpcRequest[]) => Promise<JsonRpcResponse[]> {
  if (typeof upstream === "string") {
    return async (requests) => {
      const response = await fetch(upstream, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(requests),
      });
      const body = (await response.json()) as JsonRpcResponse[] | JsonRpcResponse;
      return Array.isArray(body) ? body : [body];
    };
  }
  return (requests) =>
    Promise.all(
      requests.map(async (r): Promise<JsonRpcResponse> => {
        try {
          const result: unknown = await upstream.request({ method: r.method, params: r.params } as never);
          return { jsonrpc: "2.0", id: r.id, result };
        } catch (e) {
          const { code, message, data } = e as { code?: unknown; message?: unknown; data?: unknown };
          const error: JsonRpcErrorObject = {
            code: typeof code === "number" ? code : -32603,
            message: typeof message === "string" ? message : String(e),
          };
          if (data !== undefined) error.data = data;
          return { jsonrpc: "2.0", id: r.id, error };
        }
      }),
    );
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });

/**
 * Starts a JSON-RPC proxy on loopback in front of `upstream` that refuses any `eth_getLogs`
 * spanning more than `maxLogBlocks` blocks, as hosted RPCs do. The range is resolved as a node
 * does: an omitted bound or `latest`/`pending`/`safe`/`finalized` is the head (one
 * `eth_blockNumber` to the upstream, not counted), `earliest` is 0, and a `blockHash` query spans
 * one block. Everything else is forwarded unchanged; a batch is answered as a batch, its refused
 * calls with errors and the rest forwarded as one upstream batch.
 *
 * @example
 * ```ts
 * const node = await startHardhatNode();
 * const proxy = await startRpcProxy({ upstream: node.url, maxLogBlocks: 1000 });
 * // point clients at proxy.url; proxy.calls.get("eth_getLogs") counts their queries
 * await proxy.close();
 * ```
 */
export async function startRpcProxy(parameters: StartRpcProxyParameters): Promise<RpcProxy> {
  const { upstream, maxLogBlocks, host = "127.0.0.1", port = 0 } = parameters;
  const refusal =
    typeof parameters.refusal === "function"
      ? parameters.refusal
      : LOG_RANGE_REFUSALS[parameters.refusal ?? "meridian"];
  const forward = forwarder(upstream);
  const calls = new Map<string, number>();
  let refusedCount = 0;

  const head = async (): Promise<bigint> => {
    const [response] = await forward([{ jsonrpc: "2.0", id: 0, method: "eth_blockNumber", params: [] }]);
    if (!response || !("result" in response)) throw new Error("the upstream did not answer eth_blockNumber");
    return BigInt(response.result as string);
  };

  /** The refusal for `request`, or undefined when it may go upstream. */
  const check = async (
    request: JsonRpcRequest,
  ): Promise<(JsonRpcErrorObject & { httpStatus?: number }) | undefined> => {
    if (request.method !== "eth_getLogs") return undefined;
    const filter = (Array.isArray(request.params) ? request.params[0] : undefined) as
      { fromBlock?: unknown; toBlock?: unknown; blockHash?: unknown } | undefined;
    if (filter?.blockHash !== undefined)
      return maxLogBlocks >= 1 ? undefined : refusal({ fromBlock: 0n, toBlock: 0n, maxLogBlocks });
    let latest: bigint | undefined;
    const resolve = async (tag: unknown): Promise<bigint | undefined> => {
      if (tag === undefined || tag === null || ["latest", "pending", "safe", "finalized"].includes(tag as string))
        return (latest ??= await head());
      if (tag === "earliest") return 0n;
      return typeof tag === "string" && /^0x[0-9a-fA-F]+$/.test(tag) ? BigInt(tag) : undefined;
    };
    const fromBlock = await resolve(filter?.fromBlock);
    const toBlock = await resolve(filter?.toBlock);
    if (fromBlock === undefined || toBlock === undefined || toBlock < fromBlock) return undefined; // the node's own error
    return toBlock - fromBlock + 1n > BigInt(maxLogBlocks) ? refusal({ fromBlock, toBlock, maxLogBlocks }) : undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readBody(req));
    } catch {
      reply(200, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } });
      return;
    }
    const batch = Array.isArray(parsed);
    const requests = (batch ? parsed : [parsed]) as JsonRpcRequest[];
    const answers: (JsonRpcResponse | undefined)[] = [];
    let status = 200;
    const pass: { index: number; request: JsonRpcRequest }[] = [];
    for (const [index, request] of requests.entries()) {
      const method = typeof request.method === "string" ? request.method : "(none)";
      calls.set(method, (calls.get(method) ?? 0) + 1);
      const refused = await check(request);
      if (refused) {
        refusedCount++;
        const { httpStatus, ...error } = refused;
        if (httpStatus !== undefined && !batch) status = httpStatus;
        answers[index] = { jsonrpc: "2.0", id: request.id, error };
      } else pass.push({ index, request });
    }
    if (pass.length > 0) {
      const forwarded = await forward(pass.map((p) => p.request));
      for (const [i, p] of pass.entries()) {
        answers[p.index] = forwarded.find((r) => r.id === p.request.id) ?? forwarded[i];
      }
    }
    reply(status, batch ? answers : answers[0]);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32603, message: String(error) } }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    calls,
    refused: () => refusedCount,
    resetCounts: () => {
      calls.clear();
      refusedCount = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
