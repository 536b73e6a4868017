import { describe, expect, it } from 'vitest';
import { BACKENDS, openHarness, type ReportAnswer } from './support.js';

describe('NDJSON bodies', () => {
  it('accepts application/ndjson, skips blank lines, numbers lines from 1 and keeps non-ASCII text', async () => {
    const h = await openHarness(BACKENDS[0]!);
    try {
      const lines = [
        '',
        JSON.stringify({
          url: 'https://例え.jp/写真.jpg',
          reportId: 'u1',
          source: 'nd',
          labels: { note: 'ünïcödé' },
        }),
        '   ',
        '{not json}',
        JSON.stringify({ url: 'https://example.org/n2', reportId: 'u2', source: 'nd', mode: 'fax' }),
      ];
      const response = await h.app.inject({
        method: 'POST',
        url: '/v1/reports',
        headers: { 'content-type': 'application/ndjson' },
        payload: Buffer.from(lines.join('\n'), 'utf8'),
      });
      expect(response.statusCode).toBe(200);
      const answer = response.json<ReportAnswer[]>();
      expect(answer).toHaveLength(3);
      expect(answer[0]).toMatchObject({ reportId: 'u1', created: true });
      expect(answer[1]).toMatchObject({ index: 1, line: 4, error: { code: 'TDM_ERR_NDJSON_LINE' } });
      expect(answer[2]).toMatchObject({ index: 2, line: 5, error: { code: 'TDM_ERR_MODE', field: 'mode' } });
      const item = (await h.app.inject({ url: `/v1/items/${answer[0]!.itemId}` })).json();
      expect(item.host).toBe('xn--r8jz45g.jp');
    } finally {
      await h.close();
    }
  });
});
