/**
 * Pulls check results in batches for the results service. A batch is acked only after
 * the handler resolved (the results are stored); if it throws, every message of the
 * batch is nak'ed and comes back. While the handler runs, the batch's AckWait is
 * extended, so a slow database does not cause redeliveries of work in progress.
 */
import type { Consumer, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { CheckResult } from '@tdm/core';
import { decodeResult } from './codec.js';
import { errorField, type BusLogger } from './logger.js';
import { RESULTS_CONSUMER, RESULTS_STREAM } from './subjects.js';
import { backoffMs, settlesWithin, sleep } from './wait.js';
import { pullOptions } from './pull-options.js';

export type ResultBatchHandler = (results: CheckResult[]) => Promise<void>;

export interface ConsumeResultsOptions {
  /** Results per batch at most. */
  batchSize: number;
  /**
   * How long one pull waits for a batch to fill; a partial batch is handled when it ends.
   * JetStream's minimum pull expiry is 1 s, so smaller values act as 1 s.
   */
  maxWaitMs: number;
  /** Delay before a failed batch is redelivered. @default 1000 */
  nakDelayMs?: number;
}

export interface ResultConsumer {
  /** Stops pulling, waits up to `graceMs` for the running batch, then returns. */
  stop(graceMs: number): Promise<void>;
}

export class PullResultConsumer implements ResultConsumer {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #handler: ResultBatchHandler;
  readonly #logger: BusLogger;
  readonly #batchSize: number;
  readonly #expiresMs: number;
  readonly #nakDelayMs: number;
  readonly #workingEveryMs: number;
  readonly #stopping = new AbortController();
  #current: { stop(): void } | null = null;
  readonly #loop: Promise<void>;

  constructor(
    nc: NatsConnection,
    js: JetStreamClient,
    options: ConsumeResultsOptions,
    handler: ResultBatchHandler,
    logger: BusLogger,
    ackWaitMs: number,
  ) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new RangeError('batchSize must be a positive integer');
    this.#nc = nc;
    this.#js = js;
    this.#handler = handler;
    this.#logger = logger;
    this.#batchSize = options.batchSize;
    this.#expiresMs = pullOptions(1, options.maxWaitMs).expires;
    this.#nakDelayMs = options.nakDelayMs ?? 1000;
    this.#workingEveryMs = Math.max(250, Math.floor(ackWaitMs / 3));
    this.#loop = this.#run();
  }

  async stop(graceMs: number): Promise<void> {
    this.#stopping.abort();
    // The open pull runs out by its expiry and its batch is handled and acked, rather than
    // stranding messages until their AckWait; a slow handler gets `graceMs`.
    if (await settlesWithin(this.#loop, Math.max(graceMs, this.#expiresMs + 1000))) return;
    this.#current?.stop();
    await settlesWithin(this.#loop, 5000);
  }

  async #run(): Promise<void> {
    const stop = this.#stopping.signal;
    let consumer: Consumer | null = null;
    let failures = 0;
    while (!stop.aborted) {
      const batch: Array<{ msg: JsMsg; result: CheckResult }> = [];
      try {
        consumer ??= await this.#js.consumers.get(RESULTS_STREAM, RESULTS_CONSUMER);
        const messages = await consumer.fetch(pullOptions(this.#batchSize, this.#expiresMs));
        this.#current = messages;
        for await (const msg of messages) {
          try {
            batch.push({ msg, result: decodeResult(msg.data) });
          } catch (error) {
            this.#logger.error({ seq: msg.seq, err: errorField(error) }, 'malformed result terminated');
            msg.term();
          }
        }
        failures = 0;
      } catch (error) {
        failures += 1;
        this.#logger.warn({ err: errorField(error), failures }, 'pulling results failed; retrying');
        // Messages already received in this pull are still handled below.
        if (batch.length === 0) await sleep(backoffMs(failures), stop);
      } finally {
        this.#current = null;
      }
      if (batch.length > 0) await this.#handleBatch(batch);
    }
  }

  async #handleBatch(batch: Array<{ msg: JsMsg; result: CheckResult }>): Promise<void> {
    const heartbeat = setInterval(() => {
      for (const { msg } of batch) msg.working();
    }, this.#workingEveryMs);
    try {
      await this.#handler(batch.map((entry) => entry.result));
      for (const { msg } of batch) msg.ack();
    } catch (error) {
      this.#logger.warn({ size: batch.length, err: errorField(error) }, 'result batch failed; nak\'ed for redelivery');
      for (const { msg } of batch) msg.nak(this.#nakDelayMs);
    } finally {
      clearInterval(heartbeat);
    }
    try {
      await this.#nc.flush();
    } catch (error) {
      // Disconnected: the acks are buffered and sent on reconnect, or the batch is redelivered.
      this.#logger.warn({ err: errorField(error) }, 'flushing result acks failed');
    }
  }
}
