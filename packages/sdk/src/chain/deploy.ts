/**
 * Deployment of the Meridian contracts ({@link deployMeridian}), re-exported by `actions.ts`.
 *
 * @module
 */
import type { Abi, Address, Hex } from "viem";
import { MeridianError } from "../errors.ts";
import {
  monitoringRegistryAbi,
  monitoringRegistryBytecode,
  providerRegistryAbi,
  providerRegistryBytecode,
  recordRegistryAbi,
  recordRegistryBytecode,
} from "../generated/contracts.ts";
import { toMeridianError } from "./errors.ts";
import { read, WalletRequiredError } from "./contract.ts";
import type { MeridianContext, MeridianDeployment } from "./types.ts";

/** Parameters of {@link deployMeridian}. */
export interface DeployMeridianParameters {
  /** Holder of `DEFAULT_ADMIN_ROLE` on the provider registry (a multisig/timelock in production). */
  admin: Address;
  /** Holder of `REGULATOR_ROLE`. */
  regulator: Address;
}

/**
 * Deploys `ProviderRegistry`, `RecordRegistry` (which deploys `PeerValidation` in its
 * constructor) and `MonitoringRegistry` from the wallet's account and returns where they are. Throws {@link MeridianError} when a deployment
 * transaction fails.
 */
export async function deployMeridian(
  ctx: Omit<MeridianContext, "deployment">,
  parameters: DeployMeridianParameters,
): Promise<MeridianDeployment> {
  const wallet = ctx.walletClient;
  if (!wallet) throw new WalletRequiredError("deploy");
  try {
    const deploy = async (abi: Abi, bytecode: Hex, args: readonly unknown[]) => {
      const hash = await wallet.deployContract({ abi, bytecode, args } as never);
      const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash });
      if (!receipt.contractAddress) throw new MeridianError(`Deployment transaction ${hash} created no contract.`);
      return receipt;
    };
    const registry = await deploy(providerRegistryAbi, providerRegistryBytecode, [
      parameters.admin,
      parameters.regulator,
    ]);
    const records = await deploy(recordRegistryAbi, recordRegistryBytecode, [registry.contractAddress]);
    const monitoring = await deploy(monitoringRegistryAbi, monitoringRegistryBytecode, [records.contractAddress]);
    const peerValidation = await read(ctx, {
      address: records.contractAddress!,
      abi: recordRegistryAbi,
      functionName: "peerValidation",
    });
    return {
      chainId: await ctx.publicClient.getChainId(),
      providerRegistry: registry.contractAddress!,
      recordRegistry: records.contractAddress!,
      monitoringRegistry: monitoring.contractAddress!,
      peerValidation,
      deployedAtBlock: registry.blockNumber,
    };
  } catch (error) {
    throw toMeridianError(error);
  }
}
