/**
 * The whole pipeline as separate processes (tdm scheduler, crawler, results) on a real
 * nats-server and a real PostgreSQL, against 52 URLs on a loopback fixture web that
 * disappear at recorded times in every way, while the results service is killed and
 * restarted mid-run.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBody, sha256Hex, startFixtureWeb, type FixtureWeb } from '@tdm/fixture-web';
import { getJson, pollUntil, startTdmCluster, submitReports, type TdmCluster } from '@tdm/test-helpers';
import type { CheckLogEntry, ItemView } from '@tdm/core';

const INTERVAL_MS = 1000;
const SLACK_MS = 1500;
const HOST_A = 'img.hoster-a.test';
const HOST_B = 'cdn.hoster-b.test';
const HOST_DOWN = 'files.hoster-c.test';

interface Case {
  group: string;
  host: string;
  path: string;
  /** Seconds after start when the change happens (null: never). */
  at: number | null;
  expectedReason: string | null;
  /** Final state expected. */
  finalState: 'online' | 'offline';
  change?: (web: FixtureWeb, c: Case) => void | Promise<void>;
  restoreAt?: number;
  changedAt?: number;
  restoredAt?: number;
  itemId?: number;
}

/** The operator's hoster table: which company serves each fixture address. */
const HOSTER_OF_ADDRESS: Record<string, string> = {
  '127.0.0.1': 'Hoster AB Ltd',
  '127.0.0.3': 'Hoster C B.V.',
};
function hosterFile(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'tdm-pipeline-')), 'hosters.csv');
  writeFileSync(
    file,
    Object.entries(HOSTER_OF_ADDRESS)
      .map(([ip, name]) => `${ip},${name}`)
      .join('\n'),
  );
  return file;
}

function body(c: { host: string; path: string }): Buffer {
  return makeBody(`${c.host}${c.path}`, 4000);
}

function buildCases(): Case[] {
  const cases: Case[] = [];
  const add = (
    group: string,
    count: number,
    make: (i: number) => Omit<Case, 'group' | 'path'> & { path?: string },
  ): void => {
    for (let i = 0; i < count; i++) {
      const partial = make(i);
      cases.push({ group, path: partial.path ?? `/${group}/${i}.jpg`, ...partial });
    }
  };
  add('gone404', 6, (i) => ({
    host: HOST_A,
    at: 3 + i,
    expectedReason: 'http_404',
    finalState: 'offline',
    change: (web, c) => web.set(c.host, c.path, { kind: 'status', status: 404 }),
  }));
  add('gone410', 6, (i) => ({
    host: HOST_B,
    at: 3 + i,
    expectedReason: 'http_410',
    finalState: 'offline',
    change: (web, c) => web.set(c.host, c.path, { kind: 'status', status: 410 }),
  }));
  add('legal451', 4, (i) => ({
    host: HOST_A,
    at: 4 + i,
    expectedReason: 'http_451',
    finalState: 'offline',
    change: (web, c) => web.set(c.host, c.path, { kind: 'status', status: 451 }),
  }));
  add('forbidden', 4, (i) => ({
    host: HOST_B,
    at: 4 + i,
    expectedReason: 'http_4xx',
    finalState: 'offline',
    change: (web, c) => web.set(c.host, c.path, { kind: 'status', status: 403 }),
  }));
  add('changed', 6, (i) => ({
    host: HOST_A,
    at: 3 + i,
    expectedReason: 'content_changed',
    finalState: 'offline',
    change: (web, c) =>
      web.set(c.host, c.path, {
        kind: 'body',
        body: makeBody(`other ${i}`, 4000),
        contentType: 'image/jpeg',
      }),
  }));
  add('placeholder', 4, (i) => ({
    host: HOST_B,
    at: 5 + i,
    expectedReason: 'placeholder',
    finalState: 'offline',
    change: (web, c) => web.set(c.host, c.path, { kind: 'redirect', status: 302, location: '/removed.png' }),
  }));
  add('refused', 4, () => ({
    host: HOST_DOWN,
    at: 5,
    expectedReason: 'connection_refused',
    finalState: 'offline',
    change: (web) => web.setHostDown('127.0.0.3', true),
  }));
  add('error500', 4, (i) => ({
    host: HOST_A,
    at: 4 + i,
    expectedReason: 'http_5xx',
    finalState: 'offline',
    change: (web, c) => web.set(c.host, c.path, { kind: 'status', status: 500 }),
  }));
  add('stays', 8, (i) => ({
    host: i % 2 ? HOST_A : HOST_B,
    at: null,
    expectedReason: null,
    finalState: 'online',
  }));
  add('restored', 2, (i) => ({
    host: HOST_A,
    at: 4 + i,
    restoreAt: 10 + i,
    expectedReason: null,
    finalState: 'online',
    change: (web, c) => web.set(c.host, c.path, { kind: 'status', status: 404 }),
  }));
  add('flapping', 4, (i) => ({
    host: HOST_B,
    at: null,
    expectedReason: null,
    finalState: 'online',
    path: `/flapping/${i}.jpg`,
  }));
  return cases;
}

describe('pipeline: scheduler → JetStream → crawler → results → PostgreSQL', () => {
  const cases = buildCases();
  let web: FixtureWeb;
  let cluster: TdmCluster;
  let api = '';
  let start = 0;
  const views = new Map<number, ItemView>();
  const checkLogs = new Map<number, CheckLogEntry[]>();
  let resultsKilledAt = 0;
  let resultsRestartedAt = 0;

  beforeAll(async () => {
    web = await startFixtureWeb({ addresses: ['127.0.0.1', '127.0.0.3'] });
    for (const c of cases)
      web.set(c.host, c.path, { kind: 'body', body: body(c), contentType: 'image/jpeg' });
    web.set(HOST_B, '/removed.png', {
      kind: 'body',
      body: makeBody('removed', 1500),
      contentType: 'image/png',
    });
    cases
      .filter((c) => c.group === 'flapping')
      .forEach((c, i) =>
        web.set(c.host, c.path, { kind: 'flap', pFail: 0.2, pStall: 0.05, body: body(c), seed: 7 + i }),
      );
    cluster = await startTdmCluster({
      databasePrefix: 'pipeline',
      env: {
        TDM_CHECK_INTERVAL: `${INTERVAL_MS}ms`,
        TDM_OFFLINE_RECHECK_INTERVAL: `${INTERVAL_MS}ms`,
        TDM_CONFIRM_DEFINITIVE: '2',
        TDM_CONFIRM_TRANSIENT: '4',
        TDM_CONFIRM_TRANSIENT_MIN_SPAN: '6s',
        TDM_CONFIRM_RECHECK_DELAY: '0',
        TDM_CONNECT_TIMEOUT: '1s',
        TDM_HEADERS_TIMEOUT: '1500ms',
        TDM_CHECK_TIMEOUT: '2s',
        TDM_HOST_MAP: `${HOST_A}=127.0.0.1,${HOST_B}=127.0.0.1,${HOST_DOWN}=127.0.0.3`,
        TDM_ALLOW_RANGES: '127.0.0.0/8',
        TDM_DOMAIN_RATE: '1000',
        TDM_DOMAIN_CONCURRENCY: '64',
        TDM_SCHEDULER_TICK: '50ms',
        TDM_HOSTER_FILE: hosterFile(),
        // Results the killed results service had pulled come back after this, well within
        // the run: with the default 60 s they would arrive after the check logs are read.
        TDM_RESULT_ACK_WAIT: '2s',
      },
    });
    api = cluster.api;

    start = Date.now();
    const reports = cases.map((c, i) => ({
      url: `http://${c.host}:${web.port}${c.path}`,
      reportId: `r${i}`,
      source: 'pipeline-test',
      noticeSentAt: new Date(start).toISOString(),
      sha256: sha256Hex(body(c)),
    }));
    const answers = await submitReports(api, reports);
    answers.forEach((answer, i) => (cases[i]!.itemId = answer.itemId));

    const scheduler = await cluster.startScheduler();

    // The timeline: changes at their seconds; the results service dies at 6 s and returns at 9 s.
    const events: Array<{ at: number; run: () => Promise<void> | void }> = [];
    for (const c of cases) {
      if (c.at !== null && c.change)
        events.push({
          at: c.at,
          run: async () => {
            await c.change!(web, c);
            c.changedAt = Date.now();
          },
        });
      if (c.restoreAt !== undefined) {
        events.push({
          at: c.restoreAt,
          run: () => {
            web.set(c.host, c.path, { kind: 'body', body: body(c), contentType: 'image/jpeg' });
            c.restoredAt = Date.now();
          },
        });
      }
    }
    events.push({
      at: 6,
      run: async () => {
        resultsKilledAt = Date.now();
        await cluster.results.kill();
      },
    });
    events.push({
      at: 9,
      run: async () => {
        await cluster.restartResults();
        resultsRestartedAt = Date.now();
      },
    });
    events.sort((a, b) => a.at - b.at);
    for (const event of events) {
      const wait = start + event.at * 1000 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await event.run();
    }

    // Run until every expected removal is confirmed (bounded: 45 s after start).
    await pollUntil(
      async () => {
        let done = Date.now() - start > 18_000;
        for (const c of cases) {
          const view = await getJson<ItemView>(`${api}/v1/items/${c.itemId}`);
          views.set(c.itemId!, view);
          if (view.state !== c.finalState) done = false;
        }
        return done;
      },
      (done) => done,
      { timeoutMs: start + 45_000 - Date.now(), intervalMs: 500 },
    );
    // Stop the scheduler first, let the crawler and results drain, then read the check logs.
    await scheduler.stop();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    for (const c of cases) {
      views.set(c.itemId!, await getJson<ItemView>(`${api}/v1/items/${c.itemId}`));
      checkLogs.set(
        c.itemId!,
        await getJson<CheckLogEntry[]>(`${api}/v1/items/${c.itemId}/checks?limit=1000`),
      );
    }
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await web?.close();
  });

  it('confirms every removal with the right reason, and lastOnlineAt ≤ true removal ≤ offlineAt ≤ removal + interval + slack', () => {
    for (const c of cases.filter((k) => k.expectedReason !== null)) {
      const view = views.get(c.itemId!)!;
      const label = `${c.group} ${c.path}`;
      expect(view.state, label).toBe('offline');
      expect(view.offlineReason, label).toBe(c.expectedReason);
      const offlineAt = Date.parse(view.offlineAt!);
      expect(view.lastOnlineAt, label).not.toBeNull();
      expect(Date.parse(view.lastOnlineAt!), label).toBeLessThanOrEqual(c.changedAt!);
      expect(offlineAt, label).toBeGreaterThanOrEqual(c.changedAt!);
      expect(offlineAt - c.changedAt!, label).toBeLessThanOrEqual(INTERVAL_MS + SLACK_MS);
      expect(view.timeToRemovalSeconds, label).toBe(Math.round((offlineAt - start) / 1000));
      expect(
        view.transitions.map((t) => `${t.from}>${t.to}`),
        label,
      ).toEqual(['pending>online', 'online>offline']);
    }
  });

  it("names each item's hoster from the operator's table by the address it was served from", () => {
    for (const c of cases) {
      const view = views.get(c.itemId!)!;
      expect(view.hoster, c.path).toBe(HOSTER_OF_ADDRESS[c.host === HOST_DOWN ? '127.0.0.3' : '127.0.0.1']);
    }
  });

  it('keeps never-removed and flapping items online, and shows a reappearance', () => {
    for (const c of cases.filter((k) => k.group === 'stays' || k.group === 'flapping')) {
      const view = views.get(c.itemId!)!;
      expect(view.state, c.path).toBe('online');
      expect(
        view.transitions.map((t) => t.to),
        c.path,
      ).toEqual(['online']);
    }
    const flappingErrors = cases
      .filter((c) => c.group === 'flapping')
      .flatMap((c) => checkLogs.get(c.itemId!)!)
      .filter((check) => check.outcome === 'offline');
    expect(flappingErrors.length).toBeGreaterThan(0); // the flapping really failed now and then
    for (const c of cases.filter((k) => k.group === 'restored')) {
      const view = views.get(c.itemId!)!;
      expect(view.state, c.path).toBe('online');
      expect(
        view.transitions.map((t) => `${t.from}>${t.to}`),
        c.path,
      ).toEqual(['pending>online', 'online>offline', 'offline>online']);
      const back = view.transitions[2]!;
      expect(Date.parse(back.at)).toBeGreaterThanOrEqual(c.restoredAt!);
      expect(Date.parse(back.at) - c.restoredAt!).toBeLessThanOrEqual(INTERVAL_MS + SLACK_MS);
    }
  });

  it('loses no check and duplicates no transition across the results service crash', () => {
    expect(resultsRestartedAt).toBeGreaterThan(resultsKilledAt);
    for (const c of cases) {
      const view = views.get(c.itemId!)!;
      const log = checkLogs.get(c.itemId!)!;
      const checks = log
        .map((check) => ({ slot: Date.parse(check.scheduledAt), started: Date.parse(check.startedAt) }))
        .sort((a, b) => a.slot - b.slot);
      const slots = checks.map((check) => check.slot);
      expect(new Set(log.map((check) => check.jobId)).size, c.path).toBe(log.length);
      // `checks` counts the checks applied in slot order; a check that finished after a
      // later slot's (a stall) is logged but not applied, so it can only be fewer.
      expect(view.checks, c.path).toBeLessThanOrEqual(log.length);
      if (c.group !== 'flapping') expect(view.checks, c.path).toBe(log.length);
      // A fixed grid with no lost check: consecutive slots are one interval apart, unless
      // the scheduler was behind. A scheduler that claims slot S at time T publishes S once
      // and continues at the first grid slot after T (no burst of missed slots), so a gap
      // of g is allowed only after a check that started at least g − interval after its
      // slot. A check lost in the crash would leave a gap after an on-time check.
      for (let i = 2; i < checks.length; i++) {
        const gap = checks[i]!.slot - checks[i - 1]!.slot;
        expect(gap % INTERVAL_MS, c.path).toBe(0);
        expect(gap, c.path).toBeGreaterThanOrEqual(INTERVAL_MS);
        if (gap > INTERVAL_MS) {
          expect(
            checks[i - 1]!.started - checks[i - 1]!.slot,
            `${c.path}: gap ${gap} ms after an on-time check`,
          ).toBeGreaterThanOrEqual(gap - INTERVAL_MS);
        }
      }
      // Slots during the crash window were applied after the restart.
      expect(
        slots.some((slot) => slot > resultsKilledAt && slot < resultsRestartedAt),
        c.path,
      ).toBe(true);
      const keys = view.transitions.map((t) => `${t.to}@${t.at}`);
      expect(new Set(keys).size, c.path).toBe(keys.length);
    }
  });
});
