import {
  isProviderKindCode,
  isProviderStatusCode,
  ProviderKind,
  ProviderStatus,
  type ProviderKindCode,
  type ProviderStatusCode,
} from "@meridian/sdk/chain";

/** Provider kind codes (`IProviderRegistry.ProviderKind`) in words. */
export const KIND_NAMES: Readonly<Record<ProviderKindCode, string>> = {
  [ProviderKind.Hospital]: "Hospital",
  [ProviderKind.Clinic]: "Clinic",
  [ProviderKind.Lab]: "Laboratory",
  [ProviderKind.Practitioner]: "Practitioner",
};

/** Provider status codes (`IProviderRegistry.ProviderStatus`) in words. */
export const STATUS_NAMES: Readonly<Record<ProviderStatusCode, string>> = {
  [ProviderStatus.None]: "Not admitted",
  [ProviderStatus.Active]: "Active",
  [ProviderStatus.Suspended]: "Suspended",
  [ProviderStatus.Removed]: "Removed",
};

/** A provider kind code as read from the registry, in words (empty for a code this app does not know). */
export function providerKindLabel(kind: number): string {
  return isProviderKindCode(kind) ? KIND_NAMES[kind] : "";
}

/** A provider status code as read from the registry, in words (empty for a code this app does not know). */
export function providerStatusLabel(status: number): string {
  return isProviderStatusCode(status) ? STATUS_NAMES[status] : "";
}
