/** Small statistics over a handful of rounds. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** a / b, or NaN when b is not a positive number. */
export function ratio(a: number, b: number): number {
  return b > 0 ? a / b : Number.NaN;
}

/** CPU seconds per 1,000 checks. */
export function perThousand(cpuSeconds: number, checks: number): number {
  return checks > 0 ? (cpuSeconds * 1000) / checks : Number.NaN;
}
