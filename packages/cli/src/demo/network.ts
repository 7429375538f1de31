/**
 * The demo's network: an embedded Hardhat/EDR chain and an embedded Helia IPFS node (blocks as
 * files under `<data-dir>/ipfs`), the contracts deployed, three providers admitted with published
 * keys, and one registered patient per patient bundle.
 *
 * @module
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { parseEther, type Account, type EIP1193Provider } from "viem";
import { createMeridianClient, type MeridianClient } from "@meridian/sdk";
import { admitProvider, deployMeridian, ProviderKind } from "@meridian/sdk/chain";
import type { MeridianContext, MeridianDeployment } from "@meridian/sdk/chain";
import { openBlobStore, type BlobStore } from "@meridian/sdk/storage";
import { connectChain, devAccount, walletFor, type ChainClients } from "../env.ts";
import { log } from "../output.ts";
import { startDemoNodes, type DemoNodes } from "./nodes.ts";
import type { DemoDeployment, DemoLog } from "./report.ts";

/** The three providers the demo admits, in order: name, department, kind. */
export const DEMO_PROVIDERS = [
  ["St Mary's Hospital", "Cardiology", ProviderKind.Hospital],
  ["Northside Clinical Lab", "Clinical chemistry", ProviderKind.Lab],
  ["Harbour Family Clinic", "General practice", ProviderKind.Clinic],
] as const;

/** The running network and the demo's accounts on it. */
export interface DemoNetwork {
  clients: ChainClients;
  deployment: MeridianDeployment;
  /** The report's part: the deployment, as JSON. */
  deploymentReport: DemoDeployment;
  /** The embedded IPFS node. */
  store: BlobStore;
  /** The Meridian nodes records are pinned on (`--nodes`), when any. */
  nodes?: DemoNodes | undefined;
  /** A chain context acting as `account`. */
  ctx(account: Account): MeridianContext;
  /** A Meridian client acting as `account`. */
  client(account: Account): MeridianClient;
  /** The regulator's account (holder of REGULATOR_ROLE). */
  regulator: Account;
  /** The first, second and third of {@link DEMO_PROVIDERS}, each with a published key. */
  hospital: MeridianClient;
  lab: MeridianClient;
  clinic: MeridianClient;
  /** One registered patient per patient bundle, in the order of the bundles. */
  patients: MeridianClient[];
  /** Development account `i`, funded by the deployer when it is past Hardhat's 20 funded accounts. */
  fundedAccount(i: number): Promise<Account>;
  /** Moves the chain's clock `seconds` on and mines a block. */
  increaseTime(seconds: number): Promise<void>;
  /** Closes the IPFS node and the chain. */
  close(): Promise<void>;
}

/** Options of {@link startNetwork}: Meridian nodes to pin every record on (none by default). */
export interface DemoNetworkOptions {
  /** How many nodes to start in this process (`--nodes`, default 0: records stay in `<data-dir>/ipfs`). */
  nodes?: number | undefined;
  /** Pins each record needs before it is anchored (`--replicas`, default 2, at most `nodes`). */
  replicas?: number | undefined;
}

/**
 * Starts the chain and IPFS node, deploys (writing `<data-dir>/deployment.json`), admits
 * {@link DEMO_PROVIDERS}, starts `options.nodes` Meridian nodes (published by the providers),
 * publishes the providers' keys, and registers `patientCount` patients (development accounts from
 * index 5 on). The caller closes it, also when this throws after it returned.
 */
export async function startNetwork(
  run: DemoLog,
  dataDir: string,
  patientCount: number,
  options: DemoNetworkOptions = {},
): Promise<DemoNetwork> {
  const hardhat = await import("hardhat");
  const connection = await hardhat.network.create();
  const clients = await connectChain({ provider: connection.provider as unknown as EIP1193Provider });
  const store = await openBlobStore({ kind: "helia", directory: path.join(dataDir, "ipfs") });
  let nodes: DemoNodes | undefined;
  const close = async () => {
    await nodes?.close();
    await store.close();
    await connection.close?.();
  };
  try {
    const chainId = clients.chain.id;
    const account = (i: number) => devAccount(i, chainId);
    const deployer = account(0),
      regulator = account(1);
    const providerAccounts = [account(2), account(3), account(4)];
    const deployerWallet = walletFor(clients, deployer);
    const deployment = await deployMeridian(
      { publicClient: clients.publicClient, walletClient: deployerWallet },
      { admin: deployer.address, regulator: regulator.address },
    );
    const deploymentReport = { ...deployment, deployedAtBlock: deployment.deployedAtBlock.toString() };
    await writeFile(path.join(dataDir, "deployment.json"), JSON.stringify(deploymentReport, null, 2));
    log(
      `Deployed ProviderRegistry ${deployment.providerRegistry} and RecordRegistry ${deployment.recordRegistry} ` +
        `on chain ${chainId}`,
    );
    const ctx = (a: Account): MeridianContext => ({
      publicClient: clients.publicClient,
      walletClient: walletFor(clients, a),
      deployment,
    });
    const client = (a: Account): MeridianClient =>
      createMeridianClient({ ...ctx(a), store: nodes ? nodes.storeFor(ctx(a), store) : store });

    for (const [i, [name, department, kind]] of DEMO_PROVIDERS.entries()) {
      const provider = providerAccounts[i]!.address;
      run.gas("admit provider", (await admitProvider(ctx(regulator), { provider, kind, name, department })).gasUsed);
    }
    if (options.nodes) {
      nodes = await startDemoNodes({
        count: options.nodes,
        replicas: options.replicas ?? 2,
        dataDir,
        publicClient: clients.publicClient,
        deployment,
        publishers: providerAccounts.map(ctx),
        run,
      });
      log(
        `Started ${options.nodes} Meridian node(s): each record is pinned on ${options.replicas ?? 2} before anchoring`,
      );
    }
    const [hospital, lab, clinic] = providerAccounts.map(client) as [MeridianClient, MeridianClient, MeridianClient];
    for (const p of [hospital, lab, clinic]) run.gas("publish provider key", (await p.publishProviderKey()).gasUsed);

    // patients: dev accounts from index 5 on; those past Hardhat's 20 funded accounts are funded by the deployer
    const fundedAccount = async (i: number): Promise<Account> => {
      const a = account(i);
      if (i >= 20) {
        const hash = await deployerWallet.sendTransaction({ to: a.address, value: parseEther("10") });
        await clients.publicClient.waitForTransactionReceipt({ hash });
      }
      return a;
    };
    const patients: MeridianClient[] = [];
    for (let i = 0; i < patientCount; i++) {
      const c = client(await fundedAccount(5 + i));
      run.gas("register patient", (await c.registerAsPatient()).gasUsed);
      patients.push(c);
    }
    log(`Admitted 3 providers and registered ${patientCount} patients`);
    const increaseTime = async (seconds: number) => {
      await connection.provider.request({ method: "evm_increaseTime", params: [seconds] });
      await connection.provider.request({ method: "evm_mine", params: [] });
    };
    return {
      clients,
      deployment,
      deploymentReport,
      store,
      nodes,
      ctx,
      client,
      regulator,
      hospital,
      lab,
      clinic,
      patients,
      fundedAccount,
      increaseTime,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
