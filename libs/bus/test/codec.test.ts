import { describe, expect, it } from 'vitest';
import {
  BusDecodeError,
  decodeJob,
  decodeResult,
  decodeResultBatch,
  encodeJob,
  encodeResult,
  encodeResultBatch,
} from '@tdm/bus';
import { makeJob, makeResult } from './fixtures.js';

const enc = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

describe('result batch codec', () => {
  it('round-trips a batch, and its bytes are the plain JSON of {results: [...]}', () => {
    const results = [
      makeResult(1),
      makeResult(2, 5),
      { ...makeResult(3), redirects: [{ url: 'http://a.test/', status: 301, ip: null }] },
    ];
    const data = encodeResultBatch(results);
    expect(JSON.parse(new TextDecoder().decode(data))).toEqual({ results });
    expect(decodeResultBatch(data)).toEqual({ results, malformed: [] });
    expect(decodeResultBatch(encodeResultBatch([]))).toEqual({ results: [], malformed: [] });
  });

  it('still decodes the single-result messages of older crawlers', () => {
    const result = makeResult(9);
    expect(decodeResultBatch(encodeResult(result))).toEqual({ results: [result], malformed: [] });
    expect(decodeResult(encodeResult(result))).toEqual(result);
    // A legacy message that is invalid is unusable as a whole, as before.
    expect(() => decodeResultBatch(enc({ ...result, outcome: 'maybe' }))).toThrow(BusDecodeError);
  });

  it('keeps the valid elements of a batch and reports each invalid one', () => {
    const good = [makeResult(1), makeResult(2), makeResult(3)];
    const data = enc({
      results: [
        good[0],
        { ...makeResult(4), outcome: 'maybe' },
        good[1],
        'text',
        null,
        { ...makeResult(5), itemId: 0 },
        good[2],
      ],
    });
    const decoded = decodeResultBatch(data);
    expect(decoded.results).toEqual(good);
    expect(decoded.malformed).toHaveLength(4);
    expect(decoded.malformed.every((e) => e instanceof BusDecodeError)).toBe(true);
    expect(decoded.malformed.map((e) => e.message)).toEqual([
      'results[1].outcome: "maybe" is unknown',
      'results[3]: not a JSON object',
      'results[4]: not a JSON object',
      'results[5].itemId: expected an integer ≥ 1',
    ]);
  });

  it('refuses messages that are unusable as a whole', () => {
    const bad: Uint8Array[] = [
      new Uint8Array([0xff, 0xfe, 0x00]),
      new TextEncoder().encode('{"results": [ '),
      enc([makeResult(1)]),
      enc({ results: { 0: makeResult(1) } }),
      enc('results'),
      new Uint8Array(300 * 1024).fill(32),
    ];
    for (const data of bad) expect(() => decodeResultBatch(data)).toThrow(BusDecodeError);
  });
});

describe('timestamps in messages', () => {
  const bad = [
    '2026-02-30T00:00:00Z',
    'May 1 2026',
    '2026-05-01T12:00:00',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59-23:59',
  ];

  it.each(bad)('a job or a result with the time %s is refused', (text) => {
    for (const key of ['scheduledAt', 'publishedAt', 'notBefore'] as const) {
      expect(() => decodeJob(enc({ ...makeJob(1), [key]: text })), key).toThrow(BusDecodeError);
    }
    for (const key of ['scheduledAt', 'startedAt'] as const) {
      expect(() => decodeResult(enc({ ...makeResult(1), [key]: text })), key).toThrow(BusDecodeError);
    }
  });

  it('accepts its own output: Date#toISOString at both ends of the year range', () => {
    for (const at of ['0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z']) {
      const job = { ...makeJob(1), scheduledAt: at, publishedAt: at, notBefore: at };
      expect(decodeJob(encodeJob(job))).toEqual(job);
      const result = { ...makeResult(1), scheduledAt: at, startedAt: at };
      expect(decodeResult(encodeResult(result))).toEqual(result);
    }
  });
});
