/**
 * Pulls check results for the results service. A pulled message carries a batch of
 * results (or one, from an older crawler); the results of one pull are handed to the
 * handler in calls of at most `batchSize` results (result-chunks.ts). A message is acked
 * only after the handler resolved for all its results (they are stored); when a call
 * throws, every message of the pull not yet acked is nak'ed and comes back — the rest of
 * the pull is not handled, so that within a pull newer results never overtake an older
 * one. (A later pull may still bring newer results of an item before the nak'ed older one
 * returns; the store then ignores the older one as not newer — rare, as it needs two
 * results of one item in flight at once.)
 * While the handler runs, the pull's AckWait is extended, so a slow database does not
 * cause redeliveries of work in progress. When the NATS connection comes back after a
 * loss, the open pull is dropped and a new one made at once (as the job consumer does).
 */
import type { Consumer, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { backoffMs, settlesWithin, sleep, type CheckResult } from '@tdm/core';
import { decodeResultBatch } from './codec.js';
import type { ConnectionWatch } from './connection-watch.js';
import { errorField, type BusLogger } from './logger.js';
import { RESULTS_CONSUMER, RESULTS_STREAM } from './subjects.js';
import { PULL_RETRY_BACKOFF, pullOptions } from './pull-options.js';
import { chunkResults, type PulledResults } from './result-chunks.js';

export type ResultBatchHandler = (results: CheckResult[]) => Promise<void>;

export interface ConsumeResultsOptions {
  /** Results per handler call at most. */
  batchSize: number;
  /**
   * Messages per pull at most. A message holds up to the crawlers' `resultBatchSize`
   * results, so a pull holds up to this many times that; its results are still handed over
   * `batchSize` at a time.
   * @default batchSize
   */
  maxMessages?: number;
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
  readonly #watch: ConnectionWatch;
  readonly #handler: ResultBatchHandler;
  readonly #logger: BusLogger;
  readonly #batchSize: number;
  readonly #maxMessages: number;
  readonly #expiresMs: number;
  readonly #nakDelayMs: number;
  readonly #workingEveryMs: number;
  readonly #stopping = new AbortController();
  /** Set when stop()'s grace time ran out: chunks not yet handled are nak'ed, not applied. */
  #abandoned = false;
  #current: { stop(): void } | null = null;
  /** Invalid results dropped from otherwise valid messages since start (in the logs). */
  #malformedTotal = 0;
  /** Aborted by a reconnect: cuts the retry wait short. */
  #retryWait = new AbortController();
  #failures = 0;
  readonly #loop: Promise<void>;

  constructor(
    nc: NatsConnection,
    js: JetStreamClient,
    watch: ConnectionWatch,
    options: ConsumeResultsOptions,
    handler: ResultBatchHandler,
    logger: BusLogger,
    ackWaitMs: number,
  ) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1)
      throw new RangeError('batchSize must be a positive integer');
    this.#nc = nc;
    this.#js = js;
    this.#watch = watch;
    this.#handler = handler;
    this.#logger = logger;
    this.#batchSize = options.batchSize;
    this.#maxMessages = Math.max(1, Math.floor(options.maxMessages ?? options.batchSize));
    this.#expiresMs = pullOptions(1, options.maxWaitMs).expires;
    this.#nakDelayMs = options.nakDelayMs ?? 1000;
    this.#workingEveryMs = Math.max(250, Math.floor(ackWaitMs / 3));
    const unwatch = watch.onReconnect(() => this.#rebind());
    this.#loop = this.#run().finally(unwatch);
  }

  /** The connection is back: pull again now. Results already received are still handled. */
  #rebind(): void {
    this.#failures = 0;
    this.#current?.stop();
    this.#retryWait.abort();
    this.#retryWait = new AbortController();
  }

  async stop(graceMs: number): Promise<void> {
    this.#stopping.abort();
    // The open pull runs out by its expiry and its batch is handled and acked, rather than
    // stranding messages until their AckWait; a slow handler gets `graceMs`.
    if (await settlesWithin(this.#loop, Math.max(graceMs, this.#expiresMs + 1000))) return;
    // A big pull (up to `maxMessages` × 100 results) may still be applying chunk by chunk:
    // hand the rest back instead of applying it while the process closes the store.
    this.#abandoned = true;
    this.#current?.stop();
    await settlesWithin(this.#loop, 5000);
  }

  async #run(): Promise<void> {
    const stop = this.#stopping.signal;
    let consumer: Consumer | null = null;
    while (!stop.aborted) {
      const pulled: Array<PulledResults<JsMsg>> = [];
      if (!this.#watch.connected) {
        // A pull made now would be sent on reconnect into a subscription we drop then
        // (#rebind), stranding its messages until their AckWait: wait for the connection.
        await sleep(60_000, AbortSignal.any([stop, this.#retryWait.signal]));
        continue;
      }
      try {
        consumer ??= await this.#watch.whileConnected(() =>
          this.#js.consumers.get(RESULTS_STREAM, RESULTS_CONSUMER),
        );
        const messages = await consumer.fetch(pullOptions(this.#maxMessages, this.#expiresMs));
        this.#current = messages;
        for await (const msg of messages) {
          const results = this.#decode(msg);
          if (results !== null) pulled.push({ msg, results });
        }
        this.#failures = 0;
      } catch (error) {
        this.#failures += 1;
        this.#logger.warn(
          { err: errorField(error), failures: this.#failures },
          'pulling results failed; retrying',
        );
        // Messages already received in this pull are still handled below.
        if (pulled.length === 0)
          await sleep(
            backoffMs(this.#failures, PULL_RETRY_BACKOFF),
            AbortSignal.any([stop, this.#retryWait.signal]),
          );
      } finally {
        this.#current = null;
      }
      if (pulled.length > 0) await this.#handlePull(pulled);
    }
  }

  /**
   * The valid results of a message, or null when it holds none (then it is terminated: it
   * can never be stored). Invalid elements among valid ones are logged and dropped; the
   * message is acked with the valid ones.
   */
  #decode(msg: JsMsg): CheckResult[] | null {
    try {
      const { results, malformed } = decodeResultBatch(msg.data);
      this.#malformedTotal += malformed.length;
      const fields = { seq: msg.seq, malformed: malformed.length, malformedTotal: this.#malformedTotal };
      if (results.length === 0) {
        this.#logger.error(
          { ...fields, err: errorField(malformed[0]) },
          'result message without a valid result terminated',
        );
      } else {
        if (malformed.length > 0) {
          this.#logger.error(
            { ...fields, valid: results.length, err: errorField(malformed[0]) },
            'malformed results dropped',
          );
        }
        return results;
      }
    } catch (error) {
      this.#logger.error({ seq: msg.seq, err: errorField(error) }, 'malformed result terminated');
    }
    msg.term();
    return null;
  }

  async #handlePull(pulled: Array<PulledResults<JsMsg>>): Promise<void> {
    const unacked = new Set(pulled.map((entry) => entry.msg));
    const heartbeat = setInterval(() => {
      for (const msg of unacked) msg.working();
    }, this.#workingEveryMs);
    try {
      for (const chunk of chunkResults(pulled, this.#batchSize)) {
        if (this.#abandoned) break;
        if (chunk.results.length > 0) await this.#handler(chunk.results);
        for (const msg of chunk.completes) {
          msg.ack();
          unacked.delete(msg);
        }
      }
    } catch (error) {
      this.#logger.warn(
        { messages: unacked.size, err: errorField(error) },
        "result batch failed; nak'ed for redelivery",
      );
    } finally {
      clearInterval(heartbeat);
    }
    // Failed, or abandoned at shutdown: whatever is not stored comes back.
    for (const msg of unacked) msg.nak(this.#nakDelayMs);
    try {
      await this.#nc.flush();
    } catch (error) {
      // Disconnected: the acks are buffered and sent on reconnect, or the batch is redelivered.
      this.#logger.warn({ err: errorField(error) }, 'flushing result acks failed');
    }
  }
}
