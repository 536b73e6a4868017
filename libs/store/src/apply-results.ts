/**
 * applyResults: a batch of check results in one transaction and a constant number of
 * multi-row statements (lock, update items, insert transitions, insert check log).
 *
 * The batch's items are locked `FOR UPDATE` in item_id order, so two results services
 * applying overlapping batches cannot deadlock. Each item's results are applied in
 * scheduled-time order with the core state machine; a result not newer than the item's
 * last applied one changes nothing (applied=false), so a redelivered or late result
 * never moves a timestamp. Transitions and check-log rows are keyed by job id and
 * inserted ON CONFLICT DO NOTHING, a second guard against recording anything twice.
 */
import type { CheckResult, ItemState, ItemStatus } from '@tdm/core';
import { applyCheck, mediaTypeEssence } from '@tdm/core';
import type { Executor } from './executor.js';
import { iso, STATUS_COLUMNS, statusFromRow, type StatusRow } from './rows.js';
import type { AppliedResult, ApplyOptions } from './store.js';

interface ItemUpdate {
  itemId: number;
  status: ItemStatus;
  ip: string | null;
  /**
   * Whether `hoster` is known: a hoster table is configured and a result of the batch
   * reached an address. Then `hoster` is that address's hoster, or null when the table
   * names nobody for it; otherwise the item keeps the hoster it has.
   */
  hosterKnown: boolean;
  hoster: string | null;
  recheckAt: Date | null;
  /** The media type of the batch's first online check (kept only while the item has none). */
  firstContentType: string | null;
}

interface TransitionInsert {
  itemId: number;
  from: ItemState;
  to: ItemState;
  at: Date;
  reason: string | null;
  jobId: string;
  /** For a removal: the episode's bracket, kept with it so that a later reappearance leaves it readable. */
  lastOnlineAt: Date | null;
  confirmedAt: Date | null;
}

/** A result the store can place: a real item id and parseable times (anything else is skipped, applied=false). */
function isPlaceable(result: CheckResult): boolean {
  return (
    Number.isSafeInteger(result.itemId) &&
    result.itemId > 0 &&
    Number.isFinite(Date.parse(result.scheduledAt)) &&
    Number.isFinite(Date.parse(result.startedAt))
  );
}

export async function applyResults(
  tx: Executor,
  results: CheckResult[],
  options: ApplyOptions,
): Promise<AppliedResult[]> {
  if (results.length === 0) return [];
  const itemIds = [...new Set(results.filter(isPlaceable).map((r) => r.itemId))].sort((a, b) => a - b);
  const rows = await tx.query<StatusRow & { item_id: number | string }>(
    `SELECT item_id, ${STATUS_COLUMNS} FROM items WHERE item_id = ANY($1::bigint[]) ORDER BY item_id FOR UPDATE`,
    [itemIds],
  );
  const statuses = new Map<number, ItemStatus>(rows.map((row) => [Number(row.item_id), statusFromRow(row)]));

  const answers: AppliedResult[] = results.map((r) => ({
    jobId: r.jobId,
    applied: false,
    transitions: [],
    state: null,
  }));
  const order = results
    .map((result, index) => ({ result, index, at: Date.parse(result.scheduledAt) }))
    .filter(({ result }) => isPlaceable(result))
    .sort((a, b) => a.result.itemId - b.result.itemId || a.at - b.at || a.index - b.index);

  const updates = new Map<number, ItemUpdate>();
  const transitions: TransitionInsert[] = [];
  const logged: CheckResult[] = [];
  for (const { result, index } of order) {
    const current = statuses.get(result.itemId);
    if (current === undefined) continue; // unknown item: nothing to apply it to
    logged.push(result);
    const scheduledAt = new Date(result.scheduledAt);
    const outcome = applyCheck(
      current,
      { scheduledAt, startedAt: new Date(result.startedAt), outcome: result.outcome, reason: result.reason },
      options.policy,
    );
    answers[index] = {
      jobId: result.jobId,
      applied: outcome.applied,
      transitions: outcome.transitions,
      state: outcome.status.state,
    };
    if (!outcome.applied) continue;
    statuses.set(result.itemId, outcome.status);
    const previous = updates.get(result.itemId);
    updates.set(result.itemId, {
      itemId: result.itemId,
      status: outcome.status,
      ip: result.ip ?? previous?.ip ?? null,
      ...(options.hosterOf && result.ip !== null
        ? { hosterKnown: true, hoster: options.hosterOf(result.ip) }
        : { hosterKnown: previous?.hosterKnown ?? false, hoster: previous?.hoster ?? null }),
      // Only the newest result's view counts: a later online check cancels the early re-check.
      recheckAt:
        outcome.awaitingConfirmation && options.confirmRecheckDelayMs > 0
          ? new Date(scheduledAt.getTime() + options.confirmRecheckDelayMs)
          : null,
      firstContentType:
        previous?.firstContentType ??
        (result.outcome === 'online' ? mediaTypeEssence(result.contentType) : null),
    });
    for (const t of outcome.transitions) {
      transitions.push({
        itemId: result.itemId,
        from: t.from,
        to: t.to,
        at: t.at,
        reason: t.reason,
        jobId: result.jobId,
        // One check causes at most one transition, so the status after it is the episode's.
        lastOnlineAt: t.to === 'offline' ? outcome.status.lastOnlineAt : null,
        confirmedAt: t.to === 'offline' ? outcome.status.confirmedAt : null,
      });
    }
  }

  if (updates.size > 0) await writeStatuses(tx, [...updates.values()]);
  const rechecks = [...updates.values()].filter((u) => u.recheckAt !== null);
  if (rechecks.length > 0) await moveRechecksEarlier(tx, rechecks);
  if (transitions.length > 0) await insertTransitions(tx, transitions);
  if (options.checkLog && logged.length > 0) await insertCheckLog(tx, logged);
  return answers;
}

async function writeStatuses(tx: Executor, updates: ItemUpdate[]): Promise<void> {
  const col = <T>(f: (u: ItemUpdate) => T): T[] => updates.map(f);
  await tx.query(
    `UPDATE items AS i SET
        state = u.state, checks = u.checks, first_checked_at = u.first_checked_at,
        last_checked_at = u.last_checked_at, last_scheduled_at = u.last_scheduled_at,
        last_online_at = u.last_online_at, offline_at = u.offline_at, offline_reason = u.offline_reason,
        confirmed_at = u.confirmed_at, run_started_at = u.run_started_at, run_length = u.run_length,
        run_all_definitive = u.run_all_definitive, run_reason = u.run_reason,
        ip = coalesce(u.ip, i.ip),
        hoster = CASE WHEN u.hoster_known THEN u.hoster ELSE i.hoster END,
        first_content_type = coalesce(i.first_content_type, u.first_content_type)
       FROM unnest($1::bigint[], $2::text[], $3::integer[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[],
                   $7::timestamptz[], $8::timestamptz[], $9::text[], $10::timestamptz[], $11::timestamptz[],
                   $12::integer[], $13::boolean[], $14::text[], $15::text[], $16::text[], $17::text[], $18::boolean[])
         AS u(item_id, state, checks, first_checked_at, last_checked_at, last_scheduled_at, last_online_at,
              offline_at, offline_reason, confirmed_at, run_started_at, run_length, run_all_definitive,
              run_reason, ip, first_content_type, hoster, hoster_known)
      WHERE i.item_id = u.item_id`,
    [
      col((u) => u.itemId),
      col((u) => u.status.state),
      col((u) => u.status.checks),
      col((u) => iso(u.status.firstCheckedAt)),
      col((u) => iso(u.status.lastCheckedAt)),
      col((u) => iso(u.status.lastScheduledAt)),
      col((u) => iso(u.status.lastOnlineAt)),
      col((u) => iso(u.status.offlineAt)),
      col((u) => u.status.offlineReason),
      col((u) => iso(u.status.confirmedAt)),
      col((u) => iso(u.status.runStartedAt)),
      col((u) => u.status.runLength),
      col((u) => u.status.runAllDefinitive),
      col((u) => u.status.runReason),
      col((u) => u.ip),
      col((u) => u.firstContentType),
      col((u) => u.hoster),
      col((u) => u.hosterKnown),
    ],
  );
}

/** A confirmation re-check: the item's next check comes sooner, never later. */
async function moveRechecksEarlier(tx: Executor, rechecks: ItemUpdate[]): Promise<void> {
  await tx.query(
    `UPDATE schedule AS s SET next_check_at = least(s.next_check_at, u.recheck_at)
       FROM unnest($1::bigint[], $2::timestamptz[]) AS u(item_id, recheck_at)
      WHERE s.item_id = u.item_id`,
    [rechecks.map((u) => u.itemId), rechecks.map((u) => iso(u.recheckAt))],
  );
}

async function insertTransitions(tx: Executor, transitions: TransitionInsert[]): Promise<void> {
  await tx.query(
    `INSERT INTO transitions (item_id, from_state, to_state, at, reason, job_id, last_online_at, confirmed_at)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[],
                          $7::timestamptz[], $8::timestamptz[])
     ON CONFLICT (item_id, job_id) DO NOTHING`,
    [
      transitions.map((t) => t.itemId),
      transitions.map((t) => t.from),
      transitions.map((t) => t.to),
      transitions.map((t) => t.at.toISOString()),
      transitions.map((t) => t.reason),
      transitions.map((t) => t.jobId),
      transitions.map((t) => iso(t.lastOnlineAt)),
      transitions.map((t) => iso(t.confirmedAt)),
    ],
  );
}

/**
 * Every check of a known item is logged, also one that arrived too late to change the
 * state: it still happened. A redelivered one hits the primary key and is dropped.
 */
async function insertCheckLog(tx: Executor, results: CheckResult[]): Promise<void> {
  const col = <T>(f: (r: CheckResult) => T): T[] => results.map(f);
  await tx.query(
    `INSERT INTO checks (job_id, scheduled_at, item_id, started_at, duration_ms, outcome, reason, http_status, ip,
                         final_url, content_type, sha256, bytes, error, worker_id, redirects)
     SELECT u.job_id, u.scheduled_at, u.item_id, u.started_at, u.duration_ms, u.outcome, u.reason, u.http_status,
            u.ip, u.final_url, u.content_type, u.sha256, u.bytes, u.error, u.worker_id, u.redirects::jsonb
       FROM unnest($1::text[], $2::timestamptz[], $3::bigint[], $4::timestamptz[], $5::integer[], $6::text[],
                   $7::text[], $8::smallint[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[],
                   $14::text[], $15::text[], $16::text[])
         AS u(job_id, scheduled_at, item_id, started_at, duration_ms, outcome, reason, http_status, ip,
              final_url, content_type, sha256, bytes, error, worker_id, redirects)
     ON CONFLICT (job_id, scheduled_at) DO NOTHING`,
    [
      col((r) => r.jobId),
      col((r) => new Date(r.scheduledAt).toISOString()),
      col((r) => r.itemId),
      col((r) => new Date(r.startedAt).toISOString()),
      col((r) => Math.max(0, Math.round(r.durationMs))),
      col((r) => r.outcome),
      col((r) => r.reason),
      col((r) => r.httpStatus),
      col((r) => r.ip),
      col((r) => r.finalUrl),
      col((r) => r.contentType),
      col((r) => r.sha256),
      col((r) => r.bytes),
      col((r) => r.error),
      col((r) => r.workerId),
      col((r) => JSON.stringify(r.redirects ?? [])),
    ],
  );
}
