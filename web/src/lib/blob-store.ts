import "server-only";
import path from "node:path";
import { listProviderNodes, type MeridianContext } from "@meridian/sdk/chain";
import { createHeliaStore } from "@meridian/sdk/storage";
import type { BlobStore, UploadAuthorization } from "@meridian/sdk/storage";
import { blobStoreSettingsFromEnv, ipfsDirFromEnv, nodeUrl, type BlobStoreSettings } from "./blob-store-config.ts";
import { nodeReadStore, nodeUploadStore } from "./node-stores.ts";
import { FailureLimiter, positiveIntegerFromEnv } from "./rate-limit.ts";
import { repoRoot } from "./server-config.ts";
import { UploadQuota, uploadQuotaLimitsFromEnv } from "./upload-quota.ts";

const key = Symbol.for("meridian.web.blobStore");
const quotaKey = Symbol.for("meridian.web.uploadQuota");
const failuresKey = Symbol.for("meridian.web.uploadFailures");
const registryKey = Symbol.for("meridian.web.registryNodes");
type Holder = {
  [key]?: Promise<BlobStore>;
  [quotaKey]?: UploadQuota;
  [failuresKey]?: FailureLimiter;
  [registryKey]?: { at: number; urls: Promise<string[]> };
};

/** How long the server reuses the list of nodes published in the `ProviderRegistry`, in milliseconds. */
const REGISTRY_NODES_TTL_MS = 30_000;
/** A miss re-reads that list only when it is older than this, in milliseconds (bounds RPC calls per miss). */
const REGISTRY_NODES_MIN_AGE_MS = 2_000;

/**
 * The server's storage settings: `MERIDIAN_IPFS_DIR` (default `<repo>/.meridian/ipfs`),
 * `MERIDIAN_NODES`, `MERIDIAN_REPLICAS` (see `blob-store-config.ts`).
 *
 * @throws {BlobStoreConfigError} when `MERIDIAN_NODES` or `MERIDIAN_REPLICAS` is unusable.
 */
export const serverStorageSettings = (): BlobStoreSettings => blobStoreSettingsFromEnv(process.env, defaultIpfsDir());

const defaultIpfsDir = () => path.join(repoRoot, ".meridian", "ipfs");
/** `MERIDIAN_IPFS_DIR` (default `<repo>/.meridian/ipfs`). */
const serverIpfsDir = () => ipfsDirFromEnv(process.env, defaultIpfsDir());

/**
 * The server's own Helia node on disk (`MERIDIAN_IPFS_DIR`), opened on first use and kept for the
 * life of the process. It only ever receives envelopes. Without `MERIDIAN_NODES` it is the only
 * store (one machine); with nodes it is read first and keeps a copy of every upload.
 */
export function serverBlobStore(): Promise<BlobStore> {
  const holder = globalThis as Holder;
  holder[key] ??= createHeliaStore({ directory: serverIpfsDir() });
  return holder[key];
}

/**
 * Base URLs of the nodes active providers publish in the `ProviderRegistry` (1 + 3 eth_calls per
 * provider), re-read every 30 s, or when `fresh` and the list is more than 2 s old.
 */
async function registryNodeUrls(chain: MeridianContext, fresh: boolean): Promise<string[]> {
  const holder = globalThis as Holder;
  const cached = holder[registryKey];
  const age = cached ? Date.now() - cached.at : Infinity;
  if (cached && age < (fresh ? REGISTRY_NODES_MIN_AGE_MS : REGISTRY_NODES_TTL_MS)) return cached.urls;
  const urls = listProviderNodes(chain).then((providers) =>
    providers.flatMap((p) =>
      p.endpoints.flatMap((endpoint) => {
        try {
          return [nodeUrl(endpoint)];
        } catch {
          // a provider's own entry, malformed: skipped (the node cannot be used), never fatal
          console.warn(`[api/blobs] skipping the malformed node address ${JSON.stringify(endpoint)} of ${p.provider}`);
          return [];
        }
      }),
    ),
  );
  holder[registryKey] = { at: Date.now(), urls };
  urls.catch(() => {
    if (holder[registryKey]?.urls === urls) delete holder[registryKey]; // try again on the next miss
  });
  return urls;
}

/**
 * The store `GET|HEAD /api/blobs/{cid}` read through: the server's own Helia store, then the nodes
 * `MERIDIAN_NODES` names, then (when `chain` is given) every node an active provider published in
 * the `ProviderRegistry` (read only when the local store misses, and reused for 30 s). Every block
 * is verified against its CID, so a node that returns other bytes is skipped; the browser verifies
 * again. `HEAD` asks the local store and the named nodes only.
 *
 * @throws {BlobStoreConfigError} when `MERIDIAN_NODES` or `MERIDIAN_REPLICAS` is unusable.
 */
export async function serverReadStore(chain: MeridianContext | null): Promise<BlobStore> {
  const settings = serverStorageSettings();
  const local = await serverBlobStore();
  if (settings.nodes.length === 0 && !chain) return local;
  const published = async (fresh: boolean): Promise<string[]> => {
    if (!chain) return [];
    try {
      return await registryNodeUrls(chain, fresh);
    } catch (error) {
      // the named nodes may still hold it: the registry is a fallback, never a reason to fail
      console.warn("[api/blobs] cannot read the provider nodes:", error instanceof Error ? error.message : error);
      return [];
    }
  };
  return nodeReadStore({ local, nodes: settings.nodes, published });
}

/**
 * The store an upload is written through: without `MERIDIAN_NODES`, the server's own Helia store;
 * with nodes, the local store plus the named nodes, each upload sent on to them with the
 * uploader's own signed authorisation (`header`, checked by each node as by this server), and
 * answered only once `MERIDIAN_REPLICAS` of them confirm the pin (else `ReplicationError`, naming
 * the nodes that failed). The server holds no key of its own.
 *
 * @throws {BlobStoreConfigError} when `MERIDIAN_NODES` or `MERIDIAN_REPLICAS` is unusable.
 */
export async function serverUploadStore(header: string, authorization: UploadAuthorization): Promise<BlobStore> {
  const settings = serverStorageSettings();
  const local = await serverBlobStore();
  if (settings.nodes.length === 0) return local;
  return nodeUploadStore({ local, nodes: settings.nodes, replicas: settings.replicas, header, authorization });
}

/**
 * The per-account upload quotas: `MERIDIAN_UPLOAD_QUOTA_FILE` (default `upload-quota.json` beside
 * the IPFS directory) with the limits of `uploadQuotaLimitsFromEnv` (512 MiB per 24 h, 4 GiB in total).
 */
export function serverUploadQuota(): UploadQuota {
  const holder = globalThis as Holder;
  const file = process.env.MERIDIAN_UPLOAD_QUOTA_FILE ?? path.join(path.dirname(serverIpfsDir()), "upload-quota.json");
  holder[quotaKey] ??= new UploadQuota({ file, limits: uploadQuotaLimitsFromEnv() });
  return holder[quotaKey];
}

/** Failed uploads per client: `MERIDIAN_UPLOAD_MAX_FAILURES` per minute (default 20). */
export function serverUploadFailures(): FailureLimiter {
  const holder = globalThis as Holder;
  const maxFailures = positiveIntegerFromEnv("MERIDIAN_UPLOAD_MAX_FAILURES", 20);
  holder[failuresKey] ??= new FailureLimiter({ maxFailures, windowSeconds: 60 });
  return holder[failuresKey];
}
