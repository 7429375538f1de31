/** Provider kind codes (`IProviderRegistry.ProviderKind`) in words. */
export const KIND_NAMES: Record<number, string> = { 1: "Hospital", 2: "Clinic", 3: "Laboratory", 4: "Practitioner" };
/** Provider status codes (`IProviderRegistry.ProviderStatus`) in words. */
export const STATUS_NAMES: Record<number, string> = { 0: "Not admitted", 1: "Active", 2: "Suspended", 3: "Removed" };
