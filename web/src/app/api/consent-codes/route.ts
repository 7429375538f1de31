import { lookUpConsentCode, publishConsentCode, readBody, RelayError } from "@/lib/consent-relay.ts";
import { clientAddress, FailureLimiter, positiveIntegerFromEnv } from "@/lib/rate-limit.ts";
import { noDeployment, serverChain } from "@/lib/server-chain.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/*
 * The short-code relay for consent codes (see src/lib/consent-relay.ts). It learns only what goes
 * on chain anyway when the provider redeems the code: the signed grant fields, the key wrapped to
 * that provider and the patient's signature. No record content and no key it could open. It
 * accepts only codes signed by a registered patient for this deployment, never overwrites one,
 * and caps live codes per patient and per client.
 */

const failuresKey = Symbol.for("meridian.web.relayFailures");
type Holder = { [failuresKey]?: FailureLimiter };
/** Refused publications per client: `MERIDIAN_RELAY_MAX_FAILURES` per minute (default 20). */
function relayFailures(): FailureLimiter {
  const holder = globalThis as Holder;
  holder[failuresKey] ??= new FailureLimiter({
    maxFailures: positiveIntegerFromEnv("MERIDIAN_RELAY_MAX_FAILURES", 20),
    windowSeconds: 60,
  });
  return holder[failuresKey];
}

const refuse = (error: unknown): Response => {
  if (error instanceof RelayError) {
    return Response.json(
      { error: error.message, code: error.code, ...(error.hint ? { hint: error.hint } : {}) },
      { status: error.status, headers: { "cache-control": "no-store" } },
    );
  }
  throw error;
};

/** `{ text }` → `{ shortCode, deadline }`: publishes a consent code until its deadline (at most 15 minutes). */
export async function POST(request: Request): Promise<Response> {
  try {
    if (!/^application\/json\b/i.test(request.headers.get("content-type") ?? ""))
      throw new RelayError(400, "Send JSON (content-type: application/json).");
    const raw = await readBody(request);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new RelayError(400, "The body is not valid JSON.");
    }
    if (body === null || typeof body !== "object" || Array.isArray(body))
      throw new RelayError(400, 'The body must be a JSON object { "text": … }.');
    const chain = await serverChain();
    if (!chain) return noDeployment();
    const published = await publishConsentCode(chain, (body as { text?: unknown }).text, {
      client: clientAddress(request),
      failures: relayFailures(),
    });
    return Response.json(published, { status: 201, headers: { "cache-control": "no-store" } });
  } catch (error) {
    return refuse(error);
  }
}

/** `?code=XXXXX-XXXXX` → `{ text }`, or 404 when unknown or expired. */
export function GET(request: Request): Response {
  try {
    return Response.json(lookUpConsentCode(new URL(request.url).searchParams.get("code")), {
      headers: { "cache-control": "no-store" },
    });
  } catch (error) {
    return refuse(error);
  }
}
