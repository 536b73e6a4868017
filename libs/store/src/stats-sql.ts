/**
 * The statistics as SQL: the Kaplan–Meier curve of time to removal per group, computed in
 * the database with window functions in one statement, so a million items never travel
 * to Node. The estimator and its conventions are those of @tdm/survival (the reference
 * the tests hold this SQL to): events before censorings at a tied time, Greenwood's sum,
 * log-log 95% bounds, quantiles as the first time S(t) ≤ 1 − p (with LEVEL_EPSILON).
 *
 * Per item (its notice, else report time, in the window):
 * - removed (state offline, seen online before): an event at offlineAt − notice (curve 0)
 *   and at lastOnlineAt − notice (curve 1, the early end of the bracket);
 * - not removed: censored at lastOnlineAt − notice (its last check that saw it online;
 *   never checked: at 0, which keeps it out of the curve);
 * - gone before its first check: not in the curves (its time is unknown), counted apart.
 * Times below 0 (a notice after the removal) count as 0.
 */
import type { GroupByField } from '@tdm/core';
import { LEVEL_EPSILON, Z_95 } from '@tdm/survival';
import { deadlineStateSql, goneBeforeFirstCheckSql } from './deadline-sql.js';

export interface StatsWindow {
  groupBy: readonly GroupByField[];
  noticeSince?: Date;
  noticeUntil?: Date;
  /** The clock for deadline states. */
  now: Date;
}

/** The SQL of a group field over `items i` (and `r`, the item's distinct sources, for `source`). */
const KEY_SQL: Record<GroupByField, string> = {
  hoster: 'i.hoster',
  asn: 'i.asn',
  country: 'i.country',
  registrableDomain: 'i.registrable_domain',
  source: 'r.source',
  noticeMonth: "to_char(i.anchor_at AT TIME ZONE 'UTC', 'YYYY-MM')",
};

/**
 * The CTEs `base` (one row per item and group) and `ci` (one row per group, curve and
 * distinct time: t, d, m (observations), n (at risk), s, lo, hi). Parameters $1 since,
 * $2 until, $3 now, $4 z; `curves` 1 computes curve 0 only.
 */
export function survivalCtes(window: StatsWindow, curves: 1 | 2): { sql: string; params: unknown[] } {
  const [first, second] = window.groupBy;
  if (first === undefined) throw new Error('survivalCtes: no group field');
  const k1 = KEY_SQL[first];
  const k2 = second === undefined ? 'NULL::text' : KEY_SQL[second];
  // An item is counted in the group of each source that reported it.
  const from = window.groupBy.includes('source')
    ? 'items AS i JOIN (SELECT DISTINCT item_id, source FROM reports) AS r ON r.item_id = i.item_id'
    : 'items AS i';
  const sql = `
  base AS (
    SELECT ${k1} AS k1, ${k2} AS k2, i.state, i.offline_at, i.last_online_at, i.anchor_at, i.reappearances,
           ${goneBeforeFirstCheckSql('i')} AS gone,
           ${deadlineStateSql('i', '$3::timestamptz')} AS dstate
      FROM ${from}
     WHERE ($1::timestamptz IS NULL OR i.anchor_at >= $1::timestamptz)
       AND ($2::timestamptz IS NULL OR i.anchor_at < $2::timestamptz)
  ),
  obs AS (
    SELECT b.k1, b.k2, c.curve,
           greatest(0, extract(epoch FROM
             CASE WHEN b.state <> 'offline' THEN coalesce(b.last_online_at, b.anchor_at)
                  WHEN c.curve = 0 THEN b.offline_at
                  ELSE b.last_online_at END - b.anchor_at))::float8 AS t,
           (b.state = 'offline') AS event
      FROM base AS b CROSS JOIN (VALUES ${curves === 2 ? '(0), (1)' : '(0)'}) AS c(curve)
     WHERE NOT b.gone
  ),
  steps AS (
    SELECT k1, k2, curve, t, count(*) FILTER (WHERE event) AS d, count(*) AS m
      FROM obs GROUP BY k1, k2, curve, t
  ),
  risk AS (
    SELECT k1, k2, curve, t, d, m,
           sum(m) OVER (PARTITION BY k1, k2, curve ORDER BY t DESC ROWS UNBOUNDED PRECEDING) AS n
      FROM steps
  ),
  km AS (
    SELECT k1, k2, curve, t, d, m, n,
           sum(CASE WHEN d > 0 AND d < n THEN ln(1 - d::float8 / n) ELSE 0 END) OVER w AS log_s,
           max(CASE WHEN d > 0 AND d >= n THEN 1 ELSE 0 END) OVER w AS zero,
           sum(CASE WHEN d > 0 AND d < n THEN d::float8 / (n::float8 * (n - d)) ELSE 0 END) OVER w AS gw
      FROM risk
    WINDOW w AS (PARTITION BY k1, k2, curve ORDER BY t ROWS UNBOUNDED PRECEDING)
  ),
  ci AS (
    SELECT k1, k2, curve, t, d, m, n, s,
           CASE WHEN s >= 1 THEN 1 WHEN s <= 0 THEN 0
                ELSE power(s, exp($4::float8 * sqrt(gw) / abs(log_s))) END AS lo,
           CASE WHEN s >= 1 THEN 1 WHEN s <= 0 THEN 0
                ELSE power(s, exp(-$4::float8 * sqrt(gw) / abs(log_s))) END AS hi
      FROM (SELECT *, CASE WHEN zero = 1 THEN 0::float8 ELSE exp(log_s) END AS s FROM km) AS curve_values
  )`;
  return {
    sql,
    params: [
      window.noticeSince?.toISOString() ?? null,
      window.noticeUntil?.toISOString() ?? null,
      window.now.toISOString(),
      Z_95,
    ],
  };
}

export const LEVEL = LEVEL_EPSILON;
