/**
 * Where providers' Meridian nodes are: each active provider publishes the base URLs of its node
 * in its `ProviderRegistry` entry (`setNodeEndpoints`), and clients read them from contract
 * storage (`getNodeEndpoints`, `providerCount`, `providerAt`), never from event logs, so the
 * lookup works on RPCs that cap or refuse `eth_getLogs`. In the style of `actions.ts`.
 *
 * @module
 */
import type { Address } from "viem";
import { providerRegistryAbi } from "../generated/contracts.ts";
import { read, result, write, type ReadErrorType, type WriteErrorType } from "./contract.ts";
import { ProviderStatus, type MeridianContext, type TransactionResult } from "./types.ts";

/** Most node endpoints a provider may publish (`ProviderRegistry.setNodeEndpoints`). */
export const MAX_NODE_ENDPOINTS = 4;
/** Most bytes of one node endpoint (UTF-8). */
export const MAX_NODE_ENDPOINT_BYTES = 256;

/** Parameters of {@link setNodeEndpoints}. */
export interface SetNodeEndpointsParameters {
  /**
   * Base URLs of the caller's node (`http://…` or `https://…`, at most 4, each ≤ 256 bytes), as
   * its clients reach it, e.g. `https://ipfs.st-mary.example`; `[]` clears them.
   */
  endpoints: readonly string[];
}

/** What {@link setNodeEndpoints} returns: the confirmed transaction. */
export type SetNodeEndpointsReturnType = TransactionResult;

/**
 * Errors {@link setNodeEndpoints} throws: `ProviderRegistryUnknownProvider`,
 * `ProviderRegistryInvalidStatus` (not active), `ProviderRegistryTooManyNodeEndpoints` and
 * `ProviderRegistryInvalidNodeEndpoint` reverts, as `ContractRevertedError`.
 */
export type SetNodeEndpointsErrorType = WriteErrorType;

/**
 * Provider only (an `Active` one): publishes the base URLs of its Meridian node, replacing the
 * previous list (emits `ProviderNodeEndpointsSet`). Patients' and other providers' clients pin
 * record envelopes there and read from it; they verify every block, so the URLs are hints.
 *
 * @example
 * ```ts
 * await setNodeEndpoints(ctx, { endpoints: ["https://ipfs.st-mary.example"] });
 * ```
 */
export async function setNodeEndpoints(
  ctx: MeridianContext,
  parameters: SetNodeEndpointsParameters,
): Promise<SetNodeEndpointsReturnType> {
  return result(
    await write(ctx, "publish node endpoints", {
      address: ctx.deployment.providerRegistry,
      abi: providerRegistryAbi,
      functionName: "setNodeEndpoints",
      args: [[...parameters.endpoints]],
    }),
  );
}

/** Parameters of {@link getNodeEndpoints}. */
export interface GetNodeEndpointsParameters {
  /** The provider's account. */
  provider: Address;
}

/** The URLs as the provider published them (unchecked; empty when none). */
export type GetNodeEndpointsReturnType = string[];

/** Errors {@link getNodeEndpoints} throws. */
export type GetNodeEndpointsErrorType = ReadErrorType;

/**
 * Reads the node base URLs `provider` published (one `eth_call`). Whatever the provider's status:
 * filter on {@link listProviderNodes} for active providers only.
 *
 * @example
 * ```ts
 * const urls = await getNodeEndpoints(ctx, { provider: "0x3C44…93BC" });
 * ```
 */
export async function getNodeEndpoints(
  ctx: Pick<MeridianContext, "publicClient" | "deployment">,
  parameters: GetNodeEndpointsParameters,
): Promise<GetNodeEndpointsReturnType> {
  const endpoints = await read(ctx, {
    address: ctx.deployment.providerRegistry,
    abi: providerRegistryAbi,
    functionName: "getNodeEndpoints",
    args: [parameters.provider],
  });
  return [...endpoints];
}

/** One active provider's node, as {@link listProviderNodes} returns it. */
export interface ProviderNode {
  /** The provider's account. */
  provider: Address;
  /** Its public name in the registry. */
  name: string;
  /** The base URLs it published (possibly none; unchecked: see `resolveNodeUrls`). */
  endpoints: string[];
}

/** Every active provider with its published endpoints, in order of admission. */
export type ListProviderNodesReturnType = ProviderNode[];

/** Errors {@link listProviderNodes} throws. */
export type ListProviderNodesErrorType = ReadErrorType;

/**
 * Lists every active provider and the node endpoints it published, in order of admission, from
 * contract storage only (`providerCount`, then `providerAt`, `getProvider` and
 * `getNodeEndpoints` per provider: 1 + 3 × providers `eth_call`s, no `eth_getLogs`).
 * Suspended and removed providers are left out.
 *
 * @example
 * ```ts
 * for (const { name, endpoints } of await listProviderNodes(ctx)) console.log(name, endpoints);
 * ```
 */
export async function listProviderNodes(
  ctx: Pick<MeridianContext, "publicClient" | "deployment">,
): Promise<ListProviderNodesReturnType> {
  const registry = { address: ctx.deployment.providerRegistry, abi: providerRegistryAbi } as const;
  const count = await read(ctx, { ...registry, functionName: "providerCount" });
  const indices = Array.from({ length: Number(count) }, (_, i) => BigInt(i));
  const entries = await Promise.all(
    indices.map(async (index) => {
      const provider = await read(ctx, { ...registry, functionName: "providerAt", args: [index] });
      const [entry, endpoints] = await Promise.all([
        read(ctx, { ...registry, functionName: "getProvider", args: [provider] }),
        read(ctx, { ...registry, functionName: "getNodeEndpoints", args: [provider] }),
      ]);
      return { provider, active: entry.status === ProviderStatus.Active, name: entry.name, endpoints };
    }),
  );
  return entries.flatMap((e) =>
    e.active ? [{ provider: e.provider, name: e.name, endpoints: [...e.endpoints] }] : [],
  );
}
