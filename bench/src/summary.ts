/** Medians, ratios, goals and the cluster projection, computed from the raw figures. */
import type { CostStep } from './cost-curve.js';
import type { ContenderName, RunFigures } from './figures.js';
import type { LatenessRun } from './lateness.js';
import type { PipelineCpu } from './pipeline.js';
import type { RoundResults } from './rounds.js';
import type { ScalingStep } from './scaling.js';
import { median, ratio } from './stats.js';
import { CONNECTION_MODES, type ConnectionMode } from './web-plan.js';

export interface ContenderSummary {
  checksPerSecond: number;
  perRound: number[];
  cpuPer1000: number;
  fixtureCpuPer1000: number;
  peakRss: Record<string, number>;
}

export interface ModeSummary {
  contenders: Record<ContenderName, ContenderSummary>;
  pipelineVsBare: number;
  pipelineVsCrawlee: number;
  /** The same ratios in checks per CPU-second: robust against other load on the machine. */
  pipelineVsBarePerCpu: number;
  pipelineVsCrawleePerCpu: number;
  pipelineParts: PipelineCpu;
  dbActiveMsPerCheck: number;
}

export interface Goal {
  goal: string;
  measured: string;
  met: boolean | null;
}

export interface Projection {
  /** Which measured costs: keep-alive (connections reused) or fresh (a connection per check). */
  mode: ConnectionMode;
  items: number;
  checksPerSecond: number;
  /** Cores busy per part at the measured CPU cost per check. */
  cores: PipelineCpu & { total: number };
  /** Crawler processes, each kept at 60% of one core. */
  crawlerProcesses: number;
  /** Checks in flight needed when a real check takes 0.5 s on average (Little's law). */
  inFlightAtHalfSecond: number;
}

function summarize(runs: RunFigures[]): ContenderSummary {
  const peakRss: Record<string, number> = {};
  for (const run of runs)
    for (const [name, bytes] of Object.entries(run.peakRss))
      peakRss[name] = Math.max(peakRss[name] ?? 0, bytes);
  return {
    checksPerSecond: median(runs.map((r) => r.checksPerSecond)),
    perRound: runs.map((r) => r.checksPerSecond),
    cpuPer1000: median(runs.map((r) => r.cpuPer1000)),
    fixtureCpuPer1000: median(runs.map((r) => r.fixtureCpuPer1000)),
    peakRss,
  };
}

function medianParts(runs: RunFigures[]): PipelineCpu {
  const part = (key: keyof PipelineCpu): number =>
    median(runs.map((r) => r.cpuPartsPer1000?.[key] ?? Number.NaN));
  return {
    scheduler: part('scheduler'),
    crawlers: part('crawlers'),
    results: part('results'),
    nats: part('nats'),
    postgres: part('postgres'),
  };
}

export function summarizeRounds(rounds: RoundResults): Partial<Record<ConnectionMode, ModeSummary>> {
  const out: Partial<Record<ConnectionMode, ModeSummary>> = {};
  for (const mode of CONNECTION_MODES) {
    const r = rounds[mode];
    if (!r) continue;
    const contenders = {
      bare: summarize(r.bare),
      pipeline: summarize(r.pipeline),
      crawlee: summarize(r.crawlee),
    };
    out[mode] = {
      contenders,
      pipelineVsBare: ratio(contenders.pipeline.checksPerSecond, contenders.bare.checksPerSecond),
      pipelineVsCrawlee: ratio(contenders.pipeline.checksPerSecond, contenders.crawlee.checksPerSecond),
      pipelineVsBarePerCpu: ratio(contenders.bare.cpuPer1000, contenders.pipeline.cpuPer1000),
      pipelineVsCrawleePerCpu: ratio(contenders.crawlee.cpuPer1000, contenders.pipeline.cpuPer1000),
      pipelineParts: medianParts(r.pipeline),
      dbActiveMsPerCheck: median(r.pipeline.map((p) => p.dbActiveMsPerCheck ?? Number.NaN)),
    };
  }
  return out;
}

export function goals(
  modes: Partial<Record<ConnectionMode, ModeSummary>>,
  lateness: LatenessRun[],
  cost: CostStep[],
): Goal[] {
  const list: Goal[] = [];
  for (const mode of CONNECTION_MODES) {
    const m = modes[mode];
    if (!m) continue;
    list.push({
      goal: `pipeline ≥ 60% of bare undici checks/s (${mode})`,
      measured: `${(m.pipelineVsBare * 100).toFixed(0)}%`,
      met: m.pipelineVsBare >= 0.6,
    });
    list.push({
      goal: `pipeline ≥ 3× Crawlee checks/s (${mode})`,
      measured: `${m.pipelineVsCrawlee.toFixed(2)}×`,
      met: m.pipelineVsCrawlee >= 3,
    });
    list.push({
      goal: `  same, per CPU-second: vs bare (${mode})`,
      measured: `${(m.pipelineVsBarePerCpu * 100).toFixed(0)}%`,
      met: m.pipelineVsBarePerCpu >= 0.6,
    });
    list.push({
      goal: `  same, per CPU-second: vs Crawlee (${mode})`,
      measured: `${m.pipelineVsCrawleePerCpu.toFixed(2)}×`,
      met: m.pipelineVsCrawleePerCpu >= 3,
    });
  }
  const half = lateness.find((run) => run.share === 0.5 && run.lateness !== null);
  list.push({
    goal: 'lateness p99 < 250 ms at 50% load',
    measured: half?.lateness ? `${half.lateness.p99Ms.toFixed(0)} ms` : 'not measured',
    met: half?.lateness ? half.lateness.p99Ms < 250 : null,
  });
  const first = cost[0];
  const last = cost.at(-1);
  if (first && last && last !== first) {
    const growth = last.schedulerPeakRssBytes / first.schedulerPeakRssBytes;
    list.push({
      goal: `scheduler memory flat ${first.items.toLocaleString('en-US')} → ${last.items.toLocaleString('en-US')} items`,
      measured: `peak RSS ×${growth.toFixed(2)}`,
      met: growth <= 1.2,
    });
  }
  return list;
}

/** Cores and crawler processes for `items` on a grid of `gridMs`, at the measured costs. */
export function project(mode: ConnectionMode, items: number, gridMs: number, parts: PipelineCpu): Projection {
  const rate = (items * 1000) / gridMs;
  const cores = (perThousand: number): number => (rate * perThousand) / 1000;
  const c = {
    scheduler: cores(parts.scheduler),
    crawlers: cores(parts.crawlers),
    results: cores(parts.results),
    nats: cores(parts.nats),
    postgres: cores(parts.postgres),
  };
  return {
    mode,
    items,
    checksPerSecond: rate,
    cores: { ...c, total: c.scheduler + c.crawlers + c.results + c.nats + c.postgres },
    crawlerProcesses: Math.max(1, Math.ceil(c.crawlers / 0.6)),
    inFlightAtHalfSecond: Math.ceil(rate * 0.5),
  };
}

export function scalingEfficiency(steps: ScalingStep[]): number {
  const one = steps.find((s) => s.crawlers === 1);
  const most = steps.at(-1);
  return one && most
    ? ratio(most.figures.checksPerSecond, one.figures.checksPerSecond * most.crawlers)
    : Number.NaN;
}
