/**
 * Schedule lateness at a given share of the pipeline's sustained maximum: items on a 5 s
 * grid, their slots spread evenly, so the offered load is steady; lateness is each check's
 * start time minus its slot, read from the raw check log (exact, not histogram buckets).
 */
import type { BenchContext } from './context.js';
import { freshNats, pipelineSettings } from './context.js';
import { pipelineFigures, type RunFigures } from './figures.js';
import { insertPlanItems } from './items.js';
import { measurePipeline, startPipeline } from './pipeline.js';
import { sleep } from './ports.js';

const INTERVAL_MS = 5000;
/** Slots start this long after the items are written: the services are up by then. */
const LEAD_MS = 4000;
/** Results of checks that started just before the window closed need a moment to be applied. */
const DRAIN_MS = 1500;

export interface LatenessRun {
  /** Offered load as a share of the sustained maximum. */
  share: number;
  offeredPerSecond: number;
  items: number;
  intervalMs: number;
  checkLog: boolean;
  figures: RunFigures;
  /** Lateness of the checks scheduled in the window (null without the check log). */
  lateness: { samples: number; p50Ms: number; p99Ms: number; maxMs: number } | null;
}

export async function latenessRun(
  ctx: BenchContext,
  maxPerSecond: number,
  share: number,
  checkLog: boolean,
  extraEnv: Record<string, string> = {},
): Promise<LatenessRun> {
  const { timings } = ctx.options;
  await freshNats(ctx);
  await ctx.db.truncate();
  const items = Math.max(50, Math.round((share * maxPerSecond * INTERVAL_MS) / 1000));
  await insertPlanItems(
    ctx.db.client,
    ctx.plan,
    ctx.port,
    items,
    INTERVAL_MS,
    new Date(Date.now() + LEAD_MS),
  );
  const pipeline = await startPipeline(
    pipelineSettings(ctx, { mode: 'keepalive', checkLog, intervalMs: INTERVAL_MS, extraEnv }),
  );
  try {
    const window = await measurePipeline(
      pipeline,
      ctx.nats,
      ctx.db,
      timings.latenessWarmupMs,
      timings.latenessWindowMs,
      [ctx.fixture.pid],
    );
    let lateness: LatenessRun['lateness'] = null;
    if (checkLog) {
      await sleep(DRAIN_MS);
      // Slots in the window except its last second, whose checks may still be running.
      const result = await ctx.db.client.query<{
        n: string;
        p50: number | null;
        p99: number | null;
        max: number | null;
      }>(
        `SELECT count(*) AS n,
                percentile_cont(0.5)  WITHIN GROUP (ORDER BY extract(epoch FROM started_at - scheduled_at)) * 1000 AS p50,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - scheduled_at)) * 1000 AS p99,
                max(extract(epoch FROM started_at - scheduled_at)) * 1000 AS max
           FROM checks WHERE scheduled_at >= $1 AND scheduled_at < $2`,
        [new Date(window.from), new Date(window.to - 1000)],
      );
      const row = result.rows[0]!;
      lateness = {
        samples: Number(row.n),
        p50Ms: Number(row.p50 ?? NaN),
        p99Ms: Number(row.p99 ?? NaN),
        maxMs: Number(row.max ?? NaN),
      };
    }
    return {
      share,
      offeredPerSecond: (items * 1000) / INTERVAL_MS,
      items,
      intervalMs: INTERVAL_MS,
      checkLog,
      figures: pipelineFigures(window),
      lateness,
    };
  } finally {
    await pipeline.stop();
  }
}
