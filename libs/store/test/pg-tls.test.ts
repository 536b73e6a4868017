/**
 * TLS to PostgreSQL: the sslmode rules on their own, then a throw-away cluster started by
 * the test with `ssl = on` and a certificate of a CA made in the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TdmError } from '@tdm/core';
import { createTestCa, startPostgresCluster, type PostgresCluster, type TestCa } from '@tdm/test-helpers';
import { openStore, pgConnection, type Store } from '../src/index.js';

describe('pgConnection', () => {
  it('defaults to verify-full off loopback and to disable on loopback and Unix sockets', () => {
    expect(pgConnection('postgres://u@db.example.net/tdm').mode).toBe('verify-full');
    expect(pgConnection('postgres://u@10.1.2.3:5432/tdm').ssl).toMatchObject({ rejectUnauthorized: true });
    expect(pgConnection('postgres://u@127.0.0.1/tdm').mode).toBe('disable');
    expect(pgConnection('postgres://u@[::1]/tdm').mode).toBe('disable');
    expect(pgConnection('postgres://u@localhost/tdm').ssl).toBe(false);
    expect(pgConnection('postgres:///tdm?host=/var/run/postgresql').mode).toBe('disable');
  });

  it('lets the URL win over the settings and takes the ssl parameters out of it', () => {
    const c = pgConnection('postgres://u:p@db.example.net/tdm?sslmode=require&application_name=x', {
      mode: 'verify-full',
    });
    expect(c.mode).toBe('require');
    expect(c.ssl).toMatchObject({ rejectUnauthorized: false });
    expect(c.connectionString).toBe('postgres://u:p@db.example.net/tdm?application_name=x');
    expect(pgConnection('postgres://u@db.example.net/tdm', { mode: 'disable' }).ssl).toBe(false);
  });

  it('refuses sslmodes that fall back to plain text, and unreadable certificate files', () => {
    expect(() => pgConnection('postgres://u@db.example.net/tdm?sslmode=prefer')).toThrow(/prefer and allow/);
    expect(() => pgConnection('postgres://u@db.example.net/tdm?sslrootcert=/nonexistent/ca.crt')).toThrow(
      /PostgreSQL sslrootcert \/nonexistent\/ca\.crt: cannot read it \(ENOENT\)/,
    );
  });
});

describe('a PostgreSQL server with ssl = on', () => {
  let ca: TestCa;
  let cluster: PostgresCluster;
  const stores: Store[] = [];

  beforeAll(async () => {
    ca = await createTestCa();
    cluster = await startPostgresCluster({ tls: await ca.issueServer('postgres') });
  }, 90_000);
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await cluster?.stop();
    await ca?.remove();
  });

  async function open(url: string, tls?: { mode?: string; rootCertFile?: string }): Promise<Store> {
    const store = await openStore({ databaseUrl: url, maxConnections: 1, ...(tls ? { tls } : {}) });
    stores.push(store);
    return store;
  }

  it('connects with verify-full and the pinned CA, over TLS', async () => {
    const store = await open(
      `${cluster.url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca.caFile)}`,
    );
    await store.migrate();
    await store.ping();
    expect((await store.countItemsByState()).pending).toBe(0);
  });

  it('takes sslmode and the CA from the settings when the URL has none', async () => {
    const store = await open(cluster.url, { mode: 'verify-full', rootCertFile: ca.caFile });
    await store.ping();
  });

  it('fails with a clear error naming PostgreSQL when the CA did not sign the server certificate', async () => {
    const other = await createTestCa('another CA');
    try {
      const store = await open(
        `${cluster.url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(other.caFile)}`,
      );
      const error = await store.ping().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TdmError);
      expect((error as TdmError).code).toBe('TDM_ERR_DATABASE_TLS');
      expect((error as TdmError).message).toMatch(
        /^PostgreSQL at 127\.0\.0\.1: TLS failed \(sslmode verify-full\)/,
      );
    } finally {
      await other.remove();
    }
    // Without any CA given, Node's store does not know the test CA either.
    const unpinned = await open(`${cluster.url}?sslmode=verify-full`);
    expect(((await unpinned.ping().catch((e: unknown) => e)) as TdmError).code).toBe('TDM_ERR_DATABASE_TLS');
  });
});
