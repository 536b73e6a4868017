/**
 * The two database backends every store query must pass on: the embedded PGlite (in
 * memory) and PostgreSQL (a fresh database per test file at TEST_DATABASE_URL).
 */
import { createTestDatabase } from './postgres.js';

export type BackendName = 'pglite' | 'postgres';

export const BACKEND_NAMES: readonly BackendName[] = ['pglite', 'postgres'];

export interface BackendDatabase {
  /** The PostgreSQL URL of a fresh database; undefined for PGlite (open it in memory). */
  readonly databaseUrl: string | undefined;
  /** Drops the PostgreSQL database (nothing to do for PGlite); call after closing the store. */
  drop(): Promise<void>;
}

/** Where a store on `backend` lives for one test file; `prefix` names the PostgreSQL database. */
export async function openBackendDatabase(backend: BackendName, prefix: string): Promise<BackendDatabase> {
  if (backend === 'pglite') return { databaseUrl: undefined, drop: async () => undefined };
  const database = await createTestDatabase(prefix);
  return { databaseUrl: database.url, drop: () => database.drop() };
}
