/** @tdm/crawler — consumes check jobs, probes under politeness limits, publishes results. */
export { createCrawler, type Crawler, type CrawlerConfig, type CrawlerOptions } from './crawler.js';
export type { Politeness, Prober } from './ports.js';
export { runCheck, ABORTED, type RunCheckOptions } from './check-job.js';
export { DEFAULT_MAX_NOT_BEFORE_WAIT_MS, notBeforeDelayMs, waitForNotBefore } from './not-before.js';
