import type { RemovalRow } from '@tdm/core';
import { describe, expect, it } from 'vitest';
import { APPLY, at, BACKENDS, useHarness, report, result, T0 } from './harness.js';

const MINUTE = 60_000;

async function collect(iterable: AsyncIterable<RemovalRow>): Promise<RemovalRow[]> {
  const rows: RemovalRow[] = [];
  for await (const row of iterable) rows.push(row);
  return rows;
}

describe.each(BACKENDS)('read queries on %s', (kind) => {
  const h = useHarness(kind, 'queries');

  it('getItem answers null for an unknown or invalid id', async () => {
    expect(await h.store.getItem(12345)).toBeNull();
    expect(await h.store.getItem(-1)).toBeNull();
    expect(await h.store.listChecks(12345)).toEqual([]);
  });

  it('listChecks is newest first, 100 by default, at most 1000', async () => {
    const [r] = await h.store.insertReports([report()]);
    const id = r!.itemId;
    await h.store.applyResults(
      Array.from({ length: 1100 }, (_, i) => result(id, at(i * 1000), 'online')),
      APPLY,
    );
    const latest = await h.store.listChecks(id);
    expect(latest).toHaveLength(100);
    expect(latest[0]?.scheduledAt).toBe(at(1099 * 1000).toISOString());
    expect(latest[99]?.scheduledAt).toBe(at(1000 * 1000).toISOString());
    expect(await h.store.listChecks(id, { limit: 5000 })).toHaveLength(1000);
    expect((await h.store.listChecks(id, { limit: 3 })).map((c) => c.scheduledAt)).toEqual([
      at(1099_000).toISOString(),
      at(1098_000).toISOString(),
      at(1097_000).toISOString(),
    ]);
    expect((await h.store.getItem(id))?.checks).toBe(1100);
  });

  it('removals pages across more than 1000 rows in (offlineAt, itemId) order within [since, until)', async () => {
    const n = 1205;
    const out = await h.store.insertReports(Array.from({ length: n }, () => report({ reportedAt: T0 })));
    const ids = out.map((r) => r.itemId);
    // Groups of 10 items share one offlineAt, so the keyset's tie-break on itemId matters.
    const results = ids.flatMap((id, i) => {
      const first = at(Math.floor(i / 10) * MINUTE);
      return [result(id, first, 'offline'), result(id, new Date(first.getTime() + 1000), 'offline')];
    });
    await h.store.applyResults(results, APPLY);
    expect(await h.store.countItemsByState()).toEqual({ pending: 0, online: 0, offline: n });

    const all = await collect(h.store.removals({}));
    expect(all).toHaveLength(n);
    expect(new Set(all.map((r) => r.itemId)).size).toBe(n);
    const keys = all.map((r) => [Date.parse(r.offlineAt), r.itemId] as const);
    for (let i = 1; i < keys.length; i++) {
      const [pa, pi] = keys[i - 1]!;
      const [ca, ci] = keys[i]!;
      expect(ca > pa || (ca === pa && ci > pi)).toBe(true);
    }
    expect(all[0]).toMatchObject({
      itemId: Math.min(...ids.slice(0, 10)),
      offlineAt: at(100).toISOString(),
      reportedAt: T0.toISOString(),
      noticeSentAt: null,
      offlineReason: 'http_404',
      timeToRemovalSeconds: 0,
      lastOnlineAt: null,
      confirmedAt: at(1100).toISOString(),
    });

    // since is inclusive, until exclusive: offlineAt of group g is T0 + g min + 100 ms.
    const since = at(3 * MINUTE + 100);
    const until = at(110 * MINUTE + 100);
    const window = await collect(h.store.removals({ since, until }));
    expect(window).toHaveLength((110 - 3) * 10);
    expect(window[0]?.offlineAt).toBe(since.toISOString());
    expect(window[window.length - 1]?.offlineAt).toBe(at(109 * MINUTE + 100).toISOString());
    expect(await collect(h.store.removals({ since: at(200 * MINUTE) }))).toEqual([]);
  });

  it('removals lists removal episodes: one that came back stays listed with reappearedAt; unconfirmed runs are not', async () => {
    const out = await h.store.insertReports([report(), report(), report()]);
    const [a, b, c] = out.map((r) => r.itemId) as [number, number, number];
    await h.store.applyResults(
      [
        result(a, at(MINUTE), 'offline'),
        result(a, at(2 * MINUTE), 'offline'),
        result(b, at(MINUTE), 'offline'),
        result(b, at(2 * MINUTE), 'offline'),
        result(b, at(3 * MINUTE), 'online'),
        result(c, at(MINUTE), 'offline'),
      ],
      APPLY,
    );
    const rows = await collect(h.store.removals({}));
    expect(rows.map((r) => [r.itemId, r.episode, r.reappearedAt])).toEqual([
      [a, 1, null],
      [b, 1, at(3 * MINUTE + 100).toISOString()],
    ]);
    expect(await h.store.countItemsByState()).toEqual({ pending: 1, online: 1, offline: 1 });
  });

  it('an item removed, restored and removed again has two episodes, each with its own timestamps, each exactly once', async () => {
    const [r] = await h.store.insertReports([report({ noticeSentAt: T0 })]);
    const id = r!.itemId;
    const online = (m: number) => result(id, at(m * MINUTE), 'online');
    const offline = (m: number, reason: 'http_404' | 'http_410' = 'http_404') =>
      result(id, at(m * MINUTE), 'offline', { reason });
    await h.store.applyResults([online(1), online(2), offline(3), offline(4)], APPLY);
    await h.store.applyResults([online(5), online(6)], APPLY);
    // Redelivered results of the first episode change nothing.
    await h.store.applyResults([offline(3), offline(4)], APPLY);
    await h.store.applyResults([offline(7, 'http_410'), offline(8, 'http_410')], APPLY);

    const rows = await collect(h.store.removals({}));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      itemId: id,
      episode: 1,
      lastOnlineAt: at(2 * MINUTE + 100).toISOString(),
      offlineAt: at(3 * MINUTE + 100).toISOString(),
      confirmedAt: at(4 * MINUTE + 100).toISOString(),
      offlineReason: 'http_404',
      reappearedAt: at(5 * MINUTE + 100).toISOString(),
      timeToRemovalSeconds: 180, // whole seconds
    });
    expect(rows[1]).toMatchObject({
      itemId: id,
      episode: 2,
      lastOnlineAt: at(6 * MINUTE + 100).toISOString(),
      offlineAt: at(7 * MINUTE + 100).toISOString(),
      confirmedAt: at(8 * MINUTE + 100).toISOString(),
      offlineReason: 'http_410',
      reappearedAt: null,
    });
    // The window selects episodes by their own offlineAt.
    const second = await collect(h.store.removals({ since: at(5 * MINUTE) }));
    expect(second.map((row) => row.episode)).toEqual([2]);
    const first = await collect(h.store.removals({ until: at(5 * MINUTE) }));
    expect(first.map((row) => row.episode)).toEqual([1]);
  });

  it('ping answers', async () => {
    await expect(h.store.ping()).resolves.toBeUndefined();
    expect(h.store.kind).toBe(kind);
  });
});
