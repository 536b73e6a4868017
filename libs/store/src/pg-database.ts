/** The PostgreSQL backend: a `pg` connection pool. */
import pg from 'pg';
import type { Database, Executor, StoreLogger } from './executor.js';

export interface PgDatabaseOptions {
  connectionString: string;
  /** @default 10 */
  maxConnections?: number;
  logger: StoreLogger;
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

export function openPgDatabase(options: PgDatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    application_name: 'tdm',
  });
  // An idle client that loses its connection emits 'error' on the pool; unhandled, it
  // would crash the process. The pool replaces the client on the next checkout.
  pool.on('error', (error) => options.logger.warn({ err: error }, 'idle PostgreSQL connection failed'));
  const base = executorFor(pool);
  return {
    kind: 'postgres',
    query: base.query,
    exec: base.exec,
    async transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
      const client = await pool.connect();
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
