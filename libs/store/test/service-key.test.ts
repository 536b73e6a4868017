import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, openHarness, type Harness } from './harness.js';

describe.each(BACKENDS)('serviceKey on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(kind, 'service_key');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('creates a random key once; every later call (and concurrent ones) get the same', async () => {
    const [a, b] = await Promise.all([
      h.store.serviceKey('job-ticket', 32),
      h.store.serviceKey('job-ticket', 32),
    ]);
    expect(a).toHaveLength(32);
    expect(Buffer.from(a!).equals(Buffer.from(b!))).toBe(true);
    const again = await h.store.serviceKey('job-ticket', 32);
    expect(Buffer.from(again).equals(Buffer.from(a!))).toBe(true);
    const other = await h.store.serviceKey('another', 32);
    expect(Buffer.from(other).equals(Buffer.from(a!))).toBe(false);
    expect(new Set(a).size).toBeGreaterThan(8); // random, not a constant fill
  });
});
