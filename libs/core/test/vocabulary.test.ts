import { describe, expect, it } from 'vitest';
import {
  HASH_LENGTHS,
  HASH_NAMES,
  MODES,
  OUTCOMES,
  REASONS,
  isMode,
  isOutcome,
  isReason,
  mediaTypeEssence,
} from '@tdm/core';

describe('vocabulary', () => {
  it('guards accept exactly the words of their array', () => {
    for (const mode of MODES) expect(isMode(mode)).toBe(true);
    for (const outcome of OUTCOMES) expect(isOutcome(outcome)).toBe(true);
    for (const reason of REASONS) expect(isReason(reason)).toBe(true);
    for (const other of ['', 'HTTP', 'ftp', 'online ', 'unknown', null, 1, undefined]) {
      expect(isMode(other)).toBe(false);
      expect(isOutcome(other)).toBe(false);
      expect(isReason(other)).toBe(false);
    }
    expect(new Set(REASONS).size).toBe(REASONS.length);
  });

  it('names every hash once, with its hex length', () => {
    expect([...HASH_NAMES].sort()).toEqual(Object.keys(HASH_LENGTHS).sort());
    expect(HASH_LENGTHS).toEqual({ sha256: 64, sha1: 40, md5: 32 });
  });

  it.each([
    ['image/PNG; charset=x', 'image/png'],
    [' text/html ', 'text/html'],
    ['application/vnd.api+json', 'application/vnd.api+json'],
    ['image/png/x', null],
    ['/png', null],
    ['image/', null],
    ['image png', null],
    ['', null],
    [null, null],
    [`image/${'x'.repeat(127)}`, null],
  ])('mediaTypeEssence(%j) is %j, and an essence is its own essence', (value, essence) => {
    expect(mediaTypeEssence(value)).toBe(essence);
    if (essence !== null) expect(mediaTypeEssence(essence)).toBe(essence);
  });
});
