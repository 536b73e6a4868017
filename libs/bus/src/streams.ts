/**
 * Stream and consumer definitions, and their idempotent creation. Several processes
 * (every scheduler, crawler and results service) call ensureStreams() at start, at the
 * same time, so each step is "create, or update to our config when it exists".
 */
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Mode } from '@tdm/core';
import { errorField, type BusLogger } from './logger.js';
import {
  CHECKS_STREAM,
  CHECKS_SUBJECTS,
  MODES,
  RESULTS_CONSUMER,
  RESULTS_STREAM,
  RESULTS_SUBJECT,
  jobConsumerName,
  jobSubject,
} from './subjects.js';
import { MAX_MESSAGE_BYTES } from './codec.js';

/** Limits of the streams and consumers; every field has a default in `resolveStreamOptions`. */
export interface StreamOptions {
  /** AckWait of check jobs: an unacked job is redelivered after this long. */
  jobAckWaitMs: number;
  /** MaxDeliver of check jobs: after this many tries the job is dropped (the next slot checks again). */
  jobMaxDeliver: number;
  /**
   * Unacknowledged jobs per mode across all crawlers; the server stops handing out more.
   * @default 10_000
   */
  jobMaxAckPending?: number;
  /**
   * Duplicate window of both streams. It must cover the longest time between a publish and
   * its republish: a scheduler that crashed after publishing (its claim is retried within
   * seconds), and a crawler whose job ack was lost (the job comes back after AckWait, the
   * check runs again and its result is republished). Hence at least 2 minutes and at least
   * twice the job AckWait. Beyond the window the store's unique key on jobId still makes a
   * duplicate harmless; the window only saves the work.
   * @default max(120_000, 2 × jobAckWaitMs)
   */
  duplicateWindowMs?: number;
  /**
   * Jobs held at most. Discard policy "new": a full stream refuses a publish (the scheduler
   * retries later) instead of silently dropping the oldest jobs.
   * @default 5_000_000
   */
  maxJobs?: number;
  /** Results held at most (discard "new": a crawler naks its job and it is redone later). @default 5_000_000 */
  maxResults?: number;
  /** AckWait of the results consumer (the handler extends it with working() while it runs). @default 60_000 */
  resultAckWaitMs?: number;
  /**
   * Replicas of both streams (their consumers inherit it): 3 on a JetStream cluster of three, so
   * that the loss of one server (even the leader) loses no message. @default 1
   */
  replicas?: number;
}

export type ResolvedStreamOptions = Required<StreamOptions>;

export function resolveStreamOptions(options: StreamOptions): ResolvedStreamOptions {
  return {
    jobAckWaitMs: options.jobAckWaitMs,
    jobMaxDeliver: options.jobMaxDeliver,
    jobMaxAckPending: options.jobMaxAckPending ?? 10_000,
    duplicateWindowMs: Math.max(options.duplicateWindowMs ?? 120_000, 120_000, 2 * options.jobAckWaitMs),
    maxJobs: options.maxJobs ?? 5_000_000,
    maxResults: options.maxResults ?? 5_000_000,
    resultAckWaitMs: options.resultAckWaitMs ?? 60_000,
    replicas: Math.max(1, Math.floor(options.replicas ?? 1)),
  };
}

function streamConfigs(o: ResolvedStreamOptions): Array<Partial<StreamConfig> & { name: string }> {
  const common = {
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    duplicate_window: nanos(o.duplicateWindowMs),
    max_msg_size: MAX_MESSAGE_BYTES,
    max_age: 0,
    num_replicas: o.replicas,
  };
  return [
    {
      ...common,
      name: CHECKS_STREAM,
      subjects: [CHECKS_SUBJECTS],
      max_msgs: o.maxJobs,
      description: 'Check jobs (tdm.checks.<mode>)',
    },
    {
      ...common,
      name: RESULTS_STREAM,
      subjects: [RESULTS_SUBJECT],
      max_msgs: o.maxResults,
      description: 'Check results',
    },
  ];
}

/** The durable pull consumer of one mode's jobs, shared by every crawler of that mode. */
export function jobConsumerConfig(
  mode: Mode,
  o: ResolvedStreamOptions,
): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: jobConsumerName(mode),
    filter_subject: jobSubject(mode),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(o.jobAckWaitMs),
    max_deliver: o.jobMaxDeliver,
    max_ack_pending: o.jobMaxAckPending,
    max_waiting: 512,
  };
}

/**
 * The results service's consumer. MaxDeliver is unlimited on purpose: a result whose batch
 * failed (database down) must be retried until it is stored, never dropped.
 */
export function resultsConsumerConfig(
  o: ResolvedStreamOptions,
): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: RESULTS_CONSUMER,
    filter_subject: RESULTS_SUBJECT,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(o.resultAckWaitMs),
    max_deliver: -1,
    max_ack_pending: 20_000,
    max_waiting: 512,
  };
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof Error && (error.name === 'StreamNotFoundError' || error.name === 'ConsumerNotFoundError')
  );
}

async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
  logger: BusLogger,
): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    try {
      await jsm.streams.add(config);
      logger.info({ stream: config.name }, 'stream created');
      return;
    } catch (addError) {
      // Another process created it between our info and add: fall through to update.
      logger.debug({ stream: config.name, err: errorField(addError) }, 'stream add raced, updating');
    }
  }
  const { name, retention: _r, storage: _s, ...mutable } = config;
  await jsm.streams.update(name, mutable);
}

async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
  logger: BusLogger,
): Promise<void> {
  let current: Partial<ConsumerConfig>;
  try {
    current = (await jsm.consumers.info(stream, config.durable_name)).config;
  } catch (error) {
    if (!isNotFound(error)) throw error;
    try {
      await jsm.consumers.add(stream, config);
      logger.info({ stream, consumer: config.durable_name }, 'consumer created');
      return;
    } catch (addError) {
      logger.debug(
        { stream, consumer: config.durable_name, err: errorField(addError) },
        'consumer add raced, updating',
      );
      current = (await jsm.consumers.info(stream, config.durable_name)).config;
    }
  }
  // Only these may change on a live consumer; the rest is fixed at creation.
  const mutable = {
    ack_wait: config.ack_wait,
    max_deliver: config.max_deliver,
    max_ack_pending: config.max_ack_pending,
  };
  const differs = (Object.keys(mutable) as Array<keyof typeof mutable>).some(
    (key) => current[key] !== mutable[key],
  );
  if (differs) {
    await jsm.consumers.update(stream, config.durable_name, mutable);
    logger.info({ stream, consumer: config.durable_name, ...mutable }, 'consumer updated');
  }
}

/** Creates or updates both streams and all durable consumers. Idempotent; safe from several processes. */
export async function ensureStreams(
  jsm: JetStreamManager,
  options: ResolvedStreamOptions,
  logger: BusLogger,
): Promise<void> {
  for (const config of streamConfigs(options)) await ensureStream(jsm, config, logger);
  for (const mode of MODES)
    await ensureConsumer(jsm, CHECKS_STREAM, jobConsumerConfig(mode, options), logger);
  await ensureConsumer(jsm, RESULTS_STREAM, resultsConsumerConfig(options), logger);
}
