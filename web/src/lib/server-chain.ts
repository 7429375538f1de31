import "server-only";
import { createPublicClient, http, type Chain, type PublicClient, type Transport } from "viem";
import type { MeridianContext } from "@meridian/sdk/chain";
import { loadPublicConfig } from "./server-config.ts";

const key = Symbol.for("meridian.web.serverChain");
type Holder = { [key]?: { url: string; client: PublicClient<Transport, Chain | undefined> } };

/**
 * A read-only chain context for the server's checks (upload authorisation, the consent-code
 * relay): the deployment `loadPublicConfig` reads and a public client over its RPC URL
 * (`MERIDIAN_RPC_URL`), kept for the life of the process. Null when nothing is deployed yet.
 */
export async function serverChain(): Promise<MeridianContext | null> {
  const config = await loadPublicConfig();
  if (!config) return null;
  const holder = globalThis as Holder;
  if (holder[key]?.url !== config.rpcUrl)
    holder[key] = { url: config.rpcUrl, client: createPublicClient({ transport: http(config.rpcUrl) }) };
  return {
    publicClient: holder[key].client,
    deployment: {
      chainId: config.chainId,
      providerRegistry: config.providerRegistry,
      recordRegistry: config.recordRegistry,
      monitoringRegistry: config.monitoringRegistry,
      peerValidation: config.peerValidation,
      deployedAtBlock: BigInt(config.deployedAtBlock),
    },
  };
}

/** The JSON 503 a server route answers when the app has no deployment to check against. */
export const noDeployment = (): Response =>
  Response.json(
    {
      error: "This app has no Meridian deployment configured, so it cannot check who is asking.",
      code: "no-deployment",
      hint: "Deploy first (./run stack, or meridian deploy) and set MERIDIAN_DEPLOYMENT.",
    },
    { status: 503, headers: { "cache-control": "no-store" } },
  );
