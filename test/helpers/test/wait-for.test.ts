import { describe, expect, it } from 'vitest';
import { pollUntil, waitFor } from '@tdm/test-helpers';

describe('waitFor and pollUntil', () => {
  it('waitFor resolves as soon as the condition holds, sync or async', async () => {
    let reads = 0;
    await waitFor(() => ++reads >= 3, { timeoutMs: 5000, intervalMs: 1 });
    expect(reads).toBe(3);
    let asyncReads = 0;
    await waitFor(async () => ++asyncReads >= 2, { timeoutMs: 5000, intervalMs: 1 });
    expect(asyncReads).toBe(2);
  });

  it('waitFor fails after the timeout, naming what it waited for (read at the timeout)', async () => {
    let state = 'starting';
    const started = Date.now();
    const waiting = waitFor(
      () => {
        state = 'still starting';
        return false;
      },
      { timeoutMs: 100, intervalMs: 10, what: () => `the server (${state})` },
    );
    await expect(waiting).rejects.toThrow('timed out after 100 ms waiting for the server (still starting)');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('pollUntil returns the value that met the condition, or the last one at the timeout', async () => {
    let n = 0;
    expect(
      await pollUntil(
        () => ++n,
        (value) => value === 4,
        { timeoutMs: 5000, intervalMs: 1 },
      ),
    ).toBe(4);
    const last = await pollUntil(
      () => ++n,
      () => false,
      { timeoutMs: 50, intervalMs: 10 },
    );
    expect(last).toBeGreaterThan(4);
  });

  it('a throwing read ends the wait with its error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('process exited');
        },
        { timeoutMs: 5000 },
      ),
    ).rejects.toThrow('process exited');
  });
});
