/**
 * IPFS storage for Meridian record envelopes: an embedded Helia node on disk or a Kubo node
 * over its RPC API, behind one {@link BlobStore} interface. Node.js only (Helia's store uses
 * the file system).
 *
 * @module
 */

import { createHeliaStore } from "./helia.ts";
import { createKuboStore } from "./kubo.ts";
import type { BlobStore } from "./types.ts";
import { StorageUnavailableError } from "./errors.ts";

export * from "./browser.ts";
export { createHeliaStore } from "./helia.ts";
export type { CreateHeliaStoreParameters } from "./helia.ts";
export { createKuboStore } from "./kubo.ts";
export {
  checkEnvelopeBytes,
  handleBlobRequest,
  jsonResponse,
  readBlobBody,
  DEFAULT_MAX_BLOB_BYTES,
  MAX_RECORD_PLAINTEXT_BYTES,
} from "./http-server.ts";
export type { EnvelopeRefusal, HandleBlobRequestParameters } from "./http-server.ts";
export type { CreateKuboStoreParameters } from "./kubo.ts";

/** Which store {@link openBlobStore} opens: an embedded Helia node on disk, or a Kubo RPC endpoint. */
export type BlobStoreConfig = { kind: "helia"; directory: string } | { kind: "kubo"; url: string };

/**
 * Opens the {@link BlobStore} described by `config`.
 *
 * @throws {StorageUnavailableError} when the Helia directory cannot be opened, the Kubo URL is invalid or `kind` is unknown.
 * @example
 * ```ts
 * const store = await openBlobStore({ kind: "helia", directory: ".meridian/ipfs" });
 * ```
 */
export async function openBlobStore(config: BlobStoreConfig): Promise<BlobStore> {
  switch (config.kind) {
    case "helia":
      return createHeliaStore({ directory: config.directory });
    case "kubo":
      return createKuboStore({ url: config.url });
    default: {
      const unknown: never = config;
      throw new StorageUnavailableError(`Unknown blob store kind "${String((unknown as { kind: unknown }).kind)}".`, {
        hint: 'Configure kind "helia" (with a directory) or "kubo" (with a URL).',
      });
    }
  }
}
