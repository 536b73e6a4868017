/**
 * Our pipeline as deployed: `tdm scheduler`, `tdm crawler` (one or more processes) and
 * `tdm results` as separate processes on a nats-server and PostgreSQL, so each one's CPU
 * and memory can be read apart. Settings come from the environment and one JSON config
 * file (the host map of 1,000+ names is too long for an environment variable).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { SETTINGS } from '@tdm/core';
import { startProcess, type Managed } from './children.js';
import type { BenchDatabase } from './database.js';
import type { NatsHandle } from './nats.js';
import { freePort, sleep, waitHttpOk } from './ports.js';
import { cpuSince, cpuSnapshot, memory } from './proc-stats.js';
import { scrape, sumMetric } from './prom.js';
import type { ConnectionMode, WebPlan } from './web-plan.js';

export interface PipelineSettings {
  repoRoot: string;
  workDir: string;
  nats: NatsHandle;
  db: BenchDatabase;
  plan: WebPlan;
  mode: ConnectionMode;
  crawlers: number;
  checkLog: boolean;
  intervalMs: number;
  /** Checks in flight per crawler process (TDM_CONCURRENCY). */
  concurrency: number;
  /** When set: crawler and results run with --cpu-prof into this folder. */
  cpuProfDir?: string;
  /** Only the scheduler (for the cost curve). */
  schedulerOnly?: boolean;
  /** More environment for every service (experiments: `TDM_SCHEDULER_TICK`, …). */
  extraEnv?: Record<string, string>;
}

export interface Service {
  role: 'scheduler' | 'crawler' | 'results';
  process: Managed;
  /** Its /metrics URL. */
  metricsUrl: string;
}

export interface Pipeline {
  services: Service[];
  startedAt: number;
  stop(): Promise<void>;
}

function configFile(settings: PipelineSettings): string {
  const file = path.join(settings.workDir, `tdm-config-${settings.mode}.json`);
  writeFileSync(
    file,
    JSON.stringify({ hostMap: settings.plan.hostMap[settings.mode], allowRanges: ['127.0.0.0/8'] }),
  );
  return file;
}

/**
 * Starts the services and waits until each answers /readyz. A start that fails (a port
 * taken between freePort() and the bind, say) is retried once.
 */
export async function startPipeline(settings: PipelineSettings): Promise<Pipeline> {
  try {
    return await startPipelineOnce(settings);
  } catch {
    return await startPipelineOnce(settings);
  }
}

async function startPipelineOnce(settings: PipelineSettings): Promise<Pipeline> {
  const main = path.join(settings.repoRoot, 'services/cli/dist/main.js');
  const interval = `${settings.intervalMs}ms`;
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? '/tmp',
    NATS_URL: settings.nats.url,
    DATABASE_URL: settings.db.url,
    TDM_CONFIG: configFile(settings),
    TDM_DATA_DIR: settings.workDir,
    TDM_LOG_LEVEL: 'warn',
    TDM_CHECK_INTERVAL: interval,
    // Offline items stay on the same grid, so the offered load is exactly items/interval.
    TDM_OFFLINE_RECHECK_INTERVAL: interval,
    TDM_CHECK_LOG: String(settings.checkLog),
    TDM_CONCURRENCY: String(settings.concurrency),
    // Politeness on, not binding: 1,200 domains × 50/s is far above any rate reached here.
    TDM_DOMAIN_RATE: '50',
    TDM_DOMAIN_CONCURRENCY: '8',
    ...settings.extraEnv,
  };
  // Each mode also sets the prober's own keep-alive switch, not only the fixture's behaviour.
  env[SETTINGS.keepAlive.env] = String(settings.mode === 'keepalive');
  const nodeArgs = (role: string, index: number): string[] =>
    settings.cpuProfDir !== undefined && role !== 'scheduler'
      ? ['--cpu-prof', `--cpu-prof-dir=${path.join(settings.cpuProfDir, `${role}-${index}`)}`]
      : [];
  const launch = async (role: Service['role'], index: number): Promise<Service> => {
    const port = await freePort();
    const listen = `127.0.0.1:${port}`;
    const roleEnv = role === 'results' ? { TDM_LISTEN: listen } : { TDM_METRICS_LISTEN: listen };
    const managed = startProcess(
      `${role}${role === 'crawler' ? `-${index}` : ''}`,
      process.execPath,
      [...nodeArgs(role, index), main, role],
      {
        env: {
          ...env,
          ...roleEnv,
          ...(role === 'crawler' ? { TDM_WORKER_ID: `bench-crawler-${index}` } : {}),
        },
        cwd: settings.repoRoot,
      },
    );
    return { role, process: managed, metricsUrl: `http://${listen}/metrics` };
  };
  const services: Service[] = [await launch('scheduler', 0)];
  if (!settings.schedulerOnly) {
    services.push(await launch('results', 0));
    for (let i = 0; i < settings.crawlers; i++) services.push(await launch('crawler', i));
  }
  const pipeline: Pipeline = {
    services,
    startedAt: Date.now(),
    async stop() {
      // Reverse order: the scheduler stops publishing first, crawlers finish, results drain.
      await Promise.all(services.map((service) => service.process.stop(15_000)));
    },
  };
  try {
    await Promise.all(
      services.map((service) =>
        waitHttpOk(
          service.metricsUrl.replace('/metrics', '/readyz'),
          30_000,
          () => `${service.process.name}: ${service.process.tail()}`,
          () => service.process.alive,
        ),
      ),
    );
  } catch (error) {
    await pipeline.stop();
    throw error;
  }
  return pipeline;
}

/** CPU seconds per part of the pipeline over a window. */
export interface PipelineCpu {
  scheduler: number;
  crawlers: number;
  results: number;
  nats: number;
  postgres: number;
}

export interface PipelineWindow {
  checks: number;
  seconds: number;
  cpu: PipelineCpu;
  /** Peak RSS per process (crawler: the largest of them). */
  peakRss: { scheduler: number; crawler: number; results: number; nats: number };
  /** CPU seconds of the processes measured apart (the fixture web). */
  apartCpu: number;
  dbActiveMs: number;
  dbBytes: number;
  walBytes: number;
  /** Window bounds (epoch ms), for the lateness query. */
  from: number;
  to: number;
}

async function resultsSeen(pipeline: Pipeline): Promise<number> {
  const results = pipeline.services.find((service) => service.role === 'results');
  return results ? sumMetric(await scrape(results.metricsUrl), 'tdm_results_total') : 0;
}

/** Waits `warmupMs`, then measures completed checks (results applied), CPU, memory and database figures over `windowMs`. */
export async function measurePipeline(
  pipeline: Pipeline,
  nats: NatsHandle,
  db: BenchDatabase,
  warmupMs: number,
  windowMs: number,
  apart: readonly number[] = [],
): Promise<PipelineWindow> {
  await sleep(warmupMs);
  const pidsOf = (role: Service['role']): number[] =>
    pipeline.services.filter((s) => s.role === role).map((s) => s.process.pid);
  const pgStart = await db.backendPids();
  const groups = {
    scheduler: pidsOf('scheduler'),
    crawlers: pidsOf('crawler'),
    results: pidsOf('results'),
    nats: [nats.process.pid],
  };
  const all = [...groups.scheduler, ...groups.crawlers, ...groups.results, ...groups.nats, ...pgStart];
  const cpuBefore = cpuSnapshot([...all, ...apart]);
  const checksBefore = await resultsSeen(pipeline);
  const statsBefore = await db.stats();
  const from = Date.now();
  await sleep(windowMs);
  const checksAfter = await resultsSeen(pipeline);
  const to = Date.now();
  const pgEnd = await db.backendPids();
  const pgAll = [...new Set([...pgStart, ...pgEnd])];
  const cpu: PipelineCpu = {
    scheduler: cpuSince(cpuBefore, groups.scheduler),
    crawlers: cpuSince(cpuBefore, groups.crawlers),
    results: cpuSince(cpuBefore, groups.results),
    nats: cpuSince(cpuBefore, groups.nats),
    postgres: cpuSince(cpuBefore, pgAll),
  };
  const apartCpu = cpuSince(cpuBefore, apart);
  const statsAfter = await db.stats();
  const peak = (pids: number[]): number => Math.max(0, ...pids.map((pid) => memory(pid)?.peakRssBytes ?? 0));
  return {
    checks: checksAfter - checksBefore,
    seconds: (to - from) / 1000,
    cpu,
    peakRss: {
      scheduler: peak(groups.scheduler),
      crawler: peak(groups.crawlers),
      results: peak(groups.results),
      nats: peak(groups.nats),
    },
    apartCpu,
    dbActiveMs: statsAfter.activeMs - statsBefore.activeMs,
    dbBytes: statsAfter.bytes - statsBefore.bytes,
    walBytes: statsAfter.walBytes - statsBefore.walBytes,
    from,
    to,
  };
}
