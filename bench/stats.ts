// Order statistics for the benchmarks' tables (bench/*): every bench reports medians and percentiles the same way.

/** The value at fraction `q` (0–1) of `xs` sorted ascending (nearest rank, rounding down; the largest for q = 1); NaN when empty. */
export function pct(xs: readonly number[], q: number): number {
  return [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? NaN;
}

/** The middle value of `xs` (the upper one of an even count); NaN when empty. */
export const median = (xs: readonly number[]): number => pct(xs, 0.5);
