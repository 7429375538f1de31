/**
 * The app server's stores over Meridian nodes (`MERIDIAN_NODES`, see `blob-store-config.ts`),
 * built from plain values so they are tested without a Next server (`blob-store.ts` wires them to
 * the process's settings and caches).
 *
 * Uploads carry the uploader's own authorisation to the nodes: the app server holds no key, so it
 * sends each node the same `Authorization: Meridian-Upload …` header the browser sent it (the
 * account's signed upload session and the session key's signature over this envelope's ciphertext
 * hash and length). Each node checks it as the app did, against the chain, and charges the
 * uploader's quota there; each node sees the nonce once, so this is no replay.
 */
import { BlockNotFoundError, CidMismatchError, createNodeClient, createReplicatedStore } from "@meridian/sdk/storage";
import { UploadAuthorizationError } from "@meridian/sdk/storage";
import type { BlobStore, UploadAuthorization, UploadAuthorizer } from "@meridian/sdk/storage";

/**
 * An {@link UploadAuthorizer} that answers `header` for the one envelope it was signed for and
 * refuses any other (it cannot sign).
 *
 * @param header - the `Authorization` header the uploader sent, already verified by this server.
 * @param authorization - `header` decoded.
 * @throws {UploadAuthorizationError} (`mismatch`) from `authorize` for another envelope.
 */
export function forwardedUploadAuthorizer(header: string, authorization: UploadAuthorization): UploadAuthorizer {
  const { session, upload } = authorization;
  return {
    account: session.account,
    authorize: ({ ciphertextHash, size }) => {
      if (ciphertextHash.toLowerCase() !== upload.ciphertextHash.toLowerCase() || size !== upload.size)
        return Promise.reject(
          new UploadAuthorizationError(
            "mismatch",
            "The uploader signed another envelope than the one being sent on.",
            "Upload the envelope again through the app.",
          ),
        );
      return Promise.resolve(header);
    },
    reset: () => undefined,
  };
}

/** Parameters of {@link nodeUploadStore}. */
export interface NodeUploadStoreParameters {
  /** The server's own store; it keeps a copy. */
  local: BlobStore;
  /** Base URLs of the nodes to pin on, this hospital's own first. */
  nodes: string[];
  /** Pins that must be confirmed before `put` resolves (1 to `nodes.length`). */
  replicas: number;
  /** The uploader's `Authorization` header (verified) and its decoded form. */
  header: string;
  authorization: UploadAuthorization;
}

/**
 * The store one upload is written through: the local store plus `nodes`, each sent the envelope
 * with the uploader's authorisation; `put` resolves only once `replicas` nodes confirmed the pin,
 * and otherwise throws `ReplicationError` naming every node that failed and why.
 */
export function nodeUploadStore(parameters: NodeUploadStoreParameters): BlobStore {
  const authorizer = forwardedUploadAuthorizer(parameters.header, parameters.authorization);
  const nodes = parameters.nodes.map((url) => createNodeClient({ url, authorizer }));
  return createReplicatedStore({ local: parameters.local, nodes, replicas: parameters.replicas });
}

/** Parameters of {@link nodeReadStore}. */
export interface NodeReadStoreParameters {
  /** The server's own store, read first. */
  local: BlobStore;
  /** The named nodes (`MERIDIAN_NODES`), read next, in order. */
  nodes: string[];
  /**
   * The nodes admitted providers publish in the `ProviderRegistry`, read last: asked only when
   * the local store and the named nodes miss; asked again with `fresh` true when none of the
   * listed nodes has the blob either (a provider may have published its node since).
   */
  published: (fresh: boolean) => Promise<string[]>;
}

const missing = (error: unknown) => error instanceof BlockNotFoundError || error instanceof CidMismatchError;

/**
 * The store a download is read through: `local`, then `nodes`, then `published`, each block
 * verified against its CID (a node answering other bytes is skipped like one that is down).
 * `has` asks `local` and `nodes` only. It stores nothing (`put` is the local store's).
 *
 * @throws from `get`: `BlockNotFoundError` (or `CidMismatchError` when only a lying node answered)
 *   whose details name each node tried; `InvalidCidError` for a malformed CID.
 */
export function nodeReadStore(parameters: NodeReadStoreParameters): BlobStore {
  const named = parameters.nodes.map((url) => createNodeClient({ url }));
  const near = createReplicatedStore({ local: parameters.local, nodes: named, replicas: 1 });
  return {
    kind: "replicated",
    put: (bytes, options) => parameters.local.put(bytes, options),
    has: (cid) => near.has(cid),
    close: () => near.close(),
    async get(cid, options) {
      try {
        return await near.get(cid, options);
      } catch (error) {
        if (!missing(error)) throw error;
        let last = error;
        const tried = new Set(parameters.nodes);
        for (const fresh of [false, true]) {
          const urls = (await parameters.published(fresh)).filter((url) => !tried.has(url));
          if (urls.length === 0) continue;
          for (const url of urls) tried.add(url);
          const far = createReplicatedStore({ nodes: urls.map((url) => createNodeClient({ url })), replicas: 1 });
          try {
            return await far.get(cid, options);
          } catch (farError) {
            if (!missing(farError)) throw farError;
            last = farError;
          }
        }
        throw last;
      }
    },
  };
}
