import type { CheckJob } from '@tdm/core';
import { jobIdFor, parseSchedulePolicy } from '@tdm/core';
import { describe, expect, it } from 'vitest';
import { APPLY, at, BACKENDS, useHarness, report, result, scheduling, T0 } from './harness.js';

const MINUTE = 60_000;
const noop = async (): Promise<void> => undefined;

describe.each(BACKENDS)('claimDueJobs on %s', (kind) => {
  const h = useHarness(kind, 'claim');

  /** Inserts one item reported at T0 and returns its id and creation slot (its first next_check_at). */
  async function oneItem(
    overrides: Parameters<typeof report>[0] = {},
  ): Promise<{ itemId: number; created: Date }> {
    const [r] = await h.store.insertReports([report({ reportedAt: T0, ...overrides })]);
    const item = await h.store.getItem(r!.itemId);
    return { itemId: r!.itemId, created: new Date(item!.nextCheckAt!) };
  }

  it('publishes a new item at once, then follows the fixed grid without drift', async () => {
    const { itemId, created } = await oneItem({ expected: { sha256: 'f'.repeat(64) } });
    const policy = scheduling(MINUTE);
    const now1 = new Date(Date.now() + 1000);
    const published: CheckJob[][] = [];
    const jobs1 = await h.store.claimDueJobs({ now: now1, limit: 10, policy }, async (jobs) => {
      published.push(jobs);
    });
    expect(jobs1).toHaveLength(1);
    expect(published).toEqual([jobs1]);
    expect(jobs1[0]).toMatchObject({
      jobId: jobIdFor(itemId, created),
      itemId,
      scheduledAt: created.toISOString(),
      mode: 'http',
      expected: { sha256: 'f'.repeat(64) },
    });
    // Next slot: the first grid point (T0 + k·1m) after now1.
    const k = Math.floor((now1.getTime() - T0.getTime()) / MINUTE) + 1;
    const slot = at(k * MINUTE);
    expect((await h.store.getItem(itemId))?.nextCheckAt).toBe(slot.toISOString());

    // Not due before its slot.
    expect(
      await h.store.claimDueJobs({ now: new Date(slot.getTime() - 1), limit: 10, policy }, noop),
    ).toEqual([]);
    // Claimed 5 s late: the job keeps its slot, the next slot stays on the grid.
    const late = await h.store.claimDueJobs(
      { now: new Date(slot.getTime() + 5000), limit: 10, policy },
      noop,
    );
    expect(late.map((j) => j.scheduledAt)).toEqual([slot.toISOString()]);
    expect((await h.store.getItem(itemId))?.nextCheckAt).toBe(at((k + 1) * MINUTE).toISOString());
  });

  it('a scheduler that fell behind publishes the missed slot once and skips to the grid slot after now', async () => {
    const { itemId } = await oneItem();
    const policy = scheduling(MINUTE);
    const start = new Date(Date.now() + 1000);
    await h.store.claimDueJobs({ now: start, limit: 10, policy }, noop);
    const slot = new Date((await h.store.getItem(itemId))!.nextCheckAt!);
    const behind = new Date(slot.getTime() + 10.5 * MINUTE);
    const jobs = await h.store.claimDueJobs({ now: behind, limit: 10, policy }, noop);
    expect(jobs.map((j) => j.scheduledAt)).toEqual([slot.toISOString()]);
    expect((await h.store.getItem(itemId))?.nextCheckAt).toBe(
      new Date(slot.getTime() + 11 * MINUTE).toISOString(),
    );
    expect(await h.store.claimDueJobs({ now: behind, limit: 10, policy }, noop)).toEqual([]);
  });

  it('follows a phased policy anchored at the notice time', async () => {
    const notice = at(0);
    const { itemId } = await oneItem({ noticeSentAt: notice, reportedAt: at(-3600_000) });
    // 1m for 10m, then 1h: long after the first phase the slots are hourly from notice+10m.
    const policy = {
      regular: parseSchedulePolicy('1m for 10m, then 1h'),
      offlineRecheckIntervalMs: 6 * 3600_000,
    };
    const now = new Date(Date.now() + 1000);
    await h.store.claimDueJobs({ now, limit: 10, policy }, noop);
    const next = Date.parse((await h.store.getItem(itemId))!.nextCheckAt!);
    expect((next - (notice.getTime() + 10 * MINUTE)) % 3600_000).toBe(0);
    expect(next).toBeGreaterThan(now.getTime());
    expect(next - now.getTime()).toBeLessThanOrEqual(3600_000);
  });

  it('a confirmed-offline item is re-checked on the offline interval', async () => {
    const { itemId } = await oneItem();
    const policy = scheduling(MINUTE, 3600_000);
    // Half way between two hourly slots: next to an hour boundary the next minute slot is
    // an hourly slot too, and the regular grid could not be told from the offline one.
    const now = new Date(Math.ceil(Date.now() / 3600_000) * 3600_000 + 30 * MINUTE);
    await h.store.applyResults(
      [result(itemId, at(0), 'offline'), result(itemId, at(MINUTE), 'offline')],
      APPLY,
    );
    expect((await h.store.getItem(itemId))?.state).toBe('offline');
    await h.store.claimDueJobs({ now, limit: 10, policy }, noop);
    const next = Date.parse((await h.store.getItem(itemId))!.nextCheckAt!);
    expect((next - T0.getTime()) % 3600_000).toBe(0);
    expect(next - now.getTime()).toBeGreaterThan(MINUTE); // not the regular 1-minute grid
    expect(next - now.getTime()).toBeLessThanOrEqual(3600_000);
  });

  it('claims due items oldest first, up to the limit', async () => {
    await h.store.insertReports(Array.from({ length: 5 }, () => report()));
    const now = new Date(Date.now() + 1000);
    const policy = scheduling(MINUTE);
    const first = await h.store.claimDueJobs({ now, limit: 3, policy }, noop);
    const second = await h.store.claimDueJobs({ now, limit: 3, policy }, noop);
    expect(first).toHaveLength(3);
    expect(second).toHaveLength(2);
    const slots = first.map((j) => Date.parse(j.scheduledAt));
    expect([...slots].sort((a, b) => a - b)).toEqual(slots);
    expect(await h.store.claimDueJobs({ now, limit: 0, policy }, noop)).toEqual([]);
  });

  it('rolls the claim back when publish fails, so the same jobs are claimed again', async () => {
    await h.store.insertReports(Array.from({ length: 3 }, () => report()));
    const now = new Date(Date.now() + 1000);
    const policy = scheduling(MINUTE);
    let seen: CheckJob[] = [];
    const failure = new Error('bus down');
    await expect(
      h.store.claimDueJobs({ now, limit: 10, policy }, async (jobs) => {
        seen = jobs;
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(seen).toHaveLength(3);
    const retry = await h.store.claimDueJobs({ now, limit: 10, policy }, noop);
    expect(retry.map((j) => j.jobId).sort()).toEqual(seen.map((j) => j.jobId).sort());
  });

  it('sends the content type of the first online check as expected.contentType, and never changes it', async () => {
    const { itemId, created } = await oneItem();
    const policy = scheduling(MINUTE);
    const first = await h.store.claimDueJobs({ now: new Date(Date.now() + 1000), limit: 10, policy }, noop);
    // Nothing seen yet: no content type to hold the item to.
    expect(first[0]?.expected.contentType).toBeUndefined();
    await h.store.applyResults([result(itemId, created, 'error', { contentType: 'text/html' })], APPLY);
    const slot1 = new Date((await h.store.getItem(itemId))!.nextCheckAt!);
    await h.store.applyResults(
      [result(itemId, slot1, 'online', { contentType: 'Image/JPEG; charset=binary' })],
      APPLY,
    );
    const slot2 = new Date(slot1.getTime() + MINUTE);
    // A later online check with another type does not replace the first one seen.
    await h.store.applyResults([result(itemId, slot2, 'online', { contentType: 'text/html' })], APPLY);
    const later = await h.store.claimDueJobs(
      { now: new Date(slot2.getTime() + MINUTE + 1), limit: 10, policy },
      noop,
    );
    expect(later.map((j) => j.expected.contentType)).toEqual(['image/jpeg']);
  });

  it('two concurrent claimers never get the same item', async () => {
    await h.store.insertReports(Array.from({ length: 200 }, () => report()));
    const now = new Date(Date.now() + 1000);
    const policy = scheduling(MINUTE);
    const slowPublish = async (): Promise<void> => {
      await new Promise((resolve) => setTimeout(resolve, 50));
    };
    const runs = await Promise.all(
      [0, 1, 2, 3].map(() => h.store.claimDueJobs({ now, limit: 80, policy }, slowPublish)),
    );
    const ids = runs.flat().map((j) => j.itemId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(200);
  });
});
