/**
 * Record categories. The numeric values are the `Category` enum of `IRecordRegistry.sol`
 * (0 is `None`, never valid on chain); keep both in step. A category is what a
 * category-scoped grant covers, and each has its own key-encryption key (KEK) per epoch.
 *
 * @module
 */

/** Category codes as stored on chain (uint8). */
export const RecordCategory = {
  General: 1,
  Lab: 2,
  VitalSigns: 3,
  Cardiac: 4,
  Imaging: 5,
  Document: 6,
  Medication: 7,
  Immunization: 8,
  Procedure: 9,
} as const;

/** A category code (1..9). */
export type RecordCategory = (typeof RecordCategory)[keyof typeof RecordCategory];

/** A category's lower-case name as used by the CLI and in reports: `"lab"`, `"vital-signs"`, ... */
export type RecordCategoryName =
  "general" | "lab" | "vital-signs" | "cardiac" | "imaging" | "document" | "medication" | "immunization" | "procedure";

const NAMES: Record<RecordCategory, RecordCategoryName> = {
  1: "general",
  2: "lab",
  3: "vital-signs",
  4: "cardiac",
  5: "imaging",
  6: "document",
  7: "medication",
  8: "immunization",
  9: "procedure",
};

/** Every category code, in order. */
export const ALL_CATEGORIES: readonly RecordCategory[] = Object.values(RecordCategory);

/** The CLI name of a category code, e.g. `categoryName(2) === "lab"`. */
export function categoryName(category: RecordCategory): RecordCategoryName {
  return NAMES[category];
}

/** Parses a category name or code (`"lab"`, `"Lab"`, `"2"`); returns `undefined` when unknown. */
export function parseCategory(value: string | number): RecordCategory | undefined {
  const asNumber = typeof value === "number" ? value : /^\d+$/.test(value) ? Number(value) : NaN;
  if (Number.isInteger(asNumber) && asNumber in NAMES) return asNumber as RecordCategory;
  const wanted = String(value).toLowerCase().replace(/[_\s]/g, "-");
  for (const [code, name] of Object.entries(NAMES)) if (name === wanted) return Number(code) as RecordCategory;
  return undefined;
}
