/**
 * Who may use a node: a registered patient (`RecordRegistry.getPatient`) or an active provider
 * (`ProviderRegistry.isActive`), proven by a pinning access token (`Authorization: Bearer …`,
 * `verifyPinningAccessToken`) for pins, or by an upload authorisation (`Meridian-Upload …`,
 * `upload-auth.ts`) for uploads. Verified sessions and roles are cached for a minute; upload
 * nonces are remembered so a signed upload cannot be replayed.
 *
 * @module
 */

import type { Address } from "viem";
import { getPatient, getProvider, ProviderStatus, type MeridianContext } from "@meridian/sdk/chain";
import {
  MAX_UPLOAD_SESSION_SECONDS,
  PinningAccessTokenError,
  UPLOAD_SIGNATURE_MAX_AGE_SECONDS,
  UploadAuthorizationError,
  verifyPinningAccessToken,
  verifyUploadSession,
  type UploadAuthorization,
  type UploadDomain,
} from "@meridian/sdk/storage";

/** A request the node refuses: HTTP status, spec reason code and plain words. */
export class Refusal extends Error {
  override name = "Refusal" as const;
  readonly status: number;
  readonly reason: string;
  readonly details: string;
  readonly hint: string | undefined;
  constructor(status: number, reason: string, details: string, hint?: string) {
    super(details);
    this.status = status;
    this.reason = reason;
    this.details = details;
    this.hint = hint;
  }
}

const ROLE_CACHE_SECONDS = 60;
const CACHE_LIMIT = 50_000;

function remember(map: Map<string, number>, key: string, until: number, now: number): void {
  if (map.size >= CACHE_LIMIT) for (const [k, at] of map) if (at <= now) map.delete(k);
  if (map.size >= CACHE_LIMIT) map.delete(map.keys().next().value!);
  map.set(key, until);
}

/** The node's access checks over one deployment; see the module's comment. */
export class AccessControl {
  readonly domain: UploadDomain;
  #roles = new Map<string, number>();
  #sessions = new Map<string, number>();
  #nonces = new Map<string, number>();

  readonly chain: MeridianContext;

  constructor(chain: MeridianContext) {
    this.chain = chain;
    this.domain = { chainId: chain.deployment.chainId, recordRegistry: chain.deployment.recordRegistry };
  }

  /**
   * Checks that `account` is a registered patient or an active provider.
   * @throws {Refusal} 403 `FORBIDDEN` otherwise.
   */
  async requireMember(account: Address, now = Math.floor(Date.now() / 1000)): Promise<void> {
    const key = account.toLowerCase();
    if ((this.#roles.get(key) ?? 0) > now) return;
    const member =
      (await getPatient(this.chain, account)).registered ||
      (await getProvider(this.chain, account)).status === ProviderStatus.Active;
    if (!member) {
      throw new Refusal(
        403,
        "FORBIDDEN",
        `Account ${account} may not store on this node: it is neither a registered patient nor an active provider.`,
        "Register as a patient, or ask the regulator to admit (or reinstate) your organisation.",
      );
    }
    remember(this.#roles, key, now + ROLE_CACHE_SECONDS, now);
  }

  /**
   * The account a pinning request speaks for (its bearer token, then its role).
   * @throws {Refusal} 401 `UNAUTHORIZED` for a missing, malformed, expired or forged token; 403 `FORBIDDEN`.
   */
  async pinningAccount(request: Request): Promise<Address> {
    const now = Math.floor(Date.now() / 1000);
    let account: Address;
    try {
      ({ account } = await verifyPinningAccessToken({
        token: request.headers.get("authorization"),
        publicClient: this.chain.publicClient,
        domain: this.domain,
        now,
      }));
    } catch (error) {
      if (error instanceof PinningAccessTokenError)
        throw new Refusal(401, "UNAUTHORIZED", `${error.shortMessage}${error.details ? ` (${error.details})` : ""}`);
      throw error;
    }
    await this.requireMember(account, now);
    return account;
  }

  /**
   * Checks an upload's session (cached once verified).
   * @throws {UploadAuthorizationError} `session-expired` or `bad-session-signature`.
   */
  async verifySession(auth: UploadAuthorization, now: number): Promise<void> {
    const s = auth.session;
    const key = [s.account, s.sessionKey, s.issuedAt, s.expiresAt, s.signature].join(":").toLowerCase();
    if ((this.#sessions.get(key) ?? 0) > now) return;
    await verifyUploadSession({ publicClient: this.chain.publicClient, domain: this.domain, session: s, now });
    remember(this.#sessions, key, Math.min(s.expiresAt, now + MAX_UPLOAD_SESSION_SECONDS), now);
  }

  /**
   * Records an upload's nonce.
   * @throws {UploadAuthorizationError} `stale-upload` when the same signed upload was already used.
   */
  useNonce(auth: UploadAuthorization, now: number): void {
    const key = `${auth.session.sessionKey}:${auth.upload.nonce}`.toLowerCase();
    if ((this.#nonces.get(key) ?? 0) > now)
      throw new UploadAuthorizationError(
        "stale-upload",
        "This upload signature was already used.",
        "Sign each upload afresh (the app and SDK do).",
      );
    remember(this.#nonces, key, now + 2 * UPLOAD_SIGNATURE_MAX_AGE_SECONDS, now);
  }
}
