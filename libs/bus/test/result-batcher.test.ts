import { describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer, waitFor } from '@tdm/test-helpers';
import { BusPublishError, RESULTS_STREAM, RESULTS_SUBJECT, decodeResultBatch, encodeResult } from '@tdm/bus';
import type { CheckResult } from '@tdm/core';
import { batchMsgId } from '../src/result-batcher.js';
import { useBusTestNats } from './bus-harness.js';
import { captureLogger, makeResult } from './fixtures.js';

const nats = useBusTestNats('batcher-test', [RESULTS_STREAM]);
const { newBus } = nats;

/** The messages stored in TDM_RESULTS, read without consuming them. */
async function storedMessages(): Promise<Uint8Array[]> {
  const jsm = await jetstreamManager(nats.raw);
  const { state } = await jsm.streams.info(RESULTS_STREAM);
  const out: Uint8Array[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    // Acked messages leave gaps in a work queue.
    const msg = await jsm.streams.getMessage(RESULTS_STREAM, { seq });
    if (msg !== null) out.push(msg.data);
  }
  return out;
}

async function storedCount(): Promise<number> {
  return await nats.streamMessages(RESULTS_STREAM);
}

async function settle<T>(promises: Array<Promise<T>>): Promise<Array<PromiseSettledResult<T>>> {
  return await Promise.allSettled(promises);
}

const ids = (results: CheckResult[]): string[] => results.map((r) => r.jobId).sort();

describe('batchMsgId', () => {
  it('depends on the job ids only, not their order; a batch of one keeps the job id', () => {
    expect(batchMsgId(['b', 'a', 'c'])).toBe(batchMsgId(['c', 'b', 'a']));
    expect(batchMsgId(['a', 'b'])).not.toBe(batchMsgId(['a', 'b', 'c']));
    expect(batchMsgId(['a', 'b'])).toMatch(/^r:2:[\w-]{43}$/);
    expect(batchMsgId(['7@2030-01-01T00:00:00.000Z'])).toBe('7@2030-01-01T00:00:00.000Z');
  });
});

describe('publishResult batching', () => {
  it('puts many concurrent results in far fewer messages, and each resolves after its ack', async () => {
    const bus = await newBus();
    const results = Array.from({ length: 1000 }, (_, i) => makeResult(i + 1));
    await Promise.all(results.map((r) => bus.publishResult(r)));
    // Resolved means stored: the messages are there as soon as the promises are.
    const messages = await storedMessages();
    expect(messages).toHaveLength(10); // 1000 results / resultBatchSize 100
    const decoded = messages.map(decodeResultBatch);
    expect(decoded.every((d) => d.malformed.length === 0 && d.results.length === 100)).toBe(true);
    expect(ids(decoded.flatMap((d) => d.results))).toEqual(ids(results));
  });

  it('publishes a partial batch after the delay, not before', async () => {
    const bus = await newBus({ resultBatchDelayMs: 300 });
    const started = Date.now();
    await Promise.all([1, 2, 3].map((i) => bus.publishResult(makeResult(i))));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await storedMessages()).toHaveLength(1);
  });

  it('splits a batch before it outgrows the message size limit', async () => {
    const bus = await newBus();
    // ~16 KB each: 60 of them would be ~1 MB, four times the 256 KiB limit.
    const results = Array.from({ length: 60 }, (_, i) => ({
      ...makeResult(i + 1),
      error: 'x'.repeat(16_000),
    }));
    await Promise.all(results.map((r) => bus.publishResult(r)));
    const messages = await storedMessages();
    expect(messages.length).toBeGreaterThanOrEqual(4);
    expect(messages.every((m) => m.byteLength < 256 * 1024)).toBe(true);
    expect(ids(messages.flatMap((m) => decodeResultBatch(m).results))).toEqual(ids(results));
  });

  it('rejects every caller of a batch whose publish the stream refused', async () => {
    const bus = await newBus({ maxResults: 1 });
    await bus.publishResult(makeResult(1)); // fills the stream (discard "new")
    const outcomes = await settle(
      Array.from({ length: 25 }, (_, i) => bus.publishResult(makeResult(100 + i))),
    );
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    for (const outcome of outcomes) {
      const error = (outcome as PromiseRejectedResult).reason as BusPublishError;
      expect(error).toBeInstanceOf(BusPublishError);
      expect(error.code).toBe('TDM_ERR_BUS_PUBLISH');
      expect(error.failed).toBe(25);
    }
    expect(await storedMessages()).toHaveLength(1);
  });

  it('rejects every caller when the server is gone, and publishes again once it is back', async () => {
    const own = await startNatsServer();
    try {
      const bus = await newBus({ requestTimeoutMs: 1000 }, own.url);
      await own.kill();
      const outcomes = await settle(
        Array.from({ length: 20 }, (_, i) => bus.publishResult(makeResult(i + 1))),
      );
      expect(outcomes.map((o) => o.status)).toEqual(Array(20).fill('rejected'));
      expect(outcomes.every((o) => (o as PromiseRejectedResult).reason instanceof BusPublishError)).toBe(
        true,
      );
      await own.restart();
      await waitFor(
        async () => {
          try {
            await bus.publishResult(makeResult(1000));
            return true;
          } catch {
            return false;
          }
        },
        { timeoutMs: 20_000, what: 'publishing after restart' },
      );
    } finally {
      await nats.closeBuses();
      await own.stop();
    }
  });

  it('close() publishes the pending results before the connection drains', async () => {
    const bus = await newBus({ resultBatchDelayMs: 60_000 });
    const published = [1, 2, 3, 4, 5].map((i) => bus.publishResult(makeResult(i)));
    await bus.close();
    await expect(Promise.all(published)).resolves.toHaveLength(5);
    const messages = await storedMessages();
    expect(messages).toHaveLength(1);
    expect(decodeResultBatch(messages[0]!).results.map((r) => r.itemId)).toEqual([1, 2, 3, 4, 5]);
    await expect(bus.publishResult(makeResult(6))).rejects.toBeInstanceOf(BusPublishError);
  });
});

describe('consumeResults with batch messages', () => {
  it('hands results over at most batchSize at a time and acks every message', async () => {
    const bus = await newBus();
    const results = Array.from({ length: 250 }, (_, i) => makeResult(i + 1));
    await Promise.all(results.map((r) => bus.publishResult(r)));
    expect(await storedMessages()).toHaveLength(3);
    const calls: CheckResult[][] = [];
    const consumer = bus.consumeResults({ batchSize: 30, maxWaitMs: 1000 }, async (batch) => {
      calls.push(batch);
    });
    await waitFor(async () => (await storedCount()) === 0, { timeoutMs: 15_000, what: 'all messages acked' });
    await consumer.stop(2000);
    expect(calls.every((c) => c.length >= 1 && c.length <= 30)).toBe(true);
    expect(ids(calls.flat())).toEqual(ids(results));
  });

  it('applies the valid results of a message with bad elements, and terminates unusable messages', async () => {
    const logger = captureLogger();
    const bus = await newBus({ logger });
    const js = (await jetstreamManager(nats.raw)).jetstream();
    const text = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
    await js.publish(
      RESULTS_SUBJECT,
      text({ results: [makeResult(1), { ...makeResult(2), outcome: 'maybe' }, makeResult(3)] }),
    );
    await js.publish(RESULTS_SUBJECT, text({ results: [{ jobId: 'only-bad' }] }));
    await js.publish(RESULTS_SUBJECT, encodeResult(makeResult(4))); // an older crawler's single result
    await js.publish(RESULTS_SUBJECT, new Uint8Array([0xff, 0x00]));
    const handled: CheckResult[] = [];
    const consumer = bus.consumeResults({ batchSize: 10, maxWaitMs: 1000 }, async (batch) => {
      handled.push(...batch);
    });
    await waitFor(async () => (await storedCount()) === 0, { timeoutMs: 15_000, what: 'all messages gone' });
    await consumer.stop(2000);
    expect(handled.map((r) => r.itemId).sort()).toEqual([1, 3, 4]);
    const messages = logger.lines.map((l) => l.msg);
    expect(messages.filter((m) => m === 'malformed results dropped')).toHaveLength(1);
    expect(messages.filter((m) => m === 'result message without a valid result terminated')).toHaveLength(1);
    expect(messages.filter((m) => m === 'malformed result terminated')).toHaveLength(1);
  });

  it('naks the rest of a pull when a handler call fails, so nothing newer overtakes it', async () => {
    const bus = await newBus({ resultAckWaitMs: 3000 });
    const results = Array.from({ length: 40 }, (_, i) => makeResult(i + 1));
    await Promise.all(results.map((r) => bus.publishResult(r)));
    const calls: CheckResult[][] = [];
    let failOnce = true;
    const consumer = bus.consumeResults({ batchSize: 10, maxWaitMs: 1000, nakDelayMs: 50 }, async (batch) => {
      calls.push(batch);
      if (failOnce) {
        failOnce = false;
        throw new Error('database down');
      }
    });
    await waitFor(async () => (await storedCount()) === 0, { timeoutMs: 15_000, what: 'all results acked' });
    await consumer.stop(2000);
    // The whole 40-result message came back: the first call failed, the other three never ran.
    expect(calls.length).toBe(5);
    expect(ids(calls.slice(1).flat())).toEqual(ids(results));
  });
});
