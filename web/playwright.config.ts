import { defineConfig } from "@playwright/test";

const port = Number(process.env.E2E_PORT ?? 3100);
const chainPort = Number(process.env.E2E_CHAIN_PORT ?? 8646);

/**
 * Browser tests: Debian's Chromium against the production build (`next build` first), a real
 * Hardhat node and the app's real Helia node, started fresh by the stack script (unseeded:
 * each test seeds what it needs through the SDK).
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
    command: `node ../scripts/stack.ts --no-seed --no-build --fresh --port ${port} --chain-port ${chainPort} --data-dir .meridian/e2e`,
    url: `http://127.0.0.1:${port}/`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "pipe",
    env: { E2E: "1" },
  },
});
