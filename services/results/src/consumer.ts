/**
 * The results consumer: takes batches of check results from the bus, applies them to the
 * store (state machine, transitions, check log) and records what happened. The bus acks a
 * batch only after the handler resolves; a crash before the commit redelivers it, and the
 * store's idempotence (unique job id, ordering by scheduled time) makes the re-apply a no-op.
 */
import { backoffMs, sleep, type CheckResult, type Config } from '@tdm/core';
import type { AppliedResult, Store } from '@tdm/store';
import type { Logger, Metrics } from '@tdm/telemetry';

/** The part of the bus the consumer needs (typed structurally; @tdm/bus implements it). */
export interface ResultsBus {
  consumeResults(
    options: { batchSize: number; maxMessages?: number; maxWaitMs: number },
    handler: (results: CheckResult[]) => Promise<void>,
  ): { stop(graceMs?: number): Promise<void> };
}

/**
 * The check of job tickets the consumer needs (typed structurally; `createJobTickets` of
 * @tdm/bus implements it, so the results service need not depend on the bus).
 */
export interface ResultTickets {
  verify(result: Pick<CheckResult, 'jobId' | 'itemId' | 'scheduledAt' | 'ticket'>): boolean;
}

export interface ResultsConsumerOptions {
  bus: ResultsBus;
  store: Store;
  config: Config;
  metrics: Metrics;
  logger: Logger;
  /** Results applied per store transaction at most. @default 500 */
  batchSize?: number;
  /**
   * Bus messages per pull at most. Crawlers publish results in batches (up to 100 a
   * message, fewer at low rates), so a pull of 50 holds a few hundred to 5,000 results,
   * applied `batchSize` at a time; a pull fills (or its wait ends) before it is handled, so
   * fewer messages keep the results' latency low. Results of older crawlers come one a
   * message: 50 a transaction during a rolling upgrade.
   * @default 50
   */
  maxMessages?: number;
  /** Time a partial batch waits for more results. @default 250 */
  maxWaitMs?: number;
  /** Time `stop()` lets the batch in flight finish. @default 10000 */
  stopGraceMs?: number;
  /**
   * Tries of `applyResults` per batch before the handler gives up and the bus redelivers.
   * Retrying in place matters: a redelivered batch may come after newer results of the
   * same items, and then the state machine ignores it as older. @default 3
   */
  applyAttempts?: number;
  /** Pause before the first retry (at most; it doubles per retry, with jitter). @default 250 */
  retryDelayMs?: number;
  /** Names the hoster of a check's address (the operator's table); items keep the last one found. */
  hosterOf?: (ip: string) => string | null;
  /**
   * Verifies the job ticket of each result: a result whose ticket does not prove that the
   * scheduler issued its job (item and scheduled time) is dropped and counted, never applied.
   */
  tickets: ResultTickets;
}

export interface ResultsConsumer {
  start(): void;
  stop(): Promise<void>;
}

export type ResultsHandlerOptions = Pick<
  ResultsConsumerOptions,
  'store' | 'config' | 'metrics' | 'logger' | 'applyAttempts' | 'retryDelayMs' | 'hosterOf' | 'tickets'
>;

/**
 * The batch handler on its own: drop results of jobs never issued, apply the rest
 * (retried in place), count, log. Throws when the store still fails after `applyAttempts`
 * tries, so that the bus does not ack and the batch comes again. Answers only for the
 * results it passed to the store (dropped ones are acked with their batch: redelivering
 * a forgery would not make it genuine).
 */
export function createResultsHandler(
  options: ResultsHandlerOptions,
): (results: CheckResult[]) => Promise<AppliedResult[]> {
  const { store, config, metrics, logger } = options;
  const attempts = Math.max(1, options.applyAttempts ?? 3);
  const retryDelayMs = options.retryDelayMs ?? 250;
  const applyOptions = {
    policy: {
      confirmDefinitive: config.confirmDefinitive,
      confirmTransient: config.confirmTransient,
      confirmTransientMinSpanMs: config.confirmTransientMinSpanMs,
    },
    confirmRecheckDelayMs: config.confirmRecheckDelayMs,
    checkLog: config.checkLog,
    ...(options.hosterOf ? { hosterOf: options.hosterOf } : {}),
  };
  return async (received) => {
    const results = received.filter((result) => options.tickets.verify(result));
    const dropped = received.length - results.length;
    if (dropped > 0) {
      metrics.resultsRejected.inc({ reason: 'unissued' }, dropped);
      // jobId is `itemId@scheduledAt` by construction, but a forged one is attacker text: log none.
      logger.warn(
        { dropped },
        'dropped check results without a valid job ticket (not issued by the scheduler)',
      );
    }
    if (results.length === 0) return [];
    let applied: AppliedResult[] | undefined;
    for (let attempt = 1; applied === undefined; attempt += 1) {
      try {
        // One transaction, idempotent: a retry after a failure half-way re-applies nothing twice.
        applied = await store.applyResults(results, applyOptions);
      } catch (error) {
        if (attempt >= attempts) {
          logger.error(
            { err: error, results: results.length, attempt },
            'cannot apply results; the batch will be redelivered',
          );
          throw error;
        }
        logger.warn({ err: error, results: results.length, attempt }, 'applying results failed; retrying');
        await sleep(backoffMs(attempt, { firstMs: retryDelayMs, capMs: 16 * retryDelayMs }));
      }
    }
    let fresh = 0;
    applied.forEach((outcome, i) => {
      if (outcome.applied) fresh += 1;
      const itemId = results[i]?.itemId;
      for (const t of outcome.transitions) {
        metrics.transitions.inc({ from: t.from, to: t.to, reason: t.reason ?? 'none' });
        logger.info(
          { itemId, jobId: outcome.jobId, from: t.from, to: t.to, at: t.at.toISOString(), reason: t.reason },
          'item transition',
        );
      }
    });
    if (fresh > 0) metrics.resultsApplied.inc({ applied: 'true' }, fresh);
    if (applied.length > fresh) metrics.resultsApplied.inc({ applied: 'false' }, applied.length - fresh);
    logger.debug({ results: results.length, applied: fresh }, 'results applied');
    return applied;
  };
}

/** Consumes check results from the bus until `stop()`. */
export function createResultsConsumer(options: ResultsConsumerOptions): ResultsConsumer {
  const handle = createResultsHandler(options);
  const logger = options.logger;
  let subscription: { stop(graceMs?: number): Promise<void> } | null = null;
  return {
    start() {
      if (subscription) return;
      subscription = options.bus.consumeResults(
        {
          batchSize: options.batchSize ?? 500,
          maxMessages: options.maxMessages ?? 50,
          maxWaitMs: options.maxWaitMs ?? 250,
        },
        async (results) => {
          await handle(results);
        },
      );
      logger.info('results consumer started');
    },
    async stop() {
      const current = subscription;
      subscription = null;
      if (!current) return;
      await current.stop(options.stopGraceMs ?? 10_000);
      logger.info('results consumer stopped');
    },
  };
}
