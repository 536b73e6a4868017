import { describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer, waitFor } from '@tdm/test-helpers';
import {
  BusDecodeError,
  CHECKS_STREAM,
  RESULTS_STREAM,
  decodeJob,
  decodeResult,
  encodeJob,
  encodeResult,
  jobSubject,
} from '@tdm/bus';
import type { CheckJob, CheckResult } from '@tdm/core';
import { useBusTestNats } from './bus-harness.js';
import { captureLogger, makeJob, makeResult } from './fixtures.js';

const nats = useBusTestNats('bus-test', [CHECKS_STREAM, RESULTS_STREAM]);
const { newBus, streamMessages } = nats;

describe('codec', () => {
  it('round-trips a job and a result', () => {
    const job = makeJob(7, 3);
    expect(decodeJob(encodeJob(job))).toEqual(job);
    const result = makeResult(7, 3);
    expect(decodeResult(encodeResult(result))).toEqual(result);
  });

  it('rejects corrupt and hostile shapes with a BusDecodeError', () => {
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    const good = makeJob(1);
    const bad: unknown[] = [
      'not an object',
      [good],
      { ...good, itemId: '1' },
      { ...good, itemId: -1 },
      { ...good, mode: 'ftp' },
      { ...good, url: 'file:///etc/passwd' },
      { ...good, scheduledAt: 'yesterday' },
      { ...good, expected: { sha256: 'xyz' } },
      { ...good, jobId: '' },
    ];
    for (const value of bad) expect(() => decodeJob(enc(value))).toThrow(BusDecodeError);
    expect(() => decodeJob(new Uint8Array([0xff, 0xfe, 0x00]))).toThrow(BusDecodeError);
    expect(() => decodeJob(new Uint8Array(300 * 1024).fill(32))).toThrow(BusDecodeError);
    const result = makeResult(1);
    expect(() => decodeResult(enc({ ...result, outcome: 'maybe' }))).toThrow(BusDecodeError);
    expect(() => decodeResult(enc({ ...result, reason: 'gone' }))).toThrow(BusDecodeError);
    expect(() => decodeResult(enc({ ...result, redirects: [{ url: 5 }] }))).toThrow(BusDecodeError);
  });
});

describe('streams', () => {
  it('ensureStreams is idempotent and safe from several processes at once', async () => {
    const [a, b, c] = await Promise.all([newBus(), newBus(), newBus()]);
    await Promise.all([a!.ensureStreams(), b!.ensureStreams(), c!.ensureStreams()]);
    const jsm = await jetstreamManager(nats.raw);
    const checks = await jsm.streams.info(CHECKS_STREAM);
    expect(checks.config.retention).toBe('workqueue');
    expect(checks.config.storage).toBe('file');
    expect(checks.config.duplicate_window).toBeGreaterThanOrEqual(120_000_000_000);
    expect(checks.config.max_msgs).toBeGreaterThan(0);
    const consumers = await jsm.consumers.info(CHECKS_STREAM, 'tdm-crawler-http');
    expect(consumers.config.ack_wait).toBe(5000 * 1_000_000);
    expect(consumers.config.max_deliver).toBe(5);
    expect(consumers.config.max_ack_pending).toBeGreaterThan(0);
  });
});

describe('publishJobs', () => {
  it('drops a republished jobId (same msg id → one message)', async () => {
    const bus = await newBus();
    const job = makeJob(1);
    await bus.publishJobs([job]);
    await bus.publishJobs([job]);
    await bus.publishJobs([job, makeJob(2)]);
    expect(await bus.pendingJobs()).toBe(2);
  });

  it('pipelines more jobs than its window and resolves after every ack', async () => {
    const bus = await newBus({ publishWindow: 100 });
    const jobs = Array.from({ length: 2500 }, (_, i) => makeJob(i + 1, 0, i % 5 === 0 ? 'browser' : 'http'));
    await bus.publishJobs(jobs);
    expect(await bus.pendingJobs()).toBe(2500);
    const pending = await bus.consumerPending();
    const byConsumer = Object.fromEntries(pending.map((p) => [p.consumer, p.pending]));
    expect(byConsumer).toEqual({ 'tdm-crawler-http': 2000, 'tdm-crawler-browser': 500, 'tdm-results': 0 });
  });
});

describe('consumeJobs', () => {
  it('never runs more than maxInFlight handlers at once, and acks every job', async () => {
    const bus = await newBus();
    await bus.publishJobs(Array.from({ length: 40 }, (_, i) => makeJob(i + 1)));
    let running = 0;
    let maxRunning = 0;
    const seen = new Set<string>();
    const consumer = bus.consumeJobs('http', { maxInFlight: 3 }, async (job) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((resolve) => setTimeout(resolve, 15));
      seen.add(job.jobId);
      running -= 1;
      return 'ack';
    });
    await waitFor(() => seen.size === 40, { timeoutMs: 20_000, what: 'all jobs handled' });
    await waitFor(async () => (await bus.pendingJobs()) === 0, { timeoutMs: 10_000, what: 'stream empty' });
    await consumer.stop(1000);
    expect(maxRunning).toBe(3);
  });

  it('a busy worker pulls many jobs per request, not one per finished job', async () => {
    const bus = await newBus();
    const JOBS = 400;
    await bus.publishJobs(Array.from({ length: JOBS }, (_, i) => makeJob(i + 1)));
    // Pull requests are plain messages on the consumer's MSG.NEXT subject: count them.
    const pulls = nats.raw.subscribe(`$JS.API.CONSUMER.MSG.NEXT.${CHECKS_STREAM}.tdm-crawler-http`);
    let pullCount = 0;
    void (async () => {
      for await (const _ of pulls) pullCount += 1;
    })();
    let handled = 0;
    const consumer = bus.consumeJobs('http', { maxInFlight: 32 }, async () => {
      // Uneven check times, so that slots free up one by one as on the internet.
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 30));
      handled += 1;
      return 'ack';
    });
    await waitFor(() => handled === JOBS, { timeoutMs: 30_000, what: 'all jobs handled' });
    await consumer.stop(1000);
    pulls.unsubscribe();
    // Each pull asks for at least a quarter of the slots (8 of 32) unless the worker is idle.
    expect(pullCount).toBeGreaterThan(0);
    expect(pullCount).toBeLessThanOrEqual(JOBS / 8 + 10);
  });

  it('holds no more unacked jobs than maxInFlight (pulls only what it can run)', async () => {
    const bus = await newBus();
    await bus.publishJobs(Array.from({ length: 20 }, (_, i) => makeJob(i + 1)));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const consumer = bus.consumeJobs('http', { maxInFlight: 2 }, async () => {
      await gate;
      return 'ack';
    });
    await waitFor(() => consumer.inFlight === 2, { timeoutMs: 10_000, what: 'two handlers running' });
    // Give a buffering consumer time to pull ahead; ours must not.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const jsm = await jetstreamManager(nats.raw);
    const info = await jsm.consumers.info(CHECKS_STREAM, 'tdm-crawler-http');
    expect(info.num_ack_pending).toBe(2);
    expect(info.num_pending).toBe(18);
    release();
    await waitFor(async () => (await bus.pendingJobs()) === 0, { timeoutMs: 15_000, what: 'stream empty' });
    await consumer.stop(1000);
  });

  it('redelivers a job whose handler throws or naks', async () => {
    const bus = await newBus();
    await bus.publishJobs([makeJob(1), makeJob(2)]);
    const deliveries: Array<{ jobId: string; count: number }> = [];
    const consumer = bus.consumeJobs('http', { maxInFlight: 4, nakDelayMs: 50 }, async (job, ctl) => {
      deliveries.push({ jobId: job.jobId, count: ctl.deliveryCount });
      if (ctl.deliveryCount === 1) {
        if (job.itemId === 1) throw new Error('boom');
        return 'nak';
      }
      return 'ack';
    });
    await waitFor(() => deliveries.length === 4, { timeoutMs: 15_000, what: 'four deliveries' });
    await waitFor(async () => (await bus.pendingJobs()) === 0, { timeoutMs: 10_000, what: 'stream empty' });
    await consumer.stop(1000);
    expect(
      deliveries
        .filter((d) => d.count === 2)
        .map((d) => d.jobId)
        .sort(),
    ).toEqual([makeJob(1).jobId, makeJob(2).jobId].sort());
  });

  it('terminates a malformed message and still delivers the rest', async () => {
    const logger = captureLogger();
    const bus = await newBus({ logger });
    const js = (await jetstreamManager(nats.raw)).jetstream();
    await js.publish(jobSubject('http'), new TextEncoder().encode('{"jobId": 1, "evil": true}'));
    await js.publish(jobSubject('http'), new Uint8Array([0xff, 0x00, 0x13]));
    await bus.publishJobs([makeJob(1), makeJob(2)]);
    const handled: CheckJob[] = [];
    const consumer = bus.consumeJobs('http', { maxInFlight: 1 }, async (job) => {
      handled.push(job);
      return 'ack';
    });
    await waitFor(() => handled.length === 2, { timeoutMs: 10_000, what: 'valid jobs handled' });
    await waitFor(async () => (await bus.pendingJobs()) === 0, {
      timeoutMs: 10_000,
      what: 'malformed ones gone from the stream',
    });
    await consumer.stop(1000);
    expect(handled.map((j) => j.itemId)).toEqual([1, 2]);
    expect(logger.lines.filter((l) => l.msg === 'malformed job terminated')).toHaveLength(2);
  });

  it('stop() aborts handlers after the grace time and naks their jobs for another worker', async () => {
    const bus = await newBus({ jobAckWaitMs: 30_000 });
    await bus.publishJobs([makeJob(1)]);
    let aborted = false;
    const first = bus.consumeJobs('http', { maxInFlight: 1 }, async (_job, ctl) => {
      await new Promise<void>((resolve) =>
        ctl.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      aborted = true;
      return 'nak';
    });
    await waitFor(() => first.inFlight === 1, { timeoutMs: 10_000, what: 'job running' });
    const stopStarted = Date.now();
    await first.stop(200);
    expect(aborted).toBe(true);
    expect(Date.now() - stopStarted).toBeLessThan(10_000);
    const redelivered: number[] = [];
    const second = bus.consumeJobs('http', { maxInFlight: 1 }, async (_job, ctl) => {
      redelivered.push(ctl.deliveryCount);
      return 'ack';
    });
    // Well before the 30 s AckWait: the nak hands it over (after the first pull's expiry).
    await waitFor(() => redelivered.length === 1, {
      timeoutMs: 10_000,
      what: 'redelivery to the second worker',
    });
    await second.stop(1000);
    expect(redelivered).toEqual([2]);
  });
});

describe('consumeResults', () => {
  it('acks a batch only after the handler resolved, and naks it when the handler throws', async () => {
    // A short AckWait: a pull that ends with "heartbeats missed" drops the messages it had
    // received but not yet yielded (nats.js), and those come back only after AckWait.
    const bus = await newBus({ resultAckWaitMs: 3000 });
    for (let i = 1; i <= 10; i++) await bus.publishResult(makeResult(i));
    await bus.publishResult(makeResult(1)); // duplicate msg id: dropped
    expect(await streamMessages(RESULTS_STREAM)).toBe(10);
    const jsm = await jetstreamManager(nats.raw);
    const batches: CheckResult[][] = [];
    const ackPendingDuring: number[] = [];
    let failOnce = true;
    const consumer = bus.consumeResults({ batchSize: 4, maxWaitMs: 1000 }, async (results) => {
      batches.push(results);
      ackPendingDuring.push((await jsm.consumers.info(RESULTS_STREAM, 'tdm-results')).num_ack_pending);
      if (failOnce) {
        failOnce = false;
        throw new Error('database down');
      }
    });
    await waitFor(async () => (await streamMessages(RESULTS_STREAM)) === 0, {
      timeoutMs: 30_000,
      what: 'all results acked',
    });
    await consumer.stop(2000);
    expect(batches.every((b) => b.length >= 1 && b.length <= 4)).toBe(true);
    // While a handler ran, its batch was still unacknowledged.
    batches.forEach((batch, i) => expect(ackPendingDuring[i]).toBeGreaterThanOrEqual(batch.length));
    const delivered = batches.flat().map((r) => r.itemId);
    // The failed first batch came back: every result handled, the failed ones twice.
    expect(new Set(delivered)).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    expect(delivered.length).toBe(10 + (batches[0]?.length ?? 0));
  });
});

describe('NATS restart', () => {
  it('survives kill + restart on the same store: old jobs still delivered, publishing resumes', async () => {
    const own = await startNatsServer();
    try {
      const bus = await newBus({ requestTimeoutMs: 2000 }, own.url);
      await bus.publishJobs(Array.from({ length: 50 }, (_, i) => makeJob(i + 1)));
      const seen = new Set<number>();
      const consumer = bus.consumeJobs('http', { maxInFlight: 8 }, async (job) => {
        seen.add(job.itemId);
        return 'ack';
      });
      await waitFor(() => seen.size === 50, { timeoutMs: 10_000, what: 'first 50 handled' });
      await consumer.stop(1000);
      // Jobs published before the crash must survive it (file storage).
      await bus.publishJobs(Array.from({ length: 30 }, (_, i) => makeJob(100 + i)));
      await own.kill();
      await own.restart();
      // Publishing resumes once the client has reconnected; callers retry, as the scheduler does.
      const after = Array.from({ length: 20 }, (_, i) => makeJob(200 + i));
      await waitFor(
        async () => {
          try {
            await bus.publishJobs(after);
            return true;
          } catch {
            return false;
          }
        },
        { timeoutMs: 20_000, what: 'publishing after restart' },
      );
      const again = bus.consumeJobs('http', { maxInFlight: 8 }, async (job) => {
        seen.add(job.itemId);
        return 'ack';
      });
      await waitFor(() => seen.size === 100, {
        timeoutMs: 20_000,
        what: 'pre- and post-restart jobs handled',
      });
      await again.stop(1000);
      expect(await bus.pendingJobs()).toBe(0);
    } finally {
      await nats.closeBuses();
      await own.stop();
    }
  });
});
