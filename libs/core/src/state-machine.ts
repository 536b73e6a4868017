/**
 * The item state machine: the one place that turns checks into an item's history.
 *
 * - pending → online on the first online check; pending → offline when a run of offline
 *   checks is confirmed (an item may be gone before we ever saw it).
 * - An offline run is a streak of consecutive offline checks. It confirms a removal after
 *   `confirmDefinitive` checks when every reason in it is definitive (404, 410, …), or
 *   after `confirmTransient` checks spanning at least `confirmTransientMinSpanMs`
 *   otherwise. `offlineAt` is the start time of the run's first check; `lastOnlineAt` is
 *   the start time of the last online check before it, so the true removal lies between.
 * - An online check ends any run; on a confirmed-offline item it is a reappearance: a new
 *   transition offline → online, the removal's timestamps stay in the history.
 * - `error` checks (our side's fault) are counted but neither extend nor end a run.
 * - Results are ordered by scheduled time: one not newer than the last applied is
 *   ignored, so a late or redelivered result never moves a timestamp.
 * - Start times need not follow scheduled times (a redelivered job runs late), so the
 *   timestamps are guarded by start time too: `lastOnlineAt` only moves forward; an
 *   offline check that started before the newest online sighting is stale evidence and
 *   neither starts nor extends a run (so `lastOnlineAt < offlineAt` always holds); an
 *   online check that started before the confirmed `offlineAt` is no reappearance.
 */
import type { ItemStatus, Transition } from './types.js';
import type { OfflineReason, Outcome, Reason } from './vocabulary.js';
import { isOfflineReason, reasonClass } from './vocabulary.js';

export interface ConfirmationPolicy {
  confirmDefinitive: number;
  confirmTransient: number;
  confirmTransientMinSpanMs: number;
}

/** The parts of a check the state machine needs. */
export interface CheckObservation {
  scheduledAt: Date;
  startedAt: Date;
  outcome: Outcome;
  reason: Reason | null;
}

export interface ApplyResult {
  /** False when the check was older than the last applied one (nothing changed). */
  applied: boolean;
  status: ItemStatus;
  transitions: Transition[];
  /** True while an offline run is open but not yet confirmed: worth an early re-check. */
  awaitingConfirmation: boolean;
}

export function newItemStatus(): ItemStatus {
  return {
    state: 'pending',
    checks: 0,
    firstCheckedAt: null,
    lastCheckedAt: null,
    lastScheduledAt: null,
    lastOnlineAt: null,
    offlineAt: null,
    offlineReason: null,
    confirmedAt: null,
    runStartedAt: null,
    runLength: 0,
    runAllDefinitive: true,
    runReason: null,
  };
}

function isConfirmed(status: ItemStatus, at: Date, policy: ConfirmationPolicy): boolean {
  if (status.runStartedAt === null) return false;
  if (status.runAllDefinitive && status.runLength >= policy.confirmDefinitive) return true;
  const span = at.getTime() - status.runStartedAt.getTime();
  return status.runLength >= policy.confirmTransient && span >= policy.confirmTransientMinSpanMs;
}

/** Applies one check to an item's status; pure, returns a new status. */
export function applyCheck(
  current: ItemStatus,
  check: CheckObservation,
  policy: ConfirmationPolicy,
): ApplyResult {
  if (current.lastScheduledAt !== null && check.scheduledAt.getTime() <= current.lastScheduledAt.getTime()) {
    return { applied: false, status: current, transitions: [], awaitingConfirmation: awaiting(current) };
  }
  const at = check.startedAt;
  const status: ItemStatus = {
    ...current,
    checks: current.checks + 1,
    firstCheckedAt: earliest(current.firstCheckedAt, at),
    lastCheckedAt: latest(current.lastCheckedAt, at),
    lastScheduledAt: check.scheduledAt,
  };
  const transitions: Transition[] = [];

  if (
    check.outcome === 'online' &&
    status.state === 'offline' &&
    status.offlineAt !== null &&
    at <= status.offlineAt
  ) {
    // Started before the confirmed removal: it saw the item before it went, so it is no
    // reappearance. A later check decides whether the item came back.
  } else if (check.outcome === 'online') {
    status.lastOnlineAt = latest(status.lastOnlineAt, at);
    status.runStartedAt = null;
    status.runLength = 0;
    status.runAllDefinitive = true;
    status.runReason = null;
    if (status.state !== 'online') {
      transitions.push({ from: status.state, to: 'online', at, reason: null });
      status.state = 'online';
    }
  } else if (check.outcome === 'offline' && status.lastOnlineAt !== null && at <= status.lastOnlineAt) {
    // Started before the newest online sighting: outdated by it, so it must not open a run
    // whose offlineAt would lie before lastOnlineAt.
  } else if (check.outcome === 'offline') {
    const reason: OfflineReason =
      check.reason !== null && isOfflineReason(check.reason) ? check.reason : 'http_5xx';
    if (status.runStartedAt === null) {
      status.runStartedAt = at;
      status.runLength = 0;
      status.runAllDefinitive = true;
    }
    status.runLength += 1;
    status.runAllDefinitive = status.runAllDefinitive && reasonClass(reason) === 'definitive';
    // The most telling reason: a definitive one wins over transient noise in the same run.
    if (
      status.runReason === null ||
      reasonClass(reason) === 'definitive' ||
      reasonClass(status.runReason) === 'transient'
    ) {
      status.runReason = reason;
    }
    if (status.state !== 'offline' && isConfirmed(status, at, policy)) {
      transitions.push({
        from: status.state,
        to: 'offline',
        at: status.runStartedAt,
        reason: status.runReason,
      });
      status.state = 'offline';
      status.offlineAt = status.runStartedAt;
      status.offlineReason = status.runReason;
      // The confirming check may have started before a late first check of the run.
      status.confirmedAt = latest(status.runStartedAt, at);
    }
  }
  // 'error' outcomes and stale checks: counted above, the run is left as it was.

  return { applied: true, status, transitions, awaitingConfirmation: awaiting(status) };
}

function earliest(current: Date | null, at: Date): Date {
  return current === null || at < current ? at : current;
}

function latest(current: Date | null, at: Date): Date {
  return current === null || at > current ? at : current;
}

function awaiting(status: ItemStatus): boolean {
  return status.state !== 'offline' && status.runLength > 0;
}

/** Time to removal in seconds: offlineAt − noticeSentAt (or reportedAt). */
export function timeToRemovalSeconds(
  offlineAt: Date | null,
  noticeSentAt: Date | null,
  reportedAt: Date,
): number | null {
  if (offlineAt === null) return null;
  return Math.round((offlineAt.getTime() - (noticeSentAt ?? reportedAt).getTime()) / 1000);
}
