import "server-only";
import path from "node:path";
import { createHeliaStore } from "@meridian/sdk/storage/helia.ts";
import type { BlobStore } from "@meridian/sdk/storage/types.ts";
import { repoRoot } from "./server-config.ts";

const key = Symbol.for("meridian.web.blobStore");
type Holder = { [key]?: Promise<BlobStore> };

/**
 * The server's one Helia node on disk (`MERIDIAN_IPFS_DIR`, default `<repo>/.meridian/ipfs`),
 * opened on first use and kept for the life of the process. It only ever receives envelopes.
 */
export function serverBlobStore(): Promise<BlobStore> {
  const holder = globalThis as Holder;
  holder[key] ??= createHeliaStore({ directory: process.env.MERIDIAN_IPFS_DIR ?? path.join(repoRoot, ".meridian", "ipfs") });
  return holder[key];
}
