import { describe, expect, it } from 'vitest';
import { APPLY, at, BACKENDS, count, useHarness, report, result, T0 } from './harness.js';

const MINUTE = 60_000;

describe.each(BACKENDS)('applyResults on %s', (kind) => {
  const h = useHarness(kind, 'apply');

  async function newItem(): Promise<number> {
    const [r] = await h.store.insertReports([report({ reportedAt: T0, noticeSentAt: at(30_000) })]);
    return r!.itemId;
  }

  it('confirms a removal: offlineAt is the first check of the run, lastOnlineAt the last online check', async () => {
    const id = await newItem();
    const out = await h.store.applyResults(
      [
        result(id, at(MINUTE), 'online'),
        result(id, at(2 * MINUTE), 'offline'),
        result(id, at(3 * MINUTE), 'offline'),
      ],
      APPLY,
    );
    expect(out.map((r) => [r.applied, r.state, r.transitions.length])).toEqual([
      [true, 'online', 1],
      [true, 'online', 0],
      [true, 'offline', 1],
    ]);
    const item = await h.store.getItem(id);
    expect(item).toMatchObject({
      state: 'offline',
      checks: 3,
      firstCheckedAt: at(MINUTE + 100).toISOString(),
      lastCheckedAt: at(3 * MINUTE + 100).toISOString(),
      lastOnlineAt: at(MINUTE + 100).toISOString(),
      offlineAt: at(2 * MINUTE + 100).toISOString(),
      offlineReason: 'http_404',
      confirmedAt: at(3 * MINUTE + 100).toISOString(),
      timeToRemovalSeconds: Math.round((2 * MINUTE + 100 - 30_000) / 1000),
      ip: '127.0.0.1',
    });
    expect(item?.transitions).toEqual([
      { from: 'pending', to: 'online', at: at(MINUTE + 100).toISOString(), reason: null },
      { from: 'online', to: 'offline', at: at(2 * MINUTE + 100).toISOString(), reason: 'http_404' },
    ]);
  });

  it('records a reappearance as a new transition and keeps the removal in the history', async () => {
    const id = await newItem();
    await h.store.applyResults(
      [result(id, at(MINUTE), 'offline'), result(id, at(2 * MINUTE), 'offline')],
      APPLY,
    );
    const [back] = await h.store.applyResults(
      [result(id, at(3 * MINUTE), 'online', { ip: '127.0.0.2' })],
      APPLY,
    );
    expect(back).toMatchObject({ applied: true, state: 'online' });
    const item = await h.store.getItem(id);
    expect(item?.transitions.map((t) => `${t.from}->${t.to}`)).toEqual([
      'pending->offline',
      'offline->online',
    ]);
    expect(item).toMatchObject({
      state: 'online',
      offlineAt: at(MINUTE + 100).toISOString(),
      ip: '127.0.0.2',
    });
  });

  it('names the hoster of the address an item was served from; a check without an address keeps it', async () => {
    const id = await newItem();
    const hosters: Record<string, string> = {
      '198.51.100.7': 'Example Hosting',
      '203.0.113.9': 'Other Hoster',
    };
    const options = { ...APPLY, hosterOf: (ip: string) => hosters[ip] ?? null };
    await h.store.applyResults([result(id, at(MINUTE), 'online', { ip: '198.51.100.7' })], options);
    expect((await h.store.getItem(id))?.hoster).toBe('Example Hosting');
    // A refused connection has no address: the hoster stays.
    await h.store.applyResults([result(id, at(2 * MINUTE), 'offline', { ip: null })], options);
    expect((await h.store.getItem(id))?.hoster).toBe('Example Hosting');
    // The item moved to another hoster's address.
    await h.store.applyResults([result(id, at(3 * MINUTE), 'online', { ip: '203.0.113.9' })], options);
    expect(await h.store.getItem(id)).toMatchObject({ hoster: 'Other Hoster', ip: '203.0.113.9' });
    // Then to an address the table names nobody for: no stale name is left behind.
    await h.store.applyResults([result(id, at(4 * MINUTE), 'online', { ip: '192.0.2.1' })], options);
    expect(await h.store.getItem(id)).toMatchObject({ hoster: null, ip: '192.0.2.1' });
    // Without a table nothing is touched.
    await h.store.applyResults([result(id, at(5 * MINUTE), 'online', { ip: '198.51.100.7' })], APPLY);
    expect((await h.store.getItem(id))?.hoster).toBeNull();
  });

  it('a duplicate result changes nothing and records nothing twice', async () => {
    const id = await newItem();
    const batch = [result(id, at(MINUTE), 'offline'), result(id, at(2 * MINUTE), 'offline')];
    await h.store.applyResults(batch, APPLY);
    const before = await h.store.getItem(id);
    const counts = [await count(h.db, 'transitions'), await count(h.db, 'checks')];
    const again = await h.store.applyResults([...batch, ...batch], APPLY);
    expect(again.map((r) => r.applied)).toEqual([false, false, false, false]);
    expect(again.map((r) => r.state)).toEqual(['offline', 'offline', 'offline', 'offline']);
    expect(await h.store.getItem(id)).toEqual(before);
    expect([await count(h.db, 'transitions'), await count(h.db, 'checks')]).toEqual(counts);
  });

  it('duplicates inside one batch are applied once', async () => {
    const id = await newItem();
    const r = result(id, at(MINUTE), 'online');
    const out = await h.store.applyResults([r, r, r], APPLY);
    expect(out.map((x) => x.applied)).toEqual([true, false, false]);
    expect(await count(h.db, 'transitions')).toBe(1);
    expect((await h.store.getItem(id))?.checks).toBe(1);
  });

  it('orders a batch by scheduled time and ignores results older than the newest applied', async () => {
    const id = await newItem();
    // Given out of order within one batch: applied by scheduledAt.
    const out = await h.store.applyResults(
      [result(id, at(2 * MINUTE), 'offline'), result(id, at(MINUTE), 'online')],
      APPLY,
    );
    expect(out.map((r) => r.applied)).toEqual([true, true]);
    expect((await h.store.getItem(id))?.lastOnlineAt).toBe(at(MINUTE + 100).toISOString());
    // A later batch with an older slot is ignored and moves no timestamp.
    const now = { now: at(MINUTE * 10) }; // the overrun is as of a fixed clock
    const before = await h.store.getItem(id, now);
    const [late] = await h.store.applyResults([result(id, at(MINUTE + 30_000), 'online')], APPLY);
    expect(late).toEqual({ jobId: expect.any(String), applied: false, transitions: [], state: 'online' });
    expect(await h.store.getItem(id, now)).toEqual(before);
    // …but the check did happen: it is in the log.
    expect((await h.store.listChecks(id)).map((c) => c.scheduledAt)).toContain(
      at(MINUTE + 30_000).toISOString(),
    );
  });

  it('transient failures alone need the longer run and span', async () => {
    const id = await newItem();
    const t = (m: number) => result(id, at(m * MINUTE), 'offline', { reason: 'timeout', httpStatus: null });
    await h.store.applyResults([t(1), t(2), t(3), t(4)], APPLY); // 4 checks but only 3 minutes apart
    expect((await h.store.getItem(id))?.state).toBe('pending');
    const [last] = await h.store.applyResults([t(40)], APPLY);
    expect(last?.transitions).toEqual([
      { from: 'pending', to: 'offline', at: at(MINUTE + 100), reason: 'timeout' },
    ]);
  });

  it('error outcomes count as checks but never confirm a removal', async () => {
    const id = await newItem();
    await h.store.applyResults(
      [1, 2, 3, 4, 5].map((m) => result(id, at(m * MINUTE), 'error')),
      APPLY,
    );
    expect(await h.store.getItem(id)).toMatchObject({ state: 'pending', checks: 5, transitions: [] });
  });

  it('answers applied=false and state null for an unknown item, and still applies the rest', async () => {
    const id = await newItem();
    const out = await h.store.applyResults(
      [result(999_999, at(MINUTE), 'online'), result(id, at(MINUTE), 'online')],
      APPLY,
    );
    expect(out.map((r) => [r.applied, r.state])).toEqual([
      [false, null],
      [true, 'online'],
    ]);
  });

  it('skips results it cannot place (bad item id or time) without failing the batch', async () => {
    const id = await newItem();
    const out = await h.store.applyResults(
      [
        result(id, at(MINUTE), 'online', { scheduledAt: 'not a time' }),
        result(Number.NaN, at(MINUTE), 'online'),
        result(id, at(2 * MINUTE), 'online'),
      ],
      APPLY,
    );
    expect(out.map((r) => r.applied)).toEqual([false, false, true]);
    expect(await count(h.db, 'checks')).toBe(1);
  });

  it('writes no check log rows when the check log is off', async () => {
    const a = await newItem();
    await h.store.applyResults(
      [1, 2, 3].map((m) => result(a, at(m * MINUTE), 'online')),
      { ...APPLY, checkLog: false },
    );
    expect(await count(h.db, 'checks')).toBe(0);
    expect(await h.store.listChecks(a)).toEqual([]);
    expect((await h.store.getItem(a))?.checks).toBe(3);
    await h.store.applyResults(
      [4, 5].map((m) => result(a, at(m * MINUTE), 'online')),
      APPLY,
    );
    expect(await count(h.db, 'checks')).toBe(2);
  });

  it('moves next_check_at earlier for a confirmation re-check, never later', async () => {
    const id = await newItem();
    const far = at(3600_000);
    await h.db.query('UPDATE schedule SET next_check_at = $1 WHERE item_id = $2', [far.toISOString(), id]);
    const options = { ...APPLY, confirmRecheckDelayMs: 30_000 };
    await h.store.applyResults([result(id, at(MINUTE), 'offline')], options);
    expect((await h.store.getItem(id))?.nextCheckAt).toBe(at(MINUTE + 30_000).toISOString());
    // A re-check later than the already planned one does not postpone it.
    await h.db.query('UPDATE schedule SET next_check_at = $1 WHERE item_id = $2', [
      at(MINUTE + 10_000).toISOString(),
      id,
    ]);
    await h.store.applyResults([result(id, at(MINUTE + 5_000), 'offline', { reason: 'timeout' })], options);
    expect((await h.store.getItem(id))?.nextCheckAt).toBe(at(MINUTE + 10_000).toISOString());
    // With the delay off nothing moves.
    const other = await newItem();
    const planned = (await h.store.getItem(other))?.nextCheckAt;
    await h.store.applyResults([result(other, at(MINUTE), 'offline')], APPLY);
    expect((await h.store.getItem(other))?.nextCheckAt).toBe(planned);
  });

  it('keeps every check-log field, milliseconds included', async () => {
    const id = await newItem();
    const r = result(id, new Date('2026-01-05T00:01:00.123Z'), 'online', {
      startedAt: '2026-01-05T00:01:00.987Z',
      durationMs: 321,
      redirects: [{ url: 'http://a.example/', status: 301, ip: '127.0.0.1' }],
      bytes: 20_480,
      sha256: 'ab'.repeat(32),
    });
    await h.store.applyResults([r], APPLY);
    expect(await h.store.listChecks(id)).toEqual([
      {
        jobId: r.jobId,
        scheduledAt: '2026-01-05T00:01:00.123Z',
        startedAt: '2026-01-05T00:01:00.987Z',
        durationMs: 321,
        outcome: 'online',
        reason: null,
        httpStatus: 200,
        ip: '127.0.0.1',
        sha256: 'ab'.repeat(32),
        bytes: 20_480,
        error: null,
        redirects: [{ url: 'http://a.example/', status: 301, ip: '127.0.0.1' }],
      },
    ]);
  });

  it('report batches and result batches on the same items run concurrently without deadlock', async () => {
    const urls = Array.from({ length: 60 }, (_, i) => `http://busy${String(i).padStart(2, '0')}.example/`);
    const out = await h.store.insertReports(urls.map((url) => report({ url })));
    const ids = out.map((r) => r.itemId);
    for (let round = 1; round <= 5; round++) {
      const slot = at(round * MINUTE);
      await Promise.all([
        h.store.insertReports([...urls].reverse().map((url) => report({ url }))),
        h.store.applyResults(
          ids.map((id) => result(id, slot, 'online')),
          APPLY,
        ),
        h.store.insertReports(urls.map((url) => report({ url }))),
      ]);
    }
    expect(await count(h.db, 'reports')).toBe(60 * 11);
    expect((await h.store.getItem(ids[0]!))?.checks).toBe(5);
  });

  it('applies a batch for many items with overlapping concurrent batches', async () => {
    const out = await h.store.insertReports(Array.from({ length: 100 }, () => report()));
    const ids = out.map((r) => r.itemId);
    const a = ids.map((id) => result(id, at(MINUTE), 'offline'));
    const b = [...ids].reverse().map((id) => result(id, at(2 * MINUTE), 'offline'));
    await Promise.all([h.store.applyResults(a, APPLY), h.store.applyResults(b, APPLY)]);
    const counts = await h.store.countItemsByState();
    // Whatever order the two batches ran in, no deadlock and every item saw both checks or
    // the first was late (ignored) — never a half-applied batch.
    expect(counts.pending + counts.offline).toBe(100);
    expect(await count(h.db, 'checks')).toBe(200);
  });
});
