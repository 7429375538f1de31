/**
 * Authorised uploads to a Meridian blob endpoint (the web app's `/api/blobs`): every upload is
 * charged to an account registered on chain, and proven to come from it, without a wallet
 * prompt per record.
 *
 * Design (an upload **session**, one wallet prompt per session):
 * 1. The client makes a random secp256k1 **session key** in memory. The account's wallet signs
 *    one EIP-712 `UploadSession` (see {@link uploadSessionTypedData}) naming the account, the
 *    session key's address, when it was issued and when it expires (at most
 *    {@link MAX_UPLOAD_SESSION_SECONDS}, 24 h, after it was issued). The domain is the app's:
 *    "Meridian RecordRegistry", version "1", the chain id and the `RecordRegistry` address, so a
 *    session works on one deployment only.
 * 2. Each upload carries a `BlobUpload` signature by the session key ({@link blobUploadTypedData},
 *    same domain) over the envelope's ciphertext hash (the hash anchored on chain), its length in
 *    bytes, a timestamp (unix seconds) and a random 32-byte nonce. The session key signs locally:
 *    no prompt.
 * 3. Both travel in one header, `Authorization: Meridian-Upload <base64url(JSON)>`
 *    ({@link encodeUploadAuthorization}). The server recomputes the ciphertext hash and length
 *    from the bytes it received, checks the upload signature (ECDSA recovery), the timestamp
 *    (within {@link UPLOAD_SIGNATURE_MAX_AGE_SECONDS}) and the session signature (viem's
 *    `verifyTypedData` through the RPC, so ERC-1271 smart accounts work), then that the account
 *    is a registered patient or an active provider, and charges its quota.
 *
 * A stolen session key lets its thief upload in the account's name until the session expires,
 * within the account's quota; it opens no record and changes nothing on chain.
 *
 * @module
 */

import { bytesToHex, isAddress, isAddressEqual, isHex, recoverTypedDataAddress } from "viem";
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { MeridianError } from "../errors.ts";

/** The `Authorization` scheme of an upload: `Meridian-Upload <token>`. */
export const UPLOAD_AUTHORIZATION_SCHEME = "Meridian-Upload";
/** Longest upload session: 24 hours, in seconds (`expiresAt − issuedAt`). */
export const MAX_UPLOAD_SESSION_SECONDS = 86_400;
/** Lifetime of a session made by {@link createUploadAuthorizer} unless told otherwise: 8 hours, in seconds. */
export const DEFAULT_UPLOAD_SESSION_SECONDS = 8 * 3600;
/** How far an upload's timestamp may be from the server's clock, either way: 5 minutes, in seconds. */
export const UPLOAD_SIGNATURE_MAX_AGE_SECONDS = 300;

/** Where uploads are authorised: the deployment's chain and `RecordRegistry` (the EIP-712 domain). */
export interface UploadDomain {
  /** EIP-155 chain id. */
  chainId: number;
  /** `RecordRegistry` address (the domain's `verifyingContract`). */
  recordRegistry: Address;
}

/** A session the account's wallet signed ({@link uploadSessionTypedData}); times in unix seconds. */
export interface UploadSession {
  /** The account uploads are charged to (an EOA or an ERC-1271 contract account). */
  account: Address;
  /** Address of the session's secp256k1 key, which signs each upload. */
  sessionKey: Address;
  issuedAt: number;
  expiresAt: number;
  /** The account's EIP-712 signature of the session (65 bytes for an EOA, any length for ERC-1271). */
  signature: Hex;
}

/** One upload, signed by the session key ({@link blobUploadTypedData}). */
export interface BlobUpload {
  /** The envelope's ciphertext hash (`crypto/ciphertext-hash.ts`), `0x` + 64 hex. */
  ciphertextHash: Hex;
  /** The envelope's length in bytes. */
  size: number;
  /** When it was signed, unix seconds. */
  timestamp: number;
  /** 32 random bytes, `0x` + 64 hex. */
  nonce: Hex;
  /** The session key's 65-byte signature. */
  signature: Hex;
}

/** What an upload's `Authorization` header carries. */
export interface UploadAuthorization {
  session: UploadSession;
  upload: BlobUpload;
}

/** EIP-712 types of an upload session. */
export const uploadSessionTypes = {
  UploadSession: [
    { name: "account", type: "address" },
    { name: "sessionKey", type: "address" },
    { name: "issuedAt", type: "uint40" },
    { name: "expiresAt", type: "uint40" },
  ],
} as const;

/** EIP-712 types of one upload. */
export const blobUploadTypes = {
  BlobUpload: [
    { name: "ciphertextHash", type: "bytes32" },
    { name: "size", type: "uint64" },
    { name: "timestamp", type: "uint40" },
    { name: "nonce", type: "bytes32" },
  ],
} as const;

const domainOf = (d: UploadDomain) => ({
  name: "Meridian RecordRegistry",
  version: "1",
  chainId: d.chainId,
  verifyingContract: d.recordRegistry,
});

/**
 * The EIP-712 typed data an account's wallet signs to open an upload session (for viem's
 * `signTypedData` / `verifyTypedData`).
 */
export function uploadSessionTypedData(domain: UploadDomain, session: Omit<UploadSession, "signature">) {
  return {
    domain: domainOf(domain),
    types: uploadSessionTypes,
    primaryType: "UploadSession" as const,
    message: {
      account: session.account,
      sessionKey: session.sessionKey,
      issuedAt: session.issuedAt,
      expiresAt: session.expiresAt,
    },
  };
}

/** The EIP-712 typed data a session key signs for one upload. */
export function blobUploadTypedData(domain: UploadDomain, upload: Omit<BlobUpload, "signature">) {
  return {
    domain: domainOf(domain),
    types: blobUploadTypes,
    primaryType: "BlobUpload" as const,
    message: {
      ciphertextHash: upload.ciphertextHash,
      size: BigInt(upload.size),
      timestamp: upload.timestamp,
      nonce: upload.nonce,
    },
  };
}

/** `text` (UTF-8) as unpadded base64url (RFC 4648 §5), the encoding of upload and pinning tokens. */
export const base64url = (text: string): string =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
/** The UTF-8 text of an unpadded base64url token; throws on characters outside the alphabet. */
export const fromBase64url = (token: string): string =>
  new TextDecoder().decode(Uint8Array.from(atob(token.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)));

/** The `Authorization` header value for `authorization`: `Meridian-Upload <base64url(JSON)>`. */
export function encodeUploadAuthorization(authorization: UploadAuthorization): string {
  return `${UPLOAD_AUTHORIZATION_SCHEME} ${base64url(JSON.stringify(authorization))}`;
}

/** Why an upload's authorisation was refused; `reason` names the check (every one is HTTP 401). */
export class UploadAuthorizationError extends MeridianError {
  override name = "UploadAuthorizationError" as const;
  /** Which check failed. */
  readonly reason:
    | "missing"
    | "malformed"
    | "session-expired"
    | "bad-session-signature"
    | "stale-upload"
    | "bad-upload-signature"
    | "mismatch";
  constructor(reason: UploadAuthorizationError["reason"], message: string, hint: string, details?: string) {
    super(message, { hint, ...(details ? { details } : {}) });
    this.reason = reason;
  }
}

const SIGN_IN_AGAIN =
  "Upload through the Meridian app or SDK (createHttpStore with an upload authorizer), which signs each upload.";

/**
 * Reads an `Authorization: Meridian-Upload …` header; checks its shape only.
 * @throws {UploadAuthorizationError} `missing` or `malformed`.
 */
export function decodeUploadAuthorization(header: string | null): UploadAuthorization {
  if (!header)
    throw new UploadAuthorizationError(
      "missing",
      "Uploads must be authorised by a registered Meridian account.",
      SIGN_IN_AGAIN,
    );
  const [scheme, token, ...rest] = header.trim().split(/\s+/);
  if (scheme !== UPLOAD_AUTHORIZATION_SCHEME || !token || rest.length > 0 || !/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new UploadAuthorizationError(
      "malformed",
      `The Authorization header is not "${UPLOAD_AUTHORIZATION_SCHEME} <token>".`,
      SIGN_IN_AGAIN,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fromBase64url(token));
  } catch {
    throw new UploadAuthorizationError(
      "malformed",
      "The upload authorisation token is not base64url JSON.",
      SIGN_IN_AGAIN,
    );
  }
  const s = (raw as { session?: Record<string, unknown> })?.session;
  const u = (raw as { upload?: Record<string, unknown> })?.upload;
  const seconds = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0 && v < 2 ** 40;
  const hex = (v: unknown, bytes?: number) =>
    typeof v === "string" &&
    isHex(v, { strict: true }) &&
    (bytes === undefined ? v.length > 2 : v.length === 2 + 2 * bytes);
  const ok =
    s &&
    u &&
    typeof s.account === "string" &&
    isAddress(s.account) &&
    typeof s.sessionKey === "string" &&
    isAddress(s.sessionKey) &&
    seconds(s.issuedAt) &&
    seconds(s.expiresAt) &&
    hex(s.signature) &&
    hex(u.ciphertextHash, 32) &&
    typeof u.size === "number" &&
    Number.isSafeInteger(u.size) &&
    u.size >= 0 &&
    seconds(u.timestamp) &&
    hex(u.nonce, 32) &&
    hex(u.signature, 65);
  if (!ok)
    throw new UploadAuthorizationError(
      "malformed",
      "The upload authorisation token lacks a field or has one of the wrong type.",
      SIGN_IN_AGAIN,
    );
  return { session: s as unknown as UploadSession, upload: u as unknown as BlobUpload };
}

/** Parameters of {@link verifyUploadSession}. */
export interface VerifyUploadSessionParameters {
  /** Reads the chain the deployment is on (ERC-1271 accounts are checked through it). */
  publicClient: PublicClient<Transport, Chain | undefined>;
  domain: UploadDomain;
  session: UploadSession;
  /** The server's clock, unix seconds. */
  now: number;
}

/**
 * Checks an upload session: issued no later than {@link UPLOAD_SIGNATURE_MAX_AGE_SECONDS} from
 * now, not expired, at most {@link MAX_UPLOAD_SESSION_SECONDS} long, and signed by its account
 * (viem `verifyTypedData`: ECDSA for an EOA, ERC-1271 `isValidSignature` for a contract account).
 * @throws {UploadAuthorizationError} `session-expired` or `bad-session-signature`.
 */
export async function verifyUploadSession(p: VerifyUploadSessionParameters): Promise<void> {
  const { session, now } = p;
  if (
    session.expiresAt <= now ||
    session.issuedAt > now + UPLOAD_SIGNATURE_MAX_AGE_SECONDS ||
    session.expiresAt - session.issuedAt > MAX_UPLOAD_SESSION_SECONDS
  ) {
    throw new UploadAuthorizationError(
      "session-expired",
      "The upload session has expired or is not valid now.",
      "Sign a new upload session (the app asks again on the next upload).",
      `issued ${session.issuedAt}, expires ${session.expiresAt}, server time ${now} (unix seconds); ` +
        `a session lasts at most ${MAX_UPLOAD_SESSION_SECONDS} s`,
    );
  }
  let valid = false;
  try {
    valid = await p.publicClient.verifyTypedData({
      address: session.account,
      signature: session.signature,
      ...uploadSessionTypedData(p.domain, session),
    });
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new UploadAuthorizationError(
      "bad-session-signature",
      "The upload session is not signed by the account it names.",
      "Sign the upload session with the account's own wallet, on this app's network.",
      `account ${session.account}`,
    );
  }
}

/** Parameters of {@link verifyBlobUpload}. */
export interface VerifyBlobUploadParameters {
  domain: UploadDomain;
  authorization: UploadAuthorization;
  /** The ciphertext hash the server computed from the bytes it received. */
  ciphertextHash: Hex;
  /** The number of bytes the server received. */
  size: number;
  /** The server's clock, unix seconds. */
  now: number;
}

/**
 * Checks one upload against the bytes received: the signed ciphertext hash and length are the
 * received bytes', the timestamp is within {@link UPLOAD_SIGNATURE_MAX_AGE_SECONDS} of now and
 * inside the session, and the signature recovers to the session key (local ECDSA, no RPC).
 * @throws {UploadAuthorizationError} `mismatch`, `stale-upload` or `bad-upload-signature`.
 */
export async function verifyBlobUpload(p: VerifyBlobUploadParameters): Promise<void> {
  const { session, upload } = p.authorization;
  if (upload.ciphertextHash.toLowerCase() !== p.ciphertextHash.toLowerCase() || upload.size !== p.size) {
    throw new UploadAuthorizationError(
      "mismatch",
      "The upload signature is for other bytes than the ones received.",
      "Sign the exact envelope you send; do not change it after signing.",
      `signed ${upload.size} bytes with ciphertext hash ${upload.ciphertextHash}; ` +
        `received ${p.size} bytes with ciphertext hash ${p.ciphertextHash}`,
    );
  }
  if (Math.abs(upload.timestamp - p.now) > UPLOAD_SIGNATURE_MAX_AGE_SECONDS || upload.timestamp > session.expiresAt) {
    throw new UploadAuthorizationError(
      "stale-upload",
      "The upload signature is too old or from the future.",
      "Check this computer's clock and upload again; each upload is signed when it is sent.",
      `signed at ${upload.timestamp}, server time ${p.now} (unix seconds)`,
    );
  }
  let signer: Address | undefined;
  try {
    signer = await recoverTypedDataAddress({ signature: upload.signature, ...blobUploadTypedData(p.domain, upload) });
  } catch {
    signer = undefined;
  }
  if (signer === undefined || !isAddressEqual(signer, session.sessionKey)) {
    throw new UploadAuthorizationError(
      "bad-upload-signature",
      "The upload is not signed by the session's key.",
      SIGN_IN_AGAIN,
    );
  }
}

/** Signs uploads for one account: see {@link createUploadAuthorizer}. */
export interface UploadAuthorizer {
  /** The account uploads are charged to. */
  readonly account: Address;
  /**
   * The `Authorization` header value for uploading an envelope with this ciphertext hash and
   * length; opens a session first (one wallet signature) when there is none or it ends within a minute.
   */
  authorize(upload: { ciphertextHash: Hex; size: number }): Promise<string>;
  /** Forgets the session (and its key), so the next upload opens a new one. */
  reset(): void;
}

/** Parameters of {@link createUploadAuthorizer}. */
export interface CreateUploadAuthorizerParameters {
  /** The account's wallet; it signs one `UploadSession` per session (`eth_signTypedData_v4`). */
  walletClient: WalletClient<Transport, Chain | undefined, Account>;
  domain: UploadDomain;
  /**
   * Session lifetime in seconds, 60 to {@link MAX_UPLOAD_SESSION_SECONDS}
   * (default {@link DEFAULT_UPLOAD_SESSION_SECONDS}).
   */
  sessionSeconds?: number;
  /** The clock, unix seconds (default: `Date.now()`). */
  now?: () => number;
}

/**
 * Returns an {@link UploadAuthorizer} for the wallet's account: the first upload asks the wallet
 * to sign an `UploadSession` for a fresh in-memory session key (one prompt); every upload until
 * the session ends is signed by that key without a prompt. A refused prompt is not remembered.
 *
 * @throws {MeridianError} from `authorize` when `sessionSeconds` is out of range; the wallet's own
 *   error when it refuses to sign.
 * @example
 * ```ts
 * const authorizer = createUploadAuthorizer({ walletClient, domain: { chainId, recordRegistry } });
 * const store = createHttpStore({ baseUrl: "/api/blobs", authorizer });
 * ```
 */
export function createUploadAuthorizer(p: CreateUploadAuthorizerParameters): UploadAuthorizer {
  const lifetime = p.sessionSeconds ?? DEFAULT_UPLOAD_SESSION_SECONDS;
  const now = p.now ?? (() => Math.floor(Date.now() / 1000));
  const account = p.walletClient.account.address;
  let current: Promise<{ session: UploadSession; key: ReturnType<typeof privateKeyToAccount> }> | undefined;

  const open = async () => {
    if (!Number.isSafeInteger(lifetime) || lifetime < 60 || lifetime > MAX_UPLOAD_SESSION_SECONDS) {
      throw new MeridianError(`An upload session lasts 60 to ${MAX_UPLOAD_SESSION_SECONDS} seconds, not ${lifetime}.`, {
        hint: "Pass sessionSeconds within that range.",
      });
    }
    const key = privateKeyToAccount(generatePrivateKey());
    const issuedAt = now();
    const unsigned = { account, sessionKey: key.address, issuedAt, expiresAt: issuedAt + lifetime };
    const signature = await p.walletClient.signTypedData({
      account: p.walletClient.account,
      ...uploadSessionTypedData(p.domain, unsigned),
    });
    return { session: { ...unsigned, signature }, key };
  };

  return {
    account,
    async authorize(upload) {
      if (current) {
        const held = await current.catch(() => undefined);
        if (!held || held.session.expiresAt - 60 <= now()) current = undefined;
      }
      current ??= open();
      const attempt = current;
      let held;
      try {
        held = await attempt;
      } catch (error) {
        if (current === attempt) current = undefined; // a refused prompt is asked again next time
        throw error;
      }
      const unsigned = {
        ciphertextHash: upload.ciphertextHash,
        size: upload.size,
        timestamp: now(),
        nonce: bytesToHex(crypto.getRandomValues(new Uint8Array(32))),
      };
      const signature = await held.key.signTypedData(blobUploadTypedData(p.domain, unsigned));
      return encodeUploadAuthorization({ session: held.session, upload: { ...unsigned, signature } });
    },
    reset() {
      current = undefined;
    },
  };
}
