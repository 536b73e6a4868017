/** Command-line options of `npm run bench` and the timings each implies. */
import { parseArgs } from 'node:util';
import { CONNECTION_MODES, type ConnectionMode } from './web-plan.js';

export interface BenchOptions {
  quick: boolean;
  rounds: number;
  /** Include the 1M-item step of the cost curve. */
  million: boolean;
  /** Write docs/performance.md (default: on for a full run, off for --quick). */
  docs: boolean;
  /** Concurrency of every contender (checks in flight per process). */
  concurrency: number;
  /** Connection modes of the head-to-head (--quick: keep-alive only). */
  modes: ConnectionMode[];
  timings: Timings;
}

export interface Timings {
  bareWarmupMs: number;
  bareWindowMs: number;
  crawleeWarmupMs: number;
  crawleeWindowMs: number;
  crawleeRequests: number;
  pipelineWarmupMs: number;
  pipelineWindowMs: number;
  latenessWarmupMs: number;
  latenessWindowMs: number;
}

const FULL: Timings = {
  bareWarmupMs: 1000,
  bareWindowMs: 2500,
  crawleeWarmupMs: 1500,
  crawleeWindowMs: 2500,
  crawleeRequests: 5000,
  pipelineWarmupMs: 2500,
  pipelineWindowMs: 4000,
  latenessWarmupMs: 5000,
  latenessWindowMs: 6000,
};

const QUICK: Timings = {
  bareWarmupMs: 500,
  bareWindowMs: 1500,
  crawleeWarmupMs: 1000,
  crawleeWindowMs: 1500,
  crawleeRequests: 3000,
  pipelineWarmupMs: 2000,
  pipelineWindowMs: 2500,
  latenessWarmupMs: 3000,
  latenessWindowMs: 4000,
};

export const USAGE = `Usage: npm run bench -- [--quick] [--rounds N] [--no-million] [--docs|--no-docs] [--concurrency N]

  --quick        about a minute: keep-alive mode only, short windows, no crawler scaling,
                 no profile, cost curve 10k/100k; docs/performance.md left alone
  --rounds N     interleaved rounds (default 3, at least 3)
  --no-million   leave out the 1M-item step of the cost curve (about 20 s)
  --docs         write docs/performance.md (default for a full run)
  --no-docs      do not
  --concurrency  checks in flight per contender process (default 64)`;

export function parseOptions(argv: string[]): BenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      'no-million': { type: 'boolean', default: false },
      docs: { type: 'boolean' },
      'no-docs': { type: 'boolean', default: false },
      concurrency: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  const quick = values.quick ?? false;
  const rounds = Math.max(3, Math.min(20, Number(values.rounds ?? 3) || 3));
  const concurrency = Math.max(1, Math.min(1024, Number(values.concurrency ?? 64) || 64));
  return {
    quick,
    rounds,
    million: !quick && !(values['no-million'] ?? false),
    docs: values['no-docs'] ? false : (values.docs ?? !quick),
    concurrency,
    modes: quick ? ['keepalive'] : [...CONNECTION_MODES],
    timings: quick ? QUICK : FULL,
  };
}
