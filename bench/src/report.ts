/** The bench's report: its JSON shape and its tables (terminal and Markdown). */
import type { CostStep } from './cost-curve.js';
import type { LatenessRun } from './lateness.js';
import type { BenchOptions } from './options.js';
import type { ProfileReport } from './profile-run.js';
import type { RoundResults } from './rounds.js';
import type { ScalingStep } from './scaling.js';
import type { Goal, ModeSummary, Projection } from './summary.js';
import { fmt, type Table } from './table.js';
import { CONNECTION_MODES, type ConnectionMode } from './web-plan.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  natsServer: string;
  postgres: string;
  /** 1-minute load average before and after the run (other work on the machine shows here). */
  loadBefore: number;
  loadAfter: number;
}

export interface BenchReport {
  startedAt: string;
  durationSeconds: number;
  options: BenchOptions;
  machine: Machine;
  web: { hosts: number; urls: number; addressesPerMode: number; notFoundShare: number; bodyBytes: string };
  /** The configuration variable that switches the prober's keep-alive, or null if Config has none. */
  keepAliveSetting: string;
  rounds: RoundResults;
  summary: Partial<Record<ConnectionMode, ModeSummary>>;
  lateness: LatenessRun[];
  scaling: ScalingStep[];
  cost: CostStep[];
  profile: ProfileReport | null;
  goals: Goal[];
  projection: Projection[];
}

const NAMES = {
  bare: 'bare undici (ceiling)',
  pipeline: 'our pipeline',
  crawlee: 'Crawlee HttpCrawler',
} as const;

function rss(peak: Record<string, number>): string {
  return Object.entries(peak)
    .map(([name, bytes]) => `${name} ${fmt.mb(bytes)}`)
    .join(', ');
}

export function tables(report: BenchReport): Table[] {
  const out: Table[] = [];
  const rounds = report.options.rounds;
  const modes = CONNECTION_MODES.flatMap((mode): Array<[ConnectionMode, ModeSummary]> => {
    const summary = report.summary[mode];
    return summary ? [[mode, summary]] : [];
  });
  out.push({
    title: `Head to head: median of ${rounds} interleaved rounds, ${report.options.concurrency} checks in flight per process`,
    head: [
      'mode',
      'contender',
      'checks/s',
      'rounds',
      'CPU-s / 1k checks',
      'checks / CPU-s',
      'fixture CPU-s / 1k',
      'peak RSS',
    ],
    rows: modes.flatMap(([mode, summary]) =>
      (['bare', 'pipeline', 'crawlee'] as const).map((name) => {
        const c = summary.contenders[name];
        return [
          mode,
          NAMES[name],
          fmt.n(c.checksPerSecond),
          c.perRound.map((v) => fmt.n(v)).join(' / '),
          fmt.n(c.cpuPer1000, 2),
          fmt.n(1000 / c.cpuPer1000),
          fmt.n(c.fixtureCpuPer1000, 2),
          rss(c.peakRss),
        ];
      }),
    ),
    notes: [
      'pipeline = scheduler → JetStream → 1 crawler process → results → PostgreSQL; its CPU includes nats-server and the PostgreSQL backends.',
      `fresh = the fixture closes every connection after one response; the pipeline also ran with ${report.keepAliveSetting}=false.`,
    ],
  });
  out.push({
    title: 'Goals',
    head: ['goal', 'measured', 'met'],
    rows: report.goals.map((g) => [g.goal, g.measured, g.met === null ? '–' : g.met ? 'yes' : 'NO']),
  });
  out.push({
    title: 'Pipeline: CPU-s per 1,000 checks by process, and database time',
    head: ['mode', 'scheduler', 'crawler', 'results', 'nats-server', 'PostgreSQL', 'DB statement ms / check'],
    rows: modes.map(([mode, summary]) => {
      const p = summary.pipelineParts;
      return [
        mode,
        fmt.n(p.scheduler, 2),
        fmt.n(p.crawlers, 2),
        fmt.n(p.results, 2),
        fmt.n(p.nats, 2),
        fmt.n(p.postgres, 2),
        fmt.n(summary.dbActiveMsPerCheck, 2),
      ];
    }),
    notes: [
      'JetStream time per check = nats-server CPU; database time per check = pg_stat_database.active_time (statement time, all connections) per check.',
    ],
  });
  if (report.lateness.length > 0) {
    out.push({
      title: 'Pipeline at a steady load: schedule lateness (check start − slot) and storage per check',
      head: [
        'load',
        'offered/s',
        'done/s',
        'check log',
        'lateness p50',
        'p99',
        'max',
        'samples',
        'table bytes / check',
        'WAL bytes / check',
      ],
      rows: report.lateness.map((run) => [
        fmt.pct(run.share),
        fmt.n(run.offeredPerSecond),
        fmt.n(run.figures.checksPerSecond),
        run.checkLog ? 'on' : 'off',
        run.lateness ? `${fmt.n(run.lateness.p50Ms)} ms` : '–',
        run.lateness ? `${fmt.n(run.lateness.p99Ms)} ms` : '–',
        run.lateness ? `${fmt.n(run.lateness.maxMs)} ms` : '–',
        run.lateness ? fmt.n(run.lateness.samples) : '–',
        fmt.n(run.figures.dbBytesPerCheck ?? Number.NaN),
        fmt.n(run.figures.walBytesPerCheck ?? Number.NaN),
      ]),
      notes: [
        'Load = share of the keep-alive sustained maximum above; items on a 5 s grid, slots spread evenly. WAL is cluster-wide (other databases on the server add to it).',
      ],
    });
  }
  if (report.scaling.length > 0) {
    out.push({
      title: 'Pipeline: crawler processes (keep-alive, overload)',
      head: ['crawlers', 'checks/s', 'CPU-s / 1k checks', 'crawler CPU-s / 1k', 'peak RSS per crawler'],
      rows: report.scaling.map((s) => [
        String(s.crawlers),
        fmt.n(s.figures.checksPerSecond),
        fmt.n(s.figures.cpuPer1000, 2),
        fmt.n(s.figures.cpuPartsPer1000?.crawlers ?? NaN, 2),
        fmt.mb(s.figures.peakRss['crawler'] ?? NaN),
      ]),
    });
  }
  if (report.cost.length > 0) {
    out.push({
      title: 'Scheduler cost curve (5,000 items due, claimed 500 at a time)',
      head: [
        'items in table',
        'insert s',
        'table size',
        'claim + publish ms / 500',
        'claim only ms / 500',
        'scheduler RSS',
        'scheduler peak RSS',
      ],
      rows: report.cost.map((c) => [
        fmt.n(c.items),
        fmt.n(c.insertSeconds, 1),
        fmt.mb(c.tableBytes),
        fmt.n(c.claimRoundMs, 1),
        fmt.n(c.dbClaimMs, 1),
        fmt.mb(c.schedulerRssBytes),
        fmt.mb(c.schedulerPeakRssBytes),
      ]),
    });
  }
  if (report.profile) {
    for (const proc of report.profile.processes) {
      out.push({
        title: `Profile of ${proc.role} (--cpu-prof, keep-alive, ${fmt.n(report.profile.figures.checksPerSecond)} checks/s): busy ${fmt.n(proc.busyMs)} ms, idle ${fmt.pct(proc.idleShare)}`,
        head: ['package (native + node: frames charged to their caller)', 'share'],
        rows: proc.byCallerPackage.slice(0, 10).map((e) => [e.name, fmt.pct(e.share)]),
        notes: [
          'top functions (self time): ' +
            proc.byFunction
              .slice(0, 8)
              .map((e) => `${e.name} ${fmt.pct(e.share)}`)
              .join('; '),
        ],
      });
    }
  }
  if (report.projection.length > 0) {
    out.push({
      title: 'Projection at a 15-minute grid, from the measured CPU cost per check',
      head: [
        'costs of',
        'items',
        'checks/s',
        'crawler cores',
        'results',
        'nats',
        'PostgreSQL',
        'scheduler',
        'total cores',
        'crawler processes',
        'in flight at 0.5 s/check',
      ],
      rows: report.projection.map((p) => [
        p.mode,
        fmt.n(p.items),
        fmt.n(p.checksPerSecond),
        fmt.n(p.cores.crawlers, 1),
        fmt.n(p.cores.results, 1),
        fmt.n(p.cores.nats, 1),
        fmt.n(p.cores.postgres, 1),
        fmt.n(p.cores.scheduler, 1),
        fmt.n(p.cores.total, 1),
        fmt.n(p.crawlerProcesses),
        fmt.n(p.inFlightAtHalfSecond),
      ]),
      notes: [
        'Cores are busy cores at 100% (plan for ~60% utilisation, ×1.7); crawler processes each at 60% of a core. Loopback, plain HTTP: real targets add TLS handshakes and latency.',
        'In flight: real checks wait on the network, so the crawlers together need rate × mean check time checks in flight (TDM_CONCURRENCY × processes).',
      ],
    });
  }
  return out;
}

export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB.toFixed(0)} GiB; Node ${m.node}; ${m.natsServer}; ${m.postgres}; load average ${m.loadBefore.toFixed(1)} before, ${m.loadAfter.toFixed(1)} after`;
}
