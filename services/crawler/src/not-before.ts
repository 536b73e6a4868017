/**
 * Honouring a job's `notBefore`: the start time the scheduler booked for it in its
 * domain's cluster-wide pacing. The wait happens before the job asks the politeness
 * limiter for anything, so a waiting job holds neither a domain nor a global slot.
 */
import { MAX_NOT_BEFORE_WAIT_MS, sleep, type CheckJob } from '@tdm/core';

/**
 * The longest wait for a notBefore: the scheduler's pacing horizon plus clock slack
 * (MAX_NOT_BEFORE_WAIT_MS in @tdm/core, derived from MAX_PACING_HORIZON_MS). A notBefore
 * further ahead (a skewed clock, a bug) is waited for this long only.
 */
export const DEFAULT_MAX_NOT_BEFORE_WAIT_MS = MAX_NOT_BEFORE_WAIT_MS;

/** How long to wait before starting `job` at `nowMs`: 0 without or past its notBefore, never more than `maxWaitMs`. */
export function notBeforeDelayMs(job: Pick<CheckJob, 'notBefore'>, nowMs: number, maxWaitMs: number): number {
  if (job.notBefore === undefined) return 0;
  const at = Date.parse(job.notBefore);
  if (!Number.isFinite(at)) return 0;
  return Math.min(Math.max(0, maxWaitMs), Math.max(0, at - nowMs));
}

/** Sleeps until the job's notBefore (bounded); resolves false when `signal` aborted first. */
export async function waitForNotBefore(
  job: Pick<CheckJob, 'notBefore'>,
  signal: AbortSignal,
  maxWaitMs = DEFAULT_MAX_NOT_BEFORE_WAIT_MS,
): Promise<boolean> {
  if (signal.aborted) return false;
  const deadline = Date.now() + Math.max(0, maxWaitMs);
  // A timer may fire a millisecond before the wall clock reaches its time (timers run on
  // the monotonic clock, notBefore is wall time): sleep again for what is left, so a check
  // never starts before its booked time. Bounded by maxWaitMs from the first call.
  for (;;) {
    const now = Date.now();
    const delay = Math.min(notBeforeDelayMs(job, now, maxWaitMs), Math.max(0, deadline - now));
    if (delay === 0) return true;
    if (!(await sleep(delay, signal))) return false;
  }
}
