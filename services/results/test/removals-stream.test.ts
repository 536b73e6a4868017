import { describe, expect, it } from 'vitest';
import { validateReport } from '@tdm/core';
import { createResultsHandler } from '@tdm/results';
import { BACKENDS, checkResult, openHarness, parseCsv } from './support.js';

// More rows than one store page (1,000), so the export crosses page boundaries.
const ITEMS = 2300;

describe('GET /v1/removals streams more rows than one store page', () => {
  it('answers every removal exactly once, in offlineAt order, in all three formats', async () => {
    const h = await openHarness(BACKENDS[0]!);
    try {
      const now = new Date('2024-07-01T00:00:00Z');
      const reports = Array.from({ length: ITEMS }, (_, i) =>
        validateReport(
          { url: `https://host${i % 50}.example.org/item/${i}`, reportId: `bulk-${i}`, source: 'bulk' },
          {
            now,
            source: 'api',
          },
        ),
      );
      const stored = await h.store.insertReports(reports);
      const handle = createResultsHandler(h);
      const base = Date.parse('2024-07-01T00:00:00Z');
      const results = stored.flatMap(({ itemId }, i) => {
        // Items go offline a minute apart, in an order unrelated to their ids.
        const slot = base + ((i * 7919) % ITEMS) * 60_000;
        return [
          checkResult(itemId, new Date(slot).toISOString(), 'offline', 'http_410'),
          checkResult(itemId, new Date(slot + 30_000).toISOString(), 'offline', 'http_410'),
        ];
      });
      for (let i = 0; i < results.length; i += 1000) await handle(results.slice(i, i + 1000));

      const json = await h.app.inject({ url: '/v1/removals' });
      const rows = json.json<Array<{ itemId: number; offlineAt: string }>>();
      expect(rows).toHaveLength(ITEMS);
      expect(new Set(rows.map((r) => r.itemId)).size).toBe(ITEMS);
      const times = rows.map((r) => Date.parse(r.offlineAt));
      expect(times.every((t, i) => i === 0 || t >= (times[i - 1] as number))).toBe(true);

      const ndjson = await h.app.inject({ url: '/v1/removals?format=ndjson' });
      expect(ndjson.body.trimEnd().split('\n')).toHaveLength(ITEMS);
      const csv = parseCsv((await h.app.inject({ url: '/v1/removals?format=csv' })).body);
      expect(csv).toHaveLength(ITEMS + 1);
      expect(csv.slice(1).map((r) => Number(r[0]))).toEqual(rows.map((r) => r.itemId));

      const window = await h.app.inject({
        url: '/v1/removals?since=2024-07-01T10:00:02Z&until=2024-07-01T20:00:02Z',
      });
      expect(window.json()).toHaveLength(600);
    } finally {
      await h.close();
    }
  });
});
