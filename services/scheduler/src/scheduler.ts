/**
 * The scheduler: claims due items from the store and publishes their check jobs.
 *
 * Each round claims at most `schedulerBatch` items inside one transaction and publishes
 * their jobs before it commits (see Store.claimDueJobs), so nothing is lost between the
 * two; a full batch means more may be due, so the next round starts at once, otherwise
 * the loop sleeps one tick. While the CHECKS stream holds more than `maxPendingJobs`
 * jobs, it claims nothing (backpressure: the crawlers are behind, and claiming more would
 * only age the jobs in the queue). Several schedulers may run at once: the store's
 * `FOR UPDATE SKIP LOCKED` splits the due items between them.
 *
 * Politeness for the whole cluster: the claim paces each registrable domain in the
 * database (`domainRate`, see Store.claimDueJobs) and stamps each job with the start time
 * it booked (`notBefore`), which the crawlers honour; so the rate holds however many
 * schedulers and crawlers run.
 */
import type { Bus, JobTickets } from '@tdm/bus';
import {
  backoffMs,
  compileDomainRates,
  fixedInterval,
  MAX_PACING_HORIZON_MS,
  sleep,
  type CheckJob,
  type Config,
  type Mode,
} from '@tdm/core';
import type { Store } from '@tdm/store';
import type { Logger, Metrics } from '@tdm/telemetry';
import { PendingJobsEstimate } from './pending-jobs-estimate.js';
import { CapacityWatch } from './capacity-watch.js';

export type SchedulerConfig = Pick<
  Config,
  | 'checkIntervalMs'
  | 'schedulePolicy'
  | 'offlineRecheckIntervalMs'
  | 'schedulerBatch'
  | 'schedulerTickMs'
  | 'maxPendingJobs'
  | 'domainRate'
  | 'domainRates'
>;

/** The longest pacing horizon (defined in @tdm/core, where the crawler's wait bound derives from it). */
export { MAX_PACING_HORIZON_MS };

/**
 * Backoff after failed rounds (database or bus down): 200 ms doubling up to 500 ms. Short,
 * because the grid is late by this much after the database or NATS is back (a NATS
 * reconnect also cuts the wait short; a database has no such signal): the scheduler
 * claims again within half a second of a PostgreSQL restart. A round that fails costs one
 * connection attempt or one request, so trying twice a second while a dependency is down
 * is cheap. (It was 10 s: 2.2 s to get back on the grid after `pg_ctl restart`.)
 */
const FAILURE_BACKOFF = { firstMs: 200, capMs: 500 } as const;

/**
 * How far ahead a claim books a domain's start times: at least 1 s, and two ticks, so a
 * rate-limited domain always has jobs booked until the next round (a horizon shorter than
 * the tick would cap the domain below its rate).
 */
export function pacingHorizonMs(schedulerTickMs: number): number {
  return Math.min(MAX_PACING_HORIZON_MS, Math.max(1000, 2 * schedulerTickMs));
}

export interface SchedulerOptions {
  store: Pick<Store, 'claimDueJobs' | 'pruneDomainPacing' | 'domainCapacity'>;
  bus: Pick<Bus, 'pendingJobs' | 'publishJobs' | 'consumerPending' | 'onReconnect'>;
  config: SchedulerConfig;
  logger: Logger;
  metrics: Pick<
    Metrics,
    | 'jobsPublished'
    | 'claimDuration'
    | 'consumerPending'
    | 'domainsOverCapacity'
    | 'domainLoadRatio'
    | 'schedulerBehind'
  >;
  /** Signs each job published, so the results service can tell its results from forged ones. */
  tickets: Pick<JobTickets, 'issue'>;
  /**
   * How often the `consumerPending` gauge is refreshed.
   * @default 5000
   */
  pendingMetricEveryMs?: number;
  /**
   * How often the stream's job count (the backpressure signal) is asked of JetStream;
   * in between, the jobs published are added to the last answer.
   * @default 1000
   */
  pendingJobsEveryMs?: number;
  /**
   * How often pacing rows of domains idle for as long are deleted (they book nothing).
   * @default 3600000
   */
  pacingPruneEveryMs?: number;
  /**
   * How often the domains over capacity are counted (a full count of items per domain).
   * @default 300000
   */
  capacityEveryMs?: number;
}

/** Behind the grid by more than this (and a tenth of the interval) is worth a warning. */
const BEHIND_WARNING_MS = 1000;
/** At most one "behind the grid" warning per this long. */
const BEHIND_WARNING_EVERY_MS = 30_000;

export interface Scheduler {
  /** Runs the loop until stop(); never rejects (failures are logged and retried with backoff). */
  run(): Promise<void>;
  /** Interrupts the sleep, lets the current round finish (it commits or rolls back), and resolves when run() returned. */
  stop(): Promise<void>;
}

class LoopScheduler implements Scheduler {
  readonly #options: SchedulerOptions;
  readonly #stopping = new AbortController();
  #running: Promise<void> | null = null;
  #throttled = false;
  #pendingMetricAt = 0;
  readonly #pendingJobs: PendingJobsEstimate;
  #pacingPrunedAt = Date.now();
  readonly #capacity: CapacityWatch;
  readonly #domainRates: Record<string, number>;
  #behindWarnedAt = -Infinity;

  constructor(options: SchedulerOptions) {
    this.#options = options;
    // Checked here, so a bad TDM_DOMAIN_RATES stops the service at start with its name.
    this.#domainRates = Object.fromEntries(
      compileDomainRates(options.config.domainRate, options.config.domainRates).overrides,
    );
    this.#capacity = new CapacityWatch({
      store: options.store,
      config: options.config,
      logger: options.logger,
      metrics: options.metrics,
      everyMs: options.capacityEveryMs ?? 300_000,
    });
    this.#pendingJobs = new PendingJobsEstimate(options.bus, options.pendingJobsEveryMs ?? 1000);
  }

  run(): Promise<void> {
    this.#running ??= this.#loop();
    return this.#running;
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#running;
  }

  async #loop(): Promise<void> {
    const { config, logger } = this.#options;
    const signal = this.#stopping.signal;
    let failures = 0;
    let retryWait = new AbortController();
    // NATS back: retry now rather than at the end of the backoff.
    const unwatch = this.#options.bus.onReconnect(() => {
      retryWait.abort();
      retryWait = new AbortController();
    });
    logger.info(
      {
        batch: config.schedulerBatch,
        tickMs: config.schedulerTickMs,
        domainRate: config.domainRate,
        pacingHorizonMs: pacingHorizonMs(config.schedulerTickMs),
      },
      'scheduler started',
    );
    while (!signal.aborted) {
      try {
        const claimed = await this.#round();
        if (failures > 0) logger.info({ failures }, 'scheduler recovered');
        failures = 0;
        if (claimed < config.schedulerBatch) await sleep(config.schedulerTickMs, signal);
      } catch (error) {
        failures += 1;
        // NATS or the database away: keep the loop alive and retry with backoff.
        logger.warn({ err: error, failures }, 'scheduler round failed; retrying');
        await sleep(backoffMs(failures, FAILURE_BACKOFF), AbortSignal.any([signal, retryWait.signal]));
      }
    }
    unwatch();
    logger.info('scheduler stopped');
  }

  /** One round: check backpressure, then claim and publish. Returns the number of jobs published. */
  async #round(): Promise<number> {
    const { store, bus, config, logger, metrics } = this.#options;
    await this.#refreshPendingMetric();
    await this.#prunePacing();
    await this.#capacity.maybeCheck();
    const pending = await this.#pendingJobs.current();
    if (pending > config.maxPendingJobs) {
      if (!this.#throttled)
        logger.warn(
          { pending, maxPendingJobs: config.maxPendingJobs },
          'backpressure: not claiming until crawlers catch up',
        );
      this.#throttled = true;
      return 0;
    }
    if (this.#throttled) logger.info({ pending }, 'backpressure released');
    this.#throttled = false;
    const endTimer = metrics.claimDuration.startTimer();
    const jobs = await store.claimDueJobs(
      {
        now: new Date(),
        limit: config.schedulerBatch,
        policy: {
          regular: config.schedulePolicy ?? fixedInterval(config.checkIntervalMs),
          offlineRecheckIntervalMs: config.offlineRecheckIntervalMs,
          domainRate: config.domainRate,
          domainRates: this.#domainRates,
          pacingHorizonMs: pacingHorizonMs(config.schedulerTickMs),
        },
      },
      (batch) => bus.publishJobs(batch.map((job) => this.#options.tickets.issue(job))),
    );
    endTimer();
    this.#pendingJobs.published(jobs.length);
    this.#count(jobs);
    this.#watchGrid(jobs);
    if (jobs.length > 0) logger.debug({ jobs: jobs.length }, 'jobs published');
    return jobs.length;
  }

  #count(jobs: CheckJob[]): void {
    const byMode = new Map<Mode, number>();
    for (const job of jobs) byMode.set(job.mode, (byMode.get(job.mode) ?? 0) + 1);
    for (const [mode, count] of byMode) this.#options.metrics.jobsPublished.inc({ mode }, count);
  }

  /**
   * Says when the grid cannot be kept: the gauge is how far behind its slot the oldest job
   * of this round was (0 while on time), and a warning at most every 30 s when that
   * exceeds 1 s and a tenth of the interval (every check then starts late).
   */
  #watchGrid(jobs: CheckJob[]): void {
    if (jobs.length === 0) return;
    const now = Date.now();
    const oldest = Math.min(...jobs.map((job) => Date.parse(job.scheduledAt)));
    const behindMs = Math.max(0, now - oldest);
    this.#options.metrics.schedulerBehind.set(behindMs / 1000);
    const { config } = this.#options;
    const threshold = Math.max(BEHIND_WARNING_MS, config.checkIntervalMs / 10);
    if (behindMs > threshold && now - this.#behindWarnedAt >= BEHIND_WARNING_EVERY_MS) {
      this.#behindWarnedAt = now;
      this.#options.logger.warn(
        {
          behindSeconds: behindMs / 1000,
          jobs: jobs.length,
          checkIntervalSeconds: config.checkIntervalMs / 1000,
        },
        'scheduler behind its grid: checks start late (more crawlers, a higher TDM_SCHEDULER_BATCH, or a longer interval)',
      );
    }
  }

  /** Housekeeping, at most once per period: a failure is logged and does not stop the round. */
  async #prunePacing(): Promise<void> {
    const every = this.#options.pacingPruneEveryMs ?? 3600_000;
    if (Date.now() - this.#pacingPrunedAt < every) return;
    this.#pacingPrunedAt = Date.now();
    try {
      const pruned = await this.#options.store.pruneDomainPacing(new Date(Date.now() - every));
      if (pruned > 0) this.#options.logger.debug({ pruned }, 'idle domain pacing rows pruned');
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'pruning domain pacing failed; will retry');
    }
  }

  async #refreshPendingMetric(): Promise<void> {
    const every = this.#options.pendingMetricEveryMs ?? 5000;
    if (Date.now() - this.#pendingMetricAt < every) return;
    this.#pendingMetricAt = Date.now();
    for (const { stream, consumer, pending } of await this.#options.bus.consumerPending()) {
      this.#options.metrics.consumerPending.set({ stream, consumer }, pending);
    }
  }
}

/** Creates a scheduler; call run() to start it. */
export function createScheduler(options: SchedulerOptions): Scheduler {
  return new LoopScheduler(options);
}
