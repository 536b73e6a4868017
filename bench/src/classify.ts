/**
 * The verdict of the bare loop and of the Crawlee peer: the same three-way outcome the
 * prober gives, reduced to what this web can produce (a body, a changed body, a 404, an
 * error), so all contenders do the same work per check.
 */
export type BenchOutcome = 'online' | 'offline' | 'error';

export function classify(status: number | null, sha256: string | null, expected: string): BenchOutcome {
  if (status === null) return 'error';
  if (status >= 200 && status < 300) return sha256 === expected ? 'online' : 'offline';
  if (status === 429) return 'error';
  return 'offline';
}

/** Counts of outcomes in a window. */
export interface OutcomeCounts {
  online: number;
  offline: number;
  error: number;
}

export function emptyCounts(): OutcomeCounts {
  return { online: 0, offline: 0, error: 0 };
}
