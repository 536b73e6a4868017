/** The figures the bench reports, per run and per round, in one JSON-friendly shape. */
import type { OutcomeCounts } from './classify.js';
import type { ContenderRun } from './contenders.js';
import type { PipelineCpu, PipelineWindow } from './pipeline.js';
import { perThousand } from './stats.js';

export type ContenderName = 'bare' | 'pipeline' | 'crawlee';

export interface RunFigures {
  checks: number;
  seconds: number;
  checksPerSecond: number;
  /** CPU seconds per 1,000 checks of all the contender's processes (the fixture's apart). */
  cpuPer1000: number;
  fixtureCpuPer1000: number;
  /** Peak RSS by process name, bytes. */
  peakRss: Record<string, number>;
  outcomes?: OutcomeCounts;
  /** Pipeline only: CPU seconds per 1,000 checks by part. */
  cpuPartsPer1000?: PipelineCpu;
  /** Pipeline only: PostgreSQL statement time per check (pg_stat_database.active_time), ms. */
  dbActiveMsPerCheck?: number;
  /** Pipeline only: table bytes grown per check. */
  dbBytesPerCheck?: number;
  /** Pipeline only: WAL bytes written per check (cluster-wide: includes other databases' writes). */
  walBytesPerCheck?: number;
}

export function contenderFigures(name: 'bare' | 'crawlee', run: ContenderRun): RunFigures {
  return {
    checks: run.checks,
    seconds: run.seconds,
    checksPerSecond: run.seconds > 0 ? run.checks / run.seconds : 0,
    cpuPer1000: perThousand(run.cpuSeconds, run.checks),
    fixtureCpuPer1000: perThousand(run.fixtureCpuSeconds, run.checks),
    peakRss: { [name]: run.peakRssBytes },
    outcomes: run.outcomes,
  };
}

export function pipelineFigures(window: PipelineWindow): RunFigures {
  const { cpu, checks } = window;
  const total = cpu.scheduler + cpu.crawlers + cpu.results + cpu.nats + cpu.postgres;
  const per = (seconds: number): number => perThousand(seconds, checks);
  return {
    checks,
    seconds: window.seconds,
    checksPerSecond: window.seconds > 0 ? checks / window.seconds : 0,
    cpuPer1000: per(total),
    fixtureCpuPer1000: per(window.apartCpu),
    peakRss: {
      scheduler: window.peakRss.scheduler,
      crawler: window.peakRss.crawler,
      results: window.peakRss.results,
      'nats-server': window.peakRss.nats,
    },
    cpuPartsPer1000: {
      scheduler: per(cpu.scheduler),
      crawlers: per(cpu.crawlers),
      results: per(cpu.results),
      nats: per(cpu.nats),
      postgres: per(cpu.postgres),
    },
    dbActiveMsPerCheck: checks > 0 ? window.dbActiveMs / checks : Number.NaN,
    dbBytesPerCheck: checks > 0 ? window.dbBytes / checks : Number.NaN,
    walBytesPerCheck: checks > 0 ? window.walBytes / checks : Number.NaN,
  };
}
