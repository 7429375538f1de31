/**
 * Test kit: an embedded Hardhat/EDR chain (in process, no port) with Meridian deployed, viem
 * clients on it, and time travel. Accounts are Hardhat's well-known development accounts, for
 * local chains only: by default #0 deploys and administers, #1 is the regulator.
 *
 * @module
 */
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  custom,
  defineChain,
  encodeAbiParameters,
  hexToBigInt,
  keccak256,
  toHex,
  type Account,
  type Address,
  type EIP1193Provider,
  type Hex,
  type Transport,
  type WalletClient,
} from "viem";
import { mnemonicToAccount, type HDAccount } from "viem/accounts";
import { network } from "hardhat";
import { deployMeridian, type DeployMeridianParameters } from "../chain/actions.ts";
import type { MeridianContext, MeridianDeployment } from "../chain/types.ts";

/** Hardhat's well-known test mnemonic. Local chains only: anyone can spend from these accounts. */
export const TEST_MNEMONIC = "test test test test test test test test test test test junk";

/** The embedded chain's EIP-155 id (Hardhat's default, 31337). */
export const TEST_CHAIN_ID = 31337;

/** Index of the development account that deploys Meridian and holds `DEFAULT_ADMIN_ROLE` by default. */
export const TEST_ADMIN = 0;

/** Index of the development account that holds `REGULATOR_ROLE` by default. */
export const TEST_REGULATOR = 1;

/** viem chain definition of the embedded chain. */
export const testChainDefinition = defineChain({
  id: TEST_CHAIN_ID,
  name: "Hardhat",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: ["http://embedded"] } },
});

/**
 * Development account `index` (0-based) of {@link TEST_MNEMONIC}. Hardhat funds the first 20
 * (10,000 ETH each); fund others with {@link TestChain.fund}.
 *
 * @example
 * ```ts
 * const patient = testAccount(3);
 * ```
 */
export const testAccount = (index: number): HDAccount => mnemonicToAccount(TEST_MNEMONIC, { addressIndex: index });

/** A viem wallet client on the embedded chain (its `chain` is set: `deployContract` needs no `chain`). */
export type TestWalletClient = WalletClient<Transport, typeof testChainDefinition, Account>;

/** An account, or the index of a development account ({@link testAccount}). */
export type TestAccountLike = Account | number;

/** The account `account` names: itself, or development account `account`. */
export const toTestAccount = (account: TestAccountLike): Account =>
  typeof account === "number" ? testAccount(account) : account;

/** A method called on the embedded chain's EIP-1193 provider (for counting or tracing requests). */
export interface TestChainRequest {
  method: string;
  params?: unknown;
}

/** The clients available before Meridian is deployed, passed to {@link StartTestChainParameters.roles}. */
export interface TestChainClients {
  publicClient: MeridianContext["publicClient"];
  wallet: (account: Account) => TestWalletClient;
}

/** Parameters of {@link startTestChain}. */
export interface StartTestChainParameters {
  /**
   * Who holds the registries' roles. Default: development account {@link TEST_ADMIN} is admin,
   * {@link TEST_REGULATOR} regulator. A function runs before the deployment, with the chain's
   * clients (for example to deploy a timelock that becomes both); account #0 deploys either way.
   */
  roles?: DeployMeridianParameters | ((clients: TestChainClients) => Promise<DeployMeridianParameters>);
  /** How often the viem clients poll for receipts, in milliseconds. Default 10. */
  pollingInterval?: number;
  /** Called with every request sent through the viem clients' transport, before it is sent. */
  onRequest?: (request: TestChainRequest) => void;
}

/** What {@link startTestChain} returns. */
export interface TestChain {
  /** A read-only context (no wallet). */
  chain: MeridianContext;
  deployment: MeridianDeployment;
  /** The viem public client of the embedded chain (polling every `pollingInterval` ms). */
  publicClient: MeridianContext["publicClient"];
  /** A viem test client (`mode: "hardhat"`) for state the contracts cannot change: code, storage, balances. */
  testClient: ReturnType<typeof createTestClient>;
  /** A wallet client signing as `account`. */
  wallet: (account: Account) => TestWalletClient;
  /** A Meridian context that writes as `account` (or development account `account`). */
  as: (account: TestAccountLike) => Required<Pick<MeridianContext, "publicClient" | "walletClient" | "deployment">>;
  /** The raw EIP-1193 provider of the embedded chain (requests sent here bypass `onRequest`). */
  provider: EIP1193Provider;
  /** The latest block's timestamp, in seconds since the Unix epoch (the chain's clock, not the wall clock). */
  now: () => Promise<number>;
  /** Moves the chain's clock forward by `seconds` and mines one block. */
  increaseTime: (seconds: number | bigint) => Promise<void>;
  /** Gives `address` a balance of `wei` (set, not added). */
  fund: (address: Address, wei: bigint) => Promise<void>;
  /**
   * Sets `patient`'s key epoch in `RecordRegistry` storage, as that many revocations would
   * (the epoch is the top 32 bits of the second word of `_patients[patient]`, mapping slot 2).
   * The patient must be registered.
   */
  setKeyEpoch: (patient: Address, epoch: number) => Promise<void>;
  /** Takes an EVM snapshot; pass its id to {@link TestChain.revert}. */
  snapshot: () => Promise<Hex>;
  /** Reverts to a snapshot taken with {@link TestChain.snapshot} (a snapshot can be used once). */
  revert: (id: Hex) => Promise<void>;
  /** Stops the embedded chain. */
  close: () => Promise<void>;
}

/** Storage slot of the `RecordRegistry._patients` mapping (after EIP712's two strings). */
const PATIENTS_SLOT = 2n;

/**
 * Starts an embedded EDR chain and deploys Meridian (by default with account #0 as admin and #1
 * as regulator).
 *
 * @example
 * ```ts
 * const kit = await startTestChain();
 * try {
 *   await admitProvider(kit.as(1), { provider: testAccount(2).address, kind: 1, name: "St Mary's", department: "" });
 * } finally {
 *   await kit.close();
 * }
 * ```
 */
export async function startTestChain(parameters: StartTestChainParameters = {}): Promise<TestChain> {
  const connection = await network.create();
  const provider = connection.provider as unknown as EIP1193Provider;
  const { onRequest, pollingInterval = 10 } = parameters;
  const observed: EIP1193Provider = onRequest
    ? {
        ...provider,
        request: (request: TestChainRequest) => {
          onRequest(request);
          return provider.request(request as never);
        },
      }
    : provider;
  // No retries: an in-process chain does not drop requests, and viem would retry every revert
  // (an unknown RPC error to it) three times with backoff, about 1 s per expected revert.
  const transport = custom(observed, { retryCount: 0 });
  const publicClient = createPublicClient({ chain: testChainDefinition, transport, pollingInterval });
  const testClient = createTestClient({
    chain: testChainDefinition,
    mode: "hardhat",
    transport: custom(provider, { retryCount: 0 }),
  });
  const wallet = (a: Account): TestWalletClient =>
    createWalletClient({ account: a, chain: testChainDefinition, transport, pollingInterval });
  try {
    const roles =
      typeof parameters.roles === "function"
        ? await parameters.roles({ publicClient, wallet })
        : (parameters.roles ?? {
            admin: testAccount(TEST_ADMIN).address,
            regulator: testAccount(TEST_REGULATOR).address,
          });
    const deployment = await deployMeridian({ publicClient, walletClient: wallet(testAccount(TEST_ADMIN)) }, roles);
    return {
      chain: { publicClient, deployment },
      deployment,
      publicClient,
      testClient,
      wallet,
      as: (account) => ({ publicClient, walletClient: wallet(toTestAccount(account)), deployment }),
      provider,
      now: async () => Number((await publicClient.getBlock({ blockTag: "latest" })).timestamp),
      increaseTime: async (seconds) => {
        await testClient.increaseTime({ seconds: Number(seconds) });
        await testClient.mine({ blocks: 1 });
      },
      fund: (address, wei) => testClient.setBalance({ address, value: wei }),
      setKeyEpoch: async (patient, epoch) => {
        const key = encodeAbiParameters([{ type: "address" }, { type: "uint256" }], [patient, PATIENTS_SLOT]);
        const slot = toHex(hexToBigInt(keccak256(key)) + 1n, { size: 32 });
        const word = hexToBigInt(
          (await publicClient.getStorageAt({ address: deployment.recordRegistry, slot })) ?? "0x0",
        );
        const value = (word & ((1n << 224n) - 1n)) | (BigInt(epoch) << 224n);
        await testClient.setStorageAt({
          address: deployment.recordRegistry,
          index: slot,
          value: toHex(value, { size: 32 }),
        });
      },
      snapshot: () => testClient.snapshot(),
      revert: (id) => testClient.revert({ id }),
      close: () => connection.close(),
    };
  } catch (error) {
    await connection.close();
    throw error;
  }
}
