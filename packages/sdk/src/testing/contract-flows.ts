/**
 * Test kit: what cross-contract flow tests need beyond {@link startTestChain}: contracts bound to
 * their generated ABIs, deployments from creation bytecode or from a Hardhat Ignition module,
 * named fixtures restored from EVM snapshots, mined receipts, event assertions, and node controls
 * (blocks, clock, impersonation). All over viem; no ethers.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  ContractFunctionRevertedError,
  getAddress,
  getContract,
  isAddressEqual,
  isHex,
  parseEventLogs,
  type Abi,
  type Account,
  type Address,
  type ContractConstructorArgs,
  type ContractEventName,
  type GetContractReturnType,
  type Hash,
  type Hex,
  type JsonRpcAccount,
  type ParseEventLogsReturnType,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
import type {
  DeployConfig,
  DeploymentParameters,
  IgnitionModule,
  IgnitionModuleResult,
} from "@nomicfoundation/ignition-core";
import { testAccount, type testChainDefinition, type TestChain } from "./chain.ts";

// ------------------------------------------------------------------ contracts

/**
 * Binds the contract at `address` to `abi` on the test chain: typed `read` calls (views),
 * `simulate` (a write's return value without sending it) and `as(account).fn([args])`, which
 * sends a write signed by `account` and resolves to its transaction hash once mined (the embedded
 * chain mines each transaction at once). A write that would revert rejects with viem's
 * `ContractFunctionExecutionError` (assert it with {@link expectContractError}).
 *
 * @example
 * ```ts
 * const providers = bindContract(kit, providerRegistryAbi, kit.deployment.providerRegistry);
 * await mined(kit, providers.as(testAccount(1)).suspend([hospital]));
 * assert.equal(await providers.read.isActive([hospital]), false);
 * ```
 */
export function bindContract<const TAbi extends Abi>(kit: TestChain, abi: TAbi, address: Address): BoundContract<TAbi> {
  const clients = (account: Account) => ({ public: kit.publicClient, wallet: kit.wallet(account) });
  // Typed through BoundContract: inside this generic function viem's types stay deferred,
  // so the ABI is widened to `Abi` here.
  const wideAbi: Abi = abi;
  const bound = (account: Account) => getContract({ abi: wideAbi, address, client: clients(account) });
  const { read, simulate } = bound(testAccount(0));
  return {
    address,
    abi,
    read,
    simulate,
    as: (account: Account) => bound(account).write,
  } as unknown as BoundContract<TAbi>;
}

// The kit's clients are on `testChainDefinition`; typed so, writes need no `chain` option.
type BoundClients = {
  public: PublicClient<Transport, typeof testChainDefinition>;
  wallet: WalletClient<Transport, typeof testChainDefinition, Account>;
};
type Bound<TAbi extends Abi> = GetContractReturnType<TAbi, BoundClients>;

/** A contract bound with {@link bindContract}: its address and ABI, typed reads, simulations and writes. */
export interface BoundContract<TAbi extends Abi> {
  address: Address;
  abi: TAbi;
  /** The contract's `view` and `pure` functions: `read.fn([args])`. */
  read: Bound<TAbi> extends { read: infer R } ? R : never;
  /** A write's result without sending it (`eth_call`): `simulate.fn([args], { account })`. */
  simulate: Bound<TAbi> extends { simulate: infer S } ? S : never;
  /** The contract's writes, signed by `account`: `as(account).fn([args])` resolves to the transaction hash. */
  as: (account: Account) => Bound<TAbi> extends { write: infer W } ? W : never;
}

/** Parameters of {@link deployTestContract}. */
export interface DeployTestContractParameters<TAbi extends Abi> {
  abi: TAbi;
  /** Creation bytecode (e.g. `providerRegistryBytecode` from `@meridian/sdk/chain`). */
  bytecode: Hex;
  args: ContractConstructorArgs<TAbi>;
  /** The deployer; default development account #0. */
  account?: Account;
}

/**
 * Deploys a contract from its creation bytecode and returns it bound to its ABI
 * ({@link bindContract}), at its checksummed address. A constructor that reverts rejects with a
 * `ContractFunctionRevertedError` naming the custom error and its arguments (assert it with
 * {@link expectContractError}).
 *
 * @example
 * ```ts
 * const registry = await deployTestContract(kit, {
 *   abi: providerRegistryAbi, bytecode: providerRegistryBytecode, args: [admin, regulator],
 * });
 * ```
 */
export async function deployTestContract<const TAbi extends Abi>(
  kit: TestChain,
  parameters: DeployTestContractParameters<TAbi>,
): Promise<BoundContract<TAbi>> {
  const { abi, bytecode, args, account = testAccount(0) } = parameters;
  const wallet = kit.wallet(account);
  // viem's overloads cannot narrow a generic ABI's constructor; the arguments are typed above.
  const deploy = wallet.deployContract as (p: { abi: Abi; bytecode: Hex; args: readonly unknown[] }) => Promise<Hash>;
  let receipt: TransactionReceipt;
  try {
    receipt = await mined(kit, deploy({ abi, bytecode, args: args as readonly unknown[] }));
  } catch (error) {
    // A reverting constructor is not decoded by viem (it knows no function): decode it here.
    const data = revertData(error);
    if (data === undefined) throw error;
    throw new ContractFunctionRevertedError({ abi, data, functionName: "constructor" });
  }
  assert.ok(receipt.contractAddress, `deployment ${receipt.transactionHash} created no contract`);
  return bindContract(kit, abi, getAddress(receipt.contractAddress));
}

/** The revert data (`0x` + selector + arguments) somewhere in `error`'s chain of causes. */
function revertData(error: unknown): Hex | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const data = (e as { data?: unknown }).data;
    if (typeof data === "string" && isHex(data) && data.length >= 10) return data;
  }
  return undefined;
}

/**
 * Deploys a Hardhat Ignition module on the test chain with `@nomicfoundation/ignition-core`
 * (in memory, as `hardhat-ignition` does on a simulated network; no ethers) and returns the
 * checksummed address of each contract the module returns, by the module's result names.
 * Transactions are sent from development account #0 unless the module says otherwise.
 *
 * @throws {Error} when the deployment does not succeed (with Ignition's own explanation).
 * @example
 * ```ts
 * const { providerRegistry } = await deployIgnitionModule(kit, MeridianModule, {
 *   parameters: { Meridian: { admin, regulator } },
 * });
 * ```
 */
export async function deployIgnitionModule<
  ModuleIdT extends string,
  ContractNameT extends string,
  ResultsT extends IgnitionModuleResult<ContractNameT>,
>(
  kit: TestChain,
  ignitionModule: IgnitionModule<ModuleIdT, ContractNameT, ResultsT>,
  options: { parameters?: DeploymentParameters } = {},
): Promise<{ [K in keyof ResultsT]: Address }> {
  // Loaded on first use, so tests that never deploy a module do not pay for Ignition.
  const [{ deploy, DeploymentResultType }, helpers, hardhat] = await Promise.all([
    import("@nomicfoundation/ignition-core"),
    import("@nomicfoundation/hardhat-ignition/helpers"),
    import("hardhat"),
  ]);
  const provider = kit.provider as unknown as Parameters<typeof deploy>[0]["provider"];
  const accounts = await kit.provider.request({ method: "eth_accounts" });
  const result = await deploy({
    // The `ignition` section of hardhat.config.ts (typed by the plugin's type extensions).
    config: { ...(hardhat.config as { ignition?: Partial<DeployConfig> }).ignition },
    provider,
    artifactResolver: new helpers.HardhatArtifactResolver(hardhat.artifacts),
    ignitionModule,
    deploymentParameters: options.parameters ?? {},
    accounts: [...accounts],
  });
  if (result.type !== DeploymentResultType.SUCCESSFUL_DEPLOYMENT) {
    throw new Error(helpers.errorDeploymentResultToExceptionMessage(result));
  }
  // The deployment lists contracts by future id; the module's results name them.
  const addresses: Record<string, Address> = {};
  for (const [name, future] of Object.entries(ignitionModule.results)) {
    const deployed = result.contracts[future.id];
    if (deployed === undefined) throw new Error(`Ignition deployed no contract for ${name} (${future.id})`);
    addresses[name] = getAddress(deployed.address);
  }
  return addresses as { [K in keyof ResultsT]: Address };
}

// -------------------------------------------------------------- transactions

/**
 * Awaits a write's transaction hash and its receipt, and asserts the transaction succeeded.
 *
 * @throws {AssertionError} when the transaction was mined but reverted.
 * @example
 * ```ts
 * const receipt = await mined(kit, providers.as(regulator).admit([hospital, 1, "St. Elsewhere", ""]));
 * ```
 */
export async function mined(kit: TestChain, hash: Promise<Hash> | Hash): Promise<TransactionReceipt> {
  const receipt = await kit.publicClient.waitForTransactionReceipt({ hash: await hash });
  assert.equal(receipt.status, "success", `transaction ${receipt.transactionHash} reverted`);
  return receipt;
}

/**
 * The decoded `eventName` logs that `contract` (and no other address) emitted in `receipt`, in log
 * order.
 *
 * @example
 * ```ts
 * const [anchored] = eventsFrom(receipt, records, "RecordAnchored");
 * ```
 */
export function eventsFrom<const TAbi extends Abi, TName extends ContractEventName<TAbi>>(
  receipt: Pick<TransactionReceipt, "logs">,
  contract: { address: Address; abi: TAbi },
  eventName: TName,
): ParseEventLogsReturnType<TAbi, TName, true> {
  const logs = receipt.logs.filter((log) => isAddressEqual(log.address, contract.address));
  return parseEventLogs({ abi: contract.abi, logs, eventName, strict: true });
}

/**
 * Asserts that `contract` emitted `eventName` in `receipt` and, when given, that one of those
 * events has exactly the arguments `args` (by name; addresses checksummed, `uint8`…`uint48` as
 * numbers, wider integers as `bigint`). The event-walk links (`previousEventBlock`,
 * `previousGuardianEventBlock`, docs/event-reads.md) are compared only when `args` names them.
 *
 * @throws {AssertionError} naming the arguments of every `eventName` event that was emitted.
 * @example
 * ```ts
 * expectEvent(receipt, providers, "ProviderSuspended", { provider: hospital, suspendedBy: regulator });
 * ```
 */
export function expectEvent<const TAbi extends Abi, TName extends ContractEventName<TAbi>>(
  receipt: Pick<TransactionReceipt, "logs">,
  contract: { address: Address; abi: TAbi },
  eventName: TName,
  args?: WithOptionalLinks<ReturnType<typeof eventsFrom<TAbi, TName>>[number]["args"]>,
): void {
  const events = eventsFrom(receipt, contract, eventName);
  assert.ok(events.length > 0, `expected ${eventName} from ${contract.address}, none was emitted`);
  if (args === undefined) return;
  const given = new Set(Object.keys(args));
  const emitted = events.map((event) => {
    const all = event.args as Record<string, unknown>;
    return Object.fromEntries(Object.entries(all).filter(([k]) => !LINKS.includes(k) || given.has(k)));
  });
  if (emitted.length === 1) return assert.deepStrictEqual(emitted[0], args);
  let matched = false;
  for (const candidate of emitted) {
    try {
      assert.deepStrictEqual(candidate, args);
      matched = true;
    } catch {
      // try the next one
    }
  }
  assert.ok(matched, `no ${eventName} with these arguments; emitted: ${JSON.stringify(emitted, bigints)}`);
}

const bigints = (_key: string, value: unknown): unknown => (typeof value === "bigint" ? `${value}n` : value);

/** The event-walk links, which {@link expectEvent} compares only when asked to. */
const LINKS: readonly string[] = ["previousEventBlock", "previousGuardianEventBlock"];

/** Event arguments whose event-walk links may be left out. */
type WithOptionalLinks<T> = T extends object
  ? Omit<T, "previousEventBlock" | "previousGuardianEventBlock"> &
      Partial<Pick<T, Extract<keyof T, "previousEventBlock" | "previousGuardianEventBlock">>>
  : T;

// ------------------------------------------------------------------ fixtures

/** Loads a named fixture: see {@link fixtureLoader}. */
export type LoadFixture = <T>(fixture: () => Promise<T>) => Promise<T>;

/**
 * A fixture loader over EVM snapshots, like Hardhat's `loadFixture`: the first load of a fixture
 * runs it on the chain as it was when the loader was made and snapshots the result; loading it
 * again (the usual case: the tests of one `describe`) reverts to that snapshot instead of running
 * it. Loading another fixture first reverts to the starting state. Fixtures are recognised by
 * identity, so pass a named function, not a new arrow function each time.
 *
 * @example
 * ```ts
 * const loadFixture = fixtureLoader(kit);
 * async function withHospital() { ... return { hospital }; }
 * it("...", async () => { const { hospital } = await loadFixture(withHospital); });
 * ```
 */
export function fixtureLoader(kit: TestChain): LoadFixture {
  let base: Hex | undefined;
  let current: { fixture: () => Promise<unknown>; snapshot: Hex; data: unknown } | undefined;
  return async <T>(fixture: () => Promise<T>): Promise<T> => {
    if (current?.fixture === fixture) {
      await kit.revert(current.snapshot);
      current.snapshot = await kit.snapshot();
      return current.data as T;
    }
    if (base === undefined) {
      base = await kit.snapshot();
    } else {
      await kit.revert(base);
      base = await kit.snapshot();
    }
    current = undefined;
    const data = await fixture();
    current = { fixture, snapshot: await kit.snapshot(), data };
    return data;
  };
}

// ------------------------------------------------------------------ the node

/** What {@link testNode} returns. */
export interface TestNode {
  /** Mines `blocks` empty blocks (default 1). */
  mine: (blocks?: number | bigint) => Promise<void>;
  /** The latest block's number. */
  blockNumber: () => Promise<bigint>;
  /** The latest block's timestamp (unix seconds). */
  latestTime: () => Promise<number>;
  /** Sets the timestamp (unix seconds) of the next block mined, which must be later than the latest. */
  setNextBlockTimestamp: (timestamp: number | bigint) => Promise<void>;
  /** Mines one block at `timestamp` (unix seconds). */
  increaseTimeTo: (timestamp: number | bigint) => Promise<void>;
  /**
   * Lets the tests send transactions from `address` without its key (a contract, such as a
   * timelock), funds it with 1 ether, and returns it as a JSON-RPC account for
   * {@link TestChain.wallet} and {@link bindContract}'s `as`.
   */
  impersonate: (address: Address) => Promise<JsonRpcAccount>;
}

/**
 * Node controls of the test chain (Hardhat's JSON-RPC methods through viem's test client):
 * blocks, the clock and impersonation.
 *
 * @example
 * ```ts
 * const node = testNode(kit);
 * await node.setNextBlockTimestamp((await node.latestTime()) + 100);
 * ```
 */
export function testNode(kit: TestChain): TestNode {
  const test = kit.testClient;
  return {
    mine: (blocks = 1) => test.mine({ blocks: Number(blocks) }),
    blockNumber: () => kit.publicClient.getBlockNumber({ cacheTime: 0 }),
    latestTime: kit.now,
    setNextBlockTimestamp: (timestamp) => test.setNextBlockTimestamp({ timestamp: BigInt(timestamp) }),
    increaseTimeTo: async (timestamp) => {
      await test.setNextBlockTimestamp({ timestamp: BigInt(timestamp) });
      await test.mine({ blocks: 1 });
    },
    impersonate: async (address) => {
      await test.impersonateAccount({ address });
      await test.setBalance({ address, value: 10n ** 18n });
      return { address, type: "json-rpc" };
    },
  };
}
