"use client";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { createConfig, http, WagmiProvider } from "wagmi";
import { injected } from "wagmi/connectors";
import { chainOf } from "@/lib/chains.ts";
import type { PublicConfig } from "@/lib/server-config.ts";
import { MeridianProvider } from "@/lib/meridian.tsx";

/**
 * Wallet and data providers. Wallets are discovered with EIP-6963 (wagmi's
 * `multiInjectedProviderDiscovery`); a plain `window.ethereum` is the fallback connector.
 */
export function Providers({ config, children }: { config: PublicConfig; children: ReactNode }) {
  const [state] = useState(() => {
    const chain = chainOf(config);
    return {
      wagmi: createConfig({
        chains: [chain],
        connectors: [injected({ shimDisconnect: true })],
        multiInjectedProviderDiscovery: true,
        transports: { [chain.id]: http(config.rpcUrl, { batch: true }) },
        ssr: true,
        pollingInterval: 1_000,
      }),
      query: new QueryClient({
        defaultOptions: { queries: { staleTime: 2_000, retry: 1, refetchOnWindowFocus: false } },
      }),
    };
  });
  return (
    <WagmiProvider config={state.wagmi}>
      <QueryClientProvider client={state.query}>
        <MeridianProvider config={config}>{children}</MeridianProvider>
      </QueryClientProvider>
    </WagmiProvider>
  );
}
