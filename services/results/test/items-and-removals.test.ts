import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REMOVAL_COLUMNS, createResultsHandler } from '@tdm/results';
import { BACKENDS, checkResult, openHarness, parseCsv, postReports, type Harness } from './support.js';

describe.each(BACKENDS)('items and removals ($name)', (backend) => {
  let h: Harness;
  const ids: Record<'a' | 'b' | 'c' | 'd', number> = { a: 0, b: 0, c: 0, d: 0 };

  beforeAll(async () => {
    h = await openHarness(backend);
    const answer = await postReports(h.app, [
      {
        url: 'https://example.org/a.jpg',
        reportId: 'a',
        source: 's',
        reportedAt: '2024-05-01T09:00:00Z',
        noticeSentAt: '2024-05-01T10:00:00Z',
      },
      { url: 'https://example.com/b.jpg', reportId: 'b', source: 's', reportedAt: '2024-05-01T23:00:00Z' },
      { url: 'https://example.net/c.jpg', reportId: 'c', source: 's', reportedAt: '2024-05-01T09:00:00Z' },
      { url: 'https://example.org/x,y.jpg', reportId: 'd', source: 's', reportedAt: '2024-05-02T09:00:00Z' },
    ]);
    ids.a = answer[0]!.itemId as number;
    ids.b = answer[1]!.itemId as number;
    ids.c = answer[2]!.itemId as number;
    ids.d = answer[3]!.itemId as number;
    const handle = createResultsHandler(h);
    const batch = [
      checkResult(ids.a, '2024-05-01T12:00:00Z', 'online'),
      checkResult(ids.a, '2024-05-01T13:00:00Z', 'offline', 'http_404'),
      checkResult(ids.a, '2024-05-01T14:00:00Z', 'offline', 'http_404'),
      checkResult(ids.b, '2024-05-02T00:00:00Z', 'offline', 'http_410'),
      checkResult(ids.b, '2024-05-02T01:00:00Z', 'offline', 'http_410'),
      checkResult(ids.c, '2024-05-01T12:00:00Z', 'online'),
      checkResult(ids.d, '2024-05-03T00:00:00Z', 'offline', 'http_404'),
      checkResult(ids.d, '2024-05-03T01:00:00Z', 'offline', 'http_404'),
    ];
    const applied = await handle(batch);
    expect(applied.every((r) => r.applied)).toBe(true);
    // The same batch again (a redelivery) changes nothing.
    const again = await handle(batch);
    expect(again.some((r) => r.applied || r.transitions.length > 0)).toBe(false);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('GET /v1/items/:id shows the removal timestamps and transitions', async () => {
    const response = await h.app.inject({ url: `/v1/items/${ids.a}` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      itemId: ids.a,
      state: 'offline',
      checks: 3,
      lastOnlineAt: '2024-05-01T12:00:02.000Z',
      offlineAt: '2024-05-01T13:00:02.000Z',
      offlineReason: 'http_404',
      timeToRemovalSeconds: 3 * 3600 + 2,
      transitions: [
        { from: 'pending', to: 'online', at: '2024-05-01T12:00:02.000Z' },
        { from: 'online', to: 'offline', at: '2024-05-01T13:00:02.000Z', reason: 'http_404' },
      ],
    });
  });

  it('GET /v1/items/:id/checks returns the check log, limited by ?limit', async () => {
    const response = await h.app.inject({ url: `/v1/items/${ids.a}/checks` });
    expect(response.statusCode).toBe(200);
    const checks = response.json<Array<Record<string, unknown>>>();
    expect(checks).toHaveLength(3);
    const bySlot = [...checks].sort((x, y) => String(x.scheduledAt).localeCompare(String(y.scheduledAt)));
    expect(bySlot[0]).toMatchObject({
      jobId: `${ids.a}@2024-05-01T12:00:00.000Z`,
      scheduledAt: '2024-05-01T12:00:00.000Z',
      startedAt: '2024-05-01T12:00:02.000Z',
      durationMs: 120,
      outcome: 'online',
      httpStatus: 200,
      ip: '127.0.0.1',
      sha256: 'a'.repeat(64),
      bytes: 2048,
    });
    expect(bySlot[1]).toMatchObject({ outcome: 'offline', reason: 'http_404', httpStatus: 404 });
    const limited = await h.app.inject({ url: `/v1/items/${ids.a}/checks?limit=1` });
    expect(limited.json()).toHaveLength(1);
    const bad = await h.app.inject({ url: `/v1/items/${ids.a}/checks?limit=0` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('TDM_ERR_BAD_REQUEST');
  });

  it('GET /v1/items answers 404 for an unknown item and 400 for a non-numeric id', async () => {
    for (const url of ['/v1/items/999999', '/v1/items/999999/checks']) {
      const response = await h.app.inject({ url });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({
        error: { code: 'TDM_ERR_NOT_FOUND', message: expect.stringContaining('999999') },
      });
    }
    for (const url of ['/v1/items/abc', '/v1/items/0', '/v1/items/1.5', '/v1/items/abc/checks']) {
      const response = await h.app.inject({ url });
      expect(response.statusCode, url).toBe(400);
      expect(response.json().error.code, url).toBe('TDM_ERR_ITEM_ID');
    }
  });

  it('GET /v1/removals (json) lists the confirmed removals oldest first, within since/until', async () => {
    const all = await h.app.inject({ url: '/v1/removals' });
    expect(all.statusCode).toBe(200);
    expect(all.headers['content-type']).toMatch(/^application\/json/);
    const rows = all.json<Array<Record<string, unknown>>>();
    expect(rows.map((r) => r.itemId)).toEqual([ids.a, ids.b, ids.d]);
    expect(Object.keys(rows[0]!)).toEqual([...REMOVAL_COLUMNS]);
    expect(rows[0]).toMatchObject({
      url: 'https://example.org/a.jpg',
      host: 'example.org',
      registrableDomain: 'example.org',
      reportedAt: '2024-05-01T09:00:00.000Z',
      noticeSentAt: '2024-05-01T10:00:00.000Z',
      lastOnlineAt: '2024-05-01T12:00:02.000Z',
      offlineAt: '2024-05-01T13:00:02.000Z',
      offlineReason: 'http_404',
      timeToRemovalSeconds: 10802,
    });
    // B has no notice time: time to removal counts from reportedAt (23:00 → 00:00:02).
    expect(rows[1]).toMatchObject({ noticeSentAt: null, lastOnlineAt: null, timeToRemovalSeconds: 3602 });

    const window = async (query: string): Promise<unknown[]> => {
      const response = await h.app.inject({ url: `/v1/removals?${query}` });
      expect(response.statusCode, query).toBe(200);
      return response.json<Array<{ itemId: number }>>().map((r) => r.itemId);
    };
    expect(await window('since=2024-05-02')).toEqual([ids.b, ids.d]);
    expect(await window('until=2024-05-02')).toEqual([ids.a]);
    expect(await window('since=2024-05-02T00:00:02Z&until=2024-05-03T00:00:00Z')).toEqual([ids.b]);
    expect(await window('since=2024-05-01T14:00:00Z&until=2024-05-02T00:00:02Z')).toEqual([]);
    expect(await window('since=2024-05-02T02:00:02%2B02:00')).toEqual([ids.b, ids.d]);
  });

  it('GET /v1/removals?format=ndjson streams one object per line', async () => {
    const response = await h.app.inject({ url: '/v1/removals?format=ndjson' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = response.body.split('\n');
    expect(lines.at(-1)).toBe('');
    const json = (await h.app.inject({ url: '/v1/removals' })).json();
    expect(lines.slice(0, -1).map((line) => JSON.parse(line))).toEqual(json);
  });

  it('GET /v1/removals?format=csv parses back to the same rows', async () => {
    const response = await h.app.inject({ url: '/v1/removals?format=csv' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    const [header, ...rows] = parseCsv(response.body);
    expect(header).toEqual([...REMOVAL_COLUMNS]);
    const json = (await h.app.inject({ url: '/v1/removals' })).json<Array<Record<string, unknown>>>();
    const expected = json.map((row) => REMOVAL_COLUMNS.map((c) => (row[c] === null ? '' : String(row[c]))));
    expect(rows).toEqual(expected);
    // The URL with a comma is quoted.
    expect(response.body).toContain('"https://example.org/x,y.jpg"');
  });

  it('GET /v1/removals refuses bad timestamps and formats with a code', async () => {
    for (const query of [
      'since=yesterday',
      'until=2024-13-45',
      'since=2024-05-01T10:00:00',
      'since=2024-05-03&until=2024-05-01',
      'since=2026-02-30',
      'since=2026-02-30T00:00:00Z',
      'since=May%201%202026',
      'until=2026-05-01T12:00:00',
      // Outside the years 1 to 9999 once the offset is applied: the store cannot hold them.
      'since=0000-01-01T00:00:00Z',
      'until=9999-12-31T23:59:59-23:59',
    ]) {
      const response = await h.app.inject({ url: `/v1/removals?${query}` });
      expect(response.statusCode, query).toBe(400);
      expect(response.json().error.code, query).toBe('TDM_ERR_TIMESTAMP');
    }
    const response = await h.app.inject({ url: '/v1/removals?format=xml' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('TDM_ERR_BAD_REQUEST');
  });

  it('counts applied results and transitions in the metrics', async () => {
    const text = await h.metrics.registry.metrics();
    expect(text).toMatch(/tdm_results_total\{applied="true"\} 8/);
    expect(text).toMatch(/tdm_results_total\{applied="false"\} 8/);
    expect(text).toMatch(/tdm_transitions_total\{from="online",to="offline",reason="http_404"\} 1/);
    expect(text).toMatch(/tdm_transitions_total\{from="pending",to="offline",reason="http_404"\} 1/);
    expect(text).toMatch(/tdm_transitions_total\{from="pending",to="offline",reason="http_410"\} 1/);
    expect(text).toMatch(/tdm_transitions_total\{from="pending",to="online",reason="none"\} 2/);
  });
});
