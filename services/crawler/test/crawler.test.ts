import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectBus, type Bus } from '@tdm/bus';
import { loadConfig, type CheckJob, type CheckResult, type Config } from '@tdm/core';
import { createHttpProber, type HttpProber } from '@tdm/probe';
import { createLogger, createMetrics, type Metrics } from '@tdm/telemetry';
import { pollUntil, startNatsServer, waitFor, type NatsServerHandle } from '@tdm/test-helpers';
import { createCrawler, type Crawler, type Politeness } from '@tdm/crawler';

/** A target on loopback: /ok/<n> serves a known body, /gone 404s, /stall-once hangs on its first request. */
interface Target {
  base: string;
  hits: Map<string, number>;
  close(): Promise<void>;
}

const BODY = (path: string): string => `content of ${path}\n`;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

async function startTarget(): Promise<Target> {
  const hits = new Map<string, number>();
  const stalled: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    const n = (hits.get(path) ?? 0) + 1;
    hits.set(path, n);
    if (path === '/gone') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    } else if (path.startsWith('/stall-once') && n === 1) {
      stalled.push(res); // never answered: the check hangs until aborted
    } else {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(BODY(path));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    hits,
    async close() {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let nats: NatsServerHandle;
let target: Target;
let bus: Bus;
let prober: HttpProber;
let metrics: Metrics;
let config: Config;
const crawlers: Crawler[] = [];
const logger = createLogger({ service: 'crawler-test', level: process.env.TEST_LOG ?? 'silent' });
/** The politeness limiter is another package; here every domain runs at once. */
const passThrough: Politeness = { schedule: (_domain, task) => task() };

let slot = 0;
function job(path: string, itemId: number, expected: CheckJob['expected'] = {}): CheckJob {
  slot += 1;
  const scheduledAt = new Date(Date.now() - 50 + slot).toISOString();
  return {
    jobId: `${itemId}@${scheduledAt}`,
    itemId,
    url: `${target.base}${path}`,
    registrableDomain: '127.0.0.1',
    mode: 'http',
    scheduledAt,
    expected,
    publishedAt: new Date().toISOString(),
  };
}

function crawler(workerId: string, overrides: Partial<Parameters<typeof createCrawler>[0]> = {}): Crawler {
  const c = createCrawler({
    bus,
    prober,
    politeness: passThrough,
    config,
    logger,
    metrics,
    mode: 'http',
    workerId,
    pullExpiresMs: 1000,
    ...overrides,
  });
  crawlers.push(c);
  void c.run();
  return c;
}

/** Reads every result on tdm.results for `ms` after `until` holds (or times out). */
async function readResults(
  until: (results: CheckResult[]) => boolean,
  timeoutMs = 15_000,
  settleMs = 1500,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const consumer = bus.consumeResults({ batchSize: 100, maxWaitMs: 1000 }, async (batch) => {
    results.push(...batch);
  });
  await pollUntil(() => results, until, { timeoutMs });
  // Keep reading a little: a duplicate would show up now.
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  await consumer.stop(2000);
  return results;
}

beforeAll(async () => {
  nats = await startNatsServer();
  config = loadConfig({
    env: {},
    overrides: {
      allowRanges: '127.0.0.0/8',
      checkTimeout: '20s',
      headersTimeout: '20s',
      globalConcurrency: 8,
      jobAckWait: '30s',
    },
  });
  prober = createHttpProber(config);
});

afterAll(async () => {
  await prober.close();
  await nats.stop();
});

beforeEach(async () => {
  target = await startTarget();
  // Fresh streams per test: a new server would do too, but deleting is quicker.
  bus = await connectBus({
    servers: [nats.url],
    name: 'crawler-test',
    jobAckWaitMs: 30_000,
    jobMaxDeliver: 5,
  });
  metrics = createMetrics({ defaultMetrics: false });
});

afterEach(async () => {
  await Promise.all(crawlers.splice(0).map((c) => c.stop(1000)));
  // Drain anything a failed test left behind, so the next test starts empty.
  const leftovers = bus.consumeJobs('http', { maxInFlight: 100, pullExpiresMs: 1000 }, async () => 'ack');
  await leftovers.stop(1500);
  const leftoverResults = bus.consumeResults({ batchSize: 500, maxWaitMs: 1000 }, async () => undefined);
  await leftoverResults.stop(1500);
  await bus.close();
  await target.close();
});

describe('crawler', () => {
  it('checks published jobs and publishes one result per job with the right ids and outcomes', async () => {
    const online = job('/ok/1', 1, { sha256: sha256(BODY('/ok/1')) });
    const changed = job('/ok/2', 2, { sha256: 'e'.repeat(64) });
    const gone = job('/gone', 3);
    await bus.publishJobs([online, changed, gone]);
    crawler('w1');
    const results = await readResults((r) => r.length >= 3);
    expect(results).toHaveLength(3);
    const byJob = new Map(results.map((r) => [r.jobId, r]));
    expect(byJob.get(online.jobId)).toMatchObject({
      itemId: 1,
      outcome: 'online',
      reason: null,
      httpStatus: 200,
      workerId: 'w1',
      scheduledAt: online.scheduledAt,
    });
    expect(byJob.get(online.jobId)?.sha256).toBe(sha256(BODY('/ok/1')));
    expect(byJob.get(changed.jobId)).toMatchObject({
      itemId: 2,
      outcome: 'offline',
      reason: 'content_changed',
    });
    expect(byJob.get(gone.jobId)).toMatchObject({
      itemId: 3,
      outcome: 'offline',
      reason: 'http_404',
      httpStatus: 404,
    });
    for (const r of results) {
      // Started after its slot, and the duration is the probe's, not the queue's.
      expect(Date.parse(r.startedAt)).toBeGreaterThanOrEqual(Date.parse(r.scheduledAt));
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
      expect(r.durationMs).toBeLessThan(20_000);
    }
    expect(await bus.pendingJobs()).toBe(0);
    const checks = await metrics.checks.get();
    const count = (outcome: string, reason: string): number | undefined =>
      checks.values.find((v) => v.labels.outcome === outcome && v.labels.reason === reason)?.value;
    expect(count('online', 'none')).toBe(1);
    expect(count('offline', 'http_404')).toBe(1);
    expect(count('offline', 'content_changed')).toBe(1);
    const lateness = await metrics.scheduleLateness.get();
    expect(lateness.values.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(3);
  });

  it('leaves every job with exactly one result after a run, and acks a job only after its result is published', async () => {
    const jobs = Array.from({ length: 30 }, (_, i) => job(`/ok/${i}`, 100 + i));
    await bus.publishJobs(jobs);
    // The first attempt to publish one result fails (as when NATS is away): that job must
    // not be acked, so it comes back and is checked again.
    let failed: string | null = null;
    const flakyBus = {
      consumeJobs: bus.consumeJobs.bind(bus),
      publishResult: async (result: CheckResult): Promise<void> => {
        if (failed === null) {
          failed = result.jobId;
          throw new Error('publish failed');
        }
        await bus.publishResult(result);
      },
    };
    crawler('w1', { bus: flakyBus });
    const results = await readResults((r) => r.length >= 30, 20_000);
    expect(results).toHaveLength(30);
    expect(new Set(results.map((r) => r.jobId))).toEqual(new Set(jobs.map((j) => j.jobId)));
    expect(failed).not.toBeNull();
    // The failed job was checked twice (redelivered), every other job once.
    const failedPath = new URL(jobs.find((j) => j.jobId === failed)!.url).pathname;
    expect(target.hits.get(failedPath)).toBe(2);
    expect([...target.hits.values()].reduce((a, b) => a + b, 0)).toBe(31);
    expect(await bus.pendingJobs()).toBe(0);
  });

  it('on stop(), aborts a stalled check after the grace time and naks its job for another crawler', async () => {
    const stalled = job('/stall-once', 7);
    await bus.publishJobs([stalled]);
    const first = crawler('w1');
    await waitFor(() => target.hits.get('/stall-once') === 1, {
      timeoutMs: 10_000,
      intervalMs: 20,
      what: 'the first crawler to reach the target',
    });
    const stopStarted = Date.now();
    await first.stop(300);
    expect(Date.now() - stopStarted).toBeLessThan(10_000);
    crawler('w2');
    const results = await readResults((r) => r.length >= 1);
    // Only the second crawler's real observation: no `worker_shutdown` result from w1.
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ jobId: stalled.jobId, itemId: 7, workerId: 'w2', outcome: 'online' });
    expect(target.hits.get('/stall-once')).toBe(2);
  });
});
