/**
 * Access tokens for a Meridian node's Pinning Service API (`Authorization: Bearer <token>`,
 * https://ipfs.github.io/pinning-services-api-spec/ v1.0.0): who asks a node to pin, so the
 * node can check the account is registered on chain and charge its quota.
 *
 * A token is an upload session of `upload-auth.ts` (the same EIP-712 `UploadSession`, the same
 * domain: "Meridian RecordRegistry", version "1", the chain id and the `RecordRegistry` address),
 * signed once by the account's wallet, and sent as base64url JSON `{ "session": UploadSession }`.
 * No new signature scheme: the session's `sessionKey` is the fixed address
 * {@link PINNING_SESSION_KEY}, which no one holds a key for, so a pinning token cannot sign
 * uploads and an upload session (whose session key is random) is not accepted as a pinning token.
 *
 * A token is a bearer credential: whoever holds it may ask nodes of this deployment to pin in the
 * account's name, within the account's quota, until it expires (at most 24 hours after it was
 * issued). It opens no record and changes nothing on chain.
 *
 * @module
 */

import { isAddressEqual } from "viem";
import type { Account, Address, Chain, PublicClient, Transport, WalletClient } from "viem";
import { MeridianError } from "../errors.ts";
import {
  base64url,
  DEFAULT_UPLOAD_SESSION_SECONDS,
  decodeUploadAuthorization,
  encodeUploadAuthorization,
  fromBase64url,
  MAX_UPLOAD_SESSION_SECONDS,
  UploadAuthorizationError,
  uploadSessionTypedData,
  verifyUploadSession,
  type UploadDomain,
  type UploadSession,
} from "./upload-auth.ts";

/**
 * The `sessionKey` of every pinning access token: `0x…50494e` ("PIN"), an address no one holds a
 * key for (see the module's comment).
 */
export const PINNING_SESSION_KEY: Address = "0x000000000000000000000000000000000050494e";

/** Why a pinning access token was refused (every reason is HTTP 401 at a node). */
export class PinningAccessTokenError extends MeridianError {
  override name = "PinningAccessTokenError" as const;
  /** Which check failed. */
  readonly reason: "missing" | "malformed" | "expired" | "bad-signature";
  constructor(reason: PinningAccessTokenError["reason"], shortMessage: string, details?: string) {
    super(shortMessage, {
      hint:
        "Make a new token with createPinningAccessToken (signed by a registered patient's or an active provider's " +
        "wallet, for this deployment) and send it as Authorization: Bearer <token>.",
      ...(details ? { details } : {}),
    });
    this.reason = reason;
  }
}

/** Parameters of {@link createPinningAccessToken}. */
export interface CreatePinningAccessTokenParameters {
  /** The wallet that signs the session (one `eth_signTypedData_v4`); with a local account, nothing leaves the process. */
  walletClient: WalletClient<Transport, Chain | undefined, Account | undefined>;
  /** The account that signs and is charged (default: the wallet client's account). */
  account?: Account | undefined;
  /** The deployment's EIP-712 domain (chain id and `RecordRegistry` address). */
  domain: UploadDomain;
  /** Seconds the token is valid, 60 to 86,400 (default 28,800: 8 hours). */
  lifetimeSeconds?: number;
  /** The clock, unix seconds (default `Date.now()`). */
  now?: number;
}

/** What {@link createPinningAccessToken} returns: the bearer token (base64url JSON, about 400 characters). */
export type CreatePinningAccessTokenReturnType = string;

/** Errors {@link createPinningAccessToken} throws. */
export type CreatePinningAccessTokenErrorType = MeridianError;

/**
 * Signs a pinning access token for the wallet's account: an `UploadSession` with
 * `sessionKey` {@link PINNING_SESSION_KEY}, valid from now for `lifetimeSeconds`.
 *
 * @throws {MeridianError} when `lifetimeSeconds` is out of range or there is no account; the
 *   wallet's own error when it refuses to sign.
 * @example
 * ```ts
 * const token = await createPinningAccessToken({ walletClient, domain: { chainId, recordRegistry } });
 * const pins = createPinningClient({ url: "https://node.hospital.example", accessToken: token });
 * ```
 */
export async function createPinningAccessToken(
  parameters: CreatePinningAccessTokenParameters,
): Promise<CreatePinningAccessTokenReturnType> {
  const lifetime = parameters.lifetimeSeconds ?? DEFAULT_UPLOAD_SESSION_SECONDS;
  if (!Number.isSafeInteger(lifetime) || lifetime < 60 || lifetime > MAX_UPLOAD_SESSION_SECONDS) {
    throw new MeridianError(
      `A pinning access token lasts 60 to ${MAX_UPLOAD_SESSION_SECONDS} seconds, not ${lifetime}.`,
      {
        hint: "Pass lifetimeSeconds within that range.",
      },
    );
  }
  const account = parameters.account ?? parameters.walletClient.account;
  if (!account) {
    throw new MeridianError("No account to sign the pinning access token.", {
      hint: "Pass a wallet client with an account, or the account.",
    });
  }
  const issuedAt = parameters.now ?? Math.floor(Date.now() / 1000);
  const unsigned = {
    account: account.address,
    sessionKey: PINNING_SESSION_KEY,
    issuedAt,
    expiresAt: issuedAt + lifetime,
  };
  const signature = await parameters.walletClient.signTypedData({
    account,
    ...uploadSessionTypedData(parameters.domain, unsigned),
  });
  return base64url(JSON.stringify({ session: { ...unsigned, signature } }));
}

/** Parameters of {@link verifyPinningAccessToken}. */
export interface VerifyPinningAccessTokenParameters {
  /** The token, or a whole `Authorization` header value (`Bearer <token>`); null or empty when none was sent. */
  token: string | null | undefined;
  /** Reads the chain (ERC-1271 accounts are checked through it). */
  publicClient: PublicClient<Transport, Chain | undefined>;
  /** The deployment's EIP-712 domain. */
  domain: UploadDomain;
  /** The verifier's clock, unix seconds (default `Date.now()`). */
  now?: number;
}

/** What {@link verifyPinningAccessToken} returns: the account the token speaks for, and its session. */
export interface VerifyPinningAccessTokenReturnType {
  account: Address;
  session: UploadSession;
}

/** Errors {@link verifyPinningAccessToken} throws. */
export type VerifyPinningAccessTokenErrorType = PinningAccessTokenError;

/**
 * Checks a pinning access token: its shape, that its session key is {@link PINNING_SESSION_KEY},
 * that it is valid now (issued at most 5 minutes in the future, not expired, at most 24 h long)
 * and signed by its account for this deployment (`verifyUploadSession`: ECDSA, or ERC-1271
 * through the RPC). Whether the account may pin (a registered patient or an active provider) is
 * the node's check.
 *
 * @throws {PinningAccessTokenError} `missing`, `malformed`, `expired` or `bad-signature`.
 * @example
 * ```ts
 * const { account } = await verifyPinningAccessToken({
 *   token: request.headers.get("authorization"),
 *   publicClient,
 *   domain,
 * });
 * ```
 */
export async function verifyPinningAccessToken(
  parameters: VerifyPinningAccessTokenParameters,
): Promise<VerifyPinningAccessTokenReturnType> {
  const raw = parameters.token?.trim() ?? "";
  if (raw === "") throw new PinningAccessTokenError("missing", "Pinning requests need an access token.");
  const match = /^(?:Bearer\s+)?([A-Za-z0-9_-]+)$/i.exec(raw);
  if (!match) {
    throw new PinningAccessTokenError("malformed", 'The Authorization header is not "Bearer <access token>".');
  }
  let session: UploadSession;
  try {
    const parsed = JSON.parse(fromBase64url(match[1]!)) as { session?: unknown };
    // Reuse the upload header's shape checks: a session plus a placeholder upload.
    const placeholder = { ciphertextHash: `0x${"0".repeat(64)}`, size: 0, timestamp: 0, nonce: `0x${"0".repeat(64)}` };
    const header = encodeUploadAuthorization({
      session: parsed.session as UploadSession,
      upload: { ...placeholder, signature: `0x${"0".repeat(130)}` } as never,
    });
    session = decodeUploadAuthorization(header).session;
  } catch {
    throw new PinningAccessTokenError("malformed", "The pinning access token is not a signed Meridian session.");
  }
  if (!isAddressEqual(session.sessionKey, PINNING_SESSION_KEY)) {
    throw new PinningAccessTokenError(
      "malformed",
      "This is an upload session, not a pinning access token.",
      `session key ${session.sessionKey}; a pinning token's is ${PINNING_SESSION_KEY}`,
    );
  }
  try {
    await verifyUploadSession({
      publicClient: parameters.publicClient,
      domain: parameters.domain,
      session,
      now: parameters.now ?? Math.floor(Date.now() / 1000),
    });
  } catch (error) {
    if (!(error instanceof UploadAuthorizationError)) throw error;
    const expired = error.reason === "session-expired";
    throw new PinningAccessTokenError(
      expired ? "expired" : "bad-signature",
      expired
        ? "The pinning access token has expired or is not valid yet."
        : "The pinning access token is not signed by the account it names, for this deployment.",
      error.details,
    );
  }
  return { account: session.account, session };
}
