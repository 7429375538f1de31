import { ConsentCodeFormatError, consentCodeHash, decodeConsentCode, shortConsentCode } from "@meridian/sdk/chain/consent.ts";

/**
 * The app's in-memory relay for consent codes, so a provider can type the short code
 * (`XXXXX-XXXXX`) instead of scanning the QR code or pasting ~500 characters.
 *
 * What it holds is exactly what goes on chain anyway when the provider redeems the code (the
 * `ConsentCode` fields, the wrapped key sealed to that provider, the patient's signature): no
 * record content, no key anybody but the named provider can open. A code is useless to anyone
 * else (the contract checks the caller is its grantee) and after its deadline. Entries live in
 * this server process only, until the code's deadline (at most {@link MAX_LIFETIME_MS}).
 * Server side only (imported by `app/api/consent-codes/route.ts`).
 */

/** The largest request body accepted: 8 KiB. */
export const MAX_BODY_BYTES = 8 * 1024;
/** How long an entry is kept at most, whatever the code's deadline: 15 minutes. */
export const MAX_LIFETIME_MS = 15 * 60 * 1000;
/** How many codes are held at once. */
export const MAX_ENTRIES = 10_000;
/** A short code as {@link shortConsentCode} writes it. */
export const SHORT_CODE = /^[A-Z2-7]{5}-[A-Z2-7]{5}$/;

/** A refusal with its HTTP status and a message in plain words. */
export class RelayError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

interface Entry { text: string; expiresAtMs: number }
const entries = new Map<string, Entry>();

function sweep(nowMs: number) {
  for (const [key, entry] of entries) if (entry.expiresAtMs <= nowMs) entries.delete(key);
}

/**
 * Stores a consent code's text under its short code until its deadline (capped at 15 minutes).
 * @returns the short code and the deadline (unix seconds).
 * @throws {RelayError} 400 when it is not a consent code or is past its deadline, 503 when full.
 */
export function publishConsentCode(text: unknown, nowMs = Date.now()): { shortCode: string; deadline: number } {
  if (typeof text !== "string" || text.length === 0) throw new RelayError(400, "The body must be JSON { \"text\": \"MERIDIAN-CONSENT:1:…\" }.");
  let signed;
  try {
    signed = decodeConsentCode(text);
  } catch (error) {
    if (error instanceof ConsentCodeFormatError) throw new RelayError(400, error.shortMessage);
    throw error;
  }
  const deadlineMs = signed.code.deadline * 1000;
  if (deadlineMs <= nowMs) throw new RelayError(400, "This consent code is past its deadline; make a new one.");
  sweep(nowMs);
  const shortCode = shortConsentCode(consentCodeHash(signed.code));
  if (!entries.has(shortCode) && entries.size >= MAX_ENTRIES) throw new RelayError(503, "The relay holds too many codes right now; let the provider scan the QR code or paste the text.");
  entries.set(shortCode, { text: text.replace(/\s+/g, "").toUpperCase(), expiresAtMs: Math.min(deadlineMs, nowMs + MAX_LIFETIME_MS) });
  return { shortCode, deadline: signed.code.deadline };
}

/**
 * The text of the code published under `shortCode` (case, spaces and a missing dash do not matter).
 * @throws {RelayError} 400 when it is not a short code, 404 when unknown or expired.
 */
export function lookUpConsentCode(shortCode: string | null, nowMs = Date.now()): { text: string } {
  const compact = (shortCode ?? "").replace(/[\s-]+/g, "").toUpperCase();
  const normal = `${compact.slice(0, 5)}-${compact.slice(5)}`;
  if (!SHORT_CODE.test(normal)) throw new RelayError(400, "A short code is 10 letters and digits 2-7, like ABCDE-FGH23.");
  const entry = entries.get(normal);
  if (!entry || entry.expiresAtMs <= nowMs) {
    entries.delete(normal);
    throw new RelayError(404, "No consent code with this short code: it was mistyped, has expired, or was made in another app. Ask the patient for the QR code or the whole text.");
  }
  return { text: entry.text };
}

/** Reads a request body as text, refusing more than `limit` bytes with a 413. */
export async function readBody(request: Request, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limit) throw new RelayError(413, `The body is larger than ${limit} bytes.`);
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
      throw new RelayError(413, `The body is larger than ${limit} bytes.`);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}
