/**
 * `tdm up` on the embedded default (nats-server child process + PGlite under a temp
 * data folder) with the DEFAULT network policy: URLs that point at the loopback fixture,
 * by name and as IP literals in several spellings, are refused before any packet is
 * sent — the fixture sees zero connections — and the refusals are `error` checks that
 * never become removals.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBody, startFixtureWeb, type FixtureWeb } from '@tdm/fixture-web';
import { freePort } from '@tdm/test-helpers';
import type { CheckLogEntry, ItemView } from '@tdm/core';
import { startTdm, waitForHttp, type TdmProcess } from './tdm-process.js';

describe('tdm up with the default network policy', () => {
  let web: FixtureWeb;
  let up: TdmProcess;
  let dataDir: string;
  let api = '';
  const urls: string[] = [];
  const items: Array<{ view: ItemView; checks: CheckLogEntry[] }> = [];

  beforeAll(async () => {
    web = await startFixtureWeb({ addresses: ['127.0.0.1'] });
    web.set('victim.example.test', '/a.jpg', { kind: 'body', body: makeBody('a', 1000) });
    web.set('127.0.0.1', '/b.jpg', { kind: 'body', body: makeBody('b', 1000) });
    dataDir = mkdtempSync(path.join(tmpdir(), 'tdm-up-'));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    up = startTdm(['up'], {
      TDM_DATA_DIR: dataDir,
      NATS_URL: '',
      DATABASE_URL: '',
      TDM_LISTEN: `127.0.0.1:${port}`,
      TDM_CHECK_INTERVAL: '1s',
      TDM_HOST_MAP: 'victim.example.test=127.0.0.1',
      TDM_ALLOW_RANGES: '',
    });
    await waitForHttp(`${api}/readyz`, up, 60_000);
    urls.push(
      `http://victim.example.test:${web.port}/a.jpg`,
      `http://127.0.0.1:${web.port}/b.jpg`,
      `http://2130706433:${web.port}/b.jpg`,
      `http://0177.0.0.1:${web.port}/b.jpg`,
      `http://0x7f.1:${web.port}/b.jpg`,
      `http://127.1:${web.port}/b.jpg`,
      `http://[::ffff:127.0.0.1]:${web.port}/b.jpg`,
      `http://[::1]:${web.port}/b.jpg`,
    );
    const response = await fetch(`${api}/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(urls.map((url, i) => ({ url, reportId: `p${i}` }))),
    });
    expect(response.status).toBe(200);
    const answers = (await response.json()) as Array<{ itemId: number }>;
    const ids = [...new Set(answers.map((answer) => answer.itemId))];
    // Wait until every item has at least 3 checks (bounded).
    const deadline = Date.now() + 30_000;
    for (;;) {
      items.length = 0;
      for (const id of ids) {
        const view = (await (await fetch(`${api}/v1/items/${id}`)).json()) as ItemView;
        const checks = (await (await fetch(`${api}/v1/items/${id}/checks`)).json()) as CheckLogEntry[];
        items.push({ view, checks });
      }
      if (items.every((item) => item.checks.length >= 3) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }, 120_000);

  afterAll(async () => {
    await up?.stop();
    await web?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('normalises the IPv4 spellings to one item and refuses every address before connecting', () => {
    // 127.0.0.1, 2130706433, 0177.0.0.1, 0x7f.1 and 127.1 are one URL once normalised.
    expect(items.length).toBe(4);
    for (const { view, checks } of items) {
      expect(checks.length, view.url).toBeGreaterThanOrEqual(3);
      for (const check of checks) {
        expect(check.outcome, view.url).toBe('error');
        expect(check.reason, view.url).toBe('blocked');
      }
      expect(view.state, view.url).toBe('pending');
      expect(view.offlineAt).toBeNull();
    }
    expect(web.connections()).toBe(0);
    expect(web.requests()).toBe(0);
  });

  it('stops cleanly on SIGTERM', async () => {
    await up.stop();
    expect(up.child.exitCode).toBe(0);
  });
});
