/**
 * Removal deadlines. A report may carry its own (`deadlineAt`, or `deadline` as a duration
 * after the notice); otherwise the policy applies: `TDM_DEADLINE` (default 24 h, the Dutch
 * norm), or the duration set for the report's `source` in `TDM_DEADLINE_BY_SOURCE`. The
 * deadline is fixed when the report is stored, so a later change of the policy does not
 * rewrite the compliance of reports already made. An item reported several times keeps
 * the earliest deadline (the strictest order applies).
 */
import { ConfigError } from './errors.js';
import { parseDuration } from './duration.js';

/** The 24-hour norm. @default 86400000 */
export const DEFAULT_DEADLINE_MS = 24 * 3600_000;

export interface DeadlinePolicy {
  /** Time from the notice (or report) to the deadline. @default 86400000 */
  defaultMs: number;
  /** Per `source`: its own time to the deadline. */
  bySourceMs: Readonly<Record<string, number>>;
}

export const DEFAULT_DEADLINE_POLICY: DeadlinePolicy = { defaultMs: DEFAULT_DEADLINE_MS, bySourceMs: {} };

/**
 * The policy from the settings: `defaultMs` from TDM_DEADLINE and the `source=duration`
 * pairs of TDM_DEADLINE_BY_SOURCE (e.g. `regulator=1h,hotline=24h`).
 * @throws ConfigError when a duration is malformed or not positive
 */
export function compileDeadlinePolicy(defaultMs: number, bySource: Record<string, string>): DeadlinePolicy {
  const bySourceMs: Record<string, number> = {};
  for (const [source, text] of Object.entries(bySource)) {
    let ms: number;
    try {
      ms = parseDuration(text);
    } catch (error) {
      throw new ConfigError(`TDM_DEADLINE_BY_SOURCE: ${source}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (ms <= 0) throw new ConfigError(`TDM_DEADLINE_BY_SOURCE: ${source}: the deadline must be positive`);
    bySourceMs[source] = ms;
  }
  return { defaultMs, bySourceMs };
}

/** The policy's deadline for a report of `source` whose clock starts at `anchor` (notice, else report time). */
export function policyDeadline(anchor: Date, source: string, policy: DeadlinePolicy): Date {
  const ms = Object.hasOwn(policy.bySourceMs, source)
    ? (policy.bySourceMs[source] as number)
    : policy.defaultMs;
  return new Date(anchor.getTime() + ms);
}

/** met/missed: removed before/after the deadline; open: online, deadline ahead; overdue: online past it. */
export const DEADLINE_STATES = ['met', 'missed', 'open', 'overdue'] as const;
export type DeadlineState = (typeof DEADLINE_STATES)[number];
