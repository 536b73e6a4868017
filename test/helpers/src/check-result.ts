/** The one builder of synthetic check results (what a crawler would publish) for tests. */
import { jobIdFor, type CheckResult, type Outcome } from '@tdm/core';

export interface CheckResultOverrides extends Partial<CheckResult> {
  /** The check starts this long after its slot (ignored when `startedAt` is given). @default 100 */
  startedAfterMs?: number;
}

/** The HTTP status a removal reason implies (a status-code reason), else null. */
function statusOf(outcome: Outcome, reason: CheckResult['reason']): number | null {
  if (outcome === 'online') return 200;
  const code = /^http_(\d{3})$/.exec(reason ?? '')?.[1];
  return code === undefined ? null : Number(code);
}

/**
 * A result of `itemId` for the slot `scheduledAt`, consistent with its outcome: online
 * is a 200 with an image body and its hash, offline defaults to `http_404` (status 404),
 * error to `internal`; `overrides` win.
 */
export function makeCheckResult(
  itemId: number,
  scheduledAt: Date | string,
  outcome: Outcome,
  overrides: CheckResultOverrides = {},
): CheckResult {
  const { startedAfterMs = 100, ...fields } = overrides;
  const slot = new Date(scheduledAt);
  const online = outcome === 'online';
  const reason =
    fields.reason !== undefined
      ? fields.reason
      : online
        ? null
        : outcome === 'offline'
          ? 'http_404'
          : 'internal';
  return {
    jobId: jobIdFor(itemId, slot),
    itemId,
    scheduledAt: slot.toISOString(),
    startedAt: new Date(slot.getTime() + startedAfterMs).toISOString(),
    durationMs: 42,
    workerId: 'test-worker',
    outcome,
    reason,
    httpStatus: statusOf(outcome, reason),
    ip: '127.0.0.1',
    finalUrl: `http://item${itemId}.example/`,
    redirects: [],
    contentType: online ? 'image/jpeg' : null,
    bytes: online ? 2048 : 0,
    sha256: online ? 'a'.repeat(64) : null,
    sha1: null,
    md5: null,
    error: null,
    ...fields,
  };
}
