/**
 * What every command module gets from `main.ts`: the global options, a connection to the chain
 * (and IPFS) they name, and the wrapper that turns a thrown error into a message and exit status 1.
 * Each module under `commands/` exports `register…Commands(program, kit)`; `main.ts` calls them in
 * the order `meridian --help` lists the commands.
 *
 * @module
 */
import path from "node:path";
import { createMeridianClient, type MeridianClient } from "@meridian/sdk";
import { setLogRange, type MeridianContext } from "@meridian/sdk/chain";
import { fileConsentCodeLedger } from "../consent-ledger.ts";
import {
  checkDeployment,
  ConfigurationError,
  connectChain,
  loadDeployment,
  NoAccountError,
  openStore,
  parseLogRange,
  resolveAccount,
  walletFor,
  type GlobalOptions,
} from "../env.ts";
import { openNetworkStore } from "../nodes.ts";
import { log, out } from "../output.ts";

/** A chain context for one command; `close()` releases what it opened (nothing today). */
export type CommandContext = MeridianContext & { close(): Promise<void> };

/** A Meridian client for one command; `close()` closes its blob store (Helia or Kubo). */
export type CommandClient = MeridianClient & { close(): Promise<void> };

/** What a command module needs from the program it registers on. */
export interface CommandKit {
  /**
   * The global options, with the paths the user typed (on the command line or in
   * MERIDIAN_DATA_DIR) resolved against the folder they typed them in.
   */
  globals: () => GlobalOptions;
  /**
   * The state folder of a job that runs a whole network (`demo`, `ecg run`): `<data-dir>/<job>`
   * when --data-dir was left at its default, else --data-dir itself.
   */
  jobDataDir: (job: string) => string;
  /** The chain, deployment and account (if any) the global options name; see {@link openContext}. */
  context: () => Promise<CommandContext>;
  /** A client over {@link CommandKit.context}, the blob store and the consent-code ledger; see {@link openClient}. */
  client: () => Promise<CommandClient>;
  /**
   * Wraps a command's action: an error it throws is printed as what went wrong and what to do,
   * and the exit status becomes 1.
   */
  action: <A extends unknown[]>(fn: (...args: A) => Promise<void>) => (...args: A) => Promise<void>;
}

/** The deployment file the options name: --deployment, else `<data-dir>/deployment.json`. */
export function deploymentFile(g: GlobalOptions): string {
  return g.deployment ?? path.join(g.dataDir, "deployment.json");
}

/**
 * Connects to the chain at --rpc-url, loads the deployment and checks it against that chain, and
 * adds a wallet when an account is configured (read-only commands go on without one). With
 * --log-range N, event reads on that RPC start at N blocks per `eth_getLogs`.
 *
 * @throws {ConfigurationError} when the deployment is for another chain, the chain cannot be reached,
 *   or --log-range is not a positive whole number.
 * @throws `DeploymentMismatchError` when the deployment's contracts are not on this chain.
 */
export async function openContext(g: GlobalOptions): Promise<CommandContext> {
  const logRange = parseLogRange(g.logRange);
  const clients = await connectChain({ url: g.rpcUrl! });
  if (logRange !== undefined) setLogRange(clients.publicClient, logRange);
  const file = deploymentFile(g);
  const deployment = await loadDeployment(file);
  if (deployment.chainId !== clients.chain.id) {
    throw new ConfigurationError(
      `The deployment is for chain ${deployment.chainId}, but the RPC endpoint is chain ${clients.chain.id}.`,
      { hint: "Pass the matching --rpc-url or --deployment." },
    );
  }
  await checkDeployment(clients.publicClient, deployment, file);
  let walletClient;
  try {
    walletClient = walletFor(clients, resolveAccount(g, clients.chain.id));
  } catch (e) {
    if (!(e instanceof NoAccountError)) throw e;
  }
  return { publicClient: clients.publicClient, walletClient, deployment, close: async () => {} };
}

/**
 * A Meridian client over {@link openContext}, the blob store the options name (Kubo at
 * --ipfs-url, else Helia under `<data-dir>/ipfs`) with the Meridian nodes named (--node,
 * MERIDIAN_NODES) or published in the registry (`nodes.ts`), and the consent-code ledger in
 * `<data-dir>`. The caller closes it.
 */
export async function openClient(g: GlobalOptions): Promise<CommandClient> {
  const ctx = await openContext(g);
  const local = await openStore(g);
  const localWhere = (g.ipfsUrl ?? process.env.MERIDIAN_IPFS_URL) || path.join(g.dataDir, "ipfs");
  let store;
  try {
    store = openNetworkStore({ g, ctx, local, localWhere, log });
  } catch (error) {
    await local.close();
    throw error;
  }
  const consentCodes = fileConsentCodeLedger(g.dataDir);
  const c = createMeridianClient({ ...ctx, store, consentCodes }) as CommandClient;
  c.close = () => store.close();
  return c;
}

/**
 * Opens a client, prints what `fn` returns as JSON on stdout and closes the client, also when
 * `fn` throws: the body of most commands.
 */
export async function printWithClient(kit: CommandKit, fn: (c: CommandClient) => Promise<unknown>): Promise<void> {
  const c = await kit.client();
  try {
    out(await fn(c));
  } finally {
    await c.close();
  }
}
