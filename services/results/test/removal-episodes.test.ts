/**
 * GET /v1/removals lists removal episodes: an item removed and later restored stays in the
 * export with its removal and its reappearance, in every format, and one removed twice has
 * two rows. (Before, the export read the items' current state and lost such removals.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REMOVAL_COLUMNS, createResultsHandler } from '@tdm/results';
import { BACKENDS, checkResult, openHarness, parseCsv, postReports, type Harness } from './support.js';

describe.each(BACKENDS)('removal episodes in the export ($name)', (backend) => {
  let h: Harness;
  let restored = 0;
  let twice = 0;

  beforeAll(async () => {
    h = await openHarness(backend);
    const answer = await postReports(h.app, [
      {
        url: 'https://example.org/restored.jpg',
        reportId: 'r',
        source: 's',
        reportedAt: '2024-05-01T09:00:00Z',
      },
      {
        url: 'https://example.org/twice.jpg',
        reportId: 't',
        source: 's',
        reportedAt: '2024-05-01T09:00:00Z',
      },
    ]);
    restored = answer[0]!.itemId as number;
    twice = answer[1]!.itemId as number;
    const handle = createResultsHandler(h);
    await handle([
      checkResult(restored, '2024-05-01T10:00:00Z', 'online'),
      checkResult(restored, '2024-05-01T11:00:00Z', 'offline', 'http_404'),
      checkResult(restored, '2024-05-01T12:00:00Z', 'offline', 'http_404'),
      checkResult(restored, '2024-05-01T13:00:00Z', 'online'),
      checkResult(twice, '2024-05-01T10:00:00Z', 'online'),
      checkResult(twice, '2024-05-01T11:00:00Z', 'offline', 'http_410'),
      checkResult(twice, '2024-05-01T12:00:00Z', 'offline', 'http_410'),
      checkResult(twice, '2024-05-01T13:00:00Z', 'online'),
      checkResult(twice, '2024-05-01T14:00:00Z', 'offline', 'http_404'),
      checkResult(twice, '2024-05-01T15:00:00Z', 'offline', 'http_404'),
    ]);
  });
  afterAll(async () => {
    await h?.close();
  });

  const expected = (): Array<Record<string, unknown>> => [
    {
      itemId: restored,
      episode: 1,
      offlineAt: '2024-05-01T11:00:02.000Z',
      reappearedAt: '2024-05-01T13:00:02.000Z',
    },
    {
      itemId: twice,
      episode: 1,
      offlineAt: '2024-05-01T11:00:02.000Z',
      reappearedAt: '2024-05-01T13:00:02.000Z',
    },
    { itemId: twice, episode: 2, offlineAt: '2024-05-01T14:00:02.000Z', reappearedAt: null },
  ];
  const pick = (row: Record<string, unknown>) => ({
    itemId: Number(row.itemId),
    episode: Number(row.episode),
    offlineAt: row.offlineAt,
    reappearedAt: row.reappearedAt === '' ? null : row.reappearedAt,
  });

  it('json and ndjson: every episode once, with reappearedAt', async () => {
    const json = await h.app.inject({ url: '/v1/removals' });
    expect(json.json<Array<Record<string, unknown>>>().map(pick)).toEqual(expected());
    const ndjson = await h.app.inject({ url: '/v1/removals?format=ndjson' });
    const lines = ndjson.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map(pick)).toEqual(expected());
    expect(lines[2]).toMatchObject({ offlineReason: 'http_404', lastOnlineAt: '2024-05-01T13:00:02.000Z' });
    expect(lines[1]).toMatchObject({ offlineReason: 'http_410', lastOnlineAt: '2024-05-01T10:00:02.000Z' });
  });

  it('csv: the same rows, with the episode and reappearedAt columns', async () => {
    const csv = await h.app.inject({ url: '/v1/removals?format=csv' });
    const [header, ...rows] = parseCsv(csv.body);
    expect(header).toEqual([...REMOVAL_COLUMNS]);
    const objects = rows.map((fields) => Object.fromEntries(header!.map((name, i) => [name, fields[i]])));
    expect(objects.map(pick)).toEqual(expected());
  });

  it('the window selects episodes by their own offlineAt', async () => {
    const late = await h.app.inject({ url: '/v1/removals?since=2024-05-01T14:00:00Z' });
    expect(late.json<Array<Record<string, unknown>>>().map(pick)).toEqual([expected()[2]]);
  });
});
