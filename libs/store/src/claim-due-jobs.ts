/**
 * claimDueJobs: one short transaction per call.
 *
 * The due items' `schedule` rows are locked with `FOR UPDATE SKIP LOCKED`, so concurrent
 * schedulers split the work instead of waiting on or duplicating each other. Each job's
 * slot is the item's `next_check_at` (a late slot is published once, late); the item then moves to the first
 * grid slot after max(slot, now), so a scheduler that fell behind skips the missed slots
 * instead of piling them up. The claim commits only after `publish` resolved.
 *
 * Cluster-wide politeness (when `policy.domainRate` is set): each registrable domain has a
 * row in `domain_pacing` holding its next free start time. The claim
 *  1. selects due items with a per-domain cap (a window function ranks each domain's due
 *     items; a domain gets at most the jobs that fit in the horizon, so one huge domain
 *     cannot fill the batch and starve the others), locking them `SKIP LOCKED`;
 *  2. upserts and locks the pacing rows of the domains involved, in domain order (so two
 *     claimers can never deadlock on them). A second scheduler claiming the same domain
 *     waits here for the first to commit and then reads its advanced `next_at`;
 *  3. gives the k-th job of a domain `notBefore = max(now, next_at) + k · interval` and
 *     keeps only jobs whose notBefore lies before now + horizon (the rest stay due, locked
 *     until COMMIT but unchanged, and are claimed by a later tick);
 *  4. moves `next_at` past the last booked start.
 * The spacing thus holds for every scheduler and every crawler together; the crawlers wait
 * until notBefore before they probe.
 */
import type { CheckJob, Mode } from '@tdm/core';
import { fixedInterval, jobIdFor, nextGridSlot, startSpacingMs } from '@tdm/core';
import type { Database, Executor } from './executor.js';
import type { ClaimOptions, SchedulingPolicy } from './store.js';

/** How far ahead a paced job may be booked when the caller does not say. */
const DEFAULT_PACING_HORIZON_MS = 1000;

interface DueRow {
  item_id: number | string;
  url: string;
  registrable_domain: string;
  mode: Mode;
  sha256: string | null;
  sha1: string | null;
  md5: string | null;
  first_content_type: string | null;
  state: string;
  anchor_at: Date;
  next_check_at: Date;
}

/** The job's fields: the item's (read, not locked) and its slot from `schedule` (locked). */
const COLUMNS = [
  ...[
    'item_id',
    'url',
    'registrable_domain',
    'mode',
    'sha256',
    'sha1',
    'md5',
    'first_content_type',
    'state',
    'anchor_at',
  ].map((c) => `i.${c}`),
  's.next_check_at',
].join(', ');

/**
 * Per-domain pacing: start times `intervalMs` apart, each booked less than `horizonMs`
 * after now (half-open, so one claim books at most rate × horizon jobs of a domain).
 */
interface Pacing {
  intervalMs: number;
  /** Domains with their own rate (an override): their own spacing. */
  overrides: Map<string, number>;
  horizonMs: number;
}

const spacingOf = (pacing: Pacing, domain: string): number =>
  pacing.overrides.get(domain) ?? pacing.intervalMs;

function pacingOf(policy: SchedulingPolicy): Pacing | null {
  const rate = policy.domainRate;
  if (rate === undefined || !Number.isFinite(rate) || rate <= 0) return null;
  // Whole milliseconds, rounded up (as the crawler's local pacer, libs/politeness): never faster than the rate.
  const intervalMs = startSpacingMs(rate);
  // At least 1 ms: a domain that is free now always gets its next job.
  const horizonMs = Math.max(1, policy.pacingHorizonMs ?? DEFAULT_PACING_HORIZON_MS);
  const overrides = new Map<string, number>();
  for (const [domain, domainRate] of Object.entries(policy.domainRates ?? {}))
    if (Number.isFinite(domainRate) && domainRate > 0)
      overrides.set(domain.toLowerCase(), startSpacingMs(domainRate));
  return { intervalMs, overrides, horizonMs };
}

/**
 * Due items in slot order. Only the `schedule` rows are locked (SKIP LOCKED: another
 * scheduler's claim is skipped, not waited for); the items are read as committed.
 */
async function selectDue(tx: Executor, now: Date, limit: number): Promise<DueRow[]> {
  return await tx.query<DueRow>(
    `SELECT ${COLUMNS}
       FROM schedule AS s
       JOIN items AS i ON i.item_id = s.item_id
      WHERE s.next_check_at <= $1::timestamptz
      ORDER BY s.next_check_at
      LIMIT $2
        FOR UPDATE OF s SKIP LOCKED`,
    [now.toISOString(), limit],
  );
}

/**
 * Due items, at most as many per domain as fit in the horizon after the domain's next free
 * start (read without a lock here: step 2 re-reads it under the lock and trims). Domains
 * booked beyond the horizon are filtered out before the ranking. FOR UPDATE may not share a
 * query level with a window function, hence the ranking in a subquery.
 */
async function selectDuePaced(tx: Executor, now: Date, limit: number, pacing: Pacing): Promise<DueRow[]> {
  const horizonEnd = new Date(now.getTime() + pacing.horizonMs);
  return await tx.query<DueRow>(
    `SELECT ${COLUMNS}
       FROM schedule AS s
       JOIN items AS i ON i.item_id = s.item_id
      WHERE s.item_id IN (
              SELECT r.item_id
                FROM (SELECT d.item_id,
                             row_number() OVER (PARTITION BY d.registrable_domain
                                                ORDER BY d.next_check_at, d.item_id) AS k,
                             greatest($1::timestamptz, p.next_at) AS base,
                             coalesce(o.spacing_ms, $4::double precision) AS spacing_ms
                        FROM schedule AS d
                        LEFT JOIN domain_pacing AS p ON p.registrable_domain = d.registrable_domain
                        LEFT JOIN unnest($5::text[], $6::double precision[]) AS o(registrable_domain, spacing_ms)
                               ON o.registrable_domain = d.registrable_domain
                       WHERE d.next_check_at <= $1::timestamptz
                         AND (p.next_at IS NULL OR p.next_at < $3::timestamptz)) AS r
               WHERE (r.k - 1) * r.spacing_ms
                     < extract(epoch FROM ($3::timestamptz - r.base))::double precision * 1000)
      ORDER BY s.next_check_at, s.item_id
      LIMIT $2
        FOR UPDATE OF s SKIP LOCKED`,
    [
      now.toISOString(),
      limit,
      horizonEnd.toISOString(),
      pacing.intervalMs,
      [...pacing.overrides.keys()],
      [...pacing.overrides.values()],
    ],
  );
}

/**
 * Locks (creating when missing) the pacing rows of `domains`, in sorted order, and returns
 * each domain's next free start. The no-op DO UPDATE is what locks an existing row and
 * makes RETURNING answer for it; a row another claimer holds is waited for, then read in
 * its committed state.
 */
async function lockPacing(tx: Executor, domains: string[], now: Date): Promise<Map<string, number>> {
  const sorted = [...new Set(domains)].sort();
  const rows = await tx.query<{ registrable_domain: string; next_at: Date }>(
    `INSERT INTO domain_pacing AS p (registrable_domain, next_at)
     SELECT d, $2::timestamptz FROM unnest($1::text[]) AS d ORDER BY d
     ON CONFLICT (registrable_domain) DO UPDATE SET next_at = p.next_at
     RETURNING p.registrable_domain, p.next_at`,
    [sorted, now.toISOString()],
  );
  return new Map(rows.map((row) => [row.registrable_domain, row.next_at.getTime()]));
}

/**
 * Books start times: keeps, per domain and in claim order, the rows whose start fits in the
 * horizon, and returns them with their notBefore plus each domain's new next free start.
 */
function book(
  rows: DueRow[],
  nextFree: Map<string, number>,
  now: Date,
  pacing: Pacing,
): { kept: Array<{ row: DueRow; notBefore: Date }>; advanced: Map<string, number> } {
  const horizonEnd = now.getTime() + pacing.horizonMs;
  const cursor = new Map<string, number>();
  const kept: Array<{ row: DueRow; notBefore: Date }> = [];
  for (const row of rows) {
    const domain = row.registrable_domain;
    const start = cursor.get(domain) ?? Math.max(now.getTime(), nextFree.get(domain) ?? now.getTime());
    if (start >= horizonEnd) continue; // stays due: a later claim books it
    kept.push({ row, notBefore: new Date(start) });
    cursor.set(domain, start + spacingOf(pacing, domain));
  }
  return { kept, advanced: cursor };
}

export async function claimDueJobs(
  db: Database,
  options: ClaimOptions,
  publish: (jobs: CheckJob[]) => Promise<void>,
): Promise<CheckJob[]> {
  const limit = Math.max(0, Math.floor(options.limit));
  if (limit === 0) return [];
  const offlinePolicy = fixedInterval(options.policy.offlineRecheckIntervalMs);
  const pacing = pacingOf(options.policy);
  const now = options.now;
  return await db.transaction(async (tx) => {
    let claimed: Array<{ row: DueRow; notBefore: Date | null }>;
    let advanced = new Map<string, number>();
    if (pacing === null) {
      claimed = (await selectDue(tx, now, limit)).map((row) => ({ row, notBefore: null }));
    } else {
      const rows = await selectDuePaced(tx, now, limit, pacing);
      if (rows.length === 0) return [];
      const nextFree = await lockPacing(
        tx,
        rows.map((row) => row.registrable_domain),
        now,
      );
      ({ kept: claimed, advanced } = book(rows, nextFree, now, pacing));
    }
    if (claimed.length === 0) return [];
    const publishedAt = new Date().toISOString();
    const jobs: CheckJob[] = [];
    const nextSlots: string[] = [];
    for (const { row, notBefore } of claimed) {
      const itemId = Number(row.item_id);
      const scheduledAt = row.next_check_at;
      const policy = row.state === 'offline' ? offlinePolicy : options.policy.regular;
      const after = scheduledAt.getTime() > now.getTime() ? scheduledAt : now;
      nextSlots.push(nextGridSlot(policy, row.anchor_at, after).toISOString());
      const expected: CheckJob['expected'] = {};
      if (row.sha256 !== null) expected.sha256 = row.sha256;
      if (row.sha1 !== null) expected.sha1 = row.sha1;
      if (row.md5 !== null) expected.md5 = row.md5;
      if (row.first_content_type !== null) expected.contentType = row.first_content_type;
      jobs.push({
        jobId: jobIdFor(itemId, scheduledAt),
        itemId,
        url: row.url,
        registrableDomain: row.registrable_domain,
        mode: row.mode,
        scheduledAt: scheduledAt.toISOString(),
        expected,
        publishedAt,
        ...(notBefore !== null ? { notBefore: notBefore.toISOString() } : {}),
      });
    }
    await tx.query(
      `UPDATE schedule AS s SET next_check_at = u.next_check_at
         FROM unnest($1::bigint[], $2::timestamptz[]) AS u(item_id, next_check_at)
        WHERE s.item_id = u.item_id`,
      [jobs.map((job) => job.itemId), nextSlots],
    );
    if (advanced.size > 0) {
      await tx.query(
        `UPDATE domain_pacing AS p SET next_at = u.next_at
           FROM unnest($1::text[], $2::timestamptz[]) AS u(registrable_domain, next_at)
          WHERE p.registrable_domain = u.registrable_domain`,
        [[...advanced.keys()], [...advanced.values()].map((t) => new Date(t).toISOString())],
      );
    }
    // Inside the transaction on purpose: if publishing fails, the claim rolls back and the
    // items stay due; if we crash after publishing, the republished jobs carry the same
    // ids and JetStream's duplicate window drops them.
    await publish(jobs);
    return jobs;
  });
}
