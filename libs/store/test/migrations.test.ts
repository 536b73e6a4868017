import { createTestDatabase } from '@tdm/test-helpers';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/index.js';
import { openPgliteDatabase } from '../src/pglite-database.js';
import { silentLogger } from '../src/executor.js';
import { runMigrations, MIGRATIONS } from '../src/migrations.js';
import { BACKENDS, count, useHarness } from './harness.js';

describe.each(BACKENDS)('migrations on %s', (kind) => {
  const h = useHarness(kind, 'migrations', { reset: false });

  it('records every migration once; migrating again applies nothing', async () => {
    expect(await count(h.db, 'schema_migrations')).toBe(MIGRATIONS.length);
    expect(await runMigrations(h.db, silentLogger)).toEqual([]);
    await h.store.migrate();
    expect(await count(h.db, 'schema_migrations')).toBe(MIGRATIONS.length);
  });

  it('applies a new numbered migration exactly once', async () => {
    const next = { version: 9001, name: 'test column', sql: 'ALTER TABLE items ADD COLUMN test_extra text' };
    expect(await runMigrations(h.db, silentLogger, [...MIGRATIONS, next])).toEqual([9001]);
    expect(await runMigrations(h.db, silentLogger, [...MIGRATIONS, next])).toEqual([]);
    const rows = await h.db.query<{ name: string }>(
      'SELECT name FROM schema_migrations WHERE version = 9001',
    );
    expect(rows).toEqual([{ name: 'test column' }]);
  });

  it('rolls back a failing migration completely', async () => {
    const bad = {
      version: 9002,
      name: 'bad',
      sql: 'CREATE TABLE t_bad (a int); SELECT * FROM no_such_table',
    };
    await expect(runMigrations(h.db, silentLogger, [...MIGRATIONS, bad])).rejects.toThrow();
    const rows = await h.db.query(`SELECT 1 FROM pg_class WHERE relname = 't_bad'`);
    expect(rows).toHaveLength(0);
    expect(await h.db.query('SELECT 1 FROM schema_migrations WHERE version = 9002')).toHaveLength(0);
  });
});

describe('migration 5 (schedule table) on a database with items', () => {
  it("moves every item's next_check_at into schedule, and claims keep working", async () => {
    const db = await openPgliteDatabase(undefined);
    try {
      await runMigrations(
        db,
        silentLogger,
        MIGRATIONS.filter((m) => m.version < 5),
      );
      await db.query(
        `INSERT INTO items (url, original_url, host, registrable_domain, mode, reported_at, next_check_at)
         VALUES ('http://a.test/1', 'http://a.test/1', 'a.test', 'a.test', 'http', '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z'),
                ('http://b.test/2', 'http://b.test/2', 'b.test', 'b.test', 'http', '2026-01-01T00:00:00Z', NULL)`,
      );
      expect(
        await runMigrations(
          db,
          silentLogger,
          MIGRATIONS.filter((m) => m.version <= 5),
        ),
      ).toEqual([5]);
      const rows = await db.query<{ url: string; next_check_at: Date | null }>(
        'SELECT i.url, s.next_check_at FROM items AS i JOIN schedule AS s USING (item_id) ORDER BY i.url',
      );
      expect(rows.map((r) => [r.url, r.next_check_at?.toISOString() ?? null])).toEqual([
        ['http://a.test/1', '2026-01-01T00:01:00.000Z'],
        ['http://b.test/2', null],
      ]);
      const columns = await db.query(
        `SELECT 1 FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'next_check_at'`,
      );
      expect(columns).toHaveLength(0);
    } finally {
      await db.close();
    }
  });
});

describe('migration 6 (removal episodes) on a database with removals', () => {
  it('gives the current episode of a removed item its bracket from the items row, and older ones NULL', async () => {
    const db = await openPgliteDatabase(undefined);
    try {
      await runMigrations(
        db,
        silentLogger,
        MIGRATIONS.filter((m) => m.version < 6),
      );
      await db.query(
        `INSERT INTO items (url, original_url, host, registrable_domain, mode, reported_at, state,
                            last_online_at, offline_at, confirmed_at, offline_reason)
         VALUES ('http://a.test/1', 'http://a.test/1', 'a.test', 'a.test', 'http', '2026-01-01T00:00:00Z', 'offline',
                 '2026-01-01T03:00:00Z', '2026-01-01T04:00:00Z', '2026-01-01T05:00:00Z', 'http_404')`,
      );
      await db.query(
        `INSERT INTO transitions (item_id, from_state, to_state, at, reason, job_id)
         SELECT item_id, f, t, a::timestamptz, r, j FROM items,
           (VALUES ('online', 'offline', '2026-01-01T01:00:00Z', 'http_410', 'j1'),
                   ('offline', 'online', '2026-01-01T02:00:00Z', NULL, 'j2'),
                   ('online', 'offline', '2026-01-01T04:00:00Z', 'http_404', 'j3')) AS v(f, t, a, r, j)`,
      );
      expect(await runMigrations(db, silentLogger)).toContain(6);
      const rows = await db.query<{ job_id: string; last_online_at: Date | null; confirmed_at: Date | null }>(
        `SELECT job_id, last_online_at, confirmed_at FROM transitions WHERE to_state = 'offline' ORDER BY at`,
      );
      expect(
        rows.map((r) => [
          r.job_id,
          r.last_online_at?.toISOString() ?? null,
          r.confirmed_at?.toISOString() ?? null,
        ]),
      ).toEqual([
        ['j1', null, null],
        ['j3', '2026-01-01T03:00:00.000Z', '2026-01-01T05:00:00.000Z'],
      ]);
    } finally {
      await db.close();
    }
  });
});

describe('concurrent migrations on postgres', () => {
  it('two stores migrating one fresh database at once both succeed, each migration applied once', async () => {
    const database = await createTestDatabase('migrate_race');
    const a = await openStore({ databaseUrl: database.url });
    const b = await openStore({ databaseUrl: database.url });
    try {
      await Promise.all([a.migrate(), b.migrate(), a.migrate()]);
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ version: number }>(
          'SELECT version FROM schema_migrations ORDER BY version',
        );
        expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      } finally {
        await client.end();
      }
      await a.ping();
      await b.ping();
      expect(a.kind).toBe('postgres');
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});

// The deadlines migration's number: the next free one after every other branch's.
const DEADLINES_VERSION = 10;

describe(`migration ${DEADLINES_VERSION} (deadlines, attribution, reappearances) on a database with items`, () => {
  it('gives stored reports and items the 24 h deadline and counts past reappearances', async () => {
    const db = await openPgliteDatabase(undefined);
    try {
      await runMigrations(
        db,
        silentLogger,
        MIGRATIONS.filter((m) => m.version < DEADLINES_VERSION),
      );
      await db.exec(
        `INSERT INTO items (url, original_url, host, registrable_domain, mode, reported_at, notice_sent_at)
         VALUES ('http://a.test/1', 'http://a.test/1', 'a.test', 'a.test', 'http', '2026-01-01T00:00:00Z', '2026-01-01T06:00:00Z');
         INSERT INTO reports (source, report_id, item_id, original_url, reported_at, mode)
         VALUES ('api', 'r1', 1, 'http://a.test/1', '2026-01-01T00:00:00Z', 'http');
         INSERT INTO transitions (item_id, from_state, to_state, at, job_id)
         VALUES (1, 'online', 'offline', '2026-01-01T07:00:00Z', 'j1'), (1, 'offline', 'online', '2026-01-01T08:00:00Z', 'j2')`,
      );
      expect(MIGRATIONS.find((m) => m.version === DEADLINES_VERSION)?.name).toMatch(/^deadlines/);
      expect(await runMigrations(db, silentLogger)).toEqual([DEADLINES_VERSION]);
      const [item] = await db.query<{ deadline_at: Date; reappearances: number }>(
        'SELECT deadline_at, reappearances FROM items',
      );
      expect(item?.deadline_at.toISOString()).toBe('2026-01-02T06:00:00.000Z');
      expect(item?.reappearances).toBe(1);
      const [stored] = await db.query<{ deadline_at: Date }>('SELECT deadline_at FROM reports');
      expect(stored?.deadline_at.toISOString()).toBe('2026-01-02T00:00:00.000Z');
    } finally {
      await db.close();
    }
  });
});
