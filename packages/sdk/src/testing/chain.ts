/**
 * Test kit: an embedded Hardhat/EDR chain (in process, no port) with Meridian deployed, viem
 * clients on it, and time travel. Accounts are Hardhat's well-known development accounts, for
 * local chains only: #0 deploys and administers, #1 is the regulator.
 *
 * @module
 */
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  custom,
  defineChain,
  type Account,
  type EIP1193Provider,
  type Hex,
} from "viem";
import { mnemonicToAccount, type HDAccount } from "viem/accounts";
import { network } from "hardhat";
import { deployMeridian } from "../chain/actions.ts";
import type { MeridianContext, MeridianDeployment } from "../chain/types.ts";

/** Hardhat's well-known test mnemonic. Local chains only: anyone can spend from these accounts. */
export const TEST_MNEMONIC = "test test test test test test test test test test test junk";

/** The embedded chain's EIP-155 id (Hardhat's default, 31337). */
export const TEST_CHAIN_ID = 31337;

/** viem chain definition of the embedded chain. */
export const testChainDefinition = defineChain({
  id: TEST_CHAIN_ID,
  name: "Hardhat",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: ["http://embedded"] } },
});

/**
 * Development account `index` (0-based) of {@link TEST_MNEMONIC}.
 *
 * @example
 * ```ts
 * const patient = testAccount(3);
 * ```
 */
export const testAccount = (index: number): HDAccount => mnemonicToAccount(TEST_MNEMONIC, { addressIndex: index });

/** What {@link startTestChain} returns. */
export interface TestChain {
  /** A read-only context (no wallet). */
  chain: MeridianContext;
  deployment: MeridianDeployment;
  /** The viem public client of the embedded chain (polling every 10 ms). */
  publicClient: MeridianContext["publicClient"];
  /** A wallet client signing as `account`. */
  wallet: (account: Account) => NonNullable<MeridianContext["walletClient"]>;
  /** A Meridian context that writes as `account`. */
  as: (account: Account) => Required<Pick<MeridianContext, "publicClient" | "walletClient" | "deployment">>;
  /** The raw EIP-1193 provider of the embedded chain. */
  provider: EIP1193Provider;
  /** Moves the chain's clock forward by `seconds` and mines one block. */
  increaseTime: (seconds: number | bigint) => Promise<void>;
  /** Takes an EVM snapshot; pass its id to {@link TestChain.revert}. */
  snapshot: () => Promise<Hex>;
  /** Reverts to a snapshot taken with {@link TestChain.snapshot} (a snapshot can be used once). */
  revert: (id: Hex) => Promise<void>;
  /** Stops the embedded chain. */
  close: () => Promise<void>;
}

/**
 * Starts an embedded EDR chain and deploys Meridian with account #0 as admin and #1 as regulator.
 *
 * @example
 * ```ts
 * const kit = await startTestChain();
 * try {
 *   // ...
 * } finally {
 *   await kit.close();
 * }
 * ```
 */
export async function startTestChain(): Promise<TestChain> {
  const connection = await network.create();
  const provider = connection.provider as unknown as EIP1193Provider;
  // No retries: an in-process chain does not drop requests, and viem would retry every revert
  // (an unknown RPC error to it) three times with backoff, about 1 s per expected revert.
  const transport = custom(provider, { retryCount: 0 });
  const publicClient = createPublicClient({ chain: testChainDefinition, transport, pollingInterval: 10 });
  const testClient = createTestClient({ chain: testChainDefinition, mode: "hardhat", transport });
  const wallet = (a: Account) =>
    createWalletClient({ account: a, chain: testChainDefinition, transport, pollingInterval: 10 });
  const deployment = await deployMeridian(
    { publicClient, walletClient: wallet(testAccount(0)) },
    { admin: testAccount(0).address, regulator: testAccount(1).address },
  );
  return {
    chain: { publicClient, deployment },
    deployment,
    publicClient,
    wallet,
    as: (account) => ({ publicClient, walletClient: wallet(account), deployment }),
    provider,
    increaseTime: async (seconds) => {
      await testClient.increaseTime({ seconds: Number(seconds) });
      await testClient.mine({ blocks: 1 });
    },
    snapshot: () => testClient.snapshot(),
    revert: (id) => testClient.revert({ id }),
    close: () => connection.close(),
  };
}
