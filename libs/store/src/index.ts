/**
 * @tdm/store — the database: schema migrations and queries, one SQL for PostgreSQL and
 * the embedded PGlite.
 */
export type {
  AppliedResult,
  ApplyOptions,
  ClaimOptions,
  InsertReportsResult,
  ItemCorrection,
  NoticeCorrection,
  RemovalQuery,
  SchedulingPolicy,
  Store,
} from './store.js';
export type { StoreLogger } from './executor.js';
export { openStore, type OpenStoreOptions } from './open-store.js';
export { StoreLockedError } from './folder-lock.js';
export { MIGRATIONS, type Migration } from './migrations.js';
export { DEFAULT_CHECKS_LIMIT, MAX_CHECKS_LIMIT } from './queries.js';
export { pgConnection, type PgConnection, type PgTlsSettings, type SslMode } from './pg-tls.js';
export type { DomainCapacity, DomainCapacityQuery } from './domain-capacity.js';
export type { AuditEntry, AuditQuery, AuditRecord, NewToken, TokenRecord } from './access.js';
export type { OverdueQuery } from './overdue.js';
export type { RemovalStatsQuery, SurvivalGroup } from './removal-stats.js';
export type { StatsWindow } from './stats-sql.js';
