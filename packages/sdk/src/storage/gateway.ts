/**
 * Reads Meridian blobs from any IPFS Trustless Gateway
 * (https://specs.ipfs.tech/http-gateways/trustless-gateway/), block by block as raw blocks
 * (`GET {url}/ipfs/{cid}?format=raw`, `Accept: application/vnd.ipld.raw`), verifying every block
 * against its CID as it arrives (`readBlob` in `cid.ts`), so a gateway that returns altered bytes
 * is caught with `CidMismatchError`. A Meridian node serves this API, and so do Kubo and public
 * gateways. Browser-safe (global `fetch`).
 *
 * @module
 */

import type { CID } from "multiformats/cid";
import { CHUNK_SIZE_BYTES, parseBlobCid, readBlob, type BlockReader } from "./cid.ts";
import { BlockNotFoundError, CidMismatchError, StorageUnavailableError } from "./errors.ts";
import type { BlobStoreOptions } from "./types.ts";

/** The media type of a raw block (https://www.iana.org/assignments/media-types/application/vnd.ipld.raw). */
export const RAW_BLOCK_MEDIA_TYPE = "application/vnd.ipld.raw";

/** Largest block accepted from a gateway, in bytes: one 1 MiB leaf plus room for a dag-pb node's framing. */
const MAX_BLOCK_BYTES = CHUNK_SIZE_BYTES + 64 * 1024;

/** Parameters of {@link createGatewayReader}. */
export interface CreateGatewayReaderParameters {
  /** The gateway's base URL (e.g. a Meridian node's `http://host:port`); `/ipfs/{cid}` is appended. */
  url: string;
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
}

/** Reads blobs from one Trustless Gateway; see {@link createGatewayReader}. */
export interface GatewayReader {
  /** The gateway's base URL, without a trailing slash. */
  readonly url: string;
  /**
   * Reads blob `cid` (its root block, then every block it links to) and returns its bytes.
   * @throws {InvalidCidError} when `cid` is not a Meridian blob CID.
   * @throws {BlockNotFoundError} when the gateway does not hold the blob or one of its blocks (404).
   * @throws {CidMismatchError} when a block does not hash to its CID (the gateway lied or its copy is corrupt).
   * @throws {StorageUnavailableError} when the gateway cannot be reached or answers with another error.
   */
  get(cid: string, options?: BlobStoreOptions): Promise<Uint8Array>;
  /**
   * Whether the gateway holds the blob's root block (`HEAD /ipfs/{cid}?format=raw`: 200 or 404).
   * @throws {InvalidCidError} when `cid` is malformed.
   * @throws {StorageUnavailableError} when the gateway cannot be reached or answers with another error.
   */
  has(cid: string, options?: BlobStoreOptions): Promise<boolean>;
}

/**
 * Returns a {@link GatewayReader} for the Trustless Gateway at `url`. Blocks are fetched
 * with up to 8 leaves in flight; nothing is cached.
 *
 * @example
 * ```ts
 * const gateway = createGatewayReader({ url: "http://127.0.0.1:4100" });
 * const envelope = await gateway.get("bafybei…"); // every block checked against its CID
 * ```
 */
export function createGatewayReader(parameters: CreateGatewayReaderParameters): GatewayReader {
  const url = parameters.url.replace(/\/+$/, "");
  const doFetch = parameters.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));

  const request = async (cid: CID, method: "GET" | "HEAD", signal: AbortSignal | undefined): Promise<Response> => {
    const target = `${url}/ipfs/${cid.toString()}?format=raw`;
    try {
      return await doFetch(target, {
        method,
        headers: { accept: RAW_BLOCK_MEDIA_TYPE },
        ...(signal ? { signal } : {}),
      });
    } catch (cause) {
      if (signal?.aborted) throw cause;
      throw new StorageUnavailableError(`Cannot reach the IPFS gateway at ${url}.`, {
        details: `${method} ${target}`,
        hint: "Check that the node is running and reachable at that URL; the record may be on another node.",
        cause,
      });
    }
  };
  const refused = (response: Response, cid: CID): StorageUnavailableError =>
    new StorageUnavailableError(`The IPFS gateway at ${url} answered ${response.status} for block ${cid.toString()}.`, {
      hint: "Check the gateway's URL (it must serve the Trustless Gateway API with raw blocks); try another node.",
    });

  const blockReader =
    (signal: AbortSignal | undefined): BlockReader =>
    async (cid) => {
      const response = await request(cid, "GET", signal);
      if (response.status === 404) {
        await response.body?.cancel();
        throw new BlockNotFoundError(cid.toString(), { details: `the gateway at ${url} does not hold it` });
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw refused(response, cid);
      }
      const declared = Number(response.headers.get("content-length") ?? "0");
      if (declared > MAX_BLOCK_BYTES) {
        await response.body?.cancel();
        throw new CidMismatchError(cid.toString(), {
          details: `the gateway at ${url} announced a ${declared}-byte block; Meridian's blocks are at most ${MAX_BLOCK_BYTES}`,
        });
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (bytes.length > MAX_BLOCK_BYTES) {
        throw new CidMismatchError(cid.toString(), {
          details: `the gateway at ${url} sent a ${bytes.length}-byte block; Meridian's blocks are at most ${MAX_BLOCK_BYTES}`,
        });
      }
      return bytes;
    };

  return {
    url,
    async get(cid, options = {}) {
      const root = parseBlobCid(cid);
      try {
        return await readBlob(root, blockReader(options.signal), options.signal ? { signal: options.signal } : {});
      } catch (error) {
        if (error instanceof BlockNotFoundError && error.cid !== root.toString()) {
          throw new BlockNotFoundError(root.toString(), {
            details: `block ${error.cid} of the blob's DAG is missing at the gateway ${url}`,
            cause: error,
          });
        }
        if (error instanceof CidMismatchError) {
          throw new CidMismatchError(root.toString(), {
            details: `from the gateway ${url}: ${error.details ?? "a block does not match its CID"}`,
            cause: error,
          });
        }
        throw error;
      }
    },
    async has(cid, options = {}) {
      const root = parseBlobCid(cid);
      const response = await request(root, "HEAD", options.signal);
      if (response.status === 404) return false;
      if (!response.ok) throw refused(response, root);
      return true;
    },
  };
}
