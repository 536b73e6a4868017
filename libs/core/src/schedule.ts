/**
 * The check schedule: a fixed grid of slots per item. A slot is `phaseStart + k·interval`,
 * so the next check never drifts with the time a check took or the lateness of the
 * scheduler. A policy has phases relative to the item's anchor (its notice time, or its
 * report time), e.g. "every 5 minutes for the first 24 hours, then hourly".
 */
import { ConfigError } from './errors.js';
import { parseDuration } from './duration.js';

export interface SchedulePhase {
  intervalMs: number;
  /** Length of the phase from its start; null for the last, open-ended phase. */
  durationMs: number | null;
}

export interface SchedulePolicy {
  phases: SchedulePhase[];
  text: string;
}

/** `5m for 24h, then 1h` or `every 5m for 24h, then every 1h for 7d, then 1d`. */
export function parseSchedulePolicy(text: string): SchedulePolicy {
  const parts = text
    .split(/,|\bthen\b/i)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (parts.length === 0) throw new ConfigError(`empty schedule policy: "${text}"`);
  const phases = parts.map((part, index) => {
    const match = /^(?:every\s+)?(\S+)(?:\s+for\s+(\S+))?$/i.exec(part);
    if (!match)
      throw new ConfigError(`schedule policy phase "${part}": expected "<interval> for <duration>"`);
    const intervalMs = parseDuration(match[1] as string);
    if (intervalMs < 1000) throw new ConfigError(`schedule policy phase "${part}": interval below 1s`);
    const durationMs = match[2] === undefined ? null : parseDuration(match[2]);
    const last = index === parts.length - 1;
    if (!last && durationMs === null)
      throw new ConfigError(`schedule policy phase "${part}": only the last phase may be open-ended`);
    if (last && durationMs !== null)
      throw new ConfigError(`schedule policy "${text}": the last phase must be open-ended`);
    return { intervalMs, durationMs };
  });
  return { phases, text };
}

/** A fixed interval as a one-phase policy. */
export function fixedInterval(intervalMs: number): SchedulePolicy {
  return { phases: [{ intervalMs, durationMs: null }], text: `every ${intervalMs}ms` };
}

/** The first grid slot strictly after `after`, for a policy anchored at `anchor`. */
export function nextGridSlot(policy: SchedulePolicy, anchor: Date, after: Date): Date {
  let phaseStart = anchor.getTime();
  const t = after.getTime();
  for (const phase of policy.phases) {
    const phaseEnd = phase.durationMs === null ? Infinity : phaseStart + phase.durationMs;
    if (t < phaseEnd) {
      const candidate =
        t < phaseStart
          ? phaseStart
          : phaseStart + (Math.floor((t - phaseStart) / phase.intervalMs) + 1) * phase.intervalMs;
      if (candidate < phaseEnd) return new Date(candidate);
    }
    phaseStart = phaseEnd;
  }
  // Unreachable for a parsed policy (its last phase is open-ended); a hand-built one that
  // ends leaves an item with no next check, which is a configuration fault.
  throw new ConfigError(
    `schedule policy "${policy.text}" has no open-ended phase: no slot after ${after.toISOString()}`,
  );
}
