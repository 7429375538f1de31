import { createRequire } from "node:module";
import hardhatIgnition from "@nomicfoundation/hardhat-ignition";
import hardhatKeystore from "@nomicfoundation/hardhat-keystore";
import hardhatVerify from "@nomicfoundation/hardhat-verify";
import { configVariable, defineConfig } from "hardhat/config";

// Solidity is compiled with the `solc` npm package (wasm), pinned to 0.8.28, so nothing is
// downloaded at build time (these machines reach only the npm registry).
const require = createRequire(import.meta.url);
const solc = { version: "0.8.28", path: require.resolve("solc/soljson.js") } as const;
// NatSpec (userdoc, devdoc) is kept in the build info: scripts/generate-abis.ts reads each custom
// error's `@notice` and `@custom:hint` from it into the SDK's plain-language error messages.
const settings = {
  viaIR: true,
  optimizer: { enabled: true, runs: 10_000 },
  evmVersion: "cancun",
  outputSelection: { "*": { "*": ["userdoc", "devdoc"] } },
} as const;

export default defineConfig({
  // Deployment (Ignition), secrets (keystore) and source verification; tests use viem through
  // the test kit (@meridian/sdk/testing), so no ethers, mocha or typechain plugin.
  plugins: [hardhatIgnition, hardhatKeystore, hardhatVerify],
  solidity: {
    profiles: {
      default: { ...solc, settings },
      production: { ...solc, settings },
    },
  },
  networks: {
    // In-process EDR chain used by tests, the demo and benchmarks.
    hardhat: { type: "edr-simulated", chainType: "l1" },
    // `npx hardhat node` on this machine (chain id 31337).
    localhost: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
    // Public testnets: secrets come from environment variables or the Hardhat keystore
    // (`npx hardhat keystore set SEPOLIA_PRIVATE_KEY`); never from files in git.
    sepolia: {
      type: "http",
      chainType: "l1",
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("SEPOLIA_PRIVATE_KEY")],
    },
    amoy: {
      type: "http",
      chainType: "generic",
      chainId: 80002,
      url: configVariable("AMOY_RPC_URL"),
      accounts: [configVariable("AMOY_PRIVATE_KEY")],
    },
    // A permissioned consortium chain of hospital validators (any EVM JSON-RPC endpoint).
    consortium: {
      type: "http",
      chainType: "generic",
      url: configVariable("CONSORTIUM_RPC_URL"),
      accounts: [configVariable("CONSORTIUM_PRIVATE_KEY")],
    },
  },
  verify: {
    etherscan: { apiKey: configVariable("ETHERSCAN_API_KEY") },
  },
});
