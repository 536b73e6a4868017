/**
 * Reports written by an attacker (issue 8 §6): strings the database cannot hold, a new
 * report that would move a confirmed removal's notice time, a known (source, reportId)
 * naming another URL. Each is that report's error; the rest of the batch is kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfirmationPolicy, ItemView } from '@tdm/core';
import { BACKENDS, checkResult, openHarness, type Harness, type ReportAnswer } from './support.js';

const POLICY: ConfirmationPolicy = {
  confirmDefinitive: 2,
  confirmTransient: 4,
  confirmTransientMinSpanMs: 0,
};

describe.each(BACKENDS)('hostile reports ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(backend, { now: () => new Date('2024-05-01T12:00:00.000Z') });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function itemCount(): Promise<number> {
    const counts = await h.store.countItemsByState();
    return counts.pending + counts.online + counts.offline;
  }

  async function post(batch: unknown[]): Promise<{ status: number; answers: ReportAnswer[] }> {
    const response = await h.app.inject({ method: 'POST', url: '/v1/reports', payload: batch });
    return { status: response.statusCode, answers: response.statusCode === 200 ? response.json() : [] };
  }

  it('rejects NUL and lone surrogates per report and keeps the rest of the batch', async () => {
    const bad: Array<[string, Record<string, unknown>]> = [
      ['reportId', { reportId: 'nul-\u0000-id' }],
      ['source', { reportId: 'nul-src', source: 'hot\u0000line' }],
      ['labels', { reportId: 'nul-label', labels: { case: 'a\u0000b' } }],
      ['labels', { reportId: 'nul-label-key', labels: { 'k\u0000': 'v' } }],
      ['reportId', { reportId: 'lone-\ud800' }],
      ['source', { reportId: 'lone-src', source: 'x\udfff' }],
      ['labels', { reportId: 'lone-label', labels: { case: '\udc00' } }],
    ];
    const batch = [
      { url: 'https://text.example/good-1.jpg', reportId: 'text-good-1' },
      ...bad.map(([, fields], i) => ({ url: `https://text.example/bad-${i}.jpg`, ...fields })),
      { url: 'https://text.example/good-2.jpg', reportId: 'text-good-2', labels: { note: 'zürich ✓ 🎉' } },
    ];
    const { status, answers } = await post(batch);
    expect(status).toBe(200);
    expect(answers[0]).toMatchObject({ reportId: 'text-good-1', created: true });
    expect(answers.at(-1)).toMatchObject({ reportId: 'text-good-2', created: true });
    bad.forEach(([field], i) => {
      expect(answers[i + 1]?.error, JSON.stringify(bad[i])).toMatchObject({ code: 'TDM_ERR_TEXT', field });
    });
    const kept = answers.at(-1)?.itemId as number;
    const item = (await h.app.inject({ url: `/v1/items/${kept}` })).json<ItemView>();
    expect(item.url).toBe('https://text.example/good-2.jpg');
  });

  it('rejects a report with a prototype key alone and keeps the rest of the batch', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/v1/reports',
      headers: { 'content-type': 'application/json' },
      payload:
        '[{"url":"https://proto.example/a","__proto__":{"x":1}},{"url":"https://proto.example/b","constructor":{}},' +
        '{"url":"https://proto.example/c","labels":{"__proto__":"kept as a plain key"}}]',
    });
    expect(response.statusCode).toBe(200);
    const answers = response.json<ReportAnswer[]>();
    expect(answers[0]?.error).toMatchObject({ code: 'TDM_ERR_FIELD', field: '__proto__' });
    expect(answers[1]?.error).toMatchObject({ code: 'TDM_ERR_FIELD', field: 'constructor' });
    expect(answers[2]).toMatchObject({ created: true });
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('does not move the notice time of an item whose removal is confirmed', async () => {
    const url = 'https://history.example/removed.jpg';
    const [first] = (
      await post([{ url, reportId: 'h-1', source: 'hotline', noticeSentAt: '2024-05-01T10:00:00Z' }])
    ).answers;
    const itemId = first?.itemId as number;
    await h.store.applyResults(
      [
        checkResult(itemId, '2024-05-01T10:30:00Z', 'online'),
        checkResult(itemId, '2024-05-01T11:07:00Z', 'offline', 'http_404'),
        checkResult(itemId, '2024-05-01T11:08:00Z', 'offline', 'http_404'),
      ],
      { policy: POLICY, confirmRecheckDelayMs: 0, checkLog: false },
    );
    const before = (await h.app.inject({ url: `/v1/items/${itemId}` })).json<ItemView>();
    expect(before.state).toBe('offline');
    expect(before.timeToRemovalSeconds).toBe(4022);

    const { answers } = await post([
      {
        url,
        reportId: 'h-2',
        source: 'attacker',
        noticeSentAt: '1970-01-01T00:00:00Z',
        reportedAt: '1970-01-01T00:00:00Z',
      },
    ]);
    expect(answers[0]).toMatchObject({ itemId, created: true });
    const after = (await h.app.inject({ url: `/v1/items/${itemId}` })).json<ItemView>();
    expect(after.noticeSentAt).toBe(before.noticeSentAt);
    expect(after.reportedAt).toBe(before.reportedAt);
    expect(after.timeToRemovalSeconds).toBe(4022);
    const removals = (await h.app.inject({ url: '/v1/removals?format=json' })).json<
      Array<Record<string, unknown>>
    >();
    expect(removals.find((row) => row['itemId'] === itemId)?.['timeToRemovalSeconds']).toBe(4022);
  });

  it('an earlier notice still moves the notice time while the removal is not confirmed', async () => {
    const url = 'https://history.example/open.jpg';
    const [a] = (await post([{ url, reportId: 'o-1', noticeSentAt: '2024-05-01T10:00:00Z' }])).answers;
    await post([{ url, reportId: 'o-2', noticeSentAt: '2024-05-01T09:00:00Z' }]);
    const item = (await h.app.inject({ url: `/v1/items/${a?.itemId}` })).json<ItemView>();
    expect(item.noticeSentAt).toBe('2024-05-01T09:00:00.000Z');
  });

  it('answers a known (source, reportId) that names another URL with a conflict error', async () => {
    const [original] = (await post([{ url: 'https://conflict.example/a.jpg', reportId: 'c-1', source: 's' }]))
      .answers;
    const itemsBefore = await itemCount();
    const { status, answers } = await post([
      { url: 'https://conflict.example/a.jpg', reportId: 'c-1', source: 's' },
      { url: 'https://conflict.example/OTHER.jpg', reportId: 'c-1', source: 's' },
      { url: 'https://conflict.example/new.jpg', reportId: 'c-2', source: 's' },
      { url: 'https://conflict.example/new-other.jpg', reportId: 'c-2', source: 's' },
    ]);
    expect(status).toBe(200);
    expect(answers[0]).toEqual({ reportId: 'c-1', itemId: original?.itemId, created: false });
    expect(answers[1]).toMatchObject({
      index: 1,
      error: { code: 'TDM_ERR_REPORT_CONFLICT', field: 'reportId' },
    });
    expect(answers[2]).toMatchObject({ reportId: 'c-2', created: true });
    // The second c-2 of the same batch names another URL than the first: a conflict too.
    expect(answers[3]).toMatchObject({
      index: 3,
      error: { code: 'TDM_ERR_REPORT_CONFLICT', field: 'reportId' },
    });
    // The conflicting URLs did not become items: only new.jpg did.
    expect(await itemCount()).toBe(itemsBefore + 1);
  });
});

describe('PATCH /v1/items/{itemId}: an admin correction keeps the old value', () => {
  it('moves the notice time and records what it replaced', async () => {
    const h = await openHarness(BACKENDS[0] as (typeof BACKENDS)[number]);
    try {
      const response = await h.app.inject({
        method: 'POST',
        url: '/v1/reports',
        payload: [{ url: 'https://fix.example/a.jpg', noticeSentAt: '2024-05-01T10:00:00Z' }],
      });
      const itemId = response.json<ReportAnswer[]>()[0]?.itemId as number;
      const patched = await h.app.inject({
        method: 'PATCH',
        url: `/v1/items/${itemId}`,
        payload: { noticeSentAt: '2024-05-01T09:30:00Z', reason: 'notice log of the hotline, ticket 42' },
      });
      expect(patched.statusCode).toBe(200);
      expect(patched.json<ItemView>().noticeSentAt).toBe('2024-05-01T09:30:00.000Z');
      expect(await h.store.listCorrections(itemId)).toEqual([
        {
          field: 'noticeSentAt',
          oldValue: '2024-05-01T10:00:00.000Z',
          newValue: '2024-05-01T09:30:00.000Z',
          reason: 'notice log of the hotline, ticket 42',
          correctedBy: null,
          correctedAt: expect.any(String),
        },
      ]);
      const bad = await h.app.inject({
        method: 'PATCH',
        url: `/v1/items/${itemId}`,
        payload: { noticeSentAt: 'yesterday', reason: 'x' },
      });
      expect(bad.json()).toMatchObject({ error: { code: 'TDM_ERR_TIMESTAMP' } });
      const missing = await h.app.inject({
        method: 'PATCH',
        url: '/v1/items/999999',
        payload: { noticeSentAt: null, reason: 'x' },
      });
      expect(missing.statusCode).toBe(404);
    } finally {
      await h.close();
    }
  });
});
