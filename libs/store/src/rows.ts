/**
 * Row shapes and their mapping to the domain types. Both drivers return timestamptz as
 * Date; bigint comes back as a string from `pg` and a number from PGlite, so every
 * integer goes through Number().
 */
import type {
  CheckLogEntry,
  ItemState,
  ItemStatus,
  ItemView,
  Mode,
  OfflineReason,
  Outcome,
  Reason,
  RedirectHop,
  RemovalRow,
} from '@tdm/core';
import { timeToRemovalSeconds } from '@tdm/core';

type Id = number | string;

/** The item columns the state machine reads and writes. */
export interface StatusRow {
  state: ItemState;
  checks: number;
  first_checked_at: Date | null;
  last_checked_at: Date | null;
  last_scheduled_at: Date | null;
  last_online_at: Date | null;
  offline_at: Date | null;
  offline_reason: string | null;
  confirmed_at: Date | null;
  run_started_at: Date | null;
  run_length: number;
  run_all_definitive: boolean;
  run_reason: string | null;
}

export const STATUS_COLUMNS =
  'state, checks, first_checked_at, last_checked_at, last_scheduled_at, last_online_at, offline_at, ' +
  'offline_reason, confirmed_at, run_started_at, run_length, run_all_definitive, run_reason';

export function statusFromRow(row: StatusRow): ItemStatus {
  return {
    state: row.state,
    checks: Number(row.checks),
    firstCheckedAt: row.first_checked_at,
    lastCheckedAt: row.last_checked_at,
    lastScheduledAt: row.last_scheduled_at,
    lastOnlineAt: row.last_online_at,
    offlineAt: row.offline_at,
    offlineReason: row.offline_reason as OfflineReason | null,
    confirmedAt: row.confirmed_at,
    runStartedAt: row.run_started_at,
    runLength: Number(row.run_length),
    runAllDefinitive: row.run_all_definitive,
    runReason: row.run_reason as OfflineReason | null,
  };
}

export function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

export interface ItemRow extends StatusRow {
  item_id: Id;
  url: string;
  original_url: string;
  host: string;
  registrable_domain: string;
  mode: Mode;
  reported_at: Date;
  notice_sent_at: Date | null;
  next_check_at: Date | null;
  ip: string | null;
  hoster: string | null;
}

export interface TransitionRow {
  from_state: ItemState;
  to_state: ItemState;
  at: Date;
  reason: string | null;
}

export function itemViewFromRows(row: ItemRow, transitions: TransitionRow[]): ItemView {
  return {
    itemId: Number(row.item_id),
    url: row.url,
    originalUrl: row.original_url,
    host: row.host,
    registrableDomain: row.registrable_domain,
    ip: row.ip,
    hoster: row.hoster,
    mode: row.mode,
    reportedAt: row.reported_at.toISOString(),
    noticeSentAt: iso(row.notice_sent_at),
    state: row.state,
    firstCheckedAt: iso(row.first_checked_at),
    lastCheckedAt: iso(row.last_checked_at),
    checks: Number(row.checks),
    lastOnlineAt: iso(row.last_online_at),
    offlineAt: iso(row.offline_at),
    offlineReason: row.offline_reason as OfflineReason | null,
    confirmedAt: iso(row.confirmed_at),
    timeToRemovalSeconds: timeToRemovalSeconds(row.offline_at, row.notice_sent_at, row.reported_at),
    nextCheckAt: iso(row.next_check_at),
    transitions: transitions.map((t) => ({
      from: t.from_state,
      to: t.to_state,
      at: t.at.toISOString(),
      reason: t.reason as Reason | null,
    })),
  };
}

export interface CheckRow {
  job_id: string;
  scheduled_at: Date;
  started_at: Date;
  duration_ms: number;
  outcome: Outcome;
  reason: string | null;
  http_status: number | null;
  ip: string | null;
  sha256: string | null;
  bytes: Id;
  error: string | null;
  redirects: RedirectHop[] | null;
}

export function checkEntryFromRow(row: CheckRow): CheckLogEntry {
  return {
    jobId: row.job_id,
    scheduledAt: row.scheduled_at.toISOString(),
    startedAt: row.started_at.toISOString(),
    durationMs: Number(row.duration_ms),
    outcome: row.outcome,
    reason: row.reason as Reason | null,
    httpStatus: row.http_status === null ? null : Number(row.http_status),
    ip: row.ip,
    sha256: row.sha256,
    bytes: Number(row.bytes),
    error: row.error,
    redirects: row.redirects ?? [],
  };
}

export interface RemovalDbRow {
  item_id: Id;
  url: string;
  host: string;
  registrable_domain: string;
  hoster: string | null;
  reported_at: Date;
  notice_sent_at: Date | null;
  last_online_at: Date | null;
  offline_at: Date;
  confirmed_at: Date | null;
  offline_reason: string | null;
  episode: number | string;
  reappeared_at: Date | null;
}

export function removalFromRow(row: RemovalDbRow): RemovalRow {
  return {
    itemId: Number(row.item_id),
    url: row.url,
    host: row.host,
    registrableDomain: row.registrable_domain,
    hoster: row.hoster,
    reportedAt: row.reported_at.toISOString(),
    noticeSentAt: iso(row.notice_sent_at),
    lastOnlineAt: iso(row.last_online_at),
    offlineAt: row.offline_at.toISOString(),
    confirmedAt: iso(row.confirmed_at),
    offlineReason: row.offline_reason as OfflineReason | null,
    timeToRemovalSeconds: timeToRemovalSeconds(row.offline_at, row.notice_sent_at, row.reported_at) ?? 0,
    episode: Number(row.episode),
    reappearedAt: iso(row.reappeared_at),
  };
}
