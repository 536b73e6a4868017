/**
 * Subjects, streams and consumers: the names every service agrees on.
 *
 * Jobs travel on `tdm.checks.<mode>` so that browser checks (slow, heavy) get their own
 * consumer and worker pool and never queue behind plain HTTP checks, and vice versa.
 */
import type { Mode } from '@tdm/core';

/** The modes, one job subject and consumer each (re-exported from @tdm/core for the bus's users). */
export { MODES } from '@tdm/core';

/** The stream of check jobs (work queue: a job is removed once a crawler acks it). */
export const CHECKS_STREAM = 'TDM_CHECKS';
/** Every job subject; one per mode below. */
export const CHECKS_SUBJECTS = 'tdm.checks.*';
/** The stream of check results (work queue, consumed by the results service). */
export const RESULTS_STREAM = 'TDM_RESULTS';
export const RESULTS_SUBJECT = 'tdm.results';
/** The one durable consumer of the results service. */
export const RESULTS_CONSUMER = 'tdm-results';

/** `tdm.checks.http`, `tdm.checks.browser`. */
export function jobSubject(mode: Mode): string {
  return `tdm.checks.${mode}`;
}

/** `tdm-crawler-http`, `tdm-crawler-browser`: one durable pull consumer per mode, shared by all crawlers. */
export function jobConsumerName(mode: Mode): string {
  return `tdm-crawler-${mode}`;
}
