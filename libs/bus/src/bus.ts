/**
 * The bus: one NATS connection per process, the JetStream streams, and the publish and
 * consume operations the services use. The connection reconnects forever (a short, jittered
 * wait between tries), so a restarted NATS server is survived; publishes and JetStream
 * requests fail fast while it is away or when it drops under them (connection-watch.ts),
 * and the callers retry them (message ids make retries idempotent); the consumers and the
 * scheduler's retry wait are woken by the reconnect.
 */
import {
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type PubAck,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { settlesWithin, type CheckJob, type CheckResult, type Mode } from '@tdm/core';
import { MAX_MESSAGE_BYTES, encodeJob } from './codec.js';
import { ConnectionWatch } from './connection-watch.js';
import { BusPublishError } from './errors.js';
import {
  PullJobConsumer,
  type ConsumeJobsOptions,
  type JobConsumer,
  type JobHandler,
} from './job-consumer.js';
import { errorField, silentLogger, type BusLogger } from './logger.js';
import { connectFailure, natsConnectOptions, type NatsSecurity } from './nats-security.js';
import { ResultBatcher } from './result-batcher.js';
import {
  PullResultConsumer,
  type ConsumeResultsOptions,
  type ResultBatchHandler,
  type ResultConsumer,
} from './result-consumer.js';
import {
  ensureStreams,
  resolveStreamOptions,
  type ResolvedStreamOptions,
  type StreamOptions,
} from './streams.js';
import {
  CHECKS_STREAM,
  MODES,
  RESULTS_CONSUMER,
  RESULTS_STREAM,
  RESULTS_SUBJECT,
  jobConsumerName,
  jobSubject,
} from './subjects.js';

export interface BusOptions extends StreamOptions {
  /** NATS server URLs (`nats://host:port`). */
  servers: string[];
  /** Connection name, shown by the server's monitoring (e.g. `tdm-crawler-<workerId>`). */
  name: string;
  /** Credentials, TLS and reply prefix of the connection. @default none (anonymous, plain TCP) */
  security?: NatsSecurity;
  logger?: BusLogger;
  /**
   * Publishes awaiting their ack at most in publishJobs(): enough to pipeline (about 4×
   * the rate of one-at-a-time), few enough not to flood the server.
   * @default 1000
   */
  publishWindow?: number;
  /**
   * Results per JetStream message at most: publishResult() collects results and publishes
   * them together (one ack, one socket write, one stored message per batch).
   * @default 100
   */
  resultBatchSize?: number;
  /**
   * How long a batch's first result waits for others before the batch is published. The
   * wait holds the check's crawler slot (its job is acked after the result), so it trades
   * throughput at a fixed concurrency against CPU. Measured (64 checks in flight, ~27 ms
   * each, loopback): one message per result 2,363 results/s, NATS client 0.097 and
   * nats-server 0.051 CPU-s per 1k; 2 ms: 2,272/s, 0.043 and 0.021; 5 ms: 2,154/s, 0.040
   * and 0.012; 10 ms: 1,972/s, 0.029 and 0.009. 5 ms takes most of the saving for a few %
   * of throughput (less with real checks of hundreds of ms).
   * @default 5
   */
  resultBatchDelayMs?: number;
  /**
   * Timeout of one publish ack and of the JetStream reads of a running service (stream and
   * consumer info). An ack normally takes milliseconds; a request sent to a stream leader
   * that just died is never answered, and on a cluster of three the caller (connected to a
   * live node, so not failed by the disconnect) waits this long before it retries. 10 s
   * kept the scheduler off the grid for a whole run after a leader kill. @default 3000
   */
  requestTimeoutMs?: number;
  /** Timeout of the JetStream calls that create or update the streams at start. @default 10_000 */
  setupTimeoutMs?: number;
  /**
   * Wait between reconnect attempts to the server list, plus a random 0…`reconnectJitterMs`.
   * Short, so a restarted server is found within about half a second; the jitter spreads a
   * fleet's reconnects. @default 250
   */
  reconnectWaitMs?: number;
  /** @default 250 */
  reconnectJitterMs?: number;
  /**
   * Keep trying when no server answers at start (instead of failing connectBus()).
   * @default false
   */
  waitOnFirstConnect?: boolean;
  /** Create or update the streams and consumers on connect. @default true */
  ensureStreams?: boolean;
}

/** Messages waiting for one durable consumer (not yet delivered plus delivered but unacked). */
export interface ConsumerPending {
  stream: string;
  consumer: string;
  pending: number;
}

export interface Bus {
  /** Creates or updates streams and consumers (idempotent, safe from several processes). */
  ensureStreams(): Promise<void>;
  /**
   * Publishes jobs on `tdm.checks.<mode>` with msg id = jobId (a republished job is dropped
   * by the duplicate window), pipelined. Resolves when every ack arrived; rejects with a
   * BusPublishError if any failed (then retry the whole batch: the duplicates are dropped).
   */
  publishJobs(jobs: CheckJob[]): Promise<void>;
  /**
   * Publishes one result on `tdm.results` and waits for its ack. Results are batched: the
   * promise resolves once the JetStream message carrying this result is acked, and rejects
   * with a BusPublishError (for every result of that batch) when its publish failed. The
   * msg id is derived from the batch's job ids (see batchMsgId).
   */
  publishResult(result: CheckResult): Promise<void>;
  /** Pulls jobs of one mode through the durable `tdm-crawler-<mode>` consumer. */
  consumeJobs(mode: Mode, options: ConsumeJobsOptions, handler: JobHandler): JobConsumer;
  /** Pulls results in batches through the durable `tdm-results` consumer. */
  consumeResults(options: ConsumeResultsOptions, handler: ResultBatchHandler): ResultConsumer;
  /** Jobs held by the TDM_CHECKS stream (queued or in flight): the scheduler's backpressure signal. */
  pendingJobs(): Promise<number>;
  /** Pending counts of every durable consumer, for the `consumerPending` metric. */
  consumerPending(): Promise<ConsumerPending[]>;
  /** True while connected to a server. */
  readonly connected: boolean;
  /** Calls `listener` each time the connection is back after a loss; returns the unsubscribe. */
  onReconnect(listener: () => void): () => void;
  /**
   * Stops the consumers still running (no grace), publishes the pending results and waits
   * for their acks, then drains the connection and closes it.
   */
  close(): Promise<void>;
}

class NatsBus implements Bus {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #setup: JetStreamManager;
  readonly #options: ResolvedStreamOptions;
  readonly #logger: BusLogger;
  readonly #publishWindow: number;
  readonly #timeoutMs: number;
  readonly #consumers = new Set<PullJobConsumer | PullResultConsumer>();
  readonly #results: ResultBatcher;
  readonly #watch = new ConnectionWatch();

  constructor(
    nc: NatsConnection,
    jsm: JetStreamManager,
    setup: JetStreamManager,
    options: BusOptions,
    logger: BusLogger,
  ) {
    this.#nc = nc;
    this.#jsm = jsm;
    this.#setup = setup;
    this.#timeoutMs = options.requestTimeoutMs ?? 3000;
    this.#js = jetstream(nc, { timeout: this.#timeoutMs });
    this.#options = resolveStreamOptions(options);
    this.#logger = logger;
    this.#publishWindow = Math.max(1, options.publishWindow ?? 1000);
    this.#results = new ResultBatcher(
      {
        maxResults: Math.max(1, Math.floor(options.resultBatchSize ?? 100)),
        maxDelayMs: Math.max(0, options.resultBatchDelayMs ?? 5),
        // Headroom for the headers (msg id), which count against the stream's max_msg_size.
        maxBytes: MAX_MESSAGE_BYTES - 1024,
      },
      (data, msgId, size) => this.#publishResultBatch(data, msgId, size),
    );
    void this.#watchStatus();
  }

  get connected(): boolean {
    return this.#watch.connected;
  }

  onReconnect(listener: () => void): () => void {
    return this.#watch.onReconnect(listener);
  }

  async #watchStatus(): Promise<void> {
    for await (const status of this.#nc.status()) {
      switch (status.type) {
        case 'disconnect':
          this.#watch.disconnected();
          this.#logger.warn({ server: status.server }, 'NATS disconnected; reconnecting');
          break;
        case 'reconnect':
          this.#logger.info({ server: status.server }, 'NATS reconnected');
          this.#watch.reconnected();
          break;
        case 'error':
          this.#logger.warn({ err: errorField(status.error) }, 'NATS error');
          break;
        default:
          break;
      }
    }
  }

  async ensureStreams(): Promise<void> {
    await ensureStreams(this.#setup, this.#options, this.#logger);
  }

  async publishJobs(jobs: CheckJob[]): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    const failures: unknown[] = [];
    for (const job of jobs) {
      if (failures.length > 0) break;
      // Encode first: a bad job throws here, before anything of the batch is awaited.
      const data = encodeJob(job);
      if (inFlight.size >= this.#publishWindow) await Promise.race(inFlight);
      const publish: Promise<void> = this.#watch
        .whileConnected(() =>
          this.#js.publish(jobSubject(job.mode), data, { msgID: job.jobId, timeout: this.#timeoutMs }),
        )
        .then(
          (ack) => {
            const wrongStream = this.#checkAck(ack, CHECKS_STREAM);
            if (wrongStream) failures.push(wrongStream);
          },
          (error: unknown) => {
            failures.push(error);
          },
        )
        .finally(() => inFlight.delete(publish));
      inFlight.add(publish);
    }
    await Promise.all(inFlight);
    if (failures.length > 0) {
      throw new BusPublishError(
        `publishing jobs failed: ${errorField(failures[0]).message}`,
        failures.length,
        { cause: failures[0] },
      );
    }
  }

  publishResult(result: CheckResult): Promise<void> {
    return this.#results.add(result);
  }

  async #publishResultBatch(data: Uint8Array, msgId: string, size: number): Promise<void> {
    let ack: PubAck;
    try {
      ack = await this.#watch.whileConnected(() =>
        this.#js.publish(RESULTS_SUBJECT, data, { msgID: msgId, timeout: this.#timeoutMs }),
      );
    } catch (error) {
      throw new BusPublishError(`publishing ${size} result(s) failed: ${errorField(error).message}`, size, {
        cause: error,
      });
    }
    const wrongStream = this.#checkAck(ack, RESULTS_STREAM, size);
    if (wrongStream) throw wrongStream;
  }

  /** A subject captured by another stream would silently bypass ours: report it loudly. */
  #checkAck(ack: PubAck, stream: string, failed = 1): BusPublishError | null {
    return ack.stream === stream
      ? null
      : new BusPublishError(`message stored in stream ${ack.stream}, expected ${stream}`, failed);
  }

  consumeJobs(mode: Mode, options: ConsumeJobsOptions, handler: JobHandler): JobConsumer {
    const consumer = new PullJobConsumer(this.#js, this.#watch, mode, options, handler, this.#logger);
    this.#consumers.add(consumer);
    const untrack = (): boolean => this.#consumers.delete(consumer);
    return {
      get inFlight() {
        return consumer.inFlight;
      },
      stop: async (graceMs) => {
        await consumer.stop(graceMs).finally(untrack);
      },
    };
  }

  consumeResults(options: ConsumeResultsOptions, handler: ResultBatchHandler): ResultConsumer {
    const consumer = new PullResultConsumer(
      this.#nc,
      this.#js,
      this.#watch,
      options,
      handler,
      this.#logger,
      this.#options.resultAckWaitMs,
    );
    this.#consumers.add(consumer);
    const untrack = (): boolean => this.#consumers.delete(consumer);
    return {
      stop: async (graceMs) => {
        await consumer.stop(graceMs).finally(untrack);
      },
    };
  }

  async pendingJobs(): Promise<number> {
    const info = await this.#watch.whileConnected(() => this.#jsm.streams.info(CHECKS_STREAM));
    return info.state.messages;
  }

  async consumerPending(): Promise<ConsumerPending[]> {
    const names: Array<[string, string]> = [
      ...MODES.map((mode): [string, string] => [CHECKS_STREAM, jobConsumerName(mode)]),
      [RESULTS_STREAM, RESULTS_CONSUMER],
    ];
    return await Promise.all(
      names.map(async ([stream, consumer]) => {
        const info = await this.#watch.whileConnected(() => this.#jsm.consumers.info(stream, consumer));
        return { stream, consumer, pending: info.num_pending + info.num_ack_pending };
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.#consumers].map((consumer) => consumer.stop(0)));
    // Pending results go out before the drain; each publish is bounded by its ack timeout.
    await this.#results.close();
    if (this.#nc.isClosed()) return;
    // Drain flushes our acks and publishes; a server that is gone must not hang the exit.
    if (!(await settlesWithin(this.#nc.drain(), 10_000))) await this.#nc.close();
  }
}

/** Connects to NATS (reconnecting forever) and, unless told not to, ensures the streams. */
export async function connectBus(options: BusOptions): Promise<Bus> {
  const logger = options.logger ?? silentLogger;
  // Credential and TLS files are read here: a missing one is a ConfigError before any connect.
  const security = natsConnectOptions(options.security);
  let nc: NatsConnection;
  try {
    nc = await connect({
      ...security,
      servers: options.servers,
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: options.reconnectWaitMs ?? 250,
      reconnectJitter: options.reconnectJitterMs ?? 250,
      waitOnFirstConnect: options.waitOnFirstConnect ?? false,
    });
  } catch (error) {
    throw connectFailure(error, options.servers, options.security);
  }
  try {
    const jsm = await jetstreamManager(nc, { timeout: options.requestTimeoutMs ?? 3000 });
    const setup = await jetstreamManager(nc, { timeout: options.setupTimeoutMs ?? 10_000 });
    const bus = new NatsBus(nc, jsm, setup, options, logger);
    if (options.ensureStreams ?? true) await bus.ensureStreams();
    logger.info({ servers: options.servers, name: options.name }, 'bus connected');
    return bus;
  } catch (error) {
    await nc.close();
    throw error;
  }
}
