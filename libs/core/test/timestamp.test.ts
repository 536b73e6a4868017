import { describe, expect, it } from 'vitest';
import { ValidationError, parseTimestamp } from '@tdm/core';

/** Texts that every entry point (reports, query parameters, CLI options, bus messages) refuses. */
const BAD_TIMESTAMPS = [
  '2026-02-30T00:00:00Z', // no such day
  'May 1 2026', // free text that Date.parse reads
  '2026-05-01T12:00:00', // no zone: the reader's local time, unknowable to the sender
  '0000-01-01T00:00:00Z', // year 0
  '9999-12-31T23:59:59-23:59', // 10000-01-01 in UTC
  '0001-01-01T00:30:00+01:00', // year 0 in UTC
] as const;

function rejection(text: string, options?: { dateOnly?: boolean }): ValidationError {
  try {
    parseTimestamp('at', text, options);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`expected a ValidationError for ${text}, nothing was thrown`);
}

describe('parseTimestamp', () => {
  it.each([
    ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T12:00:00.123Z', '2024-05-01T12:00:00.123Z'],
    ['2024-05-01T12:00:00+02:00', '2024-05-01T10:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['0001-01-01T00:30:00-01:00', '0001-01-01T01:30:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ['9999-12-31T23:59:59+23:59', '9999-12-31T00:00:59.000Z'],
  ])('reads %s', (text, iso) => {
    expect(parseTimestamp('at', text).toISOString()).toBe(iso);
  });

  it.each(BAD_TIMESTAMPS)('refuses %s with TDM_ERR_TIMESTAMP naming the field', (text) => {
    const error = rejection(text);
    expect(error.code).toBe('TDM_ERR_TIMESTAMP');
    expect(error.field).toBe('at');
    expect(error.message).toMatch(/^at: /);
  });

  it('says why: calendar, zone, or year range', () => {
    expect(rejection('2026-02-30T00:00:00Z').message).toMatch(/not a valid calendar date-time/);
    expect(rejection('2026-05-01T12:00:00').message).toMatch(/without a timezone/);
    expect(rejection('0000-01-01T00:00:00Z').message).toMatch(/years 1 to 9999/);
    expect(rejection('9999-12-31T23:59:59-23:59').message).toMatch(/years 1 to 9999/);
  });

  it('reads a bare date as midnight UTC only when asked to, with the same calendar rule', () => {
    expect(rejection('2026-05-01').code).toBe('TDM_ERR_TIMESTAMP');
    expect(parseTimestamp('since', '2026-05-01', { dateOnly: true }).toISOString()).toBe(
      '2026-05-01T00:00:00.000Z',
    );
    expect(rejection('2026-02-30', { dateOnly: true }).message).toMatch(/calendar/);
    expect(rejection('0000-01-01', { dateOnly: true }).message).toMatch(/years 1 to 9999/);
    for (const text of BAD_TIMESTAMPS)
      expect(rejection(text, { dateOnly: true }).code).toBe('TDM_ERR_TIMESTAMP');
  });

  it('accepts what Date#toISOString writes for every year it allows', () => {
    for (const ms of [Date.UTC(2026, 4, 1, 12, 0, 0, 7), -62135596800000, 253402300799999, 0]) {
      const iso = new Date(ms).toISOString();
      expect(parseTimestamp('at', iso).getTime(), iso).toBe(ms);
    }
  });
});
