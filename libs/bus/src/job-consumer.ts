/**
 * Pulls check jobs for one mode and runs a handler on each, never more than `maxInFlight`
 * at once. Backpressure is exact: each pull asks JetStream for at most as many jobs as
 * there are free slots, so a worker never holds a job it cannot start (a buffered job
 * would burn its AckWait while it waits). Pulls are gathered: when fewer than a quarter
 * of the slots are free, the loop first waits `pullGatherMs` for more to free up, so a
 * busy worker pulls tens of jobs per request instead of one (one pull request per job
 * was a large share of the crawler's NATS cost). A job is acked
 * only after its handler said 'ack'; on 'nak' or a throw it is nak'ed with a small delay
 * and redelivered. When the NATS connection comes back after a loss, the open pull (made
 * to a server that is gone) is dropped and a new one made at once, and a retry wait is cut
 * short: the crawler is back on the grid as soon as the server is.
 */
import { setMaxListeners } from 'node:events';
import type { Consumer, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { backoffMs, settlesWithin, sleep, type CheckJob, type Mode } from '@tdm/core';
import { decodeJob } from './codec.js';
import type { ConnectionWatch } from './connection-watch.js';
import { errorField, type BusLogger } from './logger.js';
import { CHECKS_STREAM, jobConsumerName } from './subjects.js';
import { PULL_RETRY_BACKOFF, pullOptions } from './pull-options.js';

export type JobVerdict = 'ack' | 'nak';

/** What a job handler can do besides returning its verdict. */
export interface JobControl {
  /** Extends the job's AckWait (call it periodically while a long check runs). */
  working(): void;
  /** Aborted when stop()'s grace time ran out: the handler should give up; its job is nak'ed. */
  readonly signal: AbortSignal;
  /** How often this job has been delivered (1 on the first try). */
  readonly deliveryCount: number;
}

export type JobHandler = (job: CheckJob, ctl: JobControl) => Promise<JobVerdict>;

export interface ConsumeJobsOptions {
  /** Handlers running at most at once (and so jobs held at most by this process). */
  maxInFlight: number;
  /**
   * Expiry of one pull request. Short enough that stop() rarely has to abandon an open
   * request (whose messages would then wait out their AckWait), long enough not to poll.
   * JetStream's minimum is 1 s. @default 2000
   */
  pullExpiresMs?: number;
  /** Delay before a nak'ed job is redelivered. @default 1000 */
  nakDelayMs?: number;
  /** After the grace time, how long aborted handlers get to return. @default 5000 */
  abortWaitMs?: number;
  /**
   * How long a busy worker waits for more free slots before pulling fewer than a quarter
   * of `maxInFlight` jobs. Small against a check (hundreds of ms on the internet). @default 10
   */
  pullGatherMs?: number;
}

export interface JobConsumer {
  /** Handlers running now. */
  readonly inFlight: number;
  /**
   * Stops pulling, waits up to `graceMs` for running handlers, then aborts their signal
   * (the jobs are nak'ed so another worker redoes them) and returns once they settled.
   */
  stop(graceMs: number): Promise<void>;
}

const MAX_PULL_BATCH = 256;

export class PullJobConsumer implements JobConsumer {
  readonly #js: JetStreamClient;
  readonly #watch: ConnectionWatch;
  readonly #mode: Mode;
  readonly #handler: JobHandler;
  readonly #logger: BusLogger;
  readonly #maxInFlight: number;
  readonly #pullExpiresMs: number;
  readonly #nakDelayMs: number;
  readonly #abortWaitMs: number;
  readonly #pullGatherMs: number;
  /** Free slots worth a pull without waiting for more. */
  readonly #pullBatchMin: number;
  /** Aborted by stop(): interrupts waits of the pull loop. */
  readonly #stopping = new AbortController();
  /** Aborted when the grace time ran out: handed to handlers. */
  readonly #abort = new AbortController();
  readonly #handlers = new Set<Promise<void>>();
  #slotWaiter: (() => void) | null = null;
  #current: { stop(): void } | null = null;
  /** Aborted by a reconnect: cuts the retry wait short. */
  #retryWait = new AbortController();
  #failures = 0;
  readonly #unwatch: () => void;
  readonly #loop: Promise<void>;

  constructor(
    js: JetStreamClient,
    watch: ConnectionWatch,
    mode: Mode,
    options: ConsumeJobsOptions,
    handler: JobHandler,
    logger: BusLogger,
  ) {
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1)
      throw new RangeError('maxInFlight must be a positive integer');
    this.#js = js;
    this.#watch = watch;
    this.#mode = mode;
    this.#handler = handler;
    this.#logger = logger;
    this.#maxInFlight = options.maxInFlight;
    this.#pullExpiresMs = pullOptions(1, options.pullExpiresMs ?? 2000).expires;
    this.#nakDelayMs = options.nakDelayMs ?? 1000;
    this.#abortWaitMs = options.abortWaitMs ?? 5000;
    this.#pullGatherMs = options.pullGatherMs ?? 10;
    this.#pullBatchMin = Math.max(1, Math.floor(options.maxInFlight / 4));
    // Every running handler listens on the one abort signal: no listener limit applies.
    setMaxListeners(0, this.#abort.signal);
    this.#unwatch = watch.onReconnect(() => this.#rebind());
    this.#loop = this.#run().finally(this.#unwatch);
  }

  /** The connection is back: pull again now, from a clean slate. */
  #rebind(): void {
    this.#failures = 0;
    this.#current?.stop();
    this.#retryWait.abort();
    this.#retryWait = new AbortController();
    this.#wake();
  }

  /**
   * Delay of a job handed back at shutdown. Our last pull request may still be open on the
   * server (it cannot be withdrawn); a job nak'ed without delay would be redelivered into
   * it at once, bounce again, and burn its MaxDeliver. Waiting out the pull's expiry sends
   * it to another worker instead.
   */
  get #handBackDelayMs(): number {
    return this.#pullExpiresMs + 500;
  }

  get inFlight(): number {
    return this.#handlers.size;
  }

  async stop(graceMs: number): Promise<void> {
    this.#stopping.abort();
    this.#wake();
    // An open pull cannot be withdrawn: let it run out (≤ its expiry) so that jobs it still
    // brings are nak'ed at once instead of being stranded until their AckWait.
    const loopEnded = settlesWithin(this.#loop, this.#pullExpiresMs + 1000);
    if (!(await settlesWithin(this.#allHandlers(), Math.max(0, graceMs)))) {
      this.#logger.warn(
        { mode: this.#mode, inFlight: this.#handlers.size },
        'grace time over: aborting running jobs',
      );
      this.#abort.abort();
      if (!(await settlesWithin(this.#allHandlers(), this.#abortWaitMs))) {
        this.#logger.error(
          { mode: this.#mode, inFlight: this.#handlers.size },
          'handlers ignored the abort; their jobs return after AckWait',
        );
      }
    }
    if (!(await loopEnded)) {
      this.#current?.stop();
      await settlesWithin(this.#loop, 1000);
    }
  }

  async #allHandlers(): Promise<void> {
    while (this.#handlers.size > 0) await Promise.allSettled([...this.#handlers]);
  }

  #wake(): void {
    const waiter = this.#slotWaiter;
    this.#slotWaiter = null;
    waiter?.();
  }

  async #waitForSlot(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#slotWaiter = resolve;
    });
  }

  async #run(): Promise<void> {
    const stop = this.#stopping.signal;
    let consumer: Consumer | null = null;
    let gathered = false;
    while (!stop.aborted) {
      const free = this.#maxInFlight - this.#handlers.size;
      if (free <= 0) {
        await this.#waitForSlot();
        continue;
      }
      if (free < this.#pullBatchMin && !gathered) {
        // Busy: let more checks finish, then pull for all the free slots at once.
        gathered = true;
        await sleep(this.#pullGatherMs, stop);
        continue;
      }
      gathered = false;
      if (!this.#watch.connected) {
        // A pull made now would be sent on reconnect into a subscription we drop then
        // (#rebind), stranding its messages until their AckWait: wait for the connection.
        await sleep(60_000, AbortSignal.any([stop, this.#retryWait.signal]));
        continue;
      }
      try {
        consumer ??= await this.#watch.whileConnected(() =>
          this.#js.consumers.get(CHECKS_STREAM, jobConsumerName(this.#mode)),
        );
        const messages = await consumer.fetch(
          pullOptions(Math.min(free, MAX_PULL_BATCH), this.#pullExpiresMs),
        );
        this.#current = messages;
        for await (const msg of messages) this.#dispatch(msg);
        this.#failures = 0;
      } catch (error) {
        this.#failures += 1;
        // NATS restarting, the consumer not there yet, missed heartbeats: wait and pull
        // again (at once when the connection comes back: #rebind).
        this.#logger.warn(
          { mode: this.#mode, err: errorField(error), failures: this.#failures },
          'pulling jobs failed; retrying',
        );
        await sleep(
          backoffMs(this.#failures, PULL_RETRY_BACKOFF),
          AbortSignal.any([stop, this.#retryWait.signal]),
        );
      } finally {
        this.#current = null;
      }
    }
  }

  #dispatch(msg: JsMsg): void {
    if (this.#stopping.signal.aborted) {
      // Arrived after stop() through our last open pull: hand it back to the other workers.
      msg.nak(this.#handBackDelayMs);
      return;
    }
    let job: CheckJob;
    try {
      job = decodeJob(msg.data);
    } catch (error) {
      // A corrupt or hostile message would fail the same way on every delivery: drop it.
      this.#logger.error(
        { mode: this.#mode, seq: msg.seq, subject: msg.subject, err: errorField(error) },
        'malformed job terminated',
      );
      msg.term();
      return;
    }
    const running: Promise<void> = this.#handle(msg, job).finally(() => {
      this.#handlers.delete(running);
      this.#wake();
    });
    this.#handlers.add(running);
  }

  async #handle(msg: JsMsg, job: CheckJob): Promise<void> {
    let verdict: JobVerdict;
    try {
      verdict = await this.#handler(job, {
        working: () => msg.working(),
        signal: this.#abort.signal,
        deliveryCount: msg.info.deliveryCount,
      });
    } catch (error) {
      this.#logger.warn(
        { jobId: job.jobId, itemId: job.itemId, err: errorField(error) },
        "job handler failed; job nak'ed",
      );
      verdict = 'nak';
    }
    if (verdict === 'ack') {
      // Fire and forget (no ackAck): a confirmed ack is a request/reply per check, and a
      // lost ack only means the job is redelivered after its AckWait and checked again;
      // the store applies each job id once. The connection's flush sends it.
      msg.ack();
    } else {
      msg.nak(this.#abort.signal.aborted ? this.#handBackDelayMs : this.#nakDelayMs);
    }
  }
}
