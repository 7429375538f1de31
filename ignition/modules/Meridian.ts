import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * Deploys a Meridian network: `ProviderRegistry` (membership, governed by the regulator),
 * `RecordRegistry` (patients, records, grants, requests) and `MonitoringRegistry` (remote ECG
 * monitoring: devices, monitoring provider, sessions).
 *
 * Parameters (ignition/parameters/*.json or `--parameters`):
 * - `admin`: holder of DEFAULT_ADMIN_ROLE; default the deployer. Use a multisig or a
 *   TimelockController outside local networks.
 * - `regulator`: holder of REGULATOR_ROLE; default the deployer.
 */
export default buildModule("Meridian", (m) => {
  const deployer = m.getAccount(0);
  const admin = m.getParameter("admin", deployer);
  const regulator = m.getParameter("regulator", deployer);
  const providerRegistry = m.contract("ProviderRegistry", [admin, regulator]);
  const recordRegistry = m.contract("RecordRegistry", [providerRegistry]);
  const monitoringRegistry = m.contract("MonitoringRegistry", [recordRegistry]);
  return { providerRegistry, recordRegistry, monitoringRegistry };
});
