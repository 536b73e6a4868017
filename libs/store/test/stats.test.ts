/**
 * The statistics in SQL against the reference in TypeScript (@tdm/survival), on both
 * backends, and the deadline rules (item view, overdue list, counts).
 */
import type { OverdueRow } from '@tdm/core';
import { kaplanMeier, quantile, quantileInterval, survivalAt, type Observation } from '@tdm/survival';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APPLY, at, BACKENDS, openHarness, report, result, T0, type Harness } from './harness.js';

const HOUR = 3600_000;

interface Synthetic {
  hoster: string | null;
  /** online: censored at lastOnline; offline: removed at offline (after lastOnline); gone: never online. */
  state: 'online' | 'offline' | 'gone' | 'pending';
  lastOnlineS: number | null;
  offlineS: number | null;
}

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function population(seed: number, size: number): Synthetic[] {
  const random = prng(seed);
  const hosters = ['alpha', 'beta', 'gamma', null];
  return Array.from({ length: size }, () => {
    const hoster = hosters[Math.floor(random() * hosters.length)] ?? null;
    const roll = random();
    // Whole seconds out of a small range: many ties, as a check grid makes them.
    const lastOnlineS = Math.floor(random() * 40);
    if (roll < 0.05) return { hoster, state: 'pending', lastOnlineS: null, offlineS: null };
    if (roll < 0.12)
      return { hoster, state: 'gone', lastOnlineS: null, offlineS: 1 + Math.floor(random() * 5) };
    if (roll < 0.5) return { hoster, state: 'online', lastOnlineS, offlineS: null };
    return { hoster, state: 'offline', lastOnlineS, offlineS: lastOnlineS + 1 + Math.floor(random() * 10) };
  });
}

function observationsOf(items: Synthetic[], early = false): Observation[] {
  return items
    .filter((item) => item.state !== 'gone')
    .map((item) =>
      item.state === 'offline'
        ? { time: (early ? item.lastOnlineS : item.offlineS) ?? 0, event: true }
        : { time: item.lastOnlineS ?? 0, event: false },
    );
}

describe.each(BACKENDS)('statistics on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(kind, 'stats');
  });
  beforeEach(async () => {
    await h.reset();
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Stores the population: reports with the notice at T0, item rows set as described. */
  async function store(items: Synthetic[]): Promise<number[]> {
    const answers = await h.store.insertReports(items.map(() => report({ noticeSentAt: T0 })));
    const ids = answers.map((a) => a.itemId);
    const iso = (s: number | null): string | null => (s === null ? null : at(s * 1000).toISOString());
    await h.db.query(
      `UPDATE items AS i SET state = u.state, hoster = u.hoster, last_online_at = u.last_online_at,
              offline_at = u.offline_at, checks = 1
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[])
           AS u(item_id, state, hoster, last_online_at, offline_at)
        WHERE i.item_id = u.item_id`,
      [
        ids,
        items.map((item) => (item.state === 'gone' ? 'offline' : item.state)),
        items.map((item) => item.hoster),
        items.map((item) => iso(item.lastOnlineS)),
        items.map((item) => iso(item.offlineS)),
      ],
    );
    return ids;
  }

  it('computes the same curves as the TypeScript Kaplan–Meier, group by group', async () => {
    const items = population(7, 400);
    await store(items);
    const groups = await h.store.survivalCurves({ groupBy: ['hoster'], now: at(HOUR) });
    expect(groups.map((g) => g.key)).toEqual(['alpha', 'beta', 'gamma', null]);
    for (const group of groups) {
      const reference = kaplanMeier(observationsOf(items.filter((item) => item.hoster === group.key)));
      expect(group.points).toHaveLength(reference.points.length);
      group.points.forEach((point, n) => {
        const expected = reference.points[n]!;
        expect(point.time).toBe(expected.time);
        expect(point.atRisk).toBe(expected.atRisk);
        expect(point.events).toBe(expected.events);
        expect(point.censored).toBe(expected.censored);
        expect(point.survival).toBeCloseTo(expected.survival, 12);
        expect(point.low).toBeCloseTo(expected.low, 12);
        expect(point.high).toBeCloseTo(expected.high, 12);
      });
    }
  });

  it('computes the same shares, quantiles and counts as the reference', async () => {
    const items = population(11, 500);
    await store(items);
    const within = [
      { label: '5s', seconds: 5 },
      { label: '20s', seconds: 20 },
      { label: '1h', seconds: 3600 },
    ];
    const groups = await h.store.removalStats({ groupBy: ['hoster'], now: at(HOUR), within });
    expect(groups).toHaveLength(4);
    for (const group of groups) {
      const mine = items.filter((item) => item.hoster === group.key);
      const curve = kaplanMeier(observationsOf(mine));
      const early = kaplanMeier(observationsOf(mine, true));
      expect(group.items).toBe(mine.length);
      expect(group.removed).toBe(mine.filter((item) => item.state === 'offline').length);
      expect(group.open).toBe(
        mine.filter((item) => item.state === 'online' || item.state === 'pending').length,
      );
      expect(group.goneBeforeFirstCheck).toBe(mine.filter((item) => item.state === 'gone').length);
      for (const { label, seconds } of within) {
        expect(group.removedWithin[label]).toBeCloseTo(1 - survivalAt(curve, seconds), 12);
        // The bracket is the two curves' shares in order: shifting events earlier does not
        // order Kaplan–Meier curves when censorings lie in between.
        const shares = [1 - survivalAt(curve, seconds), 1 - survivalAt(early, seconds)];
        expect(group.removedWithinBounds[label]?.[0]).toBeCloseTo(Math.min(...shares), 12);
        expect(group.removedWithinBounds[label]?.[1]).toBeCloseTo(Math.max(...shares), 12);
      }
      expect(group.medianSeconds).toBe(quantile(curve, 0.5));
      expect(group.p90Seconds).toBe(quantile(curve, 0.9));
      expect(group.medianCi95).toEqual(quantileInterval(curve, 0.5));
    }
  });

  it('groups by two levels and by notice month; an empty window has no groups', async () => {
    const items = population(3, 60);
    await store(items);
    const two = await h.store.removalStats({
      groupBy: ['hoster', 'noticeMonth'],
      now: at(HOUR),
      within: [{ label: '24h', seconds: 86400 }],
    });
    expect(two.map((g) => g.key)).toEqual([
      ['alpha', '2026-01'],
      ['beta', '2026-01'],
      ['gamma', '2026-01'],
      [null, '2026-01'],
    ]);
    expect(two.reduce((sum, g) => sum + g.items, 0)).toBe(60);
    const empty = await h.store.removalStats({
      groupBy: ['hoster'],
      now: at(HOUR),
      noticeSince: at(HOUR),
      within: [],
    });
    expect(empty).toEqual([]);
  });

  it('counts an item in each source that reported it', async () => {
    const [a] = await h.store.insertReports([report({ source: 'hotline', url: 'http://shared.example/x' })]);
    await h.store.insertReports([report({ source: 'regulator', url: 'http://shared.example/x' })]);
    await h.store.insertReports([report({ source: 'hotline' })]);
    const groups = await h.store.removalStats({ groupBy: ['source'], now: at(HOUR), within: [] });
    expect(groups.map((g) => [g.key, g.items])).toEqual([
      ['hotline', 2],
      ['regulator', 1],
    ]);
    expect(a?.itemId).toBeGreaterThan(0);
  });

  it('keeps deadlines per item: met, missed, open, overdue, overrun and gone before the first check', async () => {
    const deadline = (hours: number) => ({ noticeSentAt: T0, deadlineAt: at(hours * HOUR) });
    const [met, missed, open, overdue, gone] = await h.store.insertReports([
      report(deadline(1)),
      report(deadline(1)),
      report(deadline(10)),
      report(deadline(2)),
      report(deadline(1)),
    ]);
    const ids = [met, missed, open, overdue, gone].map((a) => a!.itemId);
    const apply = async (id: number, slots: Array<[number, 'online' | 'offline']>) =>
      h.store.applyResults(
        slots.map(([minutes, outcome]) => result(id, at(minutes * 60_000), outcome)),
        APPLY,
      );
    await apply(ids[0]!, [
      [10, 'online'],
      [30, 'offline'],
      [31, 'offline'],
    ]);
    await apply(ids[1]!, [
      [10, 'online'],
      [90, 'offline'],
      [91, 'offline'],
    ]);
    await apply(ids[2]!, [[10, 'online']]);
    await apply(ids[3]!, [
      [10, 'online'],
      [200, 'online'],
    ]);
    await apply(ids[4]!, [
      [10, 'offline'],
      [11, 'offline'],
    ]);
    const now = at(5 * HOUR);
    const views = await Promise.all(ids.map((id) => h.store.getItem(id, { now })));
    expect(views.map((v) => v?.deadlineState)).toEqual(['met', 'missed', 'open', 'overdue', 'met']);
    expect(views.map((v) => v?.goneBeforeFirstCheck)).toEqual([false, false, false, false, true]);
    // Missed: removed at 90 min (the check started 100 ms after its slot) with a 60 min
    // deadline; overdue: 5 h − 2 h.
    expect(views[1]?.overrunSeconds).toBeCloseTo(30 * 60 + 0.1, 6);
    expect(views[3]?.overrunSeconds).toBe(3 * 3600);
    expect(views[0]?.overrunSeconds).toBe(0);
    expect(views[2]?.deadlineAt).toBe(at(10 * HOUR).toISOString());

    const rows: OverdueRow[] = [];
    for await (const row of h.store.overdue({ now })) rows.push(row);
    expect(rows.map((r) => r.itemId)).toEqual([ids[3]]);
    expect(rows[0]?.overrunSeconds).toBe(3 * 3600);
    // Later, the open one is overdue too and comes after (its deadline is later).
    const later: number[] = [];
    for await (const row of h.store.overdue({ now: at(11 * HOUR) })) later.push(row.itemId);
    expect(later).toEqual([ids[3], ids[2]]);

    const [group] = await h.store.removalStats({ groupBy: ['hoster'], now, within: [] });
    expect(group).toMatchObject({
      key: null,
      items: 5,
      removed: 2,
      open: 2,
      goneBeforeFirstCheck: 1,
      deadline: { met: 2, missed: 1, open: 1, overdue: 1 },
    });
  });

  it('an item keeps the earliest deadline of its reports', async () => {
    const url = 'http://twice.example/a';
    const [first] = await h.store.insertReports([report({ url, deadlineAt: at(24 * HOUR) })]);
    await h.store.insertReports([report({ url, deadlineAt: at(HOUR) })]);
    await h.store.insertReports([report({ url, deadlineAt: at(48 * HOUR) })]);
    expect((await h.store.getItem(first!.itemId))?.deadlineAt).toBe(at(HOUR).toISOString());
  });

  it('counts reappearances', async () => {
    const [a] = await h.store.insertReports([report()]);
    const id = a!.itemId;
    await h.store.applyResults(
      [
        result(id, at(0), 'online'),
        result(id, at(60_000), 'offline'),
        result(id, at(120_000), 'offline'),
        result(id, at(180_000), 'online'),
      ],
      APPLY,
    );
    const [group] = await h.store.removalStats({ groupBy: ['hoster'], now: at(HOUR), within: [] });
    expect(group?.reappeared).toBe(1);
    expect(group?.open).toBe(1);
  });
});
