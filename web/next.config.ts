import type { NextConfig } from "next";

const dev = process.env.NODE_ENV !== "production";
// The chain RPC the browser may talk to (the wallet talks to its own); default the local node.
const rpc = process.env.NEXT_PUBLIC_RPC_URL ?? "http://127.0.0.1:8545";

/**
 * Strict Content-Security-Policy: scripts only from this origin (Next's inline bootstrap needs
 * 'unsafe-inline' without nonces; no eval in production), no plugins, no framing, and network
 * access only to this origin and the chain RPC. Record content is rendered as text only.
 */
const csp = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  `connect-src 'self' ${new URL(rpc).origin}${dev ? " ws:" : ""}`,
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  transpilePackages: ["@meridian/sdk"],
  serverExternalPackages: ["helia", "blockstore-fs", "datastore-fs", "@helia/unixfs", "kubo-rpc-client"],
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "Content-Security-Policy", value: csp },
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "no-referrer" },
          { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
        ],
      },
    ];
  },
};

export default config;
