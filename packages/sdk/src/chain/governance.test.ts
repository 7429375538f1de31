/**
 * Timelocked membership changes through the SDK on a real Hardhat/EDR chain: a `MeridianTimelock`
 * holds the regulator's role; the council schedules an admission, cannot run it before the
 * delay nor admit directly, and runs it after.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createPublicClient, createWalletClient, custom, defineChain, type Account, type Address, type EIP1193Provider } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { network } from "hardhat";
import { meridianTimelockAbi, meridianTimelockBytecode } from "../generated/contracts.ts";
import { admitProvider, deployMeridian, getProvider } from "./actions.ts";
import { ContractRevertedError } from "./errors.ts";
import { executeMembershipChange, getOperation, OperationNotReadyError, scheduleMembershipChange, type MembershipChange } from "./governance.ts";
import { ProviderKind, ProviderStatus, type MeridianContext } from "./types.ts";

const MNEMONIC = "test test test test test test test test test test test junk";
const account = (i: number) => mnemonicToAccount(MNEMONIC, { addressIndex: i });
const DELAY = 3600;

let connection: Awaited<ReturnType<typeof network.create>>;
let ctx: (a: Account) => MeridianContext;
let timelock: Address;
let increaseTime: (seconds: number) => Promise<void>;
const council = account(1), hospital = account(2);

before(async () => {
  connection = await network.create();
  const provider = connection.provider as unknown as EIP1193Provider;
  increaseTime = async (seconds) => {
    await provider.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
    await provider.request({ method: "evm_mine" as never });
  };
  const transport = custom(provider);
  const chain = defineChain({ id: 31337, name: "Hardhat", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: ["http://embedded"] } } });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 10 });
  const wallet = (a: Account) => createWalletClient({ account: a, chain, transport, pollingInterval: 10 });
  const hash = await wallet(account(0)).deployContract({ abi: meridianTimelockAbi, bytecode: meridianTimelockBytecode, args: [BigInt(DELAY), [council.address], [council.address]] });
  timelock = (await publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
  const deployment = await deployMeridian({ publicClient, walletClient: wallet(account(0)) }, { admin: timelock, regulator: timelock });
  ctx = (a) => ({ publicClient, walletClient: wallet(a), deployment });
});

after(async () => {
  await connection.close();
});

test("an admission goes through the timelock's delay; the council cannot admit directly or early", async () => {
  const change: MembershipChange = { action: "admit", provider: hospital.address, kind: ProviderKind.Hospital, name: "St Mary's", department: "Cardiology" };
  await assert.rejects(admitProvider(ctx(council), { provider: hospital.address, kind: ProviderKind.Hospital, name: "St Mary's", department: "" }), (e: unknown) => e instanceof ContractRevertedError && e.errorName === "AccessControlUnauthorizedAccount");
  await assert.rejects(scheduleMembershipChange(ctx(hospital), { timelock, change }), (e: unknown) => e instanceof ContractRevertedError && e.errorName === "AccessControlUnauthorizedAccount");
  await assert.rejects(scheduleMembershipChange(ctx(council), { timelock, change, delaySeconds: DELAY - 1 }), (e: unknown) => e instanceof ContractRevertedError && e.errorName === "TimelockInsufficientDelay");
  await assert.rejects(executeMembershipChange(ctx(council), { timelock, change }), (e: unknown) => e instanceof OperationNotReadyError && /never scheduled/.test(e.shortMessage));

  const scheduled = await scheduleMembershipChange(ctx(council), { timelock, change });
  assert.equal((await getOperation(ctx(council), timelock, scheduled.operationId)).state, "waiting");
  await assert.rejects(executeMembershipChange(ctx(council), { timelock, change }), (e: unknown) => e instanceof OperationNotReadyError && /still in the timelock's delay/.test(e.shortMessage));
  assert.equal((await getProvider(ctx(council), hospital.address)).status, ProviderStatus.None);

  await increaseTime(DELAY);
  await executeMembershipChange(ctx(council), { timelock, change });
  assert.equal((await getProvider(ctx(council), hospital.address)).status, ProviderStatus.Active);
  assert.equal((await getOperation(ctx(council), timelock, scheduled.operationId)).state, "done");
  await assert.rejects(executeMembershipChange(ctx(council), { timelock, change }), (e: unknown) => e instanceof OperationNotReadyError && /already executed/.test(e.shortMessage));
});
