import type { ContractFuture, IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";

/**
 * Deploys the registries that depend on the provider registry: `RecordRegistry` (patients,
 * records, grants, requests) and `MonitoringRegistry` (remote ECG monitoring). Shared by the
 * `Meridian` and `MeridianGoverned` modules, which differ only in how `ProviderRegistry` is
 * governed. Neither contract takes a role from the provider registry's regulator.
 */
export function deployRecordRegistries(m: IgnitionModuleBuilder, providerRegistry: ContractFuture<string>) {
  const recordRegistry = m.contract("RecordRegistry", [providerRegistry]);
  const monitoringRegistry = m.contract("MonitoringRegistry", [recordRegistry]);
  return { recordRegistry, monitoringRegistry };
}
