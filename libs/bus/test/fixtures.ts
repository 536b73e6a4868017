/** Builders shared by the bus tests. */
import type { CheckJob, CheckResult } from '@tdm/core';
import type { BusLogger } from '@tdm/bus';

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

export function makeResult(itemId: number, slot = 0): CheckResult {
  const job = makeJob(itemId, slot);
  return {
    jobId: job.jobId,
    itemId,
    scheduledAt: job.scheduledAt,
    startedAt: new Date().toISOString(),
    durationMs: 12,
    workerId: 'test',
    outcome: 'online',
    reason: null,
    httpStatus: 200,
    ip: '127.0.0.1',
    finalUrl: job.url,
    redirects: [],
    contentType: 'text/html',
    bytes: 10,
    sha256: 'a'.repeat(64),
    sha1: null,
    md5: null,
    error: null,
  };
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

/** Polls `condition` every 25 ms until it is true or `timeoutMs` passed (then throws). */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
