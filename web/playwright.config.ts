import { defineConfig } from "@playwright/test";

const port = Number(process.env.E2E_PORT ?? 3100);
const chainPort = Number(process.env.E2E_CHAIN_PORT ?? 8646);
// hospital B's app (e2e/two-hospitals.spec.ts); `E2E_PORT_B` is read by e2e/fixtures.ts too
const portB = Number(process.env.E2E_PORT_B ?? port + 1);

/**
 * Browser tests: Debian's Chromium against the production build (`next build` first), a real
 * Hardhat node and the app's real Helia node, started fresh by the stack script (unseeded:
 * each test seeds what it needs through the SDK). The stack also starts two Meridian nodes
 * (hospital A's and B's; every upload through an app is pinned on both before it is answered) and
 * a second app server for hospital B on `E2E_PORT_B` (default `E2E_PORT` + 1), with its own IPFS
 * folder; where they listen is in `.meridian/e2e/stack.json`.
 */
export default defineConfig({
  testDir: "e2e",
  outputDir: "e2e-results",
  fullyParallel: false,
  workers: 1,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1280, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
    trace: "off",
    screenshot: "only-on-failure",
  },
  webServer: {
    command: [
      "node ../scripts/stack.ts --no-seed --no-build --fresh --nodes --data-dir .meridian/e2e",
      `--port ${port} --chain-port ${chainPort} --second-port ${portB}`,
    ].join(" "),
    url: `http://127.0.0.1:${port}/`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "pipe",
    env: { E2E: "1" },
  },
});
