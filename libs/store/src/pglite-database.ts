/**
 * The embedded backend: PGlite (PostgreSQL compiled to WASM) in this process, persisted
 * in a folder or kept in memory. It has a single connection: PGlite serialises queries
 * and transactions itself, so a transaction holds everything else back until it ends.
 */
import { mkdir } from 'node:fs/promises';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { ConfigError, SETTINGS } from '@tdm/core';
import type { Database, Executor } from './executor.js';
import { lockFolder } from './folder-lock.js';

function executorFor(db: PGlite | Transaction): Executor {
  return {
    async query<R>(text: string, params?: unknown[]): Promise<R[]> {
      const result = await db.query<R>(text, params);
      return result.rows;
    },
    async exec(text: string): Promise<void> {
      await db.exec(text);
    },
  };
}

/**
 * Opens PGlite in `directory` (created when missing), or in memory when undefined. A
 * folder is held by one process at a time (folder-lock.ts): a second opener gets
 * StoreLockedError naming the owner.
 */
export async function openPgliteDatabase(directory: string | undefined): Promise<Database> {
  if (directory !== undefined) {
    try {
      await mkdir(directory, { recursive: true });
    } catch (error) {
      // The folder is under the data directory (openStore's dataDir): a setting to fix.
      throw new ConfigError(
        `${SETTINGS.dataDir.env}: cannot create ${directory}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  const lock = directory === undefined ? null : lockFolder(directory);
  let db: PGlite;
  try {
    db = directory === undefined ? await PGlite.create() : await PGlite.create({ dataDir: directory });
  } catch (error) {
    lock?.release();
    throw error;
  }
  const base = executorFor(db);
  return {
    kind: 'pglite',
    query: base.query,
    exec: base.exec,
    async transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
      return await db.transaction((tx) => fn(executorFor(tx)));
    },
    async close(): Promise<void> {
      try {
        if (!db.closed) await db.close();
      } finally {
        lock?.release();
      }
    },
  };
}
