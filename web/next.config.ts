import type { NextConfig } from "next";

// The Content-Security-Policy is set per request in src/proxy.ts (it names the configured chain RPC).

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  transpilePackages: ["@meridian/sdk", "@meridian/ecg", "@meridian/monitoring"],
  serverExternalPackages: [
    "helia",
    "blockstore-fs",
    "datastore-fs",
    "kubo-rpc-client",
    "multiformats",
    "ipfs-unixfs",
    "ipfs-unixfs-importer",
    "ipfs-unixfs-exporter",
    "@ipld/dag-pb",
  ],
  headers() {
    return Promise.resolve([
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "no-referrer" },
          { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
        ],
      },
    ]);
  },
};

export default config;
