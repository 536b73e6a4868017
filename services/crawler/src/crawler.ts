/**
 * The crawler: pulls check jobs of one mode, runs each under the politeness limits,
 * publishes its result and only then acks the job — so a crash at any point leaves the
 * job unacked and JetStream redelivers it. The bus batches results (many jobs share one
 * message and its ack), so a redone job's result may be stored twice; the store applies
 * a job id once.
 * On stop, it stops pulling and gives running checks a grace time; checks still running
 * then are aborted and their jobs nak'ed for another worker, with no result published.
 */
import type { Bus, JobControl, JobVerdict } from '@tdm/bus';
import type { CheckJob, CheckResult, Config, Mode } from '@tdm/core';
import type { Logger, Metrics } from '@tdm/telemetry';
import { ABORTED, runCheck } from './check-job.js';
import type { Politeness, Prober } from './ports.js';

export type CrawlerConfig = Pick<Config, 'globalConcurrency' | 'jobAckWaitMs'>;

export interface CrawlerOptions {
  bus: Pick<Bus, 'consumeJobs' | 'publishResult'>;
  prober: Prober;
  politeness: Politeness;
  config: CrawlerConfig;
  logger: Logger;
  metrics: Pick<Metrics, 'checks' | 'checkErrors' | 'checkDuration' | 'scheduleLateness'>;
  mode: Mode;
  /** Name of this worker in results and logs. */
  workerId: string;
  /** Pull expiry of the job consumer (see ConsumeJobsOptions). @default 2000 */
  pullExpiresMs?: number;
  /** Bound of the wait for a job's notBefore. @default 15000 (DEFAULT_MAX_NOT_BEFORE_WAIT_MS) */
  maxNotBeforeWaitMs?: number;
}

export interface Crawler {
  /** Starts pulling jobs; resolves when stop() has finished. */
  run(): Promise<void>;
  /** Stops pulling, lets running checks finish for up to `graceMs`, aborts and naks the rest. */
  stop(graceMs: number): Promise<void>;
}

class JobCrawler implements Crawler {
  readonly #options: CrawlerOptions;
  readonly #log: Logger;
  #consumer: ReturnType<Bus['consumeJobs']> | null = null;
  #stopped: Promise<void> | null = null;
  #resolveRun: () => void = () => undefined;
  readonly #runDone: Promise<void>;

  constructor(options: CrawlerOptions) {
    this.#options = options;
    this.#log = options.logger.child({ mode: options.mode, workerId: options.workerId });
    this.#runDone = new Promise((resolve) => {
      this.#resolveRun = resolve;
    });
  }

  async run(): Promise<void> {
    if (this.#consumer === null && this.#stopped === null) {
      const { bus, config, mode } = this.#options;
      this.#consumer = bus.consumeJobs(
        mode,
        {
          maxInFlight: config.globalConcurrency,
          ...(this.#options.pullExpiresMs !== undefined
            ? { pullExpiresMs: this.#options.pullExpiresMs }
            : {}),
        },
        (job, ctl) => this.#handle(job, ctl),
      );
      this.#log.info({ maxInFlight: config.globalConcurrency }, 'crawler started');
    }
    await this.#runDone;
  }

  stop(graceMs: number): Promise<void> {
    this.#stopped ??= (async () => {
      try {
        await this.#consumer?.stop(graceMs);
      } finally {
        this.#log.info('crawler stopped');
        this.#resolveRun();
      }
    })();
    return this.#stopped;
  }

  async #handle(job: CheckJob, ctl: JobControl): Promise<JobVerdict> {
    const { bus, prober, politeness, config, workerId } = this.#options;
    const log = this.#log.child({ itemId: job.itemId, jobId: job.jobId });
    // Keep the job ours while a slow check (or a long politeness wait) runs.
    const heartbeat = setInterval(() => ctl.working(), Math.max(500, Math.floor(config.jobAckWaitMs / 3)));
    try {
      const result = await runCheck(job, {
        prober,
        politeness,
        workerId,
        signal: ctl.signal,
        ...(this.#options.maxNotBeforeWaitMs !== undefined
          ? { maxNotBeforeWaitMs: this.#options.maxNotBeforeWaitMs }
          : {}),
      });
      if (result === ABORTED) {
        log.info('check aborted by shutdown; job handed back');
        return 'nak';
      }
      // Ack only after the result is stored in JetStream (its batch acked): if this throws, the job is nak'ed.
      await bus.publishResult(result);
      this.#record(result);
      log.debug(
        { outcome: result.outcome, reason: result.reason, durationMs: result.durationMs },
        'check done',
      );
      return 'ack';
    } catch (error) {
      log.warn({ err: error, deliveryCount: ctl.deliveryCount }, "check failed; job nak'ed for retry");
      return 'nak';
    } finally {
      clearInterval(heartbeat);
    }
  }

  #record(result: CheckResult): void {
    const { metrics, mode } = this.#options;
    metrics.checks.inc({ mode, outcome: result.outcome, reason: result.reason ?? 'none' });
    if (result.outcome === 'error') metrics.checkErrors.inc({ reason: result.reason ?? 'internal' });
    metrics.checkDuration.observe({ mode, outcome: result.outcome }, result.durationMs / 1000);
    const lateness = Date.parse(result.startedAt) - Date.parse(result.scheduledAt);
    metrics.scheduleLateness.observe({ mode }, Math.max(0, lateness) / 1000);
  }
}

/** Creates a crawler for one mode; call run() to start it. */
export function createCrawler(options: CrawlerOptions): Crawler {
  return new JobCrawler(options);
}
