import { isAddressEqual, type Address } from "viem";
import { getPatient } from "@meridian/sdk/chain";
import {
  checkConsentCode,
  ConsentCodeFormatError,
  consentNonceUsed,
  ConsentCodeRefusedError,
  consentCodeHash,
  decodeConsentCode,
  shortConsentCode,
  type SignedConsentCode,
} from "@meridian/sdk/chain";
import type { MeridianContext } from "@meridian/sdk/chain";
import type { FailureLimiter } from "./rate-limit.ts";

/**
 * The app's in-memory relay for consent codes, so a provider can type the short code
 * (`XXXXX-XXXXX`) instead of scanning the QR code or pasting ~500 characters.
 *
 * What it holds is exactly what goes on chain anyway when the provider redeems the code (the
 * `ConsentCode` fields, the wrapped key sealed to that provider, the patient's signature): no
 * record content, no key anybody but the named provider can open. A code is useless to anyone
 * else (the contract checks the caller is its grantee) and after its deadline. Entries live in
 * this server process only, until the code's deadline (at most {@link MAX_LIFETIME_MS}).
 *
 * It accepts only codes the chain would accept ({@link publishConsentCode}): for this chain and
 * `RecordRegistry`, before their deadline, nonce unused, signed by the patient (EIP-712; an EOA
 * locally, an ERC-1271 account through the RPC, `checkConsentCode` in the SDK), from a registered
 * patient. An entry is never overwritten: the first valid publication of a short code wins and
 * publishing the same text again is a no-op. Live entries are capped per patient
 * ({@link MAX_ENTRIES_PER_PATIENT}), per client address ({@link MAX_ENTRIES_PER_CLIENT}) and in
 * all ({@link MAX_ENTRIES}, where only expired entries are evicted), so one patient or one client
 * cannot fill it for everyone else. Server side only (imported by `app/api/consent-codes/route.ts`).
 */

/** The largest request body accepted: 8 KiB. */
export const MAX_BODY_BYTES = 8 * 1024;
/** How long an entry is kept at most, whatever the code's deadline: 15 minutes. */
export const MAX_LIFETIME_MS = 15 * 60 * 1000;
/** How many codes are held at once. */
export const MAX_ENTRIES = 10_000;
/** Live codes one patient may have on the relay at once. */
export const MAX_ENTRIES_PER_PATIENT = 5;
/** Live codes one client address may have published at once (see `clientAddress` in rate-limit.ts). */
export const MAX_ENTRIES_PER_CLIENT = 20;
/** A short code as {@link shortConsentCode} writes it. */
export const SHORT_CODE = /^[A-Z2-7]{5}-[A-Z2-7]{5}$/;

/** A refusal with its HTTP status, a code, a message in plain words and what to do. */
export class RelayError extends Error {
  readonly status: number;
  readonly code: string;
  readonly hint: string | undefined;
  constructor(status: number, message: string, code = "bad-request", hint?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.hint = hint;
  }
}

interface Entry {
  text: string;
  expiresAtMs: number;
  patient: Address;
  client: string;
  nonce: bigint;
}
const entries = new Map<string, Entry>();

function sweep(nowMs: number) {
  for (const [key, entry] of entries) if (entry.expiresAtMs <= nowMs) entries.delete(key);
}

const live = (nowMs: number, match: (e: Entry) => boolean) => {
  let n = 0;
  for (const e of entries.values()) if (e.expiresAtMs > nowMs && match(e)) n++;
  return n;
};

/** Where {@link publishConsentCode} is called from. */
export interface PublishConsentCodeOptions {
  /** The client's address (`clientAddress`), for the per-client cap and failure limit. */
  client?: string;
  /** Failed publications per client; a client over its budget is refused with 429. */
  failures?: FailureLimiter;
  /** The clock, milliseconds (default `Date.now()`). */
  nowMs?: number;
  /** Caps other than the defaults (for tests): entries in all, per patient, per client. */
  limits?: { entries?: number; perPatient?: number; perClient?: number };
}

const SHOW_QR = "Let the provider scan the QR code or paste the whole text instead.";

/**
 * Stores a consent code's text under its short code until its deadline (capped at 15 minutes),
 * after checking it against `chain` (see the module's comment).
 * @returns the short code and the deadline (unix seconds).
 * @throws {RelayError} 400 when it is not a consent code, is for another chain or contract, is
 *   past its deadline or already used; 403 when the signature is not the patient's or the patient
 *   is not registered; 409 when another valid code holds the short code; 429 when the patient or
 *   the client holds too many live codes, or the client failed too often; 503 when the relay is
 *   full of live codes.
 */
export async function publishConsentCode(
  chain: MeridianContext,
  text: unknown,
  options: PublishConsentCodeOptions = {},
): Promise<{ shortCode: string; deadline: number }> {
  const nowMs = options.nowMs ?? Date.now();
  const client = options.client ?? "unknown";
  const wait = options.failures?.retryAfter(client, nowMs) ?? 0;
  if (wait > 0)
    throw new RelayError(
      429,
      "Too many refused consent codes from this client.",
      "too-many-failures",
      `Wait ${wait} seconds. ${SHOW_QR}`,
    );
  try {
    return await publish(chain, text, client, nowMs, {
      entries: options.limits?.entries ?? MAX_ENTRIES,
      perPatient: options.limits?.perPatient ?? MAX_ENTRIES_PER_PATIENT,
      perClient: options.limits?.perClient ?? MAX_ENTRIES_PER_CLIENT,
    });
  } catch (error) {
    if (error instanceof RelayError && error.status !== 409 && error.status !== 503)
      options.failures?.fail(client, nowMs);
    throw error;
  }
}

/** Drops `patient`'s entries whose code was redeemed or cancelled on chain (they can no longer be used). */
async function dropUsed(chain: MeridianContext, patient: Address): Promise<void> {
  for (const [key, e] of [...entries]) {
    if (isAddressEqual(e.patient, patient) && (await consentNonceUsed(chain, patient, e.nonce))) entries.delete(key);
  }
}

interface Caps {
  entries: number;
  perPatient: number;
  perClient: number;
}

async function publish(
  chain: MeridianContext,
  text: unknown,
  client: string,
  nowMs: number,
  caps: Caps,
): Promise<{ shortCode: string; deadline: number }> {
  if (typeof text !== "string" || text.length === 0)
    throw new RelayError(400, 'The body must be JSON { "text": "MERIDIAN-CONSENT:1:…" }.');
  let signed: SignedConsentCode;
  try {
    signed = decodeConsentCode(text);
  } catch (error) {
    if (error instanceof ConsentCodeFormatError)
      throw new RelayError(400, error.shortMessage, "not-a-consent-code", error.hint);
    throw error;
  }
  const { code } = signed;
  const deadlineMs = code.deadline * 1000;
  if (deadlineMs <= nowMs)
    throw new RelayError(400, "This consent code is past its deadline; make a new one.", "expired");
  sweep(nowMs);
  const shortCode = shortConsentCode(consentCodeHash(code));
  const normalText = text.replace(/\s+/g, "").toUpperCase();
  const held = entries.get(shortCode);
  if (held) {
    if (held.text === normalText) return { shortCode, deadline: code.deadline }; // the same publication again
    throw new RelayError(409, "Another consent code is already published under this short code.", "conflict", SHOW_QR);
  }
  const patient = code.patient;
  if (live(nowMs, (e) => e.client === client) >= caps.perClient) {
    throw new RelayError(
      429,
      `This client has ${caps.perClient} live consent codes on the relay already.`,
      "client-limit",
      `Wait until one expires (at most 15 minutes). ${SHOW_QR}`,
    );
  }
  if (live(nowMs, (e) => isAddressEqual(e.patient, patient)) >= caps.perPatient) await dropUsed(chain, patient);
  if (live(nowMs, (e) => isAddressEqual(e.patient, patient)) >= caps.perPatient) {
    throw new RelayError(
      429,
      `Patient ${code.patient} has ${caps.perPatient} live consent codes on the relay already.`,
      "patient-limit",
      `Wait until one is used or expires, or cancel one in the app. ${SHOW_QR}`,
    );
  }
  try {
    await checkConsentCode(chain, signed, { submitter: code.grantee, now: Math.floor(nowMs / 1000) });
  } catch (error) {
    if (!(error instanceof ConsentCodeRefusedError)) throw error;
    throw new RelayError(error.reason === "bad-signature" ? 403 : 400, error.shortMessage, error.reason, error.hint);
  }
  if (!(await getPatient(chain, code.patient)).registered) {
    throw new RelayError(
      403,
      `Account ${code.patient} is not a registered patient on this network.`,
      "not-registered",
      "Register as a patient in the app before making consent codes.",
    );
  }
  // the checks above awaited the chain: look again before storing
  const raced = entries.get(shortCode);
  if (raced) {
    if (raced.text === normalText) return { shortCode, deadline: code.deadline };
    throw new RelayError(409, "Another consent code is already published under this short code.", "conflict", SHOW_QR);
  }
  if (entries.size >= caps.entries) {
    sweep(nowMs);
    if (entries.size >= caps.entries)
      throw new RelayError(503, "The relay holds too many codes right now.", "relay-full", SHOW_QR);
  }
  entries.set(shortCode, {
    text: normalText,
    expiresAtMs: Math.min(deadlineMs, nowMs + MAX_LIFETIME_MS),
    patient,
    client,
    nonce: code.nonce,
  });
  return { shortCode, deadline: code.deadline };
}

/**
 * The text of the code published under `shortCode` (case, spaces and a missing dash do not matter).
 * @throws {RelayError} 400 when it is not a short code, 404 when unknown or expired.
 */
export function lookUpConsentCode(shortCode: string | null, nowMs = Date.now()): { text: string } {
  const compact = (shortCode ?? "").replace(/[\s-]+/g, "").toUpperCase();
  const normal = `${compact.slice(0, 5)}-${compact.slice(5)}`;
  if (!SHORT_CODE.test(normal))
    throw new RelayError(400, "A short code is 10 letters and digits 2-7, like ABCDE-FGH23.", "bad-short-code");
  const entry = entries.get(normal);
  if (!entry || entry.expiresAtMs <= nowMs) {
    entries.delete(normal);
    throw new RelayError(
      404,
      "No consent code with this short code: it was mistyped, has expired, or was made in another app. " +
        "Ask the patient for the QR code or the whole text.",
      "not-found",
    );
  }
  return { text: entry.text };
}

/** Forgets every entry (tests start from an empty relay). */
export function clearConsentRelay(): void {
  entries.clear();
}

/** Reads a request body as text, refusing more than `limit` bytes with a 413. */
export async function readBody(request: Request, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limit) throw new RelayError(413, `The body is larger than ${limit} bytes.`, "too-large");
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new RelayError(413, `The body is larger than ${limit} bytes.`, "too-large");
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}
