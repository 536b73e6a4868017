import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, openHarness, postReports, type Harness, type ReportAnswer } from './support.js';

describe.each(BACKENDS)('POST /v1/reports ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(backend, {
      maxReportsPerRequest: 50,
      now: () => new Date('2024-05-01T12:00:00.000Z'),
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('keeps the good reports of a batch and rejects each bad one with its code and field', async () => {
    const batch = [
      { url: 'https://www.example.org/a.jpg', reportId: 'good-1', source: 'hotline' },
      { url: 'not a url', reportId: 'bad-1', source: 'hotline' },
      { url: 'ftp://example.org/b.jpg', reportId: 'bad-2', source: 'hotline' },
      { url: 'https://example.org/' + 'x'.repeat(10 * 1024), reportId: 'bad-3', source: 'hotline' },
      { url: 'https://example.org/c.jpg', reportId: 'bad-4', source: 'hotline', reportedAt: 'yesterday' },
      { url: 'https://example.org/d.jpg', reportId: 'bad-5', source: 'hotline', sha256: 'abc' },
      {
        url: 'https://EXAMPLE.com:443/e.jpg#frag',
        reportId: 'good-2',
        source: 'hotline',
        noticeSentAt: '2024-05-01T10:00:00Z',
        sha256: 'b'.repeat(64),
      },
    ];
    const response = await h.app.inject({ method: 'POST', url: '/v1/reports', payload: batch });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-tdm-accepted']).toBe('2');
    expect(response.headers['x-tdm-rejected']).toBe('5');
    const answer = response.json<ReportAnswer[]>();
    expect(answer).toHaveLength(7);

    expect(answer[0]).toEqual({ reportId: 'good-1', itemId: expect.any(Number), created: true });
    expect(answer[6]).toEqual({ reportId: 'good-2', itemId: expect.any(Number), created: true });
    expect(answer[6]!.itemId).not.toBe(answer[0]!.itemId);

    const rejected = answer.slice(1, 6).map((a) => [a.index, a.error?.code, a.error?.field]);
    expect(rejected).toEqual([
      [1, 'TDM_ERR_URL_INVALID', 'url'],
      [2, 'TDM_ERR_URL_SCHEME', 'url'],
      [3, 'TDM_ERR_URL_TOO_LONG', 'url'],
      [4, 'TDM_ERR_TIMESTAMP', 'reportedAt'],
      [5, 'TDM_ERR_HASH', 'sha256'],
    ]);
    for (const a of answer.slice(1, 6)) expect(a.error?.message).toEqual(expect.any(String));

    // The kept ones are retrievable, normalised, with the given and the defaulted times.
    const item = (await h.app.inject({ url: `/v1/items/${answer[6]!.itemId}` })).json();
    expect(item).toMatchObject({
      itemId: answer[6]!.itemId,
      url: 'https://example.com/e.jpg',
      host: 'example.com',
      registrableDomain: 'example.com',
      state: 'pending',
      noticeSentAt: '2024-05-01T10:00:00.000Z',
      reportedAt: '2024-05-01T12:00:00.000Z',
      checks: 0,
      offlineAt: null,
      transitions: [],
    });
    const first = (await h.app.inject({ url: `/v1/items/${answer[0]!.itemId}` })).json();
    expect(first.url).toBe('https://www.example.org/a.jpg');

    const metrics = await h.metrics.registry.getSingleMetricAsString('tdm_reports_total');
    expect(metrics).toMatch(/tdm_reports_total\{result="created"\} 2/);
    expect(metrics).toMatch(/tdm_reports_total\{result="rejected"\} 5/);
  });

  it('rejects per report the timestamps the store cannot hold or that are not real dates', async () => {
    const times = ['0000-01-01T00:00:00Z', '9999-12-31T23:59:59-23:59', '2026-02-30T00:00:00Z', 'May 1 2026'];
    const batch = times.map((noticeSentAt, i) => ({ url: `https://example.com/t${i}.jpg`, noticeSentAt }));
    const response = await h.app.inject({ method: 'POST', url: '/v1/reports', payload: batch });
    expect(response.statusCode).toBe(200);
    const answer = response.json<ReportAnswer[]>();
    expect(answer.map((a) => [a.error?.code, a.error?.field])).toEqual(
      times.map(() => ['TDM_ERR_TIMESTAMP', 'noticeSentAt']),
    );
  });

  it('is idempotent on (source, reportId): a repeat answers created=false and the same item', async () => {
    const report = { url: 'https://example.net/idem.jpg', reportId: 'idem-1', source: 'hotline' };
    const [first] = await postReports(h.app, [report]);
    const [second] = await postReports(h.app, [report]);
    expect(first).toMatchObject({ reportId: 'idem-1', created: true });
    expect(second).toEqual({ reportId: 'idem-1', itemId: first!.itemId, created: false });
    // Another source with the same reportId is another report (of the same URL: same item).
    const [other] = await postReports(h.app, [{ ...report, source: 'other-hotline' }]);
    expect(other).toEqual({ reportId: 'idem-1', itemId: first!.itemId, created: true });
    const metrics = await h.metrics.registry.getSingleMetricAsString('tdm_reports_total');
    expect(metrics).toMatch(/tdm_reports_total\{result="duplicate"\} 1/);
  });

  it("parses NDJSON line by line: a broken line is that report's error only", async () => {
    const body = [
      JSON.stringify({ url: 'https://example.org/nd-1.jpg', reportId: 'nd-1', source: 'bulk' }),
      '{"url": "https://example.org/nd-2.jpg", "reportId": ', // cut off
      '',
      JSON.stringify({ url: 'https://example.org/nd-3.jpg', reportId: 'nd-3', source: 'bulk' }),
      '"just a string"',
      '',
    ].join('\r\n');
    const response = await h.app.inject({
      method: 'POST',
      url: '/v1/reports',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: body,
    });
    expect(response.statusCode).toBe(200);
    const answer = response.json<ReportAnswer[]>();
    expect(answer).toHaveLength(4);
    expect(answer[0]).toMatchObject({ reportId: 'nd-1', created: true });
    expect(answer[1]).toMatchObject({
      index: 1,
      line: 2,
      error: { code: 'TDM_ERR_NDJSON_LINE', field: 'report' },
    });
    expect(answer[1]?.error?.message).toContain('line 2');
    expect(answer[2]).toMatchObject({ reportId: 'nd-3', created: true });
    expect(answer[3]).toMatchObject({ index: 3, line: 5, error: { code: 'TDM_ERR_FIELD', field: 'report' } });
    expect(response.headers['x-tdm-rejected']).toBe('2');
  });

  it('refuses a body that is not an array, not JSON, empty, oversized or of another type', async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ payload: { url: 'https://example.org/' } }, 400, 'TDM_ERR_BODY_NOT_ARRAY'],
      [
        { payload: '[{"url": ', headers: { 'content-type': 'application/json' } },
        400,
        'TDM_ERR_BODY_INVALID',
      ],
      [{ payload: '', headers: { 'content-type': 'application/json' } }, 400, 'TDM_ERR_BODY_INVALID'],
      [
        {
          // A prototype key in a body that is no batch (in a batch it is that report's error).
          payload: '{"url": "https://example.org/", "__proto__": {"x": 1}}',
          headers: { 'content-type': 'application/json' },
        },
        400,
        'TDM_ERR_BODY_INVALID',
      ],
      [
        { payload: 'url=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        415,
        'TDM_ERR_MEDIA_TYPE',
      ],
      [
        { payload: Array.from({ length: 51 }, (_, i) => ({ url: `https://example.org/${i}` })) },
        413,
        'TDM_ERR_BATCH_TOO_LARGE',
      ],
      [
        {
          payload: Array.from({ length: 60 }, (_, i) =>
            JSON.stringify({ url: `https://example.org/${i}` }),
          ).join('\n'),
          headers: { 'content-type': 'application/x-ndjson' },
        },
        413,
        'TDM_ERR_BATCH_TOO_LARGE',
      ],
    ];
    for (const [request, status, code] of cases) {
      const response = await h.app.inject({ method: 'POST', url: '/v1/reports', ...request });
      expect({ status: response.statusCode, body: response.json() }).toEqual({
        status,
        body: { error: { code, message: expect.any(String) } },
      });
    }
  });
});

describe('POST /v1/reports body limit', () => {
  it('answers 413 TDM_ERR_BODY_TOO_LARGE for a body over the limit', async () => {
    const h = await openHarness(BACKENDS[0]!, { bodyLimit: 1024 });
    try {
      const payload = [{ url: 'https://example.org/' + 'y'.repeat(2000) }];
      const response = await h.app.inject({ method: 'POST', url: '/v1/reports', payload });
      expect(response.statusCode).toBe(413);
      expect(response.json().error.code).toBe('TDM_ERR_BODY_TOO_LARGE');
    } finally {
      await h.close();
    }
  });
});
