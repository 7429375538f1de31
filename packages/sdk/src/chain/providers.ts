/**
 * Actions on `ProviderRegistry`: admitting providers and changing their status, their encryption
 * keys, and reading the registry. In the style of `actions.ts` (which re-exports this module).
 *
 * @module
 */
import { getAddress, type Address, type Hex } from "viem";
import { MeridianError } from "../errors.ts";
import { providerRegistryAbi } from "../generated/contracts.ts";
import { toMeridianError } from "./errors.ts";
import { read, result, write } from "./contract.ts";
import { getLogsInRanges } from "./logs.ts";
import {
  isProviderKindCode,
  isProviderStatusCode,
  type MeridianContext,
  type ProviderKindCode,
  type ProviderStatusCode,
  type TransactionResult,
} from "./types.ts";

/** Parameters of {@link admitProvider}. */
export interface AdmitProviderParameters {
  provider: Address;
  kind: ProviderKindCode;
  name: string;
  department: string;
}

/** Regulator only: admits a provider. Reverts: see `IProviderRegistry.admit`. */
export async function admitProvider(ctx: MeridianContext, p: AdmitProviderParameters): Promise<TransactionResult> {
  return result(
    await write(ctx, "admit", {
      address: ctx.deployment.providerRegistry,
      abi: providerRegistryAbi,
      functionName: "admit",
      args: [p.provider, p.kind, p.name, p.department],
    }),
  );
}

/** Regulator only: suspends, reinstates or removes a provider. */
export async function setProviderStatus(
  ctx: MeridianContext,
  p: { provider: Address; action: "suspend" | "reinstate" | "remove" },
): Promise<TransactionResult> {
  return result(
    await write(ctx, p.action, {
      address: ctx.deployment.providerRegistry,
      abi: providerRegistryAbi,
      functionName: p.action,
      args: [p.provider],
    }),
  );
}

/**
 * Provider only: publishes (or rotates) its X25519 public key (32 bytes, hex); the registry
 * increments the provider's `keyVersion`. Reverts `ProviderRegistryEncryptionKeyUnchanged` when
 * the key is already the current one.
 */
export async function setProviderEncryptionKey(
  ctx: MeridianContext,
  p: { encryptionKey: Hex },
): Promise<TransactionResult> {
  return result(
    await write(ctx, "set provider key", {
      address: ctx.deployment.providerRegistry,
      abi: providerRegistryAbi,
      functionName: "setEncryptionKey",
      args: [p.encryptionKey],
    }),
  );
}

/**
 * A provider's registry entry. Times in Unix seconds; `keyVersion` is 0 before the first key,
 * 1 for the first, +1 per rotation.
 */
export interface ProviderInfo {
  address: Address;
  /** The kind it was admitted as; 0 for an address never admitted. */
  kind: ProviderKindCode | 0;
  status: ProviderStatusCode;
  /** Unix seconds. */
  admittedAt: number;
  /** Unix seconds. */
  statusChangedAt: number;
  encryptionKey: Hex;
  keyVersion: number;
  name: string;
  department: string;
}

/**
 * Reads a provider's registry entry (status `ProviderStatus.None` and kind 0 when never admitted).
 *
 * @throws {MeridianError} when the registry returns a kind or status this SDK does not know (a
 *   registry of another version).
 */
export async function getProvider(ctx: MeridianContext, provider: Address): Promise<ProviderInfo> {
  const p = await read(ctx, {
    address: ctx.deployment.providerRegistry,
    abi: providerRegistryAbi,
    functionName: "getProvider",
    args: [provider],
  });
  const kind = p.kind;
  const status = p.status;
  if (!(kind === 0 || isProviderKindCode(kind)) || !isProviderStatusCode(status)) {
    throw new MeridianError(`The provider registry returned an unknown kind (${kind}) or status (${status}).`, {
      hint: "Check that the deployment file names a ProviderRegistry of this Meridian version.",
    });
  }
  return {
    address: provider,
    kind,
    status,
    admittedAt: Number(p.admittedAt),
    statusChangedAt: Number(p.statusChangedAt),
    encryptionKey: p.encryptionKey,
    keyVersion: Number(p.keyVersion),
    name: p.name,
    department: p.department,
  };
}

/** One `ProviderEncryptionKeySet` event: which key a provider published, as which version, in which block. */
export interface ProviderKeyEvent {
  provider: Address;
  encryptionKey: Hex;
  keyVersion: number;
  blockNumber: bigint;
}

/**
 * The keys `provider` has published, oldest first (`eth_getLogs` from the deployment block to
 * `options.toBlock`, default the latest: one call, or chunks on an RPC that caps ranges, see
 * `getLogsInRanges`). Tells which key version a grant issued in a given block was wrapped to.
 */
export async function listProviderKeyEvents(
  ctx: MeridianContext,
  provider: Address,
  options: { toBlock?: bigint } = {},
): Promise<ProviderKeyEvent[]> {
  try {
    const logs = await getLogsInRanges(ctx.publicClient, {
      fromBlock: ctx.deployment.deployedAtBlock,
      toBlock: options.toBlock ?? "latest",
      query: (range) =>
        ctx.publicClient.getContractEvents({
          address: ctx.deployment.providerRegistry,
          abi: providerRegistryAbi,
          eventName: "ProviderEncryptionKeySet",
          args: { provider },
          strict: true,
          ...range,
        }),
    });
    return logs.map((log) => ({
      provider: log.args.provider,
      encryptionKey: log.args.encryptionKey,
      keyVersion: Number(log.args.keyVersion),
      blockNumber: log.blockNumber ?? 0n,
    }));
  } catch (error) {
    throw toMeridianError(error);
  }
}

/**
 * Every provider ever admitted, with its current registry entry, oldest first. Reads the
 * `ProviderAdmitted` logs from the deployment block (`getLogsInRanges`), then one
 * `getProvider` per provider: a directory view, so it grows with the number of providers.
 */
export async function listProviders(ctx: MeridianContext): Promise<ProviderInfo[]> {
  try {
    const logs = await getLogsInRanges(ctx.publicClient, {
      fromBlock: ctx.deployment.deployedAtBlock,
      query: (range) =>
        ctx.publicClient.getContractEvents({
          address: ctx.deployment.providerRegistry,
          abi: providerRegistryAbi,
          eventName: "ProviderAdmitted",
          ...range,
        }),
    });
    const addresses = new Set<Address>(); // checksummed, in order of first admission
    for (const log of logs) {
      const provider = (log.args as { provider?: Address }).provider;
      if (provider) addresses.add(getAddress(provider));
    }
    return await Promise.all([...addresses].map((a) => getProvider(ctx, a)));
  } catch (error) {
    throw toMeridianError(error);
  }
}

/** Whether `account` holds the provider registry's `REGULATOR_ROLE` (OpenZeppelin AccessControl). */
export async function isRegulator(ctx: MeridianContext, account: Address): Promise<boolean> {
  const registry = { address: ctx.deployment.providerRegistry, abi: providerRegistryAbi } as const;
  const role = await read(ctx, { ...registry, functionName: "REGULATOR_ROLE" });
  return read(ctx, { ...registry, functionName: "hasRole", args: [role, account] });
}
