/**
 * Shared pieces of this package's tests: a test network (embedded chain, a registered patient,
 * an admitted provider), real envelopes, nodes on temporary folders listening on 127.0.0.1 with
 * ephemeral ports, and the clients a patient or provider would use. Test code only.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import type { Account } from "viem";
import { sealRecord } from "@meridian/sdk/crypto";
import {
  createNodeClient,
  createPinningAccessToken,
  createUploadAuthorizer,
  type NodeClient,
  type UploadDomain,
} from "@meridian/sdk/storage";
import { createTempDir, startTestNetwork, testAccount, type TempDir, type TestNetwork } from "@meridian/sdk/testing";
import { startMeridianNode, type MeridianNode, type StartMeridianNodeParameters } from "./index.ts";

/** Development account indices used here. */
export const PATIENT = 5;
export const PROVIDER = 2;
export const STRANGER = 9;

/** A test network with a registered patient (#5) and an admitted provider (#2). */
export async function startKit(label: string): Promise<TestNetwork & { domain: UploadDomain; temp: TempDir }> {
  const net = await startTestNetwork({ label });
  await net.registerPatient(PATIENT);
  await net.admitProvider(PROVIDER, { name: "St Mary's" });
  const temp = await createTempDir(`${label}-nodes`);
  const domain = { chainId: net.deployment.chainId, recordRegistry: net.deployment.recordRegistry };
  const close = net.close;
  return {
    ...net,
    domain,
    temp,
    close: async () => {
      await close();
      await temp.remove();
    },
  };
}

/** A real envelope of about `bytes` bytes (random plaintext sealed under a random KEK). */
export async function envelope(bytes: number): Promise<Uint8Array> {
  const { envelope: sealed } = await sealRecord({
    plaintext: new Uint8Array(randomBytes(bytes)),
    kek: new Uint8Array(randomBytes(32)),
    context: {
      chainId: 31337,
      contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      patient: testAccount(PATIENT).address,
      category: 2,
      keyEpoch: 0,
    },
  });
  return sealed;
}

/** Starts a node on `<kit.temp>/<name>` on 127.0.0.1:0, repair off unless asked. */
export function startNode(
  kit: Awaited<ReturnType<typeof startKit>>,
  name: string,
  extra: Partial<StartMeridianNodeParameters> = {},
): Promise<MeridianNode> {
  return startMeridianNode({
    dataDir: path.join(kit.temp.path, name),
    listen: { host: "127.0.0.1", port: 0 },
    publicClient: kit.publicClient,
    deployment: kit.deployment,
    repairIntervalSeconds: 0,
    pinTimeoutSeconds: 20,
    log: () => {},
    ...extra,
  });
}

/** A pinning access token of development account `index`. */
export function tokenOf(kit: Awaited<ReturnType<typeof startKit>>, index: number): Promise<string> {
  return createPinningAccessToken({ walletClient: kit.wallet(testAccount(index)), domain: kit.domain });
}

/** A node client for `url` that uploads and pins as development account `index`. */
export async function clientOf(
  kit: Awaited<ReturnType<typeof startKit>>,
  url: string,
  index: number,
): Promise<NodeClient> {
  const walletClient = kit.wallet(testAccount(index));
  return createNodeClient({
    url,
    authorizer: createUploadAuthorizer({ walletClient, domain: kit.domain }),
    accessToken: await tokenOf(kit, index),
  });
}

/** The account of development account `index`. */
export const accountOf = (index: number): Account => testAccount(index);
