/**
 * Domain capacity: a domain holding more items than rate × interval cannot be checked on
 * the grid. The store says which (with its achievable interval), and an operator's
 * per-domain rate (TDM_DOMAIN_RATES) both lifts the domain out of the list and paces its
 * claims at that rate while the other domains keep the default.
 */
import type { CheckJob } from '@tdm/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { APPLY, BACKENDS, at, report, result, scheduling, useHarness } from './harness.js';

const INTERVAL_MS = 60_000;
const OFFLINE_MS = 3600_000;

describe.each(BACKENDS)('domain capacity on %s', (kind) => {
  const h = useHarness(kind, 'capacity');

  beforeEach(async () => {
    await h.db.exec('TRUNCATE domain_pacing');
    // big.test: 300 active items (5 checks/s on a 1-minute grid) + 2 removed ones;
    // small.test: 10 items (1/6 per second); mid.test: 120 items (exactly 2/s).
    const big = Array.from({ length: 302 }, (_, i) =>
      report({ url: `http://img.big.test/${i}`, registrableDomain: 'big.test' }),
    );
    const small = Array.from({ length: 10 }, (_, i) =>
      report({ url: `http://small.test/${i}`, registrableDomain: 'small.test' }),
    );
    const mid = Array.from({ length: 120 }, (_, i) =>
      report({ url: `http://mid.test/${i}`, registrableDomain: 'mid.test' }),
    );
    const answers = await h.store.insertReports([...big, ...small, ...mid]);
    const removed = answers.slice(0, 2).map((a) => a.itemId);
    await h.store.applyResults(
      removed.flatMap((id) => [result(id, at(0), 'offline'), result(id, at(1000), 'offline')]),
      APPLY,
    );
  });

  it('lists the domains over capacity, worst first, with the interval their rate allows', async () => {
    const over = await h.store.domainCapacity({
      intervalMs: INTERVAL_MS,
      offlineRecheckIntervalMs: OFFLINE_MS,
      defaultRate: 2,
    });
    expect(over.map((d) => d.registrableDomain)).toEqual(['big.test']);
    const [big] = over;
    expect(big).toMatchObject({ activeItems: 300, removedItems: 2, rate: 2 });
    expect(big!.neededRate).toBeCloseTo(300 / 60 + 2 / 3600, 9);
    expect(big!.loadRatio).toBeCloseTo((300 / 60 + 2 / 3600) / 2, 9);
    // 300 items at what is left of 2/s after the re-checks: about 150 s instead of 60 s.
    expect(big!.achievableIntervalMs).toBe(Math.ceil((300 / (2 - 2 / 3600)) * 1000));

    const all = await h.store.domainCapacity({
      intervalMs: INTERVAL_MS,
      offlineRecheckIntervalMs: OFFLINE_MS,
      defaultRate: 2,
      overCapacityOnly: false,
    });
    expect(all.map((d) => [d.registrableDomain, d.loadRatio <= 1])).toEqual([
      ['big.test', false],
      ['mid.test', true],
      ['small.test', true],
    ]);
  });

  it('an agreed rate for the domain takes it off the list', async () => {
    const over = await h.store.domainCapacity({
      intervalMs: INTERVAL_MS,
      offlineRecheckIntervalMs: OFFLINE_MS,
      defaultRate: 2,
      rates: { 'big.test': 10 },
    });
    expect(over).toEqual([]);
  });

  it('the claim paces a domain with an override at its own rate, the others at the default', async () => {
    const now = new Date(Date.now() + 60_000);
    await h.db.query(`UPDATE schedule SET next_check_at = $1::timestamptz - interval '1 s'`, [
      now.toISOString(),
    ]);
    const jobs: CheckJob[] = await h.store.claimDueJobs(
      {
        now,
        limit: 500,
        policy: {
          ...scheduling(INTERVAL_MS),
          domainRate: 2,
          domainRates: { 'big.test': 20 },
          pacingHorizonMs: 1000,
        },
      },
      async () => undefined,
    );
    const starts = (domain: string): number[] =>
      jobs
        .filter((j) => j.registrableDomain === domain)
        .map((j) => Date.parse(j.notBefore!))
        .sort((a, b) => a - b);
    // 20/s: 20 jobs booked in the 1 s horizon, 50 ms apart; the default 2/s: 2 jobs, 500 ms apart.
    expect(starts('big.test')).toEqual(Array.from({ length: 20 }, (_, k) => now.getTime() + k * 50));
    expect(starts('mid.test')).toEqual([now.getTime(), now.getTime() + 500]);
  });
});
