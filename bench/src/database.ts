/**
 * The bench's own PostgreSQL database (created per run, dropped after), its schema, and
 * the figures read from the server: statement time, table bytes, WAL position, backends.
 */
import pg from 'pg';
import { openStore } from '@tdm/store';

export interface BenchDatabase {
  url: string;
  name: string;
  /** A connection of the bench itself (excluded from the backend figures). */
  client: pg.Client;
  /** Empties every table of the schema (between phases). */
  truncate(): Promise<void>;
  /** The server's figures now. */
  stats(): Promise<DbStats>;
  /** Process ids of the backends serving the services (not the bench's own). */
  backendPids(): Promise<number[]>;
  drop(): Promise<void>;
}

export interface DbStats {
  /** pg_stat_database.active_time: ms spent executing statements in this database. */
  activeMs: number;
  /** Bytes of every table, index and TOAST of the schema. */
  bytes: number;
  /** WAL position as a byte count (cluster-wide). */
  walBytes: number;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `tdm_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const store = await openStore({ databaseUrl: url });
  try {
    await store.migrate();
    // Today's check-log partitions, as the results service's maintenance would make them.
    await store.maintainCheckLog(new Date(), 30 * 24 * 3600_000);
  } finally {
    await store.close();
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let dropped = false;
  return {
    url,
    name,
    client,
    async truncate() {
      await client.query('TRUNCATE items, reports, transitions, checks RESTART IDENTITY CASCADE');
    },
    async stats() {
      const result = await client.query<{ active: number | null; bytes: string | null; wal: string }>(
        `SELECT (SELECT active_time FROM pg_stat_database WHERE datname = current_database()) AS active,
                (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = 'public' AND c.relkind = 'r') AS bytes,
                pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS wal`,
      );
      const row = result.rows[0]!;
      return { activeMs: Number(row.active ?? 0), bytes: Number(row.bytes ?? 0), walBytes: Number(row.wal) };
    },
    async backendPids() {
      const result = await client.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      return result.rows.map((row) => row.pid);
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      await client.end().catch(() => undefined);
      const admin2 = new pg.Client({ connectionString: adminUrl });
      await admin2.connect();
      try {
        await admin2.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin2.end();
      }
    },
  };
}
