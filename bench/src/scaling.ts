/** End-to-end checks/s with 1, 2 and 4 crawler processes (keep-alive, overload). */
import type { BenchContext } from './context.js';
import { freshNats } from './context.js';
import type { RunFigures } from './figures.js';
import { loadOverloadItems, runPipelineOnce } from './rounds.js';

export interface ScalingStep {
  crawlers: number;
  figures: RunFigures;
}

export async function runScaling(ctx: BenchContext, counts: readonly number[]): Promise<ScalingStep[]> {
  await freshNats(ctx);
  await loadOverloadItems(ctx);
  const steps: ScalingStep[] = [];
  for (const crawlers of counts) {
    const figures = await runPipelineOnce(ctx, 'keepalive', crawlers);
    steps.push({ crawlers, figures });
    ctx.log(`scaling: ${crawlers} crawler process(es): ${figures.checksPerSecond.toFixed(0)} checks/s`);
  }
  return steps;
}
