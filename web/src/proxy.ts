import { NextResponse } from "next/server";

/**
 * Sets the Content-Security-Policy on every response at request time, so the chain RPC the
 * browser may reach (`MERIDIAN_RPC_URL`) comes from the running server's configuration, not
 * from the build. Scripts only from this origin (Next's inline bootstrap needs
 * 'unsafe-inline' without nonces; eval only in development), no plugins, no framing, and
 * network access only to this origin and the chain RPC. Record content is rendered as text.
 */
export function proxy(): NextResponse {
  const dev = process.env.NODE_ENV !== "production";
  let rpcOrigin = "http://127.0.0.1:8545";
  try {
    rpcOrigin = new URL(process.env.MERIDIAN_RPC_URL ?? rpcOrigin).origin;
  } catch {
    // keep the default; the layout reports a bad configuration
  }
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ${rpcOrigin}${dev ? " ws:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  const response = NextResponse.next();
  response.headers.set("Content-Security-Policy", csp);
  return response;
}

export const config = { matcher: "/:path*" };
