/**
 * Items written straight into the database (multi-row INSERTs), bypassing the API: the
 * bench's set-up should cost seconds, not be part of what it measures.
 */
import { registrableDomainOf } from '@tdm/core';
import type pg from 'pg';
import { planUrl, type WebPlan } from './web-plan.js';

const CHUNK = 5000;

/**
 * Inserts `count` items over the plan's URLs (repeated with `?c=<n>` when count exceeds
 * them), anchored so that their grid slots of `intervalMs` spread evenly over one interval
 * starting at `firstSlotAt`: the offered load is then a steady count/interval per second.
 */
export async function insertPlanItems(
  client: pg.Client,
  plan: WebPlan,
  port: number,
  count: number,
  intervalMs: number,
  firstSlotAt: Date,
): Promise<void> {
  for (let start = 0; start < count; start += CHUNK) {
    const urls: string[] = [];
    const hosts: string[] = [];
    const domains: string[] = [];
    const hashes: string[] = [];
    const anchors: string[] = [];
    const due: string[] = [];
    for (let k = start; k < Math.min(count, start + CHUNK); k++) {
      const entry = plan.urls[k % plan.urls.length]!;
      const copy = Math.floor(k / plan.urls.length);
      urls.push(planUrl(entry, port) + (copy > 0 ? `?c=${copy}` : ''));
      hosts.push(entry.host);
      domains.push(registrableDomainOf(entry.host));
      hashes.push(plan.bodies[entry.body]!.sha256);
      const offset = Math.floor((k / count) * intervalMs);
      anchors.push(new Date(firstSlotAt.getTime() - intervalMs + offset).toISOString());
      due.push(new Date(firstSlotAt.getTime() + offset).toISOString());
    }
    await client.query(
      `WITH t AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[])
                    AS t(u, h, d, s, a, n)),
            ins AS (INSERT INTO items (url, original_url, host, registrable_domain, mode, sha256, reported_at)
                    SELECT u, u, h, d, 'http', s, a FROM t RETURNING item_id, url)
       INSERT INTO schedule (item_id, registrable_domain, next_check_at)
       SELECT ins.item_id, t.d, t.n FROM ins JOIN t ON t.u = ins.url`,
      [urls, hosts, domains, hashes, anchors, due],
    );
  }
  await client.query('ANALYZE items');
  await client.query('ANALYZE schedule');
}

/**
 * Inserts `count` synthetic items (never fetched) server-side with generate_series, of
 * which the first `dueCount` are due now and the rest spread over the next hour: the
 * table size grows while the scheduler's work per claim stays the same.
 */
export async function insertSyntheticItems(
  client: pg.Client,
  count: number,
  dueCount: number,
): Promise<void> {
  await client.query(
    `WITH src AS (SELECT i, 'http://c' || i || '.test/x.bin' AS u FROM generate_series(1, $1::int) AS i),
          ins AS (INSERT INTO items (url, original_url, host, registrable_domain, mode, sha256, reported_at)
                  SELECT u, u, 'c' || i || '.test', 'c' || i || '.test', 'http', repeat('a', 64), now() - interval '1 hour'
                    FROM src RETURNING item_id, url)
     INSERT INTO schedule (item_id, registrable_domain, next_check_at)
     SELECT ins.item_id, 'c' || src.i || '.test',
            CASE WHEN src.i <= $2 THEN now() - interval '1 second' ELSE now() + interval '1 hour' + (src.i % 3600) * interval '1 second' END
       FROM ins JOIN src ON src.u = ins.url`,
    [count, dueCount],
  );
  await client.query('ANALYZE items');
  await client.query('ANALYZE schedule');
}
