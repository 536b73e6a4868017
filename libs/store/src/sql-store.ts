/** The Store on a Database: wires the statements of each concern to one backend. */
import { domainCapacity, type DomainCapacity, type DomainCapacityQuery } from './domain-capacity.js';
import {
  TdmError,
  type CheckJob,
  type CheckLogEntry,
  type CheckResult,
  type ItemState,
  type ItemView,
  type NormalizedReport,
  type OverdueRow,
  type RemovalRow,
  type RemovalStatsGroup,
} from '@tdm/core';
import { randomBytes } from 'node:crypto';
import * as access from './access.js';
import type { AuditEntry, AuditQuery, AuditRecord, NewToken, TokenRecord } from './access.js';
import { overdue, type OverdueQuery } from './overdue.js';
import { removalStats, survivalCurves, type RemovalStatsQuery, type SurvivalGroup } from './removal-stats.js';
import { STATS_SETTINGS, type StatsWindow } from './stats-sql.js';
import { applyResults } from './apply-results.js';
import { CheckLogPartitions, dayStart, isMissingPartition } from './check-log.js';
import { claimDueJobs } from './claim-due-jobs.js';
import type { Database, StoreLogger } from './executor.js';
import { insertReports } from './insert-reports.js';
import { correctNoticeTime, type NoticeCorrection } from './correct-notice-time.js';
import { runMigrations } from './migrations.js';
import * as queries from './queries.js';
import type {
  AppliedResult,
  ApplyOptions,
  ClaimOptions,
  InsertReportsResult,
  ItemCorrection,
  RemovalQuery,
  Store,
} from './store.js';

/** SQLSTATE of a deadlock or a serialization failure: the transaction may simply be run again. */
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 3;

/**
 * Runs a whole transaction again when PostgreSQL aborted it to break a deadlock (lock
 * orders are chosen so this should not happen; this is the guard). Only for transactions
 * without side effects outside the database.
 */
async function retryOnConflict<T>(run: () => Promise<T>, logger: StoreLogger): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const code =
        typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
      if (attempt >= MAX_ATTEMPTS || typeof code !== 'string' || !RETRYABLE.has(code)) throw error;
      logger.warn({ err: error, attempt }, 'transaction aborted by a lock conflict; retrying');
    }
  }
}

export class SqlStore implements Store {
  readonly #db: Database;
  readonly #logger: StoreLogger;
  readonly #partitions: CheckLogPartitions;
  #closed = false;

  constructor(db: Database, logger: StoreLogger) {
    this.#db = db;
    this.#logger = logger;
    this.#partitions = new CheckLogPartitions(db);
  }

  get kind(): 'postgres' | 'pglite' {
    return this.#db.kind;
  }

  async migrate(): Promise<void> {
    await runMigrations(this.#db, this.#logger);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#db.close();
  }

  async ping(): Promise<void> {
    await this.#db.query('SELECT 1');
  }

  async insertReports(reports: NormalizedReport[]): Promise<InsertReportsResult[]> {
    if (reports.length === 0) return [];
    const now = new Date();
    return await retryOnConflict(
      () => this.#db.transaction((tx) => insertReports(tx, reports, now)),
      this.#logger,
    );
  }

  async claimDueJobs(
    options: ClaimOptions,
    publish: (jobs: CheckJob[]) => Promise<void>,
  ): Promise<CheckJob[]> {
    return await claimDueJobs(this.#db, options, publish);
  }

  async applyResults(results: CheckResult[], options: ApplyOptions): Promise<AppliedResult[]> {
    if (results.length === 0) return [];
    const run = async (): Promise<AppliedResult[]> => {
      if (options.checkLog) {
        const days = results.map((r) => Date.parse(r.scheduledAt)).filter(Number.isFinite);
        await this.#partitions.ensure(days.map((t) => dayStart(new Date(t))));
      }
      return await retryOnConflict(
        () => this.#db.transaction((tx) => applyResults(tx, results, options)),
        this.#logger,
      );
    };
    try {
      return await run();
    } catch (error) {
      if (!options.checkLog || !isMissingPartition(error)) throw error;
      // A partition we believed in was dropped by another process: learn again, once.
      this.#logger.warn({ err: error }, 'check log partition missing; recreating');
      this.#partitions.forget();
      return await run();
    }
  }

  async correctNoticeTime(itemId: number, correction: NoticeCorrection): Promise<boolean> {
    if (!Number.isSafeInteger(itemId) || itemId <= 0) return false;
    return await this.#db.transaction((tx) => correctNoticeTime(tx, itemId, correction));
  }

  async listCorrections(itemId: number): Promise<ItemCorrection[]> {
    const rows = await this.#db.query<{
      field: 'noticeSentAt';
      old_value: Date | null;
      new_value: Date | null;
      reason: string;
      corrected_by: string | null;
      corrected_at: Date;
    }>(
      `SELECT field, old_value, new_value, reason, corrected_by, corrected_at
         FROM item_corrections WHERE item_id = $1 ORDER BY correction_id`,
      [itemId],
    );
    return rows.map((row) => ({
      field: row.field,
      oldValue: row.old_value?.toISOString() ?? null,
      newValue: row.new_value?.toISOString() ?? null,
      reason: row.reason,
      correctedBy: row.corrected_by,
      correctedAt: row.corrected_at.toISOString(),
    }));
  }

  async getItem(itemId: number, options?: { now?: Date }): Promise<ItemView | null> {
    return await queries.getItem(this.#db, itemId, options?.now ?? new Date());
  }

  async listChecks(itemId: number, options?: { limit?: number }): Promise<CheckLogEntry[]> {
    return await queries.listChecks(this.#db, itemId, options?.limit);
  }

  removals(query: RemovalQuery): AsyncIterable<RemovalRow> {
    return queries.removals(this.#db, query);
  }

  async countItemsByState(): Promise<Record<ItemState, number>> {
    return await queries.countItemsByState(this.#db);
  }

  async domainCapacity(query: DomainCapacityQuery): Promise<DomainCapacity[]> {
    return await domainCapacity(this.#db, query);
  }

  overdue(query: OverdueQuery): AsyncIterable<OverdueRow> {
    return overdue(this.#db, query);
  }

  async removalStats(query: RemovalStatsQuery): Promise<RemovalStatsGroup[]> {
    return await this.#db.transaction(async (tx) => {
      for (const setting of STATS_SETTINGS) await tx.query(setting);
      return await removalStats(tx, query);
    });
  }

  async reportSources(): Promise<string[]> {
    const rows = await this.#db.query<{ source: string }>(
      'SELECT source FROM reports GROUP BY source ORDER BY source LIMIT 100',
    );
    return rows.map((row) => row.source);
  }

  async survivalCurves(query: StatsWindow): Promise<SurvivalGroup[]> {
    return await this.#db.transaction(async (tx) => {
      for (const setting of STATS_SETTINGS) await tx.query(setting);
      return await survivalCurves(tx, query);
    });
  }

  async pruneDomainPacing(before: Date): Promise<number> {
    const rows = await this.#db.query<{ n: number | string }>(
      `WITH gone AS (DELETE FROM domain_pacing WHERE next_at < $1::timestamptz RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [before.toISOString()],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async serviceKey(name: string, bytes: number): Promise<Uint8Array> {
    // Insert-if-missing, then read: two processes starting at once agree on the first row.
    await this.#db.query(
      'INSERT INTO service_keys (name, secret_hex) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING',
      [name, randomBytes(bytes).toString('hex')],
    );
    const rows = await this.#db.query<{ secret_hex: string }>(
      'SELECT secret_hex FROM service_keys WHERE name = $1',
      [name],
    );
    const hex = rows[0]?.secret_hex;
    if (hex === undefined)
      throw new TdmError('TDM_ERR_STORE_INTERNAL', `service key ${name} missing after insert`);
    return Uint8Array.from(Buffer.from(hex, 'hex'));
  }

  async maintainCheckLog(now: Date, retentionMs: number): Promise<{ dropped: string[] }> {
    const result = await this.#partitions.maintain(now, retentionMs);
    if (result.dropped.length > 0)
      this.#logger.info({ dropped: result.dropped }, 'check log partitions dropped');
    return result;
  }

  async createToken(token: NewToken): Promise<TokenRecord> {
    return await access.createToken(this.#db, token);
  }

  async createFirstToken(token: NewToken): Promise<boolean> {
    return await access.createFirstToken(this.#db, token);
  }

  async findTokenByHash(hash: Buffer): Promise<TokenRecord | null> {
    return await access.findTokenByHash(this.#db, hash);
  }

  async listTokens(): Promise<TokenRecord[]> {
    return await access.listTokens(this.#db);
  }

  async countTokens(): Promise<number> {
    return await access.countTokens(this.#db);
  }

  async revokeToken(id: string, at: Date): Promise<boolean> {
    return await access.revokeToken(this.#db, id, at);
  }

  async touchToken(id: string, at: Date, minIntervalMs: number): Promise<void> {
    await access.touchToken(this.#db, id, at, minIntervalMs);
  }

  async appendAudit(entries: AuditEntry[]): Promise<void> {
    await access.appendAudit(this.#db, entries);
  }

  async listAudit(query: AuditQuery): Promise<AuditRecord[]> {
    return await access.listAudit(this.#db, query);
  }

  async pruneAudit(before: Date): Promise<number> {
    return await access.pruneAudit(this.#db, before);
  }
}
