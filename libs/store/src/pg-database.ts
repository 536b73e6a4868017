/** The PostgreSQL backend: a `pg` connection pool. */
import pg from 'pg';
import { TdmError } from '@tdm/core';
import type { Database, Executor, StoreLogger } from './executor.js';
import { isTlsFailure, pgConnection, type PgTlsSettings } from './pg-tls.js';

export interface PgDatabaseOptions {
  connectionString: string;
  /** TLS when the URL does not say (see pg-tls.ts: verify-full off loopback). */
  tls?: PgTlsSettings;
  /** @default 10 */
  maxConnections?: number;
  logger: StoreLogger;
}

/** A TLS failure as an error that names PostgreSQL, its host and the settings to check. */
function tlsError(error: unknown, host: string, mode: string): unknown {
  if (!isTlsFailure(error)) return error;
  return new TdmError(
    'TDM_ERR_DATABASE_TLS',
    `PostgreSQL at ${host}: TLS failed (sslmode ${mode}): ${(error as Error).message} (check sslrootcert in DATABASE_URL or TDM_DATABASE_SSLROOTCERT)`,
    { cause: error },
  );
}

function executorFor(client: pg.Pool | pg.PoolClient): Executor {
  return {
    async query<R>(text: string, params?: unknown[]): Promise<R[]> {
      const result = await client.query(text, params);
      return result.rows as R[];
    },
    async exec(text: string): Promise<void> {
      // Without parameters pg uses the simple protocol, which accepts several statements.
      await client.query(text);
    },
  };
}

/** The executor, with connection-level TLS failures turned into TDM_ERR_DATABASE_TLS. */
function namingTls(executor: Executor, host: string, mode: string): Executor {
  return {
    async query<R>(text: string, params?: unknown[]): Promise<R[]> {
      try {
        return await executor.query<R>(text, params);
      } catch (error) {
        throw tlsError(error, host, mode);
      }
    },
    async exec(text: string): Promise<void> {
      try {
        await executor.exec(text);
      } catch (error) {
        throw tlsError(error, host, mode);
      }
    },
  };
}

export function openPgDatabase(options: PgDatabaseOptions): Database {
  const connection = pgConnection(options.connectionString, options.tls);
  const pool = new pg.Pool({
    connectionString: connection.connectionString,
    ssl: connection.ssl,
    max: options.maxConnections ?? 10,
    application_name: 'tdm',
  });
  // An idle client that loses its connection emits 'error' on the pool; unhandled, it
  // would crash the process. The pool replaces the client on the next checkout.
  pool.on('error', (error) => options.logger.warn({ err: error }, 'idle PostgreSQL connection failed'));
  const base = namingTls(executorFor(pool), connection.host, connection.mode);
  return {
    kind: 'postgres',
    query: base.query,
    exec: base.exec,
    async transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
      const client = await pool
        .connect()
        .catch((error: unknown) => Promise.reject(tlsError(error, connection.host, connection.mode)));
      let broken: Error | undefined;
      // A checked-out client is not watched by the pool: a connection lost between two
      // queries of the transaction (the scheduler awaits its NATS publish inside one) emits
      // 'error' on the client, which unhandled would crash the process (seen on a
      // `pg_ctl restart -m immediate`). The next query then fails and the transaction rolls back.
      const onError = (error: Error): void => {
        broken = error;
        options.logger.warn({ err: error }, 'PostgreSQL connection failed during a transaction');
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn(executorFor(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // The connection is unusable: destroy it instead of returning it to the pool.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        throw error;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
    async close(): Promise<void> {
      await pool.end();
    },
  };
}
