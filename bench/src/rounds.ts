/**
 * The head-to-head: bare undici, our pipeline and Crawlee, interleaved (A B C A B C …)
 * in both connection modes, so slow drifts of the machine hit all three alike.
 */
import type { BenchContext } from './context.js';
import type { ContenderChild } from './contenders.js';
import { contenderFigures, pipelineFigures, type ContenderName, type RunFigures } from './figures.js';
import { insertPlanItems } from './items.js';
import { measurePipeline, startPipeline } from './pipeline.js';
import { pipelineSettings } from './context.js';
import type { ConnectionMode } from './web-plan.js';

/** Items of the throughput runs: more than the scheduler's queue limit (20,000), at 1 s. */
export const OVERLOAD_ITEMS = 24_000;

export type RoundResults = Partial<Record<ConnectionMode, Record<ContenderName, RunFigures[]>>>;

/** Fills the database with the overload item set (every item due every second). */
export async function loadOverloadItems(ctx: BenchContext): Promise<void> {
  await ctx.db.truncate();
  await insertPlanItems(ctx.db.client, ctx.plan, ctx.port, OVERLOAD_ITEMS, 1000, new Date(Date.now() + 1000));
}

export async function runPipelineOnce(
  ctx: BenchContext,
  mode: ConnectionMode,
  crawlers = 1,
): Promise<RunFigures> {
  const { timings } = ctx.options;
  const pipeline = await startPipeline(pipelineSettings(ctx, { mode, crawlers }));
  try {
    const window = await measurePipeline(
      pipeline,
      ctx.nats,
      ctx.db,
      timings.pipelineWarmupMs,
      timings.pipelineWindowMs,
      [ctx.fixture.pid],
    );
    return pipelineFigures(window);
  } finally {
    await pipeline.stop();
  }
}

export async function runRounds(
  ctx: BenchContext,
  bare: ContenderChild,
  crawlee: ContenderChild,
): Promise<RoundResults> {
  const { timings, concurrency, rounds, modes } = ctx.options;
  const results: RoundResults = {};
  const of = (mode: ConnectionMode): Record<ContenderName, RunFigures[]> =>
    (results[mode] ??= { bare: [], pipeline: [], crawlee: [] });
  for (let round = 1; round <= rounds; round++) {
    for (const mode of modes) {
      const figures = of(mode);
      const b = await bare.run({
        mode,
        concurrency,
        warmupMs: timings.bareWarmupMs,
        windowMs: timings.bareWindowMs,
      });
      figures.bare.push(contenderFigures('bare', b));
      const p = await runPipelineOnce(ctx, mode);
      figures.pipeline.push(p);
      const c = await crawlee.run({
        mode,
        concurrency,
        warmupMs: timings.crawleeWarmupMs,
        windowMs: timings.crawleeWindowMs,
        requests: timings.crawleeRequests,
      });
      figures.crawlee.push(contenderFigures('crawlee', c));
      ctx.log(
        `round ${round} ${mode.padEnd(9)} bare ${figures.bare.at(-1)!.checksPerSecond.toFixed(0)}/s · ` +
          `pipeline ${p.checksPerSecond.toFixed(0)}/s · crawlee ${figures.crawlee.at(-1)!.checksPerSecond.toFixed(0)}/s`,
      );
    }
  }
  return results;
}
