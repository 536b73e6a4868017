import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectBus, createJobTickets, type Bus } from '@tdm/bus';
import { loadConfig, validateReport, type CheckJob, type Config, type LoadConfigOptions } from '@tdm/core';
import { openStore, type Store } from '@tdm/store';
import { createLogger, createMetrics, type Metrics } from '@tdm/telemetry';
import { pollUntil, startNatsServer, type NatsServerHandle } from '@tdm/test-helpers';
import { createScheduler, pacingHorizonMs, type Scheduler } from '@tdm/scheduler';

let nats: NatsServerHandle;
let bus: Bus;
let store: Store;
let metrics: Metrics;
const schedulers: Scheduler[] = [];
const logger = createLogger({ service: 'scheduler-test', level: 'silent' });
const tickets = createJobTickets(new Uint8Array(32).fill(3));

function config(overrides: LoadConfigOptions['overrides']): Config {
  // All test items share one registrable domain: a high rate keeps pacing out of the way
  // except in the test about pacing.
  return loadConfig({
    env: {},
    overrides: {
      checkInterval: '1s',
      schedulerTick: '50ms',
      schedulerBatch: 100,
      domainRate: 1000,
      ...overrides,
    },
  });
}

async function insertItems(count: number, reportedAt = new Date()): Promise<number[]> {
  const reports = Array.from({ length: count }, (_, i) =>
    validateReport(
      { url: `http://site${i}.example.test/a/${i}`, reportId: `r${i}`, reportedAt: reportedAt.toISOString() },
      { now: new Date(), source: 'test' },
    ),
  );
  return (await store.insertReports(reports)).map((r) => r.itemId);
}

function start(cfg: Config): Scheduler {
  const scheduler = createScheduler({ store, bus, config: cfg, logger, metrics, tickets });
  schedulers.push(scheduler);
  void scheduler.run();
  return scheduler;
}

/** Collects jobs from the stream (acking them) until `done` says enough or the time is up. */
async function collect(done: (jobs: CheckJob[]) => boolean, timeoutMs: number): Promise<CheckJob[]> {
  const jobs: CheckJob[] = [];
  const consumer = bus.consumeJobs('http', { maxInFlight: 64, pullExpiresMs: 1000 }, async (job) => {
    jobs.push(job);
    return 'ack';
  });
  await pollUntil(() => jobs, done, { timeoutMs });
  await consumer.stop(1000);
  return jobs;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

beforeEach(async () => {
  // PGlite takes seconds to open: start it alongside nats-server.
  const opening = openStore({}).then(async (opened) => {
    await opened.migrate();
    return opened;
  });
  nats = await startNatsServer();
  bus = await connectBus({
    servers: [nats.url],
    name: 'scheduler-test',
    jobAckWaitMs: 30_000,
    jobMaxDeliver: 5,
    requestTimeoutMs: 2000,
  });
  store = await opening;
  metrics = createMetrics({ defaultMetrics: false });
});

afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.stop()));
  await bus.close();
  await store.close();
  await nats.stop();
});

describe('scheduler', () => {
  it('publishes a job per due item with jobId = itemId@scheduledAt', async () => {
    const itemIds = await insertItems(5);
    start(config({}));
    const jobs = await collect((j) => new Set(j.map((x) => x.itemId)).size === 5, 15_000);
    expect(new Set(jobs.map((j) => j.itemId))).toEqual(new Set(itemIds));
    for (const job of jobs) {
      expect(job.jobId).toBe(`${job.itemId}@${job.scheduledAt}`);
      expect(job.mode).toBe('http');
      expect(job.url).toMatch(/^http:\/\/site\d\.example\.test\/a\/\d$/);
      // Never published before its slot.
      expect(Date.parse(job.publishedAt)).toBeGreaterThanOrEqual(Date.parse(job.scheduledAt));
      // Signed: a result that copies the ticket verifies, under this scheduler's key only.
      const result = {
        jobId: job.jobId,
        itemId: job.itemId,
        scheduledAt: job.scheduledAt,
        ticket: job.ticket,
      };
      expect(tickets.verify(result)).toBe(true);
      expect(createJobTickets(new Uint8Array(32).fill(4)).verify(result)).toBe(false);
    }
    expect(
      (await metrics.jobsPublished.get()).values.find((v) => v.labels.mode === 'http')?.value,
    ).toBeGreaterThanOrEqual(5);
    expect(
      (await metrics.claimDuration.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value,
    ).toBeGreaterThan(0);
  });

  it('follows a fixed 1 s grid over several ticks: slots exactly 1000 ms apart, on the anchor grid', async () => {
    // An anchor with odd milliseconds, so a drifting "now + interval" could not pass by luck.
    const anchor = new Date(Date.now() - 2345);
    const [itemId] = await insertItems(1, anchor);
    start(config({ schedulerTick: '30ms' }));
    const jobs = await collect((j) => j.length >= 5, 15_000);
    const slots = jobs
      .filter((j) => j.itemId === itemId)
      .map((j) => Date.parse(j.scheduledAt))
      .sort((a, b) => a - b);
    expect(slots.length).toBeGreaterThanOrEqual(5);
    // The first slot is the item's creation (checked at once); every later one is on the grid.
    const grid = slots.slice(1);
    for (const slot of grid) expect((slot - anchor.getTime()) % 1000).toBe(0);
    for (let i = 1; i < grid.length; i++) expect(grid[i]! - grid[i - 1]!).toBe(1000);
    // No slot published twice.
    expect(new Set(jobs.map((j) => j.jobId)).size).toBe(jobs.length);
  });

  it('stops claiming while the stream holds more than maxPendingJobs, and resumes when drained', async () => {
    await insertItems(10);
    start(config({ maxPendingJobs: 3, schedulerBatch: 2 }));
    // 0 → 2 → 4 jobs; at 4 (> 3) it must stop, though all 10 items are due.
    const pending = await pollUntil(
      () => bus.pendingJobs(),
      (n) => n >= 4,
      { timeoutMs: 10_000 },
    );
    expect(pending).toBe(4);
    await sleep(1500); // several ticks and one whole check interval: still held back
    expect(await bus.pendingJobs()).toBe(4);
    // A crawler drains the stream: the scheduler resumes and every item gets its job.
    const jobs = await collect((j) => new Set(j.map((x) => x.itemId)).size === 10, 20_000);
    expect(new Set(jobs.map((j) => j.itemId)).size).toBe(10);
  });

  it('survives NATS being down: rounds fail, are retried, and publishing resumes', async () => {
    await insertItems(3);
    await nats.kill();
    start(config({}));
    await sleep(1000);
    await nats.restart();
    const jobs = await collect((j) => new Set(j.map((x) => x.itemId)).size === 3, 20_000);
    expect(new Set(jobs.map((j) => j.itemId)).size).toBe(3);
  });

  it('paces one registrable domain for both schedulers together: notBefore 1/rate apart, booked less than the horizon ahead', async () => {
    await insertItems(12);
    const cfg = config({ schedulerBatch: 4, checkInterval: '1h', domainRate: 5 });
    start(cfg);
    start(cfg);
    const jobs = await collect((j) => j.length >= 12, 15_000);
    expect(new Set(jobs.map((j) => j.itemId)).size).toBe(12);
    const starts = jobs.map((j) => Date.parse(j.notBefore!)).sort((a, b) => a - b);
    expect(starts.every(Number.isFinite)).toBe(true);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(200);
    // 12 starts 200 ms apart: the domain's checks are spread over at least 2.2 s.
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(2200);
    for (const job of jobs)
      expect(Date.parse(job.notBefore!) - Date.parse(job.publishedAt)).toBeLessThan(
        pacingHorizonMs(50) + 500,
      );
  });

  it('two schedulers at once publish each slot once', async () => {
    await insertItems(20);
    const cfg = config({ schedulerBatch: 3, checkInterval: '1h' });
    start(cfg);
    start(cfg);
    const jobs = await collect((j) => j.length >= 20, 15_000);
    await sleep(500);
    const late = await collect(() => false, 1200);
    const all = [...jobs, ...late];
    expect(all).toHaveLength(20);
    expect(new Set(all.map((j) => j.itemId)).size).toBe(20);
  });
});
