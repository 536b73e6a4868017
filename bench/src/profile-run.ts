/**
 * One pipeline run (keep-alive, overload) with `node --cpu-prof` on the crawler and the
 * results service; the profiles are summarised over the measurement window only.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BenchContext } from './context.js';
import { pipelineSettings } from './context.js';
import { pipelineFigures, type RunFigures } from './figures.js';
import { measurePipeline, startPipeline } from './pipeline.js';
import { profileFiles, summarizeProfile, type ProfileSummary } from './profile.js';

export interface ProfileReport {
  figures: RunFigures;
  processes: Array<{ role: string } & ProfileSummary>;
}

export async function runProfile(ctx: BenchContext): Promise<ProfileReport> {
  const { timings } = ctx.options;
  const dir = path.join(ctx.workDir, 'cpu-profiles');
  mkdirSync(dir, { recursive: true });
  const pipeline = await startPipeline(pipelineSettings(ctx, { mode: 'keepalive', cpuProfDir: dir }));
  let window;
  try {
    window = await measurePipeline(
      pipeline,
      ctx.nats,
      ctx.db,
      timings.pipelineWarmupMs,
      timings.pipelineWindowMs,
      [ctx.fixture.pid],
    );
  } finally {
    // The profiles are written when the processes exit cleanly (SIGTERM → process.exit).
    await pipeline.stop();
  }
  const skipMs = window.from - pipeline.startedAt;
  const spanMs = window.to - window.from;
  const processes = profileFiles(dir).map((file) => ({
    role: path.basename(path.dirname(file)),
    ...summarizeProfile(file, skipMs, spanMs),
  }));
  return { figures: pipelineFigures(window), processes };
}
