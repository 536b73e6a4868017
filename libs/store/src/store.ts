/**
 * The store: everything the services keep, behind one interface, with one SQL for
 * PostgreSQL (`pg`) and the embedded PostgreSQL (PGlite).
 */
import type { DomainCapacity, DomainCapacityQuery } from './domain-capacity.js';
import type {
  CheckJob,
  CheckLogEntry,
  CheckResult,
  ConfirmationPolicy,
  ItemState,
  ItemView,
  NormalizedReport,
  OverdueRow,
  RemovalRow,
  RemovalStatsGroup,
  SchedulePolicy,
  Transition,
} from '@tdm/core';
import type { AuditEntry, AuditQuery, AuditRecord, NewToken, TokenRecord } from './access.js';
import type { NoticeCorrection } from './correct-notice-time.js';
import type { OverdueQuery } from './overdue.js';
import type { RemovalStatsQuery, SurvivalGroup } from './removal-stats.js';
import type { StatsWindow } from './stats-sql.js';

export type { NoticeCorrection } from './correct-notice-time.js';

export interface InsertReportsResult {
  reportId: string;
  itemId: number;
  /** True when this call created the report (false: a repeat of `(source, reportId)`). */
  created: boolean;
  /**
   * True when this call created the item (a first report of its URL); within one batch
   * only on the first report of that URL. Item ids of one batch follow URL order, not
   * input order (the upsert locks in URL order to rule out deadlocks).
   */
  itemCreated: boolean;
  /**
   * True when `(source, reportId)` was stored earlier (or came earlier in the batch) for
   * another URL: nothing was changed, `itemId` is the stored report's item, and the
   * caller answers this report as a conflict (TDM_ERR_REPORT_CONFLICT).
   */
  conflict: boolean;
}

/** How the scheduler computes slots (from config). */
export interface SchedulingPolicy {
  /** Grid while the item is pending or online (a fixed interval is a one-phase policy). */
  regular: SchedulePolicy;
  /** Grid once removal is confirmed, to catch reappearance. */
  offlineRecheckIntervalMs: number;
  /**
   * Checks started per second per registrable domain for the whole cluster
   * (`TDM_DOMAIN_RATE`). When set, the claim paces each domain in the database: its jobs
   * get `notBefore` start times 1/rate apart. Absent: no pacing (every due item is claimed).
   */
  domainRate?: number;
  /**
   * Registrable domain → checks per second, for the domains whose rate an operator agreed
   * with their host (`TDM_DOMAIN_RATES`); others pace at domainRate.
   */
  domainRates?: Readonly<Record<string, number>>;
  /**
   * How far ahead of `now` a paced job's `notBefore` may lie; items of a domain whose next
   * free start lies further ahead stay due for a later claim.
   * @default 1000
   */
  pacingHorizonMs?: number;
}

export interface ClaimOptions {
  now: Date;
  limit: number;
  policy: SchedulingPolicy;
}

/** What applying a batch of results did, per result (same order as the input). */
export interface AppliedResult {
  jobId: string;
  /** False when the result was a duplicate or older than the newest applied for its item. */
  applied: boolean;
  transitions: Transition[];
  state: ItemState | null;
}

export interface ApplyOptions {
  policy: ConfirmationPolicy;
  /** After an unconfirmed offline check, re-check this soon (0 = off). */
  confirmRecheckDelayMs: number;
  /** Keep each check in the raw check log. */
  checkLog: boolean;
  /**
   * Names the hosting company of an address (the operator's table, see HosterDirectory in
   * @tdm/probe); null when the table names nobody for it. Given, every result that reached
   * an address sets the item's hoster (to null too: a stale name would skew rankings);
   * a result without an address, or no function, leaves it as it is.
   */
  hosterOf?: (ip: string) => string | null;
}

/** One kept correction of an item (see correctNoticeTime). */
export interface ItemCorrection {
  field: 'noticeSentAt';
  oldValue: string | null;
  newValue: string | null;
  reason: string;
  correctedBy: string | null;
  correctedAt: string;
}

export interface RemovalQuery {
  since?: Date;
  until?: Date;
}

export interface Store {
  /** Which backend: for logs and /readyz. */
  readonly kind: 'postgres' | 'pglite';
  /** Creates or upgrades the schema; safe to run again and from several processes. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** A cheap round trip, for /readyz. */
  ping(): Promise<void>;

  /**
   * Upserts items by normalised URL and inserts reports, idempotent on (source, reportId),
   * in one transaction. A new item is due at once (next check = now). Merging into an
   * existing item keeps the earliest reportedAt and noticeSentAt, the first non-null
   * expected hashes, and `browser` over `http`; once the item's removal is confirmed its
   * reportedAt and noticeSentAt no longer move. A repeated (source, reportId) returns the
   * stored itemId with created=false and changes nothing; one naming another URL also
   * answers conflict=true. Answers in input order.
   */
  insertReports(reports: NormalizedReport[]): Promise<InsertReportsResult[]>;

  /**
   * Claims up to `limit` items whose next check is due (`FOR UPDATE SKIP LOCKED`, so two
   * schedulers never claim the same slot), builds their jobs, moves each item's next
   * check to its next grid slot, and calls `publish(jobs)` inside the same transaction:
   * the claim commits only after publish resolves, so a crash between them loses nothing
   * (JetStream's duplicate window drops the republished job). Returns the jobs published.
   * With `policy.domainRate`, the claim also paces each registrable domain cluster-wide:
   * at most the jobs that fit in the pacing horizon per domain, each with a `notBefore`
   * 1/rate after the previous one of its domain (across all schedulers, via the
   * `domain_pacing` row locked in the same transaction).
   */
  claimDueJobs(options: ClaimOptions, publish: (jobs: CheckJob[]) => Promise<void>): Promise<CheckJob[]>;
  /**
   * Forgets the pacing rows of domains whose next free start is before `before`: such a
   * row books nothing (a claim starts the domain at max(now, next_at) = now), so dropping
   * it changes no start time; it only keeps `domain_pacing` from growing with every
   * domain ever seen. Returns the rows deleted.
   */
  pruneDomainPacing(before: Date): Promise<number>;
  /**
   * The registrable domains whose items cannot be checked on the grid at their rate (or
   * all, with overCapacityOnly false), worst first: a full count of items per domain, so
   * call it every few minutes, not per claim.
   */
  domainCapacity(query: DomainCapacityQuery): Promise<DomainCapacity[]>;

  /**
   * Applies results in one transaction: state machine, transitions, check log. Idempotent.
   * Results are applied per item in scheduledAt order; one not newer than the item's last
   * applied check answers applied=false and changes nothing (a result for an unknown item
   * answers state=null). With `checkLog`, every check of a known item is logged, also a
   * late one (it did happen); a redelivered one is not logged twice.
   */
  applyResults(results: CheckResult[], options: ApplyOptions): Promise<AppliedResult[]>;

  /**
   * An admin's correction of an item's notice time (reports cannot move it once the
   * removal is confirmed): the old value is kept in `item_corrections` with the reason and
   * who made it. False when there is no such item.
   */
  correctNoticeTime(itemId: number, correction: NoticeCorrection): Promise<boolean>;
  /** The corrections of an item, oldest first. */
  listCorrections(itemId: number): Promise<ItemCorrection[]>;

  /** One item; its deadline state and overrun are as of `now` (default: the current time). */
  getItem(itemId: number, options?: { now?: Date }): Promise<ItemView | null>;
  listChecks(itemId: number, options?: { limit?: number }): Promise<CheckLogEntry[]>;
  /** Items whose confirmed removal (offlineAt) falls in [since, until), oldest first, streamed in pages. */
  removals(query: RemovalQuery): AsyncIterable<RemovalRow>;
  countItemsByState(): Promise<Record<ItemState, number>>;
  /** Items online past their deadline as of `now`, oldest deadline first, streamed in pages. */
  overdue(query: OverdueQuery): AsyncIterable<OverdueRow>;
  /** Removal statistics per group, computed in the database (Kaplan–Meier, see stats-sql.ts). */
  removalStats(query: RemovalStatsQuery): Promise<RemovalStatsGroup[]>;
  /** The distinct report sources (at most 100), for naming the data sources of a report. */
  reportSources(): Promise<string[]>;
  /** The Kaplan–Meier curve (by offlineAt) of each group. */
  survivalCurves(query: StatsWindow): Promise<SurvivalGroup[]>;
  /**
   * Creates the check log's daily partitions for today..today+2 (UTC) and drops those whose
   * whole day is older than `now - retentionMs` (retention ≤ 0 or infinite: drop nothing).
   * Run it periodically (e.g. hourly) from one service; it is safe from several.
   */
  maintainCheckLog(now: Date, retentionMs: number): Promise<{ dropped: string[] }>;

  /**
   * The secret named `name` (`bytes` random bytes), created on first use: every process
   * that asks gets the same one (the first insert wins). Used for the job ticket key.
   */
  serviceKey(name: string, bytes: number): Promise<Uint8Array>;

  /** Stores a new API token (its hash only). */
  createToken(token: NewToken): Promise<TokenRecord>;
  /**
   * Stores `token` only if the store holds no token at all (the first admin, made at
   * start-up); false when there already is one. Safe when several services start at once.
   */
  createFirstToken(token: NewToken): Promise<boolean>;
  /** The token with this SHA-256 hash, revoked or expired ones included; null when none. */
  findTokenByHash(hash: Buffer): Promise<TokenRecord | null>;
  /** Every token (no secrets), oldest first. */
  listTokens(): Promise<TokenRecord[]>;
  /** Tokens ever created, revoked ones included. */
  countTokens(): Promise<number>;
  /** Revokes at once; false when there is no such token or it was revoked already. */
  revokeToken(id: string, at: Date): Promise<boolean>;
  /** Records a use, unless the last recorded one is less than `minIntervalMs` before `at`. */
  touchToken(id: string, at: Date, minIntervalMs: number): Promise<void>;

  /** Appends audit rows. The audit log has no update path; rows leave it only by pruneAudit. */
  appendAudit(entries: AuditEntry[]): Promise<void>;
  /** Audit rows at or after `since`, oldest first, at most `limit`. */
  listAudit(query: AuditQuery): Promise<AuditRecord[]>;
  /** Deletes audit rows older than `before` (the retention); returns how many. */
  pruneAudit(before: Date): Promise<number>;
}
