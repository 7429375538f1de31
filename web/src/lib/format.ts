import { categoryName, type RecordCategory } from "@meridian/sdk";
import type { GrantScope } from "@meridian/sdk/chain";

/** A Unix time in seconds as a local date and time, or "never" for 0. */
export function formatTime(seconds: number): string {
  if (!seconds) return "never";
  return new Date(seconds * 1000).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
}

/** A record category for display, e.g. "Vital signs" (capitalised `categoryName`). */
export function categoryLabel(category: number): string {
  const name = categoryName(category as RecordCategory).replace(/-/g, " ");
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** A grant or request scope in words. */
export function formatScope(scope: GrantScope): string {
  if (scope.kind === "all") return "All records";
  if (scope.kind === "category") return `${categoryLabel(scope.category)} records`;
  return `One record (${scope.recordId.slice(0, 10)}…)`;
}
