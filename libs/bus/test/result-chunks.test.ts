import { describe, expect, it } from 'vitest';
import type { CheckResult } from '@tdm/core';
import { chunkResults } from '../src/result-chunks.js';
import { makeResult } from './fixtures.js';

let next = 0;
const results = (n: number): CheckResult[] => Array.from({ length: n }, () => makeResult((next += 1)));
const shape = (chunks: ReturnType<typeof chunkResults<string>>): Array<[number, string[]]> =>
  chunks.map((c) => [c.results.length, c.completes]);

describe('chunkResults', () => {
  it('packs whole messages up to the bound, in order', () => {
    const pulled = [
      { msg: 'a', results: results(3) },
      { msg: 'b', results: results(4) },
      { msg: 'c', results: results(2) },
      { msg: 'd', results: results(1) },
    ];
    const chunks = chunkResults(pulled, 6);
    expect(shape(chunks)).toEqual([
      [3, ['a']],
      [6, ['b', 'c']],
      [1, ['d']],
    ]);
    expect(chunks.flatMap((c) => c.results)).toEqual(pulled.flatMap((p) => p.results));
  });

  it('spreads a message larger than the bound over chunks and completes it with its last result', () => {
    const pulled = [
      { msg: 'a', results: results(2) },
      { msg: 'big', results: results(11) },
      { msg: 'c', results: results(1) },
    ];
    expect(shape(chunkResults(pulled, 4))).toEqual([
      [2, ['a']],
      [4, []],
      [4, []],
      [4, ['big', 'c']],
    ]);
  });

  it('keeps a message without results so that it is still acked', () => {
    expect(shape(chunkResults([{ msg: 'empty', results: [] }], 5))).toEqual([[0, ['empty']]]);
    expect(chunkResults([], 5)).toEqual([]);
    expect(() => chunkResults([], 0)).toThrow(RangeError);
  });
});
