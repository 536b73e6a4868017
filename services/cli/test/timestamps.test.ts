import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/command.js';
import { parseTimestampOption } from '../src/import/timestamps.js';

describe('parseTimestampOption (--since, --until)', () => {
  it.each([
    '2026-02-30T00:00:00Z',
    'May 1 2026',
    '2026-05-01T12:00:00',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59-23:59',
  ])('refuses %s as a usage error naming the option', (text) => {
    expect(() => parseTimestampOption('since', text)).toThrow(UsageError);
    expect(() => parseTimestampOption('since', text)).toThrow(/^--since: /);
  });

  it('reads a date-time with a zone, and a bare date as midnight UTC (as GET /v1/removals does)', () => {
    expect(parseTimestampOption('since', '2026-05-01T12:00:00+02:00')?.toISOString()).toBe(
      '2026-05-01T10:00:00.000Z',
    );
    expect(parseTimestampOption('until', '2026-05-01')?.toISOString()).toBe('2026-05-01T00:00:00.000Z');
    expect(parseTimestampOption('until', undefined)).toBeUndefined();
    expect(() => parseTimestampOption('until', true)).toThrow(UsageError);
  });
});
