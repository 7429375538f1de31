/**
 * Finding Meridian nodes without a DHT: the nodes a user names (`--node`, `MERIDIAN_NODES`) and
 * the endpoints active providers publish in `ProviderRegistry` (`listProviderNodes`, read from
 * contract storage, no `eth_getLogs`). Browser-safe (global `fetch`).
 *
 * @module
 */
import { isAddressEqual, type Address, type Chain, type PublicClient, type Transport } from "viem";
import { MeridianError } from "../errors.ts";
import { listProviderNodes, type ProviderNode } from "../chain/provider-nodes.ts";
import type { MeridianDeployment } from "../chain/types.ts";

/** A node URL a user named is not an absolute http(s) base URL. */
export class InvalidNodeUrlError extends MeridianError {
  override name = "InvalidNodeUrlError" as const;
  /** The URL as given. */
  readonly url: string;
  constructor(url: string, reason: string) {
    super(`"${url}" is not a Meridian node URL: ${reason}.`, {
      hint: "Name a node by its http(s) base URL, e.g. http://node.hospital.example:4100 (no user name or query).",
    });
    this.url = url;
  }
}

/**
 * The normal form of a node's base URL (`http(s)://host[:port][/path]`, no trailing slash), or why
 * it is not one: another scheme, credentials (they would be sent to every reader), a query or
 * fragment, or over 256 bytes (the registry's limit).
 */
export function normalizeNodeUrl(url: string): { url: string } | { reason: string } {
  if (url.length > 256) return { reason: "longer than 256 bytes" };
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return { reason: "not a URL" };
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return { reason: `scheme ${parsed.protocol}` };
  if (parsed.username || parsed.password) return { reason: "it carries a user name or password" };
  if (parsed.search || parsed.hash) return { reason: "it has a query or fragment" };
  if (!parsed.hostname) return { reason: "no host" };
  return { url: `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}` };
}

/** Parameters of {@link resolveNodeUrls}. */
export interface ResolveNodeUrlsParameters {
  /** Node URLs the user named (`--node`, `MERIDIAN_NODES`), first; a malformed one throws. */
  named?: readonly string[];
  /** Reads the registry; without it (or without `deployment`) only `named` is returned. */
  publicClient?: PublicClient<Transport, Chain | undefined>;
  deployment?: Pick<MeridianDeployment, "providerRegistry">;
  /** Providers whose nodes come right after the named ones, in this order (e.g. a record's author, the reader). */
  prefer?: readonly Address[];
  /**
   * When set, each registry endpoint is first asked `GET /meridian/v1/node` with this timeout
   * (milliseconds), and one that does not answer as a Meridian node is skipped with a warning.
   */
  probeTimeoutMs?: number;
  /** Told about each registry endpoint skipped (malformed, unreachable) and a registry that cannot be read. */
  onWarning?: (message: string) => void;
  /** The `fetch` used to probe (default: the global one). */
  fetch?: typeof fetch;
}

/** Node base URLs, normalised, unique, in the order to try them. */
export type ResolveNodeUrlsReturnType = string[];

/** Errors {@link resolveNodeUrls} throws: a malformed named URL. Registry failures only warn. */
export type ResolveNodeUrlsErrorType = InvalidNodeUrlError;

/**
 * The node URLs to write to and read from, in order: the `named` ones, then the nodes of the
 * `prefer` providers, then every other active provider's node, in order of admission. Registry
 * endpoints are hints (a provider writes what it likes there): a malformed one, and with
 * `probeTimeoutMs` an unreachable one, is skipped with a warning; a registry that cannot be read
 * leaves the named nodes. Every block read from any node is verified anyway.
 *
 * @throws {InvalidNodeUrlError} when a named URL is malformed (the user typed it: say so).
 * @example
 * ```ts
 * const urls = await resolveNodeUrls({ named: ["http://10.0.0.2:4100"], publicClient, deployment, prefer: [author] });
 * ```
 */
export async function resolveNodeUrls(parameters: ResolveNodeUrlsParameters): Promise<ResolveNodeUrlsReturnType> {
  const warn = parameters.onWarning ?? (() => {});
  const urls: string[] = [];
  const add = (url: string) => {
    if (!urls.includes(url)) urls.push(url);
  };
  for (const named of parameters.named ?? []) {
    const normal = normalizeNodeUrl(named);
    if ("reason" in normal) throw new InvalidNodeUrlError(named, normal.reason);
    add(normal.url);
  }
  const { publicClient, deployment } = parameters;
  if (!publicClient || !deployment) return urls;
  let providers: ProviderNode[];
  try {
    providers = await listProviderNodes({ publicClient, deployment: deployment as MeridianDeployment });
  } catch (error) {
    warn(`could not read the providers' nodes from the registry (${errorText(error)}); using the named nodes only`);
    return urls;
  }
  const prefer = parameters.prefer ?? [];
  const rank = (p: ProviderNode) => {
    const i = prefer.findIndex((a) => isAddressEqual(a, p.provider));
    return i < 0 ? prefer.length : i;
  };
  const ordered = providers.map((p, i) => ({ p, i })).sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i);
  const candidates: { url: string; provider: ProviderNode }[] = [];
  for (const { p } of ordered) {
    for (const endpoint of p.endpoints) {
      const normal = normalizeNodeUrl(endpoint);
      if ("reason" in normal) {
        warn(`skipping node endpoint ${JSON.stringify(endpoint)} of ${p.name} (${p.provider}): ${normal.reason}`);
        continue;
      }
      if (!urls.includes(normal.url) && !candidates.some((c) => c.url === normal.url))
        candidates.push({ url: normal.url, provider: p });
    }
  }
  const timeout = parameters.probeTimeoutMs;
  if (timeout === undefined) {
    for (const c of candidates) add(c.url);
    return urls;
  }
  const doFetch = parameters.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const live = await Promise.all(candidates.map((c) => probeNode(doFetch, c.url, timeout)));
  candidates.forEach((c, i) => {
    const problem = live[i];
    if (problem) warn(`skipping node ${c.url} of ${c.provider.name} (${c.provider.provider}): ${problem}`);
    else add(c.url);
  });
  return urls;
}

/** Why `url` does not answer `GET /meridian/v1/node` as a Meridian node within `timeoutMs`, or `undefined`. */
async function probeNode(doFetch: typeof fetch, url: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const response = await doFetch(`${url}/meridian/v1/node`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) {
      await response.body?.cancel();
      return `it answered ${response.status}`;
    }
    const body = (await response.json()) as { version?: unknown };
    return body.version === 1 ? undefined : "it is not a Meridian node (API version 1)";
  } catch (error) {
    return `unreachable (${errorText(error)})`;
  }
}

function errorText(error: unknown): string {
  if (error instanceof MeridianError) return error.shortMessage;
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return `${error.message}${cause}`.split("\n")[0]!;
  }
  return String(error);
}
