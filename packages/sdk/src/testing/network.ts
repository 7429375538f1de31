/**
 * Test kit: a whole Meridian network in one process, for tests that go through the SDK: the
 * embedded chain of {@link startTestChain}, one real Helia node on disk in a temporary directory
 * (the IPFS network every party of the test reads and writes), and role clients: patients
 * registered with their wallet-derived key, providers admitted by the regulator with their
 * published key, or any account's {@link MeridianClient}.
 *
 * @module
 */
import path from "node:path";
import type { Address } from "viem";
import { createMeridianClient, type MeridianClient, type MeridianClientParameters } from "../client.ts";
import { admitProvider, setProviderStatus } from "../chain/actions.ts";
import { ProviderKind, type ProviderKindCode, type TransactionResult } from "../chain/types.ts";
import { createHeliaStore } from "../storage/helia.ts";
import type { BlobStore } from "../storage/types.ts";
import {
  startTestChain,
  TEST_REGULATOR,
  toTestAccount,
  type StartTestChainParameters,
  type TestAccountLike,
  type TestChain,
} from "./chain.ts";
import { createTempDir, type TempDir } from "./temp-dir.ts";

/** Options of a role client: those of {@link createMeridianClient} but its clients and deployment. */
export type TestClientOptions = Partial<Omit<MeridianClientParameters, "publicClient" | "walletClient" | "deployment">>;

/** Parameters of {@link TestNetwork.admitProvider}. */
export interface AdmitTestProviderParameters {
  /** Default `ProviderKind.Hospital`. */
  kind?: ProviderKindCode;
  /** The registry's display name. Default `Provider <first 8 hex digits of the address>`. */
  name?: string;
  /** Default `""`. */
  department?: string;
  /** Whether the provider publishes its wallet-derived encryption key (key version 1). Default `true`. */
  publishKey?: boolean;
  /** Options of the returned client. */
  client?: TestClientOptions;
}

/** Parameters of {@link startTestNetwork}. */
export interface StartTestNetworkParameters extends StartTestChainParameters {
  /** Names the temporary directory, `meridian-<label>-XXXXXX`. Default `"test"`. */
  label?: string;
}

/** What {@link startTestNetwork} returns: the chain of {@link TestChain} and what follows. */
export interface TestNetwork extends TestChain {
  /** The network's temporary directory (removed by `close`); the Helia node lives in `<dir>/ipfs`. */
  dir: string;
  /** The Helia node every role client shares. */
  store: BlobStore;
  /** The regulator's Meridian context (development account {@link TEST_REGULATOR}). */
  regulator: ReturnType<TestChain["as"]>;
  /**
   * A {@link MeridianClient} signing as `account` (or development account `account`), on the
   * shared store unless `options.store` says otherwise. Nothing is sent on chain.
   */
  client: (account: TestAccountLike, options?: TestClientOptions) => MeridianClient;
  /** Registers `account` as a patient (with its wallet-derived encryption key) and returns its client. */
  registerPatient: (account: TestAccountLike, options?: TestClientOptions) => Promise<MeridianClient>;
  /**
   * Admits `account` as a provider (the regulator signs), publishes its encryption key unless
   * `publishKey` is `false`, and returns its client.
   */
  admitProvider: (account: TestAccountLike, parameters?: AdmitTestProviderParameters) => Promise<MeridianClient>;
  /** The regulator suspends, reinstates or removes provider `provider`. */
  setProviderStatus: (
    provider: TestAccountLike | Address,
    action: "suspend" | "reinstate" | "remove",
  ) => Promise<TransactionResult>;
  /** Stops the Helia node and the chain and removes {@link TestNetwork.dir}. */
  close: () => Promise<void>;
}

/**
 * Starts a Meridian network for a test: an embedded chain with Meridian deployed (account #0
 * admin, #1 regulator, unless `roles` says otherwise), and a Helia node on disk in a new
 * temporary directory. Call `close` when the test ends (an `after` hook).
 *
 * @example
 * ```ts
 * const net = await startTestNetwork({ label: "consent" });
 * const hospital = await net.admitProvider(2, { name: "St Mary's", department: "Cardiology" });
 * const patient = await net.registerPatient(5);
 * await patient.grant({ grantee: hospital.address, scope: { kind: "all" } });
 * await net.close();
 * ```
 */
export async function startTestNetwork(parameters: StartTestNetworkParameters = {}): Promise<TestNetwork> {
  const { label = "test", ...chainParameters } = parameters;
  const chain = await startTestChain(chainParameters);
  let dir: TempDir;
  let store: BlobStore;
  try {
    dir = await createTempDir(label);
  } catch (error) {
    await chain.close();
    throw error;
  }
  try {
    store = await createHeliaStore({ directory: path.join(dir.path, "ipfs") });
  } catch (error) {
    await dir.remove();
    await chain.close();
    throw error;
  }
  const regulator = chain.as(TEST_REGULATOR);
  const client: TestNetwork["client"] = (account, options = {}) =>
    createMeridianClient({ ...chain.as(account), store, ...options });
  return {
    ...chain,
    dir: dir.path,
    store,
    regulator,
    client,
    registerPatient: async (account, options) => {
      const patient = client(account, options);
      await patient.registerAsPatient();
      return patient;
    },
    admitProvider: async (account, p = {}) => {
      const provider = client(account, p.client);
      await admitProvider(regulator, {
        provider: provider.address,
        kind: p.kind ?? ProviderKind.Hospital,
        name: p.name ?? `Provider ${provider.address.slice(0, 10)}`,
        department: p.department ?? "",
      });
      if (p.publishKey ?? true) await provider.publishProviderKey();
      return provider;
    },
    setProviderStatus: (provider, action) =>
      setProviderStatus(regulator, {
        provider: typeof provider === "string" ? provider : toTestAccount(provider).address,
        action,
      }),
    close: async () => {
      try {
        await store.close();
        await chain.close();
      } finally {
        await dir.remove();
      }
    },
  };
}
