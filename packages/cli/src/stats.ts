/** Small statistics helpers for reports (median and p95 by nearest rank). */

/** The `q`-quantile (0..1) of `values` by nearest rank; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * A summary of some measurements, in their unit (gas, milliseconds, …): median and p95 by nearest
 * rank. For no values, `median` and `p95` are NaN, `min` is Infinity and `max` is -Infinity.
 */
export interface Summary {
  /** How many values. */
  count: number;
  median: number;
  p95: number;
  min: number;
  max: number;
}

/** `{ count, median, p95, min, max }` of `values`. */
export function summarize(values: readonly number[]): Summary {
  return {
    count: values.length,
    median: quantile(values, 0.5),
    p95: quantile(values, 0.95),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}
