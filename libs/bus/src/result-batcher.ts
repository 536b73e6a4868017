/**
 * Collects check results into batch messages. One JetStream publish per result cost the
 * crawler ~30% of its CPU in the NATS client (a request/reply with its error objects and
 * one socket write per message) and nats-server a stored message each; a batch of n
 * results costs that once (docs/performance.md, recommended change 1).
 *
 * A batch is published when it holds `maxResults` results, when the next result would make
 * it larger than `maxBytes`, or `maxDelayMs` after its first result, whichever comes first.
 * Every caller's promise settles with its batch's ack: resolved once JetStream stored the
 * message, rejected with the publish's error otherwise. Several batches may be in flight.
 */
import { createHash } from 'node:crypto';
import type { CheckResult } from '@tdm/core';
import { encodeResult, joinEncodedResults, resultBatchBytes } from './codec.js';
import { BusPublishError } from './errors.js';

export interface ResultBatcherOptions {
  /** Results per message at most. */
  maxResults: number;
  /** Longest wait of a batch's first result for others to join. */
  maxDelayMs: number;
  /** Message size at most; a single larger result is still published alone (and refused by the stream). */
  maxBytes: number;
}

/** Publishes one batch message and resolves on its ack; throws when it was not stored. */
export type PublishBatch = (data: Uint8Array, msgId: string, size: number) => Promise<void>;

interface Waiting {
  jobId: string;
  encoded: Uint8Array;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The msg id of a batch: derived from its job ids only, so a retried publish of the same
 * batch is dropped by the duplicate window. A batch of one keeps the job id itself, the id
 * older crawlers used, so that a result republished across a rolling upgrade is dropped too.
 * A job's result in two different batches (a redelivered job) gets two ids: harmless, the
 * store applies a job id once.
 */
export function batchMsgId(jobIds: readonly string[]): string {
  if (jobIds.length === 1) return jobIds[0] ?? '';
  const digest = createHash('sha256')
    .update([...jobIds].sort().join('\n'))
    .digest('base64url');
  return `r:${jobIds.length}:${digest}`;
}

export class ResultBatcher {
  readonly #options: ResultBatcherOptions;
  readonly #publish: PublishBatch;
  #pending: Waiting[] = [];
  #pendingBytes = 0;
  #timer: NodeJS.Timeout | null = null;
  readonly #inFlight = new Set<Promise<void>>();
  #closed = false;

  constructor(options: ResultBatcherOptions, publish: PublishBatch) {
    if (!Number.isInteger(options.maxResults) || options.maxResults < 1)
      throw new RangeError('maxResults must be a positive integer');
    if (!(options.maxDelayMs >= 0)) throw new RangeError('maxDelayMs must be ≥ 0');
    this.#options = options;
    this.#publish = publish;
  }

  /** Adds a result to the open batch; settles when that batch's publish did. */
  add(result: CheckResult): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#closed)
        throw new BusPublishError(`publishing result ${result.jobId} failed: the bus is closed`, 1);
      const encoded = encodeResult(result);
      const grown = resultBatchBytes(this.#pending.length + 1, this.#pendingBytes + encoded.byteLength);
      if (this.#pending.length > 0 && grown > this.#options.maxBytes) this.flush();
      this.#pending.push({ jobId: result.jobId, encoded, resolve, reject });
      this.#pendingBytes += encoded.byteLength;
      if (this.#pending.length >= this.#options.maxResults) this.flush();
      else this.#timer ??= setTimeout(() => this.flush(), this.#options.maxDelayMs);
    });
  }

  /** Publishes the open batch now (no-op when empty). */
  flush(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    const sent: Promise<void> = this.#send(batch).finally(() => this.#inFlight.delete(sent));
    this.#inFlight.add(sent);
  }

  /**
   * Publishes what is pending and waits for every batch in flight to settle; later add()
   * calls reject. Called before the connection drains, so no result is left unpublished.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.flush();
    await Promise.all([...this.#inFlight]);
  }

  async #send(batch: Waiting[]): Promise<void> {
    try {
      const data = joinEncodedResults(batch.map((waiting) => waiting.encoded));
      await this.#publish(data, batchMsgId(batch.map((waiting) => waiting.jobId)), batch.length);
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    for (const waiting of batch) waiting.resolve();
  }
}
