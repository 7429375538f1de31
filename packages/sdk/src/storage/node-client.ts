/**
 * One client for a Meridian node's HTTP API (`meridian node`, `@meridian/node`): its info
 * (`GET /meridian/v1/node`), authorised uploads (`POST /blobs`, the web app's blob contract),
 * pins (the IPFS Pinning Service API v1.0.0 at `/pins`) and verified reads (the IPFS Trustless
 * Gateway at `/ipfs/{cid}`, every block checked against its CID). Browser-safe (global `fetch`).
 * The node is not trusted: uploads are checked against the CID computed locally, reads block by block.
 *
 * @module
 */

import { MeridianError } from "../errors.ts";
import type { BlobBytes } from "./cid.ts";
import { createGatewayReader } from "./gateway.ts";
import { createHttpStore } from "./http.ts";
import { createPinningClient, PinningServiceError, type PinningClient, type PinStatus } from "./pinning.ts";
import { StorageUnavailableError } from "./errors.ts";
import type { BlobStoreOptions, StoredBlob } from "./types.ts";
import type { UploadAuthorizer } from "./upload-auth.ts";

/** What `GET /meridian/v1/node` answers. */
export interface NodeInfo {
  /** The node's libp2p peer id (base58btc `12D3KooW…`). */
  peerId: string;
  /** Its libp2p listen addresses, each with `/p2p/<peerId>`: the `origins` to pin from. */
  multiaddrs: string[];
  /** Its HTTP base URL as it announces it. */
  url: string;
  /** API version: 1. */
  version: 1;
}

/** Options of {@link NodeClient.pin}. */
export interface NodePinOptions {
  /** Multiaddrs (with `/p2p/<peer id>`) the node fetches the blob from when it does not hold it. */
  origins?: string[];
  /** A name for the pin request. */
  name?: string;
  /** How long to wait for `pinned`, in milliseconds (default 120,000). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A Meridian node's API; see {@link createNodeClient}. */
export interface NodeClient {
  /** The node's base URL, without a trailing slash. */
  readonly url: string;
  /**
   * The node's peer id and multiaddrs (`GET /meridian/v1/node`, no authorisation).
   * @throws {StorageUnavailableError} when the node cannot be reached or the answer is not a node's.
   */
  info(options?: BlobStoreOptions): Promise<NodeInfo>;
  /**
   * Uploads an envelope (`POST /blobs`, signed by the `authorizer`); the node pins it for the uploader.
   * @throws {UploadRefusedError} (401, 403, 413, 415, 422, 429) with the node's words.
   * @throws {CidMismatchError} when the node's CID or ciphertext hash is not the bytes'.
   * @throws {StorageUnavailableError} when the node cannot be reached.
   */
  upload(bytes: BlobBytes, options?: BlobStoreOptions): Promise<StoredBlob>;
  /**
   * Asks the node to pin `cid` (`POST /pins`) and waits until it is `pinned`.
   * @throws {PinningServiceError} refused (401 `UNAUTHORIZED`, 403 `FORBIDDEN`, 429 `INSUFFICIENT_FUNDS`, …),
   *   `PIN_FAILED` (with the node's reason), `PIN_TIMEOUT`, `NODE_UNREACHABLE`; `NO_ACCESS_TOKEN`
   *   when the client has no access token.
   */
  pin(cid: string, options?: NodePinOptions): Promise<PinStatus>;
  /** Reads and verifies a blob through the node's Trustless Gateway (see `GatewayReader.get`). */
  get(cid: string, options?: BlobStoreOptions): Promise<Uint8Array>;
  /** Whether the node holds the blob's root block (see `GatewayReader.has`). */
  has(cid: string, options?: BlobStoreOptions): Promise<boolean>;
}

/** Parameters of {@link createNodeClient}. */
export interface CreateNodeClientParameters {
  /** The node's base URL, `http(s)://host:port`. */
  url: string;
  /** Signs uploads for a registered account (`createUploadAuthorizer`); needed by `upload`. */
  authorizer?: UploadAuthorizer | undefined;
  /** The pinning access token (`createPinningAccessToken`) or a function returning one; needed by `pin`. */
  accessToken?: string | (() => string | Promise<string>) | undefined;
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
}

/**
 * Returns a {@link NodeClient} for the node at `url`.
 *
 * @throws {MeridianError} when `url` is not an absolute http(s) URL.
 * @example
 * ```ts
 * const node = createNodeClient({ url: "http://127.0.0.1:4100", authorizer, accessToken });
 * const { cid } = await node.upload(envelope);
 * await otherNode.pin(cid, { origins: (await node.info()).multiaddrs });
 * ```
 */
export function createNodeClient(parameters: CreateNodeClientParameters): NodeClient {
  let parsed: URL;
  try {
    parsed = new URL(parameters.url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(parsed.protocol);
  } catch (cause) {
    throw new MeridianError(`"${parameters.url}" is not a node URL.`, {
      hint: "Name a node by its http(s) base URL, e.g. http://node.hospital.example:4100.",
      cause,
    });
  }
  const url = parameters.url.replace(/\/+$/, "");
  const doFetch = parameters.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const withFetch = parameters.fetch ? { fetch: parameters.fetch } : {};
  const gateway = createGatewayReader({ url, ...withFetch });
  const blobs = createHttpStore({ baseUrl: `${url}/blobs`, authorizer: parameters.authorizer, ...withFetch });
  const { accessToken } = parameters;
  const pins: PinningClient | undefined =
    accessToken === undefined ? undefined : createPinningClient({ url, accessToken, ...withFetch });

  return {
    url,
    async info(options = {}) {
      let body: Partial<NodeInfo> | undefined;
      try {
        const response = await doFetch(`${url}/meridian/v1/node`, options.signal ? { signal: options.signal } : {});
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        body = (await response.json()) as Partial<NodeInfo>;
      } catch (cause) {
        if (options.signal?.aborted) throw cause;
        throw new StorageUnavailableError(`Cannot read the Meridian node's info at ${url}.`, {
          details: `GET ${url}/meridian/v1/node`,
          hint: "Check that a Meridian node (meridian node) runs at that URL.",
          cause,
        });
      }
      if (
        body?.version !== 1 ||
        typeof body.peerId !== "string" ||
        !Array.isArray(body.multiaddrs) ||
        !body.multiaddrs.every((m) => typeof m === "string")
      ) {
        throw new StorageUnavailableError(`The server at ${url} is not a Meridian node (API version 1).`, {
          hint: "Check the node URL.",
        });
      }
      return {
        peerId: body.peerId,
        multiaddrs: body.multiaddrs,
        url: typeof body.url === "string" ? body.url : url,
        version: 1,
      };
    },
    upload: (bytes, options) => blobs.put(bytes, options),
    async pin(cid, options = {}) {
      if (!pins) {
        throw new PinningServiceError(url, 0, "NO_ACCESS_TOKEN", `No pinning access token for the node at ${url}.`, {
          hint: "Create the node client with an accessToken (createPinningAccessToken).",
        });
      }
      const signal = options.signal;
      const request = await pins.addPin(
        {
          cid,
          ...(options.name === undefined ? {} : { name: options.name }),
          ...(options.origins?.length ? { origins: options.origins } : {}),
        },
        signal ? { signal } : {},
      );
      if (request.status === "pinned") return request;
      return pins.waitForPin(request.requestid, {
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(signal ? { signal } : {}),
      });
    },
    get: (cid, options) => gateway.get(cid, options),
    has: (cid, options) => gateway.has(cid, options),
  };
}
