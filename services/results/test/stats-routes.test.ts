import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResultsHandler } from '@tdm/results';
import { BACKENDS, checkResult, openHarness, parseCsv, postReports, type Harness } from './support.js';

const NOW = new Date('2024-05-03T00:00:00Z');

describe.each(BACKENDS)('statistics, survival and overdue routes ($name)', (backend) => {
  let h: Harness;
  const ids: number[] = [];

  beforeAll(async () => {
    h = await openHarness(backend, { now: () => NOW });
    const notice = '2024-05-01T10:00:00Z';
    const answer = await postReports(h.app, [
      { url: 'https://a.example/1.jpg', reportId: '1', noticeSentAt: notice },
      { url: 'https://a.example/2.jpg', reportId: '2', noticeSentAt: notice, deadline: '1h' },
      { url: 'https://b.example/3.jpg', reportId: '3', noticeSentAt: notice },
      { url: 'https://b.example/4.jpg', reportId: '4', noticeSentAt: notice },
      { url: 'https://c.example/5.jpg', reportId: '5', noticeSentAt: '2024-06-01T10:00:00Z' },
    ]);
    ids.push(...answer.map((a) => a['itemId'] as number));
    const handle = createResultsHandler(h);
    await handle([
      // 1: removed 2 h after the notice (met), 2: removed 3 h after (missed: its deadline is 1 h).
      checkResult(ids[0]!, '2024-05-01T11:00:00Z', 'online'),
      checkResult(ids[0]!, '2024-05-01T12:00:00Z', 'offline', 'http_404'),
      checkResult(ids[0]!, '2024-05-01T12:30:00Z', 'offline', 'http_404'),
      checkResult(ids[1]!, '2024-05-01T11:00:00Z', 'online'),
      checkResult(ids[1]!, '2024-05-01T13:00:00Z', 'offline', 'http_404'),
      checkResult(ids[1]!, '2024-05-01T13:30:00Z', 'offline', 'http_404'),
      // 3: still online (overdue by now); 4: gone at its first check.
      checkResult(ids[2]!, '2024-05-01T11:00:00Z', 'online'),
      checkResult(ids[3]!, '2024-05-01T11:00:00Z', 'offline', 'http_410'),
      checkResult(ids[3]!, '2024-05-01T11:30:00Z', 'offline', 'http_410'),
    ]);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('GET /v1/stats/removals answers the documented shape per registrable domain', async () => {
    const response = await h.app.inject({
      url: '/v1/stats/removals?groupBy=registrableDomain&within=1h,150m,24h&noticeUntil=2024-05-02T00:00:00%2B02:00',
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      groupBy: 'registrableDomain',
      within: ['1h', '150m', '24h'],
      noticeSince: null,
      noticeUntil: '2024-05-01T22:00:00.000Z',
    });
    expect(body.groups).toHaveLength(2);
    const [a, b] = body.groups;
    expect(a).toMatchObject({
      key: 'a.example',
      items: 2,
      removed: 2,
      open: 0,
      reappeared: 0,
      goneBeforeFirstCheck: 0,
      removedWithin: { '1h': 0, '150m': 0.5, '24h': 1 },
      // Last seen online 1 h 2 s after the notice: by then both were still up.
      removedWithinBounds: { '1h': [0, 0], '150m': [0.5, 1], '24h': [1, 1] },
      medianSeconds: 2 * 3600 + 2,
      p90Seconds: 3 * 3600 + 2,
      deadline: { met: 1, missed: 1, open: 0, overdue: 0 },
    });
    expect(b).toMatchObject({
      key: 'b.example',
      items: 2,
      removed: 0,
      open: 1,
      goneBeforeFirstCheck: 1,
      removedWithin: { '24h': 0 },
      medianSeconds: null,
      medianCi95: [null, null],
      deadline: { met: 1, missed: 0, open: 0, overdue: 1 },
    });
  });

  it('answers csv with one row per group', async () => {
    const response = await h.app.inject({
      url: '/v1/stats/removals?groupBy=registrableDomain&within=24h&format=csv',
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    const rows = parseCsv(response.body);
    expect(rows[0]?.slice(0, 3)).toEqual(['registrableDomain', 'items', 'removed']);
    expect(rows.slice(1).map((row) => row[0])).toEqual(['a.example', 'b.example', 'c.example']);
  });

  it('an empty window is empty groups, not an error', async () => {
    const response = await h.app.inject({ url: '/v1/stats/removals?noticeSince=2030-01-01' });
    expect(response.statusCode).toBe(200);
    expect(response.json().groups).toEqual([]);
  });

  it.each([
    ['groupBy=colour', 'TDM_ERR_GROUP_BY'],
    ['groupBy=hoster,asn,country', 'TDM_ERR_GROUP_BY'],
    ['within=soon', 'TDM_ERR_DURATION'],
    ['within=0s', 'TDM_ERR_DURATION'],
    ['noticeSince=2024-05-01T10:00:00', 'TDM_ERR_TIMESTAMP'],
    ['noticeSince=2024-05-02&noticeUntil=2024-05-01', 'TDM_ERR_TIMESTAMP'],
  ])('rejects %s with %s', async (query, code) => {
    const response = await h.app.inject({ url: `/v1/stats/removals?${query}` });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe(code);
    const survival = await h.app.inject({ url: `/v1/stats/survival?${query}` });
    if (!query.startsWith('within')) expect(survival.json().error.code).toBe(code);
  });

  it('GET /v1/stats/survival gives the curve points per group', async () => {
    const response = await h.app.inject({ url: '/v1/stats/survival?groupBy=registrableDomain' });
    expect(response.statusCode).toBe(200);
    const groups = response.json().groups as Array<{ key: string; points: Array<Record<string, number>> }>;
    expect(groups[0]).toEqual({
      key: 'a.example',
      points: [
        expect.objectContaining({ time: 7202, atRisk: 2, events: 1, censored: 0, survival: 0.5 }),
        expect.objectContaining({
          time: 10802,
          atRisk: 1,
          events: 1,
          censored: 0,
          survival: 0,
          low: 0,
          high: 0,
        }),
      ],
    });
  });

  it('GET /v1/overdue lists the items online past their deadline, with the overrun', async () => {
    const response = await h.app.inject({ url: '/v1/overdue' });
    expect(response.statusCode).toBe(200);
    const rows = response.json() as Array<Record<string, unknown>>;
    expect(rows.map((row) => row['itemId'])).toEqual([ids[2]]);
    // Deadline 2024-05-02T10:00Z, now 2024-05-03T00:00Z.
    expect(rows[0]).toMatchObject({ deadlineAt: '2024-05-02T10:00:00.000Z', overrunSeconds: 14 * 3600 });
    const csv = await h.app.inject({ url: '/v1/overdue?format=csv' });
    expect(parseCsv(csv.body)[0]).toContain('overrunSeconds');
  });

  it('GET /v1/items/:id carries the deadline fields', async () => {
    const missed = (await h.app.inject({ url: `/v1/items/${ids[1]}` })).json();
    expect(missed).toMatchObject({
      deadlineAt: '2024-05-01T11:00:00.000Z',
      deadlineState: 'missed',
      overrunSeconds: 2 * 3600 + 2,
      goneBeforeFirstCheck: false,
    });
    const gone = (await h.app.inject({ url: `/v1/items/${ids[3]}` })).json();
    expect(gone).toMatchObject({ goneBeforeFirstCheck: true, deadlineState: 'met' });
  });

  it('GET /v1/report.html is the ranking page without any URL', async () => {
    const response = await h.app.inject({ url: '/v1/report.html?groupBy=registrableDomain' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    const rows = [...response.body.matchAll(/<tr data-key="([^"]+)"/g)].map((m) => m[1]);
    // a.example: all removed within 24 h (100%); b.example and c.example: none (0%).
    expect(rows).toEqual(['a.example', 'b.example', 'c.example']);
    expect(response.body).not.toMatch(/https?:|\.jpg/);
    const bad = await h.app.inject({ url: '/v1/report.html?groupBy=colour' });
    expect(bad.json().error.code).toBe('TDM_ERR_GROUP_BY');
  });
});
