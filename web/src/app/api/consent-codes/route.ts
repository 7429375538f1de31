import { lookUpConsentCode, publishConsentCode, readBody, RelayError } from "@/lib/consent-relay.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/*
 * The short-code relay for consent codes (see src/lib/consent-relay.ts). It learns only what goes
 * on chain anyway when the provider redeems the code: the signed grant fields, the key wrapped to
 * that provider and the patient's signature. No record content and no key it could open.
 */

const refuse = (error: unknown): Response => {
  if (error instanceof RelayError) return Response.json({ error: error.message }, { status: error.status, headers: { "cache-control": "no-store" } });
  throw error;
};

/** `{ text }` → `{ shortCode, deadline }`: publishes a consent code until its deadline (at most 15 minutes). */
export async function POST(request: Request): Promise<Response> {
  try {
    if (!/^application\/json\b/i.test(request.headers.get("content-type") ?? "")) throw new RelayError(400, "Send JSON (content-type: application/json).");
    const raw = await readBody(request);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new RelayError(400, "The body is not valid JSON.");
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw new RelayError(400, "The body must be a JSON object { \"text\": … }.");
    return Response.json(publishConsentCode((body as { text?: unknown }).text), { status: 201, headers: { "cache-control": "no-store" } });
  } catch (error) {
    return refuse(error);
  }
}

/** `?code=XXXXX-XXXXX` → `{ text }`, or 404 when unknown or expired. */
export async function GET(request: Request): Promise<Response> {
  try {
    return Response.json(lookUpConsentCode(new URL(request.url).searchParams.get("code")), { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return refuse(error);
  }
}
