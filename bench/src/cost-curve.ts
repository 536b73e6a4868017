/**
 * The scheduler's cost as the item table grows: 10k, 100k (and 1M) items, of which the
 * same 5,000 are due. The real scheduler process claims and publishes them; its claim
 * rounds are read from its metrics and its memory from /proc. The same claim is then
 * timed without publishing (database only) through the store.
 */
import { fixedInterval } from '@tdm/core';
import { openStore } from '@tdm/store';
import type { BenchContext } from './context.js';
import { freshNats, pipelineSettings } from './context.js';
import { insertSyntheticItems } from './items.js';
import { startPipeline } from './pipeline.js';
import { sleep } from './ports.js';
import { memory } from './proc-stats.js';
import { scrape, sumMetric } from './prom.js';
import { median } from './stats.js';

const DUE = 5000;
const BATCH = 500;
const PUBLISH_TIMEOUT_MS = 60_000;

export interface CostStep {
  items: number;
  insertSeconds: number;
  tableBytes: number;
  /** Claim-and-publish time of the scheduler process per 500 jobs, ms. */
  claimRoundMs: number;
  claimRounds: number;
  /** Median claim of 500 without publishing (database only), ms. */
  dbClaimMs: number;
  schedulerRssBytes: number;
  schedulerPeakRssBytes: number;
}

async function dbOnlyClaims(url: string, rounds: number): Promise<number> {
  const store = await openStore({ databaseUrl: url, maxConnections: 1 });
  try {
    const times: number[] = [];
    const policy = { regular: fixedInterval(900_000), offlineRecheckIntervalMs: 6 * 3600_000 };
    for (let i = 0; i < rounds; i++) {
      const start = performance.now();
      await store.claimDueJobs({ now: new Date(), limit: BATCH, policy }, async () => undefined);
      times.push(performance.now() - start);
    }
    return median(times);
  } finally {
    await store.close();
  }
}

export async function runCostStep(ctx: BenchContext, items: number): Promise<CostStep> {
  await freshNats(ctx);
  await ctx.db.truncate();
  const insertStart = performance.now();
  await insertSyntheticItems(ctx.db.client, items, DUE);
  const insertSeconds = (performance.now() - insertStart) / 1000;
  const tableBytes = Number(
    (
      await ctx.db.client.query<{ b: string }>(
        "SELECT (pg_total_relation_size('items') + pg_total_relation_size('schedule'))::text AS b",
      )
    ).rows[0]!.b,
  );
  const pipeline = await startPipeline(
    pipelineSettings(ctx, { mode: 'keepalive', schedulerOnly: true, intervalMs: 900_000 }),
  );
  const scheduler = pipeline.services[0]!;
  let text = '';
  let rss = 0;
  let peak = 0;
  try {
    const deadline = Date.now() + PUBLISH_TIMEOUT_MS;
    while (Date.now() < deadline) {
      text = await scrape(scheduler.metricsUrl);
      if (sumMetric(text, 'tdm_jobs_published_total') >= DUE) break;
      await sleep(200);
    }
    // A few idle ticks, so memory reflects the steady state after the burst.
    await sleep(500);
    text = await scrape(scheduler.metricsUrl);
  } finally {
    const mem = memory(scheduler.process.pid);
    rss = mem?.rssBytes ?? 0;
    peak = mem?.peakRssBytes ?? 0;
    await pipeline.stop();
  }
  const published = sumMetric(text, 'tdm_jobs_published_total');
  if (published < DUE)
    throw new Error(
      `cost curve: the scheduler published ${published} of ${DUE} due jobs within ${PUBLISH_TIMEOUT_MS} ms`,
    );
  // Per 500 jobs: the histogram also times the idle rounds (a few ms in all), so divide by
  // the full rounds, not by the histogram's count.
  const sum = sumMetric(text, 'tdm_scheduler_claim_duration_seconds_sum');
  const count = published / BATCH;
  // The same due set again, claimed without publishing.
  await ctx.db.client.query(
    `UPDATE schedule SET next_check_at = now() - interval '1 second' WHERE item_id <= $1`,
    [DUE],
  );
  const dbClaimMs = await dbOnlyClaims(ctx.db.url, DUE / BATCH);
  return {
    items,
    insertSeconds,
    tableBytes,
    claimRoundMs: count > 0 ? (sum * 1000) / count : Number.NaN,
    claimRounds: count,
    dbClaimMs,
    schedulerRssBytes: rss,
    schedulerPeakRssBytes: peak,
  };
}
