/**
 * Cluster-wide per-domain pacing in claimDueJobs: a domain's jobs get start times
 * (notBefore) 1/rate apart, booked less than the horizon ahead, across claims and across
 * concurrent claimers; a domain with a huge backlog cannot starve the others.
 */
import type { CheckJob } from '@tdm/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, useHarness, report, scheduling } from './harness.js';
import type { SchedulingPolicy } from '../src/store.js';

const RATE = 10; // per second: 100 ms apart
const SPACING_MS = 1000 / RATE;
const HORIZON_MS = 1000;
const BIG = 'hoster.test';

function paced(): SchedulingPolicy {
  return { ...scheduling(3600_000), domainRate: RATE, pacingHorizonMs: HORIZON_MS };
}

function notBefore(job: CheckJob): number {
  expect(job.notBefore, job.jobId).toBeDefined();
  return Date.parse(job.notBefore!);
}

/** Gaps between consecutive sorted start times. */
function gaps(times: number[]): number[] {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted.slice(1).map((t, i) => t - sorted[i]!);
}

describe.each(BACKENDS)('claimDueJobs with domain pacing on %s', (kind) => {
  const h = useHarness(kind, 'pacing');
  let now: Date;

  beforeEach(async () => {
    await h.db.exec('TRUNCATE domain_pacing');
    // 50 items on several hosts of one registrable domain, all due longest; then 50 items
    // on 10 other domains (5 each), due later. Without a per-domain cap the big domain
    // would fill the first 50 places of every batch.
    const big = Array.from({ length: 50 }, (_, i) =>
      report({ url: `http://${'abcde'[i % 5]}.${BIG}/p/${i}` }),
    );
    const others = Array.from({ length: 50 }, (_, i) =>
      report({ url: `http://www.other${i % 10}.test/q/${i}` }),
    );
    await h.store.insertReports([...big, ...others]);
    now = new Date(Date.now() + 60_000);
    await h.db.query(
      `UPDATE schedule AS s SET next_check_at = CASE WHEN i.registrable_domain = $2 THEN $1::timestamptz - interval '10 s'
                                                    ELSE $1::timestamptz - interval '5 s' END
         FROM items AS i WHERE i.item_id = s.item_id`,
      [now.toISOString(), BIG],
    );
  });

  it('books a domain at most rate × horizon jobs, 1/rate apart from now, and does not starve the others', async () => {
    const published: CheckJob[] = [];
    const jobs = await h.store.claimDueJobs({ now, limit: 60, policy: paced() }, async (batch) => {
      published.push(...batch);
    });
    expect(published).toEqual(jobs);
    const big = jobs.filter((j) => j.registrableDomain === BIG);
    const others = jobs.filter((j) => j.registrableDomain !== BIG);
    expect(big).toHaveLength(RATE * (HORIZON_MS / 1000));
    expect(big.map(notBefore)).toEqual(big.map((_, k) => now.getTime() + k * SPACING_MS));
    // All 50 items of the other domains fit in the same batch of 60: none starved.
    expect(others).toHaveLength(50);
    for (let d = 0; d < 10; d++) {
      const mine = others.filter((j) => j.registrableDomain === `other${d}.test`).map(notBefore);
      expect(mine).toHaveLength(5);
      expect(gaps(mine)).toEqual([SPACING_MS, SPACING_MS, SPACING_MS, SPACING_MS]);
      expect(Math.min(...mine)).toBe(now.getTime());
    }
    // The big domain's other 40 items stay due, unchanged.
    const due = await h.db.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM schedule AS s JOIN items AS i ON i.item_id = s.item_id
        WHERE i.registrable_domain = $1 AND s.next_check_at <= $2::timestamptz`,
      [BIG, now.toISOString()],
    );
    expect(Number(due[0]!.n)).toBe(40);
    const pacing = await h.db.query<{ next_at: Date }>(
      'SELECT next_at FROM domain_pacing WHERE registrable_domain = $1',
      [BIG],
    );
    expect(pacing[0]!.next_at.getTime()).toBe(now.getTime() + 10 * SPACING_MS);
  });

  it('continues the spacing across claims: nothing while booked up to the horizon, then the next free starts', async () => {
    const noop = async (): Promise<void> => undefined;
    const first = await h.store.claimDueJobs({ now, limit: 100, policy: paced() }, noop);
    // Same instant again: the big domain is booked up to now + horizon, so it gets nothing.
    const again = await h.store.claimDueJobs({ now, limit: 100, policy: paced() }, noop);
    expect(again.filter((j) => j.registrableDomain === BIG)).toEqual([]);
    // 450 ms later: starts now+1000 … now+1400 are less than the horizon ahead.
    const later = new Date(now.getTime() + 450);
    const second = await h.store.claimDueJobs({ now: later, limit: 100, policy: paced() }, noop);
    const big = [...first, ...again, ...second].filter((j) => j.registrableDomain === BIG);
    expect(big).toHaveLength(15);
    expect(new Set(big.map((j) => j.itemId)).size).toBe(15);
    const starts = big.map(notBefore).sort((a, b) => a - b);
    expect(gaps(starts).every((g) => g === SPACING_MS)).toBe(true);
    for (const job of second) expect(notBefore(job) - later.getTime()).toBeLessThan(HORIZON_MS);
  });

  it('prunes only pacing rows that book nothing; a pruned domain starts from now again', async () => {
    await h.store.claimDueJobs({ now, limit: 60, policy: paced() }, async () => undefined);
    const rowsBefore = await h.db.query<{ n: string | number }>('SELECT count(*) AS n FROM domain_pacing');
    expect(Number(rowsBefore[0]!.n)).toBe(11);
    // Every booked start lies after `now`: nothing is idle before it.
    expect(await h.store.pruneDomainPacing(now)).toBe(0);
    // Once the booked starts are past, the rows go.
    expect(await h.store.pruneDomainPacing(new Date(now.getTime() + 60_000))).toBe(11);
    const later = new Date(now.getTime() + 120_000);
    const jobs = await h.store.claimDueJobs(
      { now: later, limit: 60, policy: paced() },
      async () => undefined,
    );
    const big = jobs.filter((j) => j.registrableDomain === BIG).map(notBefore);
    expect(Math.min(...big)).toBe(later.getTime());
  });

  it('leaves jobs without notBefore when no domainRate is given (compatibility)', async () => {
    const jobs = await h.store.claimDueJobs(
      { now, limit: 100, policy: scheduling(3600_000) },
      async () => undefined,
    );
    expect(jobs).toHaveLength(100);
    expect(jobs.every((j) => j.notBefore === undefined)).toBe(true);
  });

  it('two concurrent claimers keep the spacing: no two jobs of one domain closer than 1/rate', async () => {
    const all: Array<{ claimer: number; job: CheckJob }> = [];
    // Each claimer holds its transaction open while it "publishes", so the two overlap.
    const claimer = (id: number, at: Date): Promise<CheckJob[]> =>
      h.store.claimDueJobs({ now: at, limit: 7, policy: paced() }, async (batch) => {
        await new Promise((resolve) => setTimeout(resolve, 150));
        all.push(...batch.map((job) => ({ claimer: id, job })));
      });
    for (let round = 0; round < 6; round++) {
      const at = new Date(now.getTime() + round * 400);
      await Promise.all([claimer(1, at), claimer(2, at)]);
    }
    const jobIds = all.map((x) => x.job.jobId);
    expect(new Set(jobIds).size).toBe(jobIds.length);
    const byDomain = new Map<string, number[]>();
    for (const { job } of all)
      byDomain.set(job.registrableDomain, [...(byDomain.get(job.registrableDomain) ?? []), notBefore(job)]);
    for (const [domain, starts] of byDomain) {
      for (const gap of gaps(starts)) expect(gap, domain).toBeGreaterThanOrEqual(SPACING_MS);
    }
    // Both claimers booked the big domain, so the spacing above held across them.
    const bigClaimers = new Set(all.filter((x) => x.job.registrableDomain === BIG).map((x) => x.claimer));
    expect(bigClaimers).toEqual(new Set([1, 2]));
    // Over 6 rounds 400 ms apart the big domain got about rate × elapsed: never more.
    const bigStarts = byDomain.get(BIG) ?? [];
    const span = 5 * 400 + HORIZON_MS;
    expect(bigStarts.length).toBeLessThanOrEqual(Math.ceil((span / 1000) * RATE));
    expect(bigStarts.length).toBeGreaterThan(0);
  }, 30_000);
});
