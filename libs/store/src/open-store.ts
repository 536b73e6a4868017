/** openStore: PostgreSQL when a database URL is given, otherwise the embedded PGlite. */
import path from 'node:path';
import { silentLogger, type StoreLogger } from './executor.js';
import { openPgDatabase } from './pg-database.js';
import type { PgTlsSettings } from './pg-tls.js';
import { SqlStore } from './sql-store.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** PostgreSQL URL; when set, the store uses a `pg` pool. */
  databaseUrl?: string;
  /** Without databaseUrl: PGlite persisted in `<dataDir>/pglite`; in memory when undefined too. */
  dataDir?: string;
  logger?: StoreLogger;
  /** Pool size for PostgreSQL. @default 10 */
  maxConnections?: number;
  /** TLS to PostgreSQL when the URL has no sslmode/sslrootcert (TDM_DATABASE_SSLMODE, …_SSLROOTCERT). */
  tls?: PgTlsSettings;
}

/**
 * Opens the store. It does not migrate: call `store.migrate()` (idempotent) before use.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const logger = options.logger ?? silentLogger;
  if (options.databaseUrl) {
    const db = openPgDatabase({
      connectionString: options.databaseUrl,
      maxConnections: options.maxConnections,
      logger,
      ...(options.tls ? { tls: options.tls } : {}),
    });
    return new SqlStore(db, logger);
  }
  const directory = options.dataDir === undefined ? undefined : path.join(options.dataDir, 'pglite');
  // Loaded only here: a service on PostgreSQL never pays for PGlite's WebAssembly module.
  const { openPgliteDatabase } = await import('./pglite-database.js');
  return new SqlStore(await openPgliteDatabase(directory), logger);
}
