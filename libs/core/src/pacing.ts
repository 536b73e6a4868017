/**
 * The cluster-wide pacing contract between the scheduler and the crawlers. The scheduler
 * books each job of a domain a start time (`CheckJob.notBefore`) at most
 * MAX_PACING_HORIZON_MS ahead; a crawler waits for that time, and never longer than
 * MAX_NOT_BEFORE_WAIT_MS, so that a skewed clock or a bug cannot park a job for long.
 * Both bounds derive from the one horizon here: raising it raises the crawler's bound.
 */

/** The furthest ahead the scheduler books a domain's start times. */
export const MAX_PACING_HORIZON_MS = 10_000;

/** Allowance for clock skew between the scheduler's and the crawler's machines. */
export const NOT_BEFORE_CLOCK_SLACK_MS = 5_000;

/** The longest a crawler waits for a job's notBefore (15 s). */
export const MAX_NOT_BEFORE_WAIT_MS = MAX_PACING_HORIZON_MS + NOT_BEFORE_CLOCK_SLACK_MS;
