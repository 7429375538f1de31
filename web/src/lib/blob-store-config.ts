/**
 * Where the app server keeps and finds record envelopes, from its environment:
 * - `MERIDIAN_IPFS_DIR`: the server's own Helia blockstore on disk (default `<repo>/.meridian/ipfs`),
 *   always used first;
 * - `MERIDIAN_NODES`: comma-separated base URLs of Meridian nodes (`meridian node`, `@meridian/node`),
 *   this hospital's own first. When set, an upload is answered only after it is pinned on
 *   `MERIDIAN_REPLICAS` of them, and a download not held locally is fetched from them, then from
 *   the nodes admitted providers publish in the `ProviderRegistry`;
 * - `MERIDIAN_REPLICAS`: how many of the named nodes must confirm a pin (default 2, at most the
 *   number of named nodes: a single named node needs `MERIDIAN_REPLICAS=1`, said explicitly).
 * Without `MERIDIAN_NODES` the server keeps blobs only in its own Helia store (one machine).
 * Plain functions of an `env` object, so they are tested without a server.
 */
/** The app server's storage settings ({@link blobStoreSettingsFromEnv}). */
export interface BlobStoreSettings {
  /** Directory of the server's own Helia blockstore. */
  ipfsDir: string;
  /** Base URLs of the named Meridian nodes, in the order given (no trailing slash); empty: local store only. */
  nodes: string[];
  /** Pins that must be confirmed before an upload is answered (0 when `nodes` is empty). */
  replicas: number;
}

/** A `MERIDIAN_NODES` or `MERIDIAN_REPLICAS` value the server cannot work with. */
export class BlobStoreConfigError extends Error {
  override readonly name = "BlobStoreConfigError";
  /** What to change. */
  readonly hint: string;
  constructor(message: string, hint: string) {
    super(message);
    this.hint = hint;
  }
}

/** Replicas required by default when nodes are named (issue 16: the patient's home hospital and one more). */
export const DEFAULT_WEB_REPLICAS = 2;

/**
 * Reads the storage settings from `env` (the server passes `process.env`).
 *
 * @param defaultIpfsDir - used when `MERIDIAN_IPFS_DIR` is unset.
 * @throws {BlobStoreConfigError} when a `MERIDIAN_NODES` entry is not an http(s) URL, when
 *   `MERIDIAN_REPLICAS` (default 2) is not a whole number from 1 to the number of named nodes, or
 *   when it is set without `MERIDIAN_NODES`.
 * @example
 * ```ts
 * blobStoreSettingsFromEnv({ MERIDIAN_NODES: "http://10.0.0.5:4100, http://10.0.1.5:4100" }, "/srv/ipfs");
 * // { ipfsDir: "/srv/ipfs", nodes: ["http://10.0.0.5:4100", "http://10.0.1.5:4100"], replicas: 2 }
 * ```
 */
export function blobStoreSettingsFromEnv(
  env: Record<string, string | undefined>,
  defaultIpfsDir: string,
): BlobStoreSettings {
  const ipfsDir = ipfsDirFromEnv(env, defaultIpfsDir);
  const nodes = [
    ...new Set(
      (env.MERIDIAN_NODES ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
        .map(nodeUrl),
    ),
  ];
  const raw = env.MERIDIAN_REPLICAS?.trim();
  if (nodes.length === 0) {
    if (raw)
      throw new BlobStoreConfigError(
        `MERIDIAN_REPLICAS is ${raw} but MERIDIAN_NODES names no node, so nothing could be pinned.`,
        "Set MERIDIAN_NODES to the comma-separated URLs of your Meridian nodes, or unset MERIDIAN_REPLICAS.",
      );
    return { ipfsDir, nodes, replicas: 0 };
  }
  const replicas = raw ? Number(raw) : DEFAULT_WEB_REPLICAS;
  const shown = raw ?? `${DEFAULT_WEB_REPLICAS} (the default)`;
  if (!/^\d+$/.test(raw ?? "1") || !Number.isSafeInteger(replicas) || replicas < 1)
    throw new BlobStoreConfigError(
      `MERIDIAN_REPLICAS is "${raw}", not a whole number of 1 or more.`,
      "Set MERIDIAN_REPLICAS to how many nodes must pin each upload (default 2).",
    );
  if (replicas > nodes.length)
    throw new BlobStoreConfigError(
      `MERIDIAN_REPLICAS is ${shown} but MERIDIAN_NODES names ${nodes.length} node${nodes.length === 1 ? "" : "s"}, ` +
        "so no upload could be pinned that many times.",
      `Name at least ${replicas} nodes in MERIDIAN_NODES (this hospital's and a partner's), ` +
        `or set MERIDIAN_REPLICAS=${nodes.length} to accept fewer copies.`,
    );
  return { ipfsDir, nodes, replicas };
}

/** `MERIDIAN_IPFS_DIR` from `env`, else `defaultIpfsDir` (never throws). */
export const ipfsDirFromEnv = (env: Record<string, string | undefined>, defaultIpfsDir: string): string =>
  env.MERIDIAN_IPFS_DIR?.trim() || defaultIpfsDir;

/**
 * `value` as a node base URL without a trailing slash.
 *
 * @throws {BlobStoreConfigError} naming `value` when it is not a plain http(s) URL.
 */
export function nodeUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new BlobStoreConfigError(
      `MERIDIAN_NODES holds "${value}", which is not a URL.`,
      "List each node's base URL, e.g. MERIDIAN_NODES=http://127.0.0.1:4100,https://node.hospital-b.example",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new BlobStoreConfigError(
      `MERIDIAN_NODES holds "${value}", which is not an http(s) URL.`,
      "List each node's HTTP base URL (what `meridian node` prints on start).",
    );
  if (url.username || url.password || url.search || url.hash)
    throw new BlobStoreConfigError(
      `MERIDIAN_NODES holds "${url.origin}…" with credentials, a query or a fragment.`,
      "Give each node as a plain base URL such as https://node.hospital.example; the app signs its own requests.",
    );
  return url.toString().replace(/\/+$/, "");
}
