import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { makeBody, md5Hex, placeholderPng, sha1Hex, sha256Hex } from '@tdm/fixture-web';

describe('bodies', () => {
  it('makeBody is deterministic per (seed, size) and differs across seeds', () => {
    const a = makeBody('item-1', 20_000);
    expect(a.length).toBe(20_000);
    expect(makeBody('item-1', 20_000).equals(a)).toBe(true);
    expect(makeBody('item-2', 20_000).equals(a)).toBe(false);
    // A shorter body of the same seed is a prefix: sizes not a multiple of 4 are cut, not re-drawn.
    expect(makeBody('item-1', 1_001).equals(a.subarray(0, 1_001))).toBe(true);
    expect(makeBody('x', 0).length).toBe(0);
    expect(() => makeBody('x', -1)).toThrow(RangeError);
  });

  it('makeBody does not look like zeros or a repeated pattern', () => {
    const b = makeBody('entropy', 65_536);
    const counts = new Array<number>(256).fill(0);
    for (const byte of b) counts[byte] = (counts[byte] ?? 0) + 1;
    // 65,536 uniform bytes give 256 per value on average; every value shows up.
    expect(Math.min(...counts)).toBeGreaterThan(150);
    expect(Math.max(...counts)).toBeLessThan(400);
  });

  it('hash helpers match node:crypto and a known vector', () => {
    expect(sha256Hex(Buffer.from('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    const b = makeBody('h', 1234);
    expect(sha1Hex(b)).toBe(createHash('sha1').update(b).digest('hex'));
    expect(md5Hex(b)).toBe(createHash('md5').update(b).digest('hex'));
  });

  it('placeholderPng is a PNG and a fresh copy each call', () => {
    const png = placeholderPng();
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(
      true,
    );
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect(png.subarray(-8, -4).toString('latin1')).toBe('IEND');
    png[0] = 0;
    expect(placeholderPng()[0]).toBe(0x89);
    expect(sha256Hex(placeholderPng())).toBe(sha256Hex(placeholderPng()));
  });
});
