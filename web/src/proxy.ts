import { NextResponse, type NextRequest } from "next/server";
import { contentSecurityPolicy, newNonce } from "@/lib/csp.ts";

/**
 * Sets a per-request Content-Security-Policy (`contentSecurityPolicy` in `lib/csp.ts`): a fresh
 * nonce each request, on the request (Next reads the nonce from the request's CSP header while it
 * renders and puts it on its own scripts) and on the response. The chain RPC the browser may
 * reach (`MERIDIAN_RPC_URL`) comes from the running server's configuration, not from the build.
 * Every page renders per request (the root layout is `force-dynamic`), so no prerendered HTML
 * goes out with a stale or missing nonce. Record content is rendered as text.
 */
export function proxy(request: NextRequest): NextResponse {
  const dev = process.env.NODE_ENV !== "production";
  let rpcOrigin = "http://127.0.0.1:8545";
  try {
    rpcOrigin = new URL(process.env.MERIDIAN_RPC_URL ?? rpcOrigin).origin;
  } catch {
    // keep the default; the layout reports a bad configuration
  }
  const csp = contentSecurityPolicy(newNonce(), rpcOrigin, dev);
  const headers = new Headers(request.headers);
  headers.set("Content-Security-Policy", csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", csp);
  return response;
}

export const config = { matcher: "/:path*" };
