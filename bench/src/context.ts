/** What every phase of the bench shares: the web, the database, the current nats-server. */
import type { Managed } from './children.js';
import type { BenchDatabase } from './database.js';
import { startNats, type NatsHandle } from './nats.js';
import type { BenchOptions } from './options.js';
import type { PipelineSettings } from './pipeline.js';
import type { ConnectionMode, WebPlan } from './web-plan.js';

export interface BenchContext {
  repoRoot: string;
  /** bench/dist, where the child entry points are. */
  distDir: string;
  /** A temporary folder for config files and profiles. */
  workDir: string;
  plan: WebPlan;
  /** The fixture web's port (the same on every address). */
  port: number;
  fixture: Managed;
  db: BenchDatabase;
  nats: NatsHandle;
  options: BenchOptions;
  log(message: string): void;
}

/** Replaces the nats-server with a new one on an empty store (no queued jobs from an earlier phase). */
export async function freshNats(ctx: BenchContext): Promise<void> {
  await ctx.nats.stop();
  ctx.nats = await startNats();
}

/** Pipeline settings for this context. */
export function pipelineSettings(
  ctx: BenchContext,
  overrides: Partial<PipelineSettings> & { mode: ConnectionMode },
): PipelineSettings {
  return {
    repoRoot: ctx.repoRoot,
    workDir: ctx.workDir,
    nats: ctx.nats,
    db: ctx.db,
    plan: ctx.plan,
    crawlers: 1,
    checkLog: true,
    intervalMs: 1000,
    concurrency: ctx.options.concurrency,
    ...overrides,
  };
}
