/**
 * `tdm demo`: the whole system on one machine against a small web on loopback whose
 * pages disappear one by one; ends with the removal table and a check of every
 * timestamp against the true time of each change.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, type ItemView } from '@tdm/core';
import { startFixtureWeb } from '@tdm/fixture-web';
import type { Command } from '../command.js';
import { statsTable } from './stats.js';
import { demoScenario, DEMO_HOSTS, type DemoPage } from '../demo/scenario.js';
import { clock, renderTable } from '../demo/table.js';
import { configuredAdminToken } from '../access/admin-token.js';
import { apiClient } from '../access/api-client.js';
import { createRuntime } from '../runtime/runtime.js';
import {
  connectServiceBus,
  natsEndpoint,
  openConfiguredStore,
  startCrawlerService,
  startResultsService,
  startSchedulerService,
} from '../runtime/services.js';

const MAX_SECONDS = 90;
const MIN_SECONDS = 46;

interface Tracked {
  page: DemoPage;
  itemId: number;
  url: string;
  view: ItemView | null;
  seenTransitions: number;
}

function verdict(t: Tracked): { ok: boolean; note: string } {
  const view = t.view;
  if (view === null) return { ok: false, note: 'not found' };
  if (t.page.expectedReason === null) {
    const ok = view.state === 'online';
    return {
      ok,
      note: ok ? `online, ${view.transitions.length} transitions` : `expected online, is ${view.state}`,
    };
  }
  if (view.state !== 'offline' || view.offlineAt === null)
    return { ok: false, note: `not confirmed offline (${view.state})` };
  const changed = t.page.changedAt?.getTime() ?? NaN;
  const bracketed =
    (view.lastOnlineAt === null || Date.parse(view.lastOnlineAt) <= changed) &&
    changed <= Date.parse(view.offlineAt);
  const reasonOk = view.offlineReason === t.page.expectedReason;
  const notes = [bracketed ? 'lastOnline ≤ removal ≤ offlineAt' : 'timestamps do not bracket the removal'];
  if (!reasonOk) notes.push(`expected ${t.page.expectedReason}`);
  return { ok: bracketed && reasonOk, note: notes.join('; ') };
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run everything against a small loopback web whose pages disappear (about a minute)',
  help: `Usage: tdm demo

Starts a small web on 127.0.0.1 and 127.0.0.2 with 12 pages on three made-up hosts
(resolved through a static host map, never through DNS), imports them as reports
through the API, and runs scheduler, crawler and results service with a 2-second grid
on the embedded default (a nats-server child process and PGlite under
<TDM_DATA_DIR>/demo, wiped first; NATS_URL and DATABASE_URL are used when set).
Pages then disappear one by one — 404, 410, 451, a refused connection, a changed
body, a placeholder redirect — while a flaky page answers 503 for a while (it must not
count) and one is deleted and restored (a reappearance). Prints progress, then the
removal table, the statistics per hoster, and writes the ranking report to
<TDM_DATA_DIR>/demo/report.html. Exit code 0 when every verdict matches what really happened.`,
  options: {},
  async run({ stdout }) {
    const base = loadConfig();
    const dataDir = path.join(base.dataDir, 'demo');
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    // Attribution for the statistics: the operator's own hoster table, one name per address.
    const hosterFile = path.join(dataDir, 'hosters.csv');
    writeFileSync(hosterFile, '127.0.0.1/32,Loopback Hosting One\n127.0.0.2/32,Loopback Hosting Two\n');
    const reportFile = path.join(dataDir, 'report.html');
    const web = await startFixtureWeb({ addresses: ['127.0.0.1', '127.0.0.2'] });
    const scenario = demoScenario();
    scenario.install(web);
    const rt = createRuntime('demo', {
      overrides: {
        dataDir,
        listen: '127.0.0.1:0',
        checkInterval: '2s',
        offlineRecheckInterval: '2s',
        confirmDefinitive: 2,
        confirmTransient: 4,
        confirmTransientMinSpan: '10s',
        confirmRecheckDelay: '0',
        connectTimeout: '2s',
        headersTimeout: '3s',
        checkTimeout: '5s',
        hostMap: Object.entries(DEMO_HOSTS)
          .map(([host, address]) => `${host}=${address}`)
          .join(','),
        allowRanges: '127.0.0.0/8',
        hosterFile,
        // A demo-sized deadline: the statistics and the report judge removals against it.
        deadline: '20s',
        domainRate: 50,
        logLevel: process.env['TDM_LOG_LEVEL'] ?? 'warn',
      },
    });
    const write = (text: string): void => void stdout.write(text);
    let tracked: Tracked[] = [];
    let allGood = false;
    let statistics = '';
    try {
      const store = await openConfiguredStore(rt);
      const nats = await natsEndpoint(rt, true);
      const results = await startResultsService(rt, store, await connectServiceBus(rt, nats, 'results'));
      await startSchedulerService(rt, store, await connectServiceBus(rt, nats, 'scheduler'));
      startCrawlerService(rt, await connectServiceBus(rt, nats, 'crawler'), 0);

      const start = new Date();
      const reports = scenario.pages.map((p, index) => ({
        url: `http://${p.host}:${web.port}${p.path}`,
        reportId: `demo-${index + 1}`,
        source: 'demo',
        noticeSentAt: start.toISOString(),
        sha256: p.sha256,
      }));
      // The demo is a client like any other: it posts with the bootstrap admin token that
      // the results service has just written to <dataDir>/admin.token.
      const token =
        configuredAdminToken(rt.config) ??
        (results.adminTokenFile === null ? undefined : readFileSync(results.adminTokenFile, 'utf8').trim());
      const api = apiClient(results.baseUrl, token);
      const response = await api.request('POST', '/v1/reports', {
        type: 'application/json',
        text: JSON.stringify(reports),
      });
      const answers = (await response.json()) as Array<{ itemId: number }>;
      tracked = scenario.pages.map((page, index) => ({
        page,
        itemId: answers[index]?.itemId ?? -1,
        url: reports[index]?.url ?? '',
        view: null,
        seenTransitions: 0,
      }));
      write(
        `tdm demo: ${reports.length} reports posted to ${results.baseUrl}/v1/reports; store ${store.kind}; grid 2 s; ` +
          `definitive removals confirm after 2 checks, transient ones after 4 checks over ≥ 10 s\n`,
      );
      if (rt.config.auth && results.adminTokenFile !== null) {
        write(
          `tdm demo: API token in ${results.adminTokenFile}; while the demo runs: ` +
            `curl -H "Authorization: Bearer $(cat ${results.adminTokenFile})" ${results.baseUrl}/v1/removals?format=csv\n`,
        );
      }
      write('\n');

      const pendingSteps = [...scenario.steps];
      let nextProgress = 0;
      for (;;) {
        const elapsed = (Date.now() - start.getTime()) / 1000;
        while (pendingSteps.length > 0 && (pendingSteps[0]?.atSeconds ?? Infinity) <= elapsed) {
          const step = pendingSteps.shift()!;
          await step.apply(web);
          const now = new Date();
          for (const p of step.pages) {
            p.changedAt ??= now;
            write(`[${elapsed.toFixed(0).padStart(3)} s] change: ${p.host}${p.path} — ${p.story}\n`);
          }
        }
        for (const t of tracked) {
          t.view = await store.getItem(t.itemId);
          const transitions = t.view?.transitions ?? [];
          for (const tr of transitions.slice(t.seenTransitions)) {
            const reason = tr.reason ? ` (${tr.reason})` : '';
            write(
              `[${elapsed.toFixed(0).padStart(3)} s]   seen: ${t.page.host}${t.page.path} ${tr.from} → ${tr.to}${reason}, at ${clock(tr.at)}\n`,
            );
          }
          t.seenTransitions = transitions.length;
        }
        if (elapsed >= nextProgress) {
          const counts = await store.countItemsByState();
          const checks = tracked.reduce((sum, t) => sum + (t.view?.checks ?? 0), 0);
          write(
            `[${elapsed.toFixed(0).padStart(3)} s] ${checks} checks · online ${counts.online} · offline ${counts.offline} · pending ${counts.pending}\n`,
          );
          nextProgress += 5;
        }
        allGood = tracked.every((t) => verdict(t).ok);
        if ((allGood && elapsed >= MIN_SECONDS && pendingSteps.length === 0) || elapsed >= MAX_SECONDS) break;
        await sleep(250);
      }
      // The analysts' side, through the API as `tdm stats` and `tdm report` use it.
      const stats = await (
        await api.request('GET', '/v1/stats/removals?groupBy=hoster&within=10s,20s,30s')
      ).text();
      statistics = statsTable(JSON.parse(stats) as Parameters<typeof statsTable>[0], 'hoster');
      writeFileSync(reportFile, await (await api.request('GET', '/v1/report.html?groupBy=hoster')).text());
    } finally {
      await rt.lifecycle.stop();
      await web.close();
    }

    const removed = tracked.filter((t) => t.page.expectedReason !== null);
    write('\nRemovals (times UTC; notice sent at the start of the demo):\n\n');
    write(
      renderTable(
        ['URL', 'reason', 'last seen online', 'removed (true)', 'offline at', 'time to removal', 'verdict'],
        removed.map((t) => {
          const v = t.view;
          const check = verdict(t);
          return [
            t.url,
            v?.offlineReason ?? '—',
            clock(v?.lastOnlineAt ?? null),
            clock(t.page.changedAt?.toISOString() ?? null),
            clock(v?.offlineAt ?? null),
            v?.timeToRemovalSeconds === null || v === null ? '—' : `${v.timeToRemovalSeconds} s`,
            `${check.ok ? 'ok' : 'WRONG'}: ${check.note}`,
          ];
        }),
      ),
    );
    write('\nNot removed (must stay online):\n\n');
    write(
      renderTable(
        ['URL', 'what happened', 'state', 'checks', 'verdict'],
        tracked
          .filter((t) => t.page.expectedReason === null)
          .map((t) => {
            const check = verdict(t);
            return [
              t.url,
              t.page.story,
              t.view?.state ?? '—',
              String(t.view?.checks ?? 0),
              `${check.ok ? 'ok' : 'WRONG'}: ${check.note}`,
            ];
          }),
      ),
    );
    if (statistics !== '') {
      write('\nPer hoster (Kaplan–Meier; deadline 20 s; see docs/analysis.md):\n\n');
      write(statistics);
      write(`\nThe ranking report: ${reportFile}\n`);
    }
    write(
      allGood
        ? '\nEvery verdict matches what really happened.\n'
        : '\nSome verdicts do not match (see WRONG above).\n',
    );
    return allGood ? 0 : 1;
  },
};
