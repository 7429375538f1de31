/**
 * Test support: a real in-process Hardhat/EDR chain with Meridian deployed, a real Helia node on
 * disk in a temporary folder, an admitted hospital with a published key, and SDK clients for
 * Hardhat's development accounts (local chains only). Exported as `@meridian/monitoring/testing`,
 * not by the package's main entry point (it loads Hardhat).
 *
 * @module
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createPublicClient, createWalletClient, custom, defineChain } from "viem";
import type { Account, EIP1193Provider } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { network } from "hardhat";
import { createMeridianClient } from "@meridian/sdk";
import type { MeridianClient } from "@meridian/sdk";
import { admitProvider, deployMeridian } from "@meridian/sdk/chain";
import { ProviderKind } from "@meridian/sdk/chain";
import { createHeliaStore } from "@meridian/sdk/storage";

const MNEMONIC = "test test test test test test test test test test test junk";
/** Hardhat development account `i` (local chains only). */
export const devAccount = (i: number) => mnemonicToAccount(MNEMONIC, { addressIndex: i });

/** What {@link startTestNetwork} gives. */
export interface TestNetwork {
  /** A temporary folder for the test's state (removed by `close`). */
  dir: string;
  /** An SDK client signing as `account`. */
  client: (account: Account) => MeridianClient;
  /** Admits `account` as a provider (by the regulator, dev account 1) and publishes its key. */
  admit: (account: Account, name: string) => Promise<MeridianClient>;
  close: () => Promise<void>;
}

/** Starts the chain and Helia, deploys (dev account 0 admin, 1 regulator). */
export async function startTestNetwork(prefix: string): Promise<TestNetwork> {
  const connection = await network.create();
  const transport = custom(connection.provider as unknown as EIP1193Provider);
  const chain = defineChain({ id: 31337, name: "Hardhat", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: ["http://embedded"] } } });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 10 });
  const wallet = (a: Account) => createWalletClient({ account: a, chain, transport, pollingInterval: 10 });
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const store = await createHeliaStore({ directory: path.join(dir, "ipfs") });
  const deployment = await deployMeridian({ publicClient, walletClient: wallet(devAccount(0)) }, { admin: devAccount(0).address, regulator: devAccount(1).address });
  const client = (a: Account) => createMeridianClient({ publicClient, walletClient: wallet(a), deployment, store });
  return {
    dir,
    client,
    admit: async (account, name) => {
      const provider = client(account);
      await admitProvider({ ...provider.ctx, walletClient: wallet(devAccount(1)) }, { provider: provider.address, kind: ProviderKind.Hospital, name, department: "Cardiology" });
      await provider.publishProviderKey();
      return provider;
    },
    close: async () => {
      await store.close();
      await connection.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
