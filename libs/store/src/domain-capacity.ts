/**
 * Domain capacity: can a registrable domain's items be checked on the grid at its rate?
 * A domain needs active/interval + removed/offlineRecheckInterval checks per second (its
 * online and pending items on the regular grid, its removed ones on the slower re-check
 * grid). Above its rate it cannot keep the grid: every check comes late, and a removal
 * time with it. One image host in the seeds held ~175,000 URLs: at 2 checks/s that is a
 * 24-hour round. This answer tells the operator which domains need an agreed rate
 * (`TDM_DOMAIN_RATES`) or a longer interval.
 */
import type { Executor } from './executor.js';

export interface DomainCapacityQuery {
  /** The regular grid's interval (the shortest phase of a schedule policy). */
  intervalMs: number;
  offlineRecheckIntervalMs: number;
  /** Checks per second of domains without an override. */
  defaultRate: number;
  /** Registrable domain → checks per second (`TDM_DOMAIN_RATES`). */
  rates?: Readonly<Record<string, number>>;
  /** Only the domains that cannot keep the grid. @default true */
  overCapacityOnly?: boolean;
  /** @default 100 */
  limit?: number;
}

export interface DomainCapacity {
  registrableDomain: string;
  /** Online and pending items (checked on the regular grid). */
  activeItems: number;
  /** Confirmed-removed items (re-checked on the offline grid). */
  removedItems: number;
  /** The domain's rate, checks per second. */
  rate: number;
  /** Checks per second the grid needs. */
  neededRate: number;
  /** neededRate / rate: above 1 the grid cannot be kept. */
  loadRatio: number;
  /** The regular interval the rate allows for the active items (ms); null when the re-checks alone use up the rate. */
  achievableIntervalMs: number | null;
}

export async function domainCapacity(db: Executor, query: DomainCapacityQuery): Promise<DomainCapacity[]> {
  const rates = Object.entries(query.rates ?? {});
  const rows = await db.query<{
    registrable_domain: string;
    active: number | string;
    removed: number | string;
    rate: number | string;
    needed: number | string;
  }>(
    `WITH load AS (
       SELECT registrable_domain,
              count(*) FILTER (WHERE state <> 'offline') AS active,
              count(*) FILTER (WHERE state = 'offline') AS removed
         FROM items
        GROUP BY registrable_domain
     ), rated AS (
       SELECT l.registrable_domain, l.active, l.removed,
              coalesce(o.rate, $1::double precision) AS rate,
              l.active * 1000.0 / $2::double precision + l.removed * 1000.0 / $3::double precision AS needed
         FROM load AS l
         LEFT JOIN unnest($4::text[], $5::double precision[]) AS o(registrable_domain, rate)
                ON o.registrable_domain = l.registrable_domain
     )
     SELECT registrable_domain, active, removed, rate, needed
       FROM rated
      WHERE NOT $6::boolean OR needed > rate
      ORDER BY needed / rate DESC, registrable_domain
      LIMIT $7`,
    [
      query.defaultRate,
      query.intervalMs,
      query.offlineRecheckIntervalMs,
      rates.map(([domain]) => domain.toLowerCase()),
      rates.map(([, rate]) => rate),
      query.overCapacityOnly ?? true,
      Math.max(1, Math.floor(query.limit ?? 100)),
    ],
  );
  return rows.map((row) => {
    const activeItems = Number(row.active);
    const removedItems = Number(row.removed);
    const rate = Number(row.rate);
    const neededRate = Number(row.needed);
    // What is left of the rate after the removed items' re-checks serves the active items.
    const spare = rate - (removedItems * 1000) / query.offlineRecheckIntervalMs;
    return {
      registrableDomain: row.registrable_domain,
      activeItems,
      removedItems,
      rate,
      neededRate,
      loadRatio: neededRate / rate,
      achievableIntervalMs: spare > 0 ? Math.ceil((activeItems / spare) * 1000) : null,
    };
  });
}
