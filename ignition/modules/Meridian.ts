import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { deployRecordRegistries } from "../lib/registries.ts";

/**
 * Deploys a Meridian network: `ProviderRegistry` (membership, governed by the regulator),
 * `RecordRegistry` (patients, records, grants, requests) and `MonitoringRegistry` (remote ECG
 * monitoring: devices, monitoring provider, sessions).
 *
 * Parameters (ignition/parameters/*.json or `--parameters`):
 * - `admin`: holder of DEFAULT_ADMIN_ROLE; default the deployer.
 * - `regulator`: holder of REGULATOR_ROLE; default the deployer.
 *
 * For a testnet or production network use `MeridianGoverned.ts` instead: a timelock regulator
 * and a council multisig that can suspend at once (docs/governance.md).
 */
export default buildModule("Meridian", (m) => {
  const deployer = m.getAccount(0);
  const admin = m.getParameter("admin", deployer);
  const regulator = m.getParameter("regulator", deployer);
  const providerRegistry = m.contract("ProviderRegistry", [admin, regulator]);
  return { providerRegistry, ...deployRecordRegistries(m, providerRegistry) };
});
