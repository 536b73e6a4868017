import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, type Bus } from '@tdm/bus';
import type { Store } from '@tdm/store';
import { startNatsServer, waitFor, type NatsServerHandle } from '@tdm/test-helpers';
import { createResultsConsumer, createResultsHandler, type ResultsConsumer } from '@tdm/results';
import { BACKENDS, checkResult, openHarness, postReports, type Harness } from './support.js';

/** Results cross a real nats-server and store: allow them seconds, polled every 50 ms. */
const SETTLE = { timeoutMs: 20_000, intervalMs: 50 };

/** The real store, whose first `failures` applyResults calls throw (a fault injected in front of it). */
function failingStore(store: Store, failures: number): Store & { calls(): number } {
  let calls = 0;
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'calls') return () => calls;
      if (key === 'applyResults') {
        return async (...args: Parameters<Store['applyResults']>) => {
          calls += 1;
          if (calls <= failures) throw new Error('injected store failure');
          return target.applyResults(...args);
        };
      }
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Store & { calls(): number };
}

describe('createResultsHandler', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(BACKENDS[0]!);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('retries a failed apply in place, and throws once the tries are used up', async () => {
    const [a] = await postReports(h.app, [
      { url: 'https://example.org/retry.jpg', reportId: 'retry', source: 's' },
    ]);
    const itemId = a!.itemId as number;
    const once = failingStore(h.store, 1);
    const handle = createResultsHandler({ ...h, store: once, applyAttempts: 3, retryDelayMs: 10 });
    const applied = await handle([checkResult(itemId, '2024-06-02T10:00:00Z', 'online')]);
    expect(applied.map((r) => r.applied)).toEqual([true]);
    expect(once.calls()).toBe(2);

    const always = failingStore(h.store, 100);
    const giveUp = createResultsHandler({ ...h, store: always, applyAttempts: 3, retryDelayMs: 10 });
    await expect(giveUp([checkResult(itemId, '2024-06-02T11:00:00Z', 'online')])).rejects.toThrow('injected');
    expect(always.calls()).toBe(3);
    expect((await h.app.inject({ url: `/v1/items/${itemId}` })).json().checks).toBe(1);
  });
});

describe('createResultsConsumer with a real nats-server', () => {
  let nats: NatsServerHandle;
  let bus: Bus;
  let h: Harness;
  let consumer: ResultsConsumer | undefined;

  beforeAll(async () => {
    nats = await startNatsServer();
    h = await openHarness(BACKENDS[0]!);
    bus = await connectBus({
      servers: [nats.url],
      name: 'results-consumer-test',
      jobAckWaitMs: h.config.jobAckWaitMs,
      jobMaxDeliver: h.config.jobMaxDeliver,
    });
  });
  afterAll(async () => {
    await consumer?.stop();
    await bus?.close();
    await nats?.stop();
    await h?.close();
  });

  async function itemState(itemId: number): Promise<Record<string, unknown>> {
    return (await h.app.inject({ url: `/v1/items/${itemId}` })).json();
  }

  it('applies published results, ignores duplicates and out-of-order ones, and survives a failed batch', async () => {
    const [a, b] = await postReports(h.app, [
      { url: 'https://example.org/bus-a.jpg', reportId: 'bus-a', source: 's' },
      { url: 'https://example.org/bus-b.jpg', reportId: 'bus-b', source: 's' },
    ]);
    const itemA = a!.itemId as number;
    const itemB = b!.itemId as number;

    // applyResults fails twice (as if the database went away mid-batch): both in-place tries
    // fail, so the bus must redeliver the batch, and the re-apply must count once.
    const flaky = failingStore(h.store, 2);
    consumer = createResultsConsumer({
      bus,
      store: flaky,
      config: h.config,
      metrics: h.metrics,
      logger: h.logger,
      tickets: h.tickets,
      batchSize: 100,
      maxWaitMs: 1000,
      applyAttempts: 2,
      retryDelayMs: 10,
    });

    // Published before the consumer starts, so that the first pull takes them as one batch:
    // a batch that fails is redelivered whole. (Were r2 applied before a redelivered r1, r1
    // would be ignored as older than the newest applied result.)
    const r1 = checkResult(itemA, '2024-06-01T10:00:00Z', 'offline', 'http_404');
    const r2 = checkResult(itemA, '2024-06-01T11:00:00Z', 'offline', 'http_404');
    await bus.publishResult(r1);
    await bus.publishResult(r1); // dropped by the duplicate window (same msg id)
    await bus.publishResult(r2);
    await bus.publishResult(checkResult(itemB, '2024-06-01T10:00:00Z', 'online'));
    consumer.start();

    await waitFor(
      async () => (await itemState(itemA)).state === 'offline' && (await itemState(itemB)).state === 'online',
      { ...SETTLE, what: 'item A offline and item B online' },
    );
    expect(flaky.calls()).toBeGreaterThanOrEqual(3);
    expect(await itemState(itemA)).toMatchObject({
      offlineAt: '2024-06-01T10:00:02.000Z',
      offlineReason: 'http_404',
      checks: 2,
    });

    // A result older than the newest applied one is ignored and counted as such.
    await bus.publishResult(checkResult(itemA, '2024-06-01T09:00:00Z', 'online'));
    await waitFor(
      async () => /tdm_results_total\{applied="false"\} [1-9]/.test(await h.metrics.registry.metrics()),
      { ...SETTLE, what: 'the stale result to be counted' },
    );
    const metrics = await h.metrics.registry.metrics();
    expect(metrics).toMatch(/tdm_results_total\{applied="true"\} 3\n/);
    expect(metrics).toMatch(/tdm_transitions_total\{from="pending",to="offline",reason="http_404"\} 1\n/);
    expect((await itemState(itemA)).state).toBe('offline');
    const item = await itemState(itemA);
    expect(item.transitions).toHaveLength(1);

    await consumer.stop();
    consumer = undefined;
  });

  it("applies a crawler's batch message in store transactions of at most batchSize results", async () => {
    const reports = Array.from({ length: 25 }, (_, i) => ({
      url: `https://example.org/batch-${i}.jpg`,
      reportId: `batch-${i}`,
      source: 's',
    }));
    const itemIds = (await postReports(h.app, reports)).map((r) => r.itemId as number);
    const sizes: number[] = [];
    const recording = new Proxy(h.store, {
      get(target, key, receiver) {
        if (key === 'applyResults') {
          return async (...args: Parameters<Store['applyResults']>) => {
            sizes.push(args[0].length);
            return target.applyResults(...args);
          };
        }
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    // Published at once: the bus puts all 25 in one message.
    await Promise.all(
      itemIds.map((id) => bus.publishResult(checkResult(id, '2024-07-01T10:00:00Z', 'online'))),
    );
    consumer = createResultsConsumer({
      bus,
      store: recording,
      config: h.config,
      metrics: h.metrics,
      logger: h.logger,
      tickets: h.tickets,
      batchSize: 10,
      maxMessages: 5,
      maxWaitMs: 1000,
    });
    consumer.start();
    await waitFor(async () => sizes.reduce((a, b) => a + b, 0) >= 25, {
      ...SETTLE,
      what: '25 results applied',
    });
    await consumer.stop();
    consumer = undefined;
    expect(sizes).toEqual([10, 10, 5]);
    for (const id of itemIds) expect(await itemState(id)).toMatchObject({ state: 'online', checks: 1 });
  });
});
