/**
 * GET /v1/stats/removals in one statement: the counts per group from `base`, the curve
 * figures per group (shares within each duration on both curves, median, p90 and the
 * median's interval) from `ci`; Node only renames the columns.
 */
import type { DeadlineState, GroupKey, RemovalStatsGroup, SurvivalPoint } from '@tdm/core';
import type { Executor } from './executor.js';
import { LEVEL, survivalCtes, type StatsWindow } from './stats-sql.js';

export interface RemovalStatsQuery extends StatsWindow {
  /** The durations of `removedWithin`, in seconds, with their labels (e.g. `24h`). */
  within: ReadonlyArray<{ label: string; seconds: number }>;
}

type Num = number | string | null;

function num(value: Num): number | null {
  return value === null ? null : Number(value);
}

function keyOf(row: { k1: Num; k2: Num }, levels: number, numeric: readonly boolean[]): GroupKey {
  const one = (value: Num, isNumber: boolean | undefined): string | number | null =>
    value === null ? null : isNumber ? Number(value) : String(value);
  return levels === 1 ? one(row.k1, numeric[0]) : [one(row.k1, numeric[0]), one(row.k2, numeric[1])];
}

export async function removalStats(db: Executor, query: RemovalStatsQuery): Promise<RemovalStatsGroup[]> {
  const { sql, params } = survivalCtes(query, 2, false);
  const at = (n: number): string => `$${params.length + 1 + n}::float8`;
  const shares = query.within
    .map(
      (_w, n) =>
        `min(s) FILTER (WHERE curve = 0 AND t <= ${at(n)}) AS s0_${n}, ` +
        `min(s) FILTER (WHERE curve = 1 AND t <= ${at(n)}) AS s1_${n}`,
    )
    .join(',\n           ');
  const level = (p: number): string => String(1 - p + LEVEL);
  const rows = await db.query<Record<string, Num>>(
    `WITH ${sql},
  counts AS (
    SELECT k1, k2, count(*) AS items,
           count(*) FILTER (WHERE state = 'offline' AND NOT gone) AS removed,
           count(*) FILTER (WHERE state <> 'offline') AS open,
           count(*) FILTER (WHERE reappearances > 0) AS reappeared,
           count(*) FILTER (WHERE gone) AS gone,
           count(*) FILTER (WHERE dstate = 'met') AS met,
           count(*) FILTER (WHERE dstate = 'missed') AS missed,
           count(*) FILTER (WHERE dstate = 'open') AS dopen,
           count(*) FILTER (WHERE dstate = 'overdue') AS overdue
      FROM base GROUP BY k1, k2
  ),
  figures AS (
    SELECT k1, k2, count(*) AS points,
           min(t) FILTER (WHERE curve = 0 AND s <= ${level(0.5)}) AS median,
           min(t) FILTER (WHERE curve = 0 AND s <= ${level(0.9)}) AS p90,
           min(t) FILTER (WHERE curve = 0 AND lo <= ${level(0.5)}) AS median_lo,
           min(t) FILTER (WHERE curve = 0 AND hi <= ${level(0.5)}) AS median_hi${shares ? ',\n           ' + shares : ''}
      FROM ci GROUP BY k1, k2
  )
SELECT c.k1, c.k2, c.items, c.removed, c.open, c.reappeared, c.gone, c.met, c.missed, c.dopen, c.overdue,
       f.points, f.median, f.p90, f.median_lo, f.median_hi${query.within.map((_w, n) => `, f.s0_${n}, f.s1_${n}`).join('')}
  FROM counts AS c
  LEFT JOIN figures AS f ON c.k1 IS NOT DISTINCT FROM f.k1 AND c.k2 IS NOT DISTINCT FROM f.k2
 ORDER BY c.k1 NULLS LAST, c.k2 NULLS LAST`,
    [...params, ...query.within.map((w) => w.seconds)],
  );
  const numeric = query.groupBy.map((field) => field === 'asn');
  return rows.map((row) => {
    const inCurve = num(row['points'] ?? null) !== null;
    const removedWithin: Record<string, number | null> = {};
    const removedWithinBounds: Record<string, [number, number] | null> = {};
    query.within.forEach((w, n) => {
      if (!inCurve) {
        removedWithin[w.label] = null;
        removedWithinBounds[w.label] = null;
        return;
      }
      // No point at or before the duration: S = 1 there, nothing removed yet.
      const late = 1 - (num(row[`s0_${n}`] ?? null) ?? 1);
      const early = 1 - (num(row[`s1_${n}`] ?? null) ?? 1);
      removedWithin[w.label] = late;
      removedWithinBounds[w.label] = [Math.min(late, early), Math.max(late, early)];
    });
    const deadline: Record<DeadlineState, number> = {
      met: Number(row['met']),
      missed: Number(row['missed']),
      open: Number(row['dopen']),
      overdue: Number(row['overdue']),
    };
    return {
      key: keyOf({ k1: row['k1'] ?? null, k2: row['k2'] ?? null }, query.groupBy.length, numeric),
      items: Number(row['items']),
      removed: Number(row['removed']),
      open: Number(row['open']),
      reappeared: Number(row['reappeared']),
      goneBeforeFirstCheck: Number(row['gone']),
      removedWithin,
      removedWithinBounds,
      medianSeconds: num(row['median'] ?? null),
      p90Seconds: num(row['p90'] ?? null),
      medianCi95: [num(row['median_lo'] ?? null), num(row['median_hi'] ?? null)],
      deadline,
    };
  });
}

/** One group's curve (curve 0: by offlineAt), for plotting. */
export interface SurvivalGroup {
  key: GroupKey;
  points: SurvivalPoint[];
}

export async function survivalCurves(db: Executor, window: StatsWindow): Promise<SurvivalGroup[]> {
  const { sql, params } = survivalCtes(window, 1, true);
  const rows = await db.query<Record<string, Num>>(
    `WITH ${sql}
SELECT k1, k2, t, n, d, m, s, lo, hi FROM ci ORDER BY k1 NULLS LAST, k2 NULLS LAST, t`,
    params,
  );
  const numeric = window.groupBy.map((field) => field === 'asn');
  const groups: SurvivalGroup[] = [];
  let current: SurvivalGroup | undefined;
  let currentKey = '';
  for (const row of rows) {
    const key = keyOf({ k1: row['k1'] ?? null, k2: row['k2'] ?? null }, window.groupBy.length, numeric);
    const id = JSON.stringify(key);
    if (current === undefined || id !== currentKey) {
      current = { key, points: [] };
      currentKey = id;
      groups.push(current);
    }
    const events = Number(row['d']);
    current.points.push({
      time: Number(row['t']),
      atRisk: Number(row['n']),
      events,
      censored: Number(row['m']) - events,
      survival: Number(row['s']),
      low: Number(row['lo']),
      high: Number(row['hi']),
    });
  }
  return groups;
}
