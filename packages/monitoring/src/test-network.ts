/**
 * Test support: a real in-process Hardhat/EDR chain with Meridian deployed, a real Helia node on
 * disk in a temporary folder, an admitted hospital with a published key, and SDK clients for
 * Hardhat's development accounts (local chains only). Exported as `@meridian/monitoring/testing`,
 * not by the package's main entry point (it loads Hardhat).
 *
 * @module
 */

// The SDK's test kit builds it; this module names it for the monitoring tests.
export { startTestNetwork, testAccount as devAccount, type TestNetwork } from "@meridian/sdk/testing";
