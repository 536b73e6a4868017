/**
 * The statistics benchmark: GET /v1/stats/removals by hoster over 1,000,000 items on
 * PostgreSQL (goal ≤ 2 s). The items are made in SQL (40 hosters, log-normal removal
 * delays, a share never removed, a 15-minute check grid bracket), then the store's own
 * query runs a few times; the figure is the median run. `npm run bench` runs it at the
 * end; `npm run bench:stats` runs only this part.
 */
import pg from 'pg';
import { openStore } from '@tdm/store';

export interface StatsBenchResult {
  items: number;
  groups: number;
  runsMs: number[];
  medianMs: number;
}

const WITHIN = [
  { label: '1h', seconds: 3600 },
  { label: '12h', seconds: 12 * 3600 },
  { label: '24h', seconds: 24 * 3600 },
  { label: '7d', seconds: 7 * 86400 },
];

export async function runStatsBench(
  adminUrl: string,
  items = 1_000_000,
  log = console.log,
): Promise<StatsBenchResult> {
  const name = `tdm_stats_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const store = await openStore({ databaseUrl: url.toString() });
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    await store.migrate();
    await client.connect();
    const started = Date.now();
    // Per item: hoster h (skewed: low numbers hold more), notice within 30 days, a
    // log-normal delay (median 2^(h mod 5) hours), 15% never removed, 15-minute grid.
    await client.query(
      `INSERT INTO items (url, original_url, host, registrable_domain, mode, reported_at, notice_sent_at, deadline_at,
                          state, checks, first_checked_at, last_checked_at, last_online_at, offline_at, hoster)
       SELECT 'http://h' || g.h || '.example/' || g.n, 'http://h' || g.h || '.example/' || g.n,
              'h' || g.h || '.example', 'h' || g.h || '.example', 'http', g.notice, g.notice,
              g.notice + interval '24 hours',
              CASE WHEN g.never THEN 'online' ELSE 'offline' END, 3, g.notice, g.notice + interval '60 days',
              CASE WHEN g.never THEN g.notice + interval '59 days'
                   ELSE g.notice + make_interval(secs => greatest(0, g.delay - 900)) END,
              CASE WHEN g.never THEN NULL ELSE g.notice + make_interval(secs => g.delay) END,
              'Hoster ' || g.h
         FROM (SELECT n, (floor(40 * random() ^ 2))::int AS h,
                      timestamptz '2026-01-01' + make_interval(secs => random() * 30 * 86400) AS notice,
                      random() < 0.15 AS never,
                      3600 * exp(ln(2) * (n % 5) + 1.2 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS delay
                 FROM generate_series(1, $1::int) AS n) AS g`,
      [items],
    );
    await client.query('ANALYZE items');
    log(
      `stats bench: ${items.toLocaleString('en')} items made in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    const runsMs: number[] = [];
    let groups = 0;
    for (let run = 0; run < 4; run++) {
      const t0 = process.hrtime.bigint();
      const answer = await store.removalStats({
        groupBy: ['hoster'],
        now: new Date('2026-03-01'),
        within: WITHIN,
      });
      runsMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      groups = answer.length;
    }
    // The first run warms the cache; the figure is the median of the rest.
    const warm = runsMs.slice(1).sort((a, b) => a - b);
    const medianMs = warm[Math.floor(warm.length / 2)] ?? Number.NaN;
    const [load1] = (await import('node:os')).loadavg();
    log(
      `stats bench: load average ${(load1 ?? 0).toFixed(1)} on ${(await import('node:os')).cpus().length} cores; GET /v1/stats/removals?groupBy=hoster over ${items.toLocaleString('en')} items: ` +
        `${medianMs.toFixed(0)} ms (median of ${warm.length} warm runs; runs ${runsMs.map((ms) => ms.toFixed(0)).join(', ')} ms; ` +
        `${groups} groups; goal ≤ 2000 ms)`,
    );
    return { items, groups, runsMs, medianMs };
  } finally {
    await client.end().catch(() => undefined);
    await store.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  }
}

const invokedDirectly = import.meta.url === `file://${process.argv[1]}`;
if (invokedDirectly) {
  const adminUrl = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const items = Number(process.argv[2] ?? 1_000_000);
  await runStatsBench(adminUrl, items);
}
