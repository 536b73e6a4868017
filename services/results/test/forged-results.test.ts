/**
 * Forged results on the bus: a client that can publish on `tdm.results` (here: the test
 * server has no authorization at all, as the embedded one had) but never received the job
 * must not change an item. The results service runs on a real nats-server; the forger
 * publishes raw messages with its own NATS connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, createJobTickets, type Bus } from '@tdm/bus';
import { jobIdFor, type CheckResult } from '@tdm/core';
import { startNatsServer, waitFor, type NatsServerHandle } from '@tdm/test-helpers';
import { createResultsConsumer, type ResultsConsumer } from '@tdm/results';
import { BACKENDS, checkResult, openHarness, postReports, type Harness } from './support.js';

describe('results of jobs never issued', () => {
  let nats: NatsServerHandle;
  let bus: Bus;
  /** The attacker's own connection: it publishes whatever results it likes. */
  let forger: Bus;
  let h: Harness;
  let consumer: ResultsConsumer;

  beforeAll(async () => {
    nats = await startNatsServer();
    h = await openHarness(BACKENDS[0]!);
    bus = await connectBus({
      servers: [nats.url],
      name: 'forged-results-test',
      jobAckWaitMs: h.config.jobAckWaitMs,
      jobMaxDeliver: h.config.jobMaxDeliver,
    });
    forger = await connectBus({
      servers: [nats.url],
      name: 'forger',
      ensureStreams: false,
      jobAckWaitMs: h.config.jobAckWaitMs,
      jobMaxDeliver: h.config.jobMaxDeliver,
    });
    consumer = createResultsConsumer({
      bus,
      store: h.store,
      config: h.config,
      metrics: h.metrics,
      logger: h.logger,
      tickets: h.tickets,
      maxWaitMs: 200,
    });
    consumer.start();
  });
  afterAll(async () => {
    await consumer?.stop();
    await forger?.close();
    await bus?.close();
    await nats?.stop();
    await h?.close();
  });

  async function item(itemId: number): Promise<Record<string, unknown>> {
    return (await h.app.inject({ url: `/v1/items/${itemId}` })).json();
  }

  async function rejected(): Promise<number> {
    const text = await h.metrics.registry.metrics();
    return Number(/tdm_results_rejected_total\{reason="unissued"\} (\d+)/.exec(text)?.[1] ?? 0);
  }

  it('drops and counts forged offline results; the issued ones still apply', async () => {
    const [report] = await postReports(h.app, [
      { url: 'https://example.org/forged.jpg', reportId: 'forged', source: 's' },
    ]);
    const itemId = report!.itemId as number;
    // A real check (ticket of the scheduler's key) sees it online.
    await bus.publishResult(checkResult(itemId, '2024-06-01T10:00:00Z', 'online'));
    await waitFor(async () => (await item(itemId)).state === 'online', {
      timeoutMs: 20_000,
      what: 'the issued result applied',
    });

    // What the attacker of issue 8 sent: offline results for later slots, well-formed.
    const forge = (at: string, ticket?: string): CheckResult => {
      const { ticket: _real, ...unsigned } = checkResult(itemId, at, 'offline', 'http_404');
      return ticket === undefined ? unsigned : { ...unsigned, ticket };
    };
    const otherKey = createJobTickets(new Uint8Array(32).fill(9));
    const copied = checkResult(itemId, '2024-06-01T10:00:00Z', 'online').ticket;
    const forged = [
      forge('2024-06-01T10:15:00Z'), // no ticket
      forge('2024-06-01T10:30:00Z', otherKey.sign({ itemId, scheduledAt: '2024-06-01T10:30:00.000Z' })),
      forge('2024-06-01T10:45:00Z', copied), // a real ticket of another slot
      // A far-future slot would make every real result look older and be ignored.
      { ...forge('2099-01-01T00:00:00Z', copied), jobId: jobIdFor(itemId, new Date('2024-06-01T10:00:00Z')) },
    ];
    await Promise.all(forged.map((result) => forger.publishResult(result)));
    await forger.publishResult(forge('2024-06-01T11:00:00Z'));
    await waitFor(async () => (await rejected()) === 5, {
      timeoutMs: 20_000,
      what: '5 rejected results counted',
    });

    // Issued results after the forgeries still apply, in order.
    await bus.publishResult(checkResult(itemId, '2024-06-01T11:15:00Z', 'online'));
    await waitFor(async () => (await item(itemId)).checks === 2, {
      timeoutMs: 20_000,
      what: 'the second issued result applied',
    });
    const after = await item(itemId);
    expect(after).toMatchObject({ state: 'online', offlineAt: null, checks: 2 });
    expect(after.transitions).toHaveLength(1);
    expect(await rejected()).toBe(5);
    const checks = (await h.app.inject({ url: `/v1/items/${itemId}/checks` })).json() as unknown[];
    expect(checks).toHaveLength(2);
  });
});
