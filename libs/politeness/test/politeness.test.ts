import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPoliteness, PolitenessStoppedError } from '@tdm/politeness';

/**
 * A loopback HTTP server that plays many domains (by path /<domain>/...), holds each
 * request HOLD_MS, and records arrival times and the most requests it had open at once,
 * per domain and in total: the measurements are taken where the target sees them.
 */
const HOLD_MS = 120;
let server: Server;
let port: number;
const arrivals = new Map<string, number[]>();
const open = new Map<string, number>();
const maxOpen = new Map<string, number>();
let openTotal = 0;
let maxOpenTotal = 0;

function reset(): void {
  arrivals.clear();
  open.clear();
  maxOpen.clear();
  openTotal = 0;
  maxOpenTotal = 0;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const domain = (req.url ?? '/').split('/')[1] ?? '';
    arrivals.set(domain, [...(arrivals.get(domain) ?? []), Date.now()]);
    open.set(domain, (open.get(domain) ?? 0) + 1);
    maxOpen.set(domain, Math.max(maxOpen.get(domain) ?? 0, open.get(domain) ?? 0));
    openTotal++;
    maxOpenTotal = Math.max(maxOpenTotal, openTotal);
    setTimeout(() => {
      open.set(domain, (open.get(domain) ?? 1) - 1);
      openTotal--;
      res.end('ok');
    }, HOLD_MS);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function hit(domain: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/${domain}/x`);
  await response.text();
  return Date.now();
}

const span = (times: number[]): number => Math.max(...times) - Math.min(...times);

describe('createPoliteness', () => {
  it('a domain with its own rate (TDM_DOMAIN_RATES) is paced at it, the others at domainRate', async () => {
    reset();
    const politeness = createPoliteness({
      globalConcurrency: 16,
      domainRate: 2,
      domainConcurrency: 8,
      domainRates: { 'bighost.test': '20' },
    });
    await Promise.all([
      ...Array.from({ length: 10 }, () => politeness.schedule('bighost.test', () => hit('bighost.test'))),
      ...Array.from({ length: 3 }, () => politeness.schedule('small.test', () => hit('small.test'))),
    ]);
    // 20/s: 10 starts span about 450 ms; 2/s: 3 starts span 1 s (arrivals jitter by a few tens of ms).
    expect(span(arrivals.get('bighost.test') ?? [])).toBeGreaterThanOrEqual(400);
    expect(span(arrivals.get('bighost.test') ?? [])).toBeLessThan(1000);
    expect(span(arrivals.get('small.test') ?? [])).toBeGreaterThanOrEqual(800);
    await politeness.stop();
  });

  it('refuses a rate override that is not a positive number, naming the setting', () => {
    expect(() =>
      createPoliteness({
        globalConcurrency: 1,
        domainRate: 2,
        domainConcurrency: 1,
        domainRates: { 'x.test': 'fast' },
      }),
    ).toThrow(/TDM_DOMAIN_RATES: the rate of x\.test/);
  });

  it('40 tasks for one domain at 10/s take ≥ 3.5 s and never exceed domainConcurrency', async () => {
    reset();
    const politeness = createPoliteness({ globalConcurrency: 16, domainRate: 10, domainConcurrency: 3 });
    let maxInFlight = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 40 }, () =>
        politeness.schedule('example.com', async () => {
          maxInFlight = Math.max(maxInFlight, politeness.inFlight);
          return hit('example.com');
        }),
      ),
    );
    const elapsed = Date.now() - started;
    expect(arrivals.get('example.com')).toHaveLength(40);
    expect(elapsed).toBeGreaterThanOrEqual(3500);
    expect(span(arrivals.get('example.com') ?? [])).toBeGreaterThanOrEqual(3500);
    expect(maxOpen.get('example.com')).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(politeness.inFlight).toBe(0);
    expect(politeness.queued).toBe(0);
    await politeness.stop();
  });

  it('two domains proceed independently, each at its own rate', async () => {
    reset();
    const politeness = createPoliteness({ globalConcurrency: 16, domainRate: 5, domainConcurrency: 2 });
    await Promise.all(
      ['a.example', 'b.example'].flatMap((domain) =>
        Array.from({ length: 8 }, () => politeness.schedule(domain, () => hit(domain))),
      ),
    );
    const a = arrivals.get('a.example') ?? [];
    const b = arrivals.get('b.example') ?? [];
    expect(a).toHaveLength(8);
    expect(b).toHaveLength(8);
    // Each domain alone is paced (7 gaps of 200 ms)...
    expect(span(a)).toBeGreaterThanOrEqual(1300);
    expect(span(b)).toBeGreaterThanOrEqual(1300);
    // ...and they overlap instead of taking turns: b started before a finished, and vice versa.
    expect(Math.min(...b)).toBeLessThan(Math.max(...a));
    expect(Math.min(...a)).toBeLessThan(Math.max(...b));
    await politeness.stop();
  });

  it('global concurrency is respected across domains', async () => {
    reset();
    const politeness = createPoliteness({ globalConcurrency: 3, domainRate: 1000, domainConcurrency: 10 });
    const domains = ['d1', 'd2', 'd3', 'd4', 'd5'];
    await Promise.all(
      domains.flatMap((domain) =>
        Array.from({ length: 4 }, () => politeness.schedule(domain, () => hit(domain))),
      ),
    );
    expect(maxOpenTotal).toBeLessThanOrEqual(3);
    expect(maxOpenTotal).toBe(3);
    await politeness.stop();
  });

  it('a domain waiting for its rate slot does not hold a global slot', async () => {
    reset();
    // One global slot; "slow" may start one task per second, "fast" is unlimited.
    const politeness = createPoliteness({ globalConcurrency: 1, domainRate: 1, domainConcurrency: 5 });
    const slow = Array.from({ length: 3 }, () => politeness.schedule('slow', () => hit('slow')));
    // Four other domains, one task each, sharing the single global slot.
    const fast = ['f1', 'f2', 'f3', 'f4'].map((domain) => politeness.schedule(domain, () => hit(domain)));
    const fastDone = Math.max(...(await Promise.all(fast)));
    await Promise.all(slow);
    const slowStarts = arrivals.get('slow') ?? [];
    // The second and third "slow" tasks wait ≥ 1 s and ≥ 2 s for their rate; the four
    // other domains used the single global slot meanwhile and were done long before.
    expect(fastDone).toBeLessThan(Math.max(...slowStarts));
    expect(span(slowStarts)).toBeGreaterThanOrEqual(1800);
    await politeness.stop();
  });

  it('a task error reaches the caller and the counters return to zero', async () => {
    const politeness = createPoliteness({ globalConcurrency: 2, domainRate: 100, domainConcurrency: 2 });
    const boom = new Error('boom');
    await expect(politeness.schedule('e.example', () => Promise.reject(boom))).rejects.toBe(boom);
    expect(await politeness.schedule('e.example', () => Promise.resolve(42))).toBe(42);
    expect(politeness.inFlight).toBe(0);
    expect(politeness.queued).toBe(0);
    await politeness.stop();
  });

  it('stop() rejects waiting tasks, lets running ones finish, and refuses new ones', async () => {
    reset();
    const politeness = createPoliteness({ globalConcurrency: 4, domainRate: 2, domainConcurrency: 1 });
    const results = Array.from({ length: 5 }, () =>
      politeness
        .schedule('s.example', () => hit('s.example'))
        .then(
          () => 'done',
          (error: unknown) => (error instanceof PolitenessStoppedError ? 'dropped' : 'other'),
        ),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(politeness.inFlight).toBe(1);
    expect(politeness.queued).toBe(4);
    await politeness.stop();
    expect(await Promise.all(results)).toEqual(['done', 'dropped', 'dropped', 'dropped', 'dropped']);
    expect(arrivals.get('s.example')).toHaveLength(1);
    await expect(politeness.schedule('s.example', () => Promise.resolve(1))).rejects.toBeInstanceOf(
      PolitenessStoppedError,
    );
  });
});
