/**
 * Items still online (or not yet checked, or back online) past their deadline, oldest
 * deadline first, streamed by the keyset (deadline_at, item_id) on a partial index, each
 * page its own short query (like the removals export).
 */
import type { ItemState, OverdueRow } from '@tdm/core';
import { overrunSecondsSql } from './deadline-sql.js';
import type { Executor } from './executor.js';
import { iso } from './rows.js';

export interface OverdueQuery {
  /** The clock the deadlines are judged by. */
  now: Date;
}

interface OverdueDbRow {
  item_id: number | string;
  url: string;
  host: string;
  registrable_domain: string;
  hoster: string | null;
  asn: number | string | null;
  as_org: string | null;
  country: string | null;
  state: ItemState;
  reported_at: Date;
  notice_sent_at: Date | null;
  deadline_at: Date;
  last_online_at: Date | null;
  last_checked_at: Date | null;
  overrun_seconds: number;
}

export const OVERDUE_PAGE_SIZE = 1000;

export async function* overdue(
  db: Executor,
  query: OverdueQuery,
  pageSize = OVERDUE_PAGE_SIZE,
): AsyncGenerator<OverdueRow> {
  const now = query.now.toISOString();
  let after: { at: string; id: number } | null = null;
  for (;;) {
    const rows: OverdueDbRow[] = await db.query<OverdueDbRow>(
      `SELECT item_id, url, host, registrable_domain, hoster, asn, as_org, country, state, reported_at,
              notice_sent_at, deadline_at, last_online_at, last_checked_at,
              ${overrunSecondsSql('items', '$1::timestamptz')} AS overrun_seconds
         FROM items
        WHERE state <> 'offline' AND deadline_at < $1::timestamptz
          AND ($2::timestamptz IS NULL OR (deadline_at, item_id) > ($2::timestamptz, $3::bigint))
        ORDER BY deadline_at, item_id
        LIMIT $4`,
      [now, after?.at ?? null, after?.id ?? null, pageSize],
    );
    for (const row of rows) {
      yield {
        itemId: Number(row.item_id),
        url: row.url,
        host: row.host,
        registrableDomain: row.registrable_domain,
        hoster: row.hoster,
        asn: row.asn === null ? null : Number(row.asn),
        asOrg: row.as_org,
        country: row.country,
        state: row.state,
        reportedAt: row.reported_at.toISOString(),
        noticeSentAt: iso(row.notice_sent_at),
        deadlineAt: row.deadline_at.toISOString(),
        lastOnlineAt: iso(row.last_online_at),
        lastCheckedAt: iso(row.last_checked_at),
        overrunSeconds: Number(row.overrun_seconds),
      };
    }
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < pageSize) return;
    after = { at: last.deadline_at.toISOString(), id: Number(last.item_id) };
  }
}
