/**
 * A {@link BlobStore} that talks to a Kubo node (or a service exposing Kubo's RPC API) over
 * HTTP with `kubo-rpc-client`. Useful when the patient runs their own IPFS node or uses a
 * pinning service; the embedded Helia store (`storage/helia.ts`) needs no daemon.
 *
 * @module
 */

import { create } from "kubo-rpc-client";
import type { KuboRPCClient } from "kubo-rpc-client";
import type { CID } from "multiformats/cid";
import { CHUNK_SIZE_BYTES, computeBlobIdentity, concatChunks, joinBlob, parseBlobCid, verifyBlob } from "./cid.ts";
import type { BlobBytes } from "./cid.ts";
import { BlockNotFoundError, CidMismatchError, StorageUnavailableError } from "./errors.ts";
import type { BlobStore, BlobStoreOptions, StoredBlob } from "./types.ts";

/** Parameters of {@link createKuboStore}. */
export interface CreateKuboStoreParameters {
  /** Base URL of the Kubo RPC API, e.g. `http://127.0.0.1:5001` (the `/api/v0` path is added). */
  url: string;
}

const NOT_FOUND = /not found|could not find|no link named/i;

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (error instanceof Error && error.name === "AbortError");
}

/**
 * Creates a {@link BlobStore} with `kind: "kubo"` for the Kubo RPC API at `url`. Nothing is
 * contacted until the first call.
 *
 * `put` runs `ipfs add --cid-version=1 --raw-leaves --chunker=size-1048576 --pin` and checks that
 * Kubo's CID equals the one Meridian computes for the same bytes (`storage/cid.ts`), so a blob
 * stored through Kubo can be read through Helia and the reverse. `get` runs `ipfs cat` and
 * verifies the bytes against the CID. Kubo may look for a missing CID on the IPFS network:
 * bound `get` with `signal` (e.g. `AbortSignal.timeout(30_000)`). `has` asks Kubo offline.
 *
 * @throws {StorageUnavailableError} from every method when Kubo cannot be reached (details
 *   name the URL), and from `createKuboStore` when `url` is not a URL.
 * @example
 * ```ts
 * const store = await createKuboStore({ url: "http://127.0.0.1:5001" });
 * const { cid, ciphertextHash } = await store.put(envelope);
 * ```
 */
export function createKuboStore(parameters: CreateKuboStoreParameters): Promise<BlobStore> {
  const { url } = parameters;
  let client: KuboRPCClient;
  try {
    new URL(url);
    client = create({ url });
  } catch (cause) {
    return Promise.reject(
      new StorageUnavailableError(`"${url}" is not a valid Kubo RPC URL.`, {
        hint: "Give the Kubo RPC API address, e.g. http://127.0.0.1:5001.",
        cause,
      }),
    );
  }
  let closed = false;

  const assertOpen = (): void => {
    if (closed)
      throw new StorageUnavailableError(`The Kubo store for ${url} is closed.`, {
        hint: "Open a new store with createKuboStore.",
      });
  };

  /** Turns a client error into a Meridian error (never returns). */
  const fail = (cause: unknown, action: string, signal: AbortSignal | undefined, cid?: CID): never => {
    if (isAbort(cause, signal)) throw cause;
    const error = cause instanceof Error ? cause : new Error(String(cause));
    if (error.name === "HTTPError" || error.name === "TimeoutError") {
      if (cid && NOT_FOUND.test(error.message))
        throw new BlockNotFoundError(cid.toString(), { details: `Kubo at ${url}: ${error.message}`, cause });
      throw new StorageUnavailableError(`Kubo at ${url} failed to ${action}.`, { details: error.message, cause });
    }
    throw new StorageUnavailableError(`Cannot reach the Kubo RPC API at ${url}.`, {
      details: error.message,
      hint: `Start Kubo (\`ipfs daemon\`) or fix the URL; it must serve the RPC API (usually port 5001), not the gateway.`,
      cause,
    });
  };

  return Promise.resolve({
    kind: "kubo",

    async put(blob: BlobBytes, options: BlobStoreOptions = {}): Promise<StoredBlob> {
      const bytes = joinBlob(blob);
      assertOpen();
      const { signal } = options;
      const local = computeBlobIdentity(bytes); // CID and ciphertext hash from one pass of hashing
      local.catch(() => {}); // awaited below; never an unhandled rejection if Kubo fails first
      let cid: CID;
      try {
        const result = await client.add(bytes, {
          cidVersion: 1,
          rawLeaves: true,
          chunker: `size-${CHUNK_SIZE_BYTES}`,
          hashAlg: "sha2-256",
          trickle: false,
          pin: true,
          ...(signal ? { signal } : {}),
        });
        cid = result.cid;
      } catch (cause) {
        return fail(cause, `store ${bytes.length} bytes`, signal);
      }
      const { cid: expected, ciphertextHash } = await local;
      const same: boolean = expected.equals(cid);
      if (!same) {
        throw new CidMismatchError(cid.toString(), {
          details: `Kubo returned ${cid.toString()}; Meridian computes ${expected.toString()} for the same ${bytes.length} bytes`,
          hint: "Reset Kubo's Import.* settings (max links per node, chunker) to their defaults so its CIDs match Meridian's.",
        });
      }
      return { cid: cid.toString(), ciphertextHash, size: bytes.length };
    },

    async get(cid: string, options: BlobStoreOptions = {}): Promise<Uint8Array> {
      const parsed = parseBlobCid(cid);
      assertOpen();
      const { signal } = options;
      const chunks: Uint8Array[] = [];
      let total = 0;
      try {
        for await (const chunk of client.cat(parsed, signal ? { signal } : {})) {
          chunks.push(chunk);
          total += chunk.length;
        }
      } catch (cause) {
        return fail(cause, `read ${parsed.toString()}`, signal, parsed);
      }
      const bytes = concatChunks(chunks, total);
      await verifyBlob(parsed, bytes);
      return bytes;
    },

    async has(cid: string): Promise<boolean> {
      const parsed = parseBlobCid(cid);
      assertOpen();
      try {
        await client.block.stat(parsed, { searchParams: new URLSearchParams({ offline: "true" }) });
        return true;
      } catch (cause) {
        if (cause instanceof Error && cause.name === "HTTPError" && NOT_FOUND.test(cause.message)) return false;
        return fail(cause, `look up ${parsed.toString()}`, undefined);
      }
    },

    close(): Promise<void> {
      closed = true;
      return Promise.resolve();
    },
  });
}
