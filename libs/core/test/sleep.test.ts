import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { backoffMs, settlesWithin, sleep } from '@tdm/core';

describe('sleep', () => {
  it('resolves true once the time has passed', async () => {
    const started = performance.now();
    expect(await sleep(30)).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('resolves false, early, when the signal aborts; at once when it already had', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const slept = sleep(60_000, controller.signal);
    setTimeout(() => controller.abort(), 10);
    expect(await slept).toBe(false);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await sleep(60_000, controller.signal)).toBe(false);
  });

  it('leaves no abort listener behind', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 3; i += 1) await sleep(1, controller.signal);
    const slept = sleep(60_000, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    await slept;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('backoffMs', () => {
  it('doubles from firstMs, capped, with jitter in the upper half', () => {
    for (let i = 0; i < 200; i += 1) {
      const first = backoffMs(1, { firstMs: 200, capMs: 10_000 });
      expect(first).toBeGreaterThanOrEqual(100);
      expect(first).toBeLessThanOrEqual(200);
      const third = backoffMs(3, { firstMs: 200, capMs: 10_000 });
      expect(third).toBeGreaterThanOrEqual(400);
      expect(third).toBeLessThanOrEqual(800);
      const late = backoffMs(1_000, { firstMs: 200, capMs: 10_000 });
      expect(late).toBeGreaterThanOrEqual(5_000);
      expect(late).toBeLessThanOrEqual(10_000);
    }
  });

  it('treats 0 failures as the first', () => {
    expect(backoffMs(0, { firstMs: 100, capMs: 1000 })).toBeLessThanOrEqual(100);
  });
});

describe('settlesWithin', () => {
  it('is true when the promise settles in time (even by rejecting), false otherwise', async () => {
    expect(await settlesWithin(Promise.resolve(1), 1000)).toBe(true);
    expect(await settlesWithin(Promise.reject(new Error('x')), 1000)).toBe(true);
    expect(await settlesWithin(new Promise(() => {}), 20)).toBe(false);
  });
});
