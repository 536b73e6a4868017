/**
 * The metric definitions, one place for all services. Each process makes one registry
 * (`createMetrics()`); `tdm up` runs all services in one process and so shares it.
 * Names follow Prometheus conventions: `tdm_` prefix, `_total` counters, `_seconds`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { logBuckets } from './buckets.js';
import { startEventLoopDelayHistogram } from './event-loop-delay.js';

export interface Metrics {
  registry: Registry;
  /** Checks finished, by mode, outcome and reason (reason "none" for online). */
  checks: Counter<'mode' | 'outcome' | 'reason'>;
  /** Checks that failed on our side (outcome error), by cause: never a removal. */
  checkErrors: Counter<'reason'>;
  /** Wall time of one check, from start to verdict. */
  checkDuration: Histogram<'mode' | 'outcome'>;
  /** Start time of a check minus its scheduled time. */
  scheduleLateness: Histogram<'mode'>;
  /** Jobs published by the scheduler. */
  jobsPublished: Counter<'mode'>;
  /** Scheduler claim round trips, and how long each took. */
  claimDuration: Histogram;
  /** Items by state (sampled by the results service). */
  itemsByState: Gauge<'state'>;
  /** State transitions recorded, by from, to and reason. */
  transitions: Counter<'from' | 'to' | 'reason'>;
  /** Results applied, and duplicates/out-of-order results ignored. */
  resultsApplied: Counter<'applied'>;
  /** Results the results service refused to apply: `unissued` (no valid job ticket). */
  resultsRejected: Counter<'reason'>;
  /** Messages waiting in a consumer (JetStream num_pending + ack pending). */
  consumerPending: Gauge<'stream' | 'consumer'>;
  /** Reports received, by whether they were accepted. */
  reports: Counter<'result'>;
  /** Registrable domains whose items cannot be checked on the grid at their rate. */
  domainsOverCapacity: Gauge;
  /** Needed checks per second over the domain's rate, for the worst domains over capacity (at most 20). */
  domainLoadRatio: Gauge<'registrable_domain'>;
  /** How far behind its grid the scheduler is: now minus the oldest slot it claimed in its last round. */
  schedulerBehind: Gauge;
  /** Stops the event loop sampler (tests; a service simply exits). */
  stop(): void;
  /** Audited API reads (routes that return URLs), by the scope they needed; never a URL label. */
  apiReads: Counter<'scope'>;
  /** API requests refused by access control, by status (401, 403). */
  apiDenied: Counter<'status'>;
  /** Audit rows that could not be written (the request was served; the log has the error). */
  auditWriteFailures: Counter;
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Lateness from 50 ms (a scheduler that keeps up) to 1 h (four slots behind at the default
 * interval), six buckets per decade (ratio ≈ 1.47): a p99 of 248 s is interpolated
 * inside the 242–356 s bucket, not between 60 s and 300 s.
 */
const LATENESS_BUCKETS = logBuckets(0.05, 3600, 30);

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  let stop = (): void => {};
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix: 'tdm_' });
    stop = startEventLoopDelayHistogram(registry);
  }
  const registers = [registry];
  return {
    registry,
    checks: new Counter({
      name: 'tdm_checks_total',
      help: 'Checks finished, by mode, outcome and reason.',
      labelNames: ['mode', 'outcome', 'reason'],
      registers,
    }),
    checkErrors: new Counter({
      name: 'tdm_check_errors_total',
      help: 'Checks that failed on our side (outcome error), by cause; they never count towards a removal.',
      labelNames: ['reason'],
      registers,
    }),
    checkDuration: new Histogram({
      name: 'tdm_check_duration_seconds',
      help: 'Duration of one check.',
      labelNames: ['mode', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    scheduleLateness: new Histogram({
      name: 'tdm_schedule_lateness_seconds',
      help: 'Start time of a check minus its scheduled time.',
      labelNames: ['mode'],
      buckets: LATENESS_BUCKETS,
      registers,
    }),
    jobsPublished: new Counter({
      name: 'tdm_jobs_published_total',
      help: 'Check jobs published by the scheduler.',
      labelNames: ['mode'],
      registers,
    }),
    claimDuration: new Histogram({
      name: 'tdm_scheduler_claim_duration_seconds',
      help: 'Duration of one claim-and-publish round of the scheduler.',
      buckets: DURATION_BUCKETS,
      registers,
    }),
    itemsByState: new Gauge({
      name: 'tdm_items',
      help: 'Items by state.',
      labelNames: ['state'],
      registers,
    }),
    transitions: new Counter({
      name: 'tdm_transitions_total',
      help: 'Item state transitions recorded.',
      labelNames: ['from', 'to', 'reason'],
      registers,
    }),
    resultsApplied: new Counter({
      name: 'tdm_results_total',
      help: 'Check results received by the results service; applied="false" for duplicates and out-of-order ones.',
      labelNames: ['applied'],
      registers,
    }),
    resultsRejected: new Counter({
      name: 'tdm_results_rejected_total',
      help: 'Check results dropped by the results service, by reason (unissued: the result names no job the scheduler issued; a forged or corrupted result).',
      labelNames: ['reason'],
      registers,
    }),
    consumerPending: new Gauge({
      name: 'tdm_consumer_pending',
      help: 'Messages waiting for a JetStream consumer (pending plus unacknowledged).',
      labelNames: ['stream', 'consumer'],
      registers,
    }),
    reports: new Counter({
      name: 'tdm_reports_total',
      help: 'Reports received, by result (created, duplicate, rejected).',
      labelNames: ['result'],
      registers,
    }),
    domainsOverCapacity: new Gauge({
      name: 'tdm_domains_over_capacity',
      help: 'Registrable domains holding more items than their rate can check on the grid (GET /v1/domains lists them).',
      registers,
    }),
    domainLoadRatio: new Gauge({
      name: 'tdm_domain_load_ratio',
      help: 'Checks per second a domain needs to keep the grid, over its rate; only the 20 worst domains over capacity (above 1: late).',
      labelNames: ['registrable_domain'],
      registers,
    }),
    schedulerBehind: new Gauge({
      name: 'tdm_scheduler_behind_seconds',
      help: 'Now minus the oldest slot the scheduler claimed in its last round (0 while it keeps the grid).',
      registers,
    }),
    stop,
    apiReads: new Counter({
      name: 'tdm_api_reads_total',
      help: 'Audited API reads (items, checks, removals, exports: what shows URLs), by the scope they needed.',
      labelNames: ['scope'],
      registers,
    }),
    apiDenied: new Counter({
      name: 'tdm_api_denied_total',
      help: 'API requests refused by access control: 401 (no valid token) or 403 (scope missing).',
      labelNames: ['status'],
      registers,
    }),
    auditWriteFailures: new Counter({
      name: 'tdm_audit_write_failures_total',
      help: 'Audit rows the results service could not write to the store.',
      registers,
    }),
  };
}
