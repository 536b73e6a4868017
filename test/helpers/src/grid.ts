/**
 * Reading a fixed check grid back from the check logs: when it was kept again after a
 * fault, and whether a check went missing.
 */
import type { CheckLogEntry } from '@tdm/core';

export interface GridCheck {
  /** The slot (scheduledAt) and the start (startedAt), in ms since the epoch. */
  slot: number;
  started: number;
}

/** An item's checks in slot order. */
export function gridChecks(log: readonly CheckLogEntry[]): GridCheck[] {
  return log
    .map((check) => ({ slot: Date.parse(check.scheduledAt), started: Date.parse(check.startedAt) }))
    .sort((a, b) => a.slot - b.slot);
}

/**
 * How long after `since` every item was back on its grid: for each item, the first check
 * started at or after `since` that started within `onTimeMs` of its slot; the largest of
 * those delays. Infinity when an item has no such check.
 */
export function gridRecoveryMs(
  logs: ReadonlyArray<readonly GridCheck[]>,
  since: number,
  onTimeMs: number,
): number {
  let worst = 0;
  for (const checks of logs) {
    const back = checks.find((check) => check.started >= since && check.started - check.slot <= onTimeMs);
    worst = Math.max(worst, back === undefined ? Infinity : back.started - since);
  }
  return worst;
}

/**
 * Where a fixed grid lost a check: consecutive slots are one interval apart, unless the
 * scheduler was behind. A scheduler that claims slot S at time T publishes S once (late)
 * and continues at the first grid slot after T (no burst of missed slots), so a gap of g
 * is allowed only after a check that started at least g − interval after its slot. A check
 * lost in a fault leaves a gap after an on-time check. Returns a description of each
 * violation (empty: none). The first check is skipped: the first slot is the report time.
 */
export function gridViolations(checks: readonly GridCheck[], intervalMs: number): string[] {
  const problems: string[] = [];
  for (let i = 2; i < checks.length; i++) {
    const previous = checks[i - 1]!;
    const gap = checks[i]!.slot - previous.slot;
    if (gap % intervalMs !== 0) problems.push(`slot ${i}: gap ${gap} ms is off the grid`);
    else if (gap < intervalMs) problems.push(`slot ${i}: two checks of one slot`);
    else if (gap > intervalMs && previous.started - previous.slot < gap - intervalMs)
      problems.push(`slot ${i}: gap ${gap} ms after a check ${previous.started - previous.slot} ms late`);
  }
  return problems;
}
