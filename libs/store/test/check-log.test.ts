import { describe, expect, it } from 'vitest';
import { partitionName, dayStart } from '../src/check-log.js';
import { APPLY, BACKENDS, count, useHarness, report, result } from './harness.js';

const DAY = 24 * 3600_000;

describe.each(BACKENDS)('check log partitions on %s', (kind) => {
  const h = useHarness(kind, 'check_log');

  async function partitions(): Promise<string[]> {
    const rows = await h.db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'checks'::regclass ORDER BY 1`,
    );
    return rows.map((r) => r.name);
  }

  it('names partitions by UTC day', () => {
    expect(partitionName(dayStart(new Date('2026-03-04T23:59:59.999Z')))).toBe('checks_p20260304');
  });

  it('creates partitions ahead and drops those older than the retention', async () => {
    const now = new Date('2026-02-10T12:00:00.000Z');
    const [r] = await h.store.insertReports([report()]);
    const id = r!.itemId;
    // Checks on 2026-02-01 and 2026-02-05: their partitions are created on demand.
    await h.store.applyResults(
      [
        result(id, new Date('2026-02-01T10:00:00.000Z'), 'online'),
        result(id, new Date('2026-02-05T10:00:00.000Z'), 'online'),
      ],
      APPLY,
    );
    const { dropped: none } = await h.store.maintainCheckLog(now, 30 * DAY);
    expect(none).toEqual([]);
    expect(await partitions()).toEqual(
      expect.arrayContaining([
        'checks_p20260201',
        'checks_p20260205',
        'checks_p20260210',
        'checks_p20260211',
        'checks_p20260212',
      ]),
    );

    // 7 days back from now is 2026-02-03T12:00: 02-01 is wholly older, 02-05 is not.
    const { dropped } = await h.store.maintainCheckLog(now, 7 * DAY);
    expect(dropped).toEqual(['checks_p20260201']);
    expect(await partitions()).not.toContain('checks_p20260201');
    expect((await h.store.listChecks(id)).map((c) => c.scheduledAt)).toEqual(['2026-02-05T10:00:00.000Z']);
    expect(await count(h.db, 'checks')).toBe(1);
  });

  it('recreates a partition dropped behind its back and still applies the batch', async () => {
    const [r] = await h.store.insertReports([report()]);
    const id = r!.itemId;
    const day = new Date('2026-04-01T08:00:00.000Z');
    await h.store.applyResults([result(id, day, 'online')], APPLY);
    // Another process (or an operator) drops it; this store still believes it exists.
    await h.db.exec('DROP TABLE checks_p20260401');
    const [out] = await h.store.applyResults(
      [result(id, new Date(day.getTime() + 60_000), 'offline')],
      APPLY,
    );
    expect(out?.applied).toBe(true);
    expect(await count(h.db, 'checks')).toBe(1);
    expect(await partitions()).toContain('checks_p20260401');
  });
});
