/**
 * A job's notBefore (its booked start in the domain's cluster-wide pacing): the check
 * starts no earlier, waits without holding a politeness slot, never waits longer than the
 * bound, and a shutdown during the wait sends nothing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type CheckJob } from '@tdm/core';
import { createPoliteness, type Politeness } from '@tdm/politeness';
import { createHttpProber, type HttpProber } from '@tdm/probe';
import { ABORTED, notBeforeDelayMs, runCheck } from '@tdm/crawler';

let server: Server;
let base = '';
const arrivals: number[] = [];
let prober: HttpProber;

beforeAll(async () => {
  server = createServer((_req, res) => {
    arrivals.push(Date.now());
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  prober = createHttpProber(loadConfig({ env: {}, overrides: { allowRanges: '127.0.0.0/8' } }));
});

afterAll(async () => {
  await prober.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

let n = 0;
function job(notBefore?: Date): CheckJob {
  n += 1;
  const scheduledAt = new Date(Date.now() - 10 + n).toISOString();
  return {
    jobId: `${n}@${scheduledAt}`,
    itemId: n,
    url: `${base}/item/${n}`,
    registrableDomain: 'example.test',
    mode: 'http',
    scheduledAt,
    expected: {},
    publishedAt: new Date().toISOString(),
    ...(notBefore ? { notBefore: notBefore.toISOString() } : {}),
  };
}

function politeness(): Politeness {
  return createPoliteness({ globalConcurrency: 1, domainRate: 1000, domainConcurrency: 1 });
}

describe('notBeforeDelayMs', () => {
  it('is 0 without, before an invalid or past notBefore, the remaining time otherwise, capped by the bound', () => {
    expect(notBeforeDelayMs({}, 1000, 5000)).toBe(0);
    expect(notBeforeDelayMs({ notBefore: 'not a time' }, 1000, 5000)).toBe(0);
    expect(notBeforeDelayMs({ notBefore: new Date(500).toISOString() }, 1000, 5000)).toBe(0);
    expect(notBeforeDelayMs({ notBefore: new Date(1300).toISOString() }, 1000, 5000)).toBe(300);
    expect(notBeforeDelayMs({ notBefore: new Date(3_600_000).toISOString() }, 1000, 5000)).toBe(5000);
  });
});

describe('runCheck with notBefore', () => {
  it('starts each check no earlier than its notBefore, and waits without holding the (single) global slot', async () => {
    const limiter = politeness();
    const now = Date.now();
    const late = job(new Date(now + 600));
    const early = job(new Date(now + 200));
    const signal = new AbortController().signal;
    // The later job is submitted first: were it to hold the only global slot while it
    // waits, the earlier one could not start before it.
    const lateRun = runCheck(late, { prober, politeness: limiter, workerId: 'w', signal });
    const earlyRun = runCheck(early, { prober, politeness: limiter, workerId: 'w', signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(limiter.inFlight + limiter.queued).toBe(0); // both wait outside the limiter
    const [a, b] = await Promise.all([lateRun, earlyRun]);
    if (a === ABORTED || b === ABORTED) throw new Error('aborted');
    expect(a.outcome).toBe('online');
    expect(Date.parse(a.startedAt)).toBeGreaterThanOrEqual(Date.parse(late.notBefore!));
    expect(Date.parse(b.startedAt)).toBeGreaterThanOrEqual(Date.parse(early.notBefore!));
    expect(Date.parse(b.startedAt)).toBeLessThan(Date.parse(a.startedAt));
    await limiter.stop();
  });

  it('waits at most the bound for a notBefore far ahead', async () => {
    const limiter = politeness();
    const far = job(new Date(Date.now() + 3_600_000));
    const t0 = Date.now();
    const result = await runCheck(far, {
      prober,
      politeness: limiter,
      workerId: 'w',
      signal: new AbortController().signal,
      maxNotBeforeWaitMs: 200,
    });
    if (result === ABORTED) throw new Error('aborted');
    expect(Date.parse(result.startedAt) - t0).toBeGreaterThanOrEqual(190);
    expect(Date.parse(result.startedAt) - t0).toBeLessThan(5000);
    await limiter.stop();
  });

  it('a shutdown during the wait ends the check at once, with no request sent', async () => {
    const limiter = politeness();
    const waiting = job(new Date(Date.now() + 10_000));
    const before = arrivals.length;
    const controller = new AbortController();
    const t0 = Date.now();
    const run = runCheck(waiting, { prober, politeness: limiter, workerId: 'w', signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    expect(await run).toBe(ABORTED);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(arrivals.length).toBe(before);
    await limiter.stop();
  });
});
