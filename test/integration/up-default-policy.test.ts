/**
 * `tdm up` on the embedded default (nats-server child process + PGlite under a temp
 * data folder) with the DEFAULT network policy: URLs that point at the loopback fixture,
 * by name and as IP literals in several spellings, are refused before any packet is
 * sent — the fixture sees zero connections — and the refusals are `error` checks that
 * never become removals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBody, startFixtureWeb, type FixtureWeb } from '@tdm/fixture-web';
import { getJson, pollUntil, startTdmUp, submitReports, type TdmUp } from '@tdm/test-helpers';
import type { CheckLogEntry, ItemView } from '@tdm/core';

describe('tdm up with the default network policy', () => {
  let web: FixtureWeb;
  let up: TdmUp;
  const urls: string[] = [];
  const items: Array<{ view: ItemView; checks: CheckLogEntry[] }> = [];

  beforeAll(async () => {
    web = await startFixtureWeb({ addresses: ['127.0.0.1'] });
    web.set('victim.example.test', '/a.jpg', { kind: 'body', body: makeBody('a', 1000) });
    web.set('127.0.0.1', '/b.jpg', { kind: 'body', body: makeBody('b', 1000) });
    up = await startTdmUp({
      TDM_CHECK_INTERVAL: '1s',
      TDM_HOST_MAP: 'victim.example.test=127.0.0.1',
      TDM_ALLOW_RANGES: '',
    });
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
    const answers = await submitReports(
      up.api,
      urls.map((url, i) => ({ url, reportId: `p${i}` })),
    );
    const ids = [...new Set(answers.map((answer) => answer.itemId))];
    // Wait until every item has at least 3 checks (bounded).
    const last = await pollUntil(
      async () => {
        const read: typeof items = [];
        for (const id of ids) {
          const view = await getJson<ItemView>(`${up.api}/v1/items/${id}`);
          const checks = await getJson<CheckLogEntry[]>(`${up.api}/v1/items/${id}/checks`);
          read.push({ view, checks });
        }
        return read;
      },
      (read) => read.every((item) => item.checks.length >= 3),
      { timeoutMs: 30_000, intervalMs: 300 },
    );
    items.push(...last);
  }, 120_000);

  afterAll(async () => {
    await up?.close();
    await web?.close();
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
    await up.proc.stop();
    expect(up.proc.child.exitCode).toBe(0);
  });
});
