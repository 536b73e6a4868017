import type { DeadlineState } from './deadline.js';

/**
 * The domain's words (see docs/glossary in README): report, item, check, outcome, reason.
 * These types cross every process boundary (HTTP API, JetStream messages, database rows),
 * so timestamps that travel are ISO-8601 strings in UTC and ids are plain numbers.
 */

import type { ItemState, Mode, OfflineReason, Outcome, Reason } from './vocabulary.js';

/** Expected content hashes from a report, lower-case hex. */
export interface ExpectedHashes {
  sha256?: string;
  sha1?: string;
  md5?: string;
  /**
   * The media type (`type/subtype`, lower-case, no parameters) of the item's first online
   * check. When it is image/*, video/* or audio/* and a 2xx answer is a page (text/html,
   * other text/*, JSON, XML), the prober reports `content_changed`: a soft removal.
   */
  contentType?: string;
}

/** A report as received at the API, after validation (`validateReport`). */
export interface ReportInput {
  url: string;
  reportId?: string;
  source?: string;
  reportedAt?: string;
  noticeSentAt?: string;
  sha256?: string;
  sha1?: string;
  md5?: string;
  mode?: Mode;
  labels?: Record<string, string>;
  /** The removal deadline (ISO date-time with zone); or: */
  deadlineAt?: string;
  /** the time to removal allowed after the notice (a duration, e.g. `1h`, `12h`). */
  deadline?: string;
}

/** A validated report with its normalised URL, ready for the store. */
export interface NormalizedReport {
  /** Caller's id; when absent the store assigns one (then the report is not idempotent). */
  reportId: string | null;
  source: string;
  originalUrl: string;
  /** Normalised URL: the item's identity. */
  url: string;
  host: string;
  registrableDomain: string;
  reportedAt: Date;
  noticeSentAt: Date | null;
  expected: ExpectedHashes;
  mode: Mode;
  labels: Record<string, string>;
  /** The removal deadline: the report's own, or the policy's (see deadline.ts). */
  deadlineAt: Date;
}

/** One check to run: published by the scheduler on subject `tdm.checks.<mode>`. */
export interface CheckJob {
  /** `itemId@scheduledAt`: the JetStream message id and the check's unique key. */
  jobId: string;
  itemId: number;
  url: string;
  /** The politeness key: checks of one registrable domain share one rate limit. */
  registrableDomain: string;
  mode: Mode;
  /** The grid slot this check belongs to (ISO). */
  scheduledAt: string;
  expected: ExpectedHashes;
  /** When the scheduler published it (ISO), to measure queue lag. */
  publishedAt: string;
  /**
   * Do not start the check before this time (ISO): the start time the scheduler booked for
   * it in its domain's cluster-wide pacing (1/domainRate after the domain's previous job).
   * Absent in jobs of older schedulers: start at once.
   */
  notBefore?: string;
  /**
   * The scheduler's proof that it issued this job (an HMAC of `itemId@scheduledAt`, see
   * @tdm/bus job-ticket.ts). The crawler copies it into the result unchanged.
   */
  ticket?: string;
}

/** One hop of a redirect chain, as followed by the prober. */
export interface RedirectHop {
  url: string;
  status: number;
  ip: string | null;
}

/** What a prober returns for one URL: the observation, before it is tied to a job. */
export interface ProbeResult {
  outcome: Outcome;
  reason: Reason | null;
  httpStatus: number | null;
  /** The address actually connected to for the final response (or the last attempt). */
  ip: string | null;
  finalUrl: string;
  redirects: RedirectHop[];
  contentType: string | null;
  /** Bytes of body read (after decoding), even when the body was cut at the limit. */
  bytes: number;
  sha256: string | null;
  sha1: string | null;
  md5: string | null;
  /** A short, content-free error description (never a body excerpt). */
  error: string | null;
}

/** A finished check: published by a crawler on subject `tdm.results`. */
export interface CheckResult extends ProbeResult {
  jobId: string;
  itemId: number;
  scheduledAt: string;
  startedAt: string;
  durationMs: number;
  workerId: string;
  /** The job's ticket, copied: the results service applies only results that carry a valid one. */
  ticket?: string;
}

/** One state change in an item's history. */
export interface Transition {
  from: ItemState;
  to: ItemState;
  /** For offline: the first check of the confirmed run; for online: the check that saw it. */
  at: Date;
  reason: Reason | null;
}

/**
 * The part of an item that the state machine reads and writes (see state-machine.ts).
 * The "run" fields describe the current streak of consecutive offline checks.
 */
export interface ItemStatus {
  state: ItemState;
  checks: number;
  firstCheckedAt: Date | null;
  lastCheckedAt: Date | null;
  /** Scheduled time of the newest check applied; older results are ignored. */
  lastScheduledAt: Date | null;
  lastOnlineAt: Date | null;
  offlineAt: Date | null;
  offlineReason: OfflineReason | null;
  confirmedAt: Date | null;
  runStartedAt: Date | null;
  runLength: number;
  runAllDefinitive: boolean;
  runReason: OfflineReason | null;
}

/** The analysts' view of an item (GET /v1/items/{itemId}). */
export interface ItemView {
  itemId: number;
  url: string;
  originalUrl: string;
  host: string;
  registrableDomain: string;
  ip: string | null;
  hoster: string | null;
  /** Autonomous system of the address of its last online check (attribution dataset). */
  asn: number | null;
  asOrg: string | null;
  /** ISO 3166-1 alpha-2 country of that address, when the dataset has one. */
  country: string | null;
  mode: Mode;
  reportedAt: string;
  noticeSentAt: string | null;
  /** The removal deadline (the earliest of the item's reports'). */
  deadlineAt: string;
  deadlineState: DeadlineState;
  /** Seconds online past the deadline: to the removal, or to now while online. */
  overrunSeconds: number;
  /** Already gone at its first check: its removal lies in (notice, first check], its time is unknown. */
  goneBeforeFirstCheck: boolean;
  state: ItemState;
  firstCheckedAt: string | null;
  lastCheckedAt: string | null;
  checks: number;
  lastOnlineAt: string | null;
  offlineAt: string | null;
  offlineReason: OfflineReason | null;
  confirmedAt: string | null;
  timeToRemovalSeconds: number | null;
  nextCheckAt: string | null;
  transitions: Array<{ from: ItemState; to: ItemState; at: string; reason: Reason | null }>;
}

/** One row of the check log (GET /v1/items/{itemId}/checks). */
export interface CheckLogEntry {
  jobId: string;
  scheduledAt: string;
  startedAt: string;
  durationMs: number;
  outcome: Outcome;
  reason: Reason | null;
  httpStatus: number | null;
  ip: string | null;
  sha256: string | null;
  bytes: number;
  error: string | null;
  redirects: RedirectHop[];
}

/** One row of GET /v1/removals: one removal episode (an item removed twice has two rows). */
export interface RemovalRow {
  itemId: number;
  url: string;
  host: string;
  registrableDomain: string;
  hoster: string | null;
  reportedAt: string;
  noticeSentAt: string | null;
  lastOnlineAt: string | null;
  offlineAt: string;
  confirmedAt: string | null;
  offlineReason: OfflineReason | null;
  timeToRemovalSeconds: number;
  /** 1 for the item's first confirmed removal, 2 after a reappearance and a second removal, … */
  episode: number;
  /** When the item was seen online again after this removal; null while it stays removed. */
  reappearedAt: string | null;
}

/** The job id for an item's slot: the idempotence key from scheduler to database. */
export function jobIdFor(itemId: number, scheduledAt: Date): string {
  return `${itemId}@${scheduledAt.toISOString()}`;
}

/** One row of GET /v1/overdue: an item still online past its deadline. */
export interface OverdueRow {
  itemId: number;
  url: string;
  host: string;
  registrableDomain: string;
  hoster: string | null;
  asn: number | null;
  asOrg: string | null;
  country: string | null;
  state: ItemState;
  reportedAt: string;
  noticeSentAt: string | null;
  deadlineAt: string;
  lastOnlineAt: string | null;
  lastCheckedAt: string | null;
  /** Seconds past the deadline, as of the query. */
  overrunSeconds: number;
}

/** What statistics can be grouped by (GET /v1/stats/removals?groupBy=; one or two of them). */
export const GROUP_BY_FIELDS = [
  'hoster',
  'asn',
  'country',
  'registrableDomain',
  'source',
  'noticeMonth',
] as const;
export type GroupByField = (typeof GROUP_BY_FIELDS)[number];

/** A group's key: the value of one field, or of two for two levels; null when unattributed. */
export type GroupKey = string | number | null | Array<string | number | null>;

/** The figures of one group of GET /v1/stats/removals (see docs/analysis.md). */
export interface RemovalStatsGroup {
  key: GroupKey;
  /** Items whose notice falls in the window. */
  items: number;
  /** Confirmed removals of items seen online first (the events of the survival curve). */
  removed: number;
  /** Not removed: pending, online, or online again (right-censored). */
  open: number;
  /** Items seen online again after a confirmed removal (at any time). */
  reappeared: number;
  /** Already gone at the first check: counted apart, not in the curve. */
  goneBeforeFirstCheck: number;
  /** Per duration: Kaplan–Meier share removed within it, by offlineAt. Null: no item in the curve. */
  removedWithin: Record<string, number | null>;
  /** Per duration: [by offlineAt, by lastOnlineAt]: the bracket the check grid leaves. */
  removedWithinBounds: Record<string, [number, number] | null>;
  medianSeconds: number | null;
  p90Seconds: number | null;
  medianCi95: [number | null, number | null];
  deadline: Record<DeadlineState, number>;
}

/** One point of a group's survival curve (GET /v1/stats/survival). */
export interface SurvivalPoint {
  /** Seconds after the notice. */
  time: number;
  atRisk: number;
  events: number;
  censored: number;
  survival: number;
  low: number;
  high: number;
}
