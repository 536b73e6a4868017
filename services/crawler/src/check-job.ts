/**
 * One check: wait until the job's notBefore (its booked start in the domain's cluster-wide
 * pacing), then for the domain's local politeness slot (a guard), probe, and turn the
 * observation into a CheckResult tied to its job. `startedAt` is taken when the probe
 * really starts (after both waits), so schedule lateness includes queueing but duration
 * does not.
 */
import type { CheckJob, CheckResult, ProbeResult } from '@tdm/core';
import { waitForNotBefore } from './not-before.js';
import type { Politeness, Prober } from './ports.js';

/** The check was aborted (worker shutdown) before or while it ran: no result may be published. */
export const ABORTED = Symbol('aborted');

export interface RunCheckOptions {
  prober: Prober;
  politeness: Politeness;
  workerId: string;
  signal: AbortSignal;
  /** Bound of the wait for the job's notBefore. @default 15000 (DEFAULT_MAX_NOT_BEFORE_WAIT_MS) */
  maxNotBeforeWaitMs?: number;
}

/** Resolves with the promise, or ABORTED as soon as `signal` aborts. */
async function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return ABORTED;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<typeof ABORTED>((resolve) => {
    onAbort = () => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** A prober that threw (it should not): an `error`/`internal` check, never a removal. */
function internalFailure(job: CheckJob, error: unknown): ProbeResult {
  const name = error instanceof Error ? error.name : 'Error';
  return {
    outcome: 'error',
    reason: 'internal',
    httpStatus: null,
    ip: null,
    finalUrl: job.url,
    redirects: [],
    contentType: null,
    bytes: 0,
    sha256: null,
    sha1: null,
    md5: null,
    // Content-free: the error's class only, never a message that might quote a body.
    error: `prober failed: ${name}`,
  };
}

/** Runs one check; returns its result, or ABORTED when the worker is shutting down. */
export async function runCheck(
  job: CheckJob,
  options: RunCheckOptions,
): Promise<CheckResult | typeof ABORTED> {
  const { prober, politeness, signal } = options;
  let startedAt: Date | null = null;
  let startedMark = 0;
  // Before the politeness limiter, so the wait holds no domain or global slot.
  if (!(await waitForNotBefore(job, signal, options.maxNotBeforeWaitMs))) return ABORTED;
  const task = async (): Promise<ProbeResult | typeof ABORTED> => {
    // The politeness queue may release us after shutdown began: then do not start.
    if (signal.aborted) return ABORTED;
    startedAt = new Date();
    startedMark = performance.now();
    try {
      return await prober.probe(job.url, job.expected, { signal });
    } catch (error) {
      return internalFailure(job, error);
    }
  };
  const probe = await unlessAborted(politeness.schedule(job.registrableDomain, task), signal);
  // Checked again after the probe: an aborted probe reports `worker_shutdown`, which is
  // our side's failure, so the job goes back to the queue instead.
  if (probe === ABORTED || signal.aborted || startedAt === null) return ABORTED;
  const started: Date = startedAt;
  return {
    ...probe,
    jobId: job.jobId,
    itemId: job.itemId,
    scheduledAt: job.scheduledAt,
    startedAt: started.toISOString(),
    durationMs: Math.max(0, Math.round(performance.now() - startedMark)),
    workerId: options.workerId,
    // Copied unchanged: the results service checks it against the job's identity.
    ...(job.ticket !== undefined ? { ticket: job.ticket } : {}),
  };
}
