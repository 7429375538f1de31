"use client";

import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { isAddressEqual, type Address } from "viem";
import { useConnection, usePublicClient, useWalletClient } from "wagmi";
import { createMeridianClient, type MeridianClient } from "@meridian/sdk";
import { createHttpStore } from "@meridian/sdk/storage/browser";
import { createUploadAuthorizer } from "@meridian/sdk/storage/browser";
import type { MeridianContext as ChainContext, MeridianDeployment, TransactionEvent } from "@meridian/sdk/chain";
import { MeridianError } from "@meridian/sdk";
import { browserConsentCodeLedger } from "./consent-code-ledger.ts";
import type { PublicConfig } from "./server-config.ts";

/** One contract write as this browser saw it (for the transaction panel and the metrics page). */
export interface TransactionRecord {
  id: number;
  action: string;
  status: TransactionEvent["status"];
  startedAt: number;
  sentAt?: number;
  settledAt?: number;
  hash?: string;
  gasUsed?: bigint;
  error?: string;
}

interface MeridianState {
  config: PublicConfig;
  deployment: MeridianDeployment;
  /** Connected account, when connected. */
  address: Address | undefined;
  /** Whether the wallet is on the deployment's chain. */
  onRightChain: boolean;
  /** Read-only chain context (works without a wallet). */
  readContext: ChainContext | undefined;
  /** The signing client for the connected account on the right chain. */
  client: MeridianClient | undefined;
  /** Whether this page holds the account's derived encryption keys (in memory only). */
  keysReady: boolean;
  /** Asks the wallet for the key-derivation signature (once per page load and account). */
  unlockKeys: () => Promise<void>;
  /** This browser's contract writes, newest last. */
  transactions: TransactionRecord[];
}

const Context = createContext<MeridianState | null>(null);

/** Builds the SDK client from the connected wallet; drops it (and its keys) on account or chain change. */
export function MeridianProvider({ config, children }: { config: PublicConfig; children: ReactNode }) {
  const { address, chainId } = useConnection();
  const publicClient = usePublicClient({ chainId: config.chainId });
  const { data: walletClient } = useWalletClient({ chainId: config.chainId });
  const [transactions, setTransactions] = useState<TransactionRecord[]>([]);
  const [keysClient, setKeysClient] = useState<MeridianClient | undefined>(undefined);

  const deployment = useMemo<MeridianDeployment>(
    () => ({
      chainId: config.chainId,
      providerRegistry: config.providerRegistry,
      recordRegistry: config.recordRegistry,
      monitoringRegistry: config.monitoringRegistry,
      peerValidation: config.peerValidation,
      deployedAtBlock: BigInt(config.deployedAtBlock),
    }),
    [config],
  );

  const onTransaction = useCallback((event: TransactionEvent) => {
    setTransactions((list) => {
      const index = list.findIndex((t) => t.id === event.id);
      const previous: TransactionRecord =
        index >= 0 ? list[index]! : { id: event.id, action: event.action, status: event.status, startedAt: event.at };
      const next: TransactionRecord = {
        ...previous,
        status: event.status,
        ...(event.status === "pending" ? { sentAt: event.at } : {}),
        ...(event.status === "confirmed" || event.status === "failed" ? { settledAt: event.at } : {}),
        ...(event.hash ? { hash: event.hash } : {}),
        ...(event.gasUsed !== undefined ? { gasUsed: event.gasUsed } : {}),
        ...(event.error ? { error: event.error } : {}),
      };
      return index >= 0 ? list.map((t, i) => (i === index ? next : t)) : [...list, next];
    });
  }, []);

  const onRightChain = chainId === config.chainId;
  const readContext = useMemo<ChainContext | undefined>(
    () => (publicClient ? { publicClient, deployment } : undefined),
    [publicClient, deployment],
  );
  const client = useMemo(() => {
    if (!publicClient || !walletClient || !address || !onRightChain) return undefined;
    if (!isAddressEqual(walletClient.account.address, address)) return undefined;
    const wallet = walletClient as unknown as NonNullable<ChainContext["walletClient"]>;
    // Uploads are signed: the first one asks the wallet for an upload session (one EIP-712
    // signature, no gas, 8 hours); a key held in this page signs each upload after it.
    const domain = { chainId: deployment.chainId, recordRegistry: deployment.recordRegistry };
    const authorizer = createUploadAuthorizer({ walletClient: wallet, domain });
    const store = createHttpStore({ baseUrl: "/api/blobs", authorizer });
    return createMeridianClient({
      publicClient,
      walletClient: wallet,
      deployment,
      store,
      consentCodes: browserConsentCodeLedger({
        chainId: deployment.chainId,
        registry: deployment.recordRegistry,
        patient: address,
      }),
      onTransaction,
    });
  }, [publicClient, walletClient, address, onRightChain, deployment, onTransaction]);

  // A new account or chain means a new client object: keys are ready only for the client that derived them.
  const unlockKeys = useCallback(async () => {
    if (!client) throw new MeridianError("Connect your wallet on the right network first.");
    await client.keys();
    setKeysClient(client);
  }, [client]);

  const value: MeridianState = {
    config,
    deployment,
    address,
    onRightChain,
    readContext,
    client,
    keysReady: client !== undefined && keysClient === client,
    unlockKeys,
    transactions,
  };
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

/** The app's Meridian state; throws outside {@link MeridianProvider}. */
export function useMeridian(): MeridianState {
  const value = useContext(Context);
  if (!value) throw new Error("useMeridian must be used inside <MeridianProvider>.");
  return value;
}

/** Plain words for any error: a Meridian error's message and hint, never a raw "execution reverted". */
export function describeError(error: unknown): { message: string; hint?: string } {
  if (error instanceof MeridianError)
    return { message: error.shortMessage, ...(error.hint ? { hint: error.hint } : {}) };
  if (error instanceof Error) return { message: error.message.split("\n")[0] ?? error.message };
  return { message: String(error) };
}
