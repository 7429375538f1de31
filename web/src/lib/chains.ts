import { defineChain, type Chain } from "viem";
import { polygonAmoy, sepolia } from "viem/chains";
import type { PublicConfig } from "./server-config.ts";

/** The viem chain of the deployment: Sepolia and Amoy as published, anything else from the config. */
export function chainOf(config: PublicConfig): Chain {
  if (config.chainId === sepolia.id) return { ...sepolia, rpcUrls: { default: { http: [config.rpcUrl] } } };
  if (config.chainId === polygonAmoy.id) return { ...polygonAmoy, rpcUrls: { default: { http: [config.rpcUrl] } } };
  return defineChain({
    id: config.chainId,
    name: config.chainName,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.rpcUrl] } },
    testnet: true,
  });
}
