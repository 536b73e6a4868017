import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { RemovalRow } from '@tdm/core';
import { REMOVAL_COLUMNS, csvField, csvHeader, csvRow } from '@tdm/results';
import { parseCsv } from './support.js';

const row: RemovalRow = {
  itemId: 7,
  url: 'https://example.org/a,b.jpg',
  host: 'example.org',
  registrableDomain: 'example.org',
  hoster: 'Hoster "Big", Inc.\nline two',
  reportedAt: '2024-05-01T09:00:00.000Z',
  noticeSentAt: null,
  lastOnlineAt: null,
  offlineAt: '2024-05-01T13:00:02.000Z',
  confirmedAt: '2024-05-01T14:00:02.000Z',
  offlineReason: 'http_404',
  timeToRemovalSeconds: 14402,
  episode: 2,
  reappearedAt: '2024-05-02T08:00:00.000Z',
};

describe('CSV encoding of removals', () => {
  it('quotes commas, quotes, line breaks and edge whitespace; null is an empty field', () => {
    expect(csvField(null)).toBe('');
    expect(csvField(12)).toBe('12');
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(' padded')).toBe('" padded"');
  });

  it('writes a header and rows that an RFC 4180 parser reads back', () => {
    const [header, parsed] = parseCsv(csvHeader() + csvRow(row));
    expect(header).toEqual([...REMOVAL_COLUMNS]);
    expect(parsed).toEqual(REMOVAL_COLUMNS.map((c) => (row[c] === null ? '' : String(row[c]))));
  });

  it('round-trips any string field', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (url, hoster) => {
        const [, parsed] = parseCsv(csvHeader() + csvRow({ ...row, url, hoster }));
        expect(parsed?.[1]).toBe(url);
        expect(parsed?.[4]).toBe(hoster);
      }),
      { numRuns: 300 },
    );
  });
});
