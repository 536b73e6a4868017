import { describe, expect, it } from 'vitest';
import { REPORT_FIELDS, VALIDATION_CODES, ValidationError, validateReport } from '@tdm/core';

const defaults = { now: new Date('2024-05-01T00:00:00.000Z'), source: 'api' };
const SHA256 = 'AB'.repeat(32);
const SHA1 = 'cd'.repeat(20);
const MD5 = 'Ef'.repeat(16);

function rejection(input: unknown): ValidationError {
  try {
    validateReport(input, defaults);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError, nothing was thrown');
}

describe('validateReport: a good report', () => {
  it('normalises every field', () => {
    const report = validateReport(
      {
        url: ' HTTPS://Files.Example.COM:443/a/b.jpg?x=1#top ',
        reportId: ' hl-2024-0001 ',
        source: 'hotline-nl',
        reportedAt: '2024-04-30T22:15:00+02:00',
        noticeSentAt: '2024-04-30T21:00:00.5Z',
        sha256: SHA256,
        sha1: SHA1,
        md5: MD5,
        mode: 'browser',
        labels: { category: 'a', country: 'NL' },
      },
      defaults,
    );
    expect(report).toEqual({
      reportId: 'hl-2024-0001',
      source: 'hotline-nl',
      originalUrl: 'HTTPS://Files.Example.COM:443/a/b.jpg?x=1#top',
      url: 'https://files.example.com/a/b.jpg?x=1',
      host: 'files.example.com',
      registrableDomain: 'example.com',
      reportedAt: new Date('2024-04-30T20:15:00.000Z'),
      noticeSentAt: new Date('2024-04-30T21:00:00.500Z'),
      expected: { sha256: SHA256.toLowerCase(), sha1: SHA1, md5: MD5.toLowerCase() },
      mode: 'browser',
      labels: { category: 'a', country: 'NL' },
    });
  });

  it('fills defaults for a report with a url only', () => {
    expect(validateReport({ url: 'http://example.com/x' }, defaults)).toEqual({
      reportId: null,
      source: 'api',
      originalUrl: 'http://example.com/x',
      url: 'http://example.com/x',
      host: 'example.com',
      registrableDomain: 'example.com',
      reportedAt: defaults.now,
      noticeSentAt: null,
      expected: {},
      mode: 'http',
      labels: {},
    });
  });

  it('treats null optional fields as absent', () => {
    const report = validateReport(
      {
        url: 'http://example.com/',
        reportId: null,
        source: null,
        reportedAt: null,
        sha256: null,
        mode: null,
        labels: null,
      },
      defaults,
    );
    expect(report.reportId).toBeNull();
    expect(report.source).toBe('api');
    expect(report.reportedAt).toEqual(defaults.now);
    expect(report.expected).toEqual({});
    expect(report.mode).toBe('http');
    expect(report.labels).toEqual({});
  });

  it.each([
    ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01t12:00:00z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01 12:00:00Z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T12:00Z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T12:00:00.123456789Z', '2024-05-01T12:00:00.123Z'],
    ['2024-05-01T12:00:00,5Z', '2024-05-01T12:00:00.500Z'],
    ['2024-05-01T12:00:00+02:00', '2024-05-01T10:00:00.000Z'],
    ['2024-05-01T12:00:00-0530', '2024-05-01T17:30:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
    ['2024-01-01T00:30:00+01:00', '2023-12-31T23:30:00.000Z'],
  ])('reads the timestamp %s', (text, iso) => {
    expect(
      validateReport({ url: 'http://example.com/', reportedAt: text }, defaults).reportedAt.toISOString(),
    ).toBe(iso);
  });

  it('keeps a label named __proto__ as a plain key', () => {
    const input: unknown = JSON.parse('{"url":"http://example.com/","labels":{"__proto__":"x","a":"b"}}');
    const report = validateReport(input, defaults);
    expect(Object.getPrototypeOf(report.labels)).toBe(Object.prototype);
    expect(Object.keys(report.labels).sort()).toEqual(['__proto__', 'a']);
  });

  it('accepts the label limits exactly', () => {
    const labels = Object.fromEntries(
      Array.from({ length: 32 }, (_, i) => [`k${i}`.padEnd(256, 'k'), 'v'.repeat(256)]),
    );
    expect(Object.keys(validateReport({ url: 'http://example.com/', labels }, defaults).labels)).toHaveLength(
      32,
    );
  });
});

describe('validateReport: bad reports', () => {
  const url = 'http://example.com/';
  it.each<[string, unknown, string, string, RegExp]>([
    ['not an object', 'http://example.com/', 'TDM_ERR_FIELD', 'report', /^report: expected a JSON object/],
    ['an array', [{ url }], 'TDM_ERR_FIELD', 'report', /an array/],
    ['null', null, 'TDM_ERR_FIELD', 'report', /null/],
    ['missing url', { reportId: 'x' }, 'TDM_ERR_FIELD', 'url', /^url: missing/],
    ['url not a string', { url: 42 }, 'TDM_ERR_FIELD', 'url', /^url: expected a string, got number 42/],
    ['not a URL', { url: 'not a url' }, 'TDM_ERR_URL_INVALID', 'url', /not an absolute URL/],
    ['ftp: URL', { url: 'ftp://example.com/x' }, 'TDM_ERR_URL_SCHEME', 'url', /scheme "ftp"/],
    [
      '10 KB URL',
      { url: url + 'a'.repeat(10_240) },
      'TDM_ERR_URL_TOO_LONG',
      'url',
      /longer than the limit of 4096/,
    ],
    [
      'credentials',
      { url: 'http://a:b@example.com/' },
      'TDM_ERR_URL_CREDENTIALS',
      'url',
      /user name or password/,
    ],
    [
      'unknown field',
      { url, reportedAT: '2024-05-01T00:00:00Z' },
      'TDM_ERR_FIELD',
      'reportedAT',
      /^reportedAT: unknown field/,
    ],
    [
      'unknown field __proto__',
      JSON.parse('{"url":"http://example.com/","__proto__":{}}'),
      'TDM_ERR_FIELD',
      '__proto__',
      /unknown field/,
    ],
    [
      'free-text timestamp',
      { url, reportedAt: 'yesterday' },
      'TDM_ERR_TIMESTAMP',
      'reportedAt',
      /^reportedAt: not an ISO-8601 date-time: "yesterday"/,
    ],
    [
      'date only',
      { url, reportedAt: '2024-05-01' },
      'TDM_ERR_TIMESTAMP',
      'reportedAt',
      /not an ISO-8601 date-time/,
    ],
    [
      'no timezone',
      { url, noticeSentAt: '2024-05-01T12:00:00' },
      'TDM_ERR_TIMESTAMP',
      'noticeSentAt',
      /without a timezone/,
    ],
    [
      'February 30',
      { url, reportedAt: '2024-02-30T00:00:00Z' },
      'TDM_ERR_TIMESTAMP',
      'reportedAt',
      /not a valid calendar date-time/,
    ],
    [
      'February 29 in 2023',
      { url, reportedAt: '2023-02-29T00:00:00Z' },
      'TDM_ERR_TIMESTAMP',
      'reportedAt',
      /calendar/,
    ],
    ['hour 24', { url, reportedAt: '2024-05-01T24:00:00Z' }, 'TDM_ERR_TIMESTAMP', 'reportedAt', /calendar/],
    ['month 13', { url, reportedAt: '2024-13-01T00:00:00Z' }, 'TDM_ERR_TIMESTAMP', 'reportedAt', /calendar/],
    [
      'offset +24:00',
      { url, reportedAt: '2024-05-01T00:00:00+24:00' },
      'TDM_ERR_TIMESTAMP',
      'reportedAt',
      /calendar/,
    ],
    ['free text', { url, reportedAt: 'May 1 2026' }, 'TDM_ERR_TIMESTAMP', 'reportedAt', /ISO-8601/],
    ['year 0', { url, reportedAt: '0000-01-01T00:00:00Z' }, 'TDM_ERR_TIMESTAMP', 'reportedAt', /1 to 9999/],
    [
      'year 10000 in UTC',
      { url, noticeSentAt: '9999-12-31T23:59:59-23:59' },
      'TDM_ERR_TIMESTAMP',
      'noticeSentAt',
      /1 to 9999/,
    ],
    [
      'RFC 2822 date',
      { url, reportedAt: 'Wed, 01 May 2024 12:00:00 GMT' },
      'TDM_ERR_TIMESTAMP',
      'reportedAt',
      /ISO-8601/,
    ],
    ['epoch number', { url, reportedAt: 1714564800 }, 'TDM_ERR_FIELD', 'reportedAt', /got number 1714564800/],
    [
      'short sha256',
      { url, sha256: 'abc' },
      'TDM_ERR_HASH',
      'sha256',
      /^sha256: expected 64 hex digits, got 3 characters: "abc"/,
    ],
    ['non-hex sha1', { url, sha1: 'g'.repeat(40) }, 'TDM_ERR_HASH', 'sha1', /^sha1: expected 40 hex digits/],
    [
      'sha256 in the md5 field',
      { url, md5: SHA256 },
      'TDM_ERR_HASH',
      'md5',
      /^md5: expected 32 hex digits, got 64/,
    ],
    ['empty hash', { url, sha256: '' }, 'TDM_ERR_HASH', 'sha256', /expected 64 hex digits/],
    ['hash not a string', { url, md5: 123 }, 'TDM_ERR_FIELD', 'md5', /expected a hex string/],
    [
      'bad mode',
      { url, mode: 'curl' },
      'TDM_ERR_MODE',
      'mode',
      /^mode: expected "http" or "browser", got "curl"/,
    ],
    ['mode in upper case', { url, mode: 'HTTP' }, 'TDM_ERR_MODE', 'mode', /got "HTTP"/],
    ['mode not a string', { url, mode: true }, 'TDM_ERR_FIELD', 'mode', /got boolean true/],
    ['empty reportId', { url, reportId: '  ' }, 'TDM_ERR_REPORT_ID', 'reportId', /^reportId: empty/],
    [
      'long reportId',
      { url, reportId: 'x'.repeat(201) },
      'TDM_ERR_REPORT_ID',
      'reportId',
      /201 characters, longer than the limit of 200/,
    ],
    [
      'numeric reportId',
      { url, reportId: 17 },
      'TDM_ERR_FIELD',
      'reportId',
      /expected a string, got number 17/,
    ],
    ['empty source', { url, source: '' }, 'TDM_ERR_REPORT_ID', 'source', /^source: empty/],
    ['labels an array', { url, labels: ['a'] }, 'TDM_ERR_FIELD', 'labels', /^labels: expected an object/],
    [
      'label not a string',
      { url, labels: { a: 1 } },
      'TDM_ERR_FIELD',
      'labels',
      /^labels\.a: expected a string, got number 1/,
    ],
    [
      'too many labels',
      { url, labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) },
      'TDM_ERR_FIELD',
      'labels',
      /33 keys, more than the limit of 32/,
    ],
    [
      'long label value',
      { url, labels: { a: 'v'.repeat(257) } },
      'TDM_ERR_FIELD',
      'labels',
      /labels\.a: 257 characters/,
    ],
    [
      'long label key',
      { url, labels: { ['k'.repeat(257)]: 'v' } },
      'TDM_ERR_FIELD',
      'labels',
      /must have 1 to 256 characters/,
    ],
    [
      'empty label key',
      { url, labels: { '': 'v' } },
      'TDM_ERR_FIELD',
      'labels',
      /must have 1 to 256 characters/,
    ],
  ])('%s', (_name, input, code, field, message) => {
    const error = rejection(input);
    expect(error.code).toBe(code);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
    expect(Object.keys(VALIDATION_CODES)).toContain(error.code);
  });

  it('lists the contract fields in the unknown-field message', () => {
    expect(rejection({ url: 'http://example.com/', hash: 'x' }).message).toContain(REPORT_FIELDS.join(', '));
  });

  it('keeps messages short for huge values', () => {
    expect(
      rejection({ url: 'http://example.com/', reportId: 'x'.repeat(100_000) }).message.length,
    ).toBeLessThan(400);
  });
});
