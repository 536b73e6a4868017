/**
 * The check log's daily partitions: `checks_pYYYYMMDD` holds the checks scheduled on that
 * UTC day. Partitions are created ahead by `maintainCheckLog` and on demand before a batch
 * is written (results may carry any scheduled time), and dropped whole after retention.
 * There is no DEFAULT partition on purpose: rows in it would block creating the day's
 * partition later.
 */
import type { Database } from './executor.js';

const DAY_MS = 24 * 3600_000;
/** Serialises partition DDL across processes (CREATE … IF NOT EXISTS alone races). */
const PARTITION_LOCK_KEY = 0x74646d02;
const PARTITION_NAME = /^checks_p(\d{4})(\d{2})(\d{2})$/;

/** Midnight UTC of the day containing `time`, in ms. */
export function dayStart(time: Date): number {
  return Math.floor(time.getTime() / DAY_MS) * DAY_MS;
}

export function partitionName(dayStartMs: number): string {
  return `checks_p${new Date(dayStartMs).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

function dayOfPartition(name: string): number | null {
  const match = PARTITION_NAME.exec(name);
  if (!match) return null;
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

/** Tracks which partitions exist, so the hot path skips the DDL round trip. */
export class CheckLogPartitions {
  readonly #db: Database;
  readonly #known = new Set<number>();

  constructor(db: Database) {
    this.#db = db;
  }

  /** Creates the partitions of the given UTC days that this process has not seen yet. */
  async ensure(days: Iterable<number>): Promise<void> {
    const missing = [...new Set(days)].filter((day) => !this.#known.has(day)).sort((a, b) => a - b);
    if (missing.length === 0) return;
    await this.#db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_KEY]);
      for (const day of missing) {
        const from = new Date(day).toISOString();
        const to = new Date(day + DAY_MS).toISOString();
        // Names and bounds come from integers, never from input, so interpolation is safe.
        await tx.exec(
          `CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF checks FOR VALUES FROM ('${from}') TO ('${to}')`,
        );
      }
    });
    for (const day of missing) this.#known.add(day);
  }

  /** Forgets what we know: after another process may have dropped partitions. */
  forget(): void {
    this.#known.clear();
  }

  /** Creates today..today+2 and drops partitions whose whole day is older than `now - retentionMs`. */
  async maintain(now: Date, retentionMs: number): Promise<{ dropped: string[] }> {
    const today = dayStart(now);
    await this.ensure([today, today + DAY_MS, today + 2 * DAY_MS]);
    if (!Number.isFinite(retentionMs) || retentionMs <= 0) return { dropped: [] };
    const cutoff = now.getTime() - retentionMs;
    const dropped = await this.#db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_KEY]);
      const rows = await tx.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'checks'::regclass ORDER BY c.relname`,
      );
      const names: string[] = [];
      for (const { name } of rows) {
        const day = dayOfPartition(name);
        if (day === null || day + DAY_MS > cutoff) continue;
        await tx.exec(`DROP TABLE IF EXISTS ${name}`);
        names.push(name);
      }
      return names;
    });
    for (const name of dropped) {
      const day = dayOfPartition(name);
      if (day !== null) this.#known.delete(day);
    }
    return { dropped };
  }
}

/**
 * SQLSTATE 23514 (check_violation) is what PostgreSQL raises when a row has no partition,
 * e.g. one dropped by another process. A genuine CHECK violation raises the same code, but
 * it fails again on the retry, so treating both alike is harmless.
 */
export function isMissingPartition(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23514';
}
