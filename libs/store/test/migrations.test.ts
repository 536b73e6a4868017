import { createTestDatabase } from '@tdm/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/index.js';
import { silentLogger } from '../src/executor.js';
import { runMigrations, MIGRATIONS } from '../src/migrations.js';
import { BACKENDS, count, openHarness, type Harness } from './harness.js';

describe.each(BACKENDS)('migrations on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(kind, 'migrations');
  });
  afterAll(async () => {
    await h?.close();
  });

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
