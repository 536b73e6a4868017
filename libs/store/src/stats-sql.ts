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
import { TdmError, type GroupByField } from '@tdm/core';
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
 * $2 until, $3 now, $4 z; `curves` 1 computes curve 0 only; without `counts`, n, d and m
 * are 0 (the figures need only t and s: the counts cost three more window passes).
 */
export function survivalCtes(
  window: StatsWindow,
  curves: 1 | 2,
  counts: boolean,
): { sql: string; params: unknown[] } {
  const [first, second] = window.groupBy;
  if (first === undefined) throw new TdmError('TDM_ERR_STORE_INTERNAL', 'survivalCtes: no group field');
  const k1 = KEY_SQL[first];
  const k2 = second === undefined ? 'NULL::text' : KEY_SQL[second];
  // An item is counted in the group of each source that reported it.
  const from = window.groupBy.includes('source')
    ? 'items AS i JOIN (SELECT DISTINCT item_id, source FROM reports) AS r ON r.item_id = i.item_id'
    : 'items AS i';
  // date_part gives float8; extract() would compute in numeric, several times slower.
  const seconds = (expr: string): string => `greatest(0, date_part('epoch', ${expr}))`;
  const sql = `
  base AS NOT MATERIALIZED (
    SELECT ${k1} AS k1, ${k2} AS k2, i.state, i.offline_at, i.last_online_at, i.anchor_at, i.reappearances,
           ${goneBeforeFirstCheckSql('i')} AS gone,
           ${deadlineStateSql('i', '$3::timestamptz')} AS dstate
      FROM ${from}
     WHERE ($1::timestamptz IS NULL OR i.anchor_at >= $1::timestamptz)
       AND ($2::timestamptz IS NULL OR i.anchor_at < $2::timestamptz)
  ),
  obs AS NOT MATERIALIZED (
    SELECT b.k1, b.k2, c.curve,
           CASE WHEN b.state <> 'offline' THEN ${seconds('coalesce(b.last_online_at, b.anchor_at) - b.anchor_at')}
                WHEN c.curve = 0 THEN ${seconds('b.offline_at - b.anchor_at')}
                ELSE ${seconds('b.last_online_at - b.anchor_at')} END AS t,
           (b.state = 'offline') AS event
      FROM base AS b CROSS JOIN (VALUES ${curves === 2 ? '(0), (1)' : '(0)'}) AS c(curve)
     WHERE NOT b.gone
  ),
  -- One row per observation in (t, events first) order. Tied events are taken one by
  -- one: the factors (1 − 1/n), (1 − 1/(n−1)), … of d tied events multiply to (n − d)/n
  -- and their Greenwood terms 1/(n(n−1)) + … sum to d/(n(n − d)), so at the last row of
  -- each time the running values are exactly Kaplan–Meier's, with one sort and no
  -- grouping of the observations first (a hash aggregate of a million keys cost more).
  ranked AS (
    SELECT k1, k2, curve, t, event,
           count(*) OVER (PARTITION BY k1, k2, curve) - row_number() OVER w + 1 AS behind,
           ${
             counts
               ? `row_number() OVER w AS rn,
           count(*) OVER (PARTITION BY k1, k2, curve ORDER BY t RANGE UNBOUNDED PRECEDING) AS upto,
           count(*) OVER (PARTITION BY k1, k2, curve, t) AS m,
           count(*) FILTER (WHERE event) OVER (PARTITION BY k1, k2, curve, t) AS d`
               : '0 AS rn, 0 AS upto, 0 AS m, 0 AS d'
           }
      FROM obs
    WINDOW w AS (PARTITION BY k1, k2, curve ORDER BY t, event DESC ROWS UNBOUNDED PRECEDING)
  ),
  km AS (
    SELECT k1, k2, curve, t, d, m, behind + rn - upto + m - 1 AS n,
           lead(t) OVER w IS DISTINCT FROM t AS last,
           sum(CASE WHEN event AND behind > 1 THEN ln(1 - 1::float8 / behind) ELSE 0 END) OVER w AS log_s,
           max(CASE WHEN event AND behind = 1 THEN 1 ELSE 0 END) OVER w AS zero,
           sum(CASE WHEN event AND behind > 1 THEN 1::float8 / (behind::float8 * (behind - 1)) ELSE 0 END) OVER w AS gw
      FROM ranked
    WINDOW w AS (PARTITION BY k1, k2, curve ORDER BY t, event DESC ROWS UNBOUNDED PRECEDING)
  ),
  ci AS (
    SELECT k1, k2, curve, t, d, m, n, s,
           CASE WHEN s >= 1 THEN 1 WHEN s <= 0 THEN 0
                ELSE power(s, exp($4::float8 * sqrt(gw) / abs(log_s))) END AS lo,
           CASE WHEN s >= 1 THEN 1 WHEN s <= 0 THEN 0
                ELSE power(s, exp(-$4::float8 * sqrt(gw) / abs(log_s))) END AS hi
      FROM (SELECT *, CASE WHEN zero = 1 THEN 0::float8 ELSE exp(log_s) END AS s FROM km WHERE last) AS curve_values
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

/**
 * Session settings for a statistics statement, set in its transaction: enough memory to
 * sort a million observations without spilling, and no JIT (compiling the expressions
 * costs more than the statement saves).
 */
export const STATS_SETTINGS = ["SET LOCAL work_mem = '128MB'", 'SET LOCAL jit = off'];
