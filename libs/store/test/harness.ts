/**
 * Runs one suite on both backends: PGlite in memory and a fresh PostgreSQL database per
 * test file. Tests get the store plus the raw Database (same connection) to look at rows.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { BACKEND_NAMES, openBackendDatabase, type BackendName } from '@tdm/test-helpers';
import type { NormalizedReport, SchedulePolicy } from '@tdm/core';
import { fixedInterval } from '@tdm/core';
import type { Database } from '../src/executor.js';
import { silentLogger } from '../src/executor.js';
import { openPgDatabase } from '../src/pg-database.js';
import { openPgliteDatabase } from '../src/pglite-database.js';
import { SqlStore } from '../src/sql-store.js';
import type { ApplyOptions, SchedulingPolicy } from '../src/store.js';

export type BackendKind = BackendName;
export const BACKENDS = BACKEND_NAMES;

export interface Harness {
  store: SqlStore;
  db: Database;
  /** Empties every table (keeps the schema and the check-log partitions). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function openHarness(kind: BackendKind, prefix: string): Promise<Harness> {
  const database = await openBackendDatabase(kind, prefix);
  const db =
    database.databaseUrl === undefined
      ? await openPgliteDatabase(undefined)
      : openPgDatabase({ connectionString: database.databaseUrl, logger: silentLogger });
  const store = new SqlStore(db, silentLogger);
  await store.migrate();
  return {
    store,
    db,
    async reset() {
      await db.exec('TRUNCATE transitions, reports, checks, items RESTART IDENTITY CASCADE');
    },
    async close() {
      await store.close();
      await database.drop();
    },
  };
}

/**
 * The life cycle a suite shares: the harness opened once for the file on `kind`, every
 * table emptied before each test (unless `reset: false`), closed at the end. Read its
 * fields inside tests and hooks (they exist once the suite's beforeAll ran).
 */
export function useHarness(kind: BackendKind, prefix: string, options: { reset?: boolean } = {}): Harness {
  let harness: Harness | undefined;
  const open = (): Harness => {
    if (!harness) throw new Error('the store harness is not open (use it inside tests and hooks)');
    return harness;
  };
  beforeAll(async () => {
    harness = await openHarness(kind, prefix);
  });
  if (options.reset !== false)
    beforeEach(async () => {
      await open().reset();
    });
  afterAll(async () => {
    await harness?.close();
  });
  return {
    get store() {
      return open().store;
    },
    get db() {
      return open().db;
    },
    reset: () => open().reset(),
    close: () => open().close(),
  };
}

export const T0 = new Date('2026-01-05T00:00:00.000Z');

export function at(offsetMs: number, base: Date = T0): Date {
  return new Date(base.getTime() + offsetMs);
}

let counter = 0;
export function report(overrides: Partial<NormalizedReport> = {}): NormalizedReport {
  counter += 1;
  const url = overrides.url ?? `http://host${counter}.example/path/${counter}`;
  const host = new URL(url).hostname;
  return {
    reportId: `r-${counter}`,
    source: 'test',
    originalUrl: url,
    url,
    host,
    registrableDomain: host.split('.').slice(-2).join('.'),
    reportedAt: T0,
    noticeSentAt: null,
    expected: {},
    mode: 'http',
    labels: {},
    deadlineAt: new Date((overrides.noticeSentAt ?? overrides.reportedAt ?? T0).getTime() + 24 * 3600_000),
    ...overrides,
  };
}

export function scheduling(intervalMs: number, offlineRecheckIntervalMs = 6 * 3600_000): SchedulingPolicy {
  const regular: SchedulePolicy = fixedInterval(intervalMs);
  return { regular, offlineRecheckIntervalMs };
}

export const APPLY: ApplyOptions = {
  policy: { confirmDefinitive: 2, confirmTransient: 4, confirmTransientMinSpanMs: 30 * 60_000 },
  confirmRecheckDelayMs: 0,
  checkLog: true,
};

export async function count(db: Database, table: string): Promise<number> {
  const rows = await db.query<{ n: number | string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]?.n);
}

/** A check result of `itemId` for the slot `scheduledAt` (started 100 ms later). */
export { makeCheckResult as result } from '@tdm/test-helpers';
