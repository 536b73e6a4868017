/** The read side: the analysts' views of items, checks and removals. */
import type { CheckLogEntry, ItemState, ItemView, RemovalRow } from '@tdm/core';
import { deadlineStateSql, goneBeforeFirstCheckSql, overrunSecondsSql } from './deadline-sql.js';
import type { Executor } from './executor.js';
import {
  checkEntryFromRow,
  itemViewFromRows,
  removalFromRow,
  STATUS_COLUMNS,
  type CheckRow,
  type ItemRow,
  type RemovalDbRow,
  type TransitionRow,
} from './rows.js';
import type { RemovalQuery } from './store.js';

/** @default 100 */
export const DEFAULT_CHECKS_LIMIT = 100;
export const MAX_CHECKS_LIMIT = 1000;
/** Rows per round trip when streaming removals. */
export const REMOVALS_PAGE_SIZE = 1000;

export async function getItem(db: Executor, itemId: number, now: Date): Promise<ItemView | null> {
  if (!Number.isSafeInteger(itemId) || itemId <= 0) return null;
  const rows = await db.query<ItemRow>(
    `SELECT item_id, url, original_url, host, registrable_domain, mode, reported_at, notice_sent_at,
            (SELECT s.next_check_at FROM schedule AS s WHERE s.item_id = items.item_id) AS next_check_at,
            ip, hoster, asn, as_org, country, deadline_at,
            ${deadlineStateSql('items', '$2::timestamptz')} AS deadline_state,
            ${overrunSecondsSql('items', '$2::timestamptz')} AS overrun_seconds,
            ${goneBeforeFirstCheckSql('items')} AS gone_before_first_check,
            ${STATUS_COLUMNS}
       FROM items WHERE item_id = $1`,
    [itemId, now.toISOString()],
  );
  const row = rows[0];
  if (row === undefined) return null;
  const transitions = await db.query<TransitionRow>(
    'SELECT from_state, to_state, at, reason FROM transitions WHERE item_id = $1 ORDER BY at, transition_id',
    [itemId],
  );
  return itemViewFromRows(row, transitions);
}

export async function listChecks(db: Executor, itemId: number, limit?: number): Promise<CheckLogEntry[]> {
  if (!Number.isSafeInteger(itemId) || itemId <= 0) return [];
  const n = Math.min(MAX_CHECKS_LIMIT, Math.max(1, Math.floor(limit ?? DEFAULT_CHECKS_LIMIT)));
  const rows = await db.query<CheckRow>(
    `SELECT job_id, scheduled_at, started_at, duration_ms, outcome, reason, http_status, ip, sha256, bytes, error, redirects
       FROM checks WHERE item_id = $1 ORDER BY scheduled_at DESC, job_id DESC LIMIT $2`,
    [itemId, n],
  );
  return rows.map(checkEntryFromRow);
}

/**
 * Removal episodes with offlineAt in [since, until), oldest first: every confirmed
 * transition to offline, once each, also those that a reappearance followed (with its
 * time). Pages by the keyset (at, item_id) on a partial index of the offline transitions,
 * each page its own short query, so an export of millions of rows holds no transaction
 * or cursor open. An item has at most one offline transition at one time, so the key is unique.
 */
export async function* removals(
  db: Executor,
  query: RemovalQuery,
  pageSize = REMOVALS_PAGE_SIZE,
): AsyncGenerator<RemovalRow> {
  const since = query.since?.toISOString() ?? null;
  const until = query.until?.toISOString() ?? null;
  let after: { at: string; id: number } | null = null;
  for (;;) {
    const rows: RemovalDbRow[] = await db.query<RemovalDbRow>(
      `SELECT i.item_id, i.url, i.host, i.registrable_domain, i.hoster, i.reported_at, i.notice_sent_at,
              t.last_online_at, t.at AS offline_at, t.confirmed_at, t.reason AS offline_reason,
              (SELECT count(*) FROM transitions AS e
                WHERE e.item_id = t.item_id AND e.to_state = 'offline' AND e.at <= t.at) AS episode,
              (SELECT min(r.at) FROM transitions AS r
                WHERE r.item_id = t.item_id AND r.from_state = 'offline' AND r.to_state = 'online'
                  AND r.at > t.at) AS reappeared_at
         FROM transitions AS t
         JOIN items AS i ON i.item_id = t.item_id
        WHERE t.to_state = 'offline'
          AND ($1::timestamptz IS NULL OR t.at >= $1::timestamptz)
          AND ($2::timestamptz IS NULL OR t.at < $2::timestamptz)
          AND ($3::timestamptz IS NULL OR (t.at, t.item_id) > ($3::timestamptz, $4::bigint))
        ORDER BY t.at, t.item_id
        LIMIT $5`,
      [since, until, after?.at ?? null, after?.id ?? null, pageSize],
    );
    for (const row of rows) yield removalFromRow(row);
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < pageSize) return;
    after = { at: last.offline_at.toISOString(), id: Number(last.item_id) };
  }
}

export async function countItemsByState(db: Executor): Promise<Record<ItemState, number>> {
  const rows = await db.query<{ state: ItemState; n: number | string }>(
    'SELECT state, count(*) AS n FROM items GROUP BY state',
  );
  const counts: Record<ItemState, number> = { pending: 0, online: 0, offline: 0 };
  for (const row of rows) counts[row.state] = Number(row.n);
  return counts;
}
