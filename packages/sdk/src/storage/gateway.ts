/**
 * Reads Meridian blobs from any IPFS Trustless Gateway
 * (https://specs.ipfs.tech/http-gateways/trustless-gateway/). A blob of several blocks is asked
 * for as one CAR stream of its whole DAG first
 * (`GET {url}/ipfs/{cid}?format=car&dag-scope=all&car-order=dfs&car-dups=n`,
 * `Accept: application/vnd.ipld.car; version=1; order=dfs; dups=n`): one request instead of one per
 * 1 MiB block; a blob of one raw block (at most 1 MiB) is asked for as that block. A gateway that does not serve CARs (406, or any other answer but 200 with a CAR
 * or 404) is read block by block as raw blocks (`?format=raw`, `Accept: application/vnd.ipld.raw`),
 * and so is whatever an incomplete CAR left out (`gateway-car.ts`). Either way every block is
 * verified against its CID and the blocks must form the blob's DAG (`readBlob` in `cid.ts`), and a
 * CAR may carry nothing else, so a gateway that returns altered, extra or missing blocks is
 * caught with `CidMismatchError` or `BlockNotFoundError`. A Meridian node serves this API, and so
 * do Kubo and public gateways. Browser-safe (global `fetch`).
 *
 * @module
 */

import type { CID } from "multiformats/cid";
import { CHUNK_SIZE_BYTES, parseBlobCid, readBlob, type BlockReader } from "./cid.ts";
import { BlockNotFoundError, CidMismatchError, StorageUnavailableError } from "./errors.ts";
import { receiveCar } from "./gateway-car.ts";
import type { BlobStoreOptions } from "./types.ts";

/** The media type of a raw block (https://www.iana.org/assignments/media-types/application/vnd.ipld.raw). */
export const RAW_BLOCK_MEDIA_TYPE = "application/vnd.ipld.raw";

/** The media type of a CAR (https://www.iana.org/assignments/media-types/application/vnd.ipld.car). */
export const CAR_MEDIA_TYPE = "application/vnd.ipld.car";

/** The multicodec of a raw block: a blob of at most 1 MiB is one. */
const RAW_CODEC = 0x55;

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
   * Reads blob `cid` (its DAG as one CAR, else its root block, then every block it links to) and
   * returns its bytes.
   * @throws {InvalidCidError} when `cid` is not a Meridian blob CID.
   * @throws {BlockNotFoundError} when the gateway does not hold the blob or one of its blocks (404).
   * @throws {CidMismatchError} when the CAR carries a block outside the blob's DAG.
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
 * Returns a {@link GatewayReader} for the Trustless Gateway at `url`. A blob comes as one CAR
 * stream, its blocks verified as they arrive; raw blocks (up to 8 leaves in flight) are the
 * fallback. Nothing is cached.
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

  const request = async (
    cid: CID,
    format: "raw" | "car",
    method: "GET" | "HEAD",
    signal: AbortSignal | undefined,
  ): Promise<Response> => {
    const target =
      format === "raw"
        ? `${url}/ipfs/${cid.toString()}?format=raw`
        : `${url}/ipfs/${cid.toString()}?format=car&dag-scope=all&car-order=dfs&car-dups=n`;
    const accept = format === "raw" ? RAW_BLOCK_MEDIA_TYPE : `${CAR_MEDIA_TYPE}; version=1; order=dfs; dups=n`;
    try {
      return await doFetch(target, { method, headers: { accept }, ...(signal ? { signal } : {}) });
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
      const response = await request(cid, "raw", "GET", signal);
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

  /** Asks for the blob's DAG as one CAR; undefined when the gateway serves none (406 and the like). */
  const openCar = async (root: CID, raw: BlockReader, signal: AbortSignal | undefined) => {
    const response = await request(root, "car", "GET", signal);
    if (response.status === 404) {
      await response.body?.cancel();
      throw new BlockNotFoundError(root.toString(), { details: `the gateway at ${url} does not hold it` });
    }
    const type = (response.headers.get("content-type") ?? "").split(";").map((part) => part.trim().toLowerCase());
    const version = type.find((part) => part.startsWith("version="));
    if (!response.ok || !response.body || type[0] !== CAR_MEDIA_TYPE || (version && version !== "version=1")) {
      await response.body?.cancel();
      return undefined;
    }
    return receiveCar({
      body: response.body,
      root,
      fallback: raw,
      maxBlockBytes: MAX_BLOCK_BYTES,
      source: `the gateway ${url}`,
    });
  };

  return {
    url,
    async get(cid, options = {}) {
      const root = parseBlobCid(cid);
      const { signal } = options;
      const raw = blockReader(signal);
      try {
        // A raw-codec root is a blob of one block: its raw response is the smallest verifiable answer.
        const car = root.code === RAW_CODEC ? undefined : await openCar(root, raw, signal);
        if (!car) return await readBlob(root, raw, signal ? { signal } : {});
        try {
          const bytes = await readBlob(root, car.read, signal ? { signal } : {});
          await car.finish(); // nothing beyond the blob's DAG
          return bytes;
        } finally {
          car.cancel();
        }
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
      const response = await request(root, "raw", "HEAD", options.signal);
      if (response.status === 404) return false;
      if (!response.ok) throw refused(response, root);
      return true;
    },
  };
}
