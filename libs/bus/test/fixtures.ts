/** Builders shared by the bus tests. */
import type { CheckJob, CheckResult } from '@tdm/core';
import type { BusLogger } from '@tdm/bus';
import { makeCheckResult } from '@tdm/test-helpers';

const BASE = Date.parse('2030-01-01T00:00:00.000Z');

export function makeJob(itemId: number, slot = 0, mode: CheckJob['mode'] = 'http'): CheckJob {
  const scheduledAt = new Date(BASE + slot * 1000).toISOString();
  return {
    jobId: `${itemId}@${scheduledAt}`,
    itemId,
    url: `http://site-${itemId}.example.test/page`,
    registrableDomain: `site-${itemId}.example.test`,
    mode,
    scheduledAt,
    expected: {},
    publishedAt: new Date().toISOString(),
  };
}

/** The result of makeJob(itemId, slot): online, as test-helpers builds it. */
export function makeResult(itemId: number, slot = 0): CheckResult {
  const job = makeJob(itemId, slot);
  return makeCheckResult(itemId, job.scheduledAt, 'online', { finalUrl: job.url });
}

export interface CapturedLine {
  level: string;
  obj: object;
  msg?: string;
}

/** A logger that keeps its lines so a test can assert on them. */
export function captureLogger(): BusLogger & { lines: CapturedLine[] } {
  const lines: CapturedLine[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
