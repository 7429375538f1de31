/**
 * Test-only: an embedded Hardhat/EDR chain with Meridian deployed, for the server-route tests
 * (`blob-upload.test.ts`, `consent-relay.test.ts`). Accounts are Hardhat's well-known development
 * accounts (local chains only): #0 deploys and administers, #1 is the regulator.
 */
import { createPublicClient, createWalletClient, custom, defineChain, type Account, type EIP1193Provider } from "viem";
import { mnemonicToAccount, type HDAccount } from "viem/accounts";
import { network } from "hardhat";
import { deployMeridian } from "@meridian/sdk/chain/actions.ts";
import type { MeridianContext, MeridianDeployment } from "@meridian/sdk/chain/types.ts";

const MNEMONIC = "test test test test test test test test test test test junk";

/** Development account `i` of Hardhat's test mnemonic. */
export const testAccount = (i: number): HDAccount => mnemonicToAccount(MNEMONIC, { addressIndex: i });

/** What {@link startTestChain} returns. */
export interface TestChain {
  /** A read-only context (no wallet). */
  chain: MeridianContext;
  deployment: MeridianDeployment;
  /** A wallet client signing as `account`. */
  wallet: (account: Account) => NonNullable<MeridianContext["walletClient"]>;
  /** Stops the embedded chain. */
  close: () => Promise<void>;
}

/** Starts an embedded chain and deploys Meridian with account #0 as admin and #1 as regulator. */
export async function startTestChain(): Promise<TestChain> {
  const connection = await network.create();
  const transport = custom(connection.provider as unknown as EIP1193Provider);
  const viemChain = defineChain({
    id: 31337,
    name: "Hardhat",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: ["http://embedded"] } },
  });
  const publicClient = createPublicClient({ chain: viemChain, transport, pollingInterval: 10 });
  const wallet = (a: Account) => createWalletClient({ account: a, chain: viemChain, transport, pollingInterval: 10 });
  const deployment = await deployMeridian(
    { publicClient, walletClient: wallet(testAccount(0)) },
    { admin: testAccount(0).address, regulator: testAccount(1).address }
  );
  return { chain: { publicClient, deployment }, deployment, wallet, close: () => connection.close() };
}
