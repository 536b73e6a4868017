/**
 * Faults mid-run, one after another, on one cluster of separate processes (scheduler, two
 * crawlers, results) on a 1-second grid, on a PostgreSQL server of the test's own: kill -9
 * of nats-server for 3 s (restarted on the same port and store), kill -9 of a crawler, of
 * the results service, and `pg_ctl restart -m immediate`. After each, the grid must be
 * back within one interval + 1 s (measured from the check logs and printed), no check is
 * lost, no transition recorded twice, and an item removed shortly after the fault is
 * detected as fast as on a quiet grid.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBody, sha256Hex, startFixtureWeb, type FixtureWeb } from '@tdm/fixture-web';
import {
  freePort,
  getJson,
  gridChecks,
  gridRecoveryMs,
  gridViolations,
  startPostgresCluster,
  startTdm,
  startTdmCluster,
  submitReports,
  waitForHttp,
  type GridCheck,
  type PostgresCluster,
  type TdmCluster,
  type TdmProcess,
} from '@tdm/test-helpers';
import type { CheckLogEntry, ItemView } from '@tdm/core';

const INTERVAL_MS = 1000;
/** A check this close to its slot is on the grid. */
const ON_TIME_MS = 300;
const SLACK_MS = 1500;
const HOST = 'img.recovery.test';
const FAULTS = ['nats-server', 'crawler', 'results', 'postgresql'] as const;
type Fault = (typeof FAULTS)[number];
/** Items removed this long after each fault ended. */
const REMOVED_AFTER_MS = 1500;
const STAYING = 12;
const REMOVED_PER_FAULT = 2;

interface Item {
  path: string;
  /** The fault after which it is removed (404), if any. */
  removedAfter: Fault | null;
  itemId?: number;
  removedAt?: number;
}

function body(path: string): Buffer {
  return makeBody(`${HOST}${path}`, 2000);
}

describe('recovery: the grid after nats-server, a crawler, the results service or PostgreSQL comes back', () => {
  const items: Item[] = [
    ...Array.from({ length: STAYING }, (_, i): Item => ({ path: `/stays/${i}.jpg`, removedAfter: null })),
    ...FAULTS.flatMap((fault) =>
      Array.from({ length: REMOVED_PER_FAULT }, (_, i): Item => ({
        path: `/${fault}/${i}.jpg`,
        removedAfter: fault,
      })),
    ),
  ];
  let web: FixtureWeb;
  let postgres: PostgresCluster;
  let cluster: TdmCluster;
  const extra: TdmProcess[] = [];
  /** When each fault ended: the server back, the process ready again. */
  const endedAt = new Map<Fault, number>();
  const downMs = new Map<Fault, number>();
  const views = new Map<number, ItemView>();
  const logs = new Map<number, GridCheck[]>();
  let runEndedAt = 0;

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const output = (): string =>
    [cluster.scheduler, cluster.results, ...cluster.crawlers, ...extra]
      .map((p) => p?.output() ?? '')
      .join('\n');

  /** Runs the fault, then removes its items REMOVED_AFTER_MS after it ended. */
  async function fault(name: Fault, run: () => Promise<void>): Promise<void> {
    const started = Date.now();
    await run();
    const ended = Date.now();
    endedAt.set(name, ended);
    downMs.set(name, ended - started);
    await sleep(REMOVED_AFTER_MS);
    for (const item of items.filter((k) => k.removedAfter === name)) {
      web.set(HOST, item.path, { kind: 'status', status: 404 });
      item.removedAt = Date.now();
    }
  }

  beforeAll(async () => {
    web = await startFixtureWeb({ addresses: ['127.0.0.1'] });
    for (const item of items)
      web.set(HOST, item.path, { kind: 'body', body: body(item.path), contentType: 'image/jpeg' });
    postgres = await startPostgresCluster();
    cluster = await startTdmCluster({
      databasePrefix: 'recovery',
      databaseServerUrl: postgres.url,
      crawlers: 2,
      env: {
        TDM_CHECK_INTERVAL: `${INTERVAL_MS}ms`,
        TDM_OFFLINE_RECHECK_INTERVAL: `${INTERVAL_MS}ms`,
        TDM_CONFIRM_DEFINITIVE: '2',
        TDM_CONFIRM_RECHECK_DELAY: '0',
        TDM_CONNECT_TIMEOUT: '1s',
        TDM_HEADERS_TIMEOUT: '1500ms',
        TDM_CHECK_TIMEOUT: '2s',
        TDM_HOST_MAP: `${HOST}=127.0.0.1`,
        TDM_ALLOW_RANGES: '127.0.0.0/8',
        TDM_DOMAIN_RATE: '1000',
        TDM_DOMAIN_CONCURRENCY: '64',
        TDM_SCHEDULER_TICK: '50ms',
        // Jobs and results held by a killed process come back within the run.
        TDM_JOB_ACK_WAIT: '3s',
        TDM_RESULT_ACK_WAIT: '2s',
      },
    });
    const start = Date.now();
    const answers = await submitReports(
      cluster.api,
      items.map((item, i) => ({
        url: `http://${HOST}:${web.port}${item.path}`,
        reportId: `r${i}`,
        source: 'recovery-test',
        noticeSentAt: new Date(start).toISOString(),
        sha256: sha256Hex(body(item.path)),
      })),
    );
    answers.forEach((answer, i) => (items[i]!.itemId = answer.itemId));
    const scheduler = await cluster.startScheduler();
    await sleep(4000);

    await fault('nats-server', async () => {
      await cluster.nats.kill();
      await sleep(3000);
      await cluster.nats.restart();
    });
    await sleep(3000);
    await fault('crawler', async () => {
      await cluster.crawlers[0]!.kill();
      await sleep(2000);
      const port = await freePort();
      const crawler = startTdm(['crawler'], { ...cluster.env, TDM_METRICS_LISTEN: `127.0.0.1:${port}` });
      extra.push(crawler);
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, crawler);
    });
    await sleep(3000);
    await fault('results', async () => {
      await cluster.results.kill();
      await sleep(2000);
      await cluster.restartResults();
    });
    await sleep(3000);
    await fault('postgresql', () => postgres.restart({ mode: 'immediate' }));
    await sleep(4000);
    runEndedAt = Date.now();

    // Stop the scheduler, let the crawlers and the results service drain, read the logs.
    await scheduler.stop();
    await sleep(3500);
    for (const item of items) {
      views.set(item.itemId!, await getJson<ItemView>(`${cluster.api}/v1/items/${item.itemId}`));
      const log = await getJson<CheckLogEntry[]>(`${cluster.api}/v1/items/${item.itemId}/checks?limit=1000`);
      expect(new Set(log.map((check) => check.jobId)).size, item.path).toBe(log.length);
      logs.set(item.itemId!, gridChecks(log));
    }
  }, 150_000);

  afterAll(async () => {
    for (const proc of extra) await proc.stop();
    await cluster?.stop();
    await postgres?.stop();
    await web?.close();
  });

  it('is back on the grid within one interval + 1 s after each fault', () => {
    const staying = items.filter((item) => item.removedAfter === null).map((item) => logs.get(item.itemId!)!);
    const figures: string[] = [];
    const recovery = new Map<Fault, number>();
    for (const name of FAULTS) {
      const ms = gridRecoveryMs(staying, endedAt.get(name)!, ON_TIME_MS);
      recovery.set(name, ms);
      figures.push(`${name} (down ${downMs.get(name)} ms) ${ms} ms`);
    }
    console.log(`[recovery] grid back after: ${figures.join('; ')}`);
    for (const name of FAULTS)
      expect(recovery.get(name), `${name}\n${output()}`).toBeLessThanOrEqual(INTERVAL_MS + 1000);
  });

  it('loses no check and records no transition twice', () => {
    for (const item of items) {
      const view = views.get(item.itemId!)!;
      const checks = logs.get(item.itemId!)!;
      expect(gridViolations(checks, INTERVAL_MS), item.path).toEqual([]);
      // `checks` counts the checks applied in slot order: a job held by the killed crawler
      // comes back after its AckWait, and its check, finished after a later slot's, is
      // logged but not applied. So it can only be fewer, and by little.
      expect(view.checks, item.path).toBeLessThanOrEqual(checks.length);
      expect(view.checks, item.path).toBeGreaterThanOrEqual(checks.length - 2);
      // Checked up to the end of the run, across every fault.
      expect(checks.at(-1)!.slot, item.path).toBeGreaterThan(runEndedAt - 2 * INTERVAL_MS);
      const keys = view.transitions.map((t) => `${t.from}>${t.to}`);
      expect(keys, item.path).toEqual(
        item.removedAfter === null ? ['pending>online'] : ['pending>online', 'online>offline'],
      );
    }
  });

  it('detects a removal soon after each fault as fast as on a quiet grid', () => {
    const delays: string[] = [];
    for (const item of items.filter((k) => k.removedAfter !== null)) {
      const view = views.get(item.itemId!)!;
      expect(view.state, item.path).toBe('offline');
      const offlineAt = Date.parse(view.offlineAt!);
      expect(Date.parse(view.lastOnlineAt!), item.path).toBeLessThanOrEqual(item.removedAt!);
      // A check's start is stamped before its request goes out (pacing, connect): tens of ms.
      expect(offlineAt, item.path).toBeGreaterThanOrEqual(item.removedAt! - 100);
      delays.push(`${item.removedAfter} ${offlineAt - item.removedAt!} ms`);
      expect(offlineAt - item.removedAt!, item.path).toBeLessThanOrEqual(INTERVAL_MS + SLACK_MS);
    }
    console.log(`[recovery] removal detected after: ${delays.join('; ')}`);
  });
});
