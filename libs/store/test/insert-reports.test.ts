import { describe, expect, it } from 'vitest';
import { at, BACKENDS, count, useHarness, report, T0 } from './harness.js';

const H1 = '1'.repeat(64);
const H2 = '2'.repeat(64);

describe.each(BACKENDS)('insertReports on %s', (kind) => {
  const h = useHarness(kind, 'insert_reports');

  it('creates an item per new URL, due at once, and is idempotent on (source, reportId)', async () => {
    const before = Date.now();
    const a = report({ reportId: 'a', url: 'http://one.example/x' });
    const b = report({ reportId: 'b', url: 'http://two.example/y' });
    const first = await h.store.insertReports([a, b]);
    expect(first).toEqual([
      { reportId: 'a', itemId: expect.any(Number), created: true, itemCreated: true, conflict: false },
      { reportId: 'b', itemId: expect.any(Number), created: true, itemCreated: true, conflict: false },
    ]);
    expect(first[0]?.itemId).not.toBe(first[1]?.itemId);
    const item = await h.store.getItem(first[0]!.itemId);
    expect(item).toMatchObject({
      url: 'http://one.example/x',
      state: 'pending',
      checks: 0,
      reportedAt: T0.toISOString(),
    });
    expect(Date.parse(item!.nextCheckAt!)).toBeGreaterThanOrEqual(before - 5);
    expect(Date.parse(item!.nextCheckAt!)).toBeLessThanOrEqual(Date.now() + 5);

    const again = await h.store.insertReports([b, a]);
    expect(again).toEqual([
      { reportId: 'b', itemId: first[1]?.itemId, created: false, itemCreated: false, conflict: false },
      { reportId: 'a', itemId: first[0]?.itemId, created: false, itemCreated: false, conflict: false },
    ]);
    expect(await count(h.db, 'reports')).toBe(2);
    expect(await count(h.db, 'items')).toBe(2);
  });

  it('the same reportId from another source is another report', async () => {
    const [x] = await h.store.insertReports([
      report({ reportId: 'same', source: 's1', url: 'http://a.example/' }),
    ]);
    const [y] = await h.store.insertReports([
      report({ reportId: 'same', source: 's2', url: 'http://a.example/' }),
    ]);
    expect(y).toEqual({
      reportId: 'same',
      itemId: x?.itemId,
      created: true,
      itemCreated: false,
      conflict: false,
    });
    expect(await count(h.db, 'reports')).toBe(2);
  });

  it('merges reports of one URL: earliest times, first non-null hashes, browser wins', async () => {
    const url = 'http://merge.example/img.jpg';
    const [r1] = await h.store.insertReports([
      report({ url, reportedAt: at(10_000), noticeSentAt: null, expected: { sha256: H1 }, mode: 'http' }),
    ]);
    const [r2] = await h.store.insertReports([
      report({
        url,
        reportedAt: at(5_000),
        noticeSentAt: at(20_000),
        expected: { sha256: H2, md5: 'c'.repeat(32) },
        mode: 'browser',
      }),
    ]);
    const [r3] = await h.store.insertReports([
      report({ url, reportedAt: at(7_000), noticeSentAt: at(15_000), mode: 'http' }),
    ]);
    expect(r2?.itemId).toBe(r1?.itemId);
    expect(r3?.itemId).toBe(r1?.itemId);
    expect([r1?.itemCreated, r2?.itemCreated, r3?.itemCreated]).toEqual([true, false, false]);
    const item = await h.store.getItem(r1!.itemId);
    expect(item).toMatchObject({
      reportedAt: at(5_000).toISOString(),
      noticeSentAt: at(15_000).toISOString(),
      mode: 'browser',
    });
    const rows = await h.db.query<{ sha256: string; md5: string; anchor_at: Date }>(
      'SELECT sha256, md5, anchor_at FROM items WHERE item_id = $1',
      [r1!.itemId],
    );
    expect(rows[0]).toEqual({ sha256: H1, md5: 'c'.repeat(32), anchor_at: at(15_000) });
    expect(await count(h.db, 'reports')).toBe(3);
  });

  it('handles repeated reportIds and repeated URLs within one batch', async () => {
    const url = 'http://dup.example/';
    const batch = [
      report({ reportId: 'd1', url, reportedAt: at(3_000) }),
      report({ reportId: 'd2', url, reportedAt: at(1_000), mode: 'browser' }),
      report({ reportId: 'd1', url: 'http://other.example/' }), // a repeat naming another URL: a conflict
      report({ reportId: 'd3', url: 'http://third.example/' }),
    ];
    const out = await h.store.insertReports(batch);
    expect(out.map((r) => [r.reportId, r.created, r.itemCreated, r.conflict])).toEqual([
      ['d1', true, true, false],
      ['d2', true, false, false],
      ['d1', false, false, true],
      ['d3', true, true, false],
    ]);
    expect(out[1]?.itemId).toBe(out[0]?.itemId);
    expect(out[2]?.itemId).toBe(out[0]?.itemId);
    expect(await count(h.db, 'items')).toBe(2);
    expect(await count(h.db, 'reports')).toBe(3);
    const item = await h.store.getItem(out[0]!.itemId);
    expect(item).toMatchObject({ reportedAt: at(1_000).toISOString(), mode: 'browser' });
  });

  it('generates a report id when none is given (such reports are not idempotent)', async () => {
    const r = report({ reportId: null, url: 'http://noid.example/' });
    const [a] = await h.store.insertReports([r]);
    const [b] = await h.store.insertReports([r]);
    expect(a?.reportId).toMatch(/^[0-9a-f-]{36}$/);
    expect(b?.reportId).not.toBe(a?.reportId);
    expect([a?.created, b?.created]).toEqual([true, true]);
    expect(b?.itemId).toBe(a?.itemId);
  });

  it('stores labels and keeps long and unusual URLs exact', async () => {
    const long = `http://long.example/${'a'.repeat(4000)}`;
    const odd = 'http://odd.example/p?q="x",{y}\\z&n=NULL';
    const out = await h.store.insertReports([
      report({ url: long, labels: { category: 'A1', hotline: 'nl' } }),
      report({ url: odd }),
    ]);
    expect((await h.store.getItem(out[0]!.itemId))?.url).toBe(long);
    expect((await h.store.getItem(out[1]!.itemId))?.url).toBe(odd);
    const rows = await h.db.query<{ labels: unknown }>('SELECT labels FROM reports WHERE report_id = $1', [
      out[0]!.reportId,
    ]);
    expect(rows[0]?.labels).toEqual({ category: 'A1', hotline: 'nl' });
  });

  it('two concurrent batches naming the same URLs end with one item per URL', async () => {
    const urls = Array.from({ length: 50 }, (_, i) => `http://race${i}.example/`);
    const [a, b] = await Promise.all([
      h.store.insertReports(urls.map((url) => report({ url }))),
      h.store.insertReports([...urls].reverse().map((url) => report({ url }))),
    ]);
    expect(await count(h.db, 'items')).toBe(50);
    const created = [...a!, ...b!].filter((r) => r.itemCreated).length;
    expect(created).toBe(50);
    expect(new Set(a!.map((r) => r.itemId))).toEqual(new Set(b!.map((r) => r.itemId)));
  });

  it('accepts an empty batch', async () => {
    expect(await h.store.insertReports([])).toEqual([]);
  });
});
