/**
 * A fresh `ProviderRegistry` (with `admin` as admin and regulator) and a `RecordRegistry` wired
 * to it, deployed from their creation bytecode, for the flows that deploy a contract beside them
 * (monitoring, peer validation).
 */
import type { Account } from "viem";
import {
  providerRegistryAbi,
  providerRegistryBytecode,
  recordRegistryAbi,
  recordRegistryBytecode,
} from "@meridian/sdk/chain";
import { deployTestContract, type TestChain } from "@meridian/sdk/testing";

/** Deploys the two registries; `admin` is both the registry's admin and its regulator. */
export async function deployRegistries(kit: TestChain, admin: Account) {
  const providers = await deployTestContract(kit, {
    abi: providerRegistryAbi,
    bytecode: providerRegistryBytecode,
    args: [admin.address, admin.address],
  });
  const registry = await deployTestContract(kit, {
    abi: recordRegistryAbi,
    bytecode: recordRegistryBytecode,
    args: [providers.address],
  });
  return { providers, registry };
}
