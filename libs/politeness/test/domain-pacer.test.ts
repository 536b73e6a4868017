import { describe, expect, it } from 'vitest';
import { pollUntil } from '@tdm/test-helpers';
import { DomainPacer } from '../src/domain-pacer.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('DomainPacer', () => {
  it('admits in arrival order, starts at least minTime apart', async () => {
    const pacer = new DomainPacer({ minTimeMs: 50, maxConcurrent: 10, idleExpiryMs: 60_000 });
    const admitted: Array<{ index: number; at: number }> = [];
    // The pacer's own clock (monotonic, fractional ms), so no rounding can shave a gap.
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        pacer.admit('a.test').then(() => {
          admitted.push({ index, at: performance.now() });
          pacer.release('a.test');
        }),
      ),
    );
    expect(admitted.map((a) => a.index)).toEqual([0, 1, 2, 3, 4, 5]);
    // The n-th admission is at least n × minTime after the first could start. Observed
    // times lag admissions by a tick, so bound each from t0 rather than the gaps between
    // two observations; an unpaced pacer would admit all six within a few ms.
    for (const { index, at } of admitted) expect(at - t0).toBeGreaterThanOrEqual(index * 50);
    pacer.stop(new Error('done'));
  });

  it('holds at most maxConcurrent admitted until one is released', async () => {
    const pacer = new DomainPacer({ minTimeMs: 1, maxConcurrent: 2, idleExpiryMs: 60_000 });
    let admitted = 0;
    const all = Array.from({ length: 3 }, () => pacer.admit('b.test').then(() => (admitted += 1)));
    await sleep(50);
    expect(admitted).toBe(2);
    pacer.release('b.test');
    await Promise.all(all);
    expect(admitted).toBe(3);
    pacer.stop(new Error('done'));
  });

  it('keeps domains apart: a busy domain does not delay another', async () => {
    const pacer = new DomainPacer({ minTimeMs: 10_000, maxConcurrent: 1, idleExpiryMs: 60_000 });
    await pacer.admit('busy.test');
    const waiting = pacer.admit('busy.test'); // waits 10 s for its start time
    const t0 = Date.now();
    await pacer.admit('other.test');
    expect(Date.now() - t0).toBeLessThan(100);
    const stopped = new Error('stopped');
    pacer.stop(stopped);
    await expect(waiting).rejects.toBe(stopped);
    await expect(pacer.admit('other.test')).rejects.toBe(stopped);
  });

  it('forgets a domain once it has been idle past the expiry', async () => {
    const pacer = new DomainPacer({ minTimeMs: 1, maxConcurrent: 1, idleExpiryMs: 1000 });
    await pacer.admit('idle.test');
    pacer.release('idle.test');
    expect(pacer.domains).toBe(1);
    await sleep(500);
    expect(pacer.domains).toBe(1); // not before the expiry
    await pollUntil(
      () => pacer.domains,
      (domains) => domains === 0,
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(pacer.domains).toBe(0);
    pacer.stop(new Error('done'));
  });
});
