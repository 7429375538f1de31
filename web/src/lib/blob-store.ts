import "server-only";
import path from "node:path";
import { createHeliaStore } from "@meridian/sdk/storage";
import type { BlobStore } from "@meridian/sdk/storage";
import { FailureLimiter, positiveIntegerFromEnv } from "./rate-limit.ts";
import { repoRoot } from "./server-config.ts";
import { UploadQuota, uploadQuotaLimitsFromEnv } from "./upload-quota.ts";

const key = Symbol.for("meridian.web.blobStore");
const quotaKey = Symbol.for("meridian.web.uploadQuota");
const failuresKey = Symbol.for("meridian.web.uploadFailures");
type Holder = { [key]?: Promise<BlobStore>; [quotaKey]?: UploadQuota; [failuresKey]?: FailureLimiter };

const ipfsDir = () => process.env.MERIDIAN_IPFS_DIR ?? path.join(repoRoot, ".meridian", "ipfs");

/**
 * The server's one Helia node on disk (`MERIDIAN_IPFS_DIR`, default `<repo>/.meridian/ipfs`),
 * opened on first use and kept for the life of the process. It only ever receives envelopes.
 */
export function serverBlobStore(): Promise<BlobStore> {
  const holder = globalThis as Holder;
  holder[key] ??= createHeliaStore({ directory: ipfsDir() });
  return holder[key];
}

/**
 * The per-account upload quotas: `MERIDIAN_UPLOAD_QUOTA_FILE` (default `upload-quota.json` beside
 * the IPFS directory) with the limits of `uploadQuotaLimitsFromEnv` (512 MiB per 24 h, 4 GiB in total).
 */
export function serverUploadQuota(): UploadQuota {
  const holder = globalThis as Holder;
  const file = process.env.MERIDIAN_UPLOAD_QUOTA_FILE ?? path.join(path.dirname(ipfsDir()), "upload-quota.json");
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
