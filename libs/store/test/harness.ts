/**
 * Runs one suite on both backends: PGlite in memory and a fresh PostgreSQL database per
 * test file. Tests get the store plus the raw Database (same connection) to look at rows.
 */
import { createTestDatabase, type TestDatabase } from '@tdm/test-helpers';
import type { CheckResult, NormalizedReport, SchedulePolicy } from '@tdm/core';
import { fixedInterval, jobIdFor } from '@tdm/core';
import type { Database } from '../src/executor.js';
import { silentLogger } from '../src/executor.js';
import { openPgDatabase } from '../src/pg-database.js';
import { openPgliteDatabase } from '../src/pglite-database.js';
import { SqlStore } from '../src/sql-store.js';
import type { ApplyOptions, SchedulingPolicy } from '../src/store.js';

export type BackendKind = 'pglite' | 'postgres';
export const BACKENDS: BackendKind[] = ['pglite', 'postgres'];

export interface Harness {
  store: SqlStore;
  db: Database;
  /** Empties every table (keeps the schema and the check-log partitions). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function openHarness(kind: BackendKind, prefix: string): Promise<Harness> {
  let database: TestDatabase | undefined;
  let db: Database;
  if (kind === 'postgres') {
    database = await createTestDatabase(prefix);
    db = openPgDatabase({ connectionString: database.url, logger: silentLogger });
  } else {
    db = await openPgliteDatabase(undefined);
  }
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
      await database?.drop();
    },
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

/** A check result of `itemId` for the slot `scheduledAt`, started 100 ms later. */
export function result(
  itemId: number,
  scheduledAt: Date,
  outcome: CheckResult['outcome'],
  overrides: Partial<CheckResult> = {},
): CheckResult {
  const offline = outcome === 'offline';
  return {
    jobId: jobIdFor(itemId, scheduledAt),
    itemId,
    scheduledAt: scheduledAt.toISOString(),
    startedAt: new Date(scheduledAt.getTime() + 100).toISOString(),
    durationMs: 42,
    workerId: 'w1',
    outcome,
    reason: offline ? 'http_404' : outcome === 'error' ? 'internal' : null,
    httpStatus: offline ? 404 : outcome === 'online' ? 200 : null,
    ip: '127.0.0.1',
    finalUrl: `http://item${itemId}.example/`,
    redirects: [],
    contentType: 'text/html',
    bytes: offline ? 0 : 1234,
    sha256: offline ? null : 'ab'.repeat(32),
    sha1: null,
    md5: null,
    error: null,
    ...overrides,
  };
}
